//! Integration tests against the real Docker daemon on this machine: the release transaction
//! end to end (release, unchanged, new version, never-healthy version restored, failed pull,
//! lock held, rollback by pinned ID), containers made by an older play (plain-hash labels)
//! after an upgrade, and the docker modules.
//!
//! Test images are built here from Debian's busybox-static (`busybox httpd` serving /www), so
//! no registry is needed. When no daemon answers, the tests fail and say how to start one;
//! `PLAY_SKIP_DOCKER_TESTS=1` skips them explicitly instead.

use super::history::{read_all, Outcome};
use super::plan::Request;
use super::transaction::execute;
use super::{StateDir, PROCESS_TEST_LOCK};
use crate::docker::container_spec::{LABEL_CONFIG, LABEL_CONFIG_HASH, LABEL_ENV_KEYS};
use crate::docker::{self, Docker};
use crate::hash_key::{Hashing, HostKey};
use crate::modules::{self, Context};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{MutexGuard, OnceLock};
use std::time::Duration;

const REPO: &str = "play-test/app";

fn daemon() -> Option<(Docker, MutexGuard<'static, ()>)> {
    let guard = PROCESS_TEST_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    match docker::connect(None) {
        Ok(d) => Some((d, guard)),
        Err(_) if std::env::var_os("PLAY_SKIP_DOCKER_TESTS").is_some() => None,
        Err(e) => panic!(
            "{e}\nthese tests need a Docker daemon: run tests/testbed/ensure-docker.sh (or apt-get install docker.io && dockerd &), or set PLAY_SKIP_DOCKER_TESTS=1 to skip them"
        ),
    }
}

/// Imports a busybox image whose httpd serves `files` from /www, running `cmd` (a shell line).
fn build_image(docker: &Docker, tag: &str, files: &[(&str, &str)], cmd: &str) {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("bin")).unwrap();
    std::fs::create_dir_all(r.join("www")).unwrap();
    std::fs::create_dir_all(r.join("tmp")).unwrap();
    std::fs::copy("/bin/busybox", r.join("bin/busybox"))
        .expect("/bin/busybox missing: apt-get install busybox-static");
    for link in ["sh", "httpd", "wget", "echo", "cat", "sleep"] {
        std::os::unix::fs::symlink("busybox", r.join("bin").join(link)).unwrap();
    }
    for (name, content) in files {
        std::fs::write(r.join("www").join(name), content).unwrap();
    }
    let tar = Command::new("tar")
        .arg("-C")
        .arg(r)
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    assert!(tar.status.success());
    let cmd_line = format!("CMD [\"/bin/sh\", \"-c\", {}]", json!(cmd));
    docker
        .import_image(&tar.stdout, REPO, tag, &[&cmd_line])
        .unwrap();
}

/// v1, v2 serve /health; v3 logs two lines and serves no /health, so it is never healthy.
fn images(docker: &Docker) {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let serve = "exec /bin/busybox httpd -f -p 8080 -h /www";
        build_image(docker, "v1", &[("health", "ok"), ("version", "v1")], serve);
        build_image(docker, "v2", &[("health", "ok"), ("version", "v2")], serve);
        build_image(
            docker,
            "v3",
            &[("version", "v3")],
            &format!("echo starting v3; echo v3 has no health endpoint >&2; {serve}"),
        );
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.split("\r\n\r\n").nth(1).map(str::to_string)
}

fn cleanup(docker: &Docker, names: &[String]) {
    for n in names {
        let _ = docker.remove_container(n, true);
    }
}

fn ctx(check: bool, env: &BTreeMap<String, String>) -> Context<'_> {
    Context {
        check,
        diff: true,
        no_log: false,
        environment: env,
        become_user: None,
        timeout: None,
        deadline: None,
        cancel: &crate::modules::NEVER_CANCELLED,
    }
}

fn release_args(service: &str, tag: &str, port: u16, extra: Value) -> Value {
    let mut v = json!({
        "service": service, "image": REPO, "tag": tag, "pull": "missing",
        "published_ports": [format!("127.0.0.1:{port}:8080")],
        "health": {"http": format!("http://127.0.0.1:{port}/health"), "timeout": "4s", "interval": "200ms"},
        "operator": "tester@ctl", "reason": "test", "stop_timeout": 1,
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn request(args: Value) -> Request {
    serde_json::from_value::<modules::release::Args>(args)
        .unwrap()
        .request_as(false)
        .unwrap()
}

#[test]
fn release_lifecycle_against_a_real_daemon() {
    let Some((docker, _serial)) = daemon() else {
        return;
    };
    images(&docker);
    let service = format!("playtest-web-{}", std::process::id());
    let names = [
        service.clone(),
        format!("{service}-next"),
        format!("{service}-previous"),
    ];
    cleanup(&docker, &names);
    let state_dir = tempfile::tempdir().unwrap();
    let state = StateDir(state_dir.path().to_path_buf());
    let port = free_port();
    let env_file = state_dir.path().join(".env");
    std::fs::write(&env_file, "DB_PASSWORD=hunter2-secret\nMODE=blue\n").unwrap();
    let with_env = json!({"env_file": env_file});

    // v1: released and serving.
    let r = execute(
        &docker,
        &state,
        &request(release_args(&service, "v1", port, with_env.clone())),
    )
    .unwrap();
    assert_eq!(
        (r.outcome, r.failed, r.changed),
        (Some(Outcome::Released), false, true),
        "{}",
        r.message
    );
    assert_eq!(get(port, "/version").as_deref(), Some("v1"));
    let v1_id = r.image_id.clone().unwrap();

    // Same again: unchanged, nothing written.
    let r = execute(
        &docker,
        &state,
        &request(release_args(&service, "v1", port, with_env.clone())),
    )
    .unwrap();
    assert_eq!((r.outcome, r.changed), (None, false), "{}", r.message);

    // Check mode for v2 with MODE removed from the env file: says what, never values.
    std::fs::write(&env_file, "DB_PASSWORD=hunter2-secret\nNEW_KEY=1\n").unwrap();
    let env = BTreeMap::new();
    let mut args = release_args(&service, "v2", port, with_env.clone());
    args["env"] = json!({"EXTRA": "x"});
    let plan = modules::release::run_in(
        &state,
        serde_json::from_value(args.clone()).unwrap(),
        &ctx(true, &env),
    )
    .unwrap();
    assert!(plan.changed && !plan.failed, "{plan:?}");
    assert_eq!(plan.data["outcome"], "would_release");
    assert_eq!(
        plan.data["env_keys"],
        json!({"added": ["EXTRA", "NEW_KEY"], "removed": ["MODE"], "changed": []})
    );
    assert_eq!(plan.data["previous_tag"], "v1");
    let shown = serde_json::to_string(&plan).unwrap();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        plan.diff[0].before.contains(":v1") && plan.diff[0].after.contains(":v2"),
        "{:?}",
        plan.diff
    );
    assert_eq!(
        get(port, "/version").as_deref(),
        Some("v1"),
        "check mode changed nothing"
    );

    // v2: released; v1 kept stopped as -previous.
    let r = execute(&docker, &state, &request(args.clone())).unwrap();
    assert_eq!(r.outcome, Some(Outcome::Released), "{}", r.message);
    assert_eq!(get(port, "/version").as_deref(), Some("v2"));
    assert_eq!(
        r.comparison.previous.image_id.as_deref(),
        Some(v1_id.as_str())
    );
    let prev = docker
        .container_inspect(&names[2])
        .unwrap()
        .expect("-previous kept");
    assert_eq!(prev["State"]["Running"], false);
    assert_eq!(prev["HostConfig"]["RestartPolicy"]["Name"], "no");

    // v3 never becomes healthy: its logs are in the message, v2 is restored and serving.
    let r = execute(
        &docker,
        &state,
        &request(release_args(&service, "v3", port, with_env.clone())),
    )
    .unwrap();
    assert_eq!((r.outcome, r.failed), (Some(Outcome::FailedHealth), true));
    assert!(
        r.message.contains("v3 has no health endpoint"),
        "{}",
        r.message
    );
    assert!(
        r.message.contains("restarted and is running"),
        "{}",
        r.message
    );
    assert_eq!(get(port, "/version").as_deref(), Some("v2"));
    assert!(
        docker.container_inspect(&names[1]).unwrap().is_none(),
        "-next removed"
    );

    // A pull that fails changes nothing.
    let mut bad = release_args(&service, "v9", port, with_env.clone());
    bad["image"] = json!("127.0.0.1:1/nope");
    bad["pull"] = json!("always");
    let r = execute(&docker, &state, &request(bad)).unwrap();
    assert_eq!(r.outcome, Some(Outcome::FailedPull));
    assert!(r.message.contains("127.0.0.1:1"), "{}", r.message);
    assert_eq!(get(port, "/version").as_deref(), Some("v2"));

    // Someone else holds the lock: refused at once, naming them.
    let held = super::lock::acquire(&state.locks(), &service, "alice@ctl", Duration::ZERO).unwrap();
    let err = execute(
        &docker,
        &state,
        &request(release_args(&service, "v1", port, with_env.clone())),
    )
    .unwrap_err();
    assert!(err.contains("alice@ctl"), "{err}");
    drop(held);

    // Rollback pinned by image ID (local images have no repo digest).
    let mut back = release_args(&service, "v1", port, with_env.clone());
    back["digest"] = json!(v1_id);
    back["_rollback"] = json!(true);
    let r = execute(&docker, &state, &request(back)).unwrap();
    assert_eq!(r.outcome, Some(Outcome::RolledBack), "{}", r.message);
    assert_eq!(get(port, "/version").as_deref(), Some("v1"));

    // History: one line per changing or failed attempt, no secret anywhere.
    let (entries, skipped) = read_all(&state.releases(), &service).unwrap();
    let outcomes: Vec<Outcome> = entries.iter().map(|e| e.outcome).collect();
    assert_eq!(
        (outcomes, skipped),
        (
            vec![
                Outcome::Released,
                Outcome::Released,
                Outcome::FailedHealth,
                Outcome::FailedPull,
                Outcome::RolledBack
            ],
            0
        )
    );
    assert_eq!(
        entries[1].previous.as_ref().unwrap().image_id.as_deref(),
        Some(v1_id.as_str())
    );
    assert!(entries[1].env_sha256.is_some() && entries[1].operator == "tester@ctl");
    // Every hash of a secret written on the host is keyed; none is the plain sha256.
    let key = HostKey::load_or_create(&state.hash_key()).unwrap();
    for e in &entries {
        for h in [&e.env_sha256, &e.config_sha256] {
            assert!(h.as_deref().unwrap().starts_with("hmac-sha256:"), "{e:?}");
        }
    }
    let final_env = std::fs::read(&env_file).unwrap();
    assert_eq!(
        entries[4].env_sha256.as_deref(),
        Some(Hashing::Keyed(&key).hash(&final_env).as_str())
    );
    let raw =
        std::fs::read_to_string(super::history::history_path(&state.releases(), &service)).unwrap();
    assert!(!raw.contains("hunter2"));
    assert!(!raw.contains(&Hashing::Plain.hash(&final_env)), "{raw}");
    assert!(!state.locks().join(&service).exists(), "lock released");
    let inspect = docker.container_inspect(&service).unwrap().unwrap();
    let labels = inspect["Config"]["Labels"].to_string();
    assert!(!labels.contains("hunter2"), "{labels}");
    assert!(
        !labels.contains(&Hashing::Plain.hash(&final_env)),
        "{labels}"
    );
    for name in [
        super::plan::L_ENV_SHA,
        super::plan::L_CONFIG_SHA,
        LABEL_CONFIG_HASH,
    ] {
        let v = inspect["Config"]["Labels"][name].as_str().unwrap();
        assert!(v.starts_with("hmac-sha256:"), "{name}: {v}");
    }
    cleanup(&docker, &names);
}

#[test]
fn a_signal_during_the_health_wait_restores_the_old_container() {
    let Some((docker, _serial)) = daemon() else {
        return;
    };
    images(&docker);
    let service = format!("playtest-sig-{}", std::process::id());
    let names = [
        service.clone(),
        format!("{service}-next"),
        format!("{service}-previous"),
    ];
    cleanup(&docker, &names);
    let state_dir = tempfile::tempdir().unwrap();
    let state = StateDir(state_dir.path().to_path_buf());
    let port = free_port();
    let r = execute(
        &docker,
        &state,
        &request(release_args(&service, "v1", port, json!({}))),
    )
    .unwrap();
    assert_eq!(r.outcome, Some(Outcome::Released), "{}", r.message);

    // v3 never gets healthy; a real SIGTERM to this process arrives while the release waits.
    let mut args = release_args(&service, "v3", port, json!({}));
    args["health"]["timeout"] = json!("20s");
    let killer = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(3));
        // SAFETY: signalling ourselves; the release's guard has the handler installed.
        unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    });
    super::signals::RERAISED.store(0, std::sync::atomic::Ordering::SeqCst);
    let started = std::time::Instant::now();
    let r = execute(&docker, &state, &request(args)).unwrap();
    killer.join().unwrap();
    assert_eq!(r.outcome, Some(Outcome::Interrupted), "{}", r.message);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "stopped waiting at the signal"
    );
    assert!(
        r.message.contains("signal 15") && r.message.contains("restarted and is running"),
        "{}",
        r.message
    );
    assert_eq!(get(port, "/version").as_deref(), Some("v1"));
    assert!(!state.locks().join(&service).exists(), "lock released");
    assert_eq!(
        super::signals::RERAISED.load(std::sync::atomic::Ordering::SeqCst),
        libc::SIGTERM
    );
    let (entries, _) = read_all(&state.releases(), &service).unwrap();
    assert_eq!(entries.last().unwrap().outcome, Outcome::Interrupted);
    cleanup(&docker, &names);
}

#[test]
fn docker_container_module_recreates_only_on_change() {
    let Some((docker, _serial)) = daemon() else {
        return;
    };
    images(&docker);
    let name = format!("playtest-ctr-{}", std::process::id());
    cleanup(&docker, std::slice::from_ref(&name));
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("app.env");
    std::fs::write(&env_file, "TOKEN=s3cret-value\n").unwrap();
    let port = free_port();
    let env = BTreeMap::new();
    let args = |extra: Value| -> modules::docker_container::Args {
        let mut v = json!({
            "name": name, "image": format!("{REPO}:v1"), "state": "healthy", "stop_timeout": 1,
            "published_ports": [format!("127.0.0.1:{port}:8080")], "env_file": env_file,
            "env": {"A": "1"}, "restart_policy": "unless-stopped", "healthy_wait_timeout": "20s",
            "healthcheck": {"test": ["CMD", "/bin/busybox", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health"],
                            "interval": "1s", "timeout": "2s", "retries": 3},
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::from_value(v).unwrap()
    };
    let state = StateDir(dir.path().join("state"));
    let run = |a, check| modules::docker_container::run_in(&state, a, &ctx(check, &env)).unwrap();

    let r = run(args(json!({})), false);
    assert!(r.changed, "{r:?}");
    assert_eq!(r.data["container"]["State"]["Health"]["Status"], "healthy");
    assert!(!serde_json::to_string(&r).unwrap().contains("s3cret"));
    // Labelled with keyed hashes; the returned inspect data holds none of them.
    let labels = &docker.container_inspect(&name).unwrap().unwrap()["Config"]["Labels"];
    assert!(labels[LABEL_CONFIG_HASH]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert_eq!(
        r.data["container"]["Config"]["Labels"][LABEL_CONFIG_HASH],
        "<redacted>"
    );
    let shown = serde_json::to_string(&r).unwrap();
    assert!(!shown.contains("hmac-sha256:"), "{shown}");
    assert!(
        !run(args(json!({})), false).changed,
        "same config: unchanged"
    );

    // Removing an env var, or editing the env file, recreates; check mode only says so.
    let r = run(args(json!({"env": {}})), true);
    assert!(r.changed);
    assert_eq!(r.data["env_keys"]["removed"], json!(["A"]));
    assert!(
        !run(args(json!({})), false).changed,
        "check mode changed nothing"
    );
    std::fs::write(&env_file, "TOKEN=s3cret-value-2\n").unwrap();
    let r = run(args(json!({})), false);
    assert!(r.changed && r.data["actions"][0] == "recreate", "{r:?}");
    assert_eq!(r.data["env_keys"]["changed"], json!(["TOKEN"]));
    assert!(!r.diff[0].after.contains("s3cret"), "{:?}", r.diff);

    // A new image recreates; stopped stops; absent removes.
    let r = run(args(json!({"image": format!("{REPO}:v2")})), false);
    assert_eq!(r.data["changed_fields"][0], "image");
    assert_eq!(get(port, "/version").as_deref(), Some("v2"));
    let r = run(
        args(json!({"image": format!("{REPO}:v2"), "state": "stopped"})),
        false,
    );
    assert_eq!(r.data["actions"], json!(["stop"]));
    let r = run(args(json!({"state": "absent"})), false);
    assert!(r.changed);
    assert!(docker.container_inspect(&name).unwrap().is_none());

    // detach: false runs to completion and returns the output; a failure status fails.
    let once = |cmd: &str| {
        let a: modules::docker_container::Args = serde_json::from_value(json!({
            "name": name, "image": format!("{REPO}:v1"), "command": cmd, "detach": false, "cleanup": true,
        }))
        .unwrap();
        modules::docker_container::run_in(&state, a, &ctx(false, &env))
    };
    let r = once("echo hello from the container").unwrap();
    assert_eq!(r.data["output"], "hello from the container\n");
    let e = once("sh -c 'echo failing; exit 3'").unwrap_err().0;
    assert!(e.contains("status 3") && e.contains("failing"), "{e}");
    cleanup(&docker, &[name]);
}

/// Labels of a container as play made them before keyed hashes: plain sha256 everywhere.
fn plain_labels(req: &Request, image_id: &str) -> BTreeMap<String, String> {
    let throwaway =
        HostKey::load_or_create(&tempfile::tempdir().unwrap().path().join("k")).unwrap();
    let mut l = req.labels(image_id, None, "2025-11-25T11:06:00Z", &throwaway);
    l.insert(
        super::plan::L_CONFIG_SHA.into(),
        req.spec.config_hash(Hashing::Plain),
    );
    if let Some(f) = &req.spec.env_file {
        l.insert(super::plan::L_ENV_SHA.into(), f.digest(Hashing::Plain));
    }
    l
}

#[test]
fn containers_made_by_an_older_play_are_left_alone_until_they_change() {
    let Some((docker, _serial)) = daemon() else {
        return;
    };
    images(&docker);
    let service = format!("playtest-upg-{}", std::process::id());
    let ctr = format!("playtest-upgctr-{}", std::process::id());
    let names = [
        service.clone(),
        format!("{service}-next"),
        format!("{service}-previous"),
        ctr.clone(),
    ];
    cleanup(&docker, &names);
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir(dir.path().join("state"));
    let env_file = dir.path().join(".env");
    std::fs::write(&env_file, "DB_PASSWORD=hunter2-secret\nMODE=blue\n").unwrap();
    let port = free_port();
    let env = BTreeMap::new();
    let args = release_args(&service, "v1", port, json!({"env_file": env_file}));
    let req = request(args.clone());
    let v1_id = docker
        .image_inspect(&format!("{REPO}:v1"))
        .unwrap()
        .unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_string();

    // The release's container, as the previous version of play left it.
    let body = req.spec.create_body(
        &format!("{REPO}:v1"),
        &plain_labels(&req, &v1_id),
        Hashing::Plain,
    );
    let id = docker.create_container(&service, &body).unwrap();
    docker.start(&id).unwrap();
    let plain_config = req.spec.config_hash(Hashing::Plain);

    // Check mode and the real run: unchanged, the old container and its labels left alone.
    let check = |a: &Value| {
        modules::release::run_in(
            &state,
            serde_json::from_value(a.clone()).unwrap(),
            &ctx(true, &env),
        )
        .unwrap()
    };
    let plan = check(&args);
    assert_eq!(
        (plan.changed, &plan.data["outcome"]),
        (false, &json!("unchanged")),
        "{plan:?}"
    );
    let r = execute(&docker, &state, &req).unwrap();
    assert_eq!((r.outcome, r.changed), (None, false), "{}", r.message);
    let labels =
        |name: &str| docker.container_inspect(name).unwrap().unwrap()["Config"]["Labels"].clone();
    assert_eq!(
        labels(&service)[super::plan::L_CONFIG_SHA],
        json!(plain_config)
    );
    assert_eq!(
        docker.container_inspect(&service).unwrap().unwrap()["Id"],
        json!(id)
    );

    // A changed secret is named against the old labels, then released with keyed ones.
    std::fs::write(&env_file, "DB_PASSWORD=hunter3-secret\nMODE=blue\n").unwrap();
    let plan = check(&args);
    assert_eq!(plan.data["outcome"], "would_release");
    assert_eq!(
        plan.data["env_keys"],
        json!({"added": [], "removed": [], "changed": ["DB_PASSWORD"]})
    );
    let r = execute(&docker, &state, &request(args.clone())).unwrap();
    assert_eq!(r.outcome, Some(Outcome::Released), "{}", r.message);
    assert_eq!(r.comparison.env.changed, vec!["DB_PASSWORD"]);
    let now = labels(&service);
    for name in [
        super::plan::L_CONFIG_SHA,
        super::plan::L_ENV_SHA,
        LABEL_CONFIG_HASH,
    ] {
        assert!(
            now[name].as_str().unwrap().starts_with("hmac-sha256:"),
            "{name}: {now}"
        );
    }
    // And it is unchanged in the new format.
    let r = execute(&docker, &state, &request(args.clone())).unwrap();
    assert_eq!((r.outcome, r.changed), (None, false), "{}", r.message);
    assert_eq!(check(&args).data["outcome"], "unchanged");

    // docker_container: the same for its `play.config-hash`.
    let token = dir.path().join("ctr.env");
    std::fs::write(&token, "TOKEN=s3cret-value\n").unwrap();
    let ctr_args = |a: Value| -> modules::docker_container::Args {
        let mut v = json!({"name": ctr, "image": format!("{REPO}:v1"), "env_file": token,
                           "env": {"A": "1"}, "stop_timeout": 1});
        for (k, x) in a.as_object().unwrap() {
            v[k] = x.clone();
        }
        serde_json::from_value(v).unwrap()
    };
    let spec = ctr_args(json!({})).spec_as(false).unwrap();
    let body = spec.create_body(&format!("{REPO}:v1"), &BTreeMap::new(), Hashing::Plain);
    let id = docker.create_container(&ctr, &body).unwrap();
    docker.start(&id).unwrap();
    let old_env_keys = labels(&ctr)[LABEL_ENV_KEYS].clone();
    let run = |a, check| modules::docker_container::run_in(&state, a, &ctx(check, &env)).unwrap();
    for check in [true, false] {
        let r = run(ctr_args(json!({})), check);
        assert!(!r.changed, "check {check}: {r:?}");
    }
    assert_eq!(labels(&ctr)[LABEL_ENV_KEYS], old_env_keys, "not recreated");
    // Check mode with --diff names the changed key against the old labels.
    let r = run(ctr_args(json!({"env": {"A": "2"}})), true);
    assert!(r.changed);
    assert_eq!(r.data["env_keys"]["changed"], json!(["A"]));
    assert!(
        r.diff[0].after.contains("values changed: A"),
        "{:?}",
        r.diff
    );
    let r = run(ctr_args(json!({"env": {"A": "2"}})), false);
    assert!(r.changed && r.data["actions"][0] == "recreate", "{r:?}");
    let keyed = labels(&ctr);
    assert!(keyed[LABEL_CONFIG_HASH]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert!(keyed[LABEL_CONFIG]
        .as_str()
        .unwrap()
        .contains("hmac-sha256:"));
    assert!(!run(ctr_args(json!({"env": {"A": "2"}})), false).changed);
    // Against the new labels, a changed key is still named.
    let r = run(ctr_args(json!({"env": {"A": "3"}})), true);
    assert_eq!(r.data["env_keys"]["changed"], json!(["A"]));
    cleanup(&docker, &names);
}

#[test]
fn image_and_login_modules() {
    let Some((docker, _serial)) = daemon() else {
        return;
    };
    images(&docker);
    let env = BTreeMap::new();
    let image = |v: Value| {
        modules::docker_image::run(serde_json::from_value(v).unwrap(), &ctx(false, &env))
    };
    let r = image(json!({"name": REPO, "tag": "v1", "source": "local"})).unwrap();
    assert!(!r.changed);
    assert!(r.data["image"]["Id"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let e = image(json!({"name": REPO, "tag": "nope", "source": "local"}))
        .unwrap_err()
        .0;
    assert!(e.contains("not present"), "{e}");
    // Present already: no pull, unchanged.
    assert!(
        !image(json!({"name": format!("{REPO}:v2")}))
            .unwrap()
            .changed
    );
    let e = image(json!({"name": "127.0.0.1:1/nope", "force_source": true}))
        .unwrap_err()
        .0;
    assert!(
        e.contains("pulling 127.0.0.1:1/nope:latest from 127.0.0.1:1 failed"),
        "{e}"
    );

    // absent on a throwaway copy.
    build_image(&docker, "throwaway", &[], "true");
    let r = image(json!({"name": REPO, "tag": "throwaway", "state": "absent"})).unwrap();
    assert!(r.changed);
    assert!(
        !image(json!({"name": REPO, "tag": "throwaway", "state": "absent"}))
            .unwrap()
            .changed
    );

    let pull = |v: Value| {
        modules::docker_image_pull::run(serde_json::from_value(v).unwrap(), &ctx(false, &env))
    };
    let r = pull(json!({"name": REPO, "tag": "v1", "pull": "not_present"})).unwrap();
    assert!(!r.changed && r.data["image"]["RepoDigests"].is_array());

    // Login against a registry that does not answer fails with the registry named, never the
    // password, and leaves the config untouched.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    let a = json!({"registry_url": "127.0.0.1:1", "username": "ci", "password": "pw-hunter2", "config_path": cfg});
    let e = modules::docker_login::run(serde_json::from_value(a).unwrap(), &ctx(false, &env))
        .unwrap_err()
        .0;
    assert!(e.contains("127.0.0.1:1") && !e.contains("hunter2"), "{e}");
    assert!(!cfg.exists());
}
