//! Pieces shared by the file-writing modules: the `validate` command, the path details
//! Ansible adds to results, and text diffs.

use super::{Context, ModuleError};
use crate::accounts;
use crate::fsutil::{self, AttrChange};
use crate::proc::{self, Cmd};
use play_protocol::{shell_words, Diff};
use serde_json::{Map, Value};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Checks a `validate` template (`visudo -cf %s`) now, and returns the check to run on the
/// finished temp file. The command is split into words, not given to a shell.
pub fn validator<'c>(
    template: &str,
    ctx: &'c Context<'c>,
) -> Result<impl Fn(&Path) -> Result<(), String> + 'c, ModuleError> {
    if !template.contains("%s") {
        return Err(ModuleError(format!(
            "validate must contain %s (where the new file's path goes), got: {template}"
        )));
    }
    let template = template.to_string();
    Ok(move |path: &Path| {
        let line = template.replace("%s", &path.to_string_lossy());
        let words = shell_words::split(&line)
            .map_err(|why| format!("validate: cannot split `{line}` into words: {why}"))?;
        let (program, rest) = words
            .split_first()
            .ok_or_else(|| "validate is empty".to_string())?;
        let cmd = Cmd {
            program: program.clone(),
            args: rest.to_vec(),
            ..Cmd::default()
        };
        let out = proc::run(&cmd, ctx).map_err(|e| format!("failed to validate: {}", e.0))?;
        if out.rc != 0 {
            return Err(format!(
                "failed to validate: `{template}` exited with rc {}: {}{}",
                out.rc,
                out.stdout_text().trim(),
                out.stderr_text().trim()
            ));
        }
        Ok(())
    })
}

/// Runs a shadow-utils tool (useradd, groupmod, chpasswd, ...), retrying while another
/// process holds the passwd/group lock (their exit code 10); other codes outside `ok` fail.
/// The arguments may be shown in errors; secrets go through `stdin`, which is not.
pub fn run_account_tool(
    argv: &[String],
    stdin: Option<Vec<u8>>,
    ok: &[i32],
    ctx: &Context<'_>,
) -> Result<(), ModuleError> {
    const LOCKED: i32 = 10;
    let cmd = Cmd {
        program: argv[0].clone(),
        args: argv[1..].to_vec(),
        stdin,
        ..Cmd::default()
    };
    let mut attempts = 0;
    loop {
        let out = proc::run(&cmd, ctx)?;
        if ok.contains(&out.rc) {
            return Ok(());
        }
        attempts += 1;
        if out.rc == LOCKED && attempts < 10 {
            ctx.interrupted()?;
            std::thread::sleep(std::time::Duration::from_millis(500));
            continue;
        }
        let shown = if cmd.stdin.is_some() {
            argv[0].clone()
        } else {
            argv.join(" ")
        };
        return Err(ModuleError(format!(
            "{shown} failed (rc {}): {}",
            out.rc,
            out.stderr_text().trim()
        )));
    }
}

/// What Ansible's file modules report about a path: state, mode, owner, size.
pub fn path_info(path: &Path) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("path".into(), path.to_string_lossy().into());
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        m.insert("state".into(), "absent".into());
        return m;
    };
    let ft = meta.file_type();
    let state = if ft.is_symlink() {
        "link"
    } else if ft.is_dir() {
        "directory"
    } else if meta.nlink() > 1 {
        "hard"
    } else {
        "file"
    };
    m.insert("state".into(), state.into());
    m.insert("mode".into(), fsutil::format_mode(meta.mode()).into());
    m.insert("uid".into(), meta.uid().into());
    m.insert("gid".into(), meta.gid().into());
    m.insert("owner".into(), accounts::user_name(meta.uid()).into());
    m.insert("group".into(), accounts::group_name(meta.gid()).into());
    m.insert("size".into(), meta.size().into());
    m
}

/// A before/after diff of file content; binary or huge content is described, not shown.
pub fn content_diff(path: &Path, before: Option<&[u8]>, after: &[u8]) -> Diff {
    let show = |data: Option<&[u8]>| match data {
        None => String::new(),
        Some(d) => fsutil::diff_text(d)
            .unwrap_or_else(|| format!("[binary or large content: {} bytes]\n", d.len())),
    };
    let header = path.to_string_lossy().into_owned();
    Diff {
        before_header: Some(if before.is_some() {
            header.clone()
        } else {
            "/dev/null".into()
        }),
        after_header: Some(header),
        before: show(before),
        after: show(Some(after)),
    }
}

/// A diff of attribute changes (`mode: 0600` -> `mode: 0644`).
pub fn attr_diff(path: &Path, changes: &[AttrChange]) -> Diff {
    let header = format!("{} (attributes)", path.display());
    Diff {
        before_header: Some(header.clone()),
        after_header: Some(header),
        before: fsutil::attrs::diff_text(changes, false),
        after: fsutil::attrs::diff_text(changes, true),
    }
}

/// A diff for modules that change state rather than file content (services, packages,
/// accounts): a few `key: value` lines before and after, so `--check --diff` shows a reviewer
/// what would change in the same form as file diffs.
pub fn state_diff(header: &str, before: &[(&str, String)], after: &[(&str, String)]) -> Diff {
    let text = |lines: &[(&str, String)]| -> String {
        lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
    };
    Diff {
        before_header: Some(header.to_string()),
        after_header: Some(header.to_string()),
        before: text(before),
        after: text(after),
    }
}
