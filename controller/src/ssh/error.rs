//! The one error type of the SSH layer. Every message says what went wrong, for which
//! host (as `user@host:port` or `host:port`) and what to do next, because these errors end
//! up verbatim in the UNREACHABLE line a user reads. russh's own error type never leaks out
//! of this folder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Why talking to a host over SSH failed.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// A network wait (TCP connect, handshake, authentication, channel open) took too long.
    #[error("{host}: no answer within {}s during {stage}; {hint}", after.as_secs_f32())]
    Timeout {
        host: String,
        stage: &'static str,
        after: Duration,
        hint: &'static str,
    },

    /// The host name did not resolve.
    #[error("{host}: could not resolve the host name: {source}; check ansible_host / HostName")]
    DnsFail {
        host: String,
        #[source]
        source: std::io::Error,
    },

    /// Nothing listens on the port.
    #[error("{host}:{port}: connection refused; is sshd running and listening on port {port}?")]
    Refused {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },

    /// Any other network failure (unreachable network, reset, failure of the tunnel stream).
    #[error("{host}:{port}: {source}")]
    Io {
        host: String,
        port: u16,
        #[source]
        source: std::io::Error,
    },

    /// The SSH protocol exchange failed before authentication (no common algorithm, not an SSH
    /// server, connection closed during key exchange).
    #[error("{host}: SSH handshake failed: {why}")]
    Handshake { host: String, why: String },

    /// The host presented a key that no known_hosts file lists.
    #[error("{host}: host key is not known ({key_type} {fingerprint}; looked in {}). Check the fingerprint with the host's owner, then add it: {hint}", display_paths(known_hosts))]
    HostKeyUnknown {
        host: String,
        key_type: String,
        fingerprint: String,
        known_hosts: Vec<PathBuf>,
        hint: String,
    },

    /// The host presented a key different from the one recorded for it.
    #[error("{host}: REMOTE HOST KEY CHANGED: the host now presents {fingerprint}, but {file_line} records another key for it: `{entry}`. Someone may be intercepting the connection, or the host was rebuilt; only if you know it was rebuilt, remove the old entry (`{fix}`) and connect again")]
    HostKeyChanged {
        host: String,
        /// Key type and SHA256 fingerprint of the presented key.
        fingerprint: String,
        file_line: String,
        /// The recorded line, its key shortened.
        entry: String,
        /// The command that removes the old entry.
        fix: String,
    },

    /// The host presented a key marked `@revoked`, or a certificate that fails validation.
    #[error("{host}: host key {fingerprint} refused: {why}")]
    HostKeyRefused {
        host: String,
        fingerprint: String,
        why: String,
    },

    /// The server accepted none of the keys tried.
    #[error("{user}@{host}: authentication failed; tried {}. Give the right key with ansible_ssh_private_key_file (or --private-key / IdentityFile), or load it into ssh-agent", if tried.is_empty() { "no key at all (no agent, no key file found)".to_string() } else { tried.join(", ") })]
    AuthFailed {
        user: String,
        host: String,
        tried: Vec<String>,
    },

    /// A key file could not be used (unreadable, encrypted without passphrase, corrupt).
    #[error("key {} {why}", path.display())]
    KeyFile { path: PathBuf, why: String },

    /// The bastion (ProxyJump hop) in front of a host failed.
    #[error("via bastion {bastion}: {source}")]
    Jump {
        bastion: String,
        #[source]
        source: Arc<SshError>,
    },

    /// The connection settings for a host are wrong (bad variable, bad ssh_config line,
    /// unsupported option).
    #[error("{at}: {why}")]
    Config { at: String, why: String },

    /// A channel on a working connection failed (the server refused to open it or to run the
    /// command, output too large). The host is reachable: this is a task failure.
    #[error("{host}: {what}")]
    Channel { host: String, what: String },

    /// A one-shot command ran longer than its timeout (the host is reachable).
    #[error("{host}: command `{command}` did not finish within {}s", after.as_secs_f32())]
    CommandTimeout {
        host: String,
        command: String,
        after: Duration,
    },

    /// The connection dropped (the host, the network or the bastion went away).
    #[error("{host}: connection lost{}", if why.is_empty() { String::new() } else { format!(": {why}") })]
    Disconnected { host: String, why: String },
}

/// Advice for a timeout while connecting.
pub(crate) const CONNECT_HINT: &str = "check that the host is up and its SSH port reachable (firewall, security group, bastion route), or raise ConnectTimeout";
/// Advice for a timeout on a connection that was up.
pub(crate) const STALLED_HINT: &str =
    "the connection seems stalled (network trouble, or an overloaded host)";

impl SshError {
    /// Whether Ansible would report this host as UNREACHABLE rather than the task as failed:
    /// everything is, except failures of a channel on a connection that works.
    pub fn is_unreachable(&self) -> bool {
        !matches!(
            self,
            SshError::Channel { .. } | SshError::CommandTimeout { .. }
        )
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "no known_hosts file".to_string();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Shortens a command for an error message: a command line can be long (an inline script).
pub(crate) fn short_command(command: &str) -> String {
    const MAX: usize = 80;
    let one_line = command.replace('\n', " ");
    if one_line.chars().count() <= MAX {
        one_line
    } else {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_on_a_working_connection_are_reachable() {
        let channel = SshError::Channel {
            host: "h:22".into(),
            what: "refused".into(),
        };
        let slow = SshError::CommandTimeout {
            host: "h:22".into(),
            command: "x".into(),
            after: Duration::from_secs(1),
        };
        assert!(!channel.is_unreachable() && !slow.is_unreachable());
        let lost = SshError::Disconnected {
            host: "h:22".into(),
            why: String::new(),
        };
        let jump = SshError::Jump {
            bastion: "b".into(),
            source: Arc::new(lost),
        };
        assert!(jump.is_unreachable());
        assert_eq!(jump.to_string(), "via bastion b: h:22: connection lost");
    }

    #[test]
    fn long_commands_are_shortened() {
        assert_eq!(short_command("echo a\necho b"), "echo a echo b");
        assert_eq!(short_command(&"x".repeat(100)).chars().count(), 81);
    }
}
