//! A schedule's reports (`<state dir>/reports/NAME/<UTC time>.json`, 0600 in 0700 folders):
//! names that sort by time, retention of the newest N, and the summary block each scheduled
//! run puts at the top of play's JSON report (status, changed hosts, duration, exit code).

use super::exit;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// How a scheduled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Ok,
    Failed,
    /// Check mode, and some host would change.
    Drift,
    /// Another run held the schedule's lock; nothing ran.
    SkippedOverlap,
}

impl RunStatus {
    pub fn exit_code(self) -> i32 {
        match self {
            RunStatus::Ok => exit::OK,
            RunStatus::Failed => exit::FAILED,
            RunStatus::Drift => exit::DRIFT,
            RunStatus::SkippedOverlap => exit::SKIPPED_OVERLAP,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Drift => "drift",
            RunStatus::SkippedOverlap => "skipped_overlap",
        }
    }
}

/// The `summary` block of a scheduled run's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schedule: String,
    pub status: RunStatus,
    pub check: bool,
    pub started_at: String,
    pub duration_secs: f64,
    /// Hosts that changed (or, in check mode, would change).
    pub changed_hosts: Vec<String>,
    pub failed_hosts: Vec<String>,
    pub unreachable_hosts: Vec<String>,
    /// What `play schedule run` exited with (see `schedule::exit`).
    pub exit_code: i32,
    /// What the playbook run itself returned (Ansible's codes); absent when nothing ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub play_exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Hosts by outcome, from a play report's `stats`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HostOutcomes {
    pub changed: Vec<String>,
    pub failed: Vec<String>,
    pub unreachable: Vec<String>,
}

pub fn host_outcomes(report: &Value) -> HostOutcomes {
    let mut out = HostOutcomes::default();
    let Some(stats) = report.get("stats").and_then(Value::as_object) else {
        return out;
    };
    let count = |s: &Value, key: &str| s.get(key).and_then(Value::as_u64).unwrap_or(0);
    for (host, s) in stats {
        if count(s, "changed") > 0 {
            out.changed.push(host.clone());
        }
        if count(s, "failures") > 0 {
            out.failed.push(host.clone());
        }
        if count(s, "unreachable") > 0 {
            out.unreachable.push(host.clone());
        }
    }
    out
}

/// The drift rule: any failure wins; otherwise, in check mode, a host that would change is
/// drift; otherwise ok (an applying run that changed things did its job).
pub fn status_for(play_exit_code: i32, check: bool, hosts: &HostOutcomes) -> RunStatus {
    if play_exit_code != 0 || !hosts.failed.is_empty() || !hosts.unreachable.is_empty() {
        RunStatus::Failed
    } else if check && !hosts.changed.is_empty() {
        RunStatus::Drift
    } else {
        RunStatus::Ok
    }
}

/// Puts `summary` first in the report object (a report that is not an object is kept under
/// `report`).
pub fn with_summary(report: Value, summary: &Summary) -> Value {
    let mut out = Map::new();
    out.insert(
        "summary".into(),
        serde_json::to_value(summary).unwrap_or_default(),
    );
    match report {
        Value::Object(map) => out.extend(map.into_iter().filter(|(k, _)| k != "summary")),
        Value::Null => {}
        other => {
            out.insert("report".into(), other);
        }
    }
    Value::Object(out)
}

/// The file a run started at `stamp` (see `time::file_stamp`) writes.
pub fn report_path(dir: &Path, stamp: &str) -> PathBuf {
    dir.join(format!("{stamp}.json"))
}

/// Report files in `dir`, oldest first (names sort by time). Other files are ignored.
pub fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if is_report_name(name) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn is_report_name(name: &str) -> bool {
    name.ends_with("Z.json") && name.starts_with(|c: char| c.is_ascii_digit())
}

/// Deletes all but the newest `keep` reports (at least one is always kept); returns what it
/// deleted.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let all = list(dir)?;
    let excess = all.len().saturating_sub(keep.max(1));
    let mut removed = Vec::new();
    for path in all.into_iter().take(excess) {
        std::fs::remove_file(&path)?;
        removed.push(path);
    }
    Ok(removed)
}

/// The summaries of the newest `n` reports, newest first, with their files. A report
/// without a readable summary is listed with `None`.
pub fn newest_summaries(dir: &Path, n: usize) -> Vec<(PathBuf, Option<Summary>)> {
    let mut all = list(dir).unwrap_or_default();
    all.reverse();
    all.into_iter()
        .take(n)
        .map(|p| {
            let summary = read_summary(&p);
            (p, summary)
        })
        .collect()
}

pub fn read_summary(path: &Path) -> Option<Summary> {
    let text = std::fs::read_to_string(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    serde_json::from_value(value.get("summary")?.clone()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(stats: Value) -> Value {
        json!({"plays": [], "stats": stats, "warnings": [], "duration_secs": 1.0})
    }

    #[test]
    fn drift_exit_code_logic() {
        let clean = report(json!({"vm1": {"changed": 0, "failures": 0, "unreachable": 0}}));
        let drifted = report(json!({
            "vm1": {"changed": 0, "failures": 0, "unreachable": 0},
            "vm2": {"changed": 2, "failures": 0, "unreachable": 0}
        }));
        let failed = report(json!({"vm1": {"changed": 1, "failures": 1, "unreachable": 0}}));
        let unreachable = report(json!({"vm1": {"changed": 0, "failures": 0, "unreachable": 1}}));

        let st = |r: &Value, code, check| status_for(code, check, &host_outcomes(r));
        assert_eq!(st(&clean, 0, true), RunStatus::Ok);
        assert_eq!(st(&drifted, 0, true), RunStatus::Drift);
        assert_eq!(host_outcomes(&drifted).changed, vec!["vm2"]);
        // Applying: changes are the point, not drift.
        assert_eq!(st(&drifted, 0, false), RunStatus::Ok);
        // A failure wins over drift, in either mode; so does play's own non-zero exit.
        assert_eq!(st(&failed, 2, true), RunStatus::Failed);
        assert_eq!(st(&unreachable, 4, true), RunStatus::Failed);
        assert_eq!(st(&report(json!({})), 4, true), RunStatus::Failed);

        assert_eq!(RunStatus::Ok.exit_code(), 0);
        assert_eq!(RunStatus::Failed.exit_code(), 1);
        assert_eq!(RunStatus::Drift.exit_code(), 2);
        assert_eq!(RunStatus::SkippedOverlap.exit_code(), 75);
    }

    #[test]
    fn summary_goes_first() {
        let s = Summary {
            schedule: "drift".into(),
            status: RunStatus::Drift,
            check: true,
            started_at: "2026-11-25T12:00:00.000Z".into(),
            duration_secs: 1.5,
            changed_hosts: vec!["vm2".into()],
            failed_hosts: vec![],
            unreachable_hosts: vec![],
            exit_code: 2,
            play_exit_code: Some(0),
            message: None,
        };
        let v = with_summary(report(json!({})), &s);
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "summary");
        assert_eq!(v["summary"]["status"], "drift");
        assert_eq!(v["summary"]["changed_hosts"], json!(["vm2"]));
        assert!(v.get("stats").is_some());
        let back: Summary = serde_json::from_value(v["summary"].clone()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn retention_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let stamps = [
            "20261125T120000.000Z",
            "20261125T120020.000Z",
            "20261125T120040.000Z",
            "20261125T120100.500Z",
            "20261125T120100.900Z",
        ];
        // Written out of order: the names, not creation order, decide.
        for s in stamps.iter().rev() {
            std::fs::write(report_path(dir.path(), s), "{}").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "keep me").unwrap();
        std::fs::write(dir.path().join(".x.json.tmp1"), "").unwrap();

        let removed = prune(dir.path(), 3).unwrap();
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| p.file_stem().unwrap().to_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(removed), &stamps[..2]);
        assert_eq!(names(list(dir.path()).unwrap()), &stamps[2..]);
        assert!(dir.path().join("notes.txt").exists());
        // keep 0 still keeps the newest: a schedule always has its last result.
        prune(dir.path(), 0).unwrap();
        assert_eq!(names(list(dir.path()).unwrap()), &stamps[4..]);
        assert!(prune(&dir.path().join("missing"), 3).unwrap().is_empty());
    }
}
