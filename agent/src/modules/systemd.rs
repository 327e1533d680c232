//! `systemd` (and `service`, which maps onto it): unit state started/stopped/restarted/
//! reloaded, enabled, masked, daemon-reload.
//!
//! The unit's state is read with `systemctl show`, what to do is a pure [`plan`] (unit
//! tested), and only then are systemctl commands run, unless in check mode.

use super::{args, Context, ModuleError, ModuleOutcome};
use crate::proc::{self, Cmd};
use play_protocol::ModuleResult;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

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
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub daemon_reexec: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub masked: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub no_block: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub scope: Option<String>,
}

/// A systemctl verb the plan calls for, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Unmask,
    Mask,
    Enable,
    Disable,
    Start,
    Stop,
    Restart,
    Reload,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Action::Unmask => "unmask",
            Action::Mask => "mask",
            Action::Enable => "enable",
            Action::Disable => "disable",
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Restart => "restart",
            Action::Reload => "reload",
        }
    }
}

/// The unit as systemctl reports it.
#[derive(Debug, Clone, Default)]
pub struct UnitState {
    pub props: BTreeMap<String, String>,
    pub enabled: bool,
}

impl UnitState {
    fn prop(&self, k: &str) -> &str {
        self.props.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn found(&self) -> bool {
        self.prop("LoadState") != "not-found"
    }
    pub fn masked(&self) -> bool {
        self.prop("LoadState") == "masked" || self.prop("UnitFileState") == "masked"
    }
    pub fn running(&self) -> bool {
        matches!(
            self.prop("ActiveState"),
            "active" | "activating" | "reloading"
        )
    }
}

/// Parses `systemctl show` KEY=VALUE lines.
pub fn parse_show(out: &str) -> BTreeMap<String, String> {
    out.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What to run to get from `unit` to what was asked.
pub fn plan(
    unit: &UnitState,
    state: Option<&str>,
    enabled: Option<bool>,
    masked: Option<bool>,
) -> Result<Vec<Action>, String> {
    let mut actions = Vec::new();
    match masked {
        Some(true) if !unit.masked() => actions.push(Action::Mask),
        Some(false) if unit.masked() => actions.push(Action::Unmask),
        _ => {}
    }
    let will_be_masked = masked.unwrap_or(unit.masked());
    if let Some(want) = enabled {
        if want && will_be_masked {
            return Err("cannot enable a masked unit: set masked: false as well".into());
        }
        if want != unit.enabled {
            actions.push(if want {
                Action::Enable
            } else {
                Action::Disable
            });
        }
    }
    match state {
        None => {}
        Some("started") if !unit.running() => actions.push(Action::Start),
        Some("started") => {}
        Some("stopped") if unit.running() => actions.push(Action::Stop),
        Some("stopped") => {}
        Some("restarted") => actions.push(Action::Restart),
        Some("reloaded") if unit.running() => actions.push(Action::Reload),
        Some("reloaded") => actions.push(Action::Start),
        Some(other) => {
            return Err(format!(
                "unknown state '{other}': use started, stopped, restarted or reloaded"
            ))
        }
    }
    if will_be_masked
        && actions
            .iter()
            .any(|a| matches!(a, Action::Start | Action::Restart | Action::Reload))
    {
        return Err("cannot start a masked unit: set masked: false".into());
    }
    Ok(actions)
}

fn systemctl(
    scope_flag: Option<&str>,
    args: &[&str],
    ctx: &Context<'_>,
) -> Result<proc::Output, ModuleError> {
    let mut cmd = Cmd::new("systemctl", &[]);
    if let Some(f) = scope_flag {
        cmd.args.push(f.to_string());
    }
    cmd.args.extend(args.iter().map(|a| a.to_string()));
    cmd.env = vec![
        ("LC_ALL".into(), "C".into()),
        ("SYSTEMD_PAGER".into(), String::new()),
    ];
    proc::run(&cmd, ctx)
}

fn read_unit(name: &str, scope: Option<&str>, ctx: &Context<'_>) -> Result<UnitState, ModuleError> {
    let out = systemctl(
        scope,
        &[
            "show",
            name,
            "-p",
            "Id,Description,LoadState,ActiveState,SubState,UnitFileState,MainPID",
        ],
        ctx,
    )?;
    if out.rc != 0 {
        return Err(ModuleError(format!(
            "systemctl show {name} failed: {}",
            out.stderr_text().trim()
        )));
    }
    let props = parse_show(&out.stdout_text());
    let is_enabled = systemctl(scope, &["is-enabled", name], ctx)?;
    let answer = is_enabled.stdout_text();
    let enabled = is_enabled.rc == 0 && !matches!(answer.trim(), "indirect" | "alias");
    Ok(UnitState { props, enabled })
}

/// Runs the module with already-normalized arguments (shared with `service`).
pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let scope = match a.scope.as_deref() {
        None | Some("system") => None,
        Some("user") => Some("--user"),
        Some("global") => Some("--global"),
        Some(other) => {
            return Err(ModuleError(format!(
                "systemd: scope must be system, user or global, not '{other}'"
            )))
        }
    };
    if !Path::new("/run/systemd/system").exists() {
        return Err(ModuleError(
            "systemd is not running on this host (no /run/systemd/system): play manages services through systemd only".into(),
        ));
    }
    let mut result = ModuleResult::ok();
    if a.daemon_reexec == Some(true) && !ctx.check {
        run_ok(scope, &["daemon-reexec"], ctx)?;
    }
    if a.daemon_reload == Some(true) && !ctx.check {
        run_ok(scope, &["daemon-reload"], ctx)?;
    }
    let Some(name) = a.name.as_deref() else {
        if a.state.is_some() || a.enabled.is_some() || a.masked.is_some() {
            return Err(ModuleError(
                "systemd: name is required with state, enabled or masked".into(),
            ));
        }
        return Ok(result);
    };
    let unit = read_unit(name, scope, ctx)?;
    if !unit.found() && a.masked != Some(true) && (a.state.is_some() || a.enabled.is_some()) {
        return Err(ModuleError(format!(
            "Could not find the requested service {name}: host has no such unit (check the name with `systemctl list-unit-files`, or install the package that ships it first)"
        )));
    }
    let actions = plan(&unit, a.state.as_deref(), a.enabled, a.masked)
        .map_err(|e| ModuleError(format!("systemd: {name}: {e}")))?;
    if !ctx.check {
        for action in &actions {
            let mut argv = Vec::new();
            if a.no_block == Some(true)
                && matches!(
                    action,
                    Action::Start | Action::Stop | Action::Restart | Action::Reload
                )
            {
                argv.push("--no-block");
            }
            argv.extend([action.verb(), name]);
            run_ok(scope, &argv, ctx).map_err(|e| {
                ModuleError(format!(
                    "Unable to {} service {name}: {} (see `journalctl -u {name}`)",
                    action.verb(),
                    e.0
                ))
            })?;
        }
    }
    result.changed = !actions.is_empty();
    if ctx.diff && !actions.is_empty() {
        result.diff.push(unit_diff(name, &unit, &actions));
    }
    let after = if actions.is_empty() || ctx.check {
        unit
    } else {
        read_unit(name, scope, ctx)?
    };
    let status: Map<String, Value> = after
        .props
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    result = result
        .with("name", name)
        .with("enabled", after.enabled)
        .with("status", Value::Object(status))
        .with(
            "actions",
            actions.iter().map(|a| a.verb()).collect::<Vec<_>>(),
        );
    if let Some(s) = a.state {
        result = result.with("state", s);
    }
    Ok(result)
}

/// The unit's state before and after `actions` (predicted: check mode runs none of them).
fn unit_diff(name: &str, unit: &UnitState, actions: &[Action]) -> play_protocol::Diff {
    let active = |running: bool| if running { "active" } else { "inactive" }.to_string();
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    let (mut running, mut enabled, mut masked) = (unit.running(), unit.enabled, unit.masked());
    for a in actions {
        match a {
            Action::Start | Action::Restart | Action::Reload => running = true,
            Action::Stop => running = false,
            Action::Enable => enabled = true,
            Action::Disable => enabled = false,
            Action::Mask => masked = true,
            Action::Unmask => masked = false,
        }
    }
    let verbs: Vec<&str> = actions.iter().map(|a| a.verb()).collect();
    super::common::state_diff(
        &format!("service {name}"),
        &[
            ("state", active(unit.running())),
            ("enabled", yes(unit.enabled)),
            ("masked", yes(unit.masked())),
        ],
        &[
            ("state", active(running)),
            ("enabled", yes(enabled)),
            ("masked", yes(masked)),
            ("systemctl", verbs.join(", ")),
        ],
    )
}

fn run_ok(scope: Option<&str>, argv: &[&str], ctx: &Context<'_>) -> Result<(), ModuleError> {
    let out = systemctl(scope, argv, ctx)?;
    if out.rc != 0 {
        return Err(ModuleError(format!(
            "systemctl {} failed (rc {}): {}",
            argv.join(" "),
            out.rc,
            out.stderr_text().trim()
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "systemd_tests.rs"]
mod tests;
