//! `play schedule ...` as clap types: raw values only; `commands::schedule` resolves them.

use super::{DEFAULT_KEEP, DEFAULT_STATE_DIR, DEFAULT_UNIT_DIR};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Scheduled runs on this machine as systemd timers: apply a playbook regularly, or check for
/// drift (`--check`: the run exits 2 when anything would change).
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    pub action: ScheduleAction,

    /// Folder of the schedules' state files, locks and reports (root-only).
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_STATE_DIR, env = "PLAY_SCHEDULE_DIR")]
    pub state_dir: PathBuf,

    /// Folder the service and timer units are written to.
    #[arg(long, global = true, value_name = "DIR", default_value = DEFAULT_UNIT_DIR, hide = true)]
    pub unit_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleAction {
    /// Add a schedule: `play schedule add NAME --on-calendar SPEC [--check] -- -i INV PLAYBOOK...`
    Add(AddArgs),
    /// List the schedules: calendar, next and last run, last result.
    List(ListArgs),
    /// Stop, disable and delete a schedule's units and state (reports stay unless --purge).
    Remove(RemoveArgs),
    /// Run a schedule now, as its timer does: under its run lock, writing a report.
    Run(NameArg),
    /// Show a schedule's journal and its newest reports.
    Logs(LogsArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Schedule name: lowercase letters, digits and '-' (the units are play-NAME.*).
    #[arg(value_name = "NAME")]
    pub name: String,

    /// When to run, in systemd's OnCalendar syntax: `hourly`, `*-*-* 03:00:00`, `*:0/15`.
    #[arg(long = "on-calendar", value_name = "SPEC")]
    pub on_calendar: String,

    /// Check mode: change nothing; the run exits 2 (and its report says `drift`) when anything
    /// would change.
    #[arg(short = 'C', long)]
    pub check: bool,

    /// Text for the units' Description (never put a secret here: unit files are world-readable).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    /// Reports kept for this schedule (the newest N).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_KEEP)]
    pub keep: usize,

    /// Spread the start over up to this many seconds (RandomizedDelaySec), so many bastions
    /// don't all start at once.
    #[arg(long = "randomized-delay", value_name = "SECONDS")]
    pub randomized_delay: Option<u64>,

    /// Replace a schedule of the same name.
    #[arg(long)]
    pub replace: bool,

    /// The play arguments, after `--`: what `play` would take (`-i INV PLAYBOOK -e @vars.yml`).
    #[arg(last = true, required = true, value_name = "PLAY ARGS")]
    pub play_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Also delete the schedule's reports.
    #[arg(long)]
    pub purge: bool,
}

#[derive(Debug, Args)]
pub struct NameArg {
    #[arg(value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Journal lines to show.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 50)]
    pub lines: usize,

    /// Newest reports to summarize.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub reports: usize,
}
