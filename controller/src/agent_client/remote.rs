//! Starting the agent on a host over an SSH session, uploading it when needed.

use super::{AgentBinary, AgentConn, AgentError};
use crate::ssh::{ExecExit, ExecReader, ExecWriter, Session};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Agent bytes uploaded by this process (for reports and the "a rerun uploads nothing" check).
pub static UPLOADED_BYTES: AtomicU64 = AtomicU64::new(0);

pub struct StartOptions {
    /// Start it through `sudo -n` (become).
    pub sudo: bool,
    /// Bound on the upload and the handshake.
    pub timeout: Duration,
    /// Extra environment for the agent (e.g. `PLAY_AGENT_LOG=debug` at -vvvv).
    pub log_level: Option<String>,
}

/// A started agent on a host: the framed connection and the handle on its process.
pub struct HostAgent {
    pub conn: AgentConn<ExecReader, ExecWriter>,
    exit: ExecExit,
}

impl HostAgent {
    /// What the agent last wrote on stderr (its logs), for messages when it dies.
    pub fn stderr_tail(&self) -> String {
        tail_text(&self.exit.stderr_tail())
    }

    pub async fn shutdown(self) {
        self.conn.shutdown().await;
        self.exit.close().await;
    }
}

fn tail_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

const CACHE_DIR: &str = "\"$HOME/.cache/play\"";

fn start_command(bin: &AgentBinary, opts: &StartOptions) -> String {
    let name = bin.remote_name();
    let sudo = if opts.sudo { "sudo -n " } else { "" };
    let env = opts
        .log_level
        .as_deref()
        .map(|l| format!("PLAY_AGENT_LOG={l} "))
        .unwrap_or_default();
    let env_prefix = if env.is_empty() {
        String::new()
    } else if opts.sudo {
        format!("env {env}")
    } else {
        env
    };
    // `PLAY` is the marker for "not cached": a frame can't begin with it (it would announce
    // a frame over the size bound).
    format!(
        "f={CACHE_DIR}/{name}; if [ -x \"$f\" ]; then exec {sudo}{env_prefix}\"$f\"; else printf PLAY; fi"
    )
}

fn upload_command(bin: &AgentBinary) -> String {
    let name = bin.remote_name();
    format!(
        "umask 077; d={CACHE_DIR}; mkdir -p \"$d\" && chmod 700 \"$d\" && t=$(mktemp \"$d/.upload.XXXXXX\") && cat > \"$t\" && chmod 700 \"$t\" && mv -f \"$t\" \"$d/{name}\" && find \"$d\" -maxdepth 1 -name 'play-agent-*' ! -name '{name}' -delete"
    )
}

/// Starts the agent, uploading it first if it is missing or not the expected build.
pub async fn start_agent(
    session: &Session,
    bin: &AgentBinary,
    opts: &StartOptions,
) -> Result<HostAgent, AgentError> {
    for attempt in 0..2 {
        let channel = session
            .exec(&start_command(bin, opts))
            .await
            .map_err(|e| AgentError::Died(format!(": cannot start it: {e}")))?;
        let (writer, reader, exit) = channel.into_parts();
        let handshake = tokio::time::timeout(
            opts.timeout,
            AgentConn::handshake(reader, writer, env!("CARGO_PKG_VERSION")),
        )
        .await
        .map_err(|_| AgentError::Timeout(opts.timeout.as_secs()))?;
        // What the agent (or sudo) said on stderr explains a failed start.
        let handshake = handshake.map_err(|e| match e {
            AgentError::Died(why) => {
                let said = tail_text(&exit.stderr_tail());
                AgentError::Died(if said.is_empty() {
                    why
                } else {
                    format!("{why}: {said}")
                })
            }
            other => other,
        });
        match handshake {
            Ok(conn) if conn.sha256.is_empty() || conn.sha256 == bin.sha256 => {
                return Ok(HostAgent { conn, exit })
            }
            Ok(conn) => {
                // A cached file that is not our build: replace it.
                conn.shutdown().await;
                exit.close().await;
            }
            Err(AgentError::Missing) => {}
            Err(AgentError::Died(why)) if opts.sudo => {
                return Err(AgentError::Died(format!(
                    "{why}; if sudo asked for a password, give the SSH user passwordless sudo (NOPASSWD) or run without become"
                )))
            }
            Err(e) => return Err(e),
        }
        if attempt == 1 {
            break;
        }
        let out = session
            .run(
                &upload_command(bin),
                &bin.bytes,
                opts.timeout.max(Duration::from_secs(60)),
            )
            .await
            .map_err(|e| AgentError::Died(format!(": upload failed: {e}")))?;
        if out.status != Some(0) {
            return Err(AgentError::Refused(format!(
                "uploading the agent failed (exit {:?}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        UPLOADED_BYTES.fetch_add(bin.bytes.len() as u64, Ordering::Relaxed);
    }
    Err(AgentError::Protocol(
        "the agent on the host does not match this controller's even after uploading it".into(),
    ))
}
