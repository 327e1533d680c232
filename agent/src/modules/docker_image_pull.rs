//! `docker_image_pull` (community.docker.docker_image_pull): pull an image, always or only when
//! not present. Changed only when the local image ID changed; returns the image inspect data,
//! `RepoDigests` included.

use super::{Context, ModuleError, ModuleOutcome};
use crate::docker::auth::default_config_path;
use crate::docker::images::{self, PullPolicy};
use crate::docker::reference::ImageRef;
use play_protocol::{Diff, ModuleResult};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy, Default)]
#[serde(rename_all = "snake_case")]
pub enum Pull {
    #[default]
    Always,
    NotPresent,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    #[serde(default)]
    pub tag: Option<String>,
    /// `linux/amd64`, ...
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default)]
    pub pull: Pull,
    #[serde(default)]
    pub docker_host: Option<String>,
}

pub fn run(args: Args, ctx: &Context) -> ModuleOutcome {
    let image = ImageRef::parse(&args.name, args.tag.as_deref()).map_err(ModuleError)?;
    let docker = crate::docker::connect(args.docker_host.as_deref())?;
    let auth_config = default_config_path();
    let name = image.pinned();
    let current = images::find_local(&docker, &image)?;
    if args.pull == Pull::NotPresent {
        if let Some(cur) = &current {
            return Ok(ModuleResult::ok().with("image", cur.inspect.clone()));
        }
    }
    if ctx.check {
        let remote = images::remote_digest(&docker, &image, &auth_config);
        let same = current
            .as_ref()
            .is_some_and(|c| c.digest.is_some() && c.digest == remote);
        let mut r = ModuleResult::changed(!same);
        if !same {
            r.msg = Some(match remote {
                Some(d) => format!("would pull {name} ({d})"),
                None => {
                    format!("would pull {name} (the registry could not be asked for its digest)")
                }
            });
        }
        let inspect = current.map(|c| c.inspect).unwrap_or_else(|| json!({}));
        return Ok(r.with("image", inspect));
    }
    let (after, changed) = images::ensure(
        &docker,
        &image,
        PullPolicy::Always,
        args.platform.as_deref(),
        &auth_config,
    )?;
    let mut r = ModuleResult::changed(changed);
    if changed && ctx.diff {
        let line = |id: Option<&str>| id.map(|i| format!("image_id: {i}\n")).unwrap_or_default();
        r.diff.push(Diff {
            before_header: Some(name.clone()),
            after_header: Some(name.clone()),
            before: line(current.as_ref().map(|c| c.id.as_str())),
            after: line(Some(&after.id)),
        });
    }
    if changed {
        r.msg = Some(format!(
            "pulled {name} ({})",
            after.digest.as_deref().unwrap_or(&after.id)
        ));
    }
    Ok(r.with("image", after.inspect))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_takes_community_docker_values() {
        let a: Args = serde_json::from_value(json!({"name": "x", "pull": "not_present"})).unwrap();
        assert_eq!(a.pull, Pull::NotPresent);
        assert!(serde_json::from_value::<Args>(json!({"name": "x", "pull": "missing"})).is_err());
    }
}
