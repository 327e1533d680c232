//! `docker_container` (community.docker.docker_container): a named container with the asked
//! image and configuration, in the asked state.
//!
//! A container is recreated when the image ID its reference resolves to differs from the one
//! it runs, when its configuration (env-file contents included) differs from the hash stored
//! in its `play.config-hash` label, or when `recreate` is set. A container not created by
//! play has no such label and is recreated once. Check mode and `--diff` name the fields that
//! would change (env by key only). `state: healthy` is play's extension: `started`, then wait
//! (bounded by `healthy_wait_timeout`) until Docker reports the container healthy. The
//! returned `container` is the inspect data with env values and play's hash labels redacted.
//!
//! The label hashes are keyed with the host's key, `/var/lib/play/hash.key`
//! (`crate::hash_key`), which only root may read or make. Without become (a user in the
//! docker group) the module keys them with that user's own key instead, beside the agent
//! (`hash_key::path_for`), so such playbooks work as they did before keyed hashes. A
//! container made by an older play (plain-hash labels) compares in that format and is left
//! alone when nothing changed.

use super::{Context, ModuleError, ModuleOutcome};
use crate::docker::auth::default_config_path;
use crate::docker::container_spec::{
    compare_labels, diff_text, read_env_file_as, scalar_map, ContainerSpec, HealthcheckSpec,
    Scalar, Words, LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_ENV_KEYS,
};
use crate::docker::duration::DurationArg;
use crate::docker::health;
use crate::docker::images::{self, PullPolicy};
use crate::docker::reference::ImageRef;
use crate::docker::spec::{parse_memory, PortSpec, VolumeSpec};
use crate::docker::{logs, Docker};
use crate::hash_key::{Hashing, HostKey};
use crate::release::plan::{L_CONFIG_SHA, L_ENV_SHA};
use crate::release::StateDir;
use play_protocol::{Diff, ModuleResult};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Started,
    Stopped,
    Present,
    Absent,
    /// play's extension: started, then healthy by Docker's healthcheck.
    Healthy,
}

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    No,
    Always,
    OnFailure,
    UnlessStopped,
}

impl RestartPolicy {
    pub fn api_name(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::Always => "always",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }
}

/// community.docker's `healthcheck` dict.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct HealthcheckArgs {
    /// A string runs with the shell (`CMD-SHELL`); a list is `CMD` form; `["NONE"]` disables.
    pub test: Value,
    #[serde(default)]
    pub interval: Option<DurationArg>,
    #[serde(default)]
    pub timeout: Option<DurationArg>,
    #[serde(default)]
    pub retries: Option<u64>,
    #[serde(default)]
    pub start_period: Option<DurationArg>,
}

impl HealthcheckArgs {
    pub fn to_spec(&self) -> Result<HealthcheckSpec, String> {
        let test = match &self.test {
            Value::String(s) => vec!["CMD-SHELL".to_string(), s.clone()],
            Value::Array(a) => {
                let words: Vec<String> = a
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        other => Err(format!("healthcheck.test: {other} is not a string")),
                    })
                    .collect::<Result<_, _>>()?;
                match words.first().map(String::as_str) {
                    Some("CMD" | "CMD-SHELL" | "NONE") => words,
                    Some(_) => [vec!["CMD".to_string()], words].concat(),
                    None => return Err("healthcheck.test is empty".into()),
                }
            }
            other => {
                return Err(format!(
                    "healthcheck.test: expected a string or a list, got {other}"
                ))
            }
        };
        let ns = |d: &Option<DurationArg>| d.map(|d| d.0.as_nanos() as u64);
        Ok(HealthcheckSpec {
            test,
            interval_ns: ns(&self.interval),
            timeout_ns: ns(&self.timeout),
            retries: self.retries,
            start_period_ns: ns(&self.start_period),
        })
    }
}

/// A network to attach: a name, or community.docker's `{name: ...}` dict.
#[derive(Debug, Clone)]
pub struct NetworkArg(pub String);

impl<'de> Deserialize<'de> for NetworkArg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(NetworkArg(s)),
            Value::Object(m) => match m.get("name").and_then(Value::as_str) {
                Some(n) if m.len() == 1 => Ok(NetworkArg(n.to_string())),
                Some(_) => Err(serde::de::Error::custom(
                    "networks: only 'name' is supported per network (aliases, ipv4_address are not yet)",
                )),
                None => Err(serde::de::Error::custom("networks: each entry needs a name")),
            },
            other => Err(serde::de::Error::custom(format!("networks: unexpected {other}"))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub command: Option<Words>,
    #[serde(default)]
    pub entrypoint: Option<Words>,
    #[serde(default)]
    pub env: Option<BTreeMap<String, Scalar>>,
    #[serde(default)]
    pub env_file: Option<String>,
    #[serde(default)]
    pub published_ports: Vec<Scalar>,
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(default)]
    pub restart_retries: Option<u64>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, Scalar>>,
    #[serde(default)]
    pub healthcheck: Option<HealthcheckArgs>,
    #[serde(default)]
    pub networks: Vec<NetworkArg>,
    #[serde(default)]
    pub network_mode: Option<String>,
    #[serde(default)]
    pub state: State,
    #[serde(default)]
    pub recreate: bool,
    /// With started: restart the container even when nothing changed.
    #[serde(default)]
    pub restart: bool,
    #[serde(default)]
    pub pull: Option<PullPolicy>,
    /// With `detach: false`: remove the container after it exited.
    #[serde(default)]
    pub cleanup: bool,
    #[serde(default = "yes")]
    pub detach: bool,
    #[serde(default)]
    pub stop_timeout: Option<u64>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub memory: Option<Scalar>,
    /// play's extension, for `state: healthy` (default 60s).
    #[serde(default)]
    pub healthy_wait_timeout: Option<DurationArg>,
    #[serde(default)]
    pub docker_host: Option<String>,
}

fn yes() -> bool {
    true
}

impl Args {
    /// The desired configuration; reads the env file (in check mode as the check run left it).
    pub fn spec_as(&self, check: bool) -> Result<ContainerSpec, String> {
        let mut env = BTreeMap::new();
        let mut env_file = None;
        if let Some(path) = &self.env_file {
            let (vars, info) = read_env_file_as(path, check)?;
            env = vars;
            env_file = Some(info);
        }
        env.extend(scalar_map(self.env.clone()));
        Ok(ContainerSpec {
            command: self.command.clone().map(|w| w.0),
            entrypoint: self.entrypoint.clone().map(|w| w.0),
            env,
            env_file,
            ports: self
                .published_ports
                .iter()
                .map(|p| PortSpec::parse(&p.0))
                .collect::<Result<_, _>>()?,
            volumes: self
                .volumes
                .iter()
                .map(|v| VolumeSpec::parse(v))
                .collect::<Result<_, _>>()?,
            restart_policy: self.restart_policy.map(|p| p.api_name().to_string()),
            restart_retries: self.restart_retries,
            labels: scalar_map(self.labels.clone()),
            healthcheck: self.healthcheck.as_ref().map(|h| h.to_spec()).transpose()?,
            networks: self.networks.iter().map(|n| n.0.clone()).collect(),
            network_mode: self.network_mode.clone(),
            user: self.user.clone(),
            working_dir: self.working_dir.clone(),
            hostname: self.hostname.clone(),
            memory: self
                .memory
                .as_ref()
                .map(|m| parse_memory(&m.0))
                .transpose()?,
            stop_timeout: self.stop_timeout,
        })
    }
}

/// Inspect data safe to return: env values replaced, keys kept; play's hashes of secrets
/// (the config hash, the env file's and each env value's) replaced too, as they stay on the
/// host.
pub fn redact_env(mut inspect: Value) -> Value {
    const REDACTED: &str = "<redacted>";
    if let Some(env) = inspect["Config"]["Env"].as_array_mut() {
        for e in env.iter_mut() {
            if let Some(s) = e.as_str() {
                let key = s.split('=').next().unwrap_or_default();
                *e = Value::String(format!("{key}={REDACTED}"));
            }
        }
    }
    if let Some(labels) = inspect["Config"]["Labels"].as_object_mut() {
        for name in [LABEL_CONFIG_HASH, L_CONFIG_SHA, L_ENV_SHA] {
            if let Some(v) = labels.get_mut(name) {
                *v = json!(REDACTED);
            }
        }
        // The JSON labels keep their shape (env keys, every other field), hashes replaced.
        for name in [LABEL_ENV_KEYS, LABEL_CONFIG] {
            let Some(label) = labels.get_mut(name) else {
                continue;
            };
            let parsed: Option<Value> = label.as_str().and_then(|s| serde_json::from_str(s).ok());
            *label = match parsed {
                Some(mut v @ Value::Object(_)) => {
                    // `play.env-keys` is the env map; `play.config` holds it under "env".
                    let env = if name == LABEL_ENV_KEYS {
                        Some(&mut v)
                    } else {
                        v.get_mut("env")
                    };
                    if let Some(m) = env.and_then(Value::as_object_mut) {
                        m.values_mut().for_each(|x| *x = json!(REDACTED));
                    }
                    if name == LABEL_CONFIG {
                        if let Some(f) = v.get_mut("env_file").and_then(Value::as_object_mut) {
                            f.insert("sha256".into(), json!(REDACTED));
                        }
                    }
                    json!(v.to_string())
                }
                _ => json!(REDACTED),
            };
        }
    }
    inspect
}

/// Creates the container (and attaches its extra networks), its labels' hashes keyed with
/// `key`; returns its ID.
pub fn create(
    docker: &Docker,
    name: &str,
    spec: &ContainerSpec,
    image: &str,
    extra_labels: &BTreeMap<String, String>,
    key: &HostKey,
) -> Result<String, String> {
    let body = spec.create_body(image, extra_labels, Hashing::Keyed(key));
    let id = docker
        .create_container(name, &body)
        .map_err(|e| format!("creating container {name} from {image}: {e}"))?;
    for net in spec.networks.iter().skip(1) {
        docker
            .connect_network(net, &id)
            .map_err(|e| format!("connecting {name} to network {net}: {e}"))?;
    }
    Ok(id)
}

fn is_running(inspect: &Value) -> bool {
    inspect["State"]["Running"].as_bool().unwrap_or(false)
}

pub fn run(args: Args, ctx: &Context) -> ModuleOutcome {
    run_in(&StateDir::from_env(), args, ctx)
}

/// [`run`] with the hash key under `state`.
pub fn run_in(state: &StateDir, args: Args, ctx: &Context) -> ModuleOutcome {
    let spec = args.spec_as(ctx.check)?;
    let docker = crate::docker::connect(args.docker_host.as_deref())?;
    let name = args.name.as_str();
    let existing = docker
        .container_inspect(name)
        .map_err(|e| format!("inspecting container {name}: {e}"))?;

    if args.state == State::Absent {
        let Some(cur) = existing else {
            return Ok(ModuleResult::ok().with("container", json!({})));
        };
        if !ctx.check {
            docker
                .remove_container(name, true)
                .map_err(|e| format!("removing container {name}: {e}"))?;
        }
        let mut r = ModuleResult::changed(true).with("container", json!({}));
        if ctx.diff {
            r.diff.push(Diff {
                before_header: Some(name.to_string()),
                after_header: Some(name.to_string()),
                before: format!(
                    "state: {}\n",
                    cur["State"]["Status"].as_str().unwrap_or("?")
                ),
                after: "state: absent\n".into(),
            });
        }
        return Ok(r);
    }

    let image_name = args.image.as_deref().ok_or_else(|| {
        ModuleError(format!(
            "docker_container {name}: image is required unless state is absent"
        ))
    })?;
    // Before any pull or change: without the key, nothing can be compared or labelled.
    let key = HostKey::for_run(&crate::hash_key::path_for(state), ctx.check)
        .map_err(|e| ModuleError(format!("docker_container {name}: {e}")))?;
    let image = ImageRef::parse(image_name, None).map_err(ModuleError)?;
    let policy = args.pull.unwrap_or(PullPolicy::Missing);
    let auth_config = default_config_path();
    // In check mode nothing is pulled: a missing image, or a newer one at the registry, would
    // change the container, which is what check mode reports.
    let (image_id, image_changes) = if ctx.check {
        let local = images::find_local(&docker, &image)?;
        let newer_remote = policy == PullPolicy::Always
            && local.as_ref().is_some_and(|l| {
                images::remote_digest(&docker, &image, &auth_config)
                    .is_some_and(|d| l.digest.as_deref() != Some(d.as_str()))
            });
        match local {
            Some(l) if !newer_remote => (l.id, false),
            _ if policy == PullPolicy::Never => {
                return Err(ModuleError(format!(
                    "image {} is not present on this host and pull is 'never'",
                    image.pinned()
                )))
            }
            _ => ("(to be pulled)".to_string(), true),
        }
    } else {
        let (local, _) = images::ensure(&docker, &image, policy, None, &auth_config)?;
        (local.id, false)
    };

    let mut new_view = Value::Null;
    let mut fields: Vec<String> = Vec::new();
    let mut env_change = Default::default();
    let mut old_view: Option<Value> = None;
    let recreate = match &existing {
        None => true,
        Some(cur) => {
            let config = compare_labels(&cur["Config"]["Labels"], LABEL_CONFIG_HASH, &spec, &key);
            (fields, env_change) = (config.fields, config.env);
            (old_view, new_view) = (config.old_view, config.new_view);
            let same_image = !image_changes && cur["Image"].as_str() == Some(image_id.as_str());
            if !same_image {
                fields.insert(0, "image".into());
            }
            args.recreate || !same_image || !config.same
        }
    };

    let was_running = existing.as_ref().is_some_and(is_running);
    let want_running = match args.state {
        State::Started | State::Healthy => true,
        State::Stopped => false,
        State::Present | State::Absent => was_running,
    };
    let mut changed = false;
    let mut actions: Vec<String> = Vec::new();
    let mut id = existing
        .as_ref()
        .and_then(|c| c["Id"].as_str().map(str::to_string))
        .unwrap_or_default();
    if recreate {
        changed = true;
        actions.push(if existing.is_some() {
            "recreate".into()
        } else {
            "create".into()
        });
        if !ctx.check {
            if existing.is_some() {
                if was_running {
                    docker
                        .stop(&id, args.stop_timeout)
                        .map_err(|e| format!("stopping container {name}: {e}"))?;
                }
                docker
                    .remove_container(&id, true)
                    .map_err(|e| format!("removing container {name}: {e}"))?;
            }
            id = create(
                &docker,
                name,
                &spec,
                &image.pinned(),
                &BTreeMap::new(),
                &key,
            )?;
        }
    }
    let running_now = !recreate && was_running;
    if want_running && !running_now {
        changed = true;
        actions.push("start".into());
        if !ctx.check {
            docker
                .start(&id)
                .map_err(|e| format!("starting container {name}: {e}"))?;
        }
    } else if want_running && args.restart {
        changed = true;
        actions.push("restart".into());
        if !ctx.check {
            docker
                .restart(&id, args.stop_timeout)
                .map_err(|e| format!("restarting container {name}: {e}"))?;
        }
    } else if !want_running && running_now {
        changed = true;
        actions.push("stop".into());
        if !ctx.check {
            docker
                .stop(&id, args.stop_timeout)
                .map_err(|e| format!("stopping container {name}: {e}"))?;
        }
    }

    let mut result = ModuleResult::changed(changed);
    if !ctx.check && want_running && !args.detach {
        let code = docker
            .wait(&id, Duration::from_secs(24 * 3600))
            .map_err(|e| format!("waiting for container {name}: {e}"))?;
        let tty = existing
            .as_ref()
            .is_some_and(|c| c["Config"]["Tty"].as_bool() == Some(true));
        let output = docker.logs_tail(&id, None, tty).unwrap_or_default();
        result = result.with("status", code).with("output", output.clone());
        if args.cleanup {
            docker
                .remove_container(&id, true)
                .map_err(|e| format!("removing container {name}: {e}"))?;
        }
        if code != 0 {
            let tail = logs::last_lines(&output, 20).join("\n");
            return Err(ModuleError(format!(
                "container {name} exited with status {code}; last output:\n{tail}"
            )));
        }
    }
    if !ctx.check && args.state == State::Healthy {
        let timeout = args
            .healthy_wait_timeout
            .map(|d| d.0)
            .unwrap_or(Duration::from_secs(60));
        if let Err(u) =
            health::wait_docker_healthy(&docker, &id, timeout, Duration::from_millis(500), &|| None)
        {
            let tail = docker.logs_tail(&id, Some(20), false).unwrap_or_default();
            return Err(ModuleError(format!(
                "container {name} is not healthy: {}; last log lines:\n{tail}",
                u.reason
            )));
        }
    }
    if ctx.diff && !fields.is_empty() {
        let (mut before, mut after) = diff_text(old_view.as_ref(), &new_view, &fields, &env_change);
        if fields.first().map(String::as_str) == Some("image") {
            let old_id = existing
                .as_ref()
                .and_then(|c| c["Image"].as_str())
                .unwrap_or("");
            before = format!("image_id: {old_id}\n{before}");
            after = format!("image_id: {image_id}\n{after}");
        }
        result.diff.push(Diff {
            before_header: Some(format!("container {name}")),
            after_header: Some(format!("container {name}")),
            before,
            after,
        });
    } else if ctx.diff && existing.is_none() {
        result.diff.push(Diff {
            before_header: Some(format!("container {name}")),
            after_header: Some(format!("container {name}")),
            before: String::new(),
            after: format!("image: {}\n", image.pinned()),
        });
    }
    let container = if ctx.check || (args.cleanup && !args.detach) {
        existing.map(redact_env).unwrap_or_else(|| json!({}))
    } else {
        docker
            .container_inspect(&id)
            .map_err(|e| format!("inspecting container {name}: {e}"))?
            .map(redact_env)
            .unwrap_or_else(|| json!({}))
    };
    if !actions.is_empty() {
        result.msg = Some(format!("{name}: {}", actions.join(", ")));
    }
    Ok(result
        .with("container", container)
        .with("changed_fields", json!(fields))
        .with("env_keys", env_change.to_json())
        .with("actions", json!(actions)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_build_the_spec() {
        let a: Args = serde_json::from_value(json!({
            "name": "web", "image": "app:v1", "command": "httpd -f -p 80",
            "env": {"A": "1", "PORT": 8080}, "published_ports": ["127.0.0.1:8080:80", 53],
            "volumes": ["/srv:/srv:ro"], "restart_policy": "unless-stopped",
            "healthcheck": {"test": ["wget", "-q", "http://localhost/"], "interval": "5s", "start_period": "1m30s"},
            "networks": [{"name": "backend"}, "front"], "memory": "64m", "state": "healthy",
        }))
        .unwrap();
        let s = a.spec_as(false).unwrap();
        assert_eq!(s.command.as_deref().unwrap(), ["httpd", "-f", "-p", "80"]);
        assert_eq!(s.env["PORT"], "8080");
        assert_eq!(s.ports.len(), 2);
        assert_eq!(s.restart_policy.as_deref(), Some("unless-stopped"));
        let h = s.healthcheck.unwrap();
        assert_eq!(h.test[0], "CMD");
        assert_eq!(h.start_period_ns, Some(90_000_000_000));
        assert_eq!(s.networks, vec!["backend", "front"]);
        assert_eq!(s.memory, Some(64 << 20));
    }

    #[test]
    fn bad_values_fail_with_the_option_named() {
        let a: Args =
            serde_json::from_value(json!({"name": "w", "published_ports": ["80:http"]})).unwrap();
        assert!(a.spec_as(false).unwrap_err().contains("published port"));
        let e = serde_json::from_value::<Args>(json!({"name": "w", "restart_policy": "sometimes"}))
            .unwrap_err();
        assert!(e.to_string().contains("sometimes"));
        let e =
            serde_json::from_value::<Args>(json!({"name": "w", "state": "running"})).unwrap_err();
        assert!(e.to_string().contains("running"));
    }

    #[test]
    fn returned_inspect_has_no_env_values() {
        let v = redact_env(json!({"Config": {"Env": ["A=secret", "B=x=y"]}}));
        assert_eq!(v["Config"]["Env"], json!(["A=<redacted>", "B=<redacted>"]));
    }

    #[test]
    fn returned_inspect_has_no_hashes_of_secrets() {
        // Labels of a release container made by an older play (plain hashes).
        let plain_file = "6728a4a2930df4c95f48dd96dfc520053fa850c35dcd5f95b935ef67478f74da";
        let v = redact_env(json!({"Config": {"Env": [], "Labels": {
            "team": "web",
            "play.release.tag": "v1",
            "play.config-hash": "a79a91b06ff92caa9a3427d01e0ac445c8d65ecd8fde24358325b2ac6e57aefc",
            "play.release.config_sha256": "a79a91b06ff92caa9a3427d01e0ac445c8d65ecd8fde24358325b2ac6e57aefc",
            "play.release.env_sha256": plain_file,
            "play.env-keys": r#"{"A":"6b86b273ff34","SECRET":"f52fbd32b2b3"}"#,
            "play.config": format!(r#"{{"env":{{"A":"6b86b273ff34","SECRET":"f52fbd32b2b3"}},"env_file":{{"path":"/srv/app/.env","sha256":"{plain_file}"}},"user":null}}"#),
        }}}));
        let labels = &v["Config"]["Labels"];
        assert_eq!(
            (&labels["team"], &labels["play.release.tag"]),
            (&json!("web"), &json!("v1"))
        );
        for name in [LABEL_CONFIG_HASH, L_CONFIG_SHA, L_ENV_SHA] {
            assert_eq!(labels[name], "<redacted>");
        }
        assert_eq!(
            labels[LABEL_ENV_KEYS],
            r#"{"A":"<redacted>","SECRET":"<redacted>"}"#
        );
        assert_eq!(
            labels[LABEL_CONFIG],
            r#"{"env":{"A":"<redacted>","SECRET":"<redacted>"},"env_file":{"path":"/srv/app/.env","sha256":"<redacted>"},"user":null}"#
        );
        let shown = v.to_string();
        for hash in [
            "a79a91b06ff9",
            "6728a4a2930d",
            "6b86b273ff34",
            "f52fbd32b2b3",
        ] {
            assert!(!shown.contains(hash), "{shown}");
        }
        // A label that is not play's JSON is replaced whole.
        let v = redact_env(json!({"Config": {"Labels": {"play.config": "{torn"}}}));
        assert_eq!(v["Config"]["Labels"]["play.config"], "<redacted>");
    }
}
