//! Walking a task list across the batch's hosts (the linear strategy): blocks with rescue
//! and always, imports and includes, tags, meta tasks, handlers.

use super::host::HostSlot;
use super::task::{run_task, TaskSpec};
use super::vars::PlayCtx;
use super::Engine;
use crate::output::{HostResult, Status};
use crate::playbook::model::{Play, Task, TaskCommon, TaskKind, Vars};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    EndPlay,
}

/// Keywords that flow from plays and blocks down to their tasks.
#[derive(Debug, Clone, Default)]
pub struct Inherited {
    pub when: Vec<String>,
    pub vars: Vec<Vars>,
    pub tags: Vec<String>,
    pub become_: Option<bool>,
    pub become_user: Option<String>,
    pub environment: Vec<serde_json::Value>,
    pub no_log: Option<bool>,
    pub ignore_errors: bool,
    pub check_mode: Option<bool>,
    pub diff: Option<bool>,
    pub any_errors_fatal: bool,
    pub in_handler: bool,
}

impl Inherited {
    pub fn for_play(play: &Play) -> Self {
        Self {
            tags: play.tags.clone(),
            become_: play.become_,
            become_user: play.become_user.clone(),
            environment: play.environment.iter().cloned().collect(),
            no_log: play.no_log,
            check_mode: play.check_mode,
            any_errors_fatal: play.any_errors_fatal,
            ..Self::default()
        }
    }

    /// This scope extended with a block's (or import's) own keywords.
    pub fn enter(&self, c: &TaskCommon) -> Self {
        let mut next = self.clone();
        next.when.extend(c.when.iter().cloned());
        if !c.vars.is_empty() {
            next.vars.push(c.vars.clone());
        }
        next.tags.extend(c.tags.iter().cloned());
        next.become_ = c.become_.or(self.become_);
        next.become_user = c.become_user.clone().or_else(|| self.become_user.clone());
        next.environment.extend(c.environment.iter().cloned());
        next.no_log = c.no_log.or(self.no_log);
        next.ignore_errors |= c.ignore_errors;
        next.check_mode = c.check_mode.or(self.check_mode);
        next.diff = c.diff.or(self.diff);
        next
    }
}

/// Whether `--tags` / `--skip-tags` select a task with these effective tags.
pub fn selected_by_tags(engine: &Engine, tags: &[String]) -> bool {
    let only = engine
        .opts
        .tags
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let skip = engine
        .opts
        .skip_tags
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let has = |t: &str| tags.iter().any(|x| x == t);
    if skip
        .iter()
        .any(|s| has(s) || (*s == "tagged" && !tags.is_empty()))
    {
        return false;
    }
    if has("never") && !only.iter().any(|t| has(t)) {
        return false;
    }
    if only.is_empty() || only.contains(&"all") || has("always") {
        return true;
    }
    only.iter().any(|t| {
        has(t) || (*t == "tagged" && !tags.is_empty()) || (*t == "untagged" && tags.is_empty())
    })
}

async fn active(hosts: &[Arc<HostSlot>]) -> Vec<Arc<HostSlot>> {
    let mut out = Vec::new();
    for h in hosts {
        if h.is_active().await {
            out.push(h.clone());
        }
    }
    out
}

/// Gathers facts on every active host (connecting and starting agents as needed).
pub async fn run_facts(engine: &Arc<Engine>, pctx: &PlayCtx<'_>, hosts: &[Arc<HostSlot>]) {
    let hosts = active(hosts).await;
    if hosts.is_empty() {
        return;
    }
    engine.printer.task_start("Gathering Facts", None, false);
    super::task::gather_facts_all(engine, pctx, &hosts).await;
}

/// Runs a task list on the hosts; failed hosts drop out as they fail.
pub fn run_list<'a>(
    engine: &'a Arc<Engine>,
    pctx: &'a PlayCtx<'a>,
    tasks: &'a [Task],
    hosts: &'a [Arc<HostSlot>],
    inh: &'a Inherited,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Flow> + Send + 'a>> {
    Box::pin(async move {
        for task in tasks {
            let live = active(hosts).await;
            if live.is_empty() {
                return Flow::Continue;
            }
            let flow = match &task.kind {
                TaskKind::Module(m) => {
                    let scope = inh.enter(&task.common);
                    if !selected_by_tags(engine, &scope.tags) {
                        continue;
                    }
                    if m.module == "meta" {
                        super::controller_modules::meta(engine, pctx, task, m, &live, inh).await
                    } else {
                        let spec = TaskSpec {
                            task,
                            module: m,
                            inh,
                            is_handler: inh.in_handler,
                        };
                        run_task(engine, pctx, &spec, &live).await
                    }
                }
                TaskKind::Block {
                    block,
                    rescue,
                    always,
                } => run_block(engine, pctx, task, block, rescue, always, &live, inh).await,
                TaskKind::Import { tasks, .. } => {
                    let scope = inh.enter(&task.common);
                    run_list(engine, pctx, tasks, &live, &scope).await
                }
                TaskKind::Include {
                    file,
                    base_dir,
                    vars,
                } => {
                    super::task::run_include(engine, pctx, task, file, base_dir, vars, &live, inh)
                        .await
                }
            };
            if flow == Flow::EndPlay {
                return Flow::EndPlay;
            }
        }
        Flow::Continue
    })
}

#[allow(clippy::too_many_arguments)]
async fn run_block(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    task: &Task,
    block: &[Task],
    rescue: &[Task],
    always: &[Task],
    hosts: &[Arc<HostSlot>],
    inh: &Inherited,
) -> Flow {
    let scope = inh.enter(&task.common);
    let entered = hosts.to_vec();
    let mut flow = run_list(engine, pctx, block, &entered, &scope).await;
    // Hosts that failed (not unreachable) inside the block go to rescue.
    let mut failed_here = Vec::new();
    for h in &entered {
        let st = h.state.lock().await;
        if st.failed && !st.unreachable {
            failed_here.push(h.clone());
        }
    }
    if !rescue.is_empty() && !failed_here.is_empty() && flow == Flow::Continue {
        for h in &failed_here {
            h.state.lock().await.failed = false;
            engine.stats(|s| {
                let st = s.host(&h.name);
                st.failures = st.failures.saturating_sub(1);
                st.rescued += 1;
            });
        }
        flow = run_list(engine, pctx, rescue, &failed_here, &scope).await;
    }
    if !always.is_empty() {
        // `always` runs for every host that entered the block, failed or not.
        let mut still_failed = Vec::new();
        for h in &entered {
            let mut st = h.state.lock().await;
            if st.failed && !st.unreachable {
                st.failed = false;
                still_failed.push(h.name.clone());
            }
        }
        let always_flow = run_list(engine, pctx, always, &entered, &scope).await;
        for h in &entered {
            if still_failed.contains(&h.name) {
                h.state.lock().await.failed = true;
            }
        }
        if always_flow == Flow::EndPlay {
            flow = Flow::EndPlay;
        }
    }
    flow
}

/// Runs the handlers notified so far, in the order they are defined, on the hosts that
/// notified them.
pub async fn flush_handlers(
    engine: &Arc<Engine>,
    pctx: &PlayCtx<'_>,
    hosts: &[Arc<HostSlot>],
    inh: &Inherited,
) {
    let mut handler_inh = inh.clone();
    handler_inh.in_handler = true;
    for handler in &pctx.play.handlers {
        let name = handler.common.name.clone().unwrap_or_default();
        let mut targets = Vec::new();
        for h in active(hosts).await {
            let mut st = h.state.lock().await;
            let hit = st.notified.shift_remove(&name)
                | handler
                    .common
                    .listen
                    .iter()
                    .fold(false, |acc, l| st.notified.shift_remove(l) | acc);
            if hit {
                targets.push(h.clone());
            }
        }
        if targets.is_empty() {
            continue;
        }
        let list = std::slice::from_ref(handler);
        run_list(engine, pctx, list, &targets, &handler_inh).await;
    }
}

/// Prints and counts a result for a host that has no module to run (meta, skipped hosts).
pub fn report_simple(engine: &Engine, host: &str, status: Status, result: &serde_json::Value) {
    engine.printer.host_result(&HostResult {
        host,
        status,
        item: None,
        result,
        ignored: false,
        no_log: false,
        is_loop_summary: false,
    });
    engine.stats(|s| {
        let st = s.host(host);
        match status {
            Status::Ok => st.ok += 1,
            Status::Changed => {
                st.ok += 1;
                st.changed += 1
            }
            Status::Skipped => st.skipped += 1,
            Status::Failed => st.failures += 1,
            Status::Unreachable => st.unreachable += 1,
        }
    });
}
