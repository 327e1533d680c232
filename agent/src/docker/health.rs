//! Waiting for a container to become healthy: by Docker's own HEALTHCHECK status, or by an
//! HTTP GET from the host (the release's `health.http`), always bounded by a deadline and
//! giving up early when the container has exited, so a crash-looping release fails fast.

use super::client::Docker;
use super::http;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Why a wait ended without health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unhealthy {
    pub reason: String,
}

/// The container's state: (running, health status if it has a healthcheck, exit code).
fn state(docker: &Docker, id: &str) -> Result<(bool, Option<String>, i64), Unhealthy> {
    let v = docker
        .container_inspect(id)
        .map_err(|e| Unhealthy {
            reason: format!("inspecting the container: {e}"),
        })?
        .ok_or_else(|| Unhealthy {
            reason: "the container disappeared".into(),
        })?;
    let s = &v["State"];
    Ok((
        s["Running"].as_bool().unwrap_or(false),
        s["Health"]["Status"].as_str().map(str::to_string),
        s["ExitCode"].as_i64().unwrap_or(-1),
    ))
}

fn exited(code: i64) -> Unhealthy {
    Unhealthy {
        reason: format!("the container exited (status {code})"),
    }
}

/// Waits until Docker reports the container `healthy`; `abort` is polled each round (the
/// release stops waiting when the agent was asked to stop).
pub fn wait_docker_healthy(
    docker: &Docker,
    id: &str,
    timeout: Duration,
    interval: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<(), Unhealthy> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(reason) = abort() {
            return Err(Unhealthy { reason });
        }
        let (running, health, code) = state(docker, id)?;
        match health.as_deref() {
            None => {
                return Err(Unhealthy {
                    reason: "the container has no healthcheck (set healthcheck, or use an image with a HEALTHCHECK)".into(),
                })
            }
            Some("healthy") => return Ok(()),
            Some("unhealthy") => {
                return Err(Unhealthy {
                    reason: "Docker reports the container unhealthy".into(),
                })
            }
            _ if !running => return Err(exited(code)),
            _ => {}
        }
        if Instant::now() >= deadline {
            return Err(Unhealthy {
                reason: format!(
                    "not healthy within {}s (Docker health: {})",
                    timeout.as_secs(),
                    health.unwrap_or_default()
                ),
            });
        }
        std::thread::sleep(interval);
    }
}

/// Waits until `GET url` answers `expect_status`, while the container keeps running.
pub fn wait_http(
    docker: &Docker,
    id: &str,
    url: &str,
    expect_status: u16,
    timeout: Duration,
    interval: Duration,
    abort: &dyn Fn() -> Option<String>,
) -> Result<(), Unhealthy> {
    let deadline = Instant::now() + timeout;
    let mut last;
    loop {
        if let Some(reason) = abort() {
            return Err(Unhealthy { reason });
        }
        let (running, _, code) = state(docker, id)?;
        if !running {
            return Err(exited(code));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match http_status(
            url,
            left.clamp(Duration::from_millis(200), Duration::from_secs(5)),
        ) {
            Ok(s) if s == expect_status => return Ok(()),
            Ok(s) => last = format!("HTTP {s}"),
            Err(e) => last = e,
        }
        if Instant::now() >= deadline {
            return Err(Unhealthy {
                reason: format!(
                    "{url} did not answer {expect_status} within {}s (last: {last})",
                    timeout.as_secs()
                ),
            });
        }
        std::thread::sleep(interval);
    }
}

/// Waits one `settle` period and checks the container still runs (no health check asked).
pub fn wait_running(docker: &Docker, id: &str, settle: Duration) -> Result<(), Unhealthy> {
    std::thread::sleep(settle);
    let (running, _, code) = state(docker, id)?;
    if running {
        Ok(())
    } else {
        Err(exited(code))
    }
}

/// Splits `http://host[:port][/path]`.
pub fn parse_http_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("health url '{url}': only http:// is supported (the check runs on the host; use the published port)")
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
            h.trim_matches(|c| c == '[' || c == ']'),
            p.parse::<u16>()
                .map_err(|_| format!("health url '{url}': bad port '{p}'"))?,
        ),
        _ => (authority, 80),
    };
    if host.is_empty() {
        return Err(format!("health url '{url}': no host"));
    }
    Ok((host.to_string(), port, path.to_string()))
}

/// One `GET`; the status code or why there was none.
pub fn http_status(url: &str, timeout: Duration) -> Result<u16, String> {
    let (host, port, path) = parse_http_url(url)?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host} has no address"))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|_| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    http::write_request(
        &mut stream,
        &http::Request {
            method: "GET",
            target: &path,
            host: &format!("{host}:{port}"),
            headers: Vec::new(),
            body: None,
        },
    )
    .map_err(|e| format!("GET {url}: {e}"))?;
    let resp = http::read_response(stream, false).map_err(|e| format!("GET {url}: {e}"))?;
    Ok(resp.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn urls_split_into_host_port_path() {
        assert_eq!(
            parse_http_url("http://127.0.0.1:8080/health").unwrap(),
            ("127.0.0.1".into(), 8080, "/health".into())
        );
        assert_eq!(
            parse_http_url("http://localhost").unwrap(),
            ("localhost".into(), 80, "/".into())
        );
        assert_eq!(
            parse_http_url("http://[::1]:81/x").unwrap(),
            ("::1".into(), 81, "/x".into())
        );
        assert!(parse_http_url("https://x/")
            .unwrap_err()
            .contains("http://"));
        assert!(parse_http_url("http://x:port/").is_err());
    }

    #[test]
    fn probe_reads_the_status_of_a_real_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /health HTTP/1.1\r\n"));
            s.write_all(b"HTTP/1.0 503 Service Unavailable\r\n\r\nwarming up")
                .unwrap();
        });
        let status = http_status(
            &format!("http://127.0.0.1:{port}/health"),
            Duration::from_secs(2),
        )
        .unwrap();
        assert_eq!(status, 503);
        server.join().unwrap();
        let closed = http_status(
            &format!("http://127.0.0.1:{port}/health"),
            Duration::from_secs(1),
        );
        assert!(closed.unwrap_err().contains("connect"));
    }
}
