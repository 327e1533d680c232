//! The desired configuration of one container, and everything derived from it: the Engine
//! API create body, the config hash, the public (secret-free) view stored in labels, and the
//! field-by-field comparison that check mode and `--diff` show.
//!
//! Why a hash label instead of comparing `docker inspect` output: Docker fills in defaults
//! from the image (Cmd, Env, Healthcheck), so inspect output never equals what was asked.
//! Hashing what was asked (env-file contents included) and storing it on the container makes
//! "did anything change" exact and cheap. The public view (`play.config`) stores env values
//! only as short hashes, so diffs can name changed keys without ever holding a value.

use super::spec::{PortSpec, VolumeSpec};
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

/// The env file's identity: where it was and the sha256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileInfo {
    pub path: String,
    pub sha256: String,
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

/// The short per-value hash stored in `play.env-keys`: enough to tell a change, not a value.
pub fn short_hash(value: &str) -> String {
    sha256_hex(value.as_bytes())[..12].to_string()
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
/// blank lines; values taken literally). Returns the variables and the sha256 of the bytes.
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
    Ok((
        vars,
        EnvFileInfo {
            path: path.to_string(),
            sha256: sha256_hex(&raw),
        },
    ))
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
    fn value(&self, env: Value) -> Value {
        let mut ports = self.ports.clone();
        ports.sort();
        let mut volumes = self.volumes.clone();
        volumes.sort();
        json!({
            "command": self.command,
            "entrypoint": self.entrypoint,
            "env": env,
            "env_file": self.env_file.as_ref().map(|f| json!({"path": f.path, "sha256": f.sha256})),
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

    /// sha256 over the canonical JSON of everything asked, env values included.
    pub fn config_hash(&self) -> String {
        let env: Map<String, Value> = self
            .env
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        sha256_hex(canonical_json(&self.value(Value::Object(env))).as_bytes())
    }

    /// `{key: short_hash(value)}`: what the env looks like without its values.
    pub fn env_keys(&self) -> BTreeMap<String, String> {
        self.env
            .iter()
            .map(|(k, v)| (k.clone(), short_hash(v)))
            .collect()
    }

    /// The secret-free view stored in the `play.config` label.
    pub fn public_view(&self) -> Value {
        self.value(json!(self.env_keys()))
    }

    /// The labels play adds so a later run can compare exactly.
    pub fn play_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (LABEL_CONFIG_HASH.to_string(), self.config_hash()),
            (
                LABEL_CONFIG.to_string(),
                canonical_json(&self.public_view()),
            ),
            (
                LABEL_ENV_KEYS.to_string(),
                canonical_json(&json!(self.env_keys())),
            ),
        ])
    }

    /// The `POST /containers/create` body for `image`, with the user's labels, play's
    /// comparison labels and `extra_labels` (the release's identity).
    pub fn create_body(&self, image: &str, extra_labels: &BTreeMap<String, String>) -> Value {
        let mut labels = self.labels.clone();
        labels.extend(self.play_labels());
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
            // The path only: the file's sha256 is a plain hash of secrets, which output must
            // not carry (a short secret could be brute-forced from it).
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
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            command: Some(vec!["httpd".into(), "-f".into()]),
            env: BTreeMap::from([
                ("A".into(), "1".into()),
                ("SECRET".into(), "hunter2".into()),
            ]),
            ports: vec![PortSpec::parse("8080:80").unwrap()],
            restart_policy: Some("always".into()),
            labels: BTreeMap::from([("team".into(), "web".into())]),
            ..ContainerSpec::default()
        }
    }

    #[test]
    fn removing_an_env_var_changes_the_hash() {
        let a = spec();
        let mut b = spec();
        b.env.remove("A");
        assert_ne!(a.config_hash(), b.config_hash());
        let (fields, env) = changed_fields(Some(&a.public_view()), &b.public_view());
        assert_eq!(fields, vec!["env"]);
        assert_eq!(env.removed, vec!["A"]);
    }

    #[test]
    fn env_file_content_change_changes_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# c\nDB=postgres://x\n\nTOKEN=abc\n").unwrap();
        let (vars, info) = read_env_file_as(path.to_str().unwrap(), false).unwrap();
        assert_eq!(vars["DB"], "postgres://x");
        let mut a = spec();
        a.env_file = Some(info);
        // A comment-only edit changes the file's bytes, so it counts too.
        std::fs::write(&path, "# changed\nDB=postgres://x\n\nTOKEN=abc\n").unwrap();
        let mut b = spec();
        b.env_file = Some(read_env_file_as(path.to_str().unwrap(), false).unwrap().1);
        assert_ne!(a.config_hash(), b.config_hash());
    }

    #[test]
    fn dict_key_order_does_not_change_the_hash() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": 2, "x": 3}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a": {"x": 3, "y": 2}, "b": 1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        let mut s1 = spec();
        s1.ports = vec![
            PortSpec::parse("1:1").unwrap(),
            PortSpec::parse("2:2").unwrap(),
        ];
        let mut s2 = spec();
        s2.ports = vec![
            PortSpec::parse("2:2").unwrap(),
            PortSpec::parse("1:1").unwrap(),
        ];
        assert_eq!(s1.config_hash(), s2.config_hash());
    }

    #[test]
    fn labels_and_diffs_never_hold_env_values() {
        let s = spec();
        let labels = s.play_labels();
        for v in labels.values() {
            assert!(!v.contains("hunter2"), "{v}");
        }
        let mut t = spec();
        t.env.insert("SECRET".into(), "hunter3".into());
        t.env.insert("NEW".into(), "v".into());
        let (fields, env) = changed_fields(Some(&s.public_view()), &t.public_view());
        assert_eq!(fields, vec!["env"]);
        assert_eq!(
            (env.added.clone(), env.changed.clone()),
            (vec!["NEW".to_string()], vec!["SECRET".to_string()])
        );
        let (before, after) = diff_text(Some(&s.public_view()), &t.public_view(), &fields, &env);
        assert!(!before.contains("hunter") && !after.contains("hunter"));
        assert!(after.contains("values changed: SECRET"), "{after}");

        // An env file's content hash is a plain hash of secrets: the diff names its path only.
        let file = |sha: &str| EnvFileInfo {
            path: "/etc/app/.env".into(),
            sha256: sha.into(),
        };
        let (mut a, mut b) = (spec(), spec());
        a.env_file = Some(file(&"a".repeat(64)));
        b.env_file = Some(file(&"b".repeat(64)));
        let (fields, env) = changed_fields(Some(&a.public_view()), &b.public_view());
        assert_eq!(fields, vec!["env_file"]);
        let (before, after) = diff_text(Some(&a.public_view()), &b.public_view(), &fields, &env);
        assert_eq!(before, "env_file: /etc/app/.env\n");
        assert_eq!(after, "env_file: /etc/app/.env (content changed)\n");
    }

    #[test]
    fn a_container_not_made_by_play_differs_in_every_set_field() {
        let (fields, env) = changed_fields(None, &spec().public_view());
        assert!(fields.contains(&"command".to_string()));
        assert_eq!(env.added, vec!["A", "SECRET"]);
    }

    #[test]
    fn create_body_has_the_engine_api_shape() {
        let mut s = spec();
        s.volumes = vec![
            VolumeSpec::parse("/srv:/data:ro").unwrap(),
            VolumeSpec::parse("/cache").unwrap(),
        ];
        s.networks = vec!["backend".into()];
        let body = s.create_body(
            "app:v1",
            &BTreeMap::from([("play.release.service".into(), "web".into())]),
        );
        assert_eq!(body["Image"], "app:v1");
        assert_eq!(body["Env"], json!(["A=1", "SECRET=hunter2"]));
        assert_eq!(
            body["HostConfig"]["PortBindings"]["80/tcp"],
            json!([{"HostIp": "", "HostPort": "8080"}])
        );
        assert_eq!(body["HostConfig"]["Binds"], json!(["/srv:/data:ro"]));
        assert_eq!(body["Volumes"], json!({"/cache": {}}));
        assert_eq!(body["HostConfig"]["RestartPolicy"]["Name"], "always");
        assert_eq!(body["HostConfig"]["NetworkMode"], "backend");
        assert_eq!(body["Labels"]["team"], "web");
        assert_eq!(body["Labels"]["play.release.service"], "web");
        assert_eq!(body["Labels"][LABEL_CONFIG_HASH], json!(s.config_hash()));
    }

    #[test]
    fn env_file_errors_name_the_line_not_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "A=1\nsupersecretvalue\n").unwrap();
        let err = read_env_file_as(path.to_str().unwrap(), false).unwrap_err();
        assert!(err.contains(":2:") && !err.contains("supersecret"), "{err}");
    }

    #[test]
    fn scalars_take_numbers_and_refuse_booleans() {
        let m: BTreeMap<String, Scalar> =
            serde_json::from_str(r#"{"PORT": 8080, "X": "y"}"#).unwrap();
        assert_eq!(scalar_map(Some(m))["PORT"], "8080");
        assert!(
            serde_json::from_str::<BTreeMap<String, Scalar>>(r#"{"DEBUG": true}"#)
                .unwrap_err()
                .to_string()
                .contains("quote it")
        );
        let w: Words = serde_json::from_str(r#""sh -c 'echo hi'""#).unwrap();
        assert_eq!(w.0, vec!["sh", "-c", "echo hi"]);
    }
}
