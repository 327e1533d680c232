//! Adding, removing and listing schedules: the state file, the unit files and the systemctl
//! calls, in an order that leaves nothing half-installed when a step fails. Printing is the
//! caller's; every function returns what happened.

use super::reports::{self, Summary};
use super::state::{private_dir, ScheduleState};
use super::tools::{checked, Tools};
use super::units::{render_service, render_timer};
use super::{service_unit, timer_unit, validate, Paths};
use crate::files::write_atomic;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct Added {
    /// systemd's next start, from `systemd-analyze calendar` (when installed).
    pub next_elapse: Option<String>,
    pub service: PathBuf,
    pub timer: PathBuf,
    pub state: PathBuf,
}

/// Writes the state file and both units, reloads systemd and starts the timer. A new schedule
/// whose timer does not start is taken out again.
pub fn add(
    paths: &Paths,
    tools: &dyn Tools,
    state: &ScheduleState,
    replace: bool,
) -> Result<Added, String> {
    let name = &state.name;
    validate::name(name)?;
    if let Some(d) = &state.description {
        validate::unit_value("description", d)?;
    }
    let next_elapse = validate::calendar(&state.on_calendar, tools)?;
    let files = [
        paths.state_file(name),
        paths.service_file(name),
        paths.timer_file(name),
    ];
    if !replace {
        if let Some(existing) = files.iter().find(|p| p.exists()) {
            return Err(format!(
                "a schedule named '{name}' exists ({}): use `--replace`, or `play schedule remove {name}` first",
                existing.display()
            ));
        }
    }
    // Render before writing anything: a path a unit cannot hold fails here, cleanly.
    let service = render_service(state, paths.custom_state_dir())?;
    let timer = render_timer(state);

    private_dir(&paths.state_dir).map_err(|e| io_error(&paths.state_dir, e))?;
    state.save(&files[0]).map_err(|e| io_error(&files[0], e))?;
    let written = std::fs::create_dir_all(&paths.unit_dir)
        .and_then(|_| write_atomic(&files[1], service.as_bytes(), 0o644))
        .and_then(|_| write_atomic(&files[2], timer.as_bytes(), 0o644));
    let started = written
        .map_err(|e| io_error(&paths.unit_dir, e))
        .and_then(|_| start(tools, name, replace));
    if let Err(e) = started {
        if !replace {
            for f in &files {
                let _ = std::fs::remove_file(f);
            }
            let _ = tools.run("systemctl", &["daemon-reload"]);
        }
        return Err(e);
    }
    Ok(Added {
        next_elapse,
        service: files[1].clone(),
        timer: files[2].clone(),
        state: files[0].clone(),
    })
}

fn start(tools: &dyn Tools, name: &str, replace: bool) -> Result<(), String> {
    let timer = timer_unit(name);
    checked(tools, "systemctl", &["daemon-reload"])?;
    checked(tools, "systemctl", &["enable", "--now", &timer])?;
    if replace {
        // A timer that was already active keeps its old next elapse until restarted.
        checked(tools, "systemctl", &["restart", &timer])?;
    }
    Ok(())
}

fn io_error(path: &Path, e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        format!(
            "cannot write {}: permission denied (schedules install systemd units: run with sudo)",
            path.display()
        )
    } else {
        format!("cannot write {}: {e}", path.display())
    }
}

#[derive(Debug, Default)]
pub struct Removed {
    /// Steps that failed without stopping the removal (a unit systemd did not know).
    pub warnings: Vec<String>,
    /// The reports folder, when it was kept.
    pub reports_kept: Option<PathBuf>,
}

/// Stops and disables the timer, stops a running service, deletes the units, the state file
/// and the lock; the reports too with `purge`.
pub fn remove(
    paths: &Paths,
    tools: &dyn Tools,
    name: &str,
    purge: bool,
) -> Result<Removed, String> {
    validate::name(name)?;
    let files = [
        paths.timer_file(name),
        paths.service_file(name),
        paths.state_file(name),
        paths.lock_file(name),
    ];
    let reports_dir = paths.reports_dir(name);
    let anything = files.iter().any(|f| f.exists()) || (purge && reports_dir.exists());
    if !anything {
        return Err(format!(
            "no schedule named '{name}' (no {} nor {}); see `play schedule list`",
            files[2].display(),
            files[0].display()
        ));
    }
    let mut out = Removed::default();
    let (timer, service) = (timer_unit(name), service_unit(name));
    let soft = |out: &mut Removed, args: &[&str]| {
        if let Err(e) = checked(tools, "systemctl", args) {
            out.warnings.push(e);
        }
    };
    soft(&mut out, &["disable", "--now", &timer]);
    soft(&mut out, &["stop", &service]);
    for f in &files {
        match std::fs::remove_file(f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot delete {}: {e}", f.display())),
        }
    }
    checked(tools, "systemctl", &["daemon-reload"])?;
    // A drift run leaves the service "failed"; forget that with the unit.
    let _ = tools.run("systemctl", &["reset-failed", &service, &timer]);
    if purge {
        match std::fs::remove_dir_all(&reports_dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot delete {}: {e}", reports_dir.display())),
        }
    } else if reports_dir.exists() {
        out.reports_kept = Some(reports_dir);
    }
    Ok(out)
}

/// One row of `play schedule list`.
#[derive(Debug, serde::Serialize)]
pub struct Listed {
    pub name: String,
    pub on_calendar: String,
    pub check: bool,
    /// `running`, or the timer's ActiveState (`active`, `inactive`, ...).
    pub state: String,
    pub next_run: String,
    pub last_run: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_result: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_report: Option<PathBuf>,
}

/// Every schedule with a state file, by name.
pub fn list(paths: &Paths, tools: &dyn Tools) -> Result<Vec<Listed>, String> {
    let entries = match std::fs::read_dir(&paths.state_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", paths.state_dir.display())),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e.file_name().to_str()?.strip_suffix(".json")?.to_string();
            validate::name(&n).ok().map(|_| n)
        })
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let state = ScheduleState::load(&paths.state_file(&name), &name)?;
        let timer = show(
            tools,
            &timer_unit(&name),
            "ActiveState,NextElapseUSecRealtime,LastTriggerUSec",
        );
        let service = show(tools, &service_unit(&name), "ActiveState");
        let get = |m: &[(String, String)], k: &str| {
            m.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty() && v != "n/a")
                .unwrap_or_else(|| "-".into())
        };
        let running = get(&service, "ActiveState") == "activating";
        let last = reports::newest_summaries(&paths.reports_dir(&name), 1)
            .into_iter()
            .next();
        out.push(Listed {
            name: name.clone(),
            on_calendar: state.on_calendar,
            check: state.check,
            state: if running {
                "running".into()
            } else {
                get(&timer, "ActiveState")
            },
            next_run: get(&timer, "NextElapseUSecRealtime"),
            last_run: get(&timer, "LastTriggerUSec"),
            last_report: last.as_ref().map(|(p, _)| p.clone()),
            last_result: last.and_then(|(_, s)| s),
        });
    }
    Ok(out)
}

/// `systemctl show UNIT -p PROPS` as key/value pairs; empty when systemctl cannot answer.
fn show(tools: &dyn Tools, unit: &str, props: &str) -> Vec<(String, String)> {
    checked(tools, "systemctl", &["show", unit, "-p", props])
        .map(|text| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.trim().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The newest `lines` journal lines of the schedule's service.
pub fn journal(tools: &dyn Tools, name: &str, lines: usize) -> Result<String, String> {
    checked(
        tools,
        "journalctl",
        &[
            "-u",
            &service_unit(name),
            "-n",
            &lines.to_string(),
            "--no-pager",
            "-o",
            "short-iso",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::test_support::drift_schedule;
    use crate::schedule::tools::fake::FakeTools;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn add_writes_files_then_starts_the_timer() {
        let (_d, paths, state) = drift_schedule();
        let tools = FakeTools::succeeding();
        let added = add(&paths, &tools, &state, false).unwrap();
        assert_eq!(
            tools.calls(),
            vec![
                "systemd-analyze calendar *:*:0/20",
                "systemctl daemon-reload",
                "systemctl enable --now play-drift.timer",
            ]
        );
        assert_eq!(mode(&added.state), 0o600);
        assert_eq!(mode(&paths.state_dir), 0o700);
        assert_eq!(mode(&added.service), 0o644);
        assert_eq!(mode(&added.timer), 0o644);
        let service = std::fs::read_to_string(&added.service).unwrap();
        // A custom state folder is named on the service's command line.
        assert!(service.contains(&format!(
            "schedule --state-dir {} run drift",
            paths.state_dir.display()
        )));
        assert!(!service.contains("s3cr3t"));
        assert_eq!(ScheduleState::load(&added.state, "drift").unwrap(), state);

        let err = add(&paths, &tools, &state, false).unwrap_err();
        assert!(err.contains("--replace"), "{err}");
        add(&paths, &tools, &state, true).unwrap();
        assert!(tools
            .calls()
            .contains(&"systemctl restart play-drift.timer".to_string()));
    }

    #[test]
    fn a_timer_that_does_not_start_leaves_nothing_behind() {
        let (_d, paths, state) = drift_schedule();
        let tools = FakeTools::succeeding();
        tools.answer("systemctl", 0, "", ""); // daemon-reload
        tools.answer("systemctl", 1, "", "Failed to enable unit: Access denied");
        let err = add(&paths, &tools, &state, false).unwrap_err();
        assert!(err.contains("Access denied"), "{err}");
        assert!(!paths.state_file("drift").exists());
        assert!(!paths.service_file("drift").exists());
        assert!(!paths.timer_file("drift").exists());
    }

    #[test]
    fn add_validates_before_writing() {
        let (_d, paths, mut state) = drift_schedule();
        let tools = FakeTools::succeeding();
        state.name = "Bad_Name".into();
        assert!(add(&paths, &tools, &state, false).is_err());
        state.name = "ok".into();
        state.description = Some("two\nlines".into());
        assert!(add(&paths, &tools, &state, false).is_err());
        assert!(tools.calls().is_empty(), "{:?}", tools.calls());
        assert!(!paths.state_dir.exists());
    }

    #[test]
    fn remove_keeps_reports_unless_purged() {
        let (_d, paths, state) = drift_schedule();
        let tools = FakeTools::succeeding();
        add(&paths, &tools, &state, false).unwrap();
        let reports = paths.reports_dir("drift");
        std::fs::create_dir_all(&reports).unwrap();
        std::fs::write(reports.join("20261125T120000.000Z.json"), "{}").unwrap();

        let removed = remove(&paths, &tools, "drift", false).unwrap();
        assert_eq!(removed.reports_kept.as_deref(), Some(reports.as_path()));
        assert!(!paths.state_file("drift").exists());
        assert!(!paths.timer_file("drift").exists());
        assert!(tools
            .calls()
            .contains(&"systemctl disable --now play-drift.timer".to_string()));
        assert!(reports.exists());

        let err = remove(&paths, &tools, "drift", false).unwrap_err();
        assert!(err.contains("no schedule named 'drift'"), "{err}");
        remove(&paths, &tools, "drift", true).unwrap();
        assert!(!reports.exists());
    }

    #[test]
    fn list_reads_state_systemd_and_the_newest_report() {
        let (_d, paths, state) = drift_schedule();
        let tools = FakeTools::succeeding();
        add(&paths, &tools, &state, false).unwrap();
        let reports = paths.reports_dir("drift");
        std::fs::create_dir_all(&reports).unwrap();
        std::fs::write(
            reports.join("20261125T120020.000Z.json"),
            r#"{"summary": {"schedule": "drift", "status": "drift", "check": true,
                "started_at": "2026-11-25T12:00:20.000Z", "duration_secs": 2.0,
                "changed_hosts": ["vm1"], "failed_hosts": [], "unreachable_hosts": [],
                "exit_code": 2}}"#,
        )
        .unwrap();
        std::fs::write(reports.join("20261125T120000.000Z.json"), "{}").unwrap();
        tools.answer(
            "systemctl",
            0,
            "ActiveState=active\nNextElapseUSecRealtime=Wed 2026-11-25 12:00:40 UTC\nLastTriggerUSec=n/a\n",
            "",
        );
        tools.answer("systemctl", 0, "ActiveState=inactive\n", "");
        let rows = list(&paths, &tools).unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.state, "active");
        assert_eq!(row.next_run, "Wed 2026-11-25 12:00:40 UTC");
        assert_eq!(row.last_run, "-");
        let last = row.last_result.as_ref().unwrap();
        assert_eq!(last.changed_hosts, vec!["vm1"]);
    }
}
