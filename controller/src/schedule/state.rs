//! A schedule's state file (`<state dir>/NAME.json`, mode 0600 in a 0700 folder): what `add`
//! was given, read back by `run`. The play arguments may hold secrets (`-e password=...`), so
//! they live only here, never in a unit file or an argv.

use serde::{Deserialize, Serialize};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleState {
    pub name: String,
    pub on_calendar: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Run in check mode: report drift instead of changing anything.
    pub check: bool,
    /// Reports kept.
    pub keep: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub randomized_delay_secs: Option<u64>,
    /// The folder `add` ran in: relative paths in `play_args` are relative to it.
    pub working_directory: PathBuf,
    /// What `play` is run with (without `--report`, which each run sets).
    pub play_args: Vec<String>,
    /// The play binary the service runs.
    pub play_binary: PathBuf,
    pub created_at: String,
}

impl ScheduleState {
    pub fn load(path: &Path, name: &str) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "no schedule named '{name}' ({} does not exist); see `play schedule list`",
                path.display()
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "cannot read {}: permission denied (schedules are root's: run with sudo)",
                path.display()
            ),
            _ => format!("cannot read {}: {e}", path.display()),
        })?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a schedule state file ({e}); remove it with `play schedule remove {name}` and add the schedule again",
                path.display()
            )
        })
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        write_private(path, text.as_bytes())
    }
}

/// Creates a folder (and its parents) readable only by its owner; tightens an existing one.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Writes a file readable only by its owner, atomically (`files::write_private`).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::files::write_private(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ScheduleState {
        ScheduleState {
            name: "drift".into(),
            on_calendar: "hourly".into(),
            description: None,
            check: true,
            keep: 30,
            randomized_delay_secs: None,
            working_directory: "/srv/ops".into(),
            play_args: vec!["-i".into(), "inv.ini".into(), "site.yml".into()],
            play_binary: "/usr/local/bin/play".into(),
            created_at: "2026-11-25T12:00:00.000Z".into(),
        }
    }

    #[test]
    fn saved_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("schedules");
        let path = state_dir.join("drift.json");
        sample().save(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&state_dir), 0o700);
        assert_eq!(ScheduleState::load(&path, "drift").unwrap(), sample());
    }

    #[test]
    fn missing_and_broken_state_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let err = ScheduleState::load(&dir.path().join("x.json"), "x").unwrap_err();
        assert!(err.contains("no schedule named 'x'"), "{err}");
        std::fs::write(dir.path().join("y.json"), "{").unwrap();
        let err = ScheduleState::load(&dir.path().join("y.json"), "y").unwrap_err();
        assert!(err.contains("play schedule remove y"), "{err}");
    }
}
