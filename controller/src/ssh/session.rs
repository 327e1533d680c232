//! One SSH connection: dialling (TCP, or a `direct-tcpip` channel of the bastion's connection),
//! the handshake with host key checking, authentication, and the [`Session`] handle that opens
//! channels on it. Every network wait is bounded by the hop's connect timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::Algorithm;
use russh::{ChannelOpenFailure, Disconnect, Preferred};
use tokio::net::TcpStream;

use super::auth::authenticate;
use super::error::{CONNECT_HINT, STALLED_HINT};
use super::handler::{ClientHandler, HostKeyCheck, Refusal};
use super::known_hosts::{has_cert_authority, load_known_hosts, lookup_name, KnownHostsEntry};
use super::options::{host_port, ConnectOptions};
use super::quickack;
use super::SshError;

/// An authenticated connection. Cheap to clone; the connection closes when the last clone
/// (and every session tunnelled through it) is dropped, or on [`Session::close`].
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

pub(crate) struct SessionInner {
    pub handle: Handle<ClientHandler>,
    /// `user@host:port`.
    pub label: String,
    /// `host:port`, as errors name the host.
    pub host: String,
    /// Bound on opening a channel.
    pub op_timeout: Duration,
    /// The bastion connection this one is tunnelled through, kept open while this one lives.
    _via: Option<Session>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("label", &self.inner.label)
            .finish()
    }
}

impl Session {
    /// `user@host:port` of this connection.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// Whether the connection is gone (closed, dropped by the server, keepalives unanswered).
    pub fn is_closed(&self) -> bool {
        self.inner.handle.is_closed()
    }

    /// Closes the connection (politely: a disconnect message, bounded by the timeout).
    pub async fn close(&self) {
        let disconnect =
            self.inner
                .handle
                .disconnect(Disconnect::ByApplication, "play is done", "en");
        let _ = tokio::time::timeout(self.inner.op_timeout, disconnect).await;
    }

    /// The error for a connection that went away; says so when the bastion's went first.
    pub(crate) fn lost(&self, why: impl Into<String>) -> SshError {
        let mut why = why.into();
        let note = self.bastion_note();
        if !note.is_empty() {
            if !why.is_empty() {
                why.push_str("; ");
            }
            why.push_str(&note);
        }
        SshError::Disconnected {
            host: self.inner.host.clone(),
            why,
        }
    }

    /// "the connection to the bastion X dropped" when it did, else "".
    pub(crate) fn bastion_note(&self) -> String {
        match self.bastion_lost() {
            Some(bastion) => format!("the connection to the bastion {bastion} dropped"),
            None => String::new(),
        }
    }

    /// The label of this connection's bastion when that bastion connection is gone or does
    /// not answer a ping within `wait` (frozen, or its network failed). Asked after a
    /// tunnelled connection dropped, to say which link broke: with keepalives on both, the
    /// tunnelled one often gives up first.
    pub async fn bastion_unresponsive(&self, wait: Duration) -> Option<String> {
        let bastion = self.inner._via.as_ref()?;
        if !bastion.is_closed() {
            let ping = bastion.inner.handle.send_ping();
            let answered = matches!(tokio::time::timeout(wait, ping).await, Ok(Ok(())));
            if answered && !bastion.is_closed() {
                return None;
            }
        }
        Some(bastion.label().to_string())
    }

    /// The label of the bastion this connection was tunnelled through, when that bastion
    /// connection has closed (it restarted, or its network failed).
    pub fn bastion_lost(&self) -> Option<String> {
        self.inner
            ._via
            .as_ref()
            .filter(|b| b.is_closed())
            .map(|b| b.label().to_string())
    }

    /// [`Session::lost`] for a russh error, leaving out russh's bare "Disconnected".
    pub(crate) fn lost_by(&self, error: russh::Error) -> SshError {
        match error {
            russh::Error::Disconnect | russh::Error::SendError | russh::Error::HUP => self.lost(""),
            other => self.lost(other.to_string()),
        }
    }

    /// Opens a session channel, bounded by the timeout.
    pub(crate) async fn open_session_channel(
        &self,
    ) -> Result<russh::Channel<client::Msg>, SshError> {
        if self.is_closed() {
            return Err(self.lost(""));
        }
        let open = self.inner.handle.channel_open_session();
        match tokio::time::timeout(self.inner.op_timeout, open).await {
            Err(_) => Err(SshError::Timeout {
                host: self.inner.host.clone(),
                stage: "opening a session channel",
                after: self.inner.op_timeout,
                hint: STALLED_HINT,
            }),
            Ok(Ok(channel)) => Ok(channel),
            Ok(Err(russh::Error::ChannelOpenFailure(why))) => Err(SshError::Channel {
                host: self.inner.host.clone(),
                what: format!(
                    "the server refused a session channel ({why:?}; MaxSessions reached?)"
                ),
            }),
            Ok(Err(e)) => Err(self.lost_by(e)),
        }
    }

    /// A byte stream to `host:port` as seen from this (bastion) host.
    async fn open_tunnel(
        &self,
        host: &str,
        port: u16,
    ) -> Result<russh::ChannelStream<client::Msg>, SshError> {
        if self.is_closed() {
            return Err(self.lost(""));
        }
        let open =
            self.inner
                .handle
                .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0);
        let target = host_port(host, port);
        match tokio::time::timeout(self.inner.op_timeout, open).await {
            Err(_) => Err(SshError::Timeout {
                host: target,
                stage: "opening the tunnel through the bastion",
                after: self.inner.op_timeout,
                hint: CONNECT_HINT,
            }),
            Ok(Ok(channel)) => Ok(channel.into_stream()),
            Ok(Err(russh::Error::ChannelOpenFailure(failure))) => {
                let why = match failure {
                    ChannelOpenFailure::AdministrativelyProhibited => format!(
                        "the bastion {} refuses to forward TCP (AllowTcpForwarding / PermitOpen in its sshd_config)",
                        self.inner.label
                    ),
                    ChannelOpenFailure::ConnectFailed => format!(
                        "the bastion {} could not connect to {target} (host down, wrong address, or a firewall)",
                        self.inner.label
                    ),
                    other => format!("the bastion {} refused the tunnel: {other:?}", self.inner.label),
                };
                Err(SshError::Io {
                    host: host.to_string(),
                    port,
                    source: std::io::Error::other(why),
                })
            }
            Ok(Err(e)) => Err(self.lost_by(e)),
        }
    }
}

/// Opens one hop: through `via` (the bastion's session) when given, else over TCP.
pub(crate) async fn connect_hop(
    opts: &ConnectOptions,
    via: Option<&Session>,
) -> Result<Session, SshError> {
    let display = host_port(&opts.host, opts.port);
    let wait = opts.connect_timeout;
    let known_hosts_files = opts.known_hosts_files.clone();
    let entries = tokio::task::spawn_blocking(move || load_known_hosts(&known_hosts_files))
        .await
        .unwrap_or_default();
    let (lookup_host, lookup_port) = match &opts.host_key_alias {
        Some(alias) => (alias.clone(), 22),
        None => (opts.host.clone(), opts.port),
    };
    let config = Arc::new(client::Config {
        keepalive_interval: opts.keepalive_interval,
        keepalive_max: opts.keepalive_max,
        nodelay: true,
        preferred: preferred_algorithms(&lookup_host, lookup_port, &entries),
        ..Default::default()
    });
    let refusal: Refusal = Arc::new(Mutex::new(None));
    let handler = ClientHandler {
        check: HostKeyCheck {
            display: display.clone(),
            lookup_host,
            lookup_port,
            known_hosts_files: opts.known_hosts_files.clone(),
            entries,
            policy: opts.host_key_policy,
            via_bastion: via.is_some(),
        },
        refusal: refusal.clone(),
    };
    let handshake = match via {
        Some(bastion) => {
            let stream = bastion.open_tunnel(&opts.host, opts.port).await?;
            tokio::time::timeout(wait, client::connect_stream(config, stream, handler)).await
        }
        None => {
            let stream =
                quickack::QuickAckStream::new(tcp_connect(&opts.host, opts.port, wait).await?);
            tokio::time::timeout(wait, client::connect_stream(config, stream, handler)).await
        }
    };
    let mut handle = match handshake {
        Err(_) => {
            return Err(SshError::Timeout {
                host: display,
                stage:
                    "the SSH handshake (the port answers, but no SSH server completed the exchange)",
                after: wait,
                hint: CONNECT_HINT,
            })
        }
        Ok(Err(e)) => {
            if let Some(refused) = refusal.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(refused);
            }
            return Err(handshake_error(&display, opts.port, e));
        }
        Ok(Ok(handle)) => handle,
    };
    authenticate(&mut handle, opts).await?;
    tracing::debug!("connected to {}", opts.label());
    Ok(Session {
        inner: Arc::new(SessionInner {
            handle,
            label: opts.label(),
            host: display,
            op_timeout: wait,
            _via: via.cloned(),
        }),
    })
}

/// Host key algorithms with the types known_hosts already lists for this host first, as
/// OpenSSH orders them: otherwise a server with several keys could pick one we do not know and
/// be refused as unknown. Certificates are asked for only when an authority is listed.
fn preferred_algorithms(host: &str, port: u16, entries: &[KnownHostsEntry]) -> Preferred {
    let name = lookup_name(host, port);
    let known: Vec<Algorithm> = entries
        .iter()
        .filter(|e| e.marker.is_none() && e.matches(&name))
        .map(|e| e.key.key_data().algorithm())
        .collect();
    let is_known = |a: &Algorithm| {
        known
            .iter()
            .any(|k| k == a || (k.clone().is_rsa() && a.clone().is_rsa()))
    };
    let mut keys: Vec<Algorithm> = Preferred::DEFAULT.key.to_vec();
    keys.sort_by_key(|a| !is_known(a)); // stable: keeps the default order within each group
    let mut preferred = Preferred {
        key: keys.into(),
        ..Preferred::DEFAULT
    };
    if has_cert_authority(host, port, entries) {
        preferred.host_key_certificates = Preferred::DEFAULT.key.clone();
    }
    preferred
}

async fn tcp_connect(host: &str, port: u16, wait: Duration) -> Result<TcpStream, SshError> {
    let deadline = tokio::time::Instant::now() + wait;
    let timed_out = |stage| SshError::Timeout {
        host: host_port(host, port),
        stage,
        after: wait,
        hint: CONNECT_HINT,
    };
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port))).await {
            Err(_) => return Err(timed_out("name resolution")),
            Ok(Err(source)) => {
                return Err(SshError::DnsFail {
                    host: host.to_string(),
                    source,
                })
            }
            Ok(Ok(addrs)) => addrs.collect(),
        };
    let mut last_error = None;
    for addr in addrs {
        match tokio::time::timeout_at(deadline, TcpStream::connect(addr)).await {
            Err(_) => return Err(timed_out("TCP connect")),
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last_error = Some(e),
        }
    }
    let source = last_error.unwrap_or_else(|| std::io::Error::other("the name has no address"));
    if source.kind() == std::io::ErrorKind::ConnectionRefused {
        Err(SshError::Refused {
            host: host.to_string(),
            port,
            source,
        })
    } else {
        Err(SshError::Io {
            host: host.to_string(),
            port,
            source,
        })
    }
}

fn handshake_error(display: &str, port: u16, error: russh::Error) -> SshError {
    match error {
        russh::Error::IO(source) => SshError::Io {
            host: display.rsplit_once(':').map_or(display, |(h, _)| h).to_string(),
            port,
            source,
        },
        russh::Error::Disconnect | russh::Error::HUP => SshError::Handshake {
            host: display.to_string(),
            why: "the server closed the connection during the key exchange (MaxStartups, a TCP wrapper, or not an SSH server)".into(),
        },
        russh::Error::Version => SshError::Handshake {
            host: display.to_string(),
            why: "the port does not speak SSH (no SSH version line)".into(),
        },
        other => SshError::Handshake {
            host: display.to_string(),
            why: other.to_string(),
        },
    }
}
