//! Per-host state that lives for the whole run: facts, registered vars, the agent, and
//! whether the host has failed or become unreachable.

use crate::agent_client::HostAgent;
use indexmap::IndexSet;
use serde_json::{Map, Value};
use tokio::sync::Mutex;

pub struct HostSlot {
    pub name: String,
    pub state: Mutex<HostState>,
}

#[derive(Default)]
pub struct HostState {
    /// Facts from the agent (`ansible_*` names).
    pub facts: Map<String, Value>,
    /// `register` and `set_fact` results; outrank play vars, as in Ansible.
    pub facts_set: Map<String, Value>,
    pub agent: Option<HostAgent>,
    /// Failed in this play (leaves the play; counted in the recap).
    pub failed: bool,
    /// Unreachable: leaves the run.
    pub unreachable: bool,
    /// `meta: end_host` or a play-level stop for this host.
    pub ended: bool,
    /// Handlers notified on this host, by name or listen topic, in notification order.
    pub notified: IndexSet<String>,
}

impl HostSlot {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            state: Mutex::new(HostState::default()),
        }
    }

    pub async fn shutdown_agent(&self) {
        let agent = self.state.lock().await.agent.take();
        if let Some(agent) = agent {
            agent.shutdown().await;
        }
    }

    /// Whether the host still takes part in the play.
    pub async fn is_active(&self) -> bool {
        let s = self.state.lock().await;
        !(s.failed || s.unreachable || s.ended)
    }
}
