//! Scheduled runs: `play schedule add|list|remove|run|logs`. A schedule is a systemd timer and
//! a oneshot service on the machine play runs on (typically the bastion); the service calls
//! `play schedule run NAME`, which runs the stored playbook arguments under a run lock and
//! keeps a report per run.
//!
//! The play arguments live in a root-only state file, never in a unit file or an argv, so a
//! `-e password=...` stays out of `systemctl cat` and `ps`. Every piece that decides something
//! (names, unit text, reports, retention, the lock, exit codes) is a pure or file-only function
//! here; `commands::schedule` does the printing and the in-process playbook run.

pub mod cli;
pub mod lock;
pub mod manage;
pub mod play_args;
pub mod reports;
pub mod run;
pub mod state;
#[cfg(test)]
mod test_support;
pub mod time;
pub mod tools;
pub mod units;
pub mod validate;

use std::path::{Path, PathBuf};

/// Where schedules keep their state files, locks and reports (root-only).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/play/schedules";
/// Where the service and timer units are written.
pub const DEFAULT_UNIT_DIR: &str = "/etc/systemd/system";
/// Reports kept per schedule unless `--keep` says otherwise.
pub const DEFAULT_KEEP: usize = 30;

/// Exit codes of `play schedule run` (what the service's `ExecMainStatus` shows).
pub mod exit {
    /// The run succeeded and, in check mode, nothing would change.
    pub const OK: i32 = 0;
    /// The run failed (a host failed or was unreachable, or the playbook did not load); the
    /// report's summary keeps play's own exit code as `play_exit_code`.
    pub const FAILED: i32 = 1;
    /// Check mode only: some host would change (drift from the playbook).
    pub const DRIFT: i32 = 2;
    /// Another run of the same schedule held the lock; this one did nothing (EX_TEMPFAIL).
    /// The service lists it in `SuccessExitStatus=`, so systemd does not mark the unit failed.
    pub const SKIPPED_OVERLAP: i32 = 75;
}

/// The files of every schedule, from the two folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub state_dir: PathBuf,
    pub unit_dir: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from(DEFAULT_STATE_DIR),
            unit_dir: PathBuf::from(DEFAULT_UNIT_DIR),
        }
    }
}

impl Paths {
    /// Absolute paths, so a run that changes into the schedule's working folder still finds
    /// its own files.
    pub fn absolute(state_dir: &Path, unit_dir: &Path) -> std::io::Result<Self> {
        Ok(Self {
            state_dir: std::path::absolute(state_dir)?,
            unit_dir: std::path::absolute(unit_dir)?,
        })
    }

    pub fn state_file(&self, name: &str) -> PathBuf {
        self.state_dir.join(format!("{name}.json"))
    }

    pub fn lock_file(&self, name: &str) -> PathBuf {
        self.state_dir.join(format!("{name}.lock"))
    }

    pub fn reports_dir(&self, name: &str) -> PathBuf {
        self.state_dir.join("reports").join(name)
    }

    pub fn service_file(&self, name: &str) -> PathBuf {
        self.unit_dir.join(service_unit(name))
    }

    pub fn timer_file(&self, name: &str) -> PathBuf {
        self.unit_dir.join(timer_unit(name))
    }

    /// The state folder is not the default: the service must name it on its command line.
    pub fn custom_state_dir(&self) -> Option<&Path> {
        (self.state_dir != Path::new(DEFAULT_STATE_DIR)).then_some(self.state_dir.as_path())
    }
}

pub fn service_unit(name: &str) -> String {
    format!("play-{name}.service")
}

pub fn timer_unit(name: &str) -> String {
    format!("play-{name}.timer")
}
