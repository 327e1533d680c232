//! Running child processes for modules: bounded by the task's timeout, killed when the
//! controller goes away, never connected to the agent's own stdout (the protocol channel).
//!
//! Each child gets its own process group so that a timeout kills a whole shell pipeline, not
//! just the shell, and a parent-death signal so that it does not outlive a killed agent.
//! Output is captured through pipes, up to [`MAX_CAPTURE`] bytes per stream.

use crate::accounts;
use crate::modules::{Context, ModuleError};
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Bytes kept per output stream; the rest is read and dropped so the child never blocks.
pub const MAX_CAPTURE: usize = 4 * 1024 * 1024;

/// What to run.
#[derive(Debug, Default, Clone)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    /// Bytes for the child's stdin; `None` gives it /dev/null.
    pub stdin: Option<Vec<u8>>,
    /// Variables set before the task's `environment` (which wins).
    pub env: Vec<(String, String)>,
    /// Run as this user (looked up in /etc/passwd), with their groups and HOME.
    pub as_user: Option<String>,
}

impl Cmd {
    pub fn new(program: &str, args: &[&str]) -> Self {
        Cmd {
            program: program.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
            ..Cmd::default()
        }
    }
}

/// What a finished child left.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code, or minus the signal number that ended it (as Python reports it).
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

struct Identity {
    uid: u32,
    gid: u32,
    groups: Vec<libc::gid_t>,
    name: String,
    home: String,
}

fn identity(name: &str) -> Result<Option<Identity>, ModuleError> {
    let user = accounts::user_by_name(name).ok_or_else(|| {
        ModuleError(format!(
            "become_user '{name}' does not exist on this host (not in /etc/passwd)"
        ))
    })?;
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if user.uid == euid {
        return Ok(None);
    }
    if euid != 0 {
        return Err(ModuleError(format!(
            "become_user '{name}' needs the agent to run as root: set become: true on the play or task"
        )));
    }
    let mut groups: Vec<libc::gid_t> = accounts::supplementary_groups(name)
        .iter()
        .map(|g| g.gid)
        .collect();
    groups.push(user.gid);
    Ok(Some(Identity {
        uid: user.uid,
        gid: user.gid,
        groups,
        name: user.name,
        home: user.home,
    }))
}

/// Runs `cmd` to completion within the task's deadline.
pub fn run(cmd: &Cmd, ctx: &Context<'_>) -> Result<Output, ModuleError> {
    ctx.interrupted()?;
    let who = cmd.as_user.as_deref().map(identity).transpose()?.flatten();
    let mut command = Command::new(resolve_program(&cmd.program, ctx));
    command
        .args(&cmd.args)
        .stdin(if cmd.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(id) = &who {
        command
            .env("HOME", &id.home)
            .env("USER", &id.name)
            .env("LOGNAME", &id.name);
    }
    command.envs(cmd.env.iter().map(|(k, v)| (k, v)));
    command.envs(ctx.environment);
    if let Some(cwd) = &cmd.cwd {
        command.current_dir(cwd);
    }
    let switch = who.map(|id| (id.uid, id.gid, id.groups));
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // syscalls (prctl, setgroups, setgid, setuid) on data prepared before the fork.
    unsafe {
        command.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            if let Some((uid, gid, groups)) = &switch {
                if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                    || libc::setgid(*gid) != 0
                    || libc::setuid(*uid) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| {
        ModuleError(format!(
            "could not start {}: {e}{}",
            cmd.program,
            if e.kind() == std::io::ErrorKind::NotFound {
                " (is it installed and on PATH, or is chdir missing?)"
            } else {
                ""
            }
        ))
    })?;
    let pid = child.id() as i32;

    if let (Some(data), Some(mut sink)) = (cmd.stdin.clone(), child.stdin.take()) {
        // A child that never reads its stdin must not block the agent: write from a thread.
        std::thread::spawn(move || {
            let _ = sink.write_all(&data);
        });
    }
    let (out_tx, out_rx) = mpsc::channel();
    for (idx, stream) in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .enumerate()
    {
        let tx = out_tx.clone();
        std::thread::spawn(move || {
            let data = stream.map(capture).unwrap_or_default();
            let _ = tx.send((idx, data));
        });
    }
    drop(out_tx);
    let (exit_tx, exit_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = exit_tx.send(child.wait());
    });

    let status = wait_bounded(&exit_rx, pid, ctx)?
        .map_err(|e| ModuleError(format!("waiting for {}: {e}", cmd.program)))?;
    // Background processes can hold the pipes open after the child exits; wait for them
    // under the same bounds (a timeout kills the whole group, which closes the pipes).
    let mut streams = [Vec::new(), Vec::new()];
    for _ in 0..2 {
        let (idx, data) = wait_bounded(&out_rx, pid, ctx)?;
        streams[idx] = data;
    }
    let [stdout, stderr] = streams;
    Ok(Output {
        rc: exit_code(status),
        stdout,
        stderr,
    })
}

/// A bare program name found on PATH, else in the standard system folders: the agent may
/// be started without sudo's secure_path, and useradd & co. live in /usr/sbin.
fn resolve_program(program: &str, ctx: &Context<'_>) -> PathBuf {
    if program.contains('/') || ctx.environment.contains_key("PATH") {
        return PathBuf::from(program);
    }
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .filter(|d| !d.is_empty())
        .chain([
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ])
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| PathBuf::from(program))
}

fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| -status.signal().unwrap_or(0))
}

fn capture(mut stream: Box<dyn Read + Send>) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut truncated = false;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = MAX_CAPTURE.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                truncated |= n > room;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if truncated {
        kept.extend_from_slice(b"\n[play-agent: output truncated at 4 MiB]\n");
    }
    kept
}

/// Waits for one message, killing the child's process group on timeout or cancellation.
fn wait_bounded<T>(rx: &mpsc::Receiver<T>, pgid: i32, ctx: &Context<'_>) -> Result<T, ModuleError> {
    loop {
        let slice = match ctx.deadline {
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(50)),
            None => Duration::from_millis(50),
        };
        match rx.recv_timeout(slice) {
            Ok(v) => return Ok(v),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(ModuleError("lost track of a child process".into()))
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = ctx.interrupted() {
                    kill_group(pgid);
                    return Err(e);
                }
            }
        }
    }
}

/// SIGTERM to the group, then SIGKILL if anything is left after a short grace.
fn kill_group(pgid: i32) {
    // SAFETY: kill has no memory-safety preconditions; a negative pid names the group.
    unsafe { libc::kill(-pgid, libc::SIGTERM) };
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        // Signal 0 probes whether any member of the group is left.
        if unsafe { libc::kill(-pgid, 0) } != 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicBool;

    fn sh(script: &str) -> Cmd {
        Cmd::new("/bin/sh", &["-c", script])
    }

    #[test]
    fn captures_output_rc_env_and_stdin() {
        let env = BTreeMap::from([("PLAY_X".to_string(), "42".to_string())]);
        let cancel = AtomicBool::new(false);
        let ctx = Context::new(false, &env, &cancel, None);
        let mut cmd = sh("read line; echo \"$line $PLAY_X\"; echo err >&2; exit 3");
        cmd.stdin = Some(b"hello\n".to_vec());
        let out = run(&cmd, &ctx).unwrap();
        assert_eq!(out.rc, 3);
        assert_eq!(out.stdout_text(), "hello 42\n");
        assert_eq!(out.stderr_text(), "err\n");
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let cancel = AtomicBool::new(false);
        let env = BTreeMap::new();
        let ctx = Context::new(false, &env, &cancel, Some(Duration::from_secs(1)));
        let started = Instant::now();
        let err = run(&sh("sleep 30 | cat; echo never"), &ctx).unwrap_err();
        assert!(err.0.contains("timed out after 1 s"), "{}", err.0);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn cancel_kills_the_child() {
        let cancel = std::sync::Arc::new(AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&cancel);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let env = BTreeMap::new();
        let ctx = Context::new(false, &env, &cancel, None);
        let started = Instant::now();
        let err = run(&sh("sleep 30"), &ctx).unwrap_err();
        assert!(err.0.contains("closed the connection"), "{}", err.0);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn missing_program_is_a_clear_error() {
        let err = run(&Cmd::new("/no/such/prog", &[]), &Context::detached(false)).unwrap_err();
        assert!(err.0.contains("could not start /no/such/prog"), "{}", err.0);
    }

    #[test]
    fn become_user_runs_with_that_uid() {
        let ctx = Context::detached(false);
        let mut cmd = Cmd::new("/usr/bin/id", &["-u"]);
        cmd.as_user = Some("nobody".into());
        let out = run(&cmd, &ctx).unwrap();
        let nobody = accounts::user_by_name("nobody").unwrap();
        assert_eq!(out.stdout_text().trim(), nobody.uid.to_string());
        cmd.as_user = Some("no-such-user-play".into());
        assert!(run(&cmd, &ctx).unwrap_err().0.contains("does not exist"));
    }
}
