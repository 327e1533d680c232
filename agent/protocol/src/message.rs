//! The messages: requests from the controller, responses from the agent.
//!
//! Every request carries an `id` and every response names the id it answers. The first
//! exchange on a channel is always `hello`, so a version mismatch is found before any work.
//! Fields added later must be `#[serde(default)]` so that an older peer still reads them; no
//! message uses `deny_unknown_fields`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A request from the controller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub body: RequestBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RequestBody {
    /// Always first: the controller's protocol version and its own version string.
    Hello { protocol: u32, controller: String },
    /// Gather the host's facts in one round trip.
    Facts,
    /// Run one module with already rendered arguments.
    Run(ModuleCall),
    /// Finish: the agent answers and exits.
    Shutdown,
}

/// One module invocation. `args` are fully rendered; the agent never sees a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleCall {
    /// Canonical short module name (`copy`, `docker_container`), never an FQCN.
    pub module: String,
    #[serde(default)]
    pub args: Map<String, Value>,
    /// Report what would change without changing it.
    #[serde(default)]
    pub check: bool,
    /// Include before/after diffs in the result.
    #[serde(default)]
    pub diff: bool,
    /// The task is secret: the agent must not log its arguments or output.
    #[serde(default)]
    pub no_log: bool,
    /// Environment for child processes the module starts (the task's `environment:`).
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Run child processes as this user (the agent itself runs as the become user or root).
    #[serde(default)]
    pub become_user: Option<String>,
    /// Seconds the module may take before the agent stops it and fails the task.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

/// A response from the agent, naming the request it answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: u64,
    #[serde(flatten)]
    pub body: ResponseBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseBody {
    /// The agent's protocol version, its own version string, its pid, and the hex sha256 of
    /// its own binary (so the controller can tell which build answered).
    Hello {
        protocol: u32,
        agent: String,
        pid: u32,
        #[serde(default)]
        sha256: String,
    },
    /// Facts under Ansible's names (`ansible_hostname`, ...).
    Facts { facts: Map<String, Value> },
    /// The outcome of a `run` request.
    Result(ModuleResult),
    /// The request itself could not be handled (unknown module, bad arguments, ...).
    Error { message: String },
    /// Acknowledges `shutdown`.
    Bye,
}

/// What a module did, in the shape Ansible's modules return.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModuleResult {
    #[serde(default)]
    pub changed: bool,
    #[serde(default)]
    pub failed: bool,
    /// Human-readable summary; on failure, what went wrong and what to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<String>,
    /// Before/after views of what changed (or would change, in check mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<Diff>,
    /// Module-specific return values (rc, stdout, stat, ...), registered as-is.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub data: Map<String, Value>,
}

impl ModuleResult {
    pub fn ok() -> Self {
        Self::default()
    }

    pub fn changed(changed: bool) -> Self {
        Self {
            changed,
            ..Self::default()
        }
    }

    pub fn failed(msg: impl Into<String>) -> Self {
        Self {
            failed: true,
            msg: Some(msg.into()),
            ..Self::default()
        }
    }

    pub fn with_msg(mut self, msg: impl Into<String>) -> Self {
        self.msg = Some(msg.into());
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.data.insert(key.to_string(), value.into());
        self
    }
}

/// One before/after pair, as `--diff` prints it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_header: Option<String>,
    #[serde(default)]
    pub before: String,
    #[serde(default)]
    pub after: String,
}

#[cfg(test)]
mod tests {
    //! The exact JSON of every message kind, pinned so the wire format cannot drift by accident.
    use super::*;
    use serde_json::json;

    fn pin<T>(msg: T, expected: Value)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        assert_eq!(serde_json::to_value(&msg).unwrap(), expected);
        let back: T = serde_json::from_value(expected).unwrap();
        assert_eq!(back, msg);
    }

    #[test]
    fn hello_request() {
        pin(
            Request {
                id: 1,
                body: RequestBody::Hello {
                    protocol: 1,
                    controller: "0.1.0".into(),
                },
            },
            json!({"id": 1, "type": "hello", "protocol": 1, "controller": "0.1.0"}),
        );
    }

    #[test]
    fn facts_and_shutdown_requests() {
        pin(
            Request {
                id: 2,
                body: RequestBody::Facts,
            },
            json!({"id": 2, "type": "facts"}),
        );
        pin(
            Request {
                id: 9,
                body: RequestBody::Shutdown,
            },
            json!({"id": 9, "type": "shutdown"}),
        );
    }

    #[test]
    fn run_request() {
        let mut args = Map::new();
        args.insert("path".into(), json!("/etc/motd"));
        pin(
            Request {
                id: 3,
                body: RequestBody::Run(ModuleCall {
                    module: "stat".into(),
                    args,
                    check: true,
                    diff: false,
                    no_log: false,
                    environment: BTreeMap::from([("LANG".into(), "C".into())]),
                    become_user: None,
                    timeout_secs: Some(30),
                }),
            },
            json!({"id": 3, "type": "run", "module": "stat", "args": {"path": "/etc/motd"},
                   "check": true, "diff": false, "no_log": false, "environment": {"LANG": "C"},
                   "become_user": null, "timeout_secs": 30}),
        );
    }

    #[test]
    fn run_request_defaults_missing_fields() {
        let req: Request =
            serde_json::from_value(json!({"id": 4, "type": "run", "module": "ping"})).unwrap();
        let RequestBody::Run(call) = req.body else {
            panic!("not a run")
        };
        assert!(!call.check && call.args.is_empty() && call.timeout_secs.is_none());
    }

    #[test]
    fn unknown_fields_from_a_newer_peer_are_ignored() {
        let req: Request =
            serde_json::from_value(json!({"id": 5, "type": "facts", "subset": ["all"]})).unwrap();
        assert_eq!(req.body, RequestBody::Facts);
    }

    #[test]
    fn hello_response() {
        pin(
            Response {
                id: 1,
                body: ResponseBody::Hello {
                    protocol: 1,
                    agent: "0.1.0".into(),
                    pid: 42,
                    sha256: "ab12".into(),
                },
            },
            json!({"id": 1, "type": "hello", "protocol": 1, "agent": "0.1.0", "pid": 42,
                   "sha256": "ab12"}),
        );
        // An older agent without the field still reads.
        let old: Response = serde_json::from_value(
            json!({"id": 1, "type": "hello", "protocol": 1, "agent": "0.0.9", "pid": 7}),
        )
        .unwrap();
        assert!(matches!(old.body, ResponseBody::Hello { ref sha256, .. } if sha256.is_empty()));
    }

    #[test]
    fn facts_response() {
        let mut facts = Map::new();
        facts.insert("ansible_hostname".into(), json!("vm1"));
        pin(
            Response {
                id: 2,
                body: ResponseBody::Facts { facts },
            },
            json!({"id": 2, "type": "facts", "facts": {"ansible_hostname": "vm1"}}),
        );
    }

    #[test]
    fn result_response() {
        pin(
            Response {
                id: 3,
                body: ResponseBody::Result(ModuleResult {
                    changed: true,
                    failed: false,
                    msg: Some("written".into()),
                    diff: vec![Diff {
                        before_header: Some("/etc/motd".into()),
                        after_header: None,
                        before: "a\n".into(),
                        after: "b\n".into(),
                    }],
                    data: Map::from_iter([("rc".to_string(), json!(0))]),
                }),
            },
            json!({"id": 3, "type": "result", "changed": true, "failed": false, "msg": "written",
                   "diff": [{"before_header": "/etc/motd", "before": "a\n", "after": "b\n"}],
                   "data": {"rc": 0}}),
        );
        pin(
            Response {
                id: 4,
                body: ResponseBody::Result(ModuleResult::ok()),
            },
            json!({"id": 4, "type": "result", "changed": false, "failed": false}),
        );
    }

    #[test]
    fn error_and_bye_responses() {
        pin(
            Response {
                id: 5,
                body: ResponseBody::Error {
                    message: "unknown module 'cpy'".into(),
                },
            },
            json!({"id": 5, "type": "error", "message": "unknown module 'cpy'"}),
        );
        pin(
            Response {
                id: 9,
                body: ResponseBody::Bye,
            },
            json!({"id": 9, "type": "bye"}),
        );
    }
}
