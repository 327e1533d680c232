//! Request/response over frames with a started agent.

use play_protocol::{
    decode_len, encode_frame, frame::decode_payload, ModuleCall, ModuleResult, Request,
    RequestBody, Response, ResponseBody, FRAME_HEADER_BYTES, PROTOCOL_VERSION,
};
use serde_json::{Map, Value};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Why talking to the agent failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The cached binary is absent on the host (the start command printed the marker);
    /// `gzip`: the host can unpack a gzipped upload.
    #[error("the agent is not cached on the host")]
    Missing { gzip: bool },
    /// The channel closed: the agent died, was killed, or the connection dropped.
    #[error("the agent exited unexpectedly{0}")]
    Died(String),
    /// The agent would not run from where it is cached (a folder or binary others can write).
    #[error("the agent refuses to run from an unsafe place: {0}")]
    Unsafe(String),
    #[error("no answer from the agent within {0} s")]
    Timeout(u64),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("the agent refused the request: {0}")]
    Refused(String),
}

/// A started agent: one request at a time.
pub struct AgentConn<R, W> {
    reader: R,
    writer: W,
    next_id: u64,
    /// The agent's pid on the host and its self-reported sha256.
    pub pid: u32,
    pub sha256: String,
}

impl<R: AsyncRead + Unpin + Send, W: AsyncWrite + Unpin + Send> AgentConn<R, W> {
    /// Performs the handshake. Reads the first 4 bytes first: `PLAY` means "not cached".
    pub async fn handshake(
        mut reader: R,
        mut writer: W,
        controller: &str,
    ) -> Result<Self, AgentError> {
        let hello = Request {
            id: 0,
            body: RequestBody::Hello {
                protocol: PROTOCOL_VERSION,
                controller: controller.to_string(),
            },
        };
        write_frame(&mut writer, &hello).await?;
        let mut header = [0u8; FRAME_HEADER_BYTES];
        reader
            .read_exact(&mut header)
            .await
            .map_err(|e| AgentError::Died(format!(" before the handshake ({e})")))?;
        if &header == b"PLAY" {
            return Err(AgentError::Missing {
                gzip: host_has_gzip(&mut reader).await,
            });
        }
        let resp = read_payload(&mut reader, header).await?;
        match resp.body {
            ResponseBody::Hello { protocol, pid, .. } if protocol == PROTOCOL_VERSION => {
                let sha256 = resp_sha(&resp);
                Ok(Self { reader, writer, next_id: 1, pid, sha256 })
            }
            ResponseBody::Hello { protocol, agent, .. } => Err(AgentError::Protocol(format!(
                "agent {agent} speaks protocol {protocol}, this controller speaks {PROTOCOL_VERSION}"
            ))),
            ResponseBody::Error { message } => Err(AgentError::Refused(message)),
            other => Err(AgentError::Protocol(format!("expected hello, got {other:?}"))),
        }
    }

    async fn call(
        &mut self,
        body: RequestBody,
        timeout: Option<Duration>,
    ) -> Result<ResponseBody, AgentError> {
        let id = self.next_id;
        self.next_id += 1;
        write_frame(&mut self.writer, &Request { id, body }).await?;
        let read = async {
            let mut header = [0u8; FRAME_HEADER_BYTES];
            self.reader
                .read_exact(&mut header)
                .await
                .map_err(|e| AgentError::Died(format!(" ({e})")))?;
            read_payload(&mut self.reader, header).await
        };
        let resp = match timeout {
            Some(t) => tokio::time::timeout(t, read)
                .await
                .map_err(|_| AgentError::Timeout(t.as_secs()))??,
            None => read.await?,
        };
        if resp.id != id {
            return Err(AgentError::Protocol(format!(
                "answer to request {} while waiting for {id}",
                resp.id
            )));
        }
        Ok(resp.body)
    }

    pub async fn facts(
        &mut self,
        timeout: Option<Duration>,
    ) -> Result<Map<String, Value>, AgentError> {
        match self.call(RequestBody::Facts, timeout).await? {
            ResponseBody::Facts { facts } => Ok(facts),
            ResponseBody::Error { message } => Err(AgentError::Refused(message)),
            other => Err(AgentError::Protocol(format!(
                "expected facts, got {other:?}"
            ))),
        }
    }

    pub async fn run(
        &mut self,
        call: ModuleCall,
        timeout: Option<Duration>,
    ) -> Result<ModuleResult, AgentError> {
        match self.call(RequestBody::Run(call), timeout).await? {
            ResponseBody::Result(r) => Ok(r),
            ResponseBody::Error { message } => Err(AgentError::Refused(message)),
            other => Err(AgentError::Protocol(format!(
                "expected a result, got {other:?}"
            ))),
        }
    }

    /// Asks the agent to exit; errors are irrelevant at this point.
    pub async fn shutdown(mut self) {
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            self.call(RequestBody::Shutdown, None),
        )
        .await;
        let _ = self.writer.shutdown().await;
    }
}

/// After the not-cached marker the start command prints `gzip` when the host has it, and
/// exits. Anything else, or no end within 2 s, means "send the agent as it is".
async fn host_has_gzip<R: AsyncRead + Unpin>(reader: &mut R) -> bool {
    let mut rest = Vec::new();
    let mut limited = reader.take(16);
    let read = limited.read_to_end(&mut rest);
    matches!(
        tokio::time::timeout(Duration::from_secs(2), read).await,
        Ok(Ok(_))
    ) && rest == b"gzip"
}

fn resp_sha(resp: &Response) -> String {
    // The sha256 field is optional in the wire type's older form; read it from JSON.
    serde_json::to_value(resp)
        .ok()
        .and_then(|v| v.get("sha256").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

async fn write_frame<W: AsyncWrite + Unpin>(w: &mut W, req: &Request) -> Result<(), AgentError> {
    let frame = encode_frame(req).map_err(|e| AgentError::Protocol(e.to_string()))?;
    w.write_all(&frame)
        .await
        .map_err(|e| AgentError::Died(format!(" ({e})")))?;
    w.flush()
        .await
        .map_err(|e| AgentError::Died(format!(" ({e})")))
}

async fn read_payload<R: AsyncRead + Unpin>(
    r: &mut R,
    header: [u8; FRAME_HEADER_BYTES],
) -> Result<Response, AgentError> {
    let len = decode_len(header).map_err(|e| AgentError::Protocol(e.to_string()))?;
    // Grow the buffer as bytes arrive: a header that lies about its length costs nothing.
    let mut payload = Vec::new();
    r.take(len as u64)
        .read_to_end(&mut payload)
        .await
        .map_err(|e| AgentError::Died(format!(" mid-answer ({e})")))?;
    if payload.len() < len {
        return Err(AgentError::Died(format!(
            " mid-answer (the channel closed after {} of {len} bytes)",
            payload.len()
        )));
    }
    decode_payload(&payload).map_err(|e| AgentError::Protocol(e.to_string()))
}

#[cfg(test)]
#[path = "conn_tests.rs"]
mod tests;
