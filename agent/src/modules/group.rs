//! `group`: a local group present (with a gid) or absent, via groupadd/groupmod/groupdel,
//! compared against /etc/group.

use super::{args, common, Context, ModuleError, ModuleOutcome};
use crate::accounts;
use play_protocol::ModuleResult;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "args::opt_u32")]
    pub gid: Option<u32>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub system: Option<bool>,
}

/// The command that brings the group to the asked state, if any.
pub fn plan(
    current: Option<&accounts::Group>,
    a: &Args,
    name: &str,
    present: bool,
) -> Option<Vec<String>> {
    let mut argv = Vec::new();
    match (current, present) {
        (None, true) => {
            argv.push("groupadd".to_string());
            if let Some(gid) = a.gid {
                argv.extend(["-g".into(), gid.to_string()]);
            }
            if a.system == Some(true) {
                argv.push("-r".into());
            }
        }
        (Some(g), true) => {
            let gid = a.gid.filter(|gid| *gid != g.gid)?;
            argv.extend(["groupmod".into(), "-g".into(), gid.to_string()]);
        }
        (Some(_), false) => argv.push("groupdel".into()),
        (None, false) => return None,
    }
    argv.push(name.to_string());
    Some(argv)
}

pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let name = a
        .name
        .clone()
        .ok_or_else(|| ModuleError("group: name is required".into()))?;
    let present = match a.state.as_deref() {
        None | Some("present") => true,
        Some("absent") => false,
        Some(other) => {
            return Err(ModuleError(format!(
                "group: state must be present or absent, not '{other}'"
            )))
        }
    };
    let current = accounts::group_by_name(&name);
    let argv = plan(current.as_ref(), &a, &name, present);
    if let (Some(argv), false) = (&argv, ctx.check) {
        common::run_account_tool(argv, None, &[0], ctx)?;
    }
    let mut diff = None;
    if let (Some(argv), true) = (&argv, ctx.diff) {
        let before = match &current {
            Some(g) => format!("present (gid {})", g.gid),
            None => "absent".into(),
        };
        diff = Some(common::state_diff(
            &format!("group {name}"),
            &[("state", before)],
            &[
                ("state", if present { "present" } else { "absent" }.into()),
                ("run", argv.join(" ")),
            ],
        ));
    }
    let mut result = ModuleResult::changed(argv.is_some())
        .with("name", name.clone())
        .with("state", if present { "present" } else { "absent" });
    if let Some(g) = accounts::group_by_name(&name) {
        result = result.with("gid", g.gid);
    }
    result.diff.extend(diff);
    Ok(result.with("system", a.system == Some(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "playtestgrp";

    fn args(state: &str, gid: Option<u32>) -> Args {
        Args {
            name: Some(NAME.into()),
            state: Some(state.into()),
            gid,
            system: None,
        }
    }

    #[test]
    fn plans() {
        let g = accounts::Group {
            name: "g".into(),
            gid: 500,
            members: vec![],
        };
        assert_eq!(
            plan(None, &args("present", Some(501)), "g", true).unwrap(),
            ["groupadd", "-g", "501", "g"]
        );
        assert!(plan(Some(&g), &args("present", Some(500)), "g", true).is_none());
        assert!(plan(Some(&g), &args("present", None), "g", true).is_none());
        assert_eq!(
            plan(Some(&g), &args("present", Some(502)), "g", true).unwrap(),
            ["groupmod", "-g", "502", "g"]
        );
        assert_eq!(
            plan(Some(&g), &args("absent", None), "g", false).unwrap(),
            ["groupdel", "g"]
        );
        assert!(plan(None, &args("absent", None), "g", false).is_none());
    }

    #[test]
    fn create_modify_remove_a_real_group() {
        if unsafe { libc::geteuid() } != 0 {
            return;
        }
        let _guard = accounts::TEST_ETC_LOCK
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let ctx = Context::detached(false);
        let _ = run(args("absent", None), &ctx);
        let mut check = Context::detached(true);
        check.diff = true;
        let r = run(args("present", None), &check).unwrap();
        assert!(r.changed);
        assert_eq!(r.diff[0].before, "state: absent\n");
        assert_eq!(
            r.diff[0].after,
            format!("state: present\nrun: groupadd {NAME}\n")
        );
        assert!(accounts::group_by_name(NAME).is_none());
        assert!(run(args("present", Some(48_123)), &ctx).unwrap().changed);
        assert_eq!(accounts::group_by_name(NAME).unwrap().gid, 48_123);
        assert!(!run(args("present", Some(48_123)), &ctx).unwrap().changed);
        assert!(run(args("present", Some(48_124)), &ctx).unwrap().changed);
        assert_eq!(accounts::group_by_name(NAME).unwrap().gid, 48_124);
        assert!(run(args("absent", None), &ctx).unwrap().changed);
        assert!(accounts::group_by_name(NAME).is_none());
        assert!(!run(args("absent", None), &ctx).unwrap().changed);
    }
}
