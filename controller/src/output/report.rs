//! The machine-readable report (`--json`, `--report FILE`): plays, tasks, per-host results,
//! stats. Censored by the printer before it is written anywhere.

use super::{HostResult, Stats};
use serde::Serialize;
use serde_json::Value;
use std::time::{Duration, Instant};

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub plays: Vec<PlayReport>,
    pub stats: serde_json::Map<String, Value>,
    pub warnings: Vec<String>,
    pub duration_secs: f64,
    /// Agent bytes this run uploaded (0 on a rerun: the cached agent was reused).
    pub agent_bytes_uploaded: u64,
}

#[derive(Debug, Serialize)]
pub struct PlayReport {
    pub name: String,
    pub tasks: Vec<TaskReport>,
}

#[derive(Debug, Serialize)]
pub struct TaskReport {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub hosts: serde_json::Map<String, Value>,
    /// When the task started, for each host's `duration_secs` (time until its result).
    #[serde(skip)]
    pub started: Option<Instant>,
}

impl Report {
    pub fn start_play(&mut self, name: &str) {
        self.plays.push(PlayReport {
            name: name.to_string(),
            tasks: Vec::new(),
        });
    }

    pub fn start_task(&mut self, name: &str, path: Option<&str>) {
        if self.plays.is_empty() {
            self.start_play("");
        }
        let play = self.plays.last_mut().expect("a play");
        play.tasks.push(TaskReport {
            name: name.to_string(),
            path: path.map(str::to_string),
            hosts: serde_json::Map::new(),
            started: Some(Instant::now()),
        });
    }

    pub fn host_result(&mut self, r: &HostResult<'_>, censored: Value) {
        let Some(task) = self.plays.last_mut().and_then(|p| p.tasks.last_mut()) else {
            return;
        };
        let mut entry = if r.no_log {
            serde_json::json!({"censored": "the output has been hidden due to the fact that 'no_log: true' was specified for this result"})
        } else {
            censored
        };
        if let Value::Object(map) = &mut entry {
            map.insert(
                "status".into(),
                serde_json::to_value(r.status).unwrap_or_default(),
            );
            if r.ignored {
                map.insert("ignored".into(), Value::Bool(true));
            }
            map.remove("_ansible_verbose_always");
            if let Some(started) = task.started {
                let secs = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
                map.insert("duration_secs".into(), Value::from(secs));
            }
        }
        task.hosts.insert(r.host.to_string(), entry);
    }

    pub fn finish(&mut self, stats: &Stats, duration: Duration) {
        self.stats = stats
            .hosts()
            .map(|(h, s)| (h.clone(), serde_json::to_value(s).unwrap_or_default()))
            .collect();
        self.duration_secs = duration.as_secs_f64();
    }

    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
