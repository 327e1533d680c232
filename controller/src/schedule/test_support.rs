//! What the schedule tests start from, in one place so they agree on it.

use super::state::ScheduleState;
use super::{Paths, DEFAULT_KEEP};

/// A check-mode schedule `drift`, every 20 seconds, keeping the default number of reports,
/// with its state and unit folders in a fresh temp folder (kept as long as the `TempDir`
/// lives). Its play arguments hold a secret, `s3cr3t-value`, that must never reach a unit
/// file; tests change the fields they are about.
pub fn drift_schedule() -> (tempfile::TempDir, Paths, ScheduleState) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths {
        state_dir: dir.path().join("state"),
        unit_dir: dir.path().join("units"),
    };
    let state = ScheduleState {
        name: "drift".into(),
        on_calendar: "*:*:0/20".into(),
        description: None,
        check: true,
        keep: DEFAULT_KEEP,
        randomized_delay_secs: None,
        working_directory: dir.path().to_path_buf(),
        play_args: vec!["-e".into(), "token=s3cr3t-value".into(), "site.yml".into()],
        play_binary: "/usr/local/bin/play".into(),
        created_at: String::new(),
    };
    (dir, paths, state)
}
