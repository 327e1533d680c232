//! What a release would do: the request, the identity labels a released container carries,
//! and the comparison of the desired identity (image ID + config hash, env-file hash
//! included) with the running container. Check mode stops here; the transaction acts on it.
//!
//! The two hashes among the labels, `play.release.config_sha256` and
//! `play.release.env_sha256`, cover secrets: a new container gets them keyed
//! (`hmac-sha256:..`, `crate::hash_key`); one made by an older play carries plain sha256 hex
//! and is compared in that format, so it is not recreated unless something changed.

use super::history::Previous;
use crate::docker::container_spec::{changed_fields, compare_labels, ContainerSpec, EnvChange};
use crate::docker::images::{self, PullPolicy};
use crate::docker::reference::ImageRef;
use crate::docker::Docker;
use crate::hash_key::{Hashing, HostKey};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub const L_SERVICE: &str = "play.release.service";
pub const L_IMAGE: &str = "play.release.image";
pub const L_TAG: &str = "play.release.tag";
pub const L_DIGEST: &str = "play.release.digest";
pub const L_IMAGE_ID: &str = "play.release.image_id";
pub const L_ENV_SHA: &str = "play.release.env_sha256";
pub const L_CONFIG_SHA: &str = "play.release.config_sha256";
pub const L_OPERATOR: &str = "play.release.operator";
pub const L_TIME: &str = "play.release.time";

/// How to tell the new container is good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// `GET` from the host, through the published port.
    pub http: Option<String>,
    /// Wait for Docker's own HEALTHCHECK status.
    pub docker: bool,
    pub expect_status: u16,
    pub timeout: Duration,
    pub interval: Duration,
}

/// One release, fully resolved from the module's arguments.
#[derive(Debug, Clone)]
pub struct Request {
    pub service: String,
    pub image: ImageRef,
    pub spec: ContainerSpec,
    pub health: HealthCheck,
    pub operator: String,
    pub reason: String,
    pub lock_wait: Duration,
    /// 0 = never prune.
    pub keep_releases: usize,
    pub pull: PullPolicy,
    pub stop_timeout: Option<u64>,
    /// A `play rollback`: success is recorded as `rolled_back`.
    pub rollback: bool,
    /// The Docker config whose credentials pulls use.
    pub auth_config: PathBuf,
}

impl Request {
    /// A digest pins the image: it cannot change, so it is pulled only when missing.
    pub fn pull_policy(&self) -> PullPolicy {
        if self.image.digest.is_some() && self.pull == PullPolicy::Always {
            PullPolicy::Missing
        } else {
            self.pull
        }
    }

    pub fn next_name(&self) -> String {
        format!("{}-next", self.service)
    }

    pub fn previous_name(&self) -> String {
        format!("{}-previous", self.service)
    }

    /// The identity labels of the container this release creates, hashes keyed with `key`.
    pub fn labels(
        &self,
        image_id: &str,
        digest: Option<&str>,
        now: &str,
        key: &HostKey,
    ) -> BTreeMap<String, String> {
        let mut l = BTreeMap::from([
            (L_SERVICE.to_string(), self.service.clone()),
            (L_IMAGE.to_string(), self.image.pinned()),
            (L_IMAGE_ID.to_string(), image_id.to_string()),
            (
                L_CONFIG_SHA.to_string(),
                self.spec.config_hash(Hashing::Keyed(key)),
            ),
            (L_OPERATOR.to_string(), self.operator.clone()),
            (L_TIME.to_string(), now.to_string()),
        ]);
        if let Some(t) = &self.image.tag {
            l.insert(L_TAG.to_string(), t.clone());
        }
        if let Some(d) = digest {
            l.insert(L_DIGEST.to_string(), d.to_string());
        }
        if let Some(f) = &self.spec.env_file {
            l.insert(L_ENV_SHA.to_string(), f.digest(Hashing::Keyed(key)));
        }
        l
    }
}

/// The running container compared with the desired identity.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Same image ID and config hash.
    pub same: bool,
    pub running: bool,
    pub image_changed: bool,
    /// Changed config fields (env by key only), "image" first when the image changed.
    pub fields: Vec<String>,
    pub env: EnvChange,
    pub previous: Previous,
    pub previous_tag: Option<String>,
    /// The running container's public config view (`play.config`), for diffs.
    pub old_view: Option<Value>,
    /// The desired public view, hashed like `old_view`, for diffs.
    pub new_view: Value,
}

fn label<'a>(c: &'a Value, key: &str) -> Option<&'a str> {
    c["Config"]["Labels"][key].as_str()
}

/// What ran before: from the release labels, or for a container not made by `release`, from
/// its image's repo digests.
pub fn previous_of(docker: &Docker, current: &Value) -> Previous {
    let image_id = current["Image"].as_str().map(str::to_string);
    let image = label(current, L_IMAGE)
        .or_else(|| current["Config"]["Image"].as_str())
        .map(str::to_string);
    let digest = label(current, L_DIGEST).map(str::to_string).or_else(|| {
        let r = ImageRef::parse(image.as_deref()?, None).ok()?;
        let inspect = docker.image_inspect(image_id.as_deref()?).ok()??;
        let rds: Vec<String> = serde_json::from_value(inspect["RepoDigests"].clone()).ok()?;
        r.repo_digest_in(&rds).map(str::to_string)
    });
    Previous {
        digest,
        image_id,
        image,
    }
}

/// Compares `current` (the container named after the service, if any) with the desired
/// image ID (None: not known yet, check mode before a pull) and config; the container's
/// hashes are compared in the format they were written in (`key` for keyed ones).
pub fn compare(
    docker: &Docker,
    current: Option<&Value>,
    image_id: Option<&str>,
    spec: &ContainerSpec,
    key: &HostKey,
) -> Comparison {
    let Some(cur) = current else {
        let new_view = spec.public_view(key);
        let (fields, env) = changed_fields(None, &new_view);
        return Comparison {
            fields: [vec!["image".to_string()], fields].concat(),
            env,
            image_changed: true,
            new_view,
            ..Comparison::default()
        };
    };
    let image_changed = image_id.is_none() || cur["Image"].as_str() != image_id;
    let config = compare_labels(&cur["Config"]["Labels"], L_CONFIG_SHA, spec, key);
    let mut fields = config.fields;
    if image_changed {
        fields.insert(0, "image".into());
    }
    Comparison {
        same: !image_changed && config.same,
        running: cur["State"]["Running"].as_bool().unwrap_or(false),
        image_changed,
        fields,
        env: config.env,
        previous: previous_of(docker, cur),
        previous_tag: label(cur, L_TAG).map(str::to_string),
        old_view: config.old_view,
        new_view: config.new_view,
    }
}

/// The image a check-mode run would release: local ID and digest when known, and whether a
/// pull would bring a different one.
pub struct PlannedImage {
    pub image_id: Option<String>,
    pub digest: Option<String>,
    pub would_pull: bool,
}

pub fn plan_image(docker: &Docker, req: &Request) -> Result<PlannedImage, String> {
    let local = images::find_local(docker, &req.image)?;
    let policy = req.pull_policy();
    if policy == PullPolicy::Always {
        let remote = images::remote_digest(docker, &req.image, &req.auth_config);
        let same = matches!((&local, &remote), (Some(l), Some(r)) if l.digest.as_deref() == Some(r.as_str()));
        if !same {
            // A registry we could not ask, or a newer digest: the image may change.
            if let (Some(l), None) = (&local, &remote) {
                return Ok(PlannedImage {
                    image_id: Some(l.id.clone()),
                    digest: l.digest.clone(),
                    would_pull: true,
                });
            }
            return Ok(PlannedImage {
                image_id: None,
                digest: remote,
                would_pull: true,
            });
        }
    }
    match local {
        Some(l) => Ok(PlannedImage {
            image_id: Some(l.id),
            digest: l.digest,
            would_pull: false,
        }),
        None if policy == PullPolicy::Never => Err(format!(
            "image {} is not present on this host and pull is 'never'",
            req.image.pinned()
        )),
        None => Ok(PlannedImage {
            image_id: None,
            digest: req.image.digest.clone(),
            would_pull: true,
        }),
    }
}
