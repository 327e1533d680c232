//! `service`: Ansible's init-agnostic service module; play drives systemd only, so this
//! maps the options onto the `systemd` module.

use super::{args, systemd, Context, ModuleOutcome};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub daemon_reload: Option<bool>,
}

pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    systemd::run(
        systemd::Args {
            name: a.name,
            state: a.state,
            enabled: a.enabled,
            daemon_reload: a.daemon_reload,
            ..systemd::Args::default()
        },
        ctx,
    )
}
