//! Modules the controller evaluates itself: debug, assert, fail, set_fact, and meta.

use super::host::{HostSlot, HostState};
use super::tasks::{flush_handlers, report_simple, Flow, Inherited};
use super::vars::PlayCtx;
use super::Engine;
use crate::output::Status;
use crate::playbook::model::{ModuleTask, Task};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Runs debug/assert/fail/set_fact for one host.
pub fn run(
    engine: &Engine,
    task: &Task,
    m: &ModuleTask,
    state: &mut HostState,
    ctx: &Map<String, Value>,
) -> Value {
    let vars = Value::Object(ctx.clone());
    let t = &engine.templar;
    let arg = |k: &str| m.args.get(k);
    let render = |v: &Value| t.render_value(v, &vars).map_err(|e| e.message);
    let result: Result<Value, String> = (|| match m.module {
        "debug" => {
            let verbosity = arg("verbosity").and_then(Value::as_u64).unwrap_or(0);
            if u64::from(engine.opts.verbosity) < verbosity {
                return Ok(json!({"skipped": true, "skip_reason": "Verbosity threshold not met."}));
            }
            if let Some(var) = arg("var").and_then(Value::as_str) {
                let value = t.eval_expr(var, &vars).map_err(|e| e.message)?;
                let mut out = Map::new();
                out.insert(var.to_string(), value);
                out.insert("changed".into(), Value::Bool(false));
                out.insert("_ansible_verbose_always".into(), Value::Bool(true));
                return Ok(Value::Object(out));
            }
            let msg = match arg("msg") {
                Some(v) => render(v)?,
                None => Value::String("Hello world!".into()),
            };
            Ok(json!({"msg": msg, "changed": false, "_ansible_verbose_always": true}))
        }
        "assert" => {
            let that: Vec<String> = match arg("that") {
                Some(Value::Array(items)) => items.iter().map(expr_text).collect(),
                Some(v) => vec![expr_text(v)],
                None => return Err("assert needs `that`".into()),
            };
            for cond in &that {
                let ok = t.eval_bool(cond, &vars).map_err(|e| e.message)?;
                if !ok {
                    let msg = match arg("fail_msg").or(arg("msg")) {
                        Some(v) => render(v)?,
                        None => Value::String("Assertion failed".into()),
                    };
                    return Ok(
                        json!({"failed": true, "changed": false, "assertion": cond, "evaluated_to": false, "msg": msg}),
                    );
                }
            }
            let msg = match arg("success_msg") {
                Some(v) => render(v)?,
                None => Value::String("All assertions passed".into()),
            };
            Ok(json!({"changed": false, "msg": msg}))
        }
        "fail" => {
            let msg = match arg("msg") {
                Some(v) => render(v)?,
                None => Value::String("Failed as requested from task".into()),
            };
            Ok(json!({"failed": true, "changed": false, "msg": msg}))
        }
        "set_fact" => {
            let mut facts = Map::new();
            for (k, v) in &m.args {
                if k == "cacheable" {
                    continue;
                }
                let value = render(v)?;
                state.facts_set.insert(k.clone(), value.clone());
                facts.insert(k.clone(), value);
            }
            Ok(json!({"changed": false, "ansible_facts": facts}))
        }
        other => Err(format!("module {other} does not run on the controller")),
    })();
    result.unwrap_or_else(|msg| {
        let place = task
            .common
            .loc
            .as_ref()
            .map(|l| format!(" (task '{}' at {l})", task.display_name()))
            .unwrap_or_default();
        json!({"failed": true, "changed": false, "msg": format!("{msg}{place}")})
    })
}

fn expr_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => {
            if *b {
                "True".into()
            } else {
                "False".into()
            }
        }
        other => other.to_string(),
    }
}

/// `meta:` actions act on the whole batch, not one host.
pub async fn meta(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    task: &Task,
    m: &ModuleTask,
    hosts: &[Arc<HostSlot>],
    inh: &Inherited,
) -> Flow {
    let action = m
        .args
        .get("_raw_params")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    match action.as_str() {
        "flush_handlers" => {
            flush_handlers(engine, pctx, hosts, inh).await;
            Flow::Continue
        }
        "end_play" => {
            engine.printer.task_start(&task.display_name(), None, false);
            Flow::EndPlay
        }
        "end_host" => {
            engine.printer.task_start(&task.display_name(), None, false);
            for h in hosts {
                h.state.lock().await.ended = true;
                report_simple(
                    engine,
                    &h.name,
                    Status::Skipped,
                    &json!({"skipped": true, "msg": "end_host conditional evaluated to true, ending host"}),
                );
            }
            Flow::Continue
        }
        "noop" | "reset_connection" | "refresh_inventory" | "clear_facts" | "clear_host_errors" => {
            Flow::Continue
        }
        other => {
            engine.printer.warn(&format!(
                "meta: '{other}' is not supported by play; ignored"
            ));
            Flow::Continue
        }
    }
}
