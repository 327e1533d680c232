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
//! State lives under `PLAY_STATE_DIR` (default `/var/lib/play`, 0700): `locks/<service>`,
//! `releases/<service>.jsonl`, and `hash.key`, the key of every hash of a secret the release
//! stores (history lines, container labels; see `crate::hash_key`). Signals (SIGINT/TERM/HUP) are deferred for the whole
//! transaction (a caught one ends the health wait and restores the old container), and the
//! end of the agent's input (a dropped SSH connection: `serve` sets the cancel flag, which
//! kills child processes of other modules) does not cancel it: the agent finishes or undoes
//! the release, writes the history and unlocks before it exits, so neither a dropped
//! connection nor a Ctrl-C can leave it half done (tested end to end in
//! controller/tests/e2e/faults_release.rs).

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
    /// The host's hash key (`crate::hash_key`).
    pub fn hash_key(&self) -> PathBuf {
        self.0.join("hash.key")
    }
}

/// Creates `dir` (and missing parents) mode 0700, and narrows it to 0700 when it already
/// exists wider: the lock and history folders are root's alone, whoever made them first.
pub fn private_dir(dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let meta =
        std::fs::metadata(dir).map_err(|e| format!("cannot inspect {}: {e}", dir.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot make {} private (mode 0700): {e}", dir.display()))?;
    }
    Ok(())
}

/// Serialises the tests that touch process-wide state (signal handlers, the Docker daemon's
/// shared names) so they cannot see each other's effects.
#[cfg(test)]
pub static PROCESS_TEST_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_dir_creates_0700_and_narrows_a_wider_one() {
        let root = tempfile::tempdir().unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let fresh = root.path().join("a/locks");
        super::private_dir(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        let wide = root.path().join("releases");
        std::fs::create_dir(&wide).unwrap();
        std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o755)).unwrap();
        super::private_dir(&wide).unwrap();
        assert_eq!(mode(&wide), 0o700);
    }
}
