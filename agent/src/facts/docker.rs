//! `play_docker`: whether Docker is installed and which engine version answers on its
//! socket (`GET /version`, structured JSON rather than parsing CLI output).

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

pub const SOCKET: &str = "/var/run/docker.sock";

/// The engine version from a raw HTTP response to `GET /version`.
pub fn version_from_response(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.") || head.split_whitespace().nth(1).is_none_or(|s| s != "200") {
        return None;
    }
    let v: Value = serde_json::from_str(body.trim()).ok()?;
    v.get("Version")?.as_str().map(str::to_string)
}

fn query(socket: &Path) -> Option<String> {
    let mut s = UnixStream::connect(socket).ok()?;
    let limit = Some(Duration::from_millis(1500));
    s.set_read_timeout(limit).ok()?;
    s.set_write_timeout(limit).ok()?;
    // HTTP/1.0: the engine answers without chunking and closes the connection.
    s.write_all(b"GET /version HTTP/1.0\r\nHost: docker\r\n\r\n")
        .ok()?;
    let mut raw = Vec::new();
    s.take(1024 * 1024).read_to_end(&mut raw).ok()?;
    version_from_response(&raw)
}

pub fn fact() -> Value {
    let socket = Path::new(SOCKET);
    let installed = socket.exists()
        || [
            "/usr/bin/docker",
            "/usr/bin/dockerd",
            "/usr/local/bin/docker",
        ]
        .iter()
        .any(|p| Path::new(p).exists());
    let version = if socket.exists() { query(socket) } else { None };
    json!({"installed": installed, "version": version})
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn parses_version_response() {
        let raw = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Version\":\"24.0.7\",\"ApiVersion\":\"1.43\"}\n";
        assert_eq!(version_from_response(raw).as_deref(), Some("24.0.7"));
        assert!(version_from_response(b"HTTP/1.0 500 Oops\r\n\r\n{}").is_none());
        assert!(version_from_response(b"garbage").is_none());
    }

    #[test]
    fn queries_a_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let l = UnixListener::bind(&path).unwrap();
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            s.write_all(b"HTTP/1.0 200 OK\r\n\r\n{\"Version\":\"26.1.0\"}")
                .unwrap();
        });
        assert_eq!(query(&path).as_deref(), Some("26.1.0"));
    }
}
