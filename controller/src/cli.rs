//! The command line, as clap types: raw values only. `commands::*` resolves them into what a
//! run needs. The shape follows ansible-playbook's (`play -i INV PLAYBOOK -e k=v -l web`), with
//! play's own subcommands beside it.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Ansible-style configuration and release tool for VMs behind a bastion.
#[derive(Debug, Parser)]
#[command(name = "play", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the inventory as ansible-inventory does (--list, --graph, --host).
    Inventory(InventoryArgs),
    /// Run a playbook (the same as `play PLAYBOOK`).
    Run(Box<RunArgs>),
    /// Show each host's current and previous releases.
    Releases(ReleasesArgs),
    /// Release again what ran before: the previous release, a tag, or a digest, pinned by
    /// digest from each host's history so a moved tag can't change what comes back.
    Rollback(Box<RollbackArgs>),
    /// Encrypt, decrypt, view and edit ansible-vault files and values (as ansible-vault).
    Vault(crate::vault::cli::VaultArgs),
    /// Scheduled runs as systemd timers: apply or check for drift on a calendar.
    Schedule(crate::schedule::cli::ScheduleArgs),
    /// Check what a playbook run would change (check mode with diffs) and write it into a
    /// plan file for review. Exit 0: no change; 2: changes; 1/4: a host failed/unreachable.
    Plan(Box<PlanArgs>),
    /// Run a reviewed plan exactly (each host's release pinned to the planned digest), or
    /// refuse, changing nothing, if its files, vars or hosts changed since `play plan`.
    Apply(Box<ApplyArgs>),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where to write the plan (JSON, mode 0600).
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: PathBuf,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file `play plan -o FILE` wrote.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,

    /// Refuse plans older than this (`90m`, `24h`, `2d`).
    #[arg(
        long = "max-age",
        value_name = "AGE",
        env = "PLAY_PLAN_MAX_AGE",
        default_value = "24h"
    )]
    pub max_age: String,

    /// Vault password sources: a plan never stores them.
    #[command(flatten)]
    pub vault: crate::vault::cli::VaultOpts,

    /// More output (-v, -vv, -vvv).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Colour: auto (on a terminal), always, never.
    #[arg(long = "color", value_name = "WHEN", default_value = "auto")]
    pub color: String,
}

#[derive(Debug, Args)]
pub struct ReleasesArgs {
    #[command(flatten)]
    pub inventory: InventoryOpts,

    /// Only this service (default: every service with a history on the host).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// How many releases to show per host and service.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub last: usize,

    /// Only hosts matching this pattern.
    #[arg(short = 'l', long = "limit", value_name = "PATTERN")]
    pub limit: Option<String>,

    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub connection: ConnectionOpts,
}

/// SSH options shared by subcommands that connect without a playbook.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectionOpts {
    /// Connect as this user.
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub remote_user: Option<String>,

    /// Private key file for SSH.
    #[arg(long = "private-key", value_name = "FILE")]
    pub private_key: Option<PathBuf>,

    /// SSH config file (default ~/.ssh/config).
    #[arg(short = 'F', long = "ssh-config", value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,

    /// Connection timeout in seconds (per hop).
    #[arg(
        short = 'T',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub timeout: u64,

    /// Hosts worked on in parallel.
    #[arg(short = 'f', long = "forks", value_name = "N", default_value_t = 5)]
    pub forks: usize,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// What to go back to: `previous` (the release before the current one), a tag that was
    /// released before, or `sha256:DIGEST`.
    #[arg(
        long = "to",
        value_name = "previous|TAG|sha256:DIGEST",
        default_value = "previous"
    )]
    pub to: String,

    /// The service to roll back (default: the playbook's `service_name`, else `app`).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

/// What ansible-playbook takes.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Playbook file(s) to run.
    #[arg(value_name = "PLAYBOOK")]
    pub playbooks: Vec<PathBuf>,

    #[command(flatten)]
    pub inventory: InventoryOpts,

    /// Extra variables: `k=v k2=v2`, YAML/JSON text, or `@file.yml`. Highest precedence.
    #[arg(short = 'e', long = "extra-vars", value_name = "VARS")]
    pub extra_vars: Vec<String>,

    /// Only run on hosts matching this pattern (`web`, `vm1,vm2`, `all:!db`, `@file`).
    #[arg(short = 'l', long = "limit", value_name = "PATTERN")]
    pub limit: Option<String>,

    /// Only run tasks and plays with these tags (comma-separated; repeatable).
    #[arg(short = 't', long = "tags", value_name = "TAGS")]
    pub tags: Vec<String>,

    /// Skip tasks and plays with these tags.
    #[arg(long = "skip-tags", value_name = "TAGS")]
    pub skip_tags: Vec<String>,

    /// Don't change anything; report what would change.
    #[arg(short = 'C', long = "check")]
    pub check: bool,

    /// Show differences for changed files and templates.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,

    /// Hosts worked on in parallel.
    #[arg(short = 'f', long = "forks", value_name = "N", default_value_t = 5)]
    pub forks: usize,

    /// Connect as this user (overrides ansible_user where that is unset).
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub remote_user: Option<String>,

    /// Run operations with become (sudo).
    #[arg(short = 'b', long = "become")]
    pub become_: bool,

    /// Become this user (default root).
    #[arg(long = "become-user", value_name = "USER")]
    pub become_user: Option<String>,

    /// Private key file for SSH.
    #[arg(long = "private-key", visible_alias = "key-file", value_name = "FILE")]
    pub private_key: Option<PathBuf>,

    /// SSH config file (default ~/.ssh/config).
    #[arg(short = 'F', long = "ssh-config", value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,

    /// Accept unknown host keys and record them (never changed ones).
    #[arg(long = "accept-new-host-keys")]
    pub accept_new_host_keys: bool,

    /// Connection timeout in seconds (per hop).
    #[arg(
        short = 'T',
        long = "timeout",
        value_name = "SECONDS",
        default_value_t = 10
    )]
    pub timeout: u64,

    /// Bound on each task's run time on a host, in seconds (0: none).
    #[arg(long = "task-timeout", value_name = "SECONDS", default_value_t = 0)]
    pub task_timeout: u64,

    /// More output (-v, -vv, -vvv).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print the hosts each play would run on, and stop.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,

    /// Print the tasks each play would run, and stop.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,

    /// List all tags of the playbook, and stop.
    #[arg(long = "list-tags")]
    pub list_tags: bool,

    /// Check the playbook's syntax (and everything that can be checked without hosts), and stop.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,

    /// Start at the first task with this name.
    #[arg(long = "start-at-task", value_name = "NAME")]
    pub start_at_task: Option<String>,

    /// Print a JSON report on stdout instead of the human output.
    #[arg(long = "json")]
    pub json: bool,

    /// How long a release waits for another release of the same service on a host to
    /// finish (e.g. `2m`); default: fail at once, naming who holds the lock.
    #[arg(long = "lock-wait", value_name = "DURATION")]
    pub lock_wait: Option<String>,

    /// Write a JSON report of the run into this file.
    #[arg(long = "report", value_name = "FILE")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub vault: crate::vault::cli::VaultOpts,
    /// Write the run as JUnit XML into this file (a testcase per task and host).
    #[arg(long = "junit", value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Colour: auto (on a terminal), always, never.
    #[arg(long = "color", value_name = "WHEN", default_value = "auto")]
    pub color: String,
}

/// Inventory sources.
#[derive(Debug, Args, Clone, Default)]
pub struct InventoryOpts {
    /// Inventory file, directory, or comma-separated host list (repeatable).
    #[arg(
        short = 'i',
        long = "inventory",
        value_name = "INVENTORY",
        env = "ANSIBLE_INVENTORY"
    )]
    pub inventory: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub inventory: InventoryOpts,

    /// Print all hosts and groups as JSON.
    #[arg(long)]
    pub list: bool,

    /// Print the group tree.
    #[arg(long)]
    pub graph: bool,

    /// Print one host's variables as JSON.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// With --graph: also show each host's variables.
    #[arg(long)]
    pub vars: bool,

    /// Group to start the graph from.
    #[arg(value_name = "GROUP", default_value = "all")]
    pub group: String,

    /// Limit to hosts matching this pattern.
    #[arg(short = 'l', long = "limit", value_name = "PATTERN")]
    pub limit: Option<String>,
}
