//! Everything play prints goes through here: one [`Printer`] per run, in human or JSON mode.
//!
//! The run engine reports events (play started, task started, a host's result, the recap);
//! the printer turns them into Ansible's familiar lines, collects the JSON report, and
//! censors every known secret on the way out, so no other code path can leak one.

mod human;
mod junit;
pub mod release_view;
mod report;
mod secrets;
mod stats;

pub use report::Report;
pub use secrets::Secrets;
pub use stats::{HostStats, Stats};

use serde_json::Value;
use std::io::Write;
use std::sync::Mutex;

/// A banner as the run prints them (`PLAN [name] *****`), for commands' own sections.
pub fn banner(word: &str, name: &str) -> String {
    human::banner(word, Some(name))
}

/// How a host's task ended, as the recap counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Changed,
    Skipped,
    Failed,
    Unreachable,
}

/// One host's result for one task (or one loop item).
#[derive(Debug, Clone)]
pub struct HostResult<'a> {
    pub host: &'a str,
    pub status: Status,
    /// The loop item's label, for `(item=...)`.
    pub item: Option<String>,
    /// The result as registered (msg, rc, stdout, diff, ...), already censored for no_log.
    pub result: &'a Value,
    /// The failure was ignored (`ignore_errors`).
    pub ignored: bool,
    /// The task was secret: print nothing of its result.
    pub no_log: bool,
    /// Whether this line is for the loop's summary (after all items).
    pub is_loop_summary: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Human,
    Json,
}

pub struct PrinterOptions {
    pub mode: Mode,
    pub color: bool,
    pub verbosity: u8,
    pub diff: bool,
    pub check: bool,
}

/// The single way output leaves play.
pub struct Printer {
    opts: PrinterOptions,
    secrets: Secrets,
    out: Mutex<Box<dyn Write + Send>>,
    err: Mutex<Box<dyn Write + Send>>,
    report: Mutex<Report>,
}

impl Printer {
    pub fn new(opts: PrinterOptions, secrets: Secrets) -> Self {
        Self::with_writers(
            opts,
            secrets,
            Box::new(std::io::stdout()),
            Box::new(std::io::stderr()),
        )
    }

    pub fn with_writers(
        opts: PrinterOptions,
        secrets: Secrets,
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
    ) -> Self {
        Self {
            opts,
            secrets,
            out: Mutex::new(out),
            err: Mutex::new(err),
            report: Mutex::new(Report::default()),
        }
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// `--json`: stdout carries the JSON report only.
    pub fn is_json(&self) -> bool {
        self.opts.mode == Mode::Json
    }

    pub fn verbosity(&self) -> u8 {
        self.opts.verbosity
    }

    fn human(&self) -> bool {
        self.opts.mode == Mode::Human
    }

    /// Writes human output (censored); nothing in JSON mode.
    fn emit(&self, text: &str) {
        if self.human() {
            let text = self.secrets.censor(text);
            let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }

    /// A warning or error for the operator, on stderr in every mode.
    pub fn warn(&self, msg: &str) {
        let text = self.secrets.censor(msg);
        let line = human::colorize(
            self.opts.color,
            human::Color::Magenta,
            &format!("[WARNING]: {text}"),
        );
        let mut err = self.err.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(err, "{line}");
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .warnings
            .push(text);
    }

    /// An error that stops the run, on stderr.
    pub fn error(&self, msg: &str) {
        let text = self.secrets.censor(msg);
        let line = human::colorize(
            self.opts.color,
            human::Color::Red,
            &format!("ERROR! {text}"),
        );
        let mut err = self.err.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(err, "{line}");
    }

    /// Plain text the operator asked for (`--list-hosts`, `inventory --graph`), on stdout.
    pub fn plain(&self, text: &str) {
        let text = self.secrets.censor(text);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// Verbose diagnostics (`-v` levels), on stdout in human mode as Ansible prints them.
    pub fn verbose(&self, level: u8, msg: &str) {
        if self.opts.verbosity >= level {
            self.emit(&format!(
                "{}\n",
                human::colorize(self.opts.color, human::Color::Blue, msg)
            ));
        }
    }

    pub fn play_start(&self, name: &str) {
        self.emit(&human::banner("PLAY", Some(name)));
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .start_play(name);
    }

    pub fn task_start(&self, name: &str, location: Option<&str>, is_handler: bool) {
        let word = if is_handler {
            "RUNNING HANDLER"
        } else {
            "TASK"
        };
        let mut text = human::banner(word, Some(name));
        if let (Some(loc), true) = (location, self.opts.verbosity >= 2) {
            text.push_str(&format!("task path: {loc}\n"));
        }
        self.emit(&text);
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .start_task(name, location);
    }

    pub fn host_result(&self, r: &HostResult<'_>) {
        let line = human::host_line(r, &self.opts);
        self.emit(&line);
        if !r.is_loop_summary || r.item.is_none() {
            let censored = self.secrets.censor_value(r.result);
            self.report
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .host_result(r, censored);
        }
    }

    /// A message printed as-is under the current task (e.g. `...ignoring`).
    pub fn note(&self, text: &str) {
        self.emit(&format!("{text}\n"));
    }

    pub fn set_agent_bytes_uploaded(&self, bytes: u64) {
        self.report
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .agent_bytes_uploaded = bytes;
    }

    pub fn recap(&self, stats: &Stats, duration: std::time::Duration) {
        self.emit(&human::recap(stats, self.opts.color, duration));
        let mut report = self.report.lock().unwrap_or_else(|e| e.into_inner());
        report.finish(stats, duration);
        if !self.human() {
            let text = self.secrets.censor(&report.to_json_string());
            drop(report);
            self.plain(&text);
        }
    }

    /// The report as JUnit XML (censored), for `--junit FILE`.
    pub fn report_junit(&self) -> String {
        let report = self.report.lock().unwrap_or_else(|e| e.into_inner());
        junit::render(&report, &self.secrets)
    }

    /// The JSON report so far (censored), for `--report FILE`.
    pub fn report_json(&self) -> String {
        let report = self.report.lock().unwrap_or_else(|e| e.into_inner());
        self.secrets.censor(&report.to_json_string())
    }
}
