//! The on-disk cache of cloud listings, so scheduled runs don't call the APIs every time.
//!
//! With `cache: true` a plugin keeps what the API listed (the instances' facts, before
//! compose/keyed_groups, so editing those takes effect at once) in
//! `<cache_connection or $XDG_CACHE_HOME/play/inventory or ~/.cache/play/inventory>/<key>.json`
//! for `cache_timeout` seconds (Ansible's default 3600). The key hashes the plugin, the config's
//! absolute path and every setting that changes what the API returns (projects, zones,
//! filters, regions, endpoint), so two configs never share an entry. Files are 0600 in a 0700
//! folder (listings name the fleet's addresses and instance metadata) and are written to a
//! temporary file and renamed, so a reader never sees half a file. `--flush-cache`
//! ([`super::flush_cache`]) or `PLAY_FLUSH_CACHE=1` skips reading (the fresh result is still
//! written); a corrupt or unreadable entry is treated as missing.

use super::config::{ConfigFile, Section};
use crate::inventory::InventoryError;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Ansible's default `cache_timeout`.
const DEFAULT_TIMEOUT: u64 = 3600;
/// Bumped when the cached facts change shape, so old entries are ignored.
const FORMAT: u64 = 1;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CacheSettings {
    pub enabled: bool,
    pub timeout: Duration,
    /// `cache_connection`: the folder entries live in.
    pub dir: Option<PathBuf>,
}

impl CacheSettings {
    pub fn read(
        config: &ConfigFile,
        section: &Section<'_>,
    ) -> Result<CacheSettings, InventoryError> {
        Ok(CacheSettings {
            enabled: section.boolean("cache")?.unwrap_or(false),
            timeout: Duration::from_secs(
                section.integer("cache_timeout")?.unwrap_or(DEFAULT_TIMEOUT),
            ),
            dir: section
                .string("cache_connection")?
                .map(|l| config.resolve_path(&l.value)),
        })
    }

    fn folder(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.dir {
            return Some(dir.clone());
        }
        Some(crate::files::user_cache_dir()?.join("inventory"))
    }
}

/// The cache entry's name for one config and the settings that shape the API's answer.
pub(crate) fn key(plugin: &str, config: &Path, settings: &Value) -> String {
    let path = std::fs::canonicalize(config).unwrap_or_else(|_| config.to_path_buf());
    let mut hash = Sha256::new();
    hash.update(plugin.as_bytes());
    hash.update([0]);
    hash.update(path.to_string_lossy().as_bytes());
    hash.update([0]);
    hash.update(settings.to_string().as_bytes());
    format!("{plugin}-{}", &hex::encode(hash.finalize())[..24])
}

/// The cached listing when caching is on, the entry exists, and it is younger than the timeout.
pub(crate) fn read(settings: &CacheSettings, key: &str) -> Option<Vec<Value>> {
    if !settings.enabled || super::flush_requested() {
        return None;
    }
    let path = settings.folder()?.join(format!("{key}.json"));
    let text = std::fs::read_to_string(&path).ok()?;
    let entry: Value = serde_json::from_str(&text).ok()?;
    if entry.get("format").and_then(Value::as_u64) != Some(FORMAT) {
        return None;
    }
    let written = entry.get("written_unix").and_then(Value::as_u64)?;
    let age = now_unix().saturating_sub(written);
    if age >= settings.timeout.as_secs() {
        tracing::debug!(path = %path.display(), age, "inventory cache entry expired");
        return None;
    }
    tracing::debug!(path = %path.display(), age, "inventory from cache");
    entry.get("hosts")?.as_array().cloned()
}

/// Stores a fresh listing when caching is on. A failure only costs the next run an API call,
/// so it is logged, not raised.
pub(crate) fn write(settings: &CacheSettings, key: &str, source: &Path, hosts: &[Value]) {
    if !settings.enabled {
        return;
    }
    let Some(dir) = settings.folder() else {
        tracing::warn!(
            "no HOME or XDG_CACHE_HOME: cannot cache the inventory; set cache_connection"
        );
        return;
    };
    let entry = json!({
        "format": FORMAT,
        "written_unix": now_unix(),
        "source": source.display().to_string(),
        "hosts": hosts,
    });
    if let Err(err) = crate::files::write_private(
        &dir.join(format!("{key}.json")),
        entry.to_string().as_bytes(),
    ) {
        tracing::warn!(dir = %dir.display(), %err, "cannot write the inventory cache");
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn settings(dir: &Path, timeout: u64) -> CacheSettings {
        CacheSettings {
            enabled: true,
            timeout: Duration::from_secs(timeout),
            dir: Some(dir.join("cache")),
        }
    }

    #[test]
    fn round_trip_is_private_and_expires() {
        let tmp = tempfile::tempdir().unwrap();
        let s = settings(tmp.path(), 60);
        let k = key("gcp", Path::new("/x/gcp.yml"), &json!({"projects": ["p"]}));
        assert!(read(&s, &k).is_none());
        write(&s, &k, Path::new("/x/gcp.yml"), &[json!({"name": "vm1"})]);
        assert_eq!(read(&s, &k).unwrap(), [json!({"name": "vm1"})]);
        let file = tmp.path().join("cache").join(format!("{k}.json"));
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(tmp.path().join("cache"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert!(
            read(&settings(tmp.path(), 0), &k).is_none(),
            "expired at once"
        );
        let off = CacheSettings {
            enabled: false,
            ..s
        };
        assert!(read(&off, &k).is_none());
    }

    #[test]
    fn keys_differ_by_settings_and_file() {
        let a = key("gcp", Path::new("/a.yml"), &json!({"zones": ["z1"]}));
        assert_ne!(
            a,
            key("gcp", Path::new("/a.yml"), &json!({"zones": ["z2"]}))
        );
        assert_ne!(
            a,
            key("gcp", Path::new("/b.yml"), &json!({"zones": ["z1"]}))
        );
        assert_eq!(
            a,
            key("gcp", Path::new("/a.yml"), &json!({"zones": ["z1"]}))
        );
    }

    #[test]
    fn corrupt_entries_count_as_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let s = settings(tmp.path(), 60);
        std::fs::create_dir_all(tmp.path().join("cache")).unwrap();
        std::fs::write(tmp.path().join("cache/k.json"), "{not json").unwrap();
        assert!(read(&s, "k").is_none());
    }
}
