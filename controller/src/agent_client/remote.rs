//! Starting the agent on a host over an SSH session, uploading it when needed.

use super::{AgentBinary, AgentConn, AgentError};
use crate::ssh::{ExecExit, ExecReader, ExecWriter, ExitInfo, Session};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Agent bytes uploaded by this process, as sent (gzipped where the host has gzip), for
/// reports and the "a rerun uploads nothing" check.
pub static UPLOADED_BYTES: AtomicU64 = AtomicU64::new(0);

/// Uploads at once. An upload batches up to an SSH window (~2 MiB) of the agent into its
/// connection's write buffer, which russh keeps (locked in memory) for the connection's life;
/// that is why each upload has a connection of its own, closed when done (a first run on 50
/// hosts peaked at 132 MiB uploading over the connections the agents then ran on; every other
/// run stays under 50 MiB; eight at a time still peaked at 64.3 MiB). Behind one bastion the
/// uploads share one link anyway, so more at once would not make a first run faster.
const PARALLEL_UPLOADS: usize = 4;
static UPLOAD_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PARALLEL_UPLOADS);

pub struct StartOptions {
    /// Start it through `sudo -n` (become).
    pub sudo: bool,
    /// Bound on the upload and the handshake.
    pub timeout: Duration,
    /// Extra environment for the agent (e.g. `PLAY_AGENT_LOG=debug` at -vvvv).
    pub log_level: Option<String>,
}

/// A started agent on a host: the framed connection, the handle on its process, and the SSH
/// connection it runs over (kept to tell a dead agent from a dead connection).
pub struct HostAgent {
    pub conn: AgentConn<ExecReader, ExecWriter>,
    exit: ExecExit,
    session: Session,
}

/// How an agent that stopped answering ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEnd {
    /// The SSH connection dropped: the host went down or the network failed (Ansible's
    /// UNREACHABLE). `closed` is which connection closed; `bastion` is the bastion connection's
    /// label when that one dropped first (the bastion restarted or lost its network).
    ConnectionLost {
        closed: String,
        bastion: Option<String>,
    },
    /// The agent process ended while the connection stayed up: " (killed by signal KILL)",
    /// " (exit status 101)", or "" when SSH did not say.
    Exited(String),
    /// The agent's channel is still open (a timeout or a protocol error).
    Running,
}

impl HostAgent {
    /// What the agent last wrote on stderr (its logs), for messages when it dies.
    pub fn stderr_tail(&self) -> String {
        tail_text(&self.exit.stderr_tail())
    }

    /// The agent's log lines (its stderr) received since the last call, for -vvvv.
    pub fn take_log(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.exit.take_stderr())
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Why this agent can take no more requests, if so: its SSH connection closed (the host
    /// or the bastion restarted, the network failed) or its own channel ended (it was
    /// killed). Checked before a task is sent: with nothing in flight, a fresh connection and
    /// agent replace it safely.
    pub fn gone(&self) -> Option<String> {
        if self.session.is_closed() {
            let (closed, bastion) = self.lost_connection();
            Some(match bastion {
                Some(b) => format!("{closed}, after the connection to the bastion {b} dropped"),
                None => closed,
            })
        } else if self.exit.is_finished() {
            Some(format!(
                "the agent's channel on {} closed",
                self.session.label()
            ))
        } else {
            None
        }
    }

    /// After a failed call: tells a dropped connection from a dead agent, waiting up to
    /// `grace` for the connection to close. A host that shuts down ends its agent (SIGTERM
    /// from systemd) a moment before its sshd drops the connection, so a closed channel alone
    /// does not say which happened.
    pub async fn how_it_ended(&mut self, grace: Duration) -> AgentEnd {
        let deadline = Instant::now() + grace;
        let info = match tokio::time::timeout(grace, self.exit.wait()).await {
            Ok(Err(_)) => return self.connection_lost().await,
            Ok(Ok(info)) => info,
            Err(_) if self.session.is_closed() => return self.connection_lost().await,
            Err(_) => return AgentEnd::Running,
        };
        loop {
            if self.session.is_closed() {
                return self.connection_lost().await;
            }
            if Instant::now() >= deadline {
                return AgentEnd::Exited(exit_note(&info));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn shutdown(self) {
        self.conn.shutdown().await;
        self.exit.close().await;
    }
}

impl HostAgent {
    /// ("play@10.0.0.5:22 closed", the bastion's label when its connection went first).
    fn lost_connection(&self) -> (String, Option<String>) {
        (
            format!("{} closed", self.session.label()),
            self.session.bastion_lost(),
        )
    }

    async fn connection_lost(&self) -> AgentEnd {
        let closed = format!("{} closed", self.session.label());
        let bastion = self
            .session
            .bastion_unresponsive(Duration::from_secs(3))
            .await;
        AgentEnd::ConnectionLost { closed, bastion }
    }
}

/// The agent's exit code for "refused to run from an unsafe location" (agent/src/security.rs).
const EXIT_UNSAFE_LOCATION: u32 = 3;

/// A start that ended before the handshake, explained by the agent's exit status and stderr:
/// the agent refusing its folder is not a sudo or network problem, and says what to fix.
async fn why_it_died(why: String, exit: &mut ExecExit) -> AgentError {
    let status = tokio::time::timeout(Duration::from_secs(2), exit.wait())
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|info| info.status);
    let stderr = exit.stderr_tail();
    let said = String::from_utf8_lossy(&stderr);
    if status == Some(EXIT_UNSAFE_LOCATION) {
        if let Some(reason) = said.lines().find_map(|l| l.split_once("refusing to run: ")) {
            return AgentError::Unsafe(reason.1.trim().to_string());
        }
    }
    let said = tail_text(&stderr);
    AgentError::Died(if said.is_empty() {
        why
    } else {
        format!("{why}: {said}")
    })
}

/// " (killed by signal KILL)" / " (exit status 3)" / "".
fn exit_note(info: &ExitInfo) -> String {
    match (&info.signal, info.status) {
        (Some(sig), _) => format!(
            " (killed by signal {sig}{})",
            if info.core_dumped {
                ", core dumped"
            } else {
                ""
            }
        ),
        (None, Some(status)) => format!(" (exit status {status})"),
        (None, None) => String::new(),
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
    // a frame over the size bound); `gzip` after it says the upload may come gzipped. A
    // cached file of the wrong size (an upload cut short by an older play) counts as missing,
    // so it is replaced instead of failing every start.
    let size = bin.bytes.len();
    format!(
        "f={CACHE_DIR}/{name}; if [ -x \"$f\" ] && [ \"$(wc -c < \"$f\")\" -eq {size} ]; then exec {sudo}{env_prefix}\"$f\"; \
         else printf PLAY; if command -v gzip >/dev/null 2>&1; then printf gzip; fi; fi"
    )
}

/// Writes the agent to a temp file and renames it into place only once every byte arrived:
/// when play is interrupted mid-upload, `cat` sees end-of-file, not an error, so without the
/// size check a truncated agent would be installed under its final name (`gzip -d` also
/// fails on a cut-short or damaged stream, by its CRC). The temp file is removed on any way
/// out.
fn upload_command(bin: &AgentBinary, gzipped: bool) -> String {
    let name = bin.remote_name();
    let size = bin.bytes.len();
    let receive = if gzipped { "gzip -dc" } else { "cat" };
    format!(
        "umask 077; d={CACHE_DIR}; mkdir -p \"$d\" && chmod 700 \"$d\" && t=$(mktemp \"$d/.upload.XXXXXX\") || exit 1; \
         trap 'rm -f \"$t\"' EXIT; trap 'exit 1' HUP INT TERM PIPE; \
         {receive} > \"$t\" || exit 1; n=$(wc -c < \"$t\"); \
         [ \"$n\" -eq {size} ] || {{ echo \"the upload stopped after $n of {size} bytes\" >&2; exit 1; }}; \
         chmod 700 \"$t\" && mv -f \"$t\" \"$d/{name}\" && find \"$d\" -maxdepth 1 -name 'play-agent-*' ! -name '{name}' -delete"
    )
}

/// Starts the agent, uploading it first if it is missing or not the expected build. The upload
/// goes over a connection `upload_session` opens, closed once the file is in place.
pub async fn start_agent<F, Fut>(
    session: &Session,
    bin: &AgentBinary,
    opts: &StartOptions,
    upload_session: F,
) -> Result<HostAgent, AgentError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Session, crate::ssh::SshError>>,
{
    let mut host_has_gzip = false;
    for attempt in 0..2 {
        let channel = session
            .exec(&start_command(bin, opts))
            .await
            .map_err(|e| AgentError::Died(format!(": cannot start it: {e}")))?;
        let (writer, reader, mut exit) = channel.into_parts();
        let handshake = tokio::time::timeout(
            opts.timeout,
            AgentConn::handshake(reader, writer, env!("CARGO_PKG_VERSION")),
        )
        .await
        .map_err(|_| AgentError::Timeout(opts.timeout.as_secs()))?;
        // What the agent (or sudo) said on stderr explains a failed start.
        let handshake = match handshake {
            Err(AgentError::Died(why)) => Err(why_it_died(why, &mut exit).await),
            other => other,
        };
        match handshake {
            Ok(conn) if conn.sha256.is_empty() || conn.sha256 == bin.sha256 => {
                return Ok(HostAgent {
                    conn,
                    exit,
                    session: session.clone(),
                })
            }
            Ok(conn) => {
                // A cached file that is not our build: replace it.
                conn.shutdown().await;
                exit.close().await;
            }
            Err(AgentError::Missing { gzip }) => host_has_gzip = gzip,
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
        // Never closed, so acquiring cannot fail; a permit is dropped when this upload ends.
        let _slot = UPLOAD_SLOTS.acquire().await.ok();
        let payload = if host_has_gzip {
            bin.gzipped().await
        } else {
            bin.bytes.clone()
        };
        let uploader = upload_session()
            .await
            .map_err(|e| AgentError::Died(format!(": cannot connect to upload it: {e}")))?;
        let out = uploader
            .run(
                &upload_command(bin, host_has_gzip),
                &payload,
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
        UPLOADED_BYTES.fetch_add(payload.len() as u64, Ordering::Relaxed);
    }
    Err(AgentError::Protocol(
        "the agent on the host does not match this controller's even after uploading it".into(),
    ))
}

#[cfg(test)]
mod tests {
    //! The upload and start commands, run by a local `sh` with HOME in a temp folder: an
    //! upload cut short installs nothing and leaves no temp file; a cached file of the wrong
    //! size is not started.
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    fn binary(bytes: &[u8]) -> AgentBinary {
        AgentBinary::new(
            bytes.to_vec(),
            "0123456789abcdef0123456789abcdef".into(),
            "play-agent".into(),
        )
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        super::super::gzipped::load_or_make(bytes, "t", None)
    }

    fn sh(home: &std::path::Path, cmd: &str, stdin: &[u8]) -> std::process::Output {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .env("HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    fn cache_listing(home: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(home.join(".cache/play"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_cut_short_upload_installs_nothing_and_cleans_up() {
        let home = tempfile::tempdir().unwrap();
        let bin = binary(&[7u8; 5000]);
        let out = sh(home.path(), &upload_command(&bin, false), &[7u8; 1200]);
        assert_ne!(out.status.code(), Some(0));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("after 1200 of 5000 bytes"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(cache_listing(home.path()), Vec::<String>::new());
    }

    #[test]
    fn a_whole_upload_is_installed_and_older_agents_removed() {
        let home = tempfile::tempdir().unwrap();
        let cache = home.path().join(".cache/play");
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::write(cache.join("play-agent-00000000000000ff"), b"old").unwrap();
        let bin = binary(&[7u8; 5000]);
        let out = sh(home.path(), &upload_command(&bin, false), &[7u8; 5000]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(cache_listing(home.path()), vec![bin.remote_name()]);
        assert_eq!(
            std::fs::read(cache.join(bin.remote_name())).unwrap().len(),
            5000
        );
    }

    #[test]
    fn a_cached_agent_of_the_wrong_size_counts_as_missing() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let cache = home.path().join(".cache/play");
        std::fs::create_dir_all(&cache).unwrap();
        // A "binary" that is a script saying who ran, so a start is visible.
        let script = b"#!/bin/sh\necho started\n";
        let bin = binary(script);
        let path = cache.join(bin.remote_name());
        let opts = StartOptions {
            sudo: false,
            timeout: Duration::from_secs(5),
            log_level: None,
        };
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        let out = sh(home.path(), &start_command(&bin, &opts), b"");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "started\n");

        std::fs::write(&path, &script[..10]).unwrap();
        let out = sh(home.path(), &start_command(&bin, &opts), b"");
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("PLAY"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    #[test]
    fn a_gzipped_upload_installs_the_agent_itself() {
        let home = tempfile::tempdir().unwrap();
        let agent: Vec<u8> = (0..50_000u32).map(|i| (i % 7) as u8).collect();
        let bin = binary(&agent);
        let out = sh(home.path(), &upload_command(&bin, true), &gzip(&agent));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let installed = home.path().join(".cache/play").join(bin.remote_name());
        assert_eq!(std::fs::read(installed).unwrap(), agent);
    }

    #[test]
    fn a_cut_short_or_damaged_gzipped_upload_installs_nothing() {
        let agent: Vec<u8> = (0..50_000u32).map(|i| (i % 7) as u8).collect();
        let bin = binary(&agent);
        let gz = gzip(&agent);
        let mut damaged = gz.clone();
        let mid = damaged.len() / 2;
        damaged[mid] ^= 0x55;
        for (what, sent) in [
            ("cut short", &gz[..gz.len() / 2]),
            ("damaged", &damaged[..]),
        ] {
            let home = tempfile::tempdir().unwrap();
            let out = sh(home.path(), &upload_command(&bin, true), sent);
            assert_ne!(out.status.code(), Some(0), "{what}: installed");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("gzip"),
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(cache_listing(home.path()), Vec::<String>::new(), "{what}");
        }
    }

    #[test]
    fn the_not_cached_marker_says_gzip_only_where_the_host_has_it() {
        let home = tempfile::tempdir().unwrap();
        let bin = binary(b"not there");
        let opts = StartOptions {
            sudo: false,
            timeout: Duration::from_secs(5),
            log_level: None,
        };
        let out = sh(home.path(), &start_command(&bin, &opts), b"");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "PLAYgzip");

        let no_gzip = tempfile::tempdir().unwrap();
        // A PATH with the one tool the command needs (`wc`), and no gzip.
        let wc = Command::new("sh")
            .arg("-c")
            .arg("command -v wc")
            .output()
            .unwrap();
        let wc = String::from_utf8_lossy(&wc.stdout).trim().to_string();
        std::os::unix::fs::symlink(wc, no_gzip.path().join("wc")).unwrap();
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(start_command(&bin, &opts))
            .env("HOME", home.path())
            .env("PATH", no_gzip.path())
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "PLAY");
    }
}
