//! The desired configuration of one container, and everything derived from it: the Engine
//! API create body, the config hash, the public (secret-free) view stored in labels, and the
//! field-by-field comparison that check mode and `--diff` show.
//!
//! Why a hash label instead of comparing `docker inspect` output: Docker fills in defaults
//! from the image (Cmd, Env, Healthcheck), so inspect output never equals what was asked.
//! Hashing what was asked (env-file contents included) and storing it on the container makes
//! "did anything change" exact and cheap.
//!
//! The labels play puts on a container it makes:
//! - `play.config-hash`: the hash of the canonical JSON of everything asked, env values
//!   included: `hmac-sha256:<64 hex>`, keyed with the host's key (`crate::hash_key`).
//! - `play.config`: the public view: every field as asked, except that each env value is a
//!   short keyed hash (`hmac-sha256:<12 hex>`) and the env file is its path and keyed hash,
//!   so diffs can name changed keys without ever holding a value, or a hash anyone could test
//!   guesses against.
//! - `play.env-keys`: `{key: short keyed hash}`, the env part of the view on its own.
//!
//! Containers made by play before keyed hashes carry the same labels with plain sha256 hex
//! (no prefix). [`compare_labels`] compares each stored hash in the format it was written in,
//! so such a container is unchanged after an upgrade until its configuration really changes.

use super::spec::{PortSpec, VolumeSpec};
use crate::hash_key::{Hashing, HostKey};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const LABEL_CONFIG_HASH: &str = "play.config-hash";
pub const LABEL_CONFIG: &str = "play.config";
pub const LABEL_ENV_KEYS: &str = "play.env-keys";

/// A container's healthcheck, durations in nanoseconds as the API wants them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthcheckSpec {
    pub test: Vec<String>,
    pub interval_ns: Option<u64>,
    pub timeout_ns: Option<u64>,
    pub retries: Option<u64>,
    pub start_period_ns: Option<u64>,
}

/// The env file: where it was and its bytes, kept only to hash them (in either format);
/// `Debug` shows their length, never them.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvFileInfo {
    pub path: String,
    content: Vec<u8>,
}

impl EnvFileInfo {
    pub fn new(path: impl Into<String>, content: Vec<u8>) -> EnvFileInfo {
        EnvFileInfo {
            path: path.into(),
            content,
        }
    }

    /// The hash of the file's bytes in format `h`: the release's `play.release.env_sha256`
    /// label, the history's `env_sha256`, and `env_file.sha256` of the public view.
    pub fn digest(&self, h: Hashing<'_>) -> String {
        h.hash(&self.content)
    }
}

impl std::fmt::Debug for EnvFileInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvFileInfo")
            .field("path", &self.path)
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .finish()
    }
}

/// Everything that defines a container, except the image (compared by ID separately).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerSpec {
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// The effective environment: env file first, `env` over it.
    pub env: BTreeMap<String, String>,
    pub env_file: Option<EnvFileInfo>,
    pub ports: Vec<PortSpec>,
    pub volumes: Vec<VolumeSpec>,
    pub restart_policy: Option<String>,
    pub restart_retries: Option<u64>,
    pub labels: BTreeMap<String, String>,
    pub healthcheck: Option<HealthcheckSpec>,
    pub networks: Vec<String>,
    pub network_mode: Option<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub memory: Option<u64>,
    pub stop_timeout: Option<u64>,
}

/// `sha256` of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// JSON with object keys sorted at every level, so equal configs hash equal however the
/// playbook ordered its dicts (serde_json here preserves insertion order).
pub fn canonical_json(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(v).to_string()
}

/// Reads a Docker env file the way the Docker SDK does (`KEY=VALUE` lines, `#` comments,
/// blank lines; values taken literally). Returns the variables and the file.
/// Errors name the line number, never its content (it may hold a secret).
/// In check mode, reads what an earlier check-mode `copy` would have written there (see
/// `fsutil::planned`).
pub fn read_env_file_as(
    path: &str,
    check: bool,
) -> Result<(BTreeMap<String, String>, EnvFileInfo), String> {
    let raw = crate::fsutil::planned::read(std::path::Path::new(path), check)
        .map_err(|e| format!("env_file {path}: cannot read it: {e}"))?;
    let text =
        String::from_utf8(raw.clone()).map_err(|_| format!("env_file {path}: not UTF-8 text"))?;
    let mut vars = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').ok_or_else(|| {
            format!(
                "env_file {path}:{}: expected KEY=VALUE (the line has no '=')",
                i + 1
            )
        })?;
        if k.trim().is_empty() {
            return Err(format!("env_file {path}:{}: empty variable name", i + 1));
        }
        vars.insert(k.trim().to_string(), v.to_string());
    }
    Ok((vars, EnvFileInfo::new(path, raw)))
}

/// A command or entrypoint: one shell-like string or a list of words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words(pub Vec<String>);

impl<'de> Deserialize<'de> for Words {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Line(String),
            List(Vec<Scalar>),
        }
        match Raw::deserialize(d)? {
            Raw::Line(l) => super::spec::split_command(&l)
                .map(Words)
                .map_err(serde::de::Error::custom),
            Raw::List(l) => Ok(Words(l.into_iter().map(|s| s.0).collect())),
        }
    }
}

/// A string-valued option that YAML may have typed as a number (`PORT: 8080`). Booleans are
/// refused, as community.docker does, because `yes` would silently become `True`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Scalar(s)),
            Value::Number(n) => Ok(Scalar(n.to_string())),
            Value::Bool(b) => Err(serde::de::Error::custom(format!(
                "the value {b} is a boolean: quote it (\"{b}\" or \"yes\") so it is passed as text"
            ))),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, got {other}"
            ))),
        }
    }
}

/// A map of string values (env, labels).
pub fn scalar_map(m: Option<BTreeMap<String, Scalar>>) -> BTreeMap<String, String> {
    m.unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect()
}

impl ContainerSpec {
    /// Everything asked, with `env` and the env file's hash `env_file_hash` as given.
    fn value(&self, env: Value, env_file_hash: Option<String>) -> Value {
        let mut ports = self.ports.clone();
        ports.sort();
        let mut volumes = self.volumes.clone();
        volumes.sort();
        json!({
            "command": self.command,
            "entrypoint": self.entrypoint,
            "env": env,
            "env_file": self.env_file.as_ref().map(|f| json!({"path": f.path, "sha256": env_file_hash})),
            "published_ports": ports,
            "volumes": volumes,
            "restart_policy": self.restart_policy,
            "restart_retries": self.restart_retries,
            "labels": self.labels,
            "healthcheck": self.healthcheck.as_ref().map(|h| json!({
                "test": h.test, "interval_ns": h.interval_ns, "timeout_ns": h.timeout_ns,
                "retries": h.retries, "start_period_ns": h.start_period_ns,
            })),
            "networks": self.networks,
            "network_mode": self.network_mode,
            "user": self.user,
            "working_dir": self.working_dir,
            "hostname": self.hostname,
            "memory": self.memory,
            "stop_timeout": self.stop_timeout,
        })
    }

    /// The hash, in format `h`, of the canonical JSON of everything asked, env values and the
    /// env file's sha256 included. The input is the same in both formats: the plain form is
    /// exactly what play stored before keyed hashes.
    pub fn config_hash(&self, h: Hashing<'_>) -> String {
        let env: Map<String, Value> = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let file = self.env_file.as_ref().map(|f| f.digest(Hashing::Plain));
        h.hash(canonical_json(&self.value(Value::Object(env), file)).as_bytes())
    }

    /// Whether `stored` (a `play.config-hash` or `play.release.config_sha256` label) is this
    /// configuration's hash, compared in the format `stored` was written in.
    pub fn config_hash_is(&self, stored: Option<&str>, key: &HostKey) -> bool {
        stored.is_some_and(|s| self.config_hash(Hashing::of(s, key)) == s)
    }

    /// `{key: short hash of the value}` in format `h`: the env without its values.
    pub fn env_keys(&self, h: Hashing<'_>) -> BTreeMap<String, String> {
        self.env
            .iter()
            .map(|(k, v)| (k.clone(), h.short(v.as_bytes())))
            .collect()
    }

    /// The secret-free view stored in the `play.config` label, hashes in format `h`.
    fn view(&self, h: Hashing<'_>) -> Value {
        self.value(
            json!(self.env_keys(h)),
            self.env_file.as_ref().map(|f| f.digest(h)),
        )
    }

    /// The public view of a new container: keyed hashes.
    pub fn public_view(&self, key: &HostKey) -> Value {
        self.view(Hashing::Keyed(key))
    }

    /// The public view hashed the way `old` (a container's `play.config`) was: each env value
    /// and the env file in the format of `old`'s hash for it, keyed where `old` has none. So
    /// [`changed_fields`] compares like with like, whichever play made the container.
    pub fn public_view_against(&self, old: Option<&Value>, key: &HostKey) -> Value {
        let format_of = |stored: Option<&Value>| match stored.and_then(Value::as_str) {
            Some(s) => Hashing::of(s, key),
            None => Hashing::Keyed(key),
        };
        let old_env = old.and_then(|o| o.get("env"));
        let env: Map<String, Value> = self
            .env
            .iter()
            .map(|(k, v)| {
                let h = format_of(old_env.and_then(|e| e.get(k)));
                (k.clone(), Value::String(h.short(v.as_bytes())))
            })
            .collect();
        let file = self.env_file.as_ref().map(|f| {
            f.digest(format_of(
                old.and_then(|o| o.get("env_file"))
                    .and_then(|f| f.get("sha256")),
            ))
        });
        self.value(Value::Object(env), file)
    }

    /// The labels play adds so a later run can compare exactly, hashes in format `h` (keyed
    /// for every container play makes; plain only in tests that act as an older play).
    pub fn play_labels(&self, h: Hashing<'_>) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_CONFIG_HASH.to_string(), self.config_hash(h)),
            (LABEL_CONFIG.to_string(), canonical_json(&self.view(h))),
            (
                LABEL_ENV_KEYS.to_string(),
                canonical_json(&json!(self.env_keys(h))),
            ),
        ])
    }

    /// The `POST /containers/create` body for `image`, with the user's labels, play's
    /// comparison labels (hashes in format `h`) and `extra_labels` (the release's identity).
    pub fn create_body(
        &self,
        image: &str,
        extra_labels: &BTreeMap<String, String>,
        h: Hashing<'_>,
    ) -> Value {
        let mut labels = self.labels.clone();
        labels.extend(self.play_labels(h));
        labels.extend(extra_labels.clone());
        let mut exposed = Map::new();
        let mut bindings: Map<String, Value> = Map::new();
        for p in &self.ports {
            exposed.insert(p.key(), json!({}));
            let b = bindings.entry(p.key()).or_insert_with(|| json!([]));
            if let Some(list) = b.as_array_mut() {
                list.push(json!({
                    "HostIp": p.host_ip,
                    "HostPort": p.host_port.map(|n| n.to_string()).unwrap_or_default(),
                }));
            }
        }
        let binds: Vec<String> = self.volumes.iter().filter_map(VolumeSpec::bind).collect();
        let anonymous: Map<String, Value> = self
            .volumes
            .iter()
            .filter(|v| v.source.is_none())
            .map(|v| (v.target.clone(), json!({})))
            .collect();
        let mut host = json!({
            "PortBindings": bindings,
            "Binds": binds,
        });
        if let Some(policy) = &self.restart_policy {
            host["RestartPolicy"] = json!({
                "Name": policy,
                "MaximumRetryCount": self.restart_retries.unwrap_or(0),
            });
        }
        if let Some(m) = self.memory {
            host["Memory"] = json!(m);
        }
        let network_mode = self
            .network_mode
            .clone()
            .or_else(|| self.networks.first().cloned());
        if let Some(mode) = &network_mode {
            host["NetworkMode"] = json!(mode);
        }
        let mut body = json!({
            "Image": image,
            "Env": self.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            "Labels": labels,
            "ExposedPorts": exposed,
            "Volumes": anonymous,
            "HostConfig": host,
        });
        let set = |body: &mut Value, key: &str, v: Option<Value>| {
            if let Some(v) = v {
                body[key] = v;
            }
        };
        set(&mut body, "Cmd", self.command.as_ref().map(|c| json!(c)));
        set(
            &mut body,
            "Entrypoint",
            self.entrypoint.as_ref().map(|c| json!(c)),
        );
        set(&mut body, "User", self.user.as_ref().map(|c| json!(c)));
        set(
            &mut body,
            "WorkingDir",
            self.working_dir.as_ref().map(|c| json!(c)),
        );
        set(
            &mut body,
            "Hostname",
            self.hostname.as_ref().map(|c| json!(c)),
        );
        set(
            &mut body,
            "StopTimeout",
            self.stop_timeout.map(|c| json!(c)),
        );
        if let Some(h) = &self.healthcheck {
            let mut hc = json!({ "Test": h.test });
            set(&mut hc, "Interval", h.interval_ns.map(|c| json!(c)));
            set(&mut hc, "Timeout", h.timeout_ns.map(|c| json!(c)));
            set(&mut hc, "Retries", h.retries.map(|c| json!(c)));
            set(&mut hc, "StartPeriod", h.start_period_ns.map(|c| json!(c)));
            body["Healthcheck"] = hc;
        }
        if let Some(first) = self.networks.first() {
            body["NetworkingConfig"] = json!({"EndpointsConfig": {first: {}}});
        }
        body
    }
}

/// Env keys compared through their short hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl EnvChange {
    pub fn between(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> EnvChange {
        let mut c = EnvChange::default();
        for (k, h) in new {
            match old.get(k) {
                None => c.added.push(k.clone()),
                Some(o) if o != h => c.changed.push(k.clone()),
                _ => {}
            }
        }
        c.removed = old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        c
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    pub fn to_json(&self) -> Value {
        json!({"added": self.added, "removed": self.removed, "changed": self.changed})
    }
}

/// The fields of two public views that differ, in a stable order; env shows keys only.
/// `old` is None when the container was not made by play (no `play.config` label): then every
/// field the new view sets counts as changed.
pub fn changed_fields(old: Option<&Value>, new: &Value) -> (Vec<String>, EnvChange) {
    let empty = Value::Null;
    let old = old.unwrap_or(&empty);
    let mut fields = Vec::new();
    if let Some(obj) = new.as_object() {
        for (k, v) in obj {
            if k != "env" && old.get(k).unwrap_or(&Value::Null) != v {
                fields.push(k.clone());
            }
        }
    }
    let as_map = |v: Option<&Value>| -> BTreeMap<String, String> {
        v.and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let env = EnvChange::between(&as_map(old.get("env")), &as_map(new.get("env")));
    if !env.is_empty() {
        fields.insert(0, "env".to_string());
    }
    (fields, env)
}

/// A container's labels compared with the desired configuration.
#[derive(Debug, Clone, Default)]
pub struct ConfigChange {
    /// The stored config hash is this configuration's.
    pub same: bool,
    /// Changed fields (env by key only); empty when `same`.
    pub fields: Vec<String>,
    pub env: EnvChange,
    /// The container's `play.config`, if it has one.
    pub old_view: Option<Value>,
    /// The desired public view, hashed like `old_view` (for diffs; never stored).
    pub new_view: Value,
}

/// Compares `spec` with what a container's `labels` say it was made with: `hash_label` holds
/// the config hash (`play.config-hash`, or the release's `play.release.config_sha256`),
/// `play.config` the view. Each stored hash is compared in the format it was written in, so
/// a container made by an older play (plain sha256) is unchanged when nothing changed.
pub fn compare_labels(
    labels: &Value,
    hash_label: &str,
    spec: &ContainerSpec,
    key: &HostKey,
) -> ConfigChange {
    let old_view: Option<Value> = labels[LABEL_CONFIG]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok());
    let new_view = spec.public_view_against(old_view.as_ref(), key);
    let same = spec.config_hash_is(labels[hash_label].as_str(), key);
    let (mut fields, mut env) = (Vec::new(), EnvChange::default());
    if !same {
        (fields, env) = changed_fields(old_view.as_ref(), &new_view);
        if fields.is_empty() {
            // Same public view, different hash: only env values or the file changed.
            fields.push("env".into());
        }
    }
    ConfigChange {
        same,
        fields,
        env,
        old_view,
        new_view,
    }
}

/// A human-readable before/after of the changed fields for `--diff` (env as keys only).
pub fn diff_text(
    old: Option<&Value>,
    new: &Value,
    fields: &[String],
    env: &EnvChange,
) -> (String, String) {
    let mut before = String::new();
    let mut after = String::new();
    for f in fields {
        if f == "env" {
            let keys = |v: Option<&Value>| -> String {
                v.and_then(|v| v.get("env"))
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            };
            before.push_str(&format!("env keys: {}\n", keys(old)));
            after.push_str(&format!("env keys: {}", keys(Some(new))));
            if !env.changed.is_empty() {
                after.push_str(&format!(" (values changed: {})", env.changed.join(", ")));
            }
            after.push('\n');
            continue;
        }
        if f == "env_file" {
            // The path only: the file's hash covers secrets, which output must not carry
            // (a plain one, on a container made by an older play, could be brute-forced).
            let path = |v: Option<&Value>| {
                v.and_then(|v| v["env_file"]["path"].as_str())
                    .unwrap_or("(none)")
                    .to_string()
            };
            before.push_str(&format!("env_file: {}\n", path(old)));
            after.push_str(&format!(
                "env_file: {} (content changed)\n",
                path(Some(new))
            ));
            continue;
        }
        let show = |v: Option<&Value>| {
            v.and_then(|v| v.get(f))
                .map(|x| x.to_string())
                .unwrap_or_else(|| "(unknown)".into())
        };
        before.push_str(&format!("{f}: {}\n", show(old)));
        after.push_str(&format!("{f}: {}\n", show(Some(new))));
    }
    (before, after)
}

#[cfg(test)]
#[path = "container_spec_tests.rs"]
mod tests;
