//! `docker_login` (community.docker.docker_login): check registry credentials with the daemon
//! (`POST /auth`) and store them in the Docker config JSON, so later pulls (the Docker CLI's
//! and the agent's own, which read the same file) are authenticated.
//!
//! The password never appears in argv (no `docker login` child process), in the result, in
//! diffs or in error messages. Changed only when the stored `auth` differs from the new one.
//!
//! Trusting a registry's private CA is not this module's job: dockerd reads
//! `/etc/docker/certs.d/HOST:PORT/ca.crt`, so a playbook places it there with `copy` before
//! logging in (no daemon restart needed).

use super::{Context, ModuleError, ModuleOutcome};
use crate::docker::auth::{self, default_config_path};
use crate::docker::reference::{registry_key, DOCKER_HUB_KEY};
use play_protocol::{Diff, ModuleResult};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;

/// A secret string: never printed by `Debug`.
#[derive(Deserialize, Clone, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy, Default)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default)]
    pub registry_url: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// Check the credentials with the registry even when the stored ones are the same.
    #[serde(default)]
    pub reauthorize: bool,
    #[serde(default)]
    pub state: State,
    #[serde(default)]
    pub config_path: Option<PathBuf>,
    #[serde(default)]
    pub docker_host: Option<String>,
}

pub fn run(args: Args, ctx: &Context) -> ModuleOutcome {
    let registry = registry_key(args.registry_url.as_deref().unwrap_or(DOCKER_HUB_KEY));
    let path = args.config_path.clone().unwrap_or_else(default_config_path);
    let mut config = auth::load_config(&path)?;
    let stored = auth::stored_auth(&config, &registry);
    let header = |s: &str| Some(format!("{} {s}", path.display()));
    let data = |r: ModuleResult| {
        r.with("registry", registry.clone())
            .with("config_path", path.display().to_string())
    };
    if args.state == State::Absent {
        if stored.is_none() {
            return Ok(data(ModuleResult::ok()));
        }
        if !ctx.check {
            auth::remove_auth(&mut config, &registry);
            auth::save_config(&path, &config)?;
        }
        let mut r = ModuleResult::changed(true).with_msg(format!("logged out of {registry}"));
        if ctx.diff {
            r.diff.push(Diff {
                before_header: header("(before)"),
                after_header: header("(after)"),
                before: format!("auths.{registry}: (credentials)\n"),
                after: String::new(),
            });
        }
        return Ok(data(r));
    }
    let (Some(username), Some(password)) = (&args.username, &args.password) else {
        return Err(ModuleError(
            "docker_login: state present needs username and password".into(),
        ));
    };
    let wanted = auth::encode_auth(username, &password.0);
    let changed = stored.as_deref() != Some(wanted.as_str());
    if changed || args.reauthorize {
        let docker = crate::docker::connect(args.docker_host.as_deref())
            .map_err(|e| ModuleError(format!("login to {registry}: {e}")))?;
        docker
            .auth(&json!({
                "username": username,
                "password": password.0,
                "serveraddress": registry,
            }))
            .map_err(|e| {
                ModuleError(format!(
                    "login to {registry} as {username} failed: {e} (check the credentials, and for a private CA place it in /etc/docker/certs.d/{registry}/ca.crt)"
                ))
            })?;
    }
    if !changed {
        return Ok(data(ModuleResult::ok().with_msg(format!(
            "already logged in to {registry} as {username}"
        ))));
    }
    if !ctx.check {
        auth::set_auth(&mut config, &registry, &wanted);
        auth::save_config(&path, &config)?;
    }
    let mut r =
        ModuleResult::changed(true).with_msg(format!("logged in to {registry} as {username}"));
    if ctx.diff {
        r.diff.push(Diff {
            before_header: header("(before)"),
            after_header: header("(after)"),
            before: if stored.is_some() {
                format!("auths.{registry}: (other credentials)\n")
            } else {
                String::new()
            },
            after: format!("auths.{registry}: (credentials for {username})\n"),
        });
    }
    Ok(data(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ctx(env: &BTreeMap<String, String>) -> Context<'_> {
        Context {
            check: false,
            diff: true,
            no_log: false,
            environment: env,
            become_user: None,
            timeout: None,
            deadline: None,
            cancel: &crate::modules::NEVER_CANCELLED,
        }
    }

    #[test]
    fn password_is_not_in_debug_output() {
        let a: Args =
            serde_json::from_value(json!({"username": "u", "password": "hunter2"})).unwrap();
        assert!(!format!("{a:?}").contains("hunter2"));
    }

    #[test]
    fn stored_credentials_unchanged_need_no_daemon_and_logout_removes_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let mut c = serde_json::Map::new();
        auth::set_auth(&mut c, "reg:5000", &auth::encode_auth("u", "hunter2"));
        auth::save_config(&path, &c).unwrap();
        let env = BTreeMap::new();
        let args = |state: &str| -> Args {
            serde_json::from_value(json!({
                "registry_url": "https://reg:5000", "username": "u", "password": "hunter2",
                "config_path": path, "state": state,
                // An unreachable daemon proves no /auth call is made when nothing changed.
                "docker_host": "unix:///nonexistent.sock",
            }))
            .unwrap()
        };
        let r = run(args("present"), &ctx(&env)).unwrap();
        assert!(!r.changed);
        let r = run(args("absent"), &ctx(&env)).unwrap();
        assert!(r.changed);
        assert!(!serde_json::to_string(&r).unwrap().contains("hunter2"));
        assert!(auth::stored_auth(&auth::load_config(&path).unwrap(), "reg:5000").is_none());
        // A new password must be verified first: with no daemon that fails, naming no secret.
        let err = run(args("present"), &ctx(&env)).unwrap_err().0;
        assert!(
            err.contains("reg:5000") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
