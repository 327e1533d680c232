//! The modes of the files play writes on a host, as the README promises them: the service's
//! `.env` 0600 (its folder 0700), the registry login 0600, the registry CA 0644 (public), the
//! release history 0600 and the lock folder 0700 (lock files themselves: concurrent_runs.rs),
//! the host's hash key 0600, the agent's cache folder and binary 0700, and a `--report` file
//! 0600 on the controller.
//! Files made wider by hand are narrowed again by the next run. And the agent refuses to run
//! from a cache folder or binary others can write to, saying which and what to do.

use crate::harness::{play, scratch, write, Testbed};
use crate::running::message_of;
use std::path::Path;

const VM: &str = "vm1";

fn stat(tb: &Testbed, path: &str) -> String {
    let out = tb.exec(VM, &format!("stat -c '%a %U' {path}"));
    assert!(
        out.status.success(),
        "{path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn release_vars(tb: &Testbed, dir: &Path) -> String {
    let password = std::fs::read_to_string(tb.env("TESTBED_REGISTRY_PASSWORD_FILE")).unwrap();
    let path = dir.join("vars.yml");
    write(
        &path,
        &format!(
            "target: {VM}\nservice_name: modes\nservice_ports: [\"8082:8080\"]\nhealth_url: http://127.0.0.1:8082/health\n\
             image_repo: {}\nimage_tag: v1\nregistry_username: {}\nregistry_password: {:?}\nregistry_ca_file: {}\nstop_timeout: 1\n\
             app_env:\n  APP_TOKEN: modes-test\n",
            tb.env("TESTBED_APP_REPO"),
            tb.env("TESTBED_REGISTRY_USER"),
            password.trim(),
            tb.env("TESTBED_REGISTRY_CA"),
        ),
    );
    format!("@{}", path.display())
}

/// Puts the cache folder's mode back whatever happens.
struct CacheMode<'a>(&'a Testbed);

impl Drop for CacheMode<'_> {
    fn drop(&mut self) {
        self.0.exec(
            VM,
            "chmod 0700 /home/play/.cache/play /home/play/.cache/play/play-agent-*",
        );
    }
}

#[test]
fn files_written_on_hosts_have_their_promised_modes() {
    let tb = Testbed::get();
    let dir = scratch("file-modes");
    let vars = release_vars(&tb, &dir);
    // Widen what an earlier run made, and remove the container so this run releases (and
    // writes a history line) whatever ran before.
    tb.exec(
        VM,
        "chmod 0644 /etc/play/modes/.env /var/lib/play/releases/modes.jsonl /var/lib/play/hash.key; \
         chmod 0755 /etc/play/modes /var/lib/play/releases /var/lib/play/locks; \
         docker rm -f modes modes-previous; true",
    );
    let report = dir.join("report.json");
    let inv = tb.inventory();
    let out = play(&[
        "-i",
        inv.to_str().unwrap(),
        "playbooks/docker.yml",
        "-e",
        &vars,
        "--report",
        report.to_str().unwrap(),
    ]);
    crate::check!(out.0 == 0, out);

    let registry = tb.env("TESTBED_APP_REPO");
    let registry = registry.split('/').next().unwrap();
    let expected = [
        ("/etc/play/modes/.env", "600 root"),
        ("/etc/play/modes", "700 root"),
        ("/root/.docker/config.json", "600 root"),
        (
            &format!("/etc/docker/certs.d/{registry}/ca.crt"),
            "644 root",
        ),
        ("/var/lib/play/releases", "700 root"),
        ("/var/lib/play/releases/modes.jsonl", "600 root"),
        ("/var/lib/play/locks", "700 root"),
        ("/var/lib/play/hash.key", "600 root"),
        ("/home/play/.cache/play", "700 play"),
        ("/home/play/.cache/play/play-agent-*", "700 play"),
    ];
    for (path, mode) in expected {
        assert_eq!(stat(&tb, path), mode, "{path}");
    }
    let local =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&report).unwrap().permissions());
    assert_eq!(local & 0o777, 0o600, "the --report file");
}

#[test]
fn the_agent_refuses_a_cache_folder_or_binary_others_can_write() {
    let tb = Testbed::get();
    let dir = scratch("unsafe-cache");
    let pb = dir.join("ping.yml");
    write(
        &pb,
        &format!("- hosts: {VM}\n  gather_facts: false\n  become: true\n  tasks:\n    - ping:\n"),
    );
    let inv = tb.inventory();
    let run = || play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    // A first run caches the agent.
    let out = run();
    crate::check!(out.0 == 0, out);

    let _restore = CacheMode(&tb);
    let cases = [
        (
            "chmod 0777 /home/play/.cache/play",
            "the agent folder /home/play/.cache/play is writable by group or others (mode 0777)",
            "run `chmod go-w /home/play/.cache/play`",
        ),
        (
            "chmod 0700 /home/play/.cache/play && chmod 0722 /home/play/.cache/play/play-agent-*",
            "is writable by group or others (mode 0722)",
            "the agent binary /home/play/.cache/play/play-agent-",
        ),
    ];
    for (widen, says, names) in cases {
        assert!(tb.exec(VM, widen).status.success(), "{widen}");
        let out = run();
        // The host answered: a failure (exit 2), not unreachable, and no sudo red herring.
        crate::check!(out.0 == 2, out);
        let msg = message_of(&out.1, VM);
        crate::check!(msg.contains("FAILED!"), out);
        crate::check!(
            msg.contains("the agent refuses to run from an unsafe place"),
            out
        );
        crate::check!(msg.contains(says) && msg.contains(names), out);
        crate::check!(!msg.contains("sudo asked for a password"), out);
    }
    drop(_restore);
    let out = run();
    crate::check!(out.0 == 0, out);
}
