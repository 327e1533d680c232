//! One task across the batch, and the per-host pipeline: vars, when, loop, the module call,
//! until/retries, changed_when/failed_when, register, notify, output and stats.

use super::controller_modules;
use super::host::{HostSlot, HostState};
use super::local_files;
use super::tasks::{run_list, Flow, Inherited};
use super::vars::{build_hostvars, host_context, PlayCtx};
use super::Engine;
use crate::agent_client::{AgentEnd, AgentError};
use crate::output::{HostResult, Status};
use crate::playbook::model::{Loop, ModuleTask, Task, Vars};
use crate::template::{TemplateError, OMIT};
use play_protocol::modules::{self, RunsOn};
use play_protocol::ModuleCall;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub struct TaskSpec<'a> {
    pub task: &'a Task,
    pub module: &'a ModuleTask,
    pub inh: &'a Inherited,
    pub is_handler: bool,
}

fn location(task: &Task) -> Option<String> {
    task.common.loc.as_ref().map(|l| l.to_string())
}

/// Runs a module task on every active host of the batch, `forks` at a time.
pub async fn run_task(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    spec: &TaskSpec<'_>,
    hosts: &[Arc<HostSlot>],
) -> Flow {
    let mut name = spec.task.display_name();
    if name.contains("{{") {
        // Rendered with play-level vars only (the banner is one line for every host).
        let mut vars: Map<String, Value> = pctx
            .play_vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        vars.extend(
            engine
                .opts
                .extra_vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        if let Ok(rendered) = engine.templar.render_str(&name, &Value::Object(vars)) {
            name = rendered;
        }
    }
    if !engine.start_reached.load(Ordering::Relaxed) {
        if engine.opts.start_at_task.as_deref() == Some(name.as_str()) {
            engine.start_reached.store(true, Ordering::Relaxed);
        } else {
            return Flow::Continue;
        }
    }
    engine
        .printer
        .task_start(&name, location(spec.task).as_deref(), spec.is_handler);
    let hostvars = if mentions(spec.task, "hostvars") {
        Some(build_hostvars(engine, &pctx.play_hosts).await)
    } else {
        None
    };
    let targets: Vec<Arc<HostSlot>> = if spec.task.common.run_once {
        hosts.iter().take(1).cloned().collect()
    } else {
        hosts.to_vec()
    };
    let forks = Arc::new(Semaphore::new(engine.opts.forks.max(1)));
    let name = name.as_str();
    let results = futures_join(targets.iter().map(|slot| {
        let forks = forks.clone();
        let hostvars = hostvars.as_ref();
        async move {
            let _permit = forks.acquire().await.ok();
            run_on_host(engine, pctx, spec, slot, hostvars, name).await
        }
    }))
    .await;
    if spec.task.common.run_once {
        // Ansible applies a run_once result to every host of the batch.
        if let (Some(reg), Some(first)) = (&spec.task.common.register, results.first()) {
            for slot in hosts.iter().skip(1) {
                slot.state
                    .lock()
                    .await
                    .facts_set
                    .insert(reg.clone(), first.clone());
            }
        }
    }
    let any_failed = results
        .iter()
        .any(|r| r.get("failed") == Some(&Value::Bool(true)) && r.get("_ignored").is_none());
    if any_failed && (spec.inh.any_errors_fatal || pctx.play.any_errors_fatal) {
        for slot in hosts {
            slot.state.lock().await.ended = true;
        }
        engine
            .printer
            .note("any_errors_fatal: a host failed, so the play stops for every host");
        return Flow::EndPlay;
    }
    Flow::Continue
}

/// Runs futures concurrently on the current task (no spawning: they borrow the play).
async fn futures_join<F: std::future::Future<Output = Value>>(
    futs: impl Iterator<Item = F>,
) -> Vec<Value> {
    let futs: Vec<_> = futs.map(Box::pin).collect();
    let mut out: Vec<Option<Value>> = (0..futs.len()).map(|_| None).collect();
    let mut pending: Vec<(usize, std::pin::Pin<Box<F>>)> = futs.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                out[*i] = Some(v);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().map(Option::unwrap_or_default).collect()
}

fn mentions(task: &Task, word: &str) -> bool {
    format!("{:?}", task.kind).contains(word) || task.common.when.iter().any(|w| w.contains(word))
}

/// Everything about one host's run of one task. Returns the registered result.
async fn run_on_host(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    spec: &TaskSpec<'_>,
    slot: &Arc<HostSlot>,
    hostvars: Option<&Value>,
    name: &str,
) -> Value {
    let host = slot.name.as_str();
    let mut state = slot.state.lock().await;
    let scope = spec.inh.enter(&spec.task.common);
    let scopes: Vec<&Vars> = scope.vars.iter().collect();
    let ctx = host_context(engine, pctx, host, &state, &scopes, hostvars);
    let no_log = scope.no_log.unwrap_or(false);
    let common = &spec.task.common;

    let outcome = match &common.loop_ {
        None => match conditions_hold(engine, &scope.when, &ctx) {
            Ok(true) => execute(engine, pctx, spec, &scope, &mut state, host, &ctx).await,
            Ok(false) => {
                json!({"changed": false, "skipped": true, "skip_reason": "Conditional result was False", "false_condition": scope.when.last()})
            }
            Err(e) => failure(spec.task, &e),
        },
        Some(lp) => run_loop(engine, pctx, spec, &scope, &mut state, host, &ctx, lp).await,
    };

    let status = status_of(&outcome);
    let ignored = status == Status::Failed && scope.ignore_errors;
    if let Some(rec) = &engine.opts.recorder {
        let word = serde_json::to_value(status).unwrap_or_default();
        rec.result(
            host,
            name,
            location(spec.task),
            word.as_str().unwrap_or("?"),
            &outcome,
            no_log,
        );
    }
    if status != Status::Skipped || common.loop_.is_none() || outcome.get("results").is_none() {
        engine.printer.host_result(&HostResult {
            host,
            status,
            item: None,
            result: &outcome,
            ignored,
            no_log,
            is_loop_summary: common.loop_.is_some(),
        });
    }
    count(engine, host, status, ignored);
    match status {
        Status::Failed if !ignored => state.failed = true,
        Status::Unreachable if !common.ignore_unreachable => state.unreachable = true,
        _ => {}
    }
    if let Some(reg) = &common.register {
        state
            .facts_set
            .insert(reg.clone(), strip_internal(outcome.clone()));
    }
    if status == Status::Changed {
        for n in &common.notify {
            let name = if n.contains("{{") {
                engine
                    .templar
                    .render_str(n, &Value::Object(ctx.clone()))
                    .unwrap_or_else(|_| n.clone())
            } else {
                n.clone()
            };
            state.notified.insert(name);
        }
    }
    let mut out = outcome;
    if ignored {
        if let Value::Object(m) = &mut out {
            m.insert("_ignored".into(), Value::Bool(true));
        }
    }
    out
}

fn count(engine: &Engine, host: &str, status: Status, ignored: bool) {
    engine.stats(|s| {
        let st = s.host(host);
        match status {
            Status::Ok => st.ok += 1,
            Status::Changed => {
                st.ok += 1;
                st.changed += 1;
            }
            Status::Skipped => st.skipped += 1,
            Status::Failed if ignored => {
                st.ok += 1;
                st.ignored += 1;
            }
            Status::Failed => st.failures += 1,
            Status::Unreachable => st.unreachable += 1,
        }
    });
}

fn strip_internal(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.retain(|k, _| !k.starts_with("_ansible") && k != "_ignored");
    }
    v
}

pub fn status_of(result: &Value) -> Status {
    let flag = |k: &str| result.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("unreachable") {
        Status::Unreachable
    } else if flag("failed") {
        Status::Failed
    } else if flag("skipped") {
        Status::Skipped
    } else if flag("changed") {
        Status::Changed
    } else {
        Status::Ok
    }
}

/// A task failure caused by templating, in Ansible's words plus where to look.
fn failure(task: &Task, e: &TemplateError) -> Value {
    let place = task
        .common
        .loc
        .as_ref()
        .map(|l| format!(" The error appears to be in '{l}'."))
        .unwrap_or_default();
    json!({
        "failed": true,
        "changed": false,
        "msg": format!("The task '{}' includes an option with an undefined variable or a template error: {}.{place}", task.display_name(), e.message),
    })
}

fn conditions_hold(
    engine: &Engine,
    when: &[String],
    ctx: &Map<String, Value>,
) -> Result<bool, TemplateError> {
    if when.is_empty() {
        return Ok(true);
    }
    let vars = Value::Object(ctx.clone());
    for cond in when {
        if !engine.templar.eval_bool(cond, &vars)? {
            return Ok(false);
        }
    }
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
async fn run_loop(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    spec: &TaskSpec<'_>,
    scope: &Inherited,
    state: &mut HostState,
    host: &str,
    ctx: &Map<String, Value>,
    lp: &Loop,
) -> Value {
    let common = &spec.task.common;
    let vars = Value::Object(ctx.clone());
    let items = match loop_items(engine, lp, &vars) {
        Ok(items) => items,
        Err(msg) => {
            return json!({"failed": true, "changed": false, "msg": format!("{} ({})", msg, location(spec.task).unwrap_or_default())})
        }
    };
    let loop_var = common
        .loop_control
        .loop_var
        .clone()
        .unwrap_or_else(|| "item".into());
    let no_log = scope.no_log.unwrap_or(false);
    let mut results = Vec::new();
    let (mut any_changed, mut any_failed, mut all_skipped) = (false, false, true);
    for (index, item) in items.iter().enumerate() {
        let mut ictx = ctx.clone();
        ictx.insert(loop_var.clone(), item.clone());
        if let Some(iv) = &common.loop_control.index_var {
            ictx.insert(iv.clone(), Value::from(index));
        }
        ictx.insert("ansible_loop_var".into(), Value::String(loop_var.clone()));
        let mut r = match conditions_hold(engine, &scope.when, &ictx) {
            Ok(true) => execute(engine, pctx, spec, scope, state, host, &ictx).await,
            Ok(false) => {
                json!({"changed": false, "skipped": true, "skip_reason": "Conditional result was False"})
            }
            Err(e) => failure(spec.task, &e),
        };
        let label = match &common.loop_control.label {
            Some(l) => engine
                .templar
                .render_str(l, &Value::Object(ictx.clone()))
                .unwrap_or_else(|_| l.clone()),
            None => item_label(item),
        };
        let status = status_of(&r);
        if status == Status::Unreachable {
            return r;
        }
        any_changed |= status == Status::Changed;
        any_failed |= status == Status::Failed;
        all_skipped &= status == Status::Skipped;
        engine.printer.host_result(&HostResult {
            host,
            status,
            item: Some(if no_log { "None".into() } else { label }),
            result: &r,
            ignored: false,
            no_log,
            is_loop_summary: false,
        });
        if let Value::Object(m) = &mut r {
            m.insert(loop_var.clone(), item.clone());
            m.insert("ansible_loop_var".into(), Value::String(loop_var.clone()));
        }
        results.push(r);
        if let Some(p) = common.loop_control.pause {
            tokio::time::sleep(Duration::from_secs_f64(p)).await;
        }
    }
    let mut out = json!({
        "changed": any_changed,
        "results": results,
        "msg": if any_failed { "One or more items failed" } else { "All items completed" },
    });
    if any_failed {
        out["failed"] = Value::Bool(true);
    }
    if all_skipped {
        out["skipped"] = Value::Bool(true);
    }
    out
}

fn item_label(item: &Value) -> String {
    match item {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn loop_items(engine: &Engine, lp: &Loop, vars: &Value) -> Result<Vec<Value>, String> {
    let render = |v: &Value| -> Result<Value, String> {
        let rendered = engine
            .templar
            .render_value(v, vars)
            .map_err(|e| e.message.clone())?;
        // A bare variable name (`with_items: packages`) is a legacy form Ansible still accepts.
        match &rendered {
            Value::String(s) if !s.contains(' ') && vars.get(s).is_some() => Ok(vars[s].clone()),
            _ => Ok(rendered),
        }
    };
    match lp {
        Loop::Items(v) => match render(v)? {
            Value::Array(items) => Ok(items.into_iter().flat_map(flatten_once).collect()),
            Value::Null => Ok(Vec::new()),
            other => Err(format!("Invalid data passed to 'loop', it requires a list, got this instead: {other}. Hint: use `| dict2items` for a mapping")),
        },
        Loop::Dict(v) => match render(v)? {
            Value::Object(m) => Ok(m.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect()),
            other => Err(format!("with_dict expects a mapping, got {other}")),
        },
    }
}

/// `with_items` flattens one level, as Ansible's does; `loop` lists of scalars are unchanged.
fn flatten_once(v: Value) -> Vec<Value> {
    vec![v]
}

/// One execution with until/retries, changed_when and failed_when applied.
#[allow(clippy::too_many_arguments)]
async fn execute(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    spec: &TaskSpec<'_>,
    scope: &Inherited,
    state: &mut HostState,
    host: &str,
    ctx: &Map<String, Value>,
) -> Value {
    let common = &spec.task.common;
    let retries = if common.until.is_some() {
        common.retries.unwrap_or(3)
    } else {
        0
    };
    let delay = Duration::from_secs(common.delay.unwrap_or(5));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut result = call_module(engine, pctx, spec, scope, state, host, ctx).await;
        if status_of(&result) == Status::Unreachable {
            return result;
        }
        if let Err(e) = apply_overrides(engine, spec.task, ctx, &mut result) {
            return failure(spec.task, &e);
        }
        let Some(until) = &common.until else {
            return result;
        };
        let mut uctx = ctx.clone();
        if let Some(reg) = &common.register {
            uctx.insert(reg.clone(), result.clone());
        }
        let done = match engine.templar.eval_bool(until, &Value::Object(uctx)) {
            Ok(b) => b,
            Err(e) => return failure(spec.task, &e),
        };
        result["attempts"] = Value::from(attempt);
        if done {
            result["failed"] = Value::Bool(false);
            return result;
        }
        if attempt > retries {
            result["failed"] = Value::Bool(true);
            let msg = result
                .get("msg")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            result["msg"] = Value::String(format!(
                "{msg}{}Retried {retries} times; the `until` condition never held",
                if msg.is_empty() { "" } else { ". " }
            ));
            return result;
        }
        engine.printer.note(&format!(
            "FAILED - RETRYING: [{host}]: {} ({} retries left).",
            spec.task.display_name(),
            retries + 1 - attempt
        ));
        tokio::time::sleep(delay).await;
    }
}

fn apply_overrides(
    engine: &Engine,
    task: &Task,
    ctx: &Map<String, Value>,
    result: &mut Value,
) -> Result<(), TemplateError> {
    let common = &task.common;
    if common.changed_when.is_none() && common.failed_when.is_none() {
        return Ok(());
    }
    let mut cctx = ctx.clone();
    if let Some(reg) = &common.register {
        cctx.insert(reg.clone(), result.clone());
    }
    let vars = Value::Object(cctx);
    if let Some(conds) = &common.changed_when {
        let mut changed = true;
        for c in conds {
            changed &= engine.templar.eval_bool(c, &vars)?;
        }
        result["changed"] = Value::Bool(changed);
    }
    if let Some(conds) = &common.failed_when {
        let mut failed = true;
        for c in conds {
            failed &= engine.templar.eval_bool(c, &vars)?;
        }
        result["failed"] = Value::Bool(failed);
        if failed && result.get("msg").is_none() {
            result["msg"] = Value::String(format!("failed_when held: {}", conds.join(" and ")));
        }
    }
    Ok(())
}

/// Renders the arguments and runs the module where it belongs.
async fn call_module(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    spec: &TaskSpec<'_>,
    scope: &Inherited,
    state: &mut HostState,
    host: &str,
    ctx: &Map<String, Value>,
) -> Value {
    let m = spec.module;
    let Some(mspec) = modules::lookup(m.module) else {
        return json!({"failed": true, "msg": format!("unknown module {}", m.module)});
    };
    if mspec.runs_on == RunsOn::Controller {
        return controller_modules::run(engine, spec.task, m, state, ctx);
    }
    let vars = Value::Object(ctx.clone());
    let raw = Value::Object(m.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    let mut args = match engine.templar.render_value(&raw, &vars) {
        Ok(Value::Object(a)) => a,
        Ok(other) => {
            return json!({"failed": true, "msg": format!("arguments rendered to {other}, not a mapping")})
        }
        Err(e) => return failure(spec.task, &e),
    };
    args.retain(|_, v| v.as_str() != Some(OMIT));
    let task_dir = spec
        .task
        .common
        .loc
        .as_ref()
        .and_then(|l| l.file.parent().map(Path::to_path_buf));
    let agent_module = match mspec.runs_on {
        RunsOn::ControllerThenAgent { agent_module } => {
            let dirs = search_dirs(&pctx.playbook_dir, task_dir.as_deref());
            let prepared = if m.module == "template" {
                local_files::prepare_template(engine, &mut args, &dirs, &vars)
            } else {
                local_files::prepare_copy(&mut args, &dirs)
            };
            match prepared {
                Err(msg) => return json!({"failed": true, "changed": false, "msg": msg}),
                Ok(Some(path)) => {
                    if let Some(rec) = &engine.opts.recorder {
                        rec.local_file(path);
                    }
                }
                Ok(None) => {}
            }
            agent_module
        }
        _ => mspec.name,
    };
    let environment = match render_environment(engine, scope, &vars) {
        Ok(env) => env,
        Err(e) => return failure(spec.task, &e),
    };
    if let Err(result) = ensure_agent(engine, state, host, ctx).await {
        return result;
    }
    let become_ = scope.become_.unwrap_or(engine.opts.become_);
    let become_user = if become_ {
        scope
            .become_user
            .clone()
            .or_else(|| engine.opts.become_user.clone())
            .filter(|u| u != "root")
    } else if engine.sudo_agent.load(Ordering::Relaxed) {
        // The agent runs as root for the run; a task without become acts as the SSH user.
        ctx.get("ansible_user")
            .and_then(Value::as_str)
            .map(str::to_string)
    } else {
        None
    };
    if engine.opts.rollback && agent_module == "release" {
        args.insert("_rollback".into(), Value::Bool(true));
    }
    if let Some(rec) = &engine.opts.recorder {
        rec.input(host, agent_module, &args);
    }
    let call = ModuleCall {
        module: agent_module.to_string(),
        args,
        check: scope.check_mode.unwrap_or(engine.opts.check),
        diff: scope.diff.unwrap_or(engine.opts.diff),
        no_log: scope.no_log.unwrap_or(false),
        environment,
        become_user,
        timeout_secs: engine.opts.task_timeout.map(|d| d.as_secs()),
    };
    // The controller waits a little longer than the agent's own bound.
    let wait = engine
        .opts
        .task_timeout
        .map(|d| d + Duration::from_secs(10));
    let agent = state.agent.as_mut().expect("connected above");
    let answer = agent.conn.run(call, wait).await;
    show_agent_log(engine, host, agent);
    match answer {
        Ok(r) => module_result_value(r),
        Err(e) => {
            let said = agent.stderr_tail();
            // A host going down ends its agent a moment before the connection: look twice.
            let end = match e {
                AgentError::Died(_) => agent.how_it_ended(Duration::from_secs(2)).await,
                _ => AgentEnd::Running,
            };
            state.agent = None;
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(" (its last words: {said})")
            };
            if let AgentEnd::ConnectionLost { closed, bastion } = end {
                // Ansible's UNREACHABLE: the host leaves the run, the exit code is 4.
                let mut msg = match bastion {
                    Some(bastion) => format!(
                        "the bastion connection was lost during this task: the connection to the bastion {bastion} dropped or stopped answering (the bastion restarted, hung or lost its network), taking the connection to {host} with it ({closed}); what this task did on {host} is unknown: check the host, then run again"
                    ),
                    None => format!(
                        "the connection to {host} dropped during this task ({closed}): the host went down or its network failed"
                    ),
                };
                if agent_module == "release" {
                    // The transaction does not need play: tell the operator where its end shows.
                    msg.push_str(&format!(
                        "; a release goes on without play: the agent on {host} finishes it or puts the old container back, then unlocks; `play releases` shows which version runs"
                    ));
                }
                return json!({"unreachable": true, "changed": false, "msg": msg});
            }
            let msg = match (e, end) {
                (AgentError::Died(_), AgentEnd::Exited(how)) => format!(
                    "the agent on {host} stopped during this task{how}: it was killed or crashed while the SSH connection stayed up{said}; the next run starts a fresh agent"
                ),
                (AgentError::Died(why), _) => format!(
                    "the agent on {host} stopped during this task{why}: it was killed, crashed, or the SSH connection dropped{said}; the next run starts a fresh agent"
                ),
                (AgentError::Timeout(secs), _) => format!("no answer from the agent on {host} within {secs} s (--task-timeout plus 10 s): the host may be hung or its network down"),
                (other, _) => format!("agent error on {host}: {other}"),
            };
            json!({"failed": true, "changed": false, "msg": msg})
        }
    }
}

/// At -vvvv (where the agent logs at debug level) its log lines follow each call.
fn show_agent_log(engine: &Engine, host: &str, agent: &crate::agent_client::HostAgent) {
    if engine.printer.verbosity() >= 4 {
        for line in agent.take_log() {
            engine.printer.verbose(4, &format!("<{host}> {line}"));
        }
    }
}

fn search_dirs(playbook_dir: &Path, task_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(t) = task_dir {
        dirs.push(t.to_path_buf());
    }
    dirs.push(playbook_dir.to_path_buf());
    dirs
}

fn render_environment(
    engine: &Engine,
    scope: &Inherited,
    vars: &Value,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut env = BTreeMap::new();
    for e in &scope.environment {
        if let Value::Object(m) = engine.templar.render_value(e, vars)? {
            for (k, v) in m {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                env.insert(k, v);
            }
        }
    }
    Ok(env)
}

fn module_result_value(r: play_protocol::ModuleResult) -> Value {
    let mut m = Map::new();
    m.insert("changed".into(), Value::Bool(r.changed));
    if r.failed {
        m.insert("failed".into(), Value::Bool(true));
    }
    if let Some(msg) = r.msg {
        m.insert("msg".into(), Value::String(msg));
    }
    if !r.diff.is_empty() {
        m.insert(
            "diff".into(),
            serde_json::to_value(&r.diff).unwrap_or_default(),
        );
    }
    for (k, v) in r.data {
        m.insert(k, v);
    }
    Value::Object(m)
}

/// Gathers facts on every host in parallel.
pub async fn gather_facts_all(engine: &Arc<Engine>, pctx: &PlayCtx<'_>, hosts: &[Arc<HostSlot>]) {
    let forks = Arc::new(Semaphore::new(engine.opts.forks.max(1)));
    futures_join(hosts.iter().map(|slot| {
        let forks = forks.clone();
        async move {
            let _permit = forks.acquire().await.ok();
            let host = slot.name.as_str();
            let mut state = slot.state.lock().await;
            let ctx = host_context(engine, pctx, host, &state, &[], None);
            let result = gather_facts(engine, &mut state, host, &ctx).await;
            let status = status_of(&result);
            engine.printer.host_result(&HostResult {
                host,
                status,
                item: None,
                result: &result,
                ignored: false,
                no_log: false,
                is_loop_summary: false,
            });
            count(engine, host, status, false);
            match status {
                Status::Failed => state.failed = true,
                Status::Unreachable => state.unreachable = true,
                _ => {}
            }
            Value::Null
        }
    }))
    .await;
}

async fn gather_facts(
    engine: &Arc<Engine>,
    state: &mut HostState,
    host: &str,
    ctx: &Map<String, Value>,
) -> Value {
    if let Err(result) = ensure_agent(engine, state, host, ctx).await {
        return result;
    }
    let agent = state.agent.as_mut().expect("connected above");
    let answer = agent.conn.facts(Some(Duration::from_secs(60))).await;
    show_agent_log(engine, host, agent);
    match answer {
        Ok(facts) => {
            state.facts = facts;
            json!({"changed": false})
        }
        Err(e) => {
            state.agent = None;
            json!({"failed": true, "changed": false, "msg": format!("gathering facts failed: {e}")})
        }
    }
}

/// `include_tasks`: resolved per host at run time, hosts grouped by the file they include.
#[allow(clippy::too_many_arguments)]
pub async fn run_include(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    task: &Task,
    file: &str,
    base_dir: &Path,
    inc_vars: &Vars,
    hosts: &[Arc<HostSlot>],
    inh: &Inherited,
) -> Flow {
    let scope = inh.enter(&task.common);
    let mut groups: indexmap::IndexMap<PathBuf, Vec<Arc<HostSlot>>> = indexmap::IndexMap::new();
    for slot in hosts {
        let state = slot.state.lock().await;
        let scopes: Vec<&Vars> = scope.vars.iter().collect();
        let ctx = host_context(engine, pctx, &slot.name, &state, &scopes, None);
        drop(state);
        match conditions_hold(engine, &scope.when, &ctx) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                super::tasks::report_simple(engine, &slot.name, Status::Failed, &failure(task, &e));
                slot.state.lock().await.failed = true;
                continue;
            }
        }
        match engine.templar.render_str(file, &Value::Object(ctx)) {
            Ok(f) => groups
                .entry(base_dir.join(f))
                .or_default()
                .push(slot.clone()),
            Err(e) => {
                super::tasks::report_simple(engine, &slot.name, Status::Failed, &failure(task, &e));
                slot.state.lock().await.failed = true;
            }
        }
    }
    for (path, slots) in groups {
        let tasks = match crate::playbook::load_task_file(&path, &[]) {
            Ok(t) => t,
            Err(e) => {
                for s in &slots {
                    super::tasks::report_simple(
                        engine,
                        &s.name,
                        Status::Failed,
                        &json!({"failed": true, "msg": e.to_string()}),
                    );
                    s.state.lock().await.failed = true;
                }
                continue;
            }
        };
        // The include's `when` applied to the include itself; its vars reach the tasks.
        let mut inner = scope.clone();
        inner.when = inh.when.clone();
        if !inc_vars.is_empty() {
            inner.vars.push(inc_vars.clone());
        }
        if run_list(engine, pctx, &tasks, &slots, &inner).await == Flow::EndPlay {
            return Flow::EndPlay;
        }
    }
    Flow::Continue
}

/// Connects and starts the host's agent unless it runs already; the error is the task result
/// (unreachable, or failed when the host answered but the agent could not start).
async fn ensure_agent(
    engine: &Engine,
    state: &mut HostState,
    host: &str,
    ctx: &Map<String, Value>,
) -> Result<(), Value> {
    if let Some(agent) = &state.agent {
        let Some(why) = agent.gone() else {
            return Ok(());
        };
        // Nothing was in flight: a fresh connection (through a fresh bastion connection when
        // the old one dropped) and a fresh agent take over safely.
        engine.printer.verbose(
            1,
            &format!("<{host}> the connection closed between tasks ({why}); reconnecting"),
        );
        state.agent = None;
    }
    let sudo = engine.sudo_agent.load(Ordering::Relaxed);
    let conn_vars: Vars = ctx.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    match engine.connector.connect(host, &conn_vars, sudo).await {
        Ok(agent) => {
            state.agent = Some(agent);
            Ok(())
        }
        Err(super::connect::ConnectFailure::Unreachable(msg)) => {
            Err(json!({"unreachable": true, "changed": false, "msg": msg}))
        }
        Err(super::connect::ConnectFailure::Failed(msg)) => {
            Err(json!({"failed": true, "changed": false, "msg": msg}))
        }
    }
}
