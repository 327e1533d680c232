//! Tests for `uri` (unit tests in temp dirs; see the module under test for what it owns).
use super::*;
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// What the test server saw: request line, headers (lowercased), body.
type Seen = Arc<Mutex<Vec<(String, Vec<(String, String)>, String)>>>;

/// A tiny HTTP/1.1 responder on 127.0.0.1 for a fixed number of connections.
fn serve(conns: usize) -> (String, Seen) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let base2 = base.clone();
    std::thread::spawn(move || {
        for s in l.incoming().take(conns).flatten() {
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                r.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                let (k, v) = h.trim().split_once(':').unwrap();
                headers.push((k.to_ascii_lowercase(), v.trim().to_string()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let path = line.split_whitespace().nth(1).unwrap().to_string();
            let authed = headers.iter().any(|(k, _)| k == "authorization");
            let body = String::from_utf8(body).unwrap();
            log.lock()
                .unwrap()
                .push((line.trim().to_string(), headers, body.clone()));
            let (status, extra, content) = match path.as_str() {
                "/json" => (
                    "200 OK",
                    "Content-Type: application/json\r\nX-Trace-Id: abc\r\n".to_string(),
                    r#"{"ok":true}"#.to_string(),
                ),
                "/echo" => ("201 Created", "Content-Type: text/plain\r\n".into(), body),
                "/missing" => ("404 Not Found", String::new(), "nope".into()),
                "/secret" if !authed => (
                    "401 Unauthorized",
                    "WWW-Authenticate: Basic realm=\"x\"\r\n".into(),
                    String::new(),
                ),
                "/secret" => ("200 OK", String::new(), "in".into()),
                "/moved" => (
                    "302 Found",
                    format!("Location: {base2}/json\r\n"),
                    String::new(),
                ),
                _ => ("500 Internal Server Error", String::new(), String::new()),
            };
            let mut s = s;
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{content}",
                content.len()
            );
        }
    });
    (base, seen)
}

fn get(url: String) -> Args {
    Args {
        url: Some(url),
        timeout: Some(5.0),
        ..Args::default()
    }
}

#[test]
fn get_json_returns_status_json_and_headers() {
    let (base, _) = serve(1);
    let r = run(get(format!("{base}/json")), &Context::detached(false)).unwrap();
    assert!(!r.failed, "{r:?}");
    assert_eq!(r.data["status"], 200);
    assert_eq!(r.data["json"], json!({"ok": true}));
    assert_eq!(r.data["x_trace_id"], "abc");
    assert_eq!(r.data["headers"]["content-type"], "application/json");
    assert!(r.data.get("content").is_none());
}

#[test]
fn post_json_body_with_expected_status() {
    let (base, seen) = serve(1);
    let mut a = get(format!("{base}/echo"));
    a.method = Some("post".into());
    a.body_format = Some("json".into());
    a.body = Some(json!({"name": "web", "replicas": 2}));
    a.status_code = Some(vec![200, 201]);
    a.return_content = Some(true);
    let r = run(a, &Context::detached(false)).unwrap();
    assert!(!r.failed, "{r:?}");
    assert_eq!(r.data["content"], r#"{"name":"web","replicas":2}"#);
    let seen = seen.lock().unwrap();
    assert!(seen[0].0.starts_with("POST /echo"));
    assert!(seen[0]
        .1
        .contains(&("content-type".into(), "application/json".into())));
}

#[test]
fn unexpected_status_fails() {
    let (base, _) = serve(1);
    let r = run(get(format!("{base}/missing")), &Context::detached(false)).unwrap();
    assert!(r.failed);
    assert_eq!(r.data["status"], 404);
    assert!(r
        .msg
        .unwrap()
        .starts_with("Status code was 404 and not [200]"));
}

#[test]
fn basic_auth_after_challenge_and_forced() {
    let (base, seen) = serve(3);
    let mut a = get(format!("{base}/secret"));
    a.url_username = Some("ops".into());
    a.url_password = Some("s3cret".into());
    let r = run(a, &Context::detached(false)).unwrap();
    assert!(!r.failed, "{r:?}");
    let mut a = get(format!("{base}/secret"));
    a.url_username = Some("ops".into());
    a.url_password = Some("s3cret".into());
    a.force_basic_auth = Some(true);
    assert!(!run(a, &Context::detached(false)).unwrap().failed);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "challenge, retry, forced");
    let auth = seen[2]
        .1
        .iter()
        .find(|(k, _)| k == "authorization")
        .unwrap();
    assert_eq!(auth.1, "Basic b3BzOnMzY3JldA==");
}

#[test]
fn redirects_follow_for_get_not_for_post() {
    let (base, _) = serve(3);
    let r = run(get(format!("{base}/moved")), &Context::detached(false)).unwrap();
    assert!(!r.failed, "{r:?}");
    assert_eq!(r.data["redirected"], true);
    assert_eq!(r.data["url"], format!("{base}/json"));
    let mut a = get(format!("{base}/moved"));
    a.method = Some("POST".into());
    a.status_code = Some(vec![302]);
    let r = run(a, &Context::detached(false)).unwrap();
    assert!(!r.failed, "{r:?}");
    assert_eq!(r.data["status"], 302);
}

#[test]
fn connection_refused_is_status_minus_one() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = run(
        get(format!("http://127.0.0.1:{port}/")),
        &Context::detached(false),
    )
    .unwrap();
    assert!(r.failed);
    assert_eq!(r.data["status"], -1);
}

#[test]
fn form_encoding_and_status_code_forms() {
    assert_eq!(
        form_encode(&json!({"a": "x y", "b": "&"})).unwrap(),
        "a=x+y&b=%26"
    );
    assert_eq!(form_encode(&json!([["k", 1]])).unwrap(), "k=1");
    let a: Args = serde_json::from_value(json!({"url": "x", "status_code": "200, 204"})).unwrap();
    assert_eq!(a.status_code.unwrap(), vec![200, 204]);
    let a: Args = serde_json::from_value(json!({"url": "x", "status_code": 301})).unwrap();
    assert_eq!(a.status_code.unwrap(), vec![301]);
}

#[test]
fn check_mode_sends_reads_but_not_writes() {
    let (base, seen) = serve(1);
    let mut post = get(format!("{base}/echo"));
    post.method = Some("POST".into());
    post.body = Some(json!("x"));
    let mut ctx = Context::detached(true);
    ctx.diff = true;
    let r = run(post, &ctx).unwrap();
    assert!(r.changed && r.msg.as_deref().unwrap().contains("not sent in check mode"));
    assert_eq!(r.diff[0].after, "request: would be sent\n");
    let r = run(get(format!("{base}/json")), &ctx).unwrap();
    assert_eq!(r.data["status"], 200);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "only the GET reached the server");
    assert!(seen[0].0.starts_with("GET /json"));
}
