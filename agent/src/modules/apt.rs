//! `apt`: Debian packages present, absent or latest, with `update_cache`/`cache_valid_time`.
//!
//! State comes from dpkg-query; what an install would do comes from `apt-get -s` (a
//! simulation needs no lock and changes nothing, which is also what check mode reports).
//! apt-get runs non-interactively, keeps existing config files, and waits (bounded) for the
//! dpkg lock that unattended-upgrades often holds on a fresh VM.

use super::{args, Context, ModuleError, ModuleOutcome};
use crate::proc::{self, Cmd, Output};
use play_protocol::ModuleResult;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_list")]
    pub name: Option<Vec<String>>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub update_cache: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_u64")]
    pub cache_valid_time: Option<u64>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub install_recommends: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub purge: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub autoremove: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub default_release: Option<String>,
    /// Accepted for compatibility: play always uses apt-get.
    #[allow(dead_code)]
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub force_apt_get: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_u64")]
    pub update_cache_retries: Option<u64>,
}

const LOCKS: &[&str] = &[
    "/var/lib/dpkg/lock-frontend",
    "/var/lib/dpkg/lock",
    "/var/lib/apt/lists/lock",
    "/var/cache/apt/archives/lock",
];
const LOCK_WAIT: Duration = Duration::from_secs(300);
const STAMP: &str = "/var/lib/apt/periodic/update-success-stamp";

/// One package's dpkg state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub installed: bool,
    /// Removed but its config files remain (what `purge` cleans up).
    pub config_files: bool,
    pub version: String,
}

/// Parses `dpkg-query -W -f '${Package}\t${Status}\t${Version}\n'` output.
pub fn parse_dpkg_query(out: &str) -> HashMap<String, Installed> {
    out.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (name, status, version) = (f.next()?, f.next()?, f.next().unwrap_or(""));
            Some((
                name.to_string(),
                Installed {
                    installed: status.ends_with(" installed"),
                    config_files: status.ends_with(" config-files"),
                    version: version.to_string(),
                },
            ))
        })
        .collect()
}

/// Package names an `apt-get -s` run would install/upgrade (`Inst`) or remove (`Remv`/`Purg`).
pub fn parse_simulation(out: &str) -> (Vec<String>, Vec<String>) {
    let mut inst = Vec::new();
    let mut remv = Vec::new();
    for l in out.lines() {
        let mut words = l.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Inst"), Some(p)) => inst.push(p.to_string()),
            (Some("Remv" | "Purg"), Some(p)) => remv.push(p.to_string()),
            _ => {}
        }
    }
    (inst, remv)
}

/// `nginx=1.22*` -> (`nginx`, Some(`1.22*`)); an arch suffix stays on the name.
pub fn split_spec(spec: &str) -> (&str, Option<&str>) {
    match spec.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (spec, None),
    }
}

fn version_matches(installed: &str, wanted: &str) -> bool {
    match wanted.strip_suffix('*') {
        Some(prefix) => installed.starts_with(prefix),
        None => installed == wanted,
    }
}

fn apt_get(ctx: &Context<'_>, args: &[String]) -> Result<Output, ModuleError> {
    let mut cmd = Cmd::new("apt-get", &[]);
    cmd.args = args.to_vec();
    cmd.env = [
        ("DEBIAN_FRONTEND", "noninteractive"),
        ("APT_LISTCHANGES_FRONTEND", "none"),
        ("NEEDRESTART_MODE", "a"),
        ("LC_ALL", "C"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    proc::run(&cmd, ctx)
}

fn base_opts(a: &Args) -> Vec<String> {
    let mut v: Vec<String> = [
        "-y",
        "-q",
        "-o",
        "Dpkg::Options::=--force-confdef",
        "-o",
        "Dpkg::Options::=--force-confold",
        "-o",
        "DPkg::Lock::Timeout=120",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    match a.install_recommends {
        Some(true) => v.extend(["-o".into(), "APT::Install-Recommends=yes".into()]),
        Some(false) => v.push("--no-install-recommends".into()),
        None => {}
    }
    if let Some(rel) = &a.default_release {
        v.extend(["-t".into(), rel.clone()]);
    }
    v
}

/// Waits while another process holds a dpkg/apt lock (F_GETLK only looks, never takes it).
fn wait_for_locks(ctx: &Context<'_>) -> Result<(), ModuleError> {
    let started = Instant::now();
    loop {
        let holder = LOCKS
            .iter()
            .find_map(|p| lock_holder(Path::new(p)).map(|pid| (*p, pid)));
        let Some((path, pid)) = holder else {
            return Ok(());
        };
        ctx.interrupted()?;
        if started.elapsed() >= LOCK_WAIT {
            return Err(ModuleError(format!(
                "apt: {path} is still locked by pid {pid} after {} s (unattended-upgrades or another apt run); try again when it is done",
                LOCK_WAIT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn lock_holder(path: &Path) -> Option<i32> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ok()?;
    // SAFETY: flock is plain data; F_GETLK only fills it in.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    let rc = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETLK, &mut fl) };
    (rc == 0 && fl.l_type != libc::F_UNLCK as libc::c_short).then_some(fl.l_pid)
}

/// Age of the package lists: the success stamp apt's periodic job writes, else the newest
/// `*_Packages` index. A folder without any index (a fresh image) has no age: the cache was
/// never filled, so `cache_valid_time` must not skip the update.
fn cache_age() -> Option<Duration> {
    let stamp = std::fs::metadata(STAMP).and_then(|m| m.modified()).ok();
    let newest_index = std::fs::read_dir("/var/lib/apt/lists")
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("_Packages"))
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .max();
    let newest_index = newest_index?;
    let updated = stamp.map_or(newest_index, |s| s.max(newest_index));
    SystemTime::now().duration_since(updated).ok()
}

fn update_cache(a: &Args, ctx: &Context<'_>) -> Result<bool, ModuleError> {
    if let (Some(valid), Some(age)) = (a.cache_valid_time, cache_age()) {
        if age.as_secs() < valid {
            return Ok(false);
        }
    }
    if ctx.check {
        return Ok(false);
    }
    let tries = a.update_cache_retries.unwrap_or(5).max(1);
    let mut last = String::new();
    for attempt in 0..tries {
        wait_for_locks(ctx)?;
        let out = apt_get(ctx, &["update".into(), "-q".into()])?;
        if out.rc == 0 {
            let _ = std::fs::create_dir_all("/var/lib/apt/periodic");
            let _ = std::fs::write(STAMP, b"");
            return Ok(true);
        }
        last = out.stderr_text();
        if attempt + 1 < tries {
            std::thread::sleep(Duration::from_secs((1u64 << attempt.min(3)).min(12)));
        }
    }
    Err(ModuleError(format!(
        "Failed to update apt cache after {tries} tries: {}",
        last.trim()
    )))
}

fn query(names: &[&str], ctx: &Context<'_>) -> Result<HashMap<String, Installed>, ModuleError> {
    let mut cmd = Cmd::new(
        "dpkg-query",
        &["-W", "-f", "${Package}\t${Status}\t${Version}\n"],
    );
    cmd.args.extend(names.iter().map(|n| n.to_string()));
    // rc 1 only means some names are unknown to dpkg, which is what we are asking.
    let out = proc::run(&cmd, ctx)?;
    Ok(parse_dpkg_query(&out.stdout_text()))
}

fn failed(what: &str, out: &Output) -> ModuleError {
    let err = out.stderr_text();
    let hint = if err.contains("Unable to locate package") {
        " (is the name right? does the task need update_cache: true?)"
    } else {
        ""
    };
    ModuleError(format!(
        "apt-get {what} failed (rc {}): {}{hint}",
        out.rc,
        err.trim()
    ))
}

pub fn run(a: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let state = a.state.as_deref().unwrap_or("present");
    let state = match state {
        "present" | "installed" => "present",
        "absent" | "removed" => "absent",
        "latest" => "latest",
        other => {
            return Err(ModuleError(format!(
                "apt: state '{other}' is not supported: use present, absent or latest"
            )))
        }
    };
    let specs = a.name.clone().unwrap_or_default();
    let mut result = ModuleResult::ok();
    let mut cache_updated = false;
    if a.update_cache == Some(true) || a.cache_valid_time.is_some() {
        cache_updated = update_cache(&a, ctx)?;
    }
    result = result.with("cache_updated", cache_updated);
    if let Some(age) = cache_age() {
        let t = SystemTime::now() - age;
        let secs = t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        result = result.with("cache_update_time", secs);
    }
    let names: Vec<&str> = specs.iter().map(|s| split_spec(s).0).collect();
    let current = if names.is_empty() {
        HashMap::new()
    } else {
        query(&names, ctx)?
    };
    let opts = base_opts(&a);
    let mut touched: Vec<String> = Vec::new();

    match state {
        "present" | "latest" => {
            let todo: Vec<String> = specs
                .iter()
                .filter(|s| {
                    let (n, v) = split_spec(s);
                    match (current.get(n), v) {
                        _ if state == "latest" => true,
                        (Some(i), Some(v)) if i.installed => !version_matches(&i.version, v),
                        (Some(i), None) => !i.installed,
                        _ => true,
                    }
                })
                .cloned()
                .collect();
            if !todo.is_empty() {
                let mut install = opts.clone();
                install.push("install".into());
                install.extend(todo.iter().cloned());
                if ctx.check || state == "latest" {
                    let mut sim = vec!["-s".to_string()];
                    sim.extend(install.iter().cloned());
                    let out = apt_get(ctx, &sim)?;
                    if out.rc != 0 {
                        return Err(failed("install (simulated)", &out));
                    }
                    touched = parse_simulation(&out.stdout_text()).0;
                } else {
                    touched = todo.clone();
                }
                if !touched.is_empty() && !ctx.check {
                    wait_for_locks(ctx)?;
                    let out = apt_get(ctx, &install)?;
                    if out.rc != 0 {
                        return Err(failed("install", &out));
                    }
                    result = result
                        .with("stdout", out.stdout_text())
                        .with("stderr", out.stderr_text());
                }
            }
        }
        _ => {
            let purge = a.purge == Some(true);
            let todo: Vec<String> = names
                .iter()
                .filter(|n| {
                    current
                        .get(**n)
                        .is_some_and(|i| i.installed || (purge && i.config_files))
                })
                .map(|n| n.to_string())
                .collect();
            if !todo.is_empty() && !ctx.check {
                let mut remove = opts.clone();
                remove.push("remove".into());
                if purge {
                    remove.push("--purge".into());
                }
                remove.extend(todo.iter().cloned());
                wait_for_locks(ctx)?;
                let out = apt_get(ctx, &remove)?;
                if out.rc != 0 {
                    return Err(failed("remove", &out));
                }
                result = result
                    .with("stdout", out.stdout_text())
                    .with("stderr", out.stderr_text());
            }
            touched = todo;
        }
    }
    if a.autoremove == Some(true) {
        let mut auto = opts.clone();
        auto.push("autoremove".into());
        if a.purge == Some(true) {
            auto.push("--purge".into());
        }
        let mut sim = vec!["-s".to_string()];
        sim.extend(auto.iter().cloned());
        let out = apt_get(ctx, &sim)?;
        let removals = parse_simulation(&out.stdout_text()).1;
        if !removals.is_empty() && !ctx.check {
            wait_for_locks(ctx)?;
            let out = apt_get(ctx, &auto)?;
            if out.rc != 0 {
                return Err(failed("autoremove", &out));
            }
        }
        result = result.with("autoremoved", json!(removals.clone()));
        result.changed |= !removals.is_empty();
    }
    result.changed |= !touched.is_empty();
    if specs.is_empty() && a.autoremove != Some(true) {
        // Only the cache was asked for: refreshing it is the change.
        result.changed = cache_updated;
    }
    let verb = if state == "absent" {
        "removed"
    } else {
        "installed"
    };
    let msg = match (touched.is_empty(), ctx.check) {
        (true, _) => "nothing to do".to_string(),
        (false, true) => format!("would be {verb}: {}", touched.join(", ")),
        (false, false) => format!("{verb}: {}", touched.join(", ")),
    };
    if ctx.diff && !touched.is_empty() {
        let word = if state == "absent" {
            "remove"
        } else {
            "install"
        };
        result.diff.push(super::common::state_diff(
            "packages",
            &[],
            &[(word, touched.join(", "))],
        ));
    }
    Ok(result.with("packages", json!(touched)).with_msg(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dpkg_query() {
        let out = "curl\tinstall ok installed\t7.88.1-10\nvim\tdeinstall ok config-files\t2:9.0\nnano\tunknown ok not-installed\t\n";
        let m = parse_dpkg_query(out);
        assert!(m["curl"].installed && m["curl"].version == "7.88.1-10");
        assert!(!m["vim"].installed && m["vim"].config_files);
        assert!(!m["nano"].installed && !m["nano"].config_files);
    }

    #[test]
    fn parses_simulation() {
        let out = "NOTE: This is only a simulation!\nInst libfoo1 (1.0 Debian:12/stable [amd64])\nInst foo [0.9] (1.0 Debian:12/stable [amd64])\nConf foo (1.0 Debian:12/stable [amd64])\nRemv bar [2.0]\nPurg baz [1]\n";
        let (inst, remv) = parse_simulation(out);
        assert_eq!(inst, vec!["libfoo1", "foo"]);
        assert_eq!(remv, vec!["bar", "baz"]);
    }

    #[test]
    fn version_specs() {
        assert_eq!(split_spec("nginx=1.22*"), ("nginx", Some("1.22*")));
        assert_eq!(split_spec("curl"), ("curl", None));
        assert!(version_matches("1.22.1-9", "1.22*"));
        assert!(!version_matches("1.22.1-9", "1.22"));
    }

    #[test]
    fn options_and_bad_state() {
        let a = Args {
            install_recommends: Some(false),
            default_release: Some("bookworm-backports".into()),
            ..Args::default()
        };
        let o = base_opts(&a);
        assert!(o.contains(&"Dpkg::Options::=--force-confold".to_string()));
        assert!(o.contains(&"--no-install-recommends".to_string()));
        assert!(o.ends_with(&["-t".to_string(), "bookworm-backports".to_string()]));
        let a: Args =
            serde_json::from_value(json!({"name": "a, b", "state": "build-dep"})).unwrap();
        assert_eq!(a.name.as_deref().unwrap(), ["a", "b"]);
        assert!(run(a, &Context::detached(true))
            .unwrap_err()
            .0
            .contains("not supported"));
    }

    #[test]
    fn check_mode_for_an_installed_package_changes_nothing() {
        if !Path::new("/usr/bin/dpkg-query").exists() {
            return;
        }
        let a: Args = serde_json::from_value(json!({"name": ["dpkg"]})).unwrap();
        let r = run(a, &Context::detached(true)).unwrap();
        assert!(!r.changed, "{r:?}");
        let a: Args =
            serde_json::from_value(json!({"name": "no-such-package-play", "state": "absent"}))
                .unwrap();
        assert!(!run(a, &Context::detached(true)).unwrap().changed);
    }
}
