//! The Docker Engine API client: one HTTP/1.1 request per connection over the unix socket.
//!
//! Structured JSON in and out, never CLI text. The API version is negotiated once at
//! [`Docker::connect`] (the daemon's version, capped at the newest we were written against),
//! so a newer daemon never changes a response shape under us and an older one is refused with
//! a clear message instead of a confusing 400.

use super::http::{self, encode, Request, Response};
use super::logs;
use serde_json::Value;
use std::fmt;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// The newest API version this client was written against.
const MAX_API: (u32, u32) = (1, 45);
/// The oldest we accept: `platform` on pulls, `start_period`, `/distribution`.
const MIN_API: (u32, u32) = (1, 40);
/// Ordinary calls answer quickly; a stuck daemon must not hang the agent forever.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);
/// A pull may take long, but must not hang forever either (read timeout between messages).
const PULL_READ_TIMEOUT: Duration = Duration::from_secs(600);
const MAX_JSON_BODY: usize = 32 << 20;

pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// What went wrong talking to Docker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerError {
    /// The HTTP status when the daemon answered; None when it could not be reached or the
    /// answer was unreadable.
    pub status: Option<u16>,
    pub message: String,
}

impl DockerError {
    fn io(what: &str, e: impl fmt::Display) -> DockerError {
        DockerError {
            status: None,
            message: format!("{what}: {e}"),
        }
    }
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }
}

impl fmt::Display for DockerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DockerError {}

pub type DockerResult<T> = Result<T, DockerError>;

/// A connection factory for one daemon, with the negotiated API version.
#[derive(Debug, Clone)]
pub struct Docker {
    socket: PathBuf,
    /// `v1.41`
    version: String,
}

/// Resolves community.docker's `docker_host` option (or `DOCKER_HOST`) to a socket path.
pub fn socket_path(docker_host: Option<&str>) -> Result<PathBuf, String> {
    let env = std::env::var("DOCKER_HOST").ok();
    match docker_host.or(env.as_deref()) {
        None | Some("") => Ok(PathBuf::from(DEFAULT_SOCKET)),
        Some(h) => h.strip_prefix("unix://").map(PathBuf::from).ok_or_else(|| {
            format!("docker_host '{h}': only unix:// sockets are supported by the play agent")
        }),
    }
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

impl Docker {
    /// Connects to the daemon at `socket` and negotiates the API version.
    pub fn connect(socket: impl Into<PathBuf>) -> DockerResult<Docker> {
        let mut docker = Docker {
            socket: socket.into(),
            version: String::new(),
        };
        let info = docker.get("/version").map_err(|e| DockerError {
            message: format!(
                "cannot reach the Docker daemon at {}: {e}; is Docker installed and running (systemctl status docker)?",
                docker.socket.display()
            ),
            ..e
        })?;
        let server = info["ApiVersion"].as_str().unwrap_or_default();
        let server_v = parse_version(server).ok_or_else(|| DockerError {
            status: None,
            message: format!("the Docker daemon reported an unreadable API version {server:?}"),
        })?;
        if server_v < MIN_API {
            return Err(DockerError {
                status: None,
                message: format!(
                    "the Docker daemon speaks API {server} (Docker {}); play needs {}.{} or newer (Docker 19.03+): upgrade Docker",
                    info["Version"].as_str().unwrap_or("?"),
                    MIN_API.0,
                    MIN_API.1
                ),
            });
        }
        let (maj, min) = server_v.min(MAX_API);
        docker.version = format!("v{maj}.{min}");
        Ok(docker)
    }

    fn open(
        &self,
        method: &str,
        path: &str,
        headers: Vec<(&str, String)>,
        body: Option<(&str, &[u8])>,
        read_timeout: Duration,
    ) -> DockerResult<Response<UnixStream>> {
        let target = if self.version.is_empty() {
            path.to_string()
        } else {
            format!("/{}{path}", self.version)
        };
        let mut stream = UnixStream::connect(&self.socket)
            .map_err(|e| DockerError::io(&format!("connect {}", self.socket.display()), e))?;
        stream
            .set_read_timeout(Some(read_timeout))
            .and_then(|_| stream.set_write_timeout(Some(CALL_TIMEOUT)))
            .map_err(|e| DockerError::io("socket timeout", e))?;
        http::write_request(
            &mut stream,
            &Request {
                method,
                target: &target,
                host: "docker",
                headers,
                body,
            },
        )
        .map_err(|e| DockerError::io(&format!("{method} {path}"), e))?;
        let resp = http::read_response(stream, method == "HEAD")
            .map_err(|e| DockerError::io(&format!("{method} {path}"), e))?;
        if resp.status >= 400 {
            let status = resp.status;
            let reason = resp.reason.clone();
            let body = resp.read_body(1 << 20).unwrap_or_default();
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
            let message = if message.is_empty() { reason } else { message };
            return Err(DockerError {
                status: Some(status),
                message,
            });
        }
        Ok(resp)
    }

    /// One call with an optional JSON body; returns the JSON answer (Null when empty).
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> DockerResult<Value> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let resp = self.open(
            method,
            path,
            Vec::new(),
            bytes.as_deref().map(|b| ("application/json", b)),
            CALL_TIMEOUT,
        )?;
        let raw = resp
            .read_body(MAX_JSON_BODY)
            .map_err(|e| DockerError::io(&format!("{method} {path}: reading the answer"), e))?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&raw)
            .map_err(|e| DockerError::io(&format!("{method} {path}: answer is not JSON"), e))
    }

    pub fn get(&self, path: &str) -> DockerResult<Value> {
        self.call("GET", path, None)
    }

    /// `GET`, with 404 as None.
    fn get_opt(&self, path: &str) -> DockerResult<Option<Value>> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn image_inspect(&self, name: &str) -> DockerResult<Option<Value>> {
        self.get_opt(&format!("/images/{}/json", encode(name)))
    }

    pub fn container_inspect(&self, name: &str) -> DockerResult<Option<Value>> {
        self.get_opt(&format!("/containers/{}/json", encode(name)))
    }

    /// Pulls `repo` at `tag_or_digest`, consuming the progress stream; the daemon reports a
    /// failed pull inside a 200 stream as `{"error": ...}`, which becomes the error here.
    pub fn pull(
        &self,
        repo: &str,
        tag_or_digest: &str,
        platform: Option<&str>,
        registry_auth: Option<String>,
    ) -> DockerResult<()> {
        let mut path = format!(
            "/images/create?fromImage={}&tag={}",
            encode(repo),
            encode(tag_or_digest)
        );
        if let Some(p) = platform {
            path.push_str(&format!("&platform={}", encode(p)));
        }
        let headers = registry_auth
            .map(|a| vec![("X-Registry-Auth", a)])
            .unwrap_or_default();
        let resp = self.open("POST", &path, headers, None, PULL_READ_TIMEOUT)?;
        consume_progress(resp.body).map_err(|message| DockerError {
            status: None,
            message,
        })
    }

    /// Imports a root filesystem tarball as an image (`docker import`); `changes` are
    /// Dockerfile lines such as `CMD ["/bin/sh"]`. Only the tests build images so far.
    #[cfg(test)]
    pub fn import_image(
        &self,
        tarball: &[u8],
        repo: &str,
        tag: &str,
        changes: &[&str],
    ) -> DockerResult<()> {
        let mut path = format!(
            "/images/create?fromSrc=-&repo={}&tag={}",
            encode(repo),
            encode(tag)
        );
        for c in changes {
            path.push_str(&format!("&changes={}", encode(c)));
        }
        let resp = self.open(
            "POST",
            &path,
            Vec::new(),
            Some(("application/x-tar", tarball)),
            PULL_READ_TIMEOUT,
        )?;
        consume_progress(resp.body).map_err(|message| DockerError {
            status: None,
            message,
        })
    }

    /// Asks the registry (through the daemon) for the manifest digest of a reference,
    /// without pulling: what check mode uses to tell whether a pull would change anything.
    pub fn distribution_inspect(
        &self,
        reference: &str,
        registry_auth: Option<String>,
    ) -> DockerResult<Value> {
        let headers = registry_auth
            .map(|a| vec![("X-Registry-Auth", a)])
            .unwrap_or_default();
        let resp = self.open(
            "GET",
            &format!("/distribution/{}/json", encode(reference)),
            headers,
            None,
            CALL_TIMEOUT,
        )?;
        let raw = resp
            .read_body(MAX_JSON_BODY)
            .map_err(|e| DockerError::io("distribution inspect", e))?;
        serde_json::from_slice(&raw).map_err(|e| DockerError::io("distribution inspect", e))
    }

    /// Removes an image; Ok(false) when it did not exist.
    pub fn remove_image(&self, name: &str, force: bool) -> DockerResult<bool> {
        match self.call(
            "DELETE",
            &format!("/images/{}?force={force}", encode(name)),
            None,
        ) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Creates a container; returns its ID.
    pub fn create_container(&self, name: &str, body: &Value) -> DockerResult<String> {
        let v = self.call(
            "POST",
            &format!("/containers/create?name={}", encode(name)),
            Some(body),
        )?;
        v["Id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| DockerError::io("create container", "answer has no Id"))
    }

    pub fn start(&self, id: &str) -> DockerResult<()> {
        // 304 (already started) is a success for us.
        self.call("POST", &format!("/containers/{}/start", encode(id)), None)
            .map(drop)
    }

    pub fn stop(&self, id: &str, timeout_secs: Option<u64>) -> DockerResult<()> {
        let t = timeout_secs.map(|t| format!("?t={t}")).unwrap_or_default();
        self.call("POST", &format!("/containers/{}/stop{t}", encode(id)), None)
            .map(drop)
    }

    pub fn restart(&self, id: &str, timeout_secs: Option<u64>) -> DockerResult<()> {
        let t = timeout_secs.map(|t| format!("?t={t}")).unwrap_or_default();
        self.call(
            "POST",
            &format!("/containers/{}/restart{t}", encode(id)),
            None,
        )
        .map(drop)
    }

    /// Removes a container (force: kill it first); Ok(false) when it did not exist.
    pub fn remove_container(&self, id: &str, force: bool) -> DockerResult<bool> {
        match self.call(
            "DELETE",
            &format!("/containers/{}?force={force}&v=false", encode(id)),
            None,
        ) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub fn rename(&self, id: &str, new_name: &str) -> DockerResult<()> {
        self.call(
            "POST",
            &format!(
                "/containers/{}/rename?name={}",
                encode(id),
                encode(new_name)
            ),
            None,
        )
        .map(drop)
    }

    /// Changes a container's restart policy in place (`no`, `always`, ...).
    pub fn set_restart_policy(&self, id: &str, policy: &str) -> DockerResult<()> {
        self.call(
            "POST",
            &format!("/containers/{}/update", encode(id)),
            Some(&serde_json::json!({"RestartPolicy": {"Name": policy}})),
        )
        .map(drop)
    }

    pub fn connect_network(&self, network: &str, container: &str) -> DockerResult<()> {
        self.call(
            "POST",
            &format!("/networks/{}/connect", encode(network)),
            Some(&serde_json::json!({"Container": container})),
        )
        .map(drop)
    }

    /// Blocks until the container exits; returns its exit code.
    pub fn wait(&self, id: &str, timeout: Duration) -> DockerResult<i64> {
        let resp = self.open(
            "POST",
            &format!("/containers/{}/wait", encode(id)),
            Vec::new(),
            None,
            timeout,
        )?;
        let raw = resp
            .read_body(1 << 20)
            .map_err(|e| DockerError::io("waiting for the container", e))?;
        let v: Value =
            serde_json::from_slice(&raw).map_err(|e| DockerError::io("container wait", e))?;
        Ok(v["StatusCode"].as_i64().unwrap_or(-1))
    }

    /// The last `tail` lines of stdout and stderr, demultiplexed (`tty`: the container has a
    /// TTY, so the stream is raw).
    pub fn logs_tail(&self, id: &str, tail: Option<usize>, tty: bool) -> DockerResult<String> {
        let tail = tail.map(|n| n.to_string()).unwrap_or_else(|| "all".into());
        let resp = self.open(
            "GET",
            &format!(
                "/containers/{}/logs?stdout=true&stderr=true&tail={tail}",
                encode(id)
            ),
            Vec::new(),
            None,
            CALL_TIMEOUT,
        )?;
        let raw = resp
            .read_body(MAX_JSON_BODY)
            .map_err(|e| DockerError::io("reading container logs", e))?;
        Ok(if tty {
            String::from_utf8_lossy(&raw).into_owned()
        } else {
            logs::demux(&raw)
        })
    }

    /// `POST /auth`: checks credentials with the registry.
    pub fn auth(&self, body: &Value) -> DockerResult<Value> {
        self.call("POST", "/auth", Some(body))
    }
}

/// Reads a `/images/create` progress stream to its end; the first `error` message fails it.
pub fn consume_progress<R: Read>(body: R) -> Result<(), String> {
    for msg in serde_json::Deserializer::from_reader(body).into_iter::<Value>() {
        let msg = msg.map_err(|e| format!("reading the daemon's progress stream: {e}"))?;
        if let Some(err) = msg.get("error").and_then(Value::as_str) {
            let detail = msg["errorDetail"]["message"].as_str().unwrap_or(err);
            return Err(detail.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn progress_stream_errors_surface_with_the_registry_message() {
        let ok =
            "{\"status\":\"Pulling from library/app\"}\r\n{\"status\":\"Digest: sha256:ab\"}\r\n";
        assert!(consume_progress(Cursor::new(ok)).is_ok());
        let bad = "{\"status\":\"Pulling\"}\n{\"errorDetail\":{\"message\":\"manifest for app:v9 not found\"},\"error\":\"manifest for app:v9 not found\"}\n";
        assert_eq!(
            consume_progress(Cursor::new(bad)).unwrap_err(),
            "manifest for app:v9 not found"
        );
        assert!(consume_progress(Cursor::new("{\"status\":")).is_err());
    }

    #[test]
    fn docker_host_option_takes_unix_sockets_only() {
        assert_eq!(
            socket_path(Some("unix:///run/d.sock")).unwrap(),
            PathBuf::from("/run/d.sock")
        );
        assert!(socket_path(Some("tcp://1.2.3.4:2375"))
            .unwrap_err()
            .contains("unix://"));
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(parse_version("1.9").unwrap() < parse_version("1.41").unwrap());
        assert_eq!(parse_version("1.41").unwrap().min(MAX_API), (1, 41));
        assert_eq!(parse_version("1.47").unwrap().min(MAX_API), MAX_API);
    }
}
