//! Pruning release images: keep the images of the last `keep_releases` successful releases
//! of every service (rollback needs them), remove older ones from this service's history when
//! nothing uses them. Docker itself refuses to remove an image a container (even a stopped
//! one) uses or that has other tags, and such refusals are simply skipped.

use super::history::{read_all, HistoryEntry};
use crate::docker::Docker;
use std::collections::BTreeSet;
use std::path::Path;

/// The image IDs of the last `keep` successful releases in `entries` (oldest first).
pub fn kept_ids(entries: &[HistoryEntry], keep: usize) -> BTreeSet<String> {
    let mut kept = BTreeSet::new();
    for e in entries.iter().rev().filter(|e| e.outcome.is_success()) {
        if kept.len() >= keep {
            break;
        }
        if let Some(id) = &e.image_id {
            kept.insert(id.clone());
        }
    }
    kept
}

/// Image IDs of `service`'s history that no service's last `keep` releases need.
pub fn candidates(releases_dir: &Path, service: &str, keep: usize) -> Result<Vec<String>, String> {
    let (mine, _) = read_all(releases_dir, service)?;
    let mut needed = kept_ids(&mine, keep);
    if let Ok(dir) = std::fs::read_dir(releases_dir) {
        for f in dir.flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            if let Some(other) = name.strip_suffix(".jsonl").filter(|o| *o != service) {
                needed.extend(kept_ids(&read_all(releases_dir, other)?.0, keep));
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for e in &mine {
        if let Some(id) = &e.image_id {
            if e.outcome.is_success() && !needed.contains(id) && !out.contains(id) {
                out.push(id.clone());
            }
        }
    }
    Ok(out)
}

/// Removes what [`candidates`] names; returns the IDs actually removed. `keep == 0` disables.
pub fn prune(docker: &Docker, releases_dir: &Path, service: &str, keep: usize) -> Vec<String> {
    if keep == 0 {
        return Vec::new();
    }
    candidates(releases_dir, service, keep)
        .unwrap_or_default()
        .into_iter()
        .filter(|id| matches!(docker.remove_image(id, false), Ok(true)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::history::{append, Outcome};

    fn e(service: &str, id: &str, outcome: Outcome) -> HistoryEntry {
        HistoryEntry {
            time: "t".into(),
            operator: "o".into(),
            reason: String::new(),
            service: service.into(),
            image: "app".into(),
            tag: None,
            digest: None,
            image_id: Some(id.into()),
            env_sha256: None,
            config_sha256: None,
            outcome,
            previous: None,
            duration_ms: 0,
            host: "h".into(),
            error: None,
        }
    }

    #[test]
    fn keeps_the_last_successful_releases_of_every_service() {
        let dir = tempfile::tempdir().unwrap();
        for (id, o) in [
            ("i1", Outcome::Released),
            ("i2", Outcome::Released),
            ("i3", Outcome::FailedHealth),
            ("i4", Outcome::Released),
            ("i5", Outcome::RolledBack),
        ] {
            append(dir.path(), &e("web", id, o)).unwrap();
        }
        append(dir.path(), &e("api", "i1", Outcome::Released)).unwrap();
        // web keeps i5, i4; i3 never ran; i1 is api's current image.
        assert_eq!(candidates(dir.path(), "web", 2).unwrap(), vec!["i2"]);
        assert!(candidates(dir.path(), "web", 5).unwrap().is_empty());
    }
}
