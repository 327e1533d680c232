//! The release history: `<state>/releases/<service>.jsonl`, one JSON line per release attempt
//! that changed something or failed (an "unchanged" run is not an event and is not written).
//!
//! Lines are appended with O_APPEND in one write, the folder is 0700 and the file 0600. No
//! line ever holds an env value, nor a hash anyone could test a guessed secret against:
//! `env_sha256` (the env file's bytes) and `config_sha256` (the container's configuration, env
//! values included) are HMAC-SHA256 under the host's key, `hmac-sha256:<64 hex>`
//! (`crate::hash_key`). Lines written by play before keyed hashes hold plain sha256 hex
//! there; both parse, and nothing reads these two fields back (rollback and pruning go by
//! tag, digest and image ID). `play releases` lists these lines and `play rollback --to
//! previous|TAG|sha256:` resolves from them, both without the two hashes
//! ([`HistoryEntry::without_hashes`]): they never leave the host.

use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The new container is healthy and serving.
    Released,
    /// Same as released, for a `play rollback` (an earlier digest replayed).
    RolledBack,
    /// The pull failed; nothing was touched.
    FailedPull,
    /// The new container could not be created or started; the old one was restored.
    FailedStart,
    /// The new container never became healthy; the old one was restored.
    FailedHealth,
    /// The agent was told to stop during the release; the old one was restored.
    Interrupted,
}

impl Outcome {
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Released | Outcome::RolledBack)
    }
}

/// What ran before this release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    pub digest: Option<String>,
    pub image_id: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
}

/// One line of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// RFC 3339 UTC, when the attempt ended.
    pub time: String,
    pub operator: String,
    pub reason: String,
    pub service: String,
    /// The reference as asked (`repo:tag` or `repo@sha256:..`).
    pub image: String,
    pub tag: Option<String>,
    /// The repo digest (`sha256:..`), when the image came from a registry.
    pub digest: Option<String>,
    pub image_id: Option<String>,
    /// The keyed hash of the env file's bytes, when there is one (`hmac-sha256:..`; plain
    /// sha256 hex in lines older play wrote).
    pub env_sha256: Option<String>,
    /// The keyed config hash, as in the container's `play.release.config_sha256` label.
    pub config_sha256: Option<String>,
    pub outcome: Outcome,
    pub previous: Option<Previous>,
    pub duration_ms: u64,
    pub host: String,
    /// Why it failed, in one line (no log lines: those are in the task's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl HistoryEntry {
    /// The entry as it may leave the host: without the two hashes of secrets. Keyed, they
    /// mean nothing without the host's key; plain (older lines), they could be brute-forced.
    pub fn without_hashes(mut self) -> HistoryEntry {
        self.env_sha256 = None;
        self.config_sha256 = None;
        self
    }
}

pub fn history_path(releases_dir: &Path, service: &str) -> PathBuf {
    releases_dir.join(format!("{service}.jsonl"))
}

/// Appends one line.
pub fn append(releases_dir: &Path, entry: &HistoryEntry) -> Result<(), String> {
    super::private_dir(releases_dir)?;
    let path = history_path(releases_dir, &entry.service);
    let mut line = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
    line.push(b'\n');
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let _ = f.set_permissions(fs::Permissions::from_mode(0o600));
    f.write_all(&line)
        .and_then(|_| f.sync_data())
        .map_err(|e| format!("cannot append to {}: {e}", path.display()))
}

/// All entries, oldest first; lines that do not parse (a torn write, a newer format) are
/// skipped and counted.
pub fn read_all(releases_dir: &Path, service: &str) -> Result<(Vec<HistoryEntry>, usize), String> {
    let path = history_path(releases_dir, service);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut entries = Vec::new();
    let mut skipped = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str(line) {
            Ok(e) => entries.push(e),
            Err(_) => skipped += 1,
        }
    }
    Ok((entries, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> HistoryEntry {
        HistoryEntry {
            time: "2025-11-25T11:06:00Z".into(),
            operator: "alice@ctl".into(),
            reason: "ship v2".into(),
            service: "web".into(),
            image: "reg:5000/app:v2".into(),
            tag: Some("v2".into()),
            digest: Some("sha256:dd".into()),
            image_id: Some("sha256:ii".into()),
            env_sha256: Some("ee".into()),
            config_sha256: Some("cc".into()),
            outcome: Outcome::Released,
            previous: Some(Previous {
                digest: Some("sha256:d1".into()),
                image_id: Some("sha256:i1".into()),
                image: Some("reg:5000/app:v1".into()),
            }),
            duration_ms: 1234,
            host: "vm1".into(),
            error: None,
        }
    }

    #[test]
    fn line_shape_is_pinned() {
        assert_eq!(
            serde_json::to_value(entry()).unwrap(),
            json!({
                "time": "2025-11-25T11:06:00Z", "operator": "alice@ctl", "reason": "ship v2",
                "service": "web", "image": "reg:5000/app:v2", "tag": "v2", "digest": "sha256:dd",
                "image_id": "sha256:ii", "env_sha256": "ee", "config_sha256": "cc",
                "outcome": "released",
                "previous": {"digest": "sha256:d1", "image_id": "sha256:i1", "image": "reg:5000/app:v1"},
                "duration_ms": 1234, "host": "vm1"
            })
        );
        let mut failed = entry();
        failed.outcome = Outcome::FailedHealth;
        failed.error = Some("not healthy within 60s".into());
        let v = serde_json::to_value(failed).unwrap();
        assert_eq!(
            (v["outcome"].as_str(), v["error"].as_str()),
            (Some("failed_health"), Some("not healthy within 60s"))
        );
    }

    #[test]
    fn old_plain_and_new_keyed_lines_both_parse() {
        let dir = tempfile::tempdir().unwrap();
        let releases = dir.path().join("releases");
        std::fs::create_dir_all(&releases).unwrap();
        // A line as play wrote it before keyed hashes, then one as it writes now.
        let old = r#"{"time":"2025-11-25T11:06:00Z","operator":"alice@ctl","reason":"","service":"web","image":"reg:5000/app:v1","tag":"v1","digest":"sha256:d1","image_id":"sha256:i1","env_sha256":"6728a4a2930df4c95f48dd96dfc520053fa850c35dcd5f95b935ef67478f74da","config_sha256":"a79a91b06ff92caa9a3427d01e0ac445c8d65ecd8fde24358325b2ac6e57aefc","outcome":"released","previous":null,"duration_ms":900,"host":"vm1"}"#;
        fs::write(history_path(&releases, "web"), format!("{old}\n")).unwrap();
        let mut new = entry();
        new.env_sha256 = Some(format!("hmac-sha256:{}", "e".repeat(64)));
        new.config_sha256 = Some(format!("hmac-sha256:{}", "c".repeat(64)));
        append(&releases, &new).unwrap();
        let (entries, skipped) = read_all(&releases, "web").unwrap();
        assert_eq!((entries.len(), skipped), (2, 0));
        assert_eq!(entries[0].tag.as_deref(), Some("v1"));
        assert!(entries[0]
            .env_sha256
            .as_deref()
            .unwrap()
            .starts_with("6728a4"));
        assert!(entries[1]
            .config_sha256
            .as_deref()
            .unwrap()
            .starts_with("hmac-sha256:"));
        // Neither format leaves the host.
        for e in entries {
            let out = serde_json::to_value(e.without_hashes()).unwrap();
            assert_eq!(
                (&out["env_sha256"], &out["config_sha256"]),
                (&json!(null), &json!(null))
            );
            assert!(out["digest"].is_string() && out["image"].is_string());
        }
    }

    #[test]
    fn appended_lines_read_back_with_private_modes() {
        let dir = tempfile::tempdir().unwrap();
        let releases = dir.path().join("releases");
        append(&releases, &entry()).unwrap();
        let mut second = entry();
        second.outcome = Outcome::RolledBack;
        append(&releases, &second).unwrap();
        let path = history_path(&releases, "web");
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{torn\n")
            .unwrap();
        let (entries, skipped) = read_all(&releases, "web").unwrap();
        assert_eq!((entries.len(), skipped), (2, 1));
        assert_eq!(entries[1].outcome, Outcome::RolledBack);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&releases), mode(&path)), (0o700, 0o600));
        assert!(read_all(&releases, "other").unwrap().0.is_empty());
    }
}
