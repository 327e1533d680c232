//! Resolving an image reference to a local image: look it up, pull it by policy, read its ID
//! and repo digest. Shared by `docker_image`, `docker_image_pull`, `docker_container` and
//! `release`, so all four agree on what "the image changed" means: the local image ID.

use super::auth::registry_auth_header;
use super::client::Docker;
use super::reference::ImageRef;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

/// When to pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    Missing,
    Never,
}

/// community.docker's `pull`: true/'always', false/'missing' (its default), 'never'.
impl<'de> Deserialize<'de> for PullPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(true) => Ok(PullPolicy::Always),
            Value::Bool(false) => Ok(PullPolicy::Missing),
            Value::String(s) => match s.as_str() {
                "always" | "yes" | "true" => Ok(PullPolicy::Always),
                "missing" | "not_present" | "no" | "false" => Ok(PullPolicy::Missing),
                "never" => Ok(PullPolicy::Never),
                other => Err(serde::de::Error::custom(format!(
                    "pull: '{other}' is not one of always, missing, never (or true/false)"
                ))),
            },
            other => Err(serde::de::Error::custom(format!(
                "pull: expected always, missing, never or a boolean, got {other}"
            ))),
        }
    }
}

/// A local image.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalImage {
    /// `sha256:...` image ID (the config digest).
    pub id: String,
    /// The repo digest for this reference's repository, when the image came from a registry.
    pub digest: Option<String>,
    pub inspect: Value,
}

impl LocalImage {
    fn from_inspect(image: &ImageRef, inspect: Value) -> LocalImage {
        let repo_digests: Vec<String> = inspect["RepoDigests"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        LocalImage {
            id: inspect["Id"].as_str().unwrap_or_default().to_string(),
            digest: image
                .digest
                .clone()
                .or_else(|| image.repo_digest_in(&repo_digests).map(str::to_string)),
            inspect,
        }
    }
}

/// The local image `image` names, if present. A digest that matches no repo digest is also
/// tried as an image ID: images built or imported locally have no repo digest, and rollback
/// pins them by ID.
pub fn find_local(docker: &Docker, image: &ImageRef) -> Result<Option<LocalImage>, String> {
    let found = docker
        .image_inspect(&image.pinned())
        .map_err(|e| format!("inspecting image {}: {e}", image.pinned()))?;
    let found = match (found, &image.digest) {
        (Some(v), _) => Some(v),
        (None, Some(d)) => docker
            .image_inspect(d)
            .map_err(|e| format!("inspecting image {d}: {e}"))?,
        (None, None) => None,
    };
    Ok(found.map(|v| LocalImage::from_inspect(image, v)))
}

/// Pulls `image`, with credentials from the Docker config at `auth_config` when it has any for
/// the image's registry. The error names the reference, the registry and the registry's words.
pub fn pull(
    docker: &Docker,
    image: &ImageRef,
    platform: Option<&str>,
    auth_config: &Path,
) -> Result<(), String> {
    let auth = registry_auth_header(auth_config, image);
    docker
        .pull(&image.repo, image.tag_or_digest(), platform, auth)
        .map_err(|e| {
            format!(
                "pulling {} from {} failed: {e}",
                image.pinned(),
                image.registry()
            )
        })
}

/// Makes sure the image is present per `policy`; returns it and whether a pull changed the
/// local image (its ID differs from before).
pub fn ensure(
    docker: &Docker,
    image: &ImageRef,
    policy: PullPolicy,
    platform: Option<&str>,
    auth_config: &Path,
) -> Result<(LocalImage, bool), String> {
    let before = find_local(docker, image)?;
    let must_pull = match (policy, &before) {
        (PullPolicy::Always, _) => true,
        (_, None) => policy == PullPolicy::Missing,
        _ => false,
    };
    if !must_pull {
        return before.map(|b| (b, false)).ok_or_else(|| {
            format!(
                "image {} is not present on this host and pull is 'never'",
                image.pinned()
            )
        });
    }
    pull(docker, image, platform, auth_config)?;
    let after = find_local(docker, image)?.ok_or_else(|| {
        format!(
            "pulled {} but the daemon does not list it afterwards",
            image.pinned()
        )
    })?;
    let changed = before.as_ref().map(|b| &b.id) != Some(&after.id);
    Ok((after, changed))
}

/// The digest the registry currently serves for `image`, without pulling (check mode).
/// None when the registry cannot be asked (unreachable, no credentials, local-only image).
pub fn remote_digest(docker: &Docker, image: &ImageRef, auth_config: &Path) -> Option<String> {
    if let Some(d) = &image.digest {
        return Some(d.clone());
    }
    let v = docker
        .distribution_inspect(&image.pinned(), registry_auth_header(auth_config, image))
        .ok()?;
    v["Descriptor"]["digest"].as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_accepts_community_docker_values() {
        let p = |s: &str| serde_json::from_str::<PullPolicy>(s);
        assert_eq!(p("true").unwrap(), PullPolicy::Always);
        assert_eq!(p("false").unwrap(), PullPolicy::Missing);
        assert_eq!(p("\"missing\"").unwrap(), PullPolicy::Missing);
        assert_eq!(p("\"not_present\"").unwrap(), PullPolicy::Missing);
        assert_eq!(p("\"never\"").unwrap(), PullPolicy::Never);
        assert!(p("\"sometimes\"")
            .unwrap_err()
            .to_string()
            .contains("always, missing, never"));
    }

    #[test]
    fn local_image_reads_id_and_the_matching_repo_digest() {
        let r = ImageRef::parse("reg:5000/app:v1", None).unwrap();
        let img = LocalImage::from_inspect(
            &r,
            serde_json::json!({"Id": "sha256:aa", "RepoDigests": ["other@sha256:bb", "reg:5000/app@sha256:cc"]}),
        );
        assert_eq!(
            (img.id.as_str(), img.digest.as_deref()),
            ("sha256:aa", Some("sha256:cc"))
        );
    }
}
