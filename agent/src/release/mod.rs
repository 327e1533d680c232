//! The release transaction (DESIGN.md, "The release transaction"): one agent request swaps a
//! service's container for a new image or config, safely.
//!
//! lock → pull (a failed pull changes nothing) → compare image ID, config hash and env-file
//! hash with the running container → stop the old one (kept), start `<service>-next`, wait
//! until healthy (bounded) → rename the new one to `<service>` and keep the old one stopped as
//! `<service>-previous`; or, never healthy: capture its last log lines, remove it, restart the
//! old one → append the outcome to the history → unlock. Images of the last `keep_releases`
//! releases are kept for rollback; older ones are pruned when no container uses them.
//!
//! State lives under `PLAY_STATE_DIR` (default `/var/lib/play`): `locks/<service>` and
//! `releases/<service>.jsonl`. Signals (SIGINT/TERM/HUP) are deferred for the whole
//! transaction, and the agent's stdin is not read while it runs, so neither a dropped SSH
//! connection nor a Ctrl-C can leave it half done.

pub mod history;
pub mod lock;
pub mod plan;
pub mod prune;
pub mod signals;
pub mod time;
pub mod transaction;

#[cfg(test)]
mod docker_tests;

use std::path::PathBuf;

/// Where the release state lives.
#[derive(Debug, Clone)]
pub struct StateDir(pub PathBuf);

impl StateDir {
    /// `PLAY_STATE_DIR`, or `/var/lib/play`.
    pub fn from_env() -> StateDir {
        StateDir(
            std::env::var_os("PLAY_STATE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/var/lib/play")),
        )
    }
    pub fn locks(&self) -> PathBuf {
        self.0.join("locks")
    }
    pub fn releases(&self) -> PathBuf {
        self.0.join("releases")
    }
}

/// Serialises the tests that touch process-wide state (signal handlers, the Docker daemon's
/// shared names) so they cannot see each other's effects.
#[cfg(test)]
pub static PROCESS_TEST_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
