//! Getting from an inventory host to a running agent: SSH settings, the shared bastion
//! connection, the agent's start (and upload when needed).

use crate::agent_client::{start_agent, AgentBinary, AgentError, HostAgent, StartOptions};
use crate::output::Printer;
use crate::playbook::model::Vars;
use crate::ssh::{self, SshConfig, SshOverrides, SshPool};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Connection settings from the command line.
pub struct ConnectSettings {
    pub ssh_config: SshConfig,
    pub overrides: SshOverrides,
    pub connect_timeout: Duration,
}

pub struct Connector {
    settings: ConnectSettings,
    pool: SshPool,
    binary: OnceLock<Result<AgentBinary, String>>,
    printer: Arc<Printer>,
}

/// Why a host could not be reached or its agent could not start.
pub enum ConnectFailure {
    /// Ansible's UNREACHABLE: network, host key, authentication.
    Unreachable(String),
    /// Reached, but the agent could not run (sudo, upload, protocol): a task failure.
    Failed(String),
}

impl Connector {
    pub fn new(settings: ConnectSettings, printer: Arc<Printer>) -> Self {
        Self {
            settings,
            pool: SshPool::new(),
            binary: OnceLock::new(),
            printer,
        }
    }

    pub fn connections_opened(&self) -> usize {
        self.pool.connections_opened()
    }

    fn binary(&self) -> Result<&AgentBinary, String> {
        self.binary
            .get_or_init(AgentBinary::locate)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Connects to `host` and starts its agent (through sudo when `sudo`).
    pub async fn connect(
        &self,
        host: &str,
        vars: &Vars,
        sudo: bool,
    ) -> Result<HostAgent, ConnectFailure> {
        let binary = self.binary().map_err(ConnectFailure::Failed)?;
        // play's own var for a known_hosts file, beside the ssh options Ansible users write.
        let known_hosts = vars.get("play_known_hosts").and_then(|v| v.as_str());
        let with_known_hosts;
        let overrides = match known_hosts {
            Some(path) => {
                with_known_hosts = SshOverrides {
                    known_hosts_file: Some(path.into()),
                    ..self.settings.overrides.clone()
                };
                &with_known_hosts
            }
            None => &self.settings.overrides,
        };
        let opts = ssh::resolve(host, vars, overrides, &self.settings.ssh_config)
            .map_err(|e| ConnectFailure::Unreachable(e.to_string()))?;
        self.printer.verbose(
            3,
            &format!(
                "<{host}> ESTABLISH SSH CONNECTION FOR USER: {} to {}:{}{}",
                opts.user,
                opts.host,
                opts.port,
                opts.jump
                    .as_ref()
                    .map(|j| format!(" via {}@{}:{}", j.user, j.host, j.port))
                    .unwrap_or_default()
            ),
        );
        let session = self.pool.connect(&opts).await.map_err(|e| {
            if e.is_unreachable() {
                ConnectFailure::Unreachable(e.to_string())
            } else {
                ConnectFailure::Failed(e.to_string())
            }
        })?;
        let start = StartOptions {
            sudo,
            timeout: self.settings.connect_timeout.max(Duration::from_secs(30)),
            log_level: (self.printer.verbosity() >= 4).then(|| "debug".to_string()),
        };
        start_agent(&session, binary, &start, || self.pool.connect(&opts))
            .await
            .map_err(|e| match e {
                AgentError::Died(_) | AgentError::Timeout(_) if !sudo => {
                    ConnectFailure::Unreachable(format!("cannot start the agent: {e}"))
                }
                other => ConnectFailure::Failed(format!("cannot start the agent: {other}")),
            })
    }
}
