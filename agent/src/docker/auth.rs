//! Registry credentials in the Docker CLI's `config.json` (`auths.<registry>.auth`, base64 of
//! `user:password`), and the `X-Registry-Auth` header the Engine API wants for pulls.
//!
//! `docker_login` writes the file; every pull the agent makes reads it, so a login earlier in a
//! play makes later pulls of private images work, exactly as with the Docker CLI. Other keys
//! in the file (`credHelpers`, `proxies`, ...) are preserved.

use super::atomic::write_atomic;
use super::reference::{registry_key, ImageRef};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The Docker config of the user the agent runs as (`/root/.docker/config.json` under sudo).
pub fn default_config_path() -> PathBuf {
    home_of_effective_user()
        .unwrap_or_else(|| PathBuf::from("/root"))
        .join(".docker/config.json")
}

/// Reads the effective uid from /proc and its home from /etc/passwd: `$HOME` is the invoking
/// user's under some sudo configurations, and credentials must land where root's dockerd
/// client tools look.
fn home_of_effective_user() -> Option<PathBuf> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6 && f[2] == euid).then(|| PathBuf::from(f[5]))
    })
}

/// The config file's JSON object; an absent file is an empty object.
pub fn load_config(path: &Path) -> Result<Map<String, Value>, String> {
    match std::fs::read(path) {
        Ok(raw) if raw.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        Ok(raw) => match serde_json::from_slice(&raw) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(format!(
                "{} is not a JSON object: fix or remove it (docker login rewrites it)",
                path.display()
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the config atomically, mode 0600 (it holds credentials).
pub fn save_config(path: &Path, config: &Map<String, Value>) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(config).unwrap_or_default();
    text.push('\n');
    write_atomic(path, text.as_bytes(), 0o600)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The `auths` key under which `registry` is stored, if any (keys are compared normalised,
/// so `https://reg:5000` and `reg:5000` are the same registry).
pub fn find_auth_key(config: &Map<String, Value>, registry: &str) -> Option<String> {
    let wanted = registry_key(registry);
    config
        .get("auths")?
        .as_object()?
        .keys()
        .find(|k| registry_key(k) == wanted)
        .cloned()
}

/// The stored `auth` value for `registry`.
pub fn stored_auth(config: &Map<String, Value>, registry: &str) -> Option<String> {
    let key = find_auth_key(config, registry)?;
    config["auths"][&key]["auth"].as_str().map(str::to_string)
}

/// `base64(user:password)`, the CLI's `auth` field.
pub fn encode_auth(username: &str, password: &str) -> String {
    STANDARD.encode(format!("{username}:{password}"))
}

/// Stores `auth` for `registry` (replacing any equivalent key).
pub fn set_auth(config: &mut Map<String, Value>, registry: &str, auth: &str) {
    remove_auth(config, registry);
    let auths = config
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    if let Some(a) = auths.as_object_mut() {
        a.insert(registry_key(registry), json!({ "auth": auth }));
    }
}

/// Removes the entry for `registry`; true when there was one.
pub fn remove_auth(config: &mut Map<String, Value>, registry: &str) -> bool {
    let Some(key) = find_auth_key(config, registry) else {
        return false;
    };
    config
        .get_mut("auths")
        .and_then(Value::as_object_mut)
        .map(|a| a.remove(&key).is_some())
        .unwrap_or(false)
}

/// The `X-Registry-Auth` header value for pulling `image`, from the stored credentials.
pub fn registry_auth_header(config_path: &Path, image: &ImageRef) -> Option<String> {
    let config = load_config(config_path).ok()?;
    let auth = stored_auth(&config, image.registry())?;
    let decoded = String::from_utf8(STANDARD.decode(auth).ok()?).ok()?;
    let (username, password) = decoded.split_once(':')?;
    let body = json!({
        "username": username,
        "password": password,
        "serveraddress": registry_key(image.registry()),
    });
    Some(URL_SAFE.encode(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_equivalent_keys_and_keeps_others() {
        let mut c: Map<String, Value> = serde_json::from_value(json!({
            "auths": {"https://reg:5000": {"auth": "old"}, "other:1": {"auth": "x"}},
            "credHelpers": {"gcr.io": "gcloud"}
        }))
        .unwrap();
        set_auth(&mut c, "reg:5000", "new");
        assert_eq!(
            Value::Object(c.clone()),
            json!({"auths": {"other:1": {"auth": "x"}, "reg:5000": {"auth": "new"}},
                   "credHelpers": {"gcr.io": "gcloud"}})
        );
        assert_eq!(stored_auth(&c, "https://reg:5000/").as_deref(), Some("new"));
        assert!(remove_auth(&mut c, "reg:5000"));
        assert!(!remove_auth(&mut c, "reg:5000"));
    }

    #[test]
    fn pull_header_carries_the_stored_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let mut c = Map::new();
        set_auth(
            &mut c,
            "reg.example.com:5000",
            &encode_auth("ci", "s3:cret"),
        );
        save_config(&path, &c).unwrap();
        let image = ImageRef::parse("reg.example.com:5000/app:v1", None).unwrap();
        let header = registry_auth_header(&path, &image).unwrap();
        let v: Value = serde_json::from_slice(&URL_SAFE.decode(header).unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"username": "ci", "password": "s3:cret", "serveraddress": "reg.example.com:5000"})
        );
        let hub = ImageRef::parse("nginx", None).unwrap();
        assert!(registry_auth_header(&path, &hub).is_none());
    }

    #[test]
    fn broken_config_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert!(load_config(&path).unwrap().is_empty());
        std::fs::write(&path, "[1]").unwrap();
        assert!(load_config(&path).unwrap_err().contains("config.json"));
    }
}
