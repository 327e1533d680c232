//! The modules: one file each, one entry in [`dispatch`].
//!
//! A module reads the current state, compares it with what was asked, and acts unless in
//! check mode; check mode is the same path stopping before the act. Arguments are typed
//! structs with `deny_unknown_fields`, deserialized from the rendered JSON the controller
//! sent, so a bad option is an error naming the option.

pub mod args;
mod common;

mod apt;
mod command;
mod copy;
mod file;
mod group;
mod lineinfile;
mod package;
mod ping;
mod service;
mod setup;
mod stat;
mod systemd;
mod uri;
mod user;
mod wait_for;

pub mod docker_container;
pub mod docker_image;
pub mod docker_image_pull;
pub mod docker_login;
pub mod release;
pub mod release_history;

use play_protocol::{ModuleCall, ModuleResult};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What every module gets besides its own arguments.
pub struct Context<'a> {
    /// Report what would change; change nothing.
    pub check: bool,
    /// Fill `ModuleResult::diff`.
    pub diff: bool,
    /// The task is secret: never log arguments or output. Modules that log must check it.
    #[allow(dead_code)]
    pub no_log: bool,
    /// Extra environment for child processes.
    pub environment: &'a BTreeMap<String, String>,
    /// Run child processes as this user (command and shell).
    pub become_user: Option<&'a str>,
    /// Bound on the module's run time (the task's `timeout`).
    pub timeout: Option<Duration>,
    /// When that bound runs out.
    pub deadline: Option<Instant>,
    /// Set when the controller closed the channel: stop, kill children, return.
    pub cancel: &'a AtomicBool,
}

#[cfg_attr(not(test), allow(dead_code))]
static NO_ENV: BTreeMap<String, String> = BTreeMap::new();
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) static NEVER_CANCELLED: AtomicBool = AtomicBool::new(false);

impl<'a> Context<'a> {
    /// A context with the given bounds and nothing else set.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn new(
        check: bool,
        environment: &'a BTreeMap<String, String>,
        cancel: &'a AtomicBool,
        timeout: Option<Duration>,
    ) -> Self {
        Context {
            check,
            diff: false,
            no_log: false,
            environment,
            become_user: None,
            timeout,
            deadline: timeout.map(|t| Instant::now() + t),
            cancel,
        }
    }

    /// A context not tied to any request (tests, internal helpers): no bounds, no env.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn detached(check: bool) -> Context<'static> {
        Context::new(check, &NO_ENV, &NEVER_CANCELLED, None)
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Time left before the deadline, if there is one.
    pub fn time_left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Fails when the controller went away or the deadline passed; long-running modules
    /// call this between steps.
    pub fn interrupted(&self) -> Result<(), ModuleError> {
        if self.cancelled() {
            return Err(ModuleError(
                "cancelled: the controller closed the connection".into(),
            ));
        }
        if let (Some(deadline), Some(timeout)) = (self.deadline, self.timeout) {
            if Instant::now() >= deadline {
                return Err(ModuleError(format!(
                    "timed out after {} s (the task's timeout); raise `timeout:` if the task needs longer",
                    timeout.as_secs()
                )));
            }
        }
        Ok(())
    }
}

/// A module failure: the message the operator sees (what, and what to do).
#[derive(Debug)]
pub struct ModuleError(pub String);

impl<E: std::fmt::Display> From<E> for ModuleError {
    fn from(e: E) -> Self {
        ModuleError(e.to_string())
    }
}

pub type ModuleOutcome = Result<ModuleResult, ModuleError>;

/// Deserializes a module's typed arguments, naming the module in the error.
pub fn parse_args<T: DeserializeOwned>(
    module: &str,
    args: &Map<String, Value>,
) -> Result<T, ModuleError> {
    serde_json::from_value(Value::Object(args.clone()))
        .map_err(|e| ModuleError(format!("{module}: invalid arguments: {e}")))
}

/// Runs one module call; unknown modules and argument errors come back as failed results.
pub fn dispatch(call: &ModuleCall, cancel: &AtomicBool) -> ModuleResult {
    let timeout = call.timeout_secs.map(Duration::from_secs);
    let ctx = Context {
        check: call.check,
        diff: call.diff,
        no_log: call.no_log,
        environment: &call.environment,
        become_user: call.become_user.as_deref(),
        timeout,
        deadline: timeout.map(|t| Instant::now() + t),
        cancel,
    };
    run_module(&call.module, &call.args, &ctx)
        .unwrap_or_else(|ModuleError(msg)| ModuleResult::failed(msg))
}

fn run_module(name: &str, args: &Map<String, Value>, ctx: &Context<'_>) -> ModuleOutcome {
    match name {
        "ping" => ping::run(parse_args(name, args)?, ctx),
        "setup" => setup::run(parse_args(name, args)?, ctx),
        "command" => command::run_command(parse_args(name, args)?, ctx),
        "shell" => command::run_shell(parse_args(name, args)?, ctx),
        "copy" => copy::run(parse_args(name, args)?, ctx),
        "file" => file::run(parse_args(name, args)?, ctx),
        "lineinfile" => lineinfile::run(parse_args(name, args)?, ctx),
        "stat" => stat::run(parse_args(name, args)?, ctx),
        "apt" => apt::run(parse_args(name, args)?, ctx),
        "package" => package::run(parse_args(name, args)?, ctx),
        "service" => service::run(parse_args(name, args)?, ctx),
        "systemd" => systemd::run(parse_args(name, args)?, ctx),
        "user" => user::run(parse_args(name, args)?, ctx),
        "group" => group::run(parse_args(name, args)?, ctx),
        "wait_for" => wait_for::run(parse_args(name, args)?, ctx),
        "uri" => uri::run(parse_args(name, args)?, ctx),
        "docker_image" => docker_image::run(parse_args(name, args)?, ctx),
        "docker_image_pull" => docker_image_pull::run(parse_args(name, args)?, ctx),
        "docker_login" => docker_login::run(parse_args(name, args)?, ctx),
        "docker_container" => docker_container::run(parse_args(name, args)?, ctx),
        "release" => release::run(parse_args(name, args)?, ctx),
        "release_history" => release_history::run(parse_args(name, args)?, ctx),
        other => Err(ModuleError(format!(
            "unknown module '{other}': this agent ({}) does not have it; is the controller newer than the agent?",
            env!("CARGO_PKG_VERSION")
        ))),
    }
}

#[cfg(test)]
mod catalogue_tests;
