//! `release`: play's own module, the release transaction of one service (see
//! `crate::release`). Arguments name the image (by tag, or pinned by `digest` as rollback
//! does), the container's configuration (docker_container's names), the health check and who
//! released and why. Check mode reports what would change: image tag and digest old → new,
//! changed fields, env keys added/removed/changed (never values), and whether the container
//! would be recreated; this feeds `--check --diff` and `play plan`. The result's `history`
//! is the line written, without its hashes of secrets (they stay on the host).

use super::docker_container::{NetworkArg, RestartPolicy};
use super::{Context, ModuleError, ModuleOutcome};
use crate::docker::auth::default_config_path;
use crate::docker::container_spec::{
    diff_text, read_env_file_as, scalar_map, ContainerSpec, Scalar, Words,
};
use crate::docker::duration::DurationArg;
use crate::docker::images::PullPolicy;
use crate::docker::reference::ImageRef;
use crate::docker::spec::{PortSpec, VolumeSpec};
use crate::hash_key::HostKey;
use crate::release::plan::{self, HealthCheck, Request};
use crate::release::{lock, transaction, StateDir};
use play_protocol::{Diff, ModuleResult};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// `health:`; with neither `http` nor `docker`, the new container must merely keep running.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct HealthArgs {
    /// Checked from the host: use the published port (`http://127.0.0.1:8080/health`).
    #[serde(default)]
    pub http: Option<String>,
    /// Wait for Docker's HEALTHCHECK to report healthy.
    #[serde(default)]
    pub docker: bool,
    #[serde(default)]
    pub expect_status: Option<u16>,
    #[serde(default)]
    pub timeout: Option<DurationArg>,
    #[serde(default)]
    pub interval: Option<DurationArg>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub service: String,
    /// The repository (`reg:5000/app`); a tag in it wins over `tag`.
    pub image: String,
    #[serde(default)]
    pub tag: Option<String>,
    /// `sha256:...`: run exactly this image (`repo@sha256:..`, or a local image ID).
    #[serde(default)]
    pub digest: Option<String>,
    /// The `.env` the playbook wrote; its contents count in the comparison.
    #[serde(default)]
    pub env_file: Option<String>,
    /// Extra, non-secret variables (over the env file's).
    #[serde(default)]
    pub env: Option<BTreeMap<String, Scalar>>,
    #[serde(default)]
    pub published_ports: Vec<Scalar>,
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub command: Option<Words>,
    /// Default `unless-stopped`.
    #[serde(default)]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, Scalar>>,
    #[serde(default)]
    pub networks: Vec<NetworkArg>,
    #[serde(default)]
    pub health: Option<HealthArgs>,
    /// Who started it: the controller sends `$USER@controller-host`.
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// How long to wait for another release of the service; `0s` (default) fails at once.
    #[serde(default)]
    pub lock_wait: Option<DurationArg>,
    /// Images of this many last releases are kept for rollback (default 5; 0: never prune).
    #[serde(default)]
    pub keep_releases: Option<usize>,
    /// Default `always` for a tag; a digest is pulled only when missing.
    #[serde(default)]
    pub pull: Option<PullPolicy>,
    #[serde(default)]
    pub stop_timeout: Option<u64>,
    /// Set by `play rollback`: success is recorded as `rolled_back`.
    #[serde(default, rename = "_rollback")]
    pub rollback: bool,
    #[serde(default)]
    pub docker_host: Option<String>,
}

impl Args {
    /// The request; in check mode the env file is read as the check run would have left it.
    pub fn request_as(&self, check: bool) -> Result<Request, String> {
        lock::check_service_name(&self.service)?;
        let mut image = ImageRef::parse(&self.image, self.tag.as_deref())?;
        if let Some(d) = &self.digest {
            if image.digest.as_ref().is_some_and(|x| x != d) {
                return Err(format!("image '{}' and digest '{d}' disagree", self.image));
            }
            image.digest = Some(
                ImageRef::parse(&format!("{}@{d}", image.repo), None)?
                    .digest
                    .unwrap_or_default(),
            );
        }
        let mut env = BTreeMap::new();
        let mut env_file = None;
        if let Some(path) = &self.env_file {
            let (vars, info) = read_env_file_as(path, check)?;
            env = vars;
            env_file = Some(info);
        }
        env.extend(scalar_map(self.env.clone()));
        let spec = ContainerSpec {
            command: self.command.clone().map(|w| w.0),
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
            restart_policy: Some(
                self.restart_policy
                    .unwrap_or(RestartPolicy::UnlessStopped)
                    .api_name()
                    .to_string(),
            ),
            labels: scalar_map(self.labels.clone()),
            networks: self.networks.iter().map(|n| n.0.clone()).collect(),
            stop_timeout: self.stop_timeout,
            ..ContainerSpec::default()
        };
        let h = self.health.clone().unwrap_or(HealthArgs {
            http: None,
            docker: false,
            expect_status: None,
            timeout: None,
            interval: None,
        });
        if let Some(url) = &h.http {
            crate::docker::health::parse_http_url(url)?;
        }
        Ok(Request {
            service: self.service.clone(),
            image,
            spec,
            health: HealthCheck {
                http: h.http,
                docker: h.docker,
                expect_status: h.expect_status.unwrap_or(200),
                timeout: h.timeout.map(|d| d.0).unwrap_or(Duration::from_secs(60)),
                interval: h.interval.map(|d| d.0).unwrap_or(Duration::from_secs(1)),
            },
            operator: self.operator.clone().unwrap_or_else(|| "unknown".into()),
            reason: self.reason.clone().unwrap_or_default(),
            lock_wait: self.lock_wait.map(|d| d.0).unwrap_or(Duration::ZERO),
            keep_releases: self.keep_releases.unwrap_or(5),
            pull: self.pull.unwrap_or(PullPolicy::Always),
            stop_timeout: self.stop_timeout,
            rollback: self.rollback,
            auth_config: default_config_path(),
        })
    }
}

fn image_line(image: Option<&str>, digest: Option<&str>, id: Option<&str>) -> String {
    format!(
        "image: {} ({})\n",
        image.unwrap_or("(none)"),
        digest.or(id).unwrap_or("to be pulled")
    )
}

/// Check mode: what would change, without lock, pull, container changes or a new hash key.
fn plan(
    docker: &crate::docker::Docker,
    state: &StateDir,
    req: &Request,
    ctx: &Context,
) -> ModuleOutcome {
    let key = HostKey::for_run(&state.hash_key(), true)?;
    let planned = plan::plan_image(docker, req)?;
    let current = docker
        .container_inspect(&req.service)
        .map_err(|e| format!("inspecting container {}: {e}", req.service))?;
    let cmp = plan::compare(
        docker,
        current.as_ref(),
        planned.image_id.as_deref(),
        &req.spec,
        &key,
    );
    let unchanged = cmp.same && cmp.running;
    let mut r = ModuleResult::changed(!unchanged);
    r.msg = Some(if unchanged {
        format!("{} already runs {}", req.service, req.image.pinned())
    } else {
        format!(
            "would release {} with {} ({})",
            req.service,
            req.image.pinned(),
            cmp.fields.join(", ")
        )
    });
    if ctx.diff && !unchanged {
        let fields: Vec<String> = cmp
            .fields
            .iter()
            .filter(|f| *f != "image")
            .cloned()
            .collect();
        let (before, after) = diff_text(cmp.old_view.as_ref(), &cmp.new_view, &fields, &cmp.env);
        let p = &cmp.previous;
        r.diff.push(Diff {
            before_header: Some(format!("release {}", req.service)),
            after_header: Some(format!("release {}", req.service)),
            before: image_line(
                p.image.as_deref(),
                p.digest.as_deref(),
                p.image_id.as_deref(),
            ) + &before,
            after: image_line(
                Some(&req.image.pinned()),
                planned.digest.as_deref(),
                planned.image_id.as_deref(),
            ) + &after,
        });
    }
    Ok(with_common(
        r,
        req,
        &cmp,
        planned.digest.as_deref(),
        planned.image_id.as_deref(),
    )
    .with(
        "outcome",
        if unchanged {
            "unchanged"
        } else {
            "would_release"
        },
    )
    .with("recreated", !unchanged)
    .with("would_pull", planned.would_pull))
}

fn with_common(
    r: ModuleResult,
    req: &Request,
    cmp: &plan::Comparison,
    digest: Option<&str>,
    image_id: Option<&str>,
) -> ModuleResult {
    r.with("service", req.service.clone())
        .with("image", req.image.pinned())
        .with("tag", json!(req.image.tag))
        .with("digest", json!(digest))
        .with("image_id", json!(image_id))
        .with("previous_image", json!(cmp.previous.image))
        .with("previous_tag", json!(cmp.previous_tag))
        .with("previous_digest", json!(cmp.previous.digest))
        .with("previous_image_id", json!(cmp.previous.image_id))
        .with("previous_running", cmp.running)
        .with("changed_fields", json!(cmp.fields))
        .with("image_changed", cmp.image_changed)
        .with("env_keys", cmp.env.to_json())
}

pub fn run(args: Args, ctx: &Context) -> ModuleOutcome {
    run_in(&StateDir::from_env(), args, ctx)
}

/// [`run`] with the state (locks, history, hash key) under `state`.
pub fn run_in(state: &StateDir, args: Args, ctx: &Context) -> ModuleOutcome {
    let req = args
        .request_as(ctx.check)
        .map_err(|e| ModuleError(format!("release: {e}")))?;
    let docker = crate::docker::connect(args.docker_host.as_deref())?;
    if ctx.check {
        return plan(&docker, state, &req, ctx);
    }
    let report = transaction::execute(&docker, state, &req)?;
    let mut r = ModuleResult::changed(report.changed);
    r.failed = report.failed;
    r.msg = Some(report.message.clone());
    let outcome = report
        .outcome
        .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
        .unwrap_or_else(|| json!("unchanged"));
    if ctx.diff && report.changed {
        let p = &report.comparison.previous;
        r.diff.push(Diff {
            before_header: Some(format!("release {}", req.service)),
            after_header: Some(format!("release {}", req.service)),
            before: image_line(
                p.image.as_deref(),
                p.digest.as_deref(),
                p.image_id.as_deref(),
            ),
            after: image_line(
                Some(&req.image.pinned()),
                report.digest.as_deref(),
                report.image_id.as_deref(),
            ),
        });
    }
    Ok(with_common(
        r,
        &req,
        &report.comparison,
        report.digest.as_deref(),
        report.image_id.as_deref(),
    )
    .with("outcome", outcome)
    .with("recreated", report.changed && !report.failed)
    .with("lock_broken", json!(report.lock_broken))
    .with("pruned_images", json!(report.pruned_images))
    .with("log_tail", json!(report.log_tail))
    .with("history", json!(report.entry.map(|e| e.without_hashes()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_pins_the_reference_and_tag_is_kept_for_the_record() {
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let a: Args = serde_json::from_value(
            json!({"service": "web", "image": "reg:5000/app", "tag": "v1", "digest": d}),
        )
        .unwrap();
        let r = a.request_as(false).unwrap();
        assert_eq!(r.image.pinned(), format!("reg:5000/app@{d}"));
        assert_eq!(r.image.tag.as_deref(), Some("v1"));
        assert_eq!(r.pull_policy(), PullPolicy::Missing);
        assert_eq!(r.spec.restart_policy.as_deref(), Some("unless-stopped"));
        assert_eq!(r.health.timeout, Duration::from_secs(60));
    }

    #[test]
    fn bad_arguments_are_refused_before_anything_runs() {
        let bad = |v: Value| {
            serde_json::from_value::<Args>(v)
                .unwrap()
                .request_as(false)
                .unwrap_err()
        };
        assert!(bad(json!({"service": "../x", "image": "a"})).contains("service name"));
        assert!(
            bad(json!({"service": "w", "image": "a", "digest": "sha256:12"})).contains("digest")
        );
        assert!(
            bad(json!({"service": "w", "image": "a", "health": {"http": "https://x/"}}))
                .contains("http://")
        );
        assert!(serde_json::from_value::<Args>(
            json!({"service": "w", "image": "a", "health": {"htp": "x"}})
        )
        .is_err());
    }
}
