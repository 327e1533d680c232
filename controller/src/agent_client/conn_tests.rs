//! The controller's agent client against a misbehaving peer: garbage instead of frames, a
//! frame cut short, a header announcing more than the limit, an answer to the wrong request.
//!
//! The peer is the far end of a `tokio::io::duplex`, scripted by writing its bytes up front;
//! keeping that end open or dropping it decides whether the client sees a stall or an EOF.
//! Every call is bounded by a timeout, so a client that waits forever fails the test instead
//! of hanging it. A counting reader records the largest read buffer the client ever offered,
//! which is how much it allocated for a payload: it must never be the announced size of a
//! frame that does not arrive.

use super::*;
use play_protocol::{encode_frame, Response, ResponseBody, MAX_FRAME_BYTES};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncWriteExt, DuplexStream, ReadBuf};

/// The bound on every client call in these tests; nothing here should take more than a blink.
const BOUND: Duration = Duration::from_secs(5);

/// Reads from a duplex end and remembers the largest buffer a caller offered.
struct Counting {
    inner: DuplexStream,
    largest: Arc<AtomicUsize>,
}

impl AsyncRead for Counting {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let me = self.get_mut();
        me.largest.fetch_max(buf.remaining(), Ordering::Relaxed);
        Pin::new(&mut me.inner).poll_read(cx, buf)
    }
}

/// The agent's ends of the two pipes: `out` is what it says; `_in` (the controller's
/// requests, which nobody reads here) stays open so the controller's writes never fail.
struct AgentSide {
    out: DuplexStream,
    _in: DuplexStream,
}

/// A scripted agent: the controller's reader and writer, the agent's side, and the gauge.
struct Peer {
    reader: Counting,
    writer: DuplexStream,
    agent: AgentSide,
    largest: Arc<AtomicUsize>,
}

fn peer() -> Peer {
    // Room for the controller's requests, which nobody reads here.
    let (to_controller, agent_out) = tokio::io::duplex(1 << 20);
    let (controller_out, agent_in) = tokio::io::duplex(1 << 20);
    let largest = Arc::new(AtomicUsize::new(0));
    Peer {
        reader: Counting {
            inner: to_controller,
            largest: largest.clone(),
        },
        writer: controller_out,
        agent: AgentSide {
            out: agent_out,
            _in: agent_in,
        },
        largest,
    }
}

fn hello_frame() -> Vec<u8> {
    encode_frame(&Response {
        id: 0,
        body: ResponseBody::Hello {
            protocol: PROTOCOL_VERSION,
            agent: "test".into(),
            pid: 42,
            sha256: String::new(),
        },
    })
    .unwrap()
}

fn ping() -> ModuleCall {
    ModuleCall {
        module: "ping".into(),
        args: Map::new(),
        check: false,
        diff: false,
        no_log: false,
        environment: Default::default(),
        become_user: None,
        timeout_secs: None,
    }
}

type Handshake = Result<AgentConn<Counting, DuplexStream>, AgentError>;

async fn handshake(p: Peer) -> (Handshake, AgentSide) {
    let got = tokio::time::timeout(BOUND, AgentConn::handshake(p.reader, p.writer, "test"))
        .await
        .expect("the handshake hung on a misbehaving peer");
    (got, p.agent)
}

#[tokio::test]
async fn text_instead_of_frames_is_refused_from_the_header_alone() {
    // What a login banner or a shell error looks like on the channel: "HTTP" read as a
    // length is over a gigabyte.
    let mut p = peer();
    let largest = p.largest.clone();
    p.agent
        .out
        .write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nsh: 1: play-agent: not found\n")
        .await
        .unwrap();
    let (got, _agent) = handshake(p).await;
    let err = got.err().expect("garbage accepted as a handshake");
    assert!(
        matches!(&err, AgentError::Protocol(m) if m.contains("exceeds")),
        "{err}"
    );
    assert!(
        largest.load(Ordering::Relaxed) <= FRAME_HEADER_BYTES,
        "read past the header of a refused frame"
    );
}

#[tokio::test]
async fn oversized_header_is_refused_without_allocating_or_waiting() {
    // The agent end stays open and sends nothing more: a client that tried to read the
    // announced payload would hang here, one that allocated it would offer a 4 GiB buffer.
    let mut p = peer();
    let largest = p.largest.clone();
    p.agent
        .out
        .write_all(&u32::MAX.to_be_bytes())
        .await
        .unwrap();
    let (got, _agent) = handshake(p).await;
    let err = got.err().expect("an oversized frame was accepted");
    let msg = err.to_string();
    assert!(
        msg.contains("4294967295") && msg.contains(&MAX_FRAME_BYTES.to_string()),
        "{msg}"
    );
    assert!(largest.load(Ordering::Relaxed) <= FRAME_HEADER_BYTES);
}

#[tokio::test]
async fn small_garbage_payload_is_a_protocol_error() {
    let mut p = peer();
    p.agent.out.write_all(b"\0\0\0\x05hello").await.unwrap();
    let (got, _agent) = handshake(p).await;
    let err = got.err().expect("a non-JSON payload was accepted");
    assert!(
        matches!(&err, AgentError::Protocol(m) if m.contains("malformed")),
        "{err}"
    );
}

#[tokio::test]
async fn the_not_cached_marker_is_told_apart_from_garbage_and_says_whether_gzip_is_there() {
    for (said, gzip) in [
        (&b"PLAYgzip"[..], true),
        (b"PLAY", false),
        (b"PLAYzip", false),
    ] {
        let mut p = peer();
        p.agent.out.write_all(said).await.unwrap();
        // The start command exits after the marker.
        drop(p.agent.out);
        let got = tokio::time::timeout(BOUND, AgentConn::handshake(p.reader, p.writer, "test"))
            .await
            .expect("hung after the marker");
        assert!(
            matches!(got, Err(AgentError::Missing { gzip: g }) if g == gzip),
            "{said:?}"
        );
    }
}

#[tokio::test]
async fn a_marker_without_an_end_still_counts_as_not_cached_without_gzip() {
    let mut p = peer();
    p.agent.out.write_all(b"PLAYgz").await.unwrap();
    let (got, _agent) = handshake(p).await;
    assert!(matches!(got, Err(AgentError::Missing { gzip: false })));
}

#[tokio::test]
async fn a_truncated_frame_then_eof_says_the_agent_died_mid_answer() {
    let mut p = peer();
    let mut bytes = hello_frame();
    bytes.truncate(bytes.len() - 3);
    p.agent.out.write_all(&bytes).await.unwrap();
    drop(p.agent.out);
    let got = tokio::time::timeout(BOUND, AgentConn::handshake(p.reader, p.writer, "test"))
        .await
        .expect("hung on a truncated frame after EOF");
    let err = got.err().expect("a truncated handshake was accepted");
    assert!(
        matches!(&err, AgentError::Died(m) if m.contains("mid-answer")),
        "{err}"
    );
}

#[tokio::test]
async fn a_truncated_header_then_eof_is_a_death_before_the_handshake() {
    let mut p = peer();
    p.agent.out.write_all(&[0, 0]).await.unwrap();
    drop(p.agent.out);
    let got = tokio::time::timeout(BOUND, AgentConn::handshake(p.reader, p.writer, "test"))
        .await
        .expect("hung on a truncated header after EOF");
    let err = got.err().expect("a 2-byte handshake was accepted");
    assert!(
        matches!(&err, AgentError::Died(m) if m.contains("before the handshake")),
        "{err}"
    );
}

#[tokio::test]
async fn a_stalled_answer_is_bounded_by_the_task_timeout() {
    // Handshake fine, then half an answer and silence with the channel open: the task's
    // timeout is what ends the wait.
    let mut p = peer();
    p.agent.out.write_all(&hello_frame()).await.unwrap();
    let (got, mut agent) = handshake(p).await;
    let mut conn = got.expect("handshake");
    assert_eq!(conn.pid, 42);
    agent.out.write_all(&[0, 0, 1, 0, b'{']).await.unwrap();
    let err = tokio::time::timeout(BOUND, conn.run(ping(), Some(Duration::from_millis(200))))
        .await
        .expect("run() ignored its timeout")
        .expect_err("half a frame was taken for an answer");
    assert!(matches!(err, AgentError::Timeout(_)), "{err}");
}

#[tokio::test]
async fn garbage_after_the_handshake_fails_the_call_without_reading_on() {
    let mut p = peer();
    let largest = p.largest.clone();
    p.agent.out.write_all(&hello_frame()).await.unwrap();
    let (got, mut agent) = handshake(p).await;
    let mut conn = got.expect("handshake");
    let after_hello = largest.load(Ordering::Relaxed);
    agent.out.write_all(b"Segmentation fault\n").await.unwrap();
    let err = tokio::time::timeout(BOUND, conn.run(ping(), None))
        .await
        .expect("run() hung on garbage")
        .expect_err("garbage was taken for an answer");
    assert!(matches!(err, AgentError::Protocol(_)), "{err}");
    assert_eq!(largest.load(Ordering::Relaxed), after_hello);
}

#[tokio::test]
async fn an_answer_to_another_request_is_refused() {
    let mut p = peer();
    p.agent.out.write_all(&hello_frame()).await.unwrap();
    let (got, mut agent) = handshake(p).await;
    let mut conn = got.expect("handshake");
    let stray = encode_frame(&Response {
        id: 99,
        body: ResponseBody::Error {
            message: "not yours".into(),
        },
    })
    .unwrap();
    agent.out.write_all(&stray).await.unwrap();
    let err = tokio::time::timeout(BOUND, conn.run(ping(), None))
        .await
        .expect("run() hung")
        .expect_err("an answer to request 99 was taken for request 1");
    assert!(
        matches!(&err, AgentError::Protocol(m) if m.contains("99")),
        "{err}"
    );
}

#[tokio::test]
async fn a_lying_header_under_the_limit_allocates_only_what_arrives() {
    // Within the limit, so not refused from the header; then three bytes and EOF. The
    // agent's reader grows its buffer as bytes arrive (agent/src/frames.rs); the client
    // should too, instead of `vec![0; len]` for a frame that never comes.
    let mut p = peer();
    let largest = p.largest.clone();
    p.agent
        .out
        .write_all(&MAX_FRAME_BYTES.to_be_bytes())
        .await
        .unwrap();
    p.agent.out.write_all(b"{\"i").await.unwrap();
    drop(p.agent.out);
    let got = tokio::time::timeout(BOUND, AgentConn::handshake(p.reader, p.writer, "test"))
        .await
        .expect("hung");
    assert!(matches!(got, Err(AgentError::Died(_))));
    let offered = largest.load(Ordering::Relaxed);
    assert!(
        offered <= 64 * 1024,
        "offered a {offered}-byte buffer for a frame that sent 3 bytes"
    );
}
