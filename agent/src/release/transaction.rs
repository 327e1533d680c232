//! Running one release: the steps of the module doc in [`super`], each failure path undoing
//! what was done before it, every path releasing the lock (the guard drops) and every
//! attempt that changed or failed something written to the history.

use super::history::{self, HistoryEntry, Outcome, Previous};
use super::lock;
use super::plan::{compare, Comparison, Request};
use super::prune;
use super::signals::DeferSignals;
use super::time::{hostname, now_rfc3339};
use super::StateDir;
use crate::docker::health::{self, Unhealthy};
use crate::docker::images;
use crate::docker::logs::last_lines;
use crate::docker::Docker;
use crate::hash_key::{Hashing, HostKey};
use crate::modules::docker_container::create;
use std::time::{Duration, Instant};

/// How many log lines of a failed container the error shows.
const LOG_LINES: usize = 20;

/// What a release did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// None: nothing to do (same image and config, running).
    pub outcome: Option<Outcome>,
    pub changed: bool,
    pub failed: bool,
    pub message: String,
    pub image_id: Option<String>,
    pub digest: Option<String>,
    pub comparison: Comparison,
    /// The stale lock broken on the way in, described.
    pub lock_broken: Option<String>,
    pub pruned_images: Vec<String>,
    /// The failed container's last log lines.
    pub log_tail: Vec<String>,
    /// The history line written, if any.
    pub entry: Option<HistoryEntry>,
}

struct Run<'a> {
    state: &'a StateDir,
    req: &'a Request,
    key: &'a HostKey,
    started: Instant,
    report: Report,
}

impl Run<'_> {
    /// Ends the attempt: writes history (when there is an outcome) and fills the report.
    fn finish(mut self, outcome: Outcome, error: Option<String>, previous: Previous) -> Report {
        let entry = HistoryEntry {
            time: now_rfc3339(),
            operator: self.req.operator.clone(),
            reason: self.req.reason.clone(),
            service: self.req.service.clone(),
            image: self.req.image.pinned(),
            tag: self.req.image.tag.clone(),
            digest: self.report.digest.clone(),
            image_id: self.report.image_id.clone(),
            env_sha256: self
                .req
                .spec
                .env_file
                .as_ref()
                .map(|f| f.digest(Hashing::Keyed(self.key))),
            config_sha256: Some(self.req.spec.config_hash(Hashing::Keyed(self.key))),
            outcome,
            previous: Some(previous),
            duration_ms: self.started.elapsed().as_millis() as u64,
            host: hostname(),
            error: error
                .as_ref()
                .map(|e| e.lines().next().unwrap_or_default().to_string()),
        };
        if let Err(e) = history::append(&self.state.releases(), &entry) {
            self.report
                .message
                .push_str(&format!(" (and the history could not be written: {e})"));
        }
        self.report.outcome = Some(outcome);
        self.report.failed = !outcome.is_success();
        self.report.entry = Some(entry);
        if let Some(e) = error {
            self.report.message = format!("{e}{}", self.report.message);
        }
        self.report
    }
}

/// Struct fields drop in order: the lock is released before a deferred signal is raised.
struct Held {
    _lock: lock::ServiceLock,
    signals: DeferSignals,
}

/// Runs the release. `Err` only when it could not start (no hash key, lock held, unusable
/// state folder); every later failure is a `Report` with `failed` set and the outcome recorded.
pub fn execute(docker: &Docker, state: &StateDir, req: &Request) -> Result<Report, String> {
    // The key before the lock: a host where it cannot be made is refused with nothing done.
    let key = HostKey::load_or_create(&state.hash_key())?;
    // The lock first, signals deferred after: a Ctrl-C while waiting for another release
    // simply ends the wait. A signal between the two leaves a lock whose pid is dead, which
    // the next release breaks safely.
    let acquired = lock::acquire(&state.locks(), &req.service, &req.operator, req.lock_wait)?;
    let held = Held {
        _lock: acquired.lock,
        signals: DeferSignals::install(),
    };
    let signals = &held.signals;
    let mut run = Run {
        state,
        req,
        key: &key,
        started: Instant::now(),
        report: Report {
            lock_broken: acquired.broken.map(|(info, why)| {
                format!("broke a stale lock held by {}: {why}", info.describe())
            }),
            ..Report::default()
        },
    };
    let service = req.service.as_str();
    let next = req.next_name();
    // A `-next` left by an agent killed mid-release is garbage: we hold the lock.
    docker
        .remove_container(&next, true)
        .map_err(|e| format!("removing the leftover container {next}: {e}"))?;

    let current = docker
        .container_inspect(service)
        .map_err(|e| format!("inspecting container {service}: {e}"))?;
    let before = current
        .as_ref()
        .map(|c| super::plan::previous_of(docker, c))
        .unwrap_or_default();

    let local = match images::ensure(
        docker,
        &req.image,
        req.pull_policy(),
        None,
        &req.auth_config,
    ) {
        Ok((local, _)) => local,
        Err(e) => {
            let msg =
                format!("{e}; nothing was changed, {service} keeps running its current image");
            return Ok(run.finish(Outcome::FailedPull, Some(msg), before));
        }
    };
    run.report.image_id = Some(local.id.clone());
    run.report.digest = local.digest.clone();
    let cmp = compare(docker, current.as_ref(), Some(&local.id), &req.spec, &key);
    run.report.comparison = cmp.clone();
    if cmp.same && cmp.running {
        run.report.message = format!(
            "{service} already runs {} with this configuration",
            req.image.pinned()
        );
        return Ok(run.report);
    }
    if let Some(sig) = signals.caught() {
        let msg = format!("interrupted by signal {sig} before anything was changed");
        return Ok(run.finish(Outcome::Interrupted, Some(msg), before));
    }
    run.report.changed = true;

    // Published ports would collide: the old container stops first but is kept.
    let old_id = current
        .as_ref()
        .and_then(|c| c["Id"].as_str())
        .map(str::to_string);
    if let (Some(id), true) = (&old_id, cmp.running) {
        if let Err(e) = docker.stop(id, req.stop_timeout) {
            let msg =
                format!("stopping the running {service} failed: {e}; nothing else was changed");
            // A failed stop may still have stopped it.
            let _ = docker.start(id);
            return Ok(run.finish(Outcome::FailedStart, Some(msg), before));
        }
    }

    let create_ref = match docker.image_inspect(&req.image.pinned()) {
        Ok(Some(_)) => req.image.pinned(),
        _ => local.id.clone(),
    };
    let labels = req.labels(&local.id, local.digest.as_deref(), &now_rfc3339(), &key);
    let abort = || {
        signals
            .caught()
            .map(|s| format!("interrupted by signal {s}"))
    };
    let attempt: Result<String, (Outcome, String)> = (|| {
        let id = create(docker, &next, &req.spec, &create_ref, &labels, &key)
            .map_err(|e| (Outcome::FailedStart, e))?;
        docker
            .start(&id)
            .map_err(|e| (Outcome::FailedStart, format!("starting {next}: {e}")))?;
        wait_healthy(docker, &id, req, &abort).map_err(|u| {
            let o = if signals.caught().is_some() {
                Outcome::Interrupted
            } else {
                Outcome::FailedHealth
            };
            (o, format!("{next} did not become healthy: {}", u.reason))
        })?;
        Ok(id)
    })();

    let new_id = match attempt {
        Ok(id) => id,
        Err((outcome, why)) => {
            run.report.log_tail = docker
                .logs_tail(&next, Some(LOG_LINES), false)
                .map(|l| last_lines(&l, LOG_LINES))
                .unwrap_or_default();
            let _ = docker.remove_container(&next, true);
            let restored = restore(docker, old_id.as_deref(), cmp.running, service);
            let logs = if run.report.log_tail.is_empty() {
                String::new()
            } else {
                format!(
                    "\nlast {} log lines of {next}:\n{}",
                    run.report.log_tail.len(),
                    run.report.log_tail.join("\n")
                )
            };
            let msg = format!("{why}; {restored}{logs}");
            return Ok(run.finish(outcome, Some(msg), before));
        }
    };

    // The swap: the new container is healthy. Keep the old one stopped as `-previous`, with
    // restart policy `no` so a daemon restart cannot start it against the new one's ports.
    let previous_name = req.previous_name();
    let swap = (|| -> Result<(), String> {
        docker
            .remove_container(&previous_name, true)
            .map_err(|e| format!("removing the older {previous_name}: {e}"))?;
        if let Some(id) = &old_id {
            docker
                .set_restart_policy(id, "no")
                .map_err(|e| format!("updating {service}'s restart policy: {e}"))?;
            docker
                .rename(id, &previous_name)
                .map_err(|e| format!("renaming {service} to {previous_name}: {e}"))?;
        }
        docker
            .rename(&new_id, service)
            .map_err(|e| format!("renaming {next} to {service}: {e}"))
    })();
    if let Err(e) = swap {
        let _ = docker.remove_container(&new_id, true);
        if let Some(id) = &old_id {
            let _ = docker.rename(id, service);
        }
        let restored = restore(docker, old_id.as_deref(), cmp.running, service);
        return Ok(run.finish(
            Outcome::FailedStart,
            Some(format!("{e}; {restored}")),
            before,
        ));
    }
    let outcome = if req.rollback {
        Outcome::RolledBack
    } else {
        Outcome::Released
    };
    run.report.message = format!(
        "{service} now runs {}{}",
        req.image.pinned(),
        local
            .digest
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    );
    let mut report = run.finish(outcome, None, before);
    report.pruned_images = prune::prune(docker, &state.releases(), service, req.keep_releases);
    Ok(report)
}

fn wait_healthy(
    docker: &Docker,
    id: &str,
    req: &Request,
    abort: &dyn Fn() -> Option<String>,
) -> Result<(), Unhealthy> {
    let h = &req.health;
    if h.docker {
        health::wait_docker_healthy(docker, id, h.timeout, h.interval, abort)?;
    }
    if let Some(url) = &h.http {
        health::wait_http(
            docker,
            id,
            url,
            h.expect_status,
            h.timeout,
            h.interval,
            abort,
        )?;
    }
    if !h.docker && h.http.is_none() {
        health::wait_running(docker, id, h.interval.max(Duration::from_secs(1)))?;
    }
    Ok(())
}

/// Starts the old container again if it was running; says what happened.
fn restore(docker: &Docker, old_id: Option<&str>, was_running: bool, service: &str) -> String {
    let Some(id) = old_id else {
        return format!("there was no previous {service} to restore");
    };
    if !was_running {
        return format!("the previous {service} was not running and was left stopped");
    }
    if let Err(e) = docker.start(id) {
        return format!(
            "restarting the previous {service} FAILED: {e}: the service is down, act now"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    match docker.container_inspect(id) {
        Ok(Some(c)) if c["State"]["Running"].as_bool() == Some(true) => {
            format!("the previous {service} was restarted and is running")
        }
        _ => format!(
            "the previous {service} was restarted but is NOT running: the service is down, act now"
        ),
    }
}
