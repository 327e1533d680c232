//! A service whose health gate the test holds open or shut, for the release faults (a cut
//! connection, two concurrent runs). `gated` runs the testbed's app image on vm1, port 8081,
//! behind a command that waits for `/gate/open` (the VM's `/run/play-gate/open`, bind-mounted)
//! before it serves: with the gate shut a release sits in its health wait for as long as the
//! test likes, and opening it lets the release finish. No sleeps: the test acts on what it
//! sees (the `-next` container, the lock file, the history).

use crate::harness::{play, write, Testbed};
use crate::running::wait_in_vm;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const VM: &str = "vm1";
pub const SERVICE: &str = "gated";
pub const LOCK: &str = "/var/lib/play/locks/gated";
const HISTORY: &str = "/var/lib/play/releases/gated.jsonl";

const GATE_CMD: &str = "while [ ! -e /gate/open ]; do sleep 0.1; done; exec /bin/busybox nc -ll -p 8080 -e /app/handle";

/// Files the gated runs need: the registry vars, the Docker set-up and the release playbooks.
pub struct Gated {
    pub vars: String,
    pub prepare: PathBuf,
    pub release: PathBuf,
}

impl Gated {
    /// Writes the playbooks into `dir` and makes sure vm1 has Docker and a registry login
    /// (installed by play itself the first time: about half a minute).
    pub fn set_up(tb: &Testbed, dir: &Path) -> Gated {
        let password = std::fs::read_to_string(tb.env("TESTBED_REGISTRY_PASSWORD_FILE")).unwrap();
        let vars = dir.join("gated-vars.yml");
        write(
            &vars,
            &format!(
                "image_repo: {}\nregistry_username: {}\nregistry_password: {:?}\n",
                tb.env("TESTBED_APP_REPO"),
                tb.env("TESTBED_REGISTRY_USER"),
                password.trim()
            ),
        );
        let prepare = dir.join("gated-prepare.yml");
        write(
            &prepare,
            &format!(
                "- hosts: {VM}\n  gather_facts: false\n  become: true\n  tasks:\n\
                 \x20   - apt:\n        name: docker.io\n        state: present\n        update_cache: true\n        cache_valid_time: 3600\n\
                 \x20   - service:\n        name: docker\n        state: started\n\
                 \x20   - docker_login:\n        registry_url: \"{{{{ image_repo.split('/')[0] }}}}\"\n        username: \"{{{{ registry_username }}}}\"\n        password: \"{{{{ registry_password }}}}\"\n      no_log: true\n\
                 \x20   - file:\n        path: /run/play-gate\n        state: directory\n        mode: \"0755\"\n"
            ),
        );
        let release = dir.join("gated-release.yml");
        write(
            &release,
            &format!(
                "- hosts: {VM}\n  gather_facts: false\n  become: true\n  tasks:\n\
                 \x20   - name: release {SERVICE}\n      release:\n        service: {SERVICE}\n\
                 \x20       image: \"{{{{ image_repo }}}}\"\n        tag: \"{{{{ image_tag }}}}\"\n\
                 \x20       published_ports: [\"8081:8080\"]\n        volumes: [\"/run/play-gate:/gate:ro\"]\n\
                 \x20       command: [\"/bin/busybox\", \"sh\", \"-c\", {GATE_CMD:?}]\n\
                 \x20       health:\n          http: http://127.0.0.1:8081/health\n          timeout: \"{{{{ health_timeout | default('60s') }}}}\"\n          interval: 200ms\n\
                 \x20       stop_timeout: 1\n        operator: \"{{{{ play_operator }}}}\"\n\
                 \x20       lock_wait: \"{{{{ lock_wait | default('0s') }}}}\"\n"
            ),
        );
        let gated = Gated {
            vars: format!("@{}", vars.display()),
            prepare,
            release,
        };
        let inv = tb.inventory();
        let out = play(&[
            "-i",
            inv.to_str().unwrap(),
            gated.prepare.to_str().unwrap(),
            "-e",
            &gated.vars,
        ]);
        crate::check!(out.0 == 0, out);
        gated
    }

    /// The arguments of a `play` run releasing `tag`, plus `extra`.
    pub fn args<'a>(&'a self, inv: &'a str, tag: &str, extra: &[&'a str]) -> Vec<String> {
        let mut args = vec![
            "-i".to_string(),
            inv.to_string(),
            self.release.display().to_string(),
            "-e".into(),
            self.vars.clone(),
            "-e".into(),
            format!("image_tag={tag}"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// `gated` serving `tag` with the gate open: the starting point of every test.
    pub fn baseline(&self, tb: &Testbed, tag: &str) {
        gate(tb, true);
        let inv = tb.inventory();
        let args = self.args(inv.to_str().unwrap(), tag, &[]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = play(&args);
        crate::check!(out.0 == 0, out);
        assert_eq!(serving(tb), format!("version={tag}"));
    }
}

/// Opens or shuts the health gate of every `gated` container on vm1.
pub fn gate(tb: &Testbed, open: bool) {
    let cmd = if open {
        "mkdir -p /run/play-gate && touch /run/play-gate/open"
    } else {
        "rm -f /run/play-gate/open"
    };
    assert!(tb.exec(VM, cmd).status.success(), "{cmd}");
}

/// Waits until a release has started its new container and is waiting for it to be healthy.
pub fn wait_in_health_gate(tb: &Testbed) {
    wait_in_vm(
        tb,
        VM,
        "docker ps -q -f name='^gated-next$' | grep -q .",
        Duration::from_secs(120),
        "the release's new container gated-next",
    );
}

/// The first line `GET /` answers on vm1's port 8081 (`version=v1`), "" when nothing serves.
pub fn serving(tb: &Testbed) -> String {
    let out = tb.exec(VM, "curl -s --max-time 5 http://127.0.0.1:8081/");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Whether `/health` answers 200.
pub fn healthy(tb: &Testbed) -> bool {
    tb.exec(VM, "curl -sf --max-time 5 http://127.0.0.1:8081/health")
        .status
        .success()
}

/// The names of the running containers of the service (`gated`, `gated-next`, ...).
pub fn running_containers(tb: &Testbed) -> Vec<String> {
    let out = tb.exec(VM, "docker ps --format '{{.Names}}'");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|n| n.starts_with(SERVICE))
        .map(str::to_string)
        .collect()
}

/// The release history of the service on vm1, one JSON value per line. A line that does not
/// parse (a torn or interleaved write) fails the test.
pub fn history(tb: &Testbed) -> Vec<Value> {
    let out = tb.exec(VM, &format!("cat {HISTORY} 2>/dev/null"));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("history line {l:?}: {e}")))
        .collect()
}

/// Waits until the history has more than `before` lines and the lock is gone: the release
/// the agent was running has finished or been undone.
pub fn wait_release_done(tb: &Testbed, before: usize) {
    wait_in_vm(
        tb,
        VM,
        &format!("[ $(cat {HISTORY} | wc -l) -gt {before} ] && [ ! -e {LOCK} ]"),
        Duration::from_secs(90),
        "the release's history line and the lock's release",
    );
}

/// `2025-11-25T11:06:00Z` -> seconds since the epoch (the history's time format).
pub fn epoch_secs(time: &str) -> i64 {
    let n = |a: usize, b: usize| time[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)
}
