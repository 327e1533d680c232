//! [`ConnectOptions`]: everything needed to open one SSH hop, fully resolved (no patterns, no
//! tokens, no variables left), so the connecting code has no decisions to make.

use std::path::PathBuf;
use std::time::Duration;

use super::known_hosts::HostKeyPolicy;

/// One hop: the host to reach and how; `jump` is the bastion in front of it, if any.
#[derive(Clone)]
pub struct ConnectOptions {
    /// Address to dial (after ssh_config HostName / ansible_host). Behind a bastion, the
    /// bastion dials it, so it is the address as the bastion knows it.
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Key files tried in order after the agent's keys; empty means OpenSSH's defaults
    /// (~/.ssh/id_ed25519, id_ecdsa, id_rsa).
    pub identity_files: Vec<PathBuf>,
    /// For passphrase-protected key files. Never logged (see the Debug impl).
    pub key_passphrase: Option<String>,
    /// ssh-agent socket (SSH_AUTH_SOCK, or IdentityAgent); None: no agent.
    pub agent_socket: Option<PathBuf>,
    /// Read in order; AcceptNew records new hosts in the first one.
    pub known_hosts_files: Vec<PathBuf>,
    /// Name to look up in known_hosts instead of host (HostKeyAlias).
    pub host_key_alias: Option<String>,
    pub host_key_policy: HostKeyPolicy,
    /// Bound on each network wait: TCP connect, handshake, each authentication step, channel opens.
    pub connect_timeout: Duration,
    /// Send a keepalive after this much silence (ServerAliveInterval); None: never.
    pub keepalive_interval: Option<Duration>,
    /// Give the connection up after this many unanswered keepalives (ServerAliveCountMax).
    pub keepalive_max: usize,
    /// The bastion (ProxyJump); its own `jump` makes a chain.
    pub jump: Option<Box<ConnectOptions>>,
}

impl ConnectOptions {
    /// Options with play's defaults: default key files, the user's and the system's
    /// known_hosts, strict host key checking, 10 s timeout (Ansible's), keepalive every 30 s.
    pub fn new(host: impl Into<String>, port: u16, user: impl Into<String>) -> ConnectOptions {
        let env = super::config::LocalEnv::from_process();
        ConnectOptions {
            host: host.into(),
            port,
            user: user.into(),
            identity_files: Vec::new(),
            key_passphrase: None,
            agent_socket: env.agent_socket.clone(),
            known_hosts_files: default_known_hosts(&env.home),
            host_key_alias: None,
            host_key_policy: HostKeyPolicy::Strict,
            connect_timeout: Duration::from_secs(10),
            keepalive_interval: Some(Duration::from_secs(30)),
            keepalive_max: 3,
            jump: None,
        }
    }

    /// `user@host:port`: how messages name this hop, and the pool's key for a bastion.
    pub fn label(&self) -> String {
        format!("{}@{}", self.user, host_port(&self.host, self.port))
    }

    /// The pool key of this hop including the hops in front of it.
    pub(crate) fn chain_key(&self) -> String {
        match &self.jump {
            Some(jump) => format!("{} via {}", self.label(), jump.chain_key()),
            None => self.label(),
        }
    }
}

/// `host:port`, with brackets around IPv6 addresses.
pub(crate) fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// OpenSSH's default known_hosts list: the user's files, then the system-wide ones.
pub fn default_known_hosts(home: &std::path::Path) -> Vec<PathBuf> {
    let mut files = default_user_known_hosts(home);
    files.extend(default_global_known_hosts());
    files
}

pub(crate) fn default_user_known_hosts(home: &std::path::Path) -> Vec<PathBuf> {
    vec![
        home.join(".ssh/known_hosts"),
        home.join(".ssh/known_hosts2"),
    ]
}

pub(crate) fn default_global_known_hosts() -> Vec<PathBuf> {
    vec![
        PathBuf::from("/etc/ssh/ssh_known_hosts"),
        PathBuf::from("/etc/ssh/ssh_known_hosts2"),
    ]
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("identity_files", &self.identity_files)
            .field(
                "key_passphrase",
                &self.key_passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("agent_socket", &self.agent_socket)
            .field("known_hosts_files", &self.known_hosts_files)
            .field("host_key_alias", &self.host_key_alias)
            .field("host_key_policy", &self.host_key_policy)
            .field("connect_timeout", &self.connect_timeout)
            .field("keepalive_interval", &self.keepalive_interval)
            .field("keepalive_max", &self.keepalive_max)
            .field("jump", &self.jump)
            .finish()
    }
}
