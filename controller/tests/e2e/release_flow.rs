//! The release flow on the testbed, in order, as an operator lives it: Docker gets installed
//! on fresh VMs and v1 released; a rerun changes nothing; v2; rollback to v1 by digest even
//! after the v1 tag moved; a rolling v3 that never gets healthy stops at its first batch and
//! leaves v1 serving everywhere; a registry outage
//! changes nothing; and the secret canary appears nowhere it must not.

use crate::harness::{play, recap_value, scratch, Testbed};
use std::process::{Child, Command, Stdio};

const CANARY: &str = "canary-9f8e7d6c-secret";

fn vars_file(tb: &Testbed, dir: &std::path::Path) -> std::path::PathBuf {
    let password = std::fs::read_to_string(tb.env("TESTBED_REGISTRY_PASSWORD_FILE")).unwrap();
    let path = dir.join("release-vars.yml");
    std::fs::write(
        &path,
        format!(
            "image_repo: {}\nregistry_username: {}\nregistry_password: {:?}\nregistry_ca_file: {}\nstop_timeout: 1\nhealth_timeout: 15s\napp_env:\n  APP_SECRET: {CANARY}\n  APP_MODE: test\n",
            tb.env("TESTBED_APP_REPO"),
            tb.env("TESTBED_REGISTRY_USER"),
            password.trim(),
            tb.env("TESTBED_REGISTRY_CA"),
        ),
    )
    .unwrap();
    path
}

fn serving(tb: &Testbed, vm: &str) -> String {
    let out = tb.exec(vm, "curl -s --max-time 5 http://127.0.0.1:8080/");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

fn release(inv: &str, vars: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["-i", inv, "playbooks/docker.yml", "-e", vars];
    args.extend_from_slice(extra);
    play(&args)
}

/// Samples every process's argv on a VM while a run goes on.
fn watch_argv(tb: &Testbed, vm: &str) -> Child {
    let script = "while true; do for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' 2>/dev/null < $f; echo; done; sleep 0.05; done > /tmp/argv-watch.log";
    Command::new("docker")
        .args(["exec", &tb.container(vm), "sh", "-c", script])
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

fn history(tb: &Testbed, vm: &str) -> String {
    String::from_utf8_lossy(&tb.exec(vm, "cat /var/lib/play/releases/app.jsonl").stdout)
        .into_owned()
}

#[test]
fn release_flow_end_to_end() {
    let tb = Testbed::get();
    let dir = scratch("release");
    let inv = tb.inventory();
    let inv = inv.to_str().unwrap();
    let vars_path = vars_file(&tb, &dir);
    let vars = format!("@{}", vars_path.display());
    let vms = tb.vms();

    // v1 onto the VMs: Docker gets installed where missing; every VM serves v1.
    let report1 = dir.join("v1.json");
    let mut watcher = watch_argv(&tb, "vm1");
    let out = release(
        inv,
        &vars,
        &["-e", "image_tag=v1", "--report", report1.to_str().unwrap()],
    );
    let _ = watcher.kill();
    let _ = watcher.wait();
    let _ = tb.exec("vm1", "pkill -f 'argv-watch.log'; true");
    crate::check!(out.0 == 0, out);
    for vm in &vms {
        assert_eq!(serving(&tb, vm), "version=v1", "{vm}");
        let env_mode = tb.exec(vm, "stat -c '%a %U %G' /etc/play/app/.env");
        assert_eq!(
            String::from_utf8_lossy(&env_mode.stdout).trim(),
            "600 root root",
            "{vm}"
        );
        let docker = tb.exec(vm, "systemctl is-active docker");
        assert_eq!(
            String::from_utf8_lossy(&docker.stdout).trim(),
            "active",
            "{vm}"
        );
    }
    let served_env =
        String::from_utf8_lossy(&tb.exec("vm1", "curl -s http://127.0.0.1:8080/").stdout)
            .into_owned();
    assert!(
        served_env.contains("APP_SECRET"),
        "the app did not get its env: {served_env}"
    );

    // The canary: nowhere in output, the JSON report, the history, or any argv on the VM.
    assert!(
        !out.1.contains(CANARY) && !out.2.contains(CANARY),
        "canary in play's output"
    );
    assert!(
        !std::fs::read_to_string(&report1).unwrap().contains(CANARY),
        "canary in the report"
    );
    let argv =
        String::from_utf8_lossy(&tb.exec("vm1", "cat /tmp/argv-watch.log").stdout).into_owned();
    assert!(
        argv.contains("play-agent"),
        "the argv watcher saw no agent; it proves nothing"
    );
    assert!(!argv.contains(CANARY), "canary in a process's argv on vm1");

    // A rerun changes nothing.
    let out = release(inv, &vars, &["-e", "image_tag=v1"]);
    crate::check!(out.0 == 0, out);
    for vm in &vms {
        crate::check!(recap_value(&out.1, vm, "changed") == 0, out);
    }

    // v2 everywhere.
    let out = release(inv, &vars, &["-e", "image_tag=v2"]);
    crate::check!(out.0 == 0, out);
    for vm in &vms {
        assert_eq!(serving(&tb, vm), "version=v2", "{vm}");
    }

    // Move the v1 tag to v3's image in the registry: rollback must still bring back the
    // v1 that ran, by digest.
    retag_in_registry(&tb, "v3", "v1");
    let out = play(&[
        "rollback",
        "-i",
        inv,
        "playbooks/docker.yml",
        "-e",
        &vars,
        "--to",
        "previous",
    ]);
    crate::check!(out.0 == 0, out);
    crate::check!(out.1.contains("-> registry"), out);
    for vm in &vms {
        assert_eq!(serving(&tb, vm), "version=v1", "{vm} after rollback");
        let last = history(&tb, vm).lines().last().unwrap_or("").to_string();
        assert!(last.contains("\"rolled_back\""), "{vm}: {last}");
    }
    let releases = play(&["releases", "-i", inv, "--service", "app"]);
    crate::check!(releases.0 == 0, releases);
    crate::check!(
        releases.1.contains("rolled_back") && releases.1.contains("* "),
        releases
    );
    retag_in_registry(&tb, "v1", "v1");

    // v3 never gets healthy, released one host at a time with no failure allowed: the first
    // batch fails, the rollout stops there, and every host keeps serving v1.
    let out = release(
        inv,
        &vars,
        &[
            "-e",
            "image_tag=v3",
            "-e",
            "health_timeout=5s",
            "-e",
            "release_serial=1",
            "-e",
            "release_max_fail_percentage=0",
        ],
    );
    crate::check!(out.0 == 2, out);
    crate::check!(out.1.contains("NO MORE HOSTS LEFT"), out);
    for vm in &vms {
        assert_eq!(serving(&tb, vm), "version=v1", "{vm} after the failed v3");
    }
    let first = history(&tb, &vms[0])
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert!(first.contains("\"failed_health\""), "{}: {first}", vms[0]);
    for vm in &vms[1..] {
        let last = history(&tb, vm).lines().last().unwrap_or("").to_string();
        assert!(
            last.contains("\"rolled_back\""),
            "{vm} was touched after the first batch failed: {last}"
        );
    }

    // Registry unreachable from the VMs (cut from the private network; its published port
    // and address stay as they are): the pull fails, nothing changes, v1 keeps serving.
    let registry = tb.env("TESTBED_REGISTRY_CONTAINER");
    let network = tb.env("TESTBED_NET_PRIVATE");
    let docker = |args: &[&str]| Command::new("docker").args(args).output().unwrap();
    assert!(docker(&["network", "disconnect", &network, &registry])
        .status
        .success());
    let out = release(inv, &vars, &["-e", "image_tag=v2"]);
    let alias = tb.env("TESTBED_APP_REPO");
    let alias = alias.split(':').next().unwrap();
    // VMs find it again by its DNS alias (its certificate names it), whatever address it gets.
    let back = docker(&["network", "connect", "--alias", alias, &network, &registry]);
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    crate::check!(out.0 == 2, out);
    for vm in &vms {
        assert_eq!(
            serving(&tb, vm),
            "version=v1",
            "{vm} during the registry outage"
        );
        let last = history(&tb, vm).lines().last().unwrap_or("").to_string();
        assert!(last.contains("\"failed_pull\""), "{vm}: {last}");
        assert!(
            !history(&tb, vm).contains(CANARY),
            "{vm}: canary in the history"
        );
        let mode = tb.exec(vm, "stat -c '%a' /var/lib/play/releases/app.jsonl");
        assert_eq!(String::from_utf8_lossy(&mode.stdout).trim(), "600");
    }
}

/// Pushes the testbed's local image `play-testbed/app:<from>` as `app:<to>` in the registry.
pub(crate) fn retag_in_registry(tb: &Testbed, from: &str, to: &str) {
    let reg = tb.env("TESTBED_REGISTRY_HOSTSIDE");
    let config = format!("{}/docker-config", tb.dir.display());
    let target = format!("{reg}/app:{to}");
    let run = |args: &[&str]| {
        let out = Command::new("docker")
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let password = std::fs::read(tb.env("TESTBED_REGISTRY_PASSWORD_FILE")).unwrap();
    let mut login = Command::new("docker")
        .args([
            "--config",
            &config,
            "login",
            &reg,
            "-u",
            &tb.env("TESTBED_REGISTRY_USER"),
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(login.stdin.as_mut().unwrap(), &password).unwrap();
    drop(login.stdin.take());
    assert!(login.wait().unwrap().success(), "docker login to {reg}");
    run(&["tag", &format!("play-testbed/app:{from}"), &target]);
    run(&["push", "-q", &target]);
    run(&["rmi", &target]);
}
