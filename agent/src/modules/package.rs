//! `package`: the generic package module; on this agent it hands over to `apt`, the only
//! package manager play supports.

use super::{apt, args, Context, ModuleError, ModuleOutcome};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_list")]
    pub name: Option<Vec<String>>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default, rename = "use", deserialize_with = "args::opt_string")]
    pub use_: Option<String>,
}

pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let manager = a.use_.as_deref().unwrap_or("auto");
    if !matches!(manager, "auto" | "apt") {
        return Err(ModuleError(format!(
            "package: use: {manager} is not supported; play manages packages with apt only"
        )));
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        return Err(ModuleError(
            "package: no supported package manager on this host (play supports apt on Debian and Ubuntu)".into(),
        ));
    }
    let state = match a.state.as_deref() {
        None | Some("present" | "installed") => "present",
        Some("absent" | "removed") => "absent",
        Some("latest") => "latest",
        Some(other) => {
            return Err(ModuleError(format!(
                "package: state '{other}' is not supported: use present, absent or latest"
            )))
        }
    };
    let apt_args = apt::Args {
        name: a.name,
        state: Some(state.into()),
        ..apt::Args::default()
    };
    apt::run(apt_args, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_managers_and_states() {
        let ctx = Context::detached(true);
        let a = Args {
            use_: Some("yum".into()),
            ..Args::default()
        };
        assert!(run(a, &ctx).unwrap_err().0.contains("apt only"));
        let a = Args {
            state: Some("fixed".into()),
            ..Args::default()
        };
        let err = run(a, &ctx).unwrap_err().0;
        assert!(
            err.contains("not supported") || err.contains("no supported"),
            "{err}"
        );
    }
}
