//! `ping`: proves the agent answers; `data: crash` fails on purpose, as in Ansible.

use super::{Context, ModuleError, ModuleOutcome};
use play_protocol::ModuleResult;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "super::args::opt_string")]
    pub data: Option<String>,
}

pub fn run(args: Args, _ctx: &Context<'_>) -> ModuleOutcome {
    let data = args.data.unwrap_or_else(|| "pong".into());
    if data == "crash" {
        return Err(ModuleError(
            "boom: ping was asked to crash (data=crash)".into(),
        ));
    }
    Ok(ModuleResult::ok().with("ping", data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pong_and_crash() {
        let ctx = Context::detached(false);
        let r = run(Args { data: None }, &ctx).unwrap();
        assert_eq!(r.data["ping"], "pong");
        assert!(!r.changed);
        assert!(run(
            Args {
                data: Some("crash".into())
            },
            &ctx
        )
        .is_err());
    }
}
