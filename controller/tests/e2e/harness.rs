//! Small helpers: locating the testbed, running `play`, reading its output, and a lock so
//! testbed tests don't interleave.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

static TESTBED_LOCK: Mutex<()> = Mutex::new(());

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The testbed's state folder (written by tests/testbed/up.sh).
pub struct Testbed {
    pub dir: PathBuf,
    _guard: MutexGuard<'static, ()>,
}

impl Testbed {
    /// Takes the testbed for one test. Fails loudly when it is not up: CI brings it up, and a
    /// skipped end-to-end test would be a lie.
    pub fn get() -> Testbed {
        let guard = TESTBED_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::var_os("PLAY_TESTBED_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join(".testbed/playtb"));
        assert!(
            dir.join("hosts.ini").is_file(),
            "the testbed is not up ({} has no hosts.ini): run tests/testbed/up.sh, or the whole suite with tests/run-all.sh",
            dir.display()
        );
        Testbed { dir, _guard: guard }
    }

    pub fn inventory(&self) -> PathBuf {
        self.dir.join("hosts.ini")
    }

    pub fn env(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.join("env.sh")).expect("env.sh");
        for line in text.lines() {
            let line = line.trim_start_matches("export ");
            if let Some(v) = line.strip_prefix(&format!("{name}=")) {
                return v.trim_matches(|c| c == '"' || c == '\'').to_string();
            }
        }
        panic!("{name} not in env.sh")
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.env(name)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    fn index_of(&self, vm: &str) -> usize {
        self.vms()
            .iter()
            .position(|v| v == vm)
            .unwrap_or_else(|| panic!("no VM {vm} in the testbed"))
    }

    /// The container behind a VM name.
    pub fn container(&self, vm: &str) -> String {
        self.list("TESTBED_VM_CONTAINERS")[self.index_of(vm)].clone()
    }

    /// A VM's private address.
    pub fn ip(&self, vm: &str) -> String {
        self.list("TESTBED_VM_IPS")[self.index_of(vm)].clone()
    }

    /// Runs a shell command inside the VM's container (not through play or SSH).
    pub fn exec(&self, vm: &str, cmd: &str) -> Output {
        Command::new("docker")
            .args(["exec", &self.container(vm), "sh", "-c", cmd])
            .output()
            .expect("docker exec")
    }

    pub fn vms(&self) -> Vec<String> {
        self.list("TESTBED_VM_NAMES")
    }
}

/// Runs `play` with args; returns (exit code, stdout, stderr).
pub fn play(args: &[&str]) -> (i32, String, String) {
    play_in(&repo_root(), args)
}

pub fn play_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_play"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run play");
    let code = out.status.code().unwrap_or(-1);
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The recap counters for a host: `ok=3 changed=1 ...` → value of `key`.
pub fn recap_value(stdout: &str, host: &str, key: &str) -> u32 {
    let recap = stdout.rsplit("PLAY RECAP").next().unwrap_or("");
    for line in recap.lines() {
        if line.split_whitespace().next() == Some(host) {
            let needle = format!("{key}=");
            if let Some(rest) = line.split(&needle).nth(1) {
                return rest
                    .split_whitespace()
                    .next()
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0);
            }
        }
    }
    panic!("no recap line for {host} in:\n{stdout}")
}

/// A temp dir for a test's own files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("play-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Fails with the whole output when the condition is false.
#[macro_export]
macro_rules! check {
    ($cond:expr, $out:expr) => {
        assert!(
            $cond,
            "{}\n--- stdout/stderr ---\n{}\n{}",
            stringify!($cond),
            $out.1,
            $out.2
        )
    };
}
