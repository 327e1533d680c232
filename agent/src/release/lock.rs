//! The per-service deploy lock: `<state>/locks/<service>`, created with O_EXCL, holding who
//! took it (pid, operator, host, since) and how to tell it is stale (boot id, process start
//! time).
//!
//! A lock whose process is gone (no /proc entry, a different boot, or the pid reused by a
//! newer process) is broken and the break reported; a live holder is never broken: the
//! caller waits up to `lock_wait`, then fails naming the holder. Breaking renames the stale
//! file away first, so two agents breaking the same stale lock cannot both win.

use super::time::{hostname, now_rfc3339};
use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a lock file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub pid: u32,
    pub operator: String,
    /// RFC 3339 UTC.
    pub since: String,
    pub host: String,
    pub boot_id: String,
    /// The holder's start time in clock ticks since boot (/proc/<pid>/stat field 22), so a
    /// reused pid is not mistaken for the holder.
    #[serde(default)]
    pub start_time: Option<u64>,
}

impl LockInfo {
    /// Why this lock's holder is gone, or None when it is alive.
    pub fn stale_reason(&self) -> Option<String> {
        if !self.boot_id.is_empty() && self.boot_id != boot_id() {
            return Some(format!(
                "it was taken before this host rebooted (pid {})",
                self.pid
            ));
        }
        match process_start_time(self.pid) {
            None => Some(format!("process {} no longer exists", self.pid)),
            Some(t) if self.start_time.is_some_and(|s| s != t) => {
                Some(format!("pid {} now belongs to another process", self.pid))
            }
            Some(_) => None,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "{} (pid {} on {}) since {}",
            self.operator, self.pid, self.host, self.since
        )
    }
}

pub fn boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// Field 22 of /proc/<pid>/stat; None when the process does not exist.
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// A held lock; dropping it removes the file (if it is still ours).
#[derive(Debug)]
pub struct ServiceLock {
    path: PathBuf,
    info: LockInfo,
}

impl Drop for ServiceLock {
    fn drop(&mut self) {
        let ours = fs::read(&self.path)
            .ok()
            .and_then(|raw| serde_json::from_slice::<LockInfo>(&raw).ok())
            .is_some_and(|held| held == self.info);
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// What acquiring found on the way.
#[derive(Debug)]
pub struct Acquired {
    pub lock: ServiceLock,
    /// A stale lock that was broken, and why it was stale.
    pub broken: Option<(LockInfo, String)>,
}

/// Checks a service name is a safe file and container name.
pub fn check_service_name(service: &str) -> Result<(), String> {
    let ok = !service.is_empty()
        && service.len() <= 128
        && service
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "service name '{service}' is not valid: use letters, digits, '_', '.', '-', starting with a letter or digit"
        ))
    }
}

/// Takes the lock for `service` under `locks_dir`, polling until `wait` has passed.
pub fn acquire(
    locks_dir: &Path,
    service: &str,
    operator: &str,
    wait: Duration,
) -> Result<Acquired, String> {
    check_service_name(service)?;
    super::private_dir(locks_dir)?;
    let path = locks_dir.join(service);
    let pid = std::process::id();
    let info = LockInfo {
        pid,
        operator: operator.to_string(),
        since: now_rfc3339(),
        host: hostname(),
        boot_id: boot_id(),
        start_time: process_start_time(pid),
    };
    let deadline = Instant::now() + wait;
    let mut broken = None;
    loop {
        match try_create(&path, &info) {
            Ok(()) => {
                return Ok(Acquired {
                    lock: ServiceLock { path, info },
                    broken,
                })
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create lock {}: {e}", path.display())),
        }
        let holder = match fs::read(&path) {
            Ok(raw) => serde_json::from_slice::<LockInfo>(&raw).ok(),
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot read lock {}: {e}", path.display())),
        };
        let Some(holder) = holder else {
            // Unreadable: a holder crashed between create and write, or someone edited it.
            // Refuse rather than guess; the operator can remove it.
            return Err(format!(
                "lock {} exists but is unreadable: if no release of '{service}' is running, remove it",
                path.display()
            ));
        };
        if let Some(reason) = holder.stale_reason() {
            if break_stale(&path, &holder)? {
                broken = Some((holder, reason));
            }
            continue;
        }
        if Instant::now() >= deadline {
            let next = if wait.is_zero() {
                "wait for it with `play --lock-wait 2m` (the release's lock_wait)".to_string()
            } else {
                format!(
                    "waited in vain for {}s; raise lock_wait (`play --lock-wait`)",
                    wait.as_secs()
                )
            };
            return Err(format!(
                "service '{service}' is locked by {}: another release is running; {next}",
                holder.describe()
            ));
        }
        std::thread::sleep(Duration::from_millis(200).min(deadline - Instant::now()));
    }
}

fn try_create(path: &Path, info: &LockInfo) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let written = serde_json::to_vec(info)
        .map_err(std::io::Error::other)
        .and_then(|body| f.write_all(&body))
        .and_then(|_| f.sync_all());
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// Moves the stale lock aside; true when this call broke it. If what got moved is not the
/// lock judged stale (another agent replaced it in between), it is put back.
fn break_stale(path: &Path, stale: &LockInfo) -> Result<bool, String> {
    let aside = path.with_extension(format!("broken.{}", std::process::id()));
    match fs::rename(path, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("cannot break stale lock {}: {e}", path.display())),
    }
    let moved = fs::read(&aside)
        .ok()
        .and_then(|raw| serde_json::from_slice::<LockInfo>(&raw).ok());
    if moved.as_ref() != Some(stale) {
        // hard_link fails if a new lock appeared meanwhile; then that one stands.
        let _ = fs::hard_link(&aside, path);
        let _ = fs::remove_file(&aside);
        return Ok(false);
    }
    let _ = fs::remove_file(&aside);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn write_lock(dir: &Path, service: &str, info: &LockInfo) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(service), serde_json::to_vec(info).unwrap()).unwrap();
    }

    fn holder(pid: u32) -> LockInfo {
        LockInfo {
            pid,
            operator: "alice@ctl".into(),
            since: "2025-11-25T11:06:00Z".into(),
            host: "vm1".into(),
            boot_id: boot_id(),
            start_time: process_start_time(pid),
        }
    }

    #[test]
    fn lock_is_exclusive_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let a = acquire(dir.path(), "web", "alice@ctl", Duration::ZERO).unwrap();
        assert!(a.broken.is_none());
        let raw: LockInfo =
            serde_json::from_slice(&fs::read(dir.path().join("web")).unwrap()).unwrap();
        assert_eq!(
            (raw.pid, raw.operator.as_str()),
            (std::process::id(), "alice@ctl")
        );
        // Our own live pid holds it: a second taker is refused with the holder named.
        let err = acquire(dir.path(), "web", "bob@ctl", Duration::ZERO).unwrap_err();
        assert!(err.contains("alice@ctl") && err.contains("since"), "{err}");
        drop(a);
        assert!(!dir.path().join("web").exists());
        acquire(dir.path(), "web", "bob@ctl", Duration::ZERO).unwrap();
    }

    #[test]
    fn dead_holder_is_broken_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let mut info = holder(dead);
        info.start_time = Some(1);
        write_lock(dir.path(), "web", &info);
        let a = acquire(dir.path(), "web", "bob@ctl", Duration::ZERO).unwrap();
        let (old, why) = a.broken.unwrap();
        assert_eq!(old.pid, dead);
        assert!(why.contains("no longer exists"), "{why}");
    }

    #[test]
    fn lock_from_an_earlier_boot_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let mut info = holder(std::process::id());
        info.boot_id = "00000000-0000-0000-0000-000000000000".into();
        write_lock(dir.path(), "web", &info);
        let a = acquire(dir.path(), "web", "bob@ctl", Duration::ZERO).unwrap();
        assert!(a.broken.unwrap().1.contains("rebooted"));
    }

    #[test]
    fn live_holder_is_waited_for_then_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
        write_lock(dir.path(), "api", &holder(sleeper.id()));
        let t = Instant::now();
        let err = acquire(dir.path(), "api", "bob@ctl", Duration::from_millis(600)).unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(600));
        assert!(
            err.contains("alice@ctl") && err.contains(&format!("pid {}", sleeper.id())),
            "{err}"
        );
        // A reused pid (same pid, other start time) is stale.
        let mut reused = holder(sleeper.id());
        reused.start_time = reused.start_time.map(|s| s + 1);
        write_lock(dir.path(), "api", &reused);
        assert!(acquire(dir.path(), "api", "bob@ctl", Duration::ZERO)
            .unwrap()
            .broken
            .is_some());
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
    }

    #[test]
    fn released_while_waiting_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "web", "alice@ctl", Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        acquire(dir.path(), "web", "bob@ctl", Duration::from_secs(5)).unwrap();
        releaser.join().unwrap();
    }

    #[test]
    fn service_names_cannot_escape_the_folder() {
        assert!(check_service_name("web-1.api_x").is_ok());
        for bad in ["", "../etc", "a/b", ".hidden", "a b"] {
            assert!(check_service_name(bad).is_err(), "{bad}");
        }
    }
}
