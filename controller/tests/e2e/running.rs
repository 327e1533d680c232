//! Background `play` runs and bounded waits, shared by the fault tests: start play with its
//! output going to files, signal it, wait for it with a bound; poll a condition inside a VM
//! until it holds (never a fixed sleep); read a host's `fatal:` line.

use crate::harness::{repo_root, Testbed};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A play run in the background, its output going to files we can read while it runs.
pub struct Running {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

pub fn spawn_play(dir: &Path, args: &[&str]) -> Running {
    let out = dir.join("play.out");
    let err = dir.join("play.err");
    let child = Command::new(env!("CARGO_BIN_EXE_play"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("start play");
    Running { child, out, err }
}

impl Running {
    pub fn output(&self) -> (String, String) {
        (
            std::fs::read_to_string(&self.out).unwrap_or_default(),
            std::fs::read_to_string(&self.err).unwrap_or_default(),
        )
    }

    /// Waits for play to exit within `bound`; kills it and fails the test otherwise.
    pub fn finish(mut self, bound: Duration) -> (i32, String, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let (o, e) = self.output();
                return (status.code().unwrap_or(-1), o, e);
            }
            if start.elapsed() > bound {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let (o, e) = self.output();
                panic!("play still running after {bound:?}; killed it\n--- stdout ---\n{o}\n--- stderr ---\n{e}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} failed");
    }
}

/// Polls `cmd` in the VM until it exits 0; panics with `what` after `bound`.
pub fn wait_in_vm(tb: &Testbed, vm: &str, cmd: &str, bound: Duration, what: &str) {
    let start = Instant::now();
    while start.elapsed() < bound {
        if tb.exec(vm, cmd).status.success() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{vm}: {what} not seen within {bound:?} (`{cmd}`)");
}

pub fn docker(args: &[&str]) {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until the slow task's `sleep` runs on `vm`: play is then inside the task there.
pub fn wait_sleeping(tb: &Testbed, vm: &str, secs: &str) {
    wait_in_vm(
        tb,
        vm,
        &format!("pgrep -f '^(/usr/bin/)?sleep {secs}$' >/dev/null"),
        Duration::from_secs(60),
        "the slow task's sleep",
    );
}

pub fn no_agent_left(tb: &Testbed, vm: &str) {
    // `[p]` keeps pgrep from matching this very shell's command line.
    wait_in_vm(
        tb,
        vm,
        "! pgrep -f '[p]lay-agent' >/dev/null",
        Duration::from_secs(15),
        "no play-agent process",
    );
}

pub fn message_of(stdout: &str, host: &str) -> String {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("fatal: [{host}]")))
        .unwrap_or_else(|| panic!("no fatal line for {host} in:\n{stdout}"))
        .to_string()
}

/// Polls `cond` every 100 ms until it holds; panics with `what` after `bound`.
pub fn wait_for(bound: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < bound {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} not seen within {bound:?}");
}

/// Runs a shell command in any container (the bastion, a VM) by its container name.
pub fn exec_in(container: &str, cmd: &str) -> std::process::Output {
    Command::new("docker")
        .args(["exec", container, "sh", "-c", cmd])
        .output()
        .expect("docker exec")
}
