//! The request loop: frames in on stdin, one response per request out on stdout.
//!
//! A reader thread turns the input into frames so that the end of the input is seen even
//! while a module runs: the controller closing the channel sets the cancel flag, which makes
//! the process runner kill any running child. Requests are still handled one at a time, in
//! order, on the calling thread.

use crate::frames::{read_frame, write_response, ReadError};
use crate::{facts, log_debug, log_error, log_info, log_warn, modules};
use play_protocol::{Request, RequestBody, Response, ResponseBody, PROTOCOL_VERSION};
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

/// The controller shut the agent down or closed the channel.
pub const EXIT_OK: i32 = 0;
/// Writing a response failed (the channel broke).
pub const EXIT_IO: i32 = 1;
/// The controller spoke garbage, another protocol version, or skipped `hello`.
pub const EXIT_PROTOCOL: i32 = 2;

/// What the agent says about itself in `hello`.
pub struct AgentIdentity {
    /// Hex sha256 of the running binary, so the controller can tell which build answered.
    pub sha256: String,
}

enum Incoming {
    Frame(Vec<u8>),
    End,
    Bad(ReadError),
}

/// Serves requests from `input` until shutdown, end of input, or a protocol error; returns
/// the process exit code.
pub fn serve<R, W>(input: R, mut output: W, me: &AgentIdentity) -> i32
where
    R: Read + Send + 'static,
    W: Write,
{
    let cancel = Arc::new(AtomicBool::new(false));
    let rx = spawn_reader(input, Arc::clone(&cancel));
    let mut greeted = false;
    for incoming in rx {
        let payload = match incoming {
            Incoming::Frame(p) => p,
            Incoming::End => {
                log_info!("the controller closed the channel; exiting");
                return EXIT_OK;
            }
            Incoming::Bad(e) => {
                log_error!("{e}");
                let _ = respond(&mut output, 0, error_body(e.to_string()));
                return EXIT_PROTOCOL;
            }
        };
        let (id, request) = match parse_request(&payload) {
            Ok(parsed) => parsed,
            Err((id, message)) => {
                log_error!("request {id}: {message}");
                let _ = respond(&mut output, id, error_body(message));
                // Not even JSON means the stream is out of step; an unknown request kind
                // from a newer controller after a good hello is answered and survived.
                if id == 0 || !greeted {
                    return EXIT_PROTOCOL;
                }
                continue;
            }
        };
        let step = handle(request, &mut greeted, me, &cancel);
        if respond(&mut output, id, step.body).is_err() {
            log_error!("could not write the response to request {id}: the channel is gone");
            return EXIT_IO;
        }
        if let Some(code) = step.exit {
            return code;
        }
    }
    EXIT_OK
}

fn spawn_reader<R: Read + Send + 'static>(
    mut input: R,
    cancel: Arc<AtomicBool>,
) -> mpsc::Receiver<Incoming> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || loop {
        let msg = match read_frame(&mut input) {
            Ok(Some(p)) => Incoming::Frame(p),
            Ok(None) => Incoming::End,
            Err(e) => Incoming::Bad(e),
        };
        let last = !matches!(msg, Incoming::Frame(_));
        if last {
            cancel.store(true, Ordering::SeqCst);
        }
        if tx.send(msg).is_err() || last {
            return;
        }
    });
    rx
}

/// Parses a payload into a request, or returns the id to answer (0 when unknown) and why.
fn parse_request(payload: &[u8]) -> Result<(u64, Request), (u64, String)> {
    let value: Value = serde_json::from_slice(payload)
        .map_err(|e| (0, format!("malformed frame: not JSON ({e})")))?;
    let id = value.get("id").and_then(Value::as_u64).unwrap_or(0);
    let request: Request = serde_json::from_value(value).map_err(|e| {
        (
            id,
            format!(
                "unsupported request ({e}); this agent is version {}",
                env!("CARGO_PKG_VERSION")
            ),
        )
    })?;
    Ok((id, request))
}

struct Step {
    body: ResponseBody,
    exit: Option<i32>,
}

fn reply(body: ResponseBody) -> Step {
    Step { body, exit: None }
}

fn handle(request: Request, greeted: &mut bool, me: &AgentIdentity, cancel: &AtomicBool) -> Step {
    match request.body {
        RequestBody::Hello {
            protocol,
            controller,
        } => {
            if protocol != PROTOCOL_VERSION {
                let message = format!(
                    "protocol mismatch: the controller ({controller}) speaks protocol {protocol}, this agent ({}) speaks {PROTOCOL_VERSION}; \
                     the controller must upload the agent that matches it",
                    env!("CARGO_PKG_VERSION")
                );
                log_error!("{message}");
                return Step {
                    body: error_body(message),
                    exit: Some(EXIT_PROTOCOL),
                };
            }
            if *greeted {
                return reply(error_body(
                    "hello was already received on this channel".into(),
                ));
            }
            *greeted = true;
            log_info!("hello from controller {controller}");
            reply(ResponseBody::Hello {
                protocol: PROTOCOL_VERSION,
                agent: env!("CARGO_PKG_VERSION").to_string(),
                pid: std::process::id(),
                sha256: me.sha256.clone(),
            })
        }
        _ if !*greeted => {
            log_error!("the first request was not hello");
            Step {
                body: error_body(
                    "the first request must be hello (protocol handshake); refusing to serve"
                        .into(),
                ),
                exit: Some(EXIT_PROTOCOL),
            }
        }
        RequestBody::Facts => reply(ResponseBody::Facts {
            facts: facts::gather(),
        }),
        RequestBody::Run(call) => {
            if call.no_log {
                log_debug!("run {} (no_log)", call.module);
            } else {
                let keys: Vec<&str> = call.args.keys().map(String::as_str).collect();
                log_debug!("run {} check={} keys={keys:?}", call.module, call.check);
            }
            let result = modules::dispatch(&call, cancel);
            if result.failed {
                log_warn!("{} failed", call.module);
            } else {
                log_debug!("{} done, changed={}", call.module, result.changed);
            }
            reply(ResponseBody::Result(result))
        }
        RequestBody::Shutdown => {
            log_info!("shutdown requested");
            Step {
                body: ResponseBody::Bye,
                exit: Some(EXIT_OK),
            }
        }
    }
}

fn error_body(message: String) -> ResponseBody {
    ResponseBody::Error { message }
}

fn respond(output: &mut impl Write, id: u64, body: ResponseBody) -> std::io::Result<()> {
    write_response(output, &Response { id, body })
}

#[cfg(test)]
#[path = "serve_tests.rs"]
mod tests;
