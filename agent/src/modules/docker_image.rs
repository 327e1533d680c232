//! `docker_image` (community.docker.docker_image): make an image present (pulled or already
//! local) or absent. Changed only when the local image ID changed.

use super::{Context, ModuleError, ModuleOutcome};
use crate::docker::auth::default_config_path;
use crate::docker::images::{self, PullPolicy};
use crate::docker::reference::ImageRef;
use play_protocol::{Diff, ModuleResult};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Pull,
    Local,
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
    pub name: String,
    #[serde(default)]
    pub tag: Option<String>,
    /// `pull` when not given.
    #[serde(default)]
    pub source: Option<Source>,
    /// Pull even when the image is present.
    #[serde(default)]
    pub force_source: bool,
    /// With `state: absent`, remove even when tagged several times.
    #[serde(default)]
    pub force_absent: bool,
    #[serde(default)]
    pub state: State,
    #[serde(default)]
    pub docker_host: Option<String>,
}

fn id_diff(name: &str, before: Option<&str>, after: Option<&str>) -> Diff {
    let line = |id: Option<&str>| id.map(|i| format!("image_id: {i}\n")).unwrap_or_default();
    Diff {
        before_header: Some(name.to_string()),
        after_header: Some(name.to_string()),
        before: line(before),
        after: line(after),
    }
}

pub fn run(args: Args, ctx: &Context) -> ModuleOutcome {
    let image = ImageRef::parse(&args.name, args.tag.as_deref()).map_err(ModuleError)?;
    let docker = crate::docker::connect(args.docker_host.as_deref())?;
    let auth_config = default_config_path();
    let current = images::find_local(&docker, &image)?;
    let name = image.pinned();
    let mut result = match args.state {
        State::Absent => {
            let Some(cur) = current else {
                return Ok(ModuleResult::ok().with("image", json!({})));
            };
            if !ctx.check {
                docker
                    .remove_image(&name, args.force_absent)
                    .map_err(|e| format!("removing image {name}: {e}"))?;
            }
            let mut r = ModuleResult::changed(true).with("image", json!({}));
            if ctx.diff {
                r.diff.push(id_diff(&name, Some(&cur.id), None));
            }
            return Ok(r);
        }
        State::Present => match (args.source.unwrap_or(Source::Pull), current) {
            (Source::Local, None) => {
                return Err(ModuleError(format!(
                    "image {name} is not present on this host (source: local); build or load it first, or use source: pull"
                )))
            }
            (Source::Local, Some(cur)) => ModuleResult::ok().with("image", cur.inspect),
            (Source::Pull, Some(cur)) if !args.force_source => {
                ModuleResult::ok().with("image", cur.inspect)
            }
            (Source::Pull, cur) if ctx.check => {
                let remote = images::remote_digest(&docker, &image, &auth_config);
                let same = cur.as_ref().is_some_and(|c| c.digest.is_some() && c.digest == remote);
                let mut r = ModuleResult::changed(!same);
                if !same && ctx.diff {
                    r.diff.push(id_diff(&name, cur.as_ref().map(|c| c.id.as_str()), Some("(pulled)")));
                }
                let inspect = cur.map(|c| c.inspect).unwrap_or_else(|| json!({}));
                r.with("image", inspect)
            }
            (Source::Pull, cur) => {
                let (after, changed) =
                    images::ensure(&docker, &image, PullPolicy::Always, None, &auth_config)?;
                let mut r = ModuleResult::changed(changed);
                if changed && ctx.diff {
                    r.diff.push(id_diff(&name, cur.as_ref().map(|c| c.id.as_str()), Some(&after.id)));
                }
                r.with("image", after.inspect)
            }
        },
    };
    if result.msg.is_none() && result.changed {
        result.msg = Some(format!("{name} pulled"));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_options_and_sources_are_rejected() {
        let a = serde_json::from_value::<Args>(json!({"name": "x", "source": "build"}));
        assert!(a.unwrap_err().to_string().contains("build"));
        assert!(serde_json::from_value::<Args>(json!({"name": "x", "tga": "v1"})).is_err());
    }
}
