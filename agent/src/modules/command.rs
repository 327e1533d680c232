//! `command` and `shell`: run a program (argv, no shell) or a shell snippet.
//!
//! As in Ansible: `creates`/`removes` (globs, relative to `chdir`) skip the run; a run always
//! reports changed; rc != 0 fails with "non-zero return code"; check mode does not run the
//! command. Children run as `become_user` when the task has one.

use super::{args, Context, ModuleError, ModuleOutcome};
use crate::proc::{self, Cmd};
use crate::timefmt;
use play_protocol::{shell_words, ModuleResult};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The free-form command (`command: ls -l`).
    #[serde(default, rename = "_raw_params", deserialize_with = "args::opt_string")]
    pub raw_params: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub cmd: Option<String>,
    #[serde(default, deserialize_with = "argv_list")]
    pub argv: Option<Vec<String>>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub chdir: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub creates: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub removes: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub stdin: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub stdin_add_newline: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub strip_empty_ends: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub executable: Option<String>,
}

/// argv must be a real list: splitting a string on commas would be wrong here.
fn argv_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(args::to_string)
            .collect::<Result<_, _>>()
            .map(Some)
            .map_err(serde::de::Error::custom),
        Some(other) => Err(serde::de::Error::custom(format!(
            "argv must be a list of strings, got {other}"
        ))),
    }
}

enum Program {
    Argv(Vec<String>),
    Shell { executable: String, script: String },
}

pub fn run_command(args: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let text = args.cmd.as_ref().or(args.raw_params.as_ref());
    let argv = match (&args.argv, text) {
        (Some(_), Some(_)) => {
            return Err(ModuleError(
                "command: give either argv or a command string (cmd / free form), not both".into(),
            ))
        }
        (Some(argv), None) => argv.clone(),
        (None, Some(text)) => split_words(text)?,
        (None, None) => Vec::new(),
    };
    if argv.is_empty() {
        return Err(ModuleError(
            "command: no command given: set cmd, argv, or the free-form text".into(),
        ));
    }
    let mut warnings = Vec::new();
    if args.executable.is_some() {
        warnings.push("executable is ignored by the command module; use shell for that");
    }
    execute(Program::Argv(argv), &args, ctx, warnings)
}

pub fn run_shell(args: Args, ctx: &Context<'_>) -> ModuleOutcome {
    if args.argv.is_some() {
        return Err(ModuleError(
            "shell: argv is not supported; give the script as a string, or use command with argv"
                .into(),
        ));
    }
    let script = args
        .cmd
        .clone()
        .or_else(|| args.raw_params.clone())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            ModuleError("shell: no command given: set cmd or the free-form text".into())
        })?;
    let executable = args.executable.clone().unwrap_or_else(|| "/bin/sh".into());
    execute(
        Program::Shell { executable, script },
        &args,
        ctx,
        Vec::new(),
    )
}

fn execute(program: Program, args: &Args, ctx: &Context<'_>, warnings: Vec<&str>) -> ModuleOutcome {
    let cmd_value = match &program {
        Program::Argv(argv) => json!(argv),
        Program::Shell { script, .. } => json!(script),
    };
    let chdir = args.chdir.as_ref().map(PathBuf::from);
    if let Some(dir) = &chdir {
        if !dir.is_dir() {
            return Err(ModuleError(format!(
                "Unable to change directory before execution: chdir {} is not a directory on this host",
                dir.display()
            )));
        }
    }
    let base = |p: &str| match &chdir {
        Some(d) => d.join(p),
        None => PathBuf::from(p),
    };
    let mut result = ModuleResult::ok().with("cmd", cmd_value.clone());
    if !warnings.is_empty() {
        result = result.with("warnings", json!(warnings));
    }
    if let Some(creates) = &args.creates {
        if glob_exists(&base(creates)) {
            return Ok(skipped(
                result,
                format!("Did not run command since '{creates}' exists"),
            ));
        }
    }
    if let Some(removes) = &args.removes {
        if !glob_exists(&base(removes)) {
            return Ok(skipped(
                result,
                format!("Did not run command since '{removes}' does not exist"),
            ));
        }
    }
    if ctx.check {
        // Ansible: without creates/removes nothing can be predicted, so the task is skipped.
        let predictable = args.creates.is_some() || args.removes.is_some();
        result = result
            .with("rc", 0)
            .with_msg("Command would have run if not in check mode");
        result.changed = predictable;
        if !predictable {
            result = result.with("skipped", true);
        }
        return Ok(result);
    }

    let (program_name, argv) = match program {
        Program::Argv(argv) => (argv[0].clone(), argv[1..].to_vec()),
        Program::Shell { executable, script } => (executable, vec!["-c".to_string(), script]),
    };
    let stdin = args.stdin.as_ref().map(|s| {
        let mut data = s.clone().into_bytes();
        if args.stdin_add_newline.unwrap_or(true) {
            data.push(b'\n');
        }
        data
    });
    let cmd = Cmd {
        program: program_name,
        args: argv,
        cwd: chdir,
        stdin,
        env: Vec::new(),
        as_user: ctx.become_user.map(str::to_string),
    };
    let start = timefmt::local_now();
    let clock = Instant::now();
    let out = proc::run(&cmd, ctx)?;
    let delta = clock.elapsed();
    let end = timefmt::local_now();
    let strip = args.strip_empty_ends.unwrap_or(true);
    let stdout = trim_end(out.stdout_text(), strip);
    let stderr = trim_end(out.stderr_text(), strip);
    let mut result = result
        .with("rc", out.rc)
        .with("stdout_lines", lines(&stdout))
        .with("stderr_lines", lines(&stderr))
        .with("stdout", stdout)
        .with("stderr", stderr)
        .with("start", start.datetime_micro())
        .with("end", end.datetime_micro())
        .with("delta", timefmt::format_delta(delta));
    result.changed = true;
    if out.rc != 0 {
        result.failed = true;
        result.msg = Some("non-zero return code".into());
    } else {
        result.msg = Some(String::new());
    }
    Ok(result)
}

fn skipped(result: ModuleResult, msg: String) -> ModuleResult {
    result
        .with("rc", 0)
        .with("stdout", msg.clone())
        .with("stdout_lines", json!([msg.clone()]))
        .with("stderr", "")
        .with("stderr_lines", json!([]))
        .with_msg(msg)
}

fn trim_end(s: String, strip: bool) -> String {
    if strip {
        s.trim_end_matches(['\r', '\n']).to_string()
    } else {
        s
    }
}

fn lines(s: &str) -> Value {
    json!(s.lines().collect::<Vec<_>>())
}

/// Splits the command string into argv, as Ansible's command module does with `shlex.split`
/// (the rules: [`shell_words`]); errors quote the string.
fn split_words(s: &str) -> Result<Vec<String>, ModuleError> {
    shell_words::split(s)
        .map_err(|why| ModuleError(format!("command: cannot split `{s}` into words: {why}")))
}

/// Whether anything matches `pattern` (`*` and `?` globs per path component).
pub fn glob_exists(pattern: &Path) -> bool {
    let text = pattern.to_string_lossy();
    if !text.contains(['*', '?']) {
        return std::fs::symlink_metadata(pattern).is_ok();
    }
    let mut candidates = vec![if pattern.is_absolute() {
        PathBuf::from("/")
    } else {
        PathBuf::from(".")
    }];
    for comp in pattern.components() {
        let part = comp.as_os_str().to_string_lossy();
        if matches!(comp, std::path::Component::RootDir) {
            continue;
        }
        let mut next = Vec::new();
        for base in &candidates {
            if part.contains(['*', '?']) {
                let Ok(entries) = std::fs::read_dir(base) else {
                    continue;
                };
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if (!name.starts_with('.') || part.starts_with('.'))
                        && super::setup::glob_match(&part, &name)
                    {
                        next.push(base.join(name));
                    }
                }
            } else {
                let p = base.join(&*part);
                if std::fs::symlink_metadata(&p).is_ok() {
                    next.push(p);
                }
            }
        }
        candidates = next;
        if candidates.is_empty() {
            return false;
        }
    }
    !candidates.is_empty()
}

#[cfg(test)]
#[path = "command_tests.rs"]
mod tests;
