//! The modules: one file each, one entry in [`dispatch`].
//!
//! A module reads the current state, compares it with what was asked, and acts unless in
//! check mode; check mode is the same path stopping before the act. Arguments are typed
//! structs with `deny_unknown_fields`, deserialized from the rendered JSON the controller
//! sent, so a bad option is an error naming the option.

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
use std::time::Duration;

/// What every module gets besides its own arguments.
pub struct Context<'a> {
    /// Report what would change; change nothing.
    pub check: bool,
    /// Fill `ModuleResult::diff`.
    pub diff: bool,
    /// The task is secret: never log arguments or output.
    pub no_log: bool,
    /// Extra environment for child processes.
    pub environment: &'a BTreeMap<String, String>,
    /// Run child processes as this user.
    pub become_user: Option<&'a str>,
    /// Bound on the module's run time.
    pub timeout: Option<Duration>,
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
pub fn dispatch(call: &ModuleCall) -> ModuleResult {
    let ctx = Context {
        check: call.check,
        diff: call.diff,
        no_log: call.no_log,
        environment: &call.environment,
        become_user: call.become_user.as_deref(),
        timeout: call.timeout_secs.map(Duration::from_secs),
    };
    let outcome: ModuleOutcome = match call.module.as_str() {
        // Each module: `name => name::run(parse_args("name", &call.args)?, &ctx)`.
        "docker_image" => parse_args("docker_image", &call.args).and_then(|a| docker_image::run(a, &ctx)),
        "docker_image_pull" => parse_args("docker_image_pull", &call.args).and_then(|a| docker_image_pull::run(a, &ctx)),
        "docker_login" => parse_args("docker_login", &call.args).and_then(|a| docker_login::run(a, &ctx)),
        "docker_container" => parse_args("docker_container", &call.args).and_then(|a| docker_container::run(a, &ctx)),
        "release" => parse_args("release", &call.args).and_then(|a| release::run(a, &ctx)),
        "release_history" => parse_args("release_history", &call.args).and_then(|a| release_history::run(a, &ctx)),
        other => Err(ModuleError(format!(
            "unknown module '{other}': this agent ({}) does not have it; is the controller newer than the agent?",
            env!("CARGO_PKG_VERSION")
        ))),
    };
    let _ = &ctx;
    outcome.unwrap_or_else(|ModuleError(msg)| ModuleResult::failed(msg))
}
