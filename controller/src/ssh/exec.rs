//! Running commands on a [`Session`]: [`Session::exec`] gives a long-lived channel split into
//! a stdin writer, a stdout reader and an exit handle (what the agent protocol runs over);
//! [`Session::run`] is a one-shot command with stdin given and output collected, bounded.

use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use russh::client::Msg;
use russh::{ChannelMsg, ChannelWriteHalf, Sig};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::sync::watch;

use super::error::short_command;
use super::session::{Session, SessionInner};
use super::SshError;

/// How much of stdout and of stderr [`Session::run`] keeps.
pub const RUN_OUTPUT_LIMIT: usize = 16 * 1024 * 1024;
/// How much of the end of stderr an [`ExecChannel`] keeps.
pub const STDERR_TAIL_LIMIT: usize = 64 * 1024;
/// Bytes of stdout buffered between the connection and a slow reader.
const STDOUT_BUFFER: usize = 256 * 1024;

/// What a one-shot command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit status; None when the command was killed by a signal or the server sent none.
    pub status: Option<u32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// How a command started with [`Session::exec`] ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitInfo {
    pub status: Option<u32>,
    /// The signal name (`TERM`, `KILL`, ...) when the command was killed by one.
    pub signal: Option<String>,
    pub core_dumped: bool,
    /// The last [`STDERR_TAIL_LIMIT`] bytes of stderr.
    pub stderr_tail: Vec<u8>,
}

/// A running remote command: its stdin, its stdout and a handle on how it ends.
pub struct ExecChannel {
    pub stdin: ExecWriter,
    pub stdout: ExecReader,
    pub exit: ExecExit,
}

impl ExecChannel {
    pub fn into_parts(self) -> (ExecWriter, ExecReader, ExecExit) {
        (self.stdin, self.stdout, self.exit)
    }
}

/// The remote stdin. Shutting it down (`AsyncWriteExt::shutdown`) sends end-of-file.
pub struct ExecWriter {
    inner: Pin<Box<dyn AsyncWrite + Send + Sync>>,
}

impl AsyncWrite for ExecWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().inner.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.get_mut().inner.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.get_mut().inner.as_mut().poll_shutdown(cx)
    }
}

/// The remote stdout; end-of-file when the remote closes it or the connection drops.
pub struct ExecReader {
    inner: DuplexStream,
}

impl AsyncRead for ExecReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

#[derive(Default)]
struct ExitState {
    info: ExitInfo,
    /// Stderr not yet taken by [`ExecExit::take_stderr`] (bounded like the tail).
    unread_stderr: Vec<u8>,
    /// The server refused to run the command.
    refused: bool,
    /// The channel ended because the connection did.
    lost: Option<String>,
}

/// Tells how the command ended, and the stderr seen so far.
pub struct ExecExit {
    state: Arc<Mutex<ExitState>>,
    done: watch::Receiver<bool>,
    write_half: ChannelWriteHalf<Msg>,
    host: String,
    command: String,
}

impl ExecExit {
    /// The last bytes of stderr received so far.
    pub fn stderr_tail(&self) -> Vec<u8> {
        self.lock().info.stderr_tail.clone()
    }

    /// Stderr received since the last call (at most [`STDERR_TAIL_LIMIT`] bytes of it): the
    /// agent's log lines, shown at -vvvv.
    pub fn take_stderr(&self) -> Vec<u8> {
        std::mem::take(&mut self.lock().unread_stderr)
    }

    /// Whether the command has ended (the channel closed).
    pub fn is_finished(&self) -> bool {
        *self.done.borrow()
    }

    /// Waits for the channel to close. The connection dropping is an error
    /// ([`SshError::Disconnected`]); a command that exits (even by a signal) is not.
    /// Stdout must be read (or the reader dropped) for the end to be seen.
    pub async fn wait(&mut self) -> Result<ExitInfo, SshError> {
        // An Err means the pump is gone, which only happens after it marked the end.
        let _ = self.done.wait_for(|done| *done).await;
        let state = self.lock();
        if state.refused {
            return Err(SshError::Channel {
                host: self.host.clone(),
                what: format!("the server refused to run `{}`", self.command),
            });
        }
        if let Some(why) = &state.lost {
            return Err(SshError::Disconnected {
                host: self.host.clone(),
                why: format!("while running `{}`{why}", self.command),
            });
        }
        Ok(state.info.clone())
    }

    /// Asks the server to close the channel (the remote command gets SIGHUP or EOF).
    pub async fn close(&self) {
        let _ = self.write_half.close().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ExitState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn signal_name(signal: Sig) -> String {
    match signal {
        Sig::Custom(name) => name,
        other => format!("{other:?}"),
    }
}

fn push_tail(tail: &mut Vec<u8>, data: &[u8], limit: usize) {
    tail.extend_from_slice(data);
    if tail.len() > limit {
        tail.drain(..tail.len() - limit);
    }
}

impl Session {
    /// Starts `command` and returns its channel at once; the command runs until it exits or
    /// the channel is closed.
    pub async fn exec(&self, command: &str) -> Result<ExecChannel, SshError> {
        let channel = self.open_session_channel().await?;
        channel
            .exec(true, command)
            .await
            .map_err(|e| self.lost(format!("while starting `{}`: {e}", short_command(command))))?;
        let (mut read_half, write_half) = channel.split();
        let writer = ExecWriter {
            inner: Box::pin(write_half.make_writer()),
        };
        let (mut pump_end, reader_end) = tokio::io::duplex(STDOUT_BUFFER);
        let state = Arc::new(Mutex::new(ExitState::default()));
        let (done_tx, done_rx) = watch::channel(false);
        let session: Weak<SessionInner> = Arc::downgrade(&self.inner);
        let pump_state = state.clone();
        tokio::spawn(async move {
            let mut stdout_open = true;
            let mut saw_close = false;
            while let Some(message) = read_half.wait().await {
                match message {
                    ChannelMsg::Data { data } if stdout_open => {
                        // A dropped reader only means nobody wants stdout: keep draining.
                        stdout_open = pump_end.write_all(&data).await.is_ok();
                    }
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        let mut state = pump_state.lock().unwrap_or_else(|p| p.into_inner());
                        push_tail(&mut state.info.stderr_tail, &data, STDERR_TAIL_LIMIT);
                        push_tail(&mut state.unread_stderr, &data, STDERR_TAIL_LIMIT);
                    }
                    ChannelMsg::Eof => {
                        let _ = pump_end.shutdown().await;
                        stdout_open = false;
                    }
                    ChannelMsg::ExitStatus { exit_status } => {
                        pump_state
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .info
                            .status = Some(exit_status);
                    }
                    ChannelMsg::ExitSignal {
                        signal_name: signal,
                        core_dumped,
                        ..
                    } => {
                        let mut state = pump_state.lock().unwrap_or_else(|p| p.into_inner());
                        state.info.signal = Some(signal_name(signal));
                        state.info.core_dumped = core_dumped;
                    }
                    ChannelMsg::Failure => {
                        pump_state.lock().unwrap_or_else(|p| p.into_inner()).refused = true;
                    }
                    ChannelMsg::Close => {
                        saw_close = true;
                        break;
                    }
                    _ => {}
                }
            }
            let _ = pump_end.shutdown().await;
            {
                let mut state = pump_state.lock().unwrap_or_else(|p| p.into_inner());
                let ended = state.info.status.is_some() || state.info.signal.is_some();
                let session = session.upgrade().map(|inner| Session { inner });
                let connection_gone = session.as_ref().is_none_or(Session::is_closed);
                if !ended && !state.refused && (!saw_close || connection_gone) {
                    let note = session.map(|s| s.bastion_note()).unwrap_or_default();
                    state.lost = Some(if note.is_empty() {
                        note
                    } else {
                        format!("; {note}")
                    });
                }
            }
            let _ = done_tx.send(true);
        });
        Ok(ExecChannel {
            stdin: writer,
            stdout: ExecReader { inner: reader_end },
            exit: ExecExit {
                state,
                done: done_rx,
                write_half,
                host: self.inner.host.clone(),
                command: short_command(command),
            },
        })
    }

    /// Runs `command` with `stdin` as its input, and collects stdout, stderr (each up to
    /// [`RUN_OUTPUT_LIMIT`]: more is an error) and the exit status, all within `timeout`.
    pub async fn run(
        &self,
        command: &str,
        stdin: &[u8],
        timeout: Duration,
    ) -> Result<ExecOutput, SshError> {
        let short = short_command(command);
        match tokio::time::timeout(timeout, self.run_unbounded(command, &short, stdin)).await {
            Ok(result) => result,
            Err(_) => Err(SshError::CommandTimeout {
                host: self.inner.host.clone(),
                command: short,
                after: timeout,
            }),
        }
    }

    async fn run_unbounded(
        &self,
        command: &str,
        short: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, SshError> {
        let channel = self.open_session_channel().await?;
        channel
            .exec(true, command)
            .await
            .map_err(|e| self.lost(format!("while starting `{short}`: {e}")))?;
        let (mut read_half, write_half) = channel.split();
        let mut writer = write_half.make_writer();
        let write = async {
            // The command may exit without reading its input: a failed write is not an error.
            if writer.write_all(stdin).await.is_ok() {
                let _ = writer.shutdown().await;
            }
        };
        let read = async {
            let mut output = ExecOutput {
                status: None,
                stdout: Vec::new(),
                stderr: Vec::new(),
            };
            let mut ended = false;
            let mut closed = false;
            while let Some(message) = read_half.wait().await {
                let (stream, data) = match message {
                    ChannelMsg::Data { data } => ("stdout", data),
                    ChannelMsg::ExtendedData { data, ext: 1 } => ("stderr", data),
                    ChannelMsg::ExitStatus { exit_status } => {
                        output.status = Some(exit_status);
                        ended = true;
                        continue;
                    }
                    ChannelMsg::ExitSignal { .. } => {
                        ended = true;
                        continue;
                    }
                    ChannelMsg::Failure => {
                        return Err(SshError::Channel {
                            host: self.inner.host.clone(),
                            what: format!("the server refused to run `{short}`"),
                        })
                    }
                    ChannelMsg::Close => {
                        closed = true;
                        break;
                    }
                    _ => continue,
                };
                let buffer = if stream == "stdout" {
                    &mut output.stdout
                } else {
                    &mut output.stderr
                };
                if buffer.len() + data.len() > RUN_OUTPUT_LIMIT {
                    let _ = write_half.close().await;
                    return Err(SshError::Channel {
                        host: self.inner.host.clone(),
                        what: format!(
                            "`{short}` wrote more than {} MiB to {stream}",
                            RUN_OUTPUT_LIMIT >> 20
                        ),
                    });
                }
                buffer.extend_from_slice(&data);
            }
            if !ended && (!closed || self.is_closed()) {
                return Err(self.lost(format!("while running `{short}`")));
            }
            Ok(output)
        };
        tokio::pin!(write, read);
        let mut writing = true;
        loop {
            tokio::select! {
                _ = &mut write, if writing => writing = false,
                result = &mut read => return result,
            }
        }
    }
}
