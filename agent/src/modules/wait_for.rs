//! `wait_for`: wait until a TCP port accepts connections (or stops, or drains), or a file
//! appears (optionally containing `search_regex`) or disappears. Always bounded: by its own
//! `timeout` and by the task's.

use super::{args, Context, ModuleError, ModuleOutcome};
use play_protocol::ModuleResult;
use regex::Regex;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub host: Option<String>,
    #[serde(default, deserialize_with = "args::opt_u32")]
    pub port: Option<u32>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "args::opt_f64")]
    pub delay: Option<f64>,
    #[serde(default, deserialize_with = "args::opt_f64")]
    pub timeout: Option<f64>,
    #[serde(default, deserialize_with = "args::opt_f64")]
    pub sleep: Option<f64>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub search_regex: Option<String>,
    #[serde(default, deserialize_with = "args::opt_f64")]
    pub connect_timeout: Option<f64>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub msg: Option<String>,
}

fn secs(v: Option<f64>, default: f64) -> Duration {
    Duration::from_secs_f64(v.unwrap_or(default).max(0.0))
}

/// TCP states that count as "still connected" for `drained` (ESTABLISHED .. TIME_WAIT).
const ACTIVE_STATES: &[&str] = &["01", "02", "03", "04", "05", "06"];

/// Counts connections on local `port` in /proc/net/tcp-style text.
pub fn active_connections(proc_net_tcp: &str, port: u32) -> usize {
    proc_net_tcp
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3
                && f[1]
                    .rsplit_once(':')
                    .and_then(|(_, p)| u32::from_str_radix(p, 16).ok())
                    == Some(port)
                && ACTIVE_STATES.contains(&f[3])
        })
        .count()
}

fn connect(host: &str, port: u32, timeout: Duration) -> Option<TcpStream> {
    let addrs = (host, port as u16).to_socket_addrs().ok()?;
    addrs
        .into_iter()
        .find_map(|a| TcpStream::connect_timeout(&a, timeout.max(Duration::from_millis(10))).ok())
}

/// Reads from a fresh connection until `re` matches or the peer closes or time runs out.
fn port_matches(mut s: TcpStream, re: &Regex, until: Instant) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let _ = s.set_read_timeout(Some(left));
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return re.is_match(&String::from_utf8_lossy(&data)).then_some(data),
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        if re.is_match(&String::from_utf8_lossy(&data)) {
            return Some(data);
        }
    }
}

pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let state = a.state.as_deref().unwrap_or("started");
    if !matches!(
        state,
        "started" | "present" | "stopped" | "absent" | "drained"
    ) {
        return Err(ModuleError(format!(
            "wait_for: state must be started, stopped, present, absent or drained, not '{state}'"
        )));
    }
    if a.port.is_some() && a.path.is_some() {
        return Err(ModuleError("wait_for: give port or path, not both".into()));
    }
    if a.port.is_some_and(|p| p == 0 || p > 65535) {
        return Err(ModuleError(
            "wait_for: port must be between 1 and 65535".into(),
        ));
    }
    let re = a
        .search_regex
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| {
            ModuleError(format!(
                "wait_for: search_regex is not a valid regular expression: {e}"
            ))
        })?;
    let host = a.host.clone().unwrap_or_else(|| "127.0.0.1".into());
    let timeout = secs(a.timeout, 300.0);
    let pause = secs(a.sleep, 1.0);
    let connect_timeout = secs(a.connect_timeout, 5.0);
    let started = Instant::now();
    let mut result = ModuleResult::ok().with("state", state);
    if ctx.check {
        return Ok(result.with("elapsed", 0));
    }
    sleep_bounded(secs(a.delay, 0.0), ctx)?;
    let until = Instant::now() + timeout;

    if a.port.is_none() && a.path.is_none() {
        sleep_bounded(timeout, ctx)?;
        return Ok(result.with("elapsed", started.elapsed().as_secs()));
    }
    let mut groups: Option<(Vec<Value>, Map<String, Value>)> = None;
    loop {
        ctx.interrupted()?;
        let done = if let Some(port) = a.port {
            match state {
                "stopped" | "absent" => connect(&host, port, connect_timeout).is_none(),
                "drained" => {
                    let text = ["/proc/net/tcp", "/proc/net/tcp6"]
                        .iter()
                        .filter_map(|p| std::fs::read_to_string(p).ok())
                        .collect::<Vec<_>>();
                    text.iter()
                        .map(|t| active_connections(t, port))
                        .sum::<usize>()
                        == 0
                }
                _ => match (connect(&host, port, connect_timeout), &re) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(s), Some(re)) => match port_matches(s, re, until) {
                        Some(data) => {
                            groups = Some(captures(re, &String::from_utf8_lossy(&data)));
                            true
                        }
                        None => false,
                    },
                },
            }
        } else {
            let path = Path::new(a.path.as_deref().unwrap_or_default());
            match state {
                "stopped" | "absent" => !path.exists(),
                _ => match (&re, std::fs::read(path)) {
                    (_, Err(_)) => false,
                    (None, Ok(_)) => true,
                    (Some(re), Ok(data)) => {
                        let text = String::from_utf8_lossy(&data);
                        let hit = re.is_match(&text);
                        if hit {
                            groups = Some(captures(re, &text));
                        }
                        hit
                    }
                },
            }
        };
        if done {
            break;
        }
        if Instant::now() + pause >= until {
            let what = match (&a.port, &a.path, &a.search_regex) {
                (Some(p), _, _) if matches!(state, "stopped" | "absent") => {
                    format!("{host}:{p} to stop")
                }
                (Some(p), _, _) if state == "drained" => format!("{host}:{p} to drain"),
                (Some(p), _, Some(r)) => format!("{host}:{p} to send {r}"),
                (Some(p), _, None) => format!("{host}:{p}"),
                (_, Some(f), Some(r)) => format!("search string {r} in {f}"),
                (_, Some(f), None) if matches!(state, "stopped" | "absent") => {
                    format!("file {f} to be removed")
                }
                (_, Some(f), None) => format!("file {f}"),
                _ => "the condition".into(),
            };
            let msg = a.msg.clone().unwrap_or_else(|| {
                format!(
                    "Timeout when waiting for {what} (after {} s)",
                    timeout.as_secs()
                )
            });
            let mut r = ModuleResult::failed(msg);
            r.data
                .insert("elapsed".into(), started.elapsed().as_secs().into());
            return Ok(r);
        }
        sleep_bounded(pause, ctx)?;
    }
    if let Some((list, map)) = groups {
        result = result
            .with("match_groups", json!(list))
            .with("match_groupdict", Value::Object(map));
    }
    if let Some(p) = a.port {
        result = result.with("port", p);
    }
    if let Some(p) = &a.path {
        result = result.with("path", p.clone());
    }
    Ok(result.with("elapsed", started.elapsed().as_secs()))
}

fn captures(re: &Regex, text: &str) -> (Vec<Value>, Map<String, Value>) {
    let Some(c) = re.captures(text) else {
        return (Vec::new(), Map::new());
    };
    let list = c
        .iter()
        .skip(1)
        .map(|m| m.map_or(Value::Null, |m| m.as_str().into()))
        .collect();
    let map = re
        .capture_names()
        .flatten()
        .map(|n| {
            (
                n.to_string(),
                c.name(n).map_or(Value::Null, |m| m.as_str().into()),
            )
        })
        .collect();
    (list, map)
}

/// Sleeps in short slices so cancellation and the task's deadline are honoured.
fn sleep_bounded(d: Duration, ctx: &Context<'_>) -> Result<(), ModuleError> {
    let until = Instant::now() + d;
    while Instant::now() < until {
        ctx.interrupted()?;
        std::thread::sleep(
            until
                .saturating_duration_since(Instant::now())
                .min(Duration::from_millis(100)),
        );
    }
    ctx.interrupted()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    fn port_args(port: u16, state: &str) -> Args {
        Args {
            port: Some(port.into()),
            state: Some(state.into()),
            timeout: Some(2.0),
            sleep: Some(0.1),
            ..Args::default()
        }
    }

    #[test]
    fn port_started_stopped_and_banner() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut s in l.incoming().flatten() {
                let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n");
            }
        });
        let ctx = Context::detached(false);
        let r = run(port_args(port, "started"), &ctx).unwrap();
        assert!(!r.failed && !r.changed, "{r:?}");
        let mut a = port_args(port, "started");
        a.search_regex = Some("OpenSSH_(?P<v>[0-9.]+)".into());
        let r = run(a, &ctx).unwrap();
        assert_eq!(r.data["match_groupdict"]["v"], "9.2");
        let r = run(port_args(port, "stopped"), &ctx).unwrap();
        assert!(r.failed);
        assert!(r.msg.unwrap().contains("to stop"));
    }

    #[test]
    fn closed_port_times_out_with_custom_msg() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut a = port_args(port, "started");
        a.timeout = Some(0.5);
        a.msg = Some("app never came up".into());
        let started = Instant::now();
        let r = run(a, &Context::detached(false)).unwrap();
        assert!(r.failed);
        assert_eq!(r.msg.as_deref(), Some("app never came up"));
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(
            !run(port_args(port, "stopped"), &Context::detached(false))
                .unwrap()
                .failed
        );
    }

    #[test]
    fn file_with_regex_and_absent() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ready");
        let f2 = f.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            std::fs::write(&f2, "status: ready\n").unwrap();
        });
        let a = Args {
            path: Some(f.to_string_lossy().into()),
            search_regex: Some("status: (\\w+)".into()),
            timeout: Some(3.0),
            sleep: Some(0.1),
            ..Args::default()
        };
        let r = run(a, &Context::detached(false)).unwrap();
        assert!(!r.failed, "{r:?}");
        assert_eq!(r.data["match_groups"], json!(["ready"]));
        let a = Args {
            path: Some(dir.path().join("gone").to_string_lossy().into()),
            state: Some("absent".into()),
            timeout: Some(1.0),
            ..Args::default()
        };
        assert!(!run(a, &Context::detached(false)).unwrap().failed);
    }

    #[test]
    fn drained_counts_active_connections() {
        let text = "  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A\n   1: 0100007F:1F90 0100007F:D431 01\n   2: 0100007F:0016 0100007F:D432 01\n";
        assert_eq!(active_connections(text, 8080), 1);
        assert_eq!(active_connections(text, 22), 1);
        assert_eq!(active_connections(text, 443), 0);
    }

    #[test]
    fn task_deadline_bounds_the_wait() {
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let env = std::collections::BTreeMap::new();
        let ctx = Context::new(false, &env, &cancel, Some(Duration::from_secs(1)));
        let a = Args {
            path: Some("/no/such/file/play".into()),
            timeout: Some(60.0),
            sleep: Some(0.1),
            ..Args::default()
        };
        let err = run(a, &ctx).unwrap_err();
        assert!(err.0.contains("timed out after 1 s"), "{}", err.0);
    }
}
