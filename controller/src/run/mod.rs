//! The run engine: plays, batches, the linear strategy across hosts, handlers, and the
//! per-host task pipeline (vars, when, loop, module, register, notify).
//!
//! Everything here runs after the whole playbook and inventory parsed: no host is contacted
//! before that. Controller-side logic (conditions, loops, handlers, register) lives here;
//! the agent only runs modules.

pub mod adhoc;
mod connect;
mod controller_modules;
pub mod extra_vars;
mod host;
mod local_files;
mod play;
mod task;
mod tasks;
mod vars;

pub use connect::ConnectSettings;
pub use host::HostSlot;
pub use vars::operator;

use crate::inventory::Inventory;
use crate::output::{Printer, Stats};
use crate::playbook::model::{Playbook, Vars};
use crate::template::Templar;
use indexmap::IndexMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything a run needs, resolved from the command line.
pub struct RunOptions {
    pub check: bool,
    pub diff: bool,
    pub forks: usize,
    pub tags: Vec<String>,
    pub skip_tags: Vec<String>,
    pub limit: Option<String>,
    pub extra_vars: Vars,
    pub become_: bool,
    pub become_user: Option<String>,
    pub start_at_task: Option<String>,
    pub task_timeout: Option<Duration>,
    pub verbosity: u8,
    /// Per-host variables above extra vars (rollback pins each host's image here).
    pub host_vars: std::collections::HashMap<String, Vars>,
    /// This run is a rollback: the release module records `rolled_back`.
    pub rollback: bool,
    /// Vault passwords, for inventory values that stay vaulted until a task uses them.
    pub vault: crate::vault::VaultSecrets,
    /// `play plan` / `play apply`: record what each task saw (keyed hashes only).
    pub recorder: Option<Arc<crate::plan::Recorder>>,
}

/// Ansible's exit codes.
pub mod exit {
    pub const OK: i32 = 0;
    pub const ERROR: i32 = 1;
    pub const HOST_FAILED: i32 = 2;
    pub const HOST_UNREACHABLE: i32 = 4;
    pub const PARSE_ERROR: i32 = 4;
    pub const BAD_OPTIONS: i32 = 5;
    pub const INTERRUPTED: i32 = 99;
}

/// Shared state of one run.
pub struct Engine {
    pub inventory: Arc<Inventory>,
    pub templar: Arc<Templar>,
    pub printer: Arc<Printer>,
    pub opts: Arc<RunOptions>,
    pub connector: Arc<connect::Connector>,
    hosts: Mutex<IndexMap<String, Arc<HostSlot>>>,
    stats: Mutex<Stats>,
    /// Start agents through sudo: some play or task of the run uses become.
    pub sudo_agent: AtomicBool,
    /// `--start-at-task` has been reached (true when not given).
    pub start_reached: AtomicBool,
}

impl Engine {
    pub fn new(
        inventory: Inventory,
        templar: Templar,
        printer: Arc<Printer>,
        opts: RunOptions,
        connect: ConnectSettings,
    ) -> Self {
        let connector = Arc::new(connect::Connector::new(connect, printer.clone()));
        let start_reached = opts.start_at_task.is_none();
        Self {
            inventory: Arc::new(inventory),
            templar: Arc::new(templar),
            printer,
            opts: Arc::new(opts),
            connector,
            hosts: Mutex::new(IndexMap::new()),
            stats: Mutex::new(Stats::default()),
            sudo_agent: AtomicBool::new(false),
            start_reached: AtomicBool::new(start_reached),
        }
    }

    /// The slot of a host, created on first use.
    pub fn host(&self, name: &str) -> Arc<HostSlot> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(HostSlot::new(name)))
            .clone()
    }

    pub fn stats<R>(&self, f: impl FnOnce(&mut Stats) -> R) -> R {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut stats)
    }

    /// Runs every play of the playbooks in order; returns Ansible's exit code.
    pub async fn run(self: &Arc<Self>, playbooks: &[Playbook]) -> i32 {
        let started = Instant::now();
        let sudo = self.opts.become_ || playbooks.iter().any(uses_become);
        self.sudo_agent
            .store(sudo, std::sync::atomic::Ordering::Relaxed);
        let mut aborted = false;
        'outer: for pb in playbooks {
            for p in &pb.plays {
                if !play::run_play(self, pb, p).await {
                    aborted = true;
                    break 'outer;
                }
            }
        }
        self.shutdown_agents().await;
        let stats = self.stats(|s| s.clone());
        let uploaded = agent_uploaded_bytes();
        self.printer
            .verbose(1, &format!("agent bytes uploaded this run: {uploaded}"));
        self.printer.set_agent_bytes_uploaded(uploaded);
        self.printer.recap(&stats, started.elapsed());
        if stats.any_unreachable() {
            exit::HOST_UNREACHABLE
        } else if stats.any_failed() || aborted {
            exit::HOST_FAILED
        } else {
            exit::OK
        }
    }

    /// Stops every started agent (best effort, in parallel).
    pub async fn shutdown_agents(&self) {
        let slots: Vec<Arc<HostSlot>> = self
            .hosts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let mut set = tokio::task::JoinSet::new();
        for slot in slots {
            set.spawn(async move { slot.shutdown_agent().await });
        }
        while set.join_next().await.is_some() {}
    }
}

pub fn agent_uploaded_bytes() -> u64 {
    crate::agent_client::UPLOADED_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether any play or task asks for become: then the agent starts through sudo once and
/// tasks without become run their commands as the SSH user.
fn uses_become(pb: &Playbook) -> bool {
    use crate::playbook::model::{Task, TaskKind};
    fn any(tasks: &[Task]) -> bool {
        tasks.iter().any(|t| {
            t.common.become_ == Some(true)
                || match &t.kind {
                    TaskKind::Block {
                        block,
                        rescue,
                        always,
                    } => any(block) || any(rescue) || any(always),
                    TaskKind::Import { tasks, .. } => any(tasks),
                    _ => false,
                }
        })
    }
    pb.plays.iter().any(|p| {
        p.become_ == Some(true)
            || [&p.pre_tasks, &p.tasks, &p.post_tasks, &p.handlers]
                .iter()
                .any(|t| any(t))
    })
}
