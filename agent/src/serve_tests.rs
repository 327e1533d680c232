//! Tests for the request loop, driven over in-memory readers and pipes.
use super::*;
use play_protocol::{encode_frame, ModuleCall};
use serde_json::json;
use std::io::Cursor;
use std::time::{Duration, Instant};

fn me() -> AgentIdentity {
    AgentIdentity {
        sha256: "feed".into(),
    }
}

fn frame(v: serde_json::Value) -> Vec<u8> {
    encode_frame(&v).unwrap()
}

fn hello(id: u64) -> Vec<u8> {
    frame(json!({"id": id, "type": "hello", "protocol": PROTOCOL_VERSION, "controller": "test"}))
}

fn responses(out: &[u8]) -> Vec<Response> {
    let mut r = Cursor::new(out);
    let mut v = Vec::new();
    while let Some(p) = read_frame(&mut r).unwrap() {
        v.push(serde_json::from_slice(&p).unwrap());
    }
    v
}

fn drive(input: Vec<u8>) -> (i32, Vec<Response>) {
    let mut out = Vec::new();
    let code = serve(Cursor::new(input), &mut out, &me());
    (code, responses(&out))
}

#[test]
fn hello_facts_run_shutdown() {
    let mut input = hello(1);
    input.extend(frame(json!({"id": 2, "type": "facts"})));
    input.extend(frame(
        json!({"id": 3, "type": "run", "module": "ping", "args": {"data": "x"}}),
    ));
    input.extend(frame(json!({"id": 4, "type": "shutdown"})));
    input.extend(frame(json!({"id": 5, "type": "facts"})));
    let (code, r) = drive(input);
    assert_eq!(code, EXIT_OK);
    assert_eq!(r.len(), 4, "nothing is answered after shutdown");
    match &r[0].body {
        ResponseBody::Hello {
            protocol,
            pid,
            sha256,
            ..
        } => {
            assert_eq!(*protocol, PROTOCOL_VERSION);
            assert_eq!(*pid, std::process::id());
            assert_eq!(sha256, "feed");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&r[1].body, ResponseBody::Facts { facts } if facts.contains_key("ansible_hostname"))
    );
    assert!(matches!(&r[2].body, ResponseBody::Result(res) if res.data["ping"] == "x"));
    assert_eq!((r[3].id, &r[3].body), (4, &ResponseBody::Bye));
}

#[test]
fn first_request_must_be_hello() {
    let (code, r) = drive(frame(json!({"id": 7, "type": "facts"})));
    assert_eq!(code, EXIT_PROTOCOL);
    assert_eq!(r[0].id, 7);
    assert!(
        matches!(&r[0].body, ResponseBody::Error { message } if message.contains("must be hello"))
    );
}

#[test]
fn protocol_mismatch_is_refused() {
    let (code, r) = drive(frame(
        json!({"id": 1, "type": "hello", "protocol": 99, "controller": "9.9"}),
    ));
    assert_eq!(code, EXIT_PROTOCOL);
    assert!(
        matches!(&r[0].body, ResponseBody::Error { message } if message.contains("protocol mismatch"))
    );
}

#[test]
fn garbage_payload_gets_an_error_then_exit() {
    let mut input = hello(1);
    input.extend(3u32.to_be_bytes());
    input.extend(b"\xff\x00x");
    let (code, r) = drive(input);
    assert_eq!(code, EXIT_PROTOCOL);
    assert!(matches!(&r[1].body, ResponseBody::Error { message } if message.contains("not JSON")));
}

#[test]
fn oversized_and_truncated_frames() {
    let mut input = hello(1);
    input.extend(u32::MAX.to_be_bytes());
    let (code, r) = drive(input);
    assert_eq!(code, EXIT_PROTOCOL);
    assert!(matches!(&r[1].body, ResponseBody::Error { message } if message.contains("exceeds")));
    let mut input = hello(1);
    input.extend(100u32.to_be_bytes());
    input.extend(b"{\"id\":");
    let (code, r) = drive(input);
    assert_eq!(code, EXIT_PROTOCOL);
    assert!(matches!(&r[1].body, ResponseBody::Error { message } if message.contains("truncated")));
}

#[test]
fn unknown_request_kind_after_hello_is_survived() {
    let mut input = hello(1);
    input.extend(frame(json!({"id": 2, "type": "teleport"})));
    input.extend(frame(json!({"id": 3, "type": "shutdown"})));
    let (code, r) = drive(input);
    assert_eq!(code, EXIT_OK);
    assert_eq!(r[1].id, 2);
    assert!(
        matches!(&r[1].body, ResponseBody::Error { message } if message.contains("unsupported request"))
    );
    assert_eq!(r[2].body, ResponseBody::Bye);
}

#[test]
fn clean_eof_exits_zero() {
    let (code, r) = drive(hello(1));
    assert_eq!(code, EXIT_OK);
    assert_eq!(r.len(), 1);
    let (code, r) = drive(Vec::new());
    assert_eq!((code, r.len()), (EXIT_OK, 0));
}

#[test]
fn eof_while_a_module_runs_kills_the_child() {
    let (reader, mut writer) = std::io::pipe().unwrap();
    let call = ModuleCall {
        module: "shell".into(),
        args: json!({"_raw_params": "sleep 30"})
            .as_object()
            .unwrap()
            .clone(),
        check: false,
        diff: false,
        no_log: false,
        environment: Default::default(),
        become_user: None,
        timeout_secs: None,
    };
    let run = encode_frame(&Request {
        id: 2,
        body: RequestBody::Run(call),
    })
    .unwrap();
    std::io::Write::write_all(&mut writer, &hello(1)).unwrap();
    std::io::Write::write_all(&mut writer, &run).unwrap();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(writer);
    });
    let started = Instant::now();
    let mut out = Vec::new();
    let code = serve(reader, &mut out, &me());
    assert_eq!(code, EXIT_OK);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let r = responses(&out);
    assert!(
        matches!(&r[1].body, ResponseBody::Result(res) if res.failed && res.msg.as_deref().unwrap().contains("closed the connection"))
    );
}

#[test]
fn run_timeout_is_honoured() {
    let mut input = hello(1);
    input.extend(frame(json!({"id": 2, "type": "run", "module": "command",
        "args": {"argv": ["sleep", "30"]}, "timeout_secs": 1})));
    let (reader, mut writer) = std::io::pipe().unwrap();
    std::io::Write::write_all(&mut writer, &input).unwrap();
    let started = Instant::now();
    let mut out = Vec::new();
    // Keep the writer open until the answer is in, so EOF does not cancel the run.
    let handle = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(4));
        drop(writer);
    });
    let code = serve(reader, &mut out, &me());
    handle.join().unwrap();
    assert_eq!(code, EXIT_OK);
    let r = responses(&out);
    match &r[1].body {
        ResponseBody::Result(res) => {
            assert!(res.failed);
            assert!(
                res.msg.as_deref().unwrap().contains("timed out after 1 s"),
                "{res:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(6));
}
