//! What a check run saw, task by task and host by host, for `play plan` and `play apply`'s
//! drift check. The run engine calls [`Recorder::input`] with each module call's rendered
//! arguments and [`Recorder::result`] with each task's result; both are reduced to keyed
//! hashes at once, so no secret value is kept (a no_log task's result included).
//!
//! The state fingerprint covers what a check *reads* on the host: each diff's before side,
//! previous checksums, the running container's image and env keys, and the task's status.
//! It leaves out what the plan itself decides (a diff's after side, the release's target
//! image), so apply's second check with the images pinned sees the same fingerprint unless
//! the host changed.

use super::keyed::PlanKey;
use super::model::TaskRecord;
use crate::output::release_view;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Result fields that describe the host's current state (the rest is the wish or the outcome).
const STATE_KEYS: &[&str] = &[
    "previous_checksum",
    "previous_image",
    "previous_image_id",
    "previous_digest",
    "previous_tag",
    "previous_running",
    "image_changed",
    "changed_fields",
    "env_keys",
    "actions",
    "packages",
    "autoremoved",
    "state",
    "mode",
    "owner",
    "group",
    "uid",
    "gid",
];

/// Rendered arguments that legitimately differ between plan and apply: who runs it, and the
/// digest pin apply adds.
fn volatile_arg(module: &str, key: &str) -> bool {
    key.starts_with('_') && key != "_content_b64"
        || module == "release" && matches!(key, "digest" | "operator")
}

/// A release a host would run, as the plan pins it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenRelease {
    pub service: String,
    pub image: String,
    /// Registry digest, else local image ID; None when neither could be known.
    pub digest: Option<String>,
}

#[derive(Default)]
struct HostLog {
    tasks: Vec<TaskRecord>,
    pending_inputs: Vec<String>,
    changes: Vec<String>,
    releases: Vec<SeenRelease>,
    failures: Vec<String>,
}

/// Collects one check run.
pub struct Recorder {
    key: Arc<PlanKey>,
    hosts: Mutex<IndexMap<String, HostLog>>,
    local_files: Mutex<BTreeSet<PathBuf>>,
}

/// Everything a finished check run saw on one host.
#[derive(Debug, Clone, Default)]
pub struct HostSeen {
    pub tasks: Vec<TaskRecord>,
    pub changes: Vec<String>,
    pub releases: Vec<SeenRelease>,
    /// Tasks that failed or found the host unreachable, with the reason (not for the plan
    /// file: for the operator, censored on output).
    pub failures: Vec<String>,
}

impl Recorder {
    pub fn new(key: Arc<PlanKey>) -> Recorder {
        Recorder {
            key,
            hosts: Mutex::new(IndexMap::new()),
            local_files: Mutex::new(BTreeSet::new()),
        }
    }

    fn with_host<R>(&self, host: &str, f: impl FnOnce(&mut HostLog) -> R) -> R {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        f(hosts.entry(host.to_string()).or_default())
    }

    /// A module call's rendered arguments, just before they go to the host.
    pub fn input(&self, host: &str, module: &str, args: &Map<String, Value>) {
        let kept: Map<String, Value> = args
            .iter()
            .filter(|(k, _)| !volatile_arg(module, k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let hash = self.key.hash_json(&json!({"module": module, "args": kept}));
        self.with_host(host, |h| h.pending_inputs.push(hash));
    }

    /// A local file a task read (template or copy source).
    pub fn local_file(&self, path: PathBuf) {
        self.local_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path);
    }

    /// One task's result on one host (`status` as the recap counts it).
    pub fn result(
        &self,
        host: &str,
        task: &str,
        location: Option<String>,
        status: &str,
        result: &Value,
        no_log: bool,
    ) {
        let state = self.key.hash_json(&json!({
            "status": status,
            "seen": state_material(result),
        }));
        let changes = change_lines(task, status, result, no_log);
        let failure = matches!(status, "failed" | "unreachable").then(|| {
            let why = if no_log {
                "details hidden: no_log"
            } else {
                result.get("msg").and_then(Value::as_str).unwrap_or("")
            };
            format!("task '{task}' {status}: {why}")
        });
        let releases = releases_in(result);
        self.with_host(host, |h| {
            let inputs = (!h.pending_inputs.is_empty()).then(|| {
                let all = std::mem::take(&mut h.pending_inputs);
                if all.len() == 1 {
                    all[0].clone()
                } else {
                    self.key.hash(all.join(",").as_bytes())
                }
            });
            h.tasks.push(TaskRecord {
                task: task.to_string(),
                location,
                status: status.to_string(),
                state,
                inputs,
            });
            h.changes.extend(changes);
            h.failures.extend(failure);
            h.releases.extend(releases);
        });
    }

    /// What the run saw, per host in the order hosts were first met.
    pub fn finish(&self) -> (IndexMap<String, HostSeen>, BTreeSet<PathBuf>) {
        let hosts = std::mem::take(&mut *self.hosts.lock().unwrap_or_else(|e| e.into_inner()));
        let files = self
            .local_files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let seen = hosts
            .into_iter()
            .map(|(name, h)| {
                (
                    name,
                    HostSeen {
                        tasks: h.tasks,
                        changes: h.changes,
                        failures: h.failures,
                        releases: h.releases,
                    },
                )
            })
            .collect();
        (seen, files)
    }
}

/// The part of a result that describes the host as found (loops: each item's).
pub fn state_material(result: &Value) -> Value {
    if let Some(items) = result.get("results").and_then(Value::as_array) {
        return Value::Array(items.iter().map(state_material).collect());
    }
    let befores: Vec<Value> = match result.get("diff") {
        Some(Value::Array(list)) => list
            .iter()
            .map(|d| json!([d.get("before_header"), d.get("before")]))
            .collect(),
        _ => Vec::new(),
    };
    let mut fields = Map::new();
    for k in STATE_KEYS {
        if let Some(v) = result.get(*k) {
            fields.insert((*k).to_string(), v.clone());
        }
    }
    json!({"diff_before": befores, "fields": fields})
}

/// The reviewer's lines for one task that would change something.
fn change_lines(task: &str, status: &str, result: &Value, no_log: bool) -> Vec<String> {
    if status != "changed" {
        return Vec::new();
    }
    if no_log {
        return vec![format!("{task}: would change (details hidden: no_log)")];
    }
    if let Some(lines) = release_view::release_lines(result) {
        let service = result["service"].as_str().unwrap_or("?");
        return lines
            .into_iter()
            .map(|l| format!("release {service}: {l}"))
            .collect();
    }
    let what = ["dest", "path", "name"]
        .iter()
        .find_map(|k| result.get(*k).and_then(Value::as_str));
    match what {
        Some(w) => vec![format!("{task}: would change {w}")],
        None => vec![format!("{task}: would change")],
    }
}

fn releases_in(result: &Value) -> Vec<SeenRelease> {
    if let Some(items) = result.get("results").and_then(Value::as_array) {
        return items.iter().flat_map(releases_in).collect();
    }
    if !release_view::is_release(result) {
        return Vec::new();
    }
    let s = |k: &str| {
        result
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let image = match (s("image"), s("tag")) {
        (Some(i), Some(t)) => format!("{}:{t}", release_view::repo_of(i)),
        (Some(i), None) => i.to_string(),
        _ => "?".into(),
    };
    vec![SeenRelease {
        service: s("service").unwrap_or("?").to_string(),
        image,
        digest: s("digest").or(s("image_id")).map(str::to_string),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorder() -> Recorder {
        Recorder::new(Arc::new(PlanKey::from_bytes([7; 32])))
    }

    fn release(previous: &str, target_image: &str) -> Value {
        json!({
            "changed": true, "outcome": "would_release", "service": "app",
            "image": target_image, "tag": "v2", "digest": "sha256:bb",
            "previous_image": "reg/app:v1", "previous_tag": "v1", "previous_digest": previous, "image_changed": true,
            "recreated": true, "changed_fields": ["image"],
            "env_keys": {"added": [], "changed": [], "removed": []},
            "diff": [{"before_header": "release app", "before": "image: v1", "after": target_image}],
        })
    }

    #[test]
    fn the_pin_does_not_change_the_fingerprint_but_the_host_does() {
        let r = recorder();
        let args = |digest: Option<&str>, operator: &str| {
            let mut m = Map::new();
            m.insert("image".into(), json!("reg/app"));
            m.insert("operator".into(), json!(operator));
            if let Some(d) = digest {
                m.insert("digest".into(), json!(d));
            }
            m
        };
        r.input("vm1", "release", &args(None, "alice@a"));
        r.result(
            "vm1",
            "Release",
            None,
            "changed",
            &release("sha256:aa", "reg/app:v2"),
            false,
        );
        // apply's check: pinned by digest, run by someone else; the host is as it was.
        r.input("vm2", "release", &args(Some("sha256:bb"), "bob@b"));
        r.result(
            "vm2",
            "Release",
            None,
            "changed",
            &release("sha256:aa", "reg/app@sha256:bb"),
            false,
        );
        // the host changed under the plan
        r.input("vm3", "release", &args(None, "alice@a"));
        r.result(
            "vm3",
            "Release",
            None,
            "changed",
            &release("sha256:zz", "reg/app:v2"),
            false,
        );
        let (seen, _) = r.finish();
        let t = |h: &str| seen[h].tasks[0].clone();
        assert_eq!(t("vm1").state, t("vm2").state);
        assert_eq!(t("vm1").inputs, t("vm2").inputs);
        assert_ne!(t("vm1").state, t("vm3").state);
        assert_eq!(
            seen["vm1"].releases[0],
            SeenRelease {
                service: "app".into(),
                image: "reg/app:v2".into(),
                digest: Some("sha256:bb".into())
            }
        );
        assert!(seen["vm1"].changes[0].starts_with("release app: image reg/app:v1@sha256:aa -> "));
    }

    #[test]
    fn no_log_results_leave_only_hashes_and_a_name() {
        let r = recorder();
        let mut args = Map::new();
        args.insert("content".into(), json!("APP_TOKEN=s3cret-value\n"));
        r.input("vm1", "copy", &args);
        let result = json!({"changed": true, "dest": "/etc/play/app/.env",
            "diff": [{"before": "APP_TOKEN=old-secret\n", "after": "APP_TOKEN=s3cret-value\n"}]});
        r.result("vm1", "Write .env", None, "changed", &result, true);
        let (seen, _) = r.finish();
        let dump = format!("{:?}", seen["vm1"]);
        assert!(
            !dump.contains("s3cret") && !dump.contains("old-secret"),
            "{dump}"
        );
        assert_eq!(
            seen["vm1"].changes,
            vec!["Write .env: would change (details hidden: no_log)"]
        );
    }
}
