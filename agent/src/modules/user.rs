//! `user`: a local account present or absent, via useradd/usermod/userdel, compared against
//! /etc/passwd, /etc/group and /etc/shadow. A password (always a hash) goes to `chpasswd -e`
//! on stdin, never into argv or a log.

use super::{args, common, Context, ModuleError, ModuleOutcome};
use crate::accounts::{self, User};
use play_protocol::ModuleResult;
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "args::opt_u32")]
    pub uid: Option<u32>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "args::opt_list")]
    pub groups: Option<Vec<String>>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub append: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub shell: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub home: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub create_home: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub system: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub password: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub remove: Option<bool>,
}

/// The account as it is now, enough to compare.
pub struct Current {
    pub user: User,
    /// Supplementary group names (the primary group excluded).
    pub groups: BTreeSet<String>,
}

/// Checks that named groups exist, before anything is run.
fn check_groups(a: &Args) -> Result<Option<u32>, ModuleError> {
    for g in a.groups.iter().flatten() {
        if accounts::group_by_name(g).is_none() {
            return Err(ModuleError(format!("user: group '{g}' (in groups) does not exist: create it first with the group module")));
        }
    }
    a.group
        .as_deref()
        .map(|g| {
            accounts::resolve_gid(g).map_err(|_| {
                ModuleError(format!(
                    "user: group '{g}' does not exist: create it first with the group module"
                ))
            })
        })
        .transpose()
}

/// useradd's arguments for a new account.
pub fn useradd_args(a: &Args, name: &str, same_name_group_exists: bool) -> Vec<String> {
    let mut v = vec!["useradd".to_string()];
    if let Some(uid) = a.uid {
        v.extend(["-u".into(), uid.to_string()]);
    }
    match &a.group {
        Some(g) => v.extend(["-g".into(), g.clone()]),
        // Like Ansible: with USERGROUPS_ENAB, useradd would fail trying to create the group.
        None if same_name_group_exists => v.push("-N".into()),
        None => {}
    }
    if let Some(gs) = a.groups.as_ref().filter(|g| !g.is_empty()) {
        v.extend(["-G".into(), gs.join(",")]);
    }
    if let Some(s) = &a.shell {
        v.extend(["-s".into(), s.clone()]);
    }
    if let Some(h) = &a.home {
        v.extend(["-d".into(), h.clone()]);
    }
    if let Some(c) = &a.comment {
        v.extend(["-c".into(), c.clone()]);
    }
    v.push(
        if a.create_home.unwrap_or(true) {
            "-m"
        } else {
            "-M"
        }
        .into(),
    );
    if a.system == Some(true) {
        v.push("-r".into());
    }
    v.push(name.to_string());
    v
}

/// usermod's arguments for what differs, or `None` when nothing does.
pub fn usermod_args(a: &Args, cur: &Current, wanted_gid: Option<u32>) -> Option<Vec<String>> {
    let mut v = vec!["usermod".to_string()];
    if let Some(uid) = a.uid.filter(|u| *u != cur.user.uid) {
        v.extend(["-u".into(), uid.to_string()]);
    }
    if let Some(gid) = wanted_gid.filter(|g| *g != cur.user.gid) {
        v.extend(["-g".into(), gid.to_string()]);
    }
    if let Some(wanted) = &a.groups {
        let primary = accounts::group_name(wanted_gid.unwrap_or(cur.user.gid));
        let wanted: BTreeSet<String> = wanted.iter().filter(|g| **g != primary).cloned().collect();
        if a.append == Some(true) {
            let missing: Vec<String> = wanted.difference(&cur.groups).cloned().collect();
            if !missing.is_empty() {
                v.extend(["-a".into(), "-G".into(), missing.join(",")]);
            }
        } else if wanted != cur.groups {
            v.extend([
                "-G".into(),
                wanted.into_iter().collect::<Vec<_>>().join(","),
            ]);
        }
    }
    if let Some(s) = a.shell.as_ref().filter(|s| **s != cur.user.shell) {
        v.extend(["-s".into(), s.clone()]);
    }
    if let Some(h) = a.home.as_ref().filter(|h| **h != cur.user.home) {
        v.extend(["-d".into(), h.clone()]);
    }
    if let Some(c) = a.comment.as_ref().filter(|c| **c != cur.user.gecos) {
        v.extend(["-c".into(), c.clone()]);
    }
    (v.len() > 1).then(|| {
        v.push(cur.user.name.clone());
        v
    })
}

pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let name = a
        .name
        .clone()
        .ok_or_else(|| ModuleError("user: name is required".into()))?;
    let present = match a.state.as_deref() {
        None | Some("present") => true,
        Some("absent") => false,
        Some(other) => {
            return Err(ModuleError(format!(
                "user: state must be present or absent, not '{other}'"
            )))
        }
    };
    if let Some(p) = &a.password {
        if p.contains([':', '\n']) {
            return Err(ModuleError(
                "user: password must be a crypt hash (it contains ':' or a newline)".into(),
            ));
        }
    }
    let existing = accounts::user_by_name(&name);
    let mut result = ModuleResult::ok().with("name", name.clone());
    if !present {
        if existing.is_some() {
            result.changed = true;
            if ctx.diff {
                result.diff.push(common::state_diff(
                    &format!("user {name}"),
                    &[("state", "present".into())],
                    &[("state", "absent".into())],
                ));
            }
            if !ctx.check {
                let mut argv = vec!["userdel".to_string()];
                if a.remove == Some(true) {
                    argv.push("-r".into());
                }
                argv.push(name.clone());
                // rc 12: the home or mail spool to remove was already gone.
                common::run_account_tool(&argv, None, &[0, 12], ctx)?;
            }
        }
        return Ok(result.with("state", "absent"));
    }
    let wanted_gid = check_groups(&a)?;
    let mut commands = Vec::new();
    match &existing {
        None => commands.push(useradd_args(
            &a,
            &name,
            accounts::group_by_name(&name).is_some(),
        )),
        Some(user) => {
            let cur = Current {
                user: user.clone(),
                groups: accounts::supplementary_groups(&name)
                    .into_iter()
                    .map(|g| g.name)
                    .collect(),
            };
            commands.extend(usermod_args(&a, &cur, wanted_gid));
        }
    }
    let password_differs = a.password.as_ref().is_some_and(|p| {
        existing.is_none() || accounts::shadow_hash(&name).as_deref() != Some(p.as_str())
    });
    result.changed = !commands.is_empty() || password_differs;
    if ctx.diff && result.changed {
        // The commands name options and values (shell, home, groups), never the password.
        let mut after: Vec<(&str, String)> = vec![("state", "present".into())];
        after.extend(commands.iter().map(|argv| ("run", argv.join(" "))));
        if password_differs {
            after.push(("password", "(would change)".into()));
        }
        let before = if existing.is_some() {
            "present"
        } else {
            "absent"
        };
        result.diff.push(common::state_diff(
            &format!("user {name}"),
            &[("state", before.into())],
            &after,
        ));
    }
    if !ctx.check {
        for argv in &commands {
            common::run_account_tool(argv, None, &[0], ctx)?;
        }
        if let (true, Some(p)) = (password_differs, &a.password) {
            common::run_account_tool(
                &["chpasswd".into(), "-e".into()],
                Some(format!("{name}:{p}\n").into_bytes()),
                &[0],
                ctx,
            )?;
        }
    }
    if a.password.is_some() {
        result = result.with("password", "NOT_LOGGING_PASSWORD");
    }
    if let Some(u) = accounts::user_by_name(&name) {
        let groups: Vec<String> = accounts::supplementary_groups(&name)
            .into_iter()
            .map(|g| g.name)
            .collect();
        result = result
            .with("uid", u.uid)
            .with("group", u.gid)
            .with("groups", groups.join(","))
            .with("home", u.home)
            .with("shell", u.shell)
            .with("comment", u.gecos);
    }
    Ok(result
        .with("state", "present")
        .with("system", a.system == Some(true)))
}

#[cfg(test)]
#[path = "user_tests.rs"]
mod tests;
