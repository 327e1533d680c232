//! The plan file: what `play plan` writes and `play apply` executes. JSON, mode 0600, with a
//! format name and version so a newer or foreign file is refused by name, not misread.
//!
//! A plan holds no secret: options as argv (vault password sources excluded: apply takes them
//! again), keyed hashes (see [`super::keyed`]) of every input and of what the check saw on each
//! host, the image digest each host's release is pinned to, and a readable summary.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FORMAT: &str = "play-plan";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Plan {
    pub format: String,
    pub version: u32,
    /// When the plan was made (RFC 3339, UTC) and the same as Unix seconds, for `--max-age`.
    pub created: String,
    pub created_unix: u64,
    /// Who made it (`user@host`), for the reviewer.
    pub operator: String,
    pub play_version: String,
    /// Which plan key made the hashes ([`super::keyed::PlanKey::id`]).
    pub key_id: String,
    /// The folder `play plan` ran in: relative paths in `args` are taken from here.
    pub workdir: PathBuf,
    /// The `play` arguments that produced the plan (playbooks, -i, -e, -l, -t, ...), without
    /// output options and without vault password sources.
    pub args: Vec<String>,
    pub inputs: Inputs,
    /// Hosts that would change / hosts checked.
    pub changing_hosts: usize,
    pub hosts: BTreeMap<String, HostPlan>,
    /// Keyed hash of everything above: a plan edited after `play plan` wrote it (a pin
    /// pointed at another digest, a host removed) is refused by `apply`.
    #[serde(default)]
    pub seal: String,
}

/// What the plan was computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Inputs {
    /// Playbooks, task files, vars files, inventory files, `-e @file`s, templates and copied
    /// files, each with the keyed hash of its content.
    pub files: Vec<FileHash>,
    /// Keyed hash of the extra vars as parsed (vaulted values opened).
    pub extra_vars: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileHash {
    pub path: PathBuf,
    pub hmac: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct HostPlan {
    /// What would change, one line each, for the reviewer.
    pub changes: Vec<String>,
    /// The image this host's release is pinned to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<Pin>,
    /// Every task the check ran on the host, in order.
    pub tasks: Vec<TaskRecord>,
}

/// A release pinned by digest (or local image ID), as `play rollback` pins one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Pin {
    pub service: String,
    /// The reference as the playbook asked for it (`reg:5000/app:v2`).
    pub image: String,
    /// `sha256:...`: the registry's manifest digest, or the local image ID.
    pub digest: String,
}

/// One task on one host, as the check saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskRecord {
    pub task: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// ok, changed, skipped, failed, unreachable.
    pub status: String,
    /// Keyed hash of the state the check read (file checksums and diffs' before side, the
    /// running container's image and env keys, ...).
    pub state: String,
    /// Keyed hash of the rendered arguments sent to the host, when the task ran a module there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
}

impl Plan {
    /// The seal of this plan under `key` (computed with the seal field empty).
    pub fn compute_seal(&self, key: &super::PlanKey) -> String {
        let mut unsealed = self.clone();
        unsealed.seal = String::new();
        key.hash(&serde_json::to_vec(&unsealed).unwrap_or_default())
    }

    /// Reads and checks a plan file; errors name the file and what to do.
    pub fn read(path: &Path) -> Result<Plan, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the plan {}: {e}", path.display()))?;
        let head: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a plan file (invalid JSON at line {}, column {}): run `play plan ... -o FILE` to make one",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(format!(
                "{}: not a plan file (no \"format\": \"{FORMAT}\"): run `play plan ... -o FILE` to make one",
                path.display()
            ));
        }
        let version = head.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(VERSION) {
            return Err(format!(
                "{}: plan format version {version}, but this play ({}) reads version {VERSION}: make the plan again with this play",
                path.display(),
                env!("CARGO_PKG_VERSION")
            ));
        }
        serde_json::from_value(head).map_err(|e| {
            format!(
                "{}: the plan does not match format version {VERSION} ({e}); was it edited by hand? run `play plan` again",
                path.display()
            )
        })
    }

    /// Writes the plan readable by its owner only, atomically (temp file + rename).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())? + "\n";
        crate::files::write_atomic(path, text.as_bytes(), 0o600)
            .map_err(|e| format!("cannot write the plan {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> Plan {
        Plan {
            format: FORMAT.into(),
            version: VERSION,
            created: "2025-01-01T00:00:00Z".into(),
            created_unix: 1_735_689_600,
            operator: "ops@bastion".into(),
            play_version: "0.1.0".into(),
            key_id: "00".into(),
            workdir: "/srv".into(),
            args: vec!["-i".into(), "hosts.ini".into(), "docker.yml".into()],
            inputs: Inputs {
                files: vec![FileHash {
                    path: "docker.yml".into(),
                    hmac: "aa".into(),
                }],
                extra_vars: "bb".into(),
            },
            changing_hosts: 1,
            hosts: BTreeMap::from([(
                "vm1".to_string(),
                HostPlan {
                    changes: vec!["release app: image a -> b".into()],
                    pin: Some(Pin {
                        service: "app".into(),
                        image: "reg/app:v2".into(),
                        digest: "sha256:cc".into(),
                    }),
                    tasks: vec![TaskRecord {
                        task: "Release".into(),
                        location: Some("docker.yml:3:7".into()),
                        status: "changed".into(),
                        state: "dd".into(),
                        inputs: Some("ee".into()),
                    }],
                },
            )]),
            seal: String::new(),
        }
    }

    #[test]
    fn the_seal_catches_a_hand_edit() {
        let key = crate::plan::PlanKey::from_bytes([5; 32]);
        let mut plan = sample();
        plan.seal = plan.compute_seal(&key);
        assert_eq!(plan.compute_seal(&key), plan.seal);
        plan.hosts
            .get_mut("vm1")
            .unwrap()
            .pin
            .as_mut()
            .unwrap()
            .digest = "sha256:ff".into();
        assert_ne!(plan.compute_seal(&key), plan.seal);
    }

    #[test]
    fn round_trips_with_mode_0600_and_refuses_other_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("release.plan");
        let plan = sample();
        plan.write(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(Plan::read(&path).unwrap(), plan);

        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"version\": 1", "\"version\": 9")).unwrap();
        assert!(Plan::read(&path).unwrap_err().contains("version 9"));
        std::fs::write(&path, "{\"hosts\": {}}").unwrap();
        assert!(Plan::read(&path).unwrap_err().contains("not a plan file"));
        std::fs::write(&path, "{").unwrap();
        assert!(Plan::read(&path).unwrap_err().contains("invalid JSON"));
        std::fs::write(&path, text.replace("\"tasks\"", "\"taskz\"")).unwrap();
        assert!(Plan::read(&path).unwrap_err().contains("edited by hand"));
    }
}
