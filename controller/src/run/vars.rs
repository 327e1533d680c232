//! Assembling the variables a task sees on a host, in Ansible's precedence order (low to high):
//! inventory group vars < inventory host vars < facts < play vars < vars_files < block vars <
//! task vars < registered and set_fact values < extra vars; plus the magic variables.

use super::host::HostState;
use super::Engine;
use crate::playbook::model::{Play, Vars};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// What is fixed for a play while it runs.
pub struct PlayCtx<'a> {
    pub play: &'a Play,
    pub playbook_dir: PathBuf,
    /// play `vars` then `vars_files`, merged.
    pub play_vars: Vars,
    pub play_hosts: Vec<String>,
    pub batch: Vec<String>,
}

/// Builds the template context for `host` with the task's own scopes (outermost first).
pub fn host_context(
    engine: &Engine,
    pctx: &PlayCtx<'_>,
    host: &str,
    state: &HostState,
    scopes: &[&Vars],
    hostvars: Option<&Value>,
) -> Map<String, Value> {
    let mut ctx = Map::new();
    let mut inventory_vars = engine.inventory.host_vars(host);
    if !engine.opts.vault.is_empty() {
        // Checked at load time; this is a cache hit that also keeps the values censored.
        let _ = crate::vault::decrypt_vars_map_in_place(
            &engine.opts.vault,
            &mut inventory_vars,
            None,
            engine.printer.secrets(),
        );
    }
    for (k, v) in inventory_vars {
        ctx.insert(k, v);
    }
    if !state.facts.is_empty() {
        let mut short = Map::new();
        for (k, v) in &state.facts {
            ctx.insert(k.clone(), v.clone());
            short.insert(
                k.strip_prefix("ansible_").unwrap_or(k).to_string(),
                v.clone(),
            );
        }
        ctx.insert("ansible_facts".into(), Value::Object(short));
    }
    for (k, v) in &pctx.play_vars {
        ctx.insert(k.clone(), v.clone());
    }
    for scope in scopes {
        for (k, v) in scope.iter() {
            ctx.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in &state.facts_set {
        ctx.insert(k.clone(), v.clone());
    }
    for (k, v) in &engine.opts.extra_vars {
        ctx.insert(k.clone(), v.clone());
    }
    if let Some(pinned) = engine.opts.host_vars.get(host) {
        for (k, v) in pinned {
            ctx.insert(k.clone(), v.clone());
        }
    }
    insert_magic(engine, pctx, host, &mut ctx);
    resolve_templated_vars(engine, &mut ctx, state);
    if let Some(hv) = hostvars {
        ctx.insert("hostvars".into(), hv.clone());
    }
    ctx
}

fn insert_magic(engine: &Engine, pctx: &PlayCtx<'_>, host: &str, ctx: &mut Map<String, Value>) {
    let strs = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
    ctx.insert("inventory_hostname".into(), Value::String(host.to_string()));
    ctx.insert(
        "inventory_hostname_short".into(),
        Value::String(host.split('.').next().unwrap_or(host).to_string()),
    );
    ctx.insert(
        "group_names".into(),
        strs(&engine.inventory.group_names(host)),
    );
    let groups: Map<String, Value> = engine
        .inventory
        .groups_map()
        .into_iter()
        .map(|(g, hs)| (g, strs(&hs)))
        .collect();
    ctx.insert("groups".into(), Value::Object(groups));
    ctx.insert("play_hosts".into(), strs(&pctx.batch));
    ctx.insert("ansible_play_batch".into(), strs(&pctx.batch));
    ctx.insert("ansible_play_hosts".into(), strs(&pctx.play_hosts));
    ctx.insert("ansible_play_hosts_all".into(), strs(&pctx.play_hosts));
    ctx.insert("ansible_check_mode".into(), Value::Bool(engine.opts.check));
    ctx.insert("ansible_diff_mode".into(), Value::Bool(engine.opts.diff));
    ctx.insert(
        "playbook_dir".into(),
        Value::String(pctx.playbook_dir.display().to_string()),
    );
    ctx.insert(
        "ansible_verbosity".into(),
        Value::from(engine.opts.verbosity),
    );
    ctx.insert(
        "ansible_version".into(),
        serde_json::json!({"full": "2.19.0", "major": 2, "minor": 19, "revision": 0, "string": "2.19.0", "play": env!("CARGO_PKG_VERSION")}),
    );
    ctx.insert(
        "omit".into(),
        Value::String(crate::template::OMIT.to_string()),
    );
    ctx.insert(
        "play_operator".into(),
        Value::String(operator().to_string()),
    );
    if let Some(name) = &pctx.play.name {
        ctx.insert("ansible_play_name".into(), Value::String(name.clone()));
    }
}

/// Ansible's `hostvars`: every play host's inventory vars and facts (built only when a task
/// mentions it, since it is O(hosts)).
pub async fn build_hostvars(engine: &Engine, hosts: &[String]) -> Value {
    let mut all = Map::new();
    for h in engine
        .inventory
        .hosts()
        .map(|h| h.name.clone())
        .collect::<Vec<_>>()
    {
        let mut vars: Map<String, Value> = engine.inventory.host_vars(&h).into_iter().collect();
        if hosts.contains(&h) {
            let slot = engine.host(&h);
            let state = slot.state.lock().await;
            for (k, v) in state.facts.iter().chain(state.facts_set.iter()) {
                vars.insert(k.clone(), v.clone());
            }
        }
        vars.insert("inventory_hostname".into(), Value::String(h.clone()));
        all.insert(h, Value::Object(vars));
    }
    Value::Object(all)
}

/// Who runs this release, as the release history records it: `$USER@controller-host`.
pub fn operator() -> &'static str {
    static OPERATOR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OPERATOR.get_or_init(|| {
        let user = std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "controller".into());
        format!("{user}@{host}")
    })
}

fn has_template(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("{{") || s.contains("{%"),
        Value::Array(items) => items.iter().any(has_template),
        Value::Object(m) => m.values().any(has_template),
        _ => false,
    }
}

/// Variables whose values are templates (`registry_host: "{{ image_repo.split('/')[0] }}"`)
/// are rendered against the others, as Ansible resolves them when used, so conditions and
/// arguments see the final values. A few passes resolve chains; a value that cannot be
/// rendered yet (it uses `item`, or an undefined variable) stays as written and fails, with
/// its name, where it is used. Facts and registered results are data and never rendered.
fn resolve_templated_vars(engine: &Engine, ctx: &mut Map<String, Value>, state: &HostState) {
    let mut pending: Vec<String> = ctx
        .iter()
        .filter(|(k, v)| {
            !state.facts.contains_key(*k) && !state.facts_set.contains_key(*k) && has_template(v)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for _ in 0..5 {
        if pending.is_empty() {
            return;
        }
        let snapshot = Value::Object(ctx.clone());
        let before = pending.len();
        pending.retain(
            |key| match engine.templar.render_value(&ctx[key], &snapshot) {
                Ok(v) if !has_template(&v) => {
                    ctx.insert(key.clone(), v);
                    false
                }
                _ => true,
            },
        );
        if pending.len() == before {
            return;
        }
    }
}
