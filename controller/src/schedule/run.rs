//! One scheduled run (`play schedule run NAME`, what the timer calls): take the run lock or
//! skip and say so, run the playbook with `--report` into the schedule's report folder, put the
//! summary block on top of that report, prune old reports. The playbook run itself is passed
//! in, so this is tested without hosts.

use super::lock::{try_lock, Attempt};
use super::reports::{self, RunStatus, Summary};
use super::state::{private_dir, write_private, ScheduleState};
use super::{time, Paths};
use serde_json::Value;
use std::future::Future;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

/// What a scheduled run produced.
#[derive(Debug)]
pub struct Outcome {
    pub summary: Summary,
    pub report: PathBuf,
}

/// Runs `play(report_path)` under the schedule's lock. `check` is whether the run is in check
/// mode (decides drift); `log` gets the lines worth a journal entry.
pub async fn run_once<F, Fut>(
    paths: &Paths,
    state: &ScheduleState,
    check: bool,
    log: &dyn Fn(&str),
    play: F,
) -> Result<Outcome, String>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = i32>,
{
    let name = &state.name;
    let reports_dir = paths.reports_dir(name);
    for dir in [&paths.state_dir, &reports_dir] {
        private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let started = SystemTime::now();
    let started_at = time::rfc3339(started);
    let report = reports::report_path(&reports_dir, &time::file_stamp(started));
    let note = format!("pid={} since={started_at}", std::process::id());
    let lock_path = paths.lock_file(name);
    let attempt = try_lock(&lock_path, &note)
        .map_err(|e| format!("cannot open the run lock {}: {e}", lock_path.display()))?;
    let _lock = match attempt {
        Attempt::Acquired(lock) => lock,
        Attempt::Held { holder } => {
            let holder = if holder.is_empty() {
                "another process".to_string()
            } else {
                holder
            };
            let message = format!(
                "skipped: another run of schedule '{name}' holds {} ({holder}); overlapping runs are skipped, never stacked",
                lock_path.display()
            );
            log(&message);
            let summary = Summary {
                schedule: name.clone(),
                status: RunStatus::SkippedOverlap,
                check,
                started_at,
                duration_secs: 0.0,
                changed_hosts: Vec::new(),
                failed_hosts: Vec::new(),
                unreachable_hosts: Vec::new(),
                exit_code: RunStatus::SkippedOverlap.exit_code(),
                play_exit_code: None,
                message: Some(message),
            };
            write_report(&report, Value::Null, &summary)?;
            return Ok(Outcome { summary, report });
        }
    };

    let clock = Instant::now();
    let play_code = play(report.clone()).await;
    let duration_secs = (clock.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let (body, message) = match std::fs::read_to_string(&report)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    {
        Some(v) => (v, None),
        None => (
            Value::Null,
            Some(format!(
                "the run stopped before it wrote a report (exit {play_code}): the playbook or inventory did not load; see `play schedule logs {name}`"
            )),
        ),
    };
    let hosts = reports::host_outcomes(&body);
    let status = reports::status_for(play_code, check, &hosts);
    let summary = Summary {
        schedule: name.clone(),
        status,
        check,
        started_at,
        duration_secs,
        changed_hosts: hosts.changed,
        failed_hosts: hosts.failed,
        unreachable_hosts: hosts.unreachable,
        exit_code: status.exit_code(),
        play_exit_code: Some(play_code),
        message,
    };
    write_report(&report, body, &summary)?;
    if let Err(e) = reports::prune(&reports_dir, state.keep) {
        log(&format!(
            "warning: cannot prune old reports in {}: {e}",
            reports_dir.display()
        ));
    }
    Ok(Outcome { summary, report })
}

fn write_report(path: &std::path::Path, body: Value, summary: &Summary) -> Result<(), String> {
    let value = reports::with_summary(body, summary);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    write_private(path, text.as_bytes())
        .map_err(|e| format!("cannot write the report {}: {e}", path.display()))
}

/// The one line a run logs at its end (also what `logs` shows per report).
pub fn describe(summary: &Summary) -> String {
    let hosts = |label: &str, v: &[String]| {
        if v.is_empty() {
            String::new()
        } else {
            format!(", {label}: {}", v.join(" "))
        }
    };
    let changed_label = if summary.check {
        "would change"
    } else {
        "changed"
    };
    format!(
        "{}{}{}{} in {:.1}s",
        summary.status.as_str(),
        hosts(changed_label, &summary.changed_hosts),
        hosts("failed", &summary.failed_hosts),
        hosts("unreachable", &summary.unreachable_hosts),
        summary.duration_secs
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::lock::try_lock;
    use crate::schedule::test_support::drift_schedule;
    use serde_json::json;
    use std::cell::RefCell;
    use std::os::unix::fs::PermissionsExt;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn fake_play(stats: Value, code: i32) -> impl FnOnce(PathBuf) -> std::future::Ready<i32> {
        move |path: PathBuf| {
            let report = json!({"plays": [], "stats": stats, "warnings": [], "duration_secs": 0.1});
            std::fs::write(&path, report.to_string()).unwrap();
            std::future::ready(code)
        }
    }

    #[test]
    fn a_drifted_check_run_reports_drift_and_exits_2() {
        let (_d, paths, state) = drift_schedule();
        let lines = RefCell::new(Vec::<String>::new());
        let log = |l: &str| lines.borrow_mut().push(l.to_string());
        let stats = json!({"vm1": {"changed": 0, "failures": 0, "unreachable": 0},
                           "vm2": {"changed": 1, "failures": 0, "unreachable": 0}});
        let out = block_on(run_once(&paths, &state, true, &log, fake_play(stats, 0))).unwrap();
        assert_eq!(out.summary.status, RunStatus::Drift);
        assert_eq!(out.summary.exit_code, 2);
        assert_eq!(out.summary.changed_hosts, vec!["vm2"]);
        assert_eq!(
            describe(&out.summary).split(" in ").next(),
            Some("drift, would change: vm2")
        );
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&out.report).unwrap()).unwrap();
        assert_eq!(written["summary"]["status"], "drift");
        assert_eq!(written["stats"]["vm2"]["changed"], 1);
        let mode = std::fs::metadata(&out.report).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(paths.reports_dir("drift"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
    }

    #[test]
    fn a_run_while_the_lock_is_held_is_skipped_and_says_so() {
        let (_d, paths, state) = drift_schedule();
        std::fs::create_dir_all(&paths.state_dir).unwrap();
        let held = match try_lock(&paths.lock_file("drift"), "pid=4242 since=then").unwrap() {
            Attempt::Acquired(l) => l,
            Attempt::Held { .. } => unreachable!(),
        };
        let lines = RefCell::new(Vec::<String>::new());
        let log = |l: &str| lines.borrow_mut().push(l.to_string());
        let ran = RefCell::new(false);
        let out = block_on(run_once(&paths, &state, true, &log, |_p| {
            *ran.borrow_mut() = true;
            std::future::ready(0)
        }))
        .unwrap();
        assert!(
            !*ran.borrow(),
            "the playbook ran although the lock was held"
        );
        assert_eq!(out.summary.status, RunStatus::SkippedOverlap);
        assert_eq!(out.summary.exit_code, 75);
        let line = lines.borrow().join("\n");
        assert!(
            line.contains("skipped") && line.contains("pid=4242"),
            "{line}"
        );
        assert_eq!(
            reports::read_summary(&out.report).unwrap().status,
            RunStatus::SkippedOverlap
        );
        drop(held);
        let out = block_on(run_once(
            &paths,
            &state,
            true,
            &log,
            fake_play(json!({}), 0),
        ))
        .unwrap();
        assert_eq!(out.summary.status, RunStatus::Ok);
    }

    #[test]
    fn a_run_that_wrote_no_report_is_a_failure_with_a_reason() {
        let (_d, paths, state) = drift_schedule();
        let out = block_on(run_once(&paths, &state, false, &|_| {}, |_p| {
            std::future::ready(4)
        }))
        .unwrap();
        assert_eq!(out.summary.status, RunStatus::Failed);
        assert_eq!(out.summary.play_exit_code, Some(4));
        assert!(out.summary.message.unwrap().contains("did not load"));
    }

    #[test]
    fn runs_prune_to_keep() {
        let (_d, paths, mut state) = drift_schedule();
        state.keep = 2;
        for _ in 0..4 {
            block_on(run_once(
                &paths,
                &state,
                true,
                &|_| {},
                fake_play(json!({}), 0),
            ))
            .unwrap();
            // Report names have millisecond resolution.
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
        assert_eq!(reports::list(&paths.reports_dir("drift")).unwrap().len(), 2);
    }
}
