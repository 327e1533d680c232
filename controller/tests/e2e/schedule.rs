//! Scheduled drift checks on the testbed's bastion, which boots systemd: `play schedule add`
//! installs a timer that runs a check-mode playbook every 20 s against the VMs; a hand edit on
//! a VM shows up as drift (report names the host, the unit exits 2); a run while the lock is
//! held is skipped and says so; list, logs and remove work. play runs inside the bastion (as
//! it would on a real one), reaching the VMs' private addresses directly.

use crate::harness::{scratch, write, Testbed};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const WORK: &str = "/root/sched";
const REPORTS: &str = "/var/lib/play/schedules/reports/drift";

struct Bastion(String);

impl Bastion {
    /// `sh -c` inside the bastion as root: (exit code, stdout, stderr).
    fn sh(&self, cmd: &str) -> (i32, String, String) {
        let out = Command::new("docker")
            .args(["exec", &self.0, "sh", "-c", cmd])
            .output()
            .expect("docker exec");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, cmd: &str) -> String {
        let out = self.sh(cmd);
        crate::check!(out.0 == 0, out);
        out.1
    }

    fn copy_in(&self, src: &Path, dst: &str) {
        let status = Command::new("docker")
            .args(["cp", src.to_str().unwrap(), &format!("{}:{dst}", self.0)])
            .status()
            .expect("docker cp");
        assert!(status.success(), "docker cp {} {dst}", src.display());
    }

    /// The schedule's reports, oldest first, as (file name, parsed JSON).
    fn reports(&self) -> Vec<(String, Value)> {
        let names = self.sh(&format!("ls {REPORTS} 2>/dev/null")).1;
        let mut out = Vec::new();
        for name in names.lines().filter(|n| n.ends_with(".json")) {
            let text = self.sh(&format!("cat {REPORTS}/{name}")).1;
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                out.push((name.to_string(), v));
            }
        }
        out
    }

    /// Waits (bounded) for a report after `after` (a file name) whose summary satisfies `pred`.
    fn wait_report(
        &self,
        after: &str,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> (String, Value) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(r) = self
                .reports()
                .into_iter()
                .filter(|(n, _)| n.as_str() > after)
                .find(|(_, v)| pred(&v["summary"]))
            {
                return r;
            }
            if Instant::now() > deadline {
                let journal = self
                    .sh("journalctl -u play-drift.service -n 60 --no-pager")
                    .1;
                let names: Vec<String> = self
                    .reports()
                    .iter()
                    .map(|(n, v)| format!("{n}: {}", v["summary"]))
                    .collect();
                panic!(
                    "no report with {what} within 120 s; reports:\n{}\njournal:\n{journal}",
                    names.join("\n")
                );
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

fn agent_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("PLAY_AGENT") {
        return PathBuf::from(p);
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_play"));
    exe.parent()
        .and_then(Path::parent)
        .unwrap()
        .join("x86_64-unknown-linux-gnu/release/play-agent")
}

/// Copies play, the agent, the operator key and known_hosts into the bastion, with an
/// inventory of the VMs' private addresses and a playbook that manages one file.
fn install(tb: &Testbed, bastion: &Bastion) {
    let dir = scratch("schedule");
    let vms = tb.vms();
    let mut inv = String::from("[vms]\n");
    for vm in &vms {
        inv.push_str(&format!("{vm} ansible_host={}\n", tb.ip(vm)));
    }
    inv.push_str(&format!(
        "\n[all:vars]\nansible_user={}\nansible_ssh_private_key_file={WORK}/id_ed25519\nplay_known_hosts={WORK}/known_hosts\n",
        tb.env("TESTBED_SSH_USER")
    ));
    write(&dir.join("inv.ini"), &inv);
    write(
        &dir.join("site.yml"),
        "- name: drift demo\n  hosts: vms\n  become: true\n  tasks:\n    - name: managed file\n      copy:\n        dest: /etc/play-drift.conf\n        content: \"managed by play\\n\"\n        mode: \"0644\"\n",
    );
    bastion.ok(&format!(
        "rm -rf {WORK} && mkdir -p {WORK} && chmod 700 {WORK}"
    ));
    bastion.copy_in(Path::new(env!("CARGO_BIN_EXE_play")), "/usr/local/bin/play");
    let agent = agent_binary();
    assert!(
        agent.is_file(),
        "no static agent at {} (tests/build.sh)",
        agent.display()
    );
    bastion.copy_in(&agent, "/usr/local/bin/play-agent");
    bastion.copy_in(
        Path::new(&tb.env("TESTBED_SSH_KEY")),
        &format!("{WORK}/id_ed25519"),
    );
    bastion.copy_in(
        Path::new(&tb.env("TESTBED_KNOWN_HOSTS")),
        &format!("{WORK}/known_hosts"),
    );
    bastion.copy_in(&dir.join("inv.ini"), &format!("{WORK}/inv.ini"));
    bastion.copy_in(&dir.join("site.yml"), &format!("{WORK}/site.yml"));
    bastion.ok(&format!(
        "chown -R root:root {WORK} /usr/local/bin/play /usr/local/bin/play-agent && chmod 600 {WORK}/id_ed25519"
    ));
    // Leftovers of an earlier run of this test.
    bastion.sh("play schedule remove drift --purge");
}

#[test]
fn scheduled_drift_check_on_the_bastion() {
    let tb = Testbed::get();
    let bastion = Bastion(tb.env("TESTBED_BASTION_CONTAINER"));
    install(&tb, &bastion);
    for vm in tb.vms() {
        tb.exec(&vm, "rm -f /etc/play-drift.conf");
    }

    // Converge once by hand (with a JUnit report), so the first scheduled check is clean.
    let out = bastion.sh(&format!(
        "cd {WORK} && play -i inv.ini site.yml --junit {WORK}/junit.xml"
    ));
    crate::check!(out.0 == 0, out);
    let junit = bastion.ok(&format!("cat {WORK}/junit.xml"));
    assert!(
        junit.contains(r#"<testcase classname="drift demo" name="[vm1] managed file" time=""#),
        "{junit}"
    );

    // A bad calendar spec or name is refused before anything is written.
    let bad = bastion.sh(&format!(
        "cd {WORK} && play schedule add drift --on-calendar 'every 20s' -- -i inv.ini site.yml"
    ));
    crate::check!(
        bad.0 == 1 && bad.2.contains("not a valid OnCalendar spec"),
        bad
    );
    let bad = bastion.sh(&format!(
        "cd {WORK} && play schedule add Drift_1 --on-calendar hourly -- -i inv.ini site.yml"
    ));
    crate::check!(bad.0 == 1 && bad.2.contains("lowercase letters"), bad);
    assert_eq!(
        bastion.sh("test -e /etc/systemd/system/play-drift.timer").0,
        1
    );

    let added = bastion.sh(&format!(
        "cd {WORK} && play schedule add drift --on-calendar '*:*:0/20' --check --keep 50 -- -i inv.ini site.yml"
    ));
    crate::check!(
        added.0 == 0 && added.1.contains("schedule 'drift' added"),
        added
    );
    let units = bastion.ok("systemctl cat play-drift.service play-drift.timer");
    assert!(
        units.contains("ExecStart=/usr/local/bin/play schedule run drift\n"),
        "{units}"
    );
    assert!(
        units.contains(&format!("WorkingDirectory={WORK}\n")),
        "{units}"
    );
    assert!(units.contains("OnCalendar=*:*:0/20\n"), "{units}");
    assert!(
        !units.contains("inv.ini"),
        "play arguments leaked into a unit:\n{units}"
    );
    assert_eq!(
        bastion
            .ok("stat -c %a /var/lib/play/schedules/drift.json")
            .trim(),
        "600"
    );
    assert_eq!(
        bastion.ok("systemctl is-active play-drift.timer").trim(),
        "active"
    );

    // The timer fires; the first check finds nothing to change.
    let (first, report) = bastion.wait_report("", "a finished run", |s| {
        s["status"] != "skipped_overlap" && s.is_object()
    });
    assert_eq!(report["summary"]["status"], "ok", "{report:#}");
    assert_eq!(report["summary"]["exit_code"], 0);
    assert_eq!(
        bastion.ok(&format!("stat -c %a {REPORTS}/{first}")).trim(),
        "600"
    );
    assert_eq!(bastion.ok(&format!("stat -c %a {REPORTS}")).trim(), "700");

    // A change by hand on vm1 is drift: the report names vm1, the unit exits 2.
    tb.exec("vm1", "echo 'edited by hand' >> /etc/play-drift.conf");
    let (_, report) = bastion.wait_report(&first, "drift", |s| s["status"] == "drift");
    let summary = &report["summary"];
    assert_eq!(
        summary["changed_hosts"],
        serde_json::json!(["vm1"]),
        "{report:#}"
    );
    assert_eq!(summary["exit_code"], 2);
    assert_eq!(summary["check"], true);
    assert!(summary["duration_secs"].as_f64().unwrap() > 0.0);
    let task = &report["plays"][0]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "managed file")
        .unwrap_or_else(|| panic!("no 'managed file' task: {report:#}"))["hosts"];
    assert_eq!(task["vm1"]["status"], "changed", "{report:#}");
    assert_eq!(task["vm2"]["status"], "ok", "{report:#}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let show = bastion.ok("systemctl show play-drift.service -p ExecMainStatus -p Result");
        if show.contains("ExecMainStatus=2") && show.contains("Result=exit-code") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the unit never ended with exit 2:\n{show}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    // The hand edit is still there: check mode changed nothing.
    let content = tb.exec("vm1", "cat /etc/play-drift.conf");
    assert!(String::from_utf8_lossy(&content.stdout).contains("edited by hand"));

    // While something holds the run lock, `schedule run` is skipped, says so, exits 75.
    let lock = "/var/lib/play/schedules/drift.lock";
    let holder = Command::new("docker")
        .args(["exec", "-d", &bastion.0, "flock", "-o", lock, "sleep", "15"])
        .status()
        .unwrap();
    assert!(holder.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while bastion.sh(&format!("flock -n {lock} true")).0 == 0 {
        assert!(Instant::now() < deadline, "flock(1) never took the lock");
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = bastion
        .reports()
        .last()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let skipped = bastion.sh("play schedule run drift");
    crate::check!(skipped.0 == 75, skipped);
    crate::check!(
        skipped
            .1
            .contains("skipped: another run of schedule 'drift' holds"),
        skipped
    );
    let (_, report) = bastion.wait_report(&before, "skipped_overlap", |s| {
        s["status"] == "skipped_overlap"
    });
    assert_eq!(report["summary"]["exit_code"], 75);

    // list and logs.
    let listed = bastion.ok("play schedule list");
    let row = listed
        .lines()
        .find(|l| l.starts_with("drift "))
        .unwrap_or_else(|| panic!("no drift row:\n{listed}"));
    assert!(
        row.contains("check") && row.contains("*:*:0/20"),
        "{listed}"
    );
    assert!(
        listed.lines().next().unwrap().contains("LAST RESULT"),
        "{listed}"
    );
    let json: Value = serde_json::from_str(&bastion.ok("play schedule list --json")).unwrap();
    assert_eq!(json[0]["name"], "drift");
    assert_ne!(json[0]["next_run"], "-", "{json:#}");
    let logs = bastion.ok("play schedule logs drift -n 200 --reports 50");
    assert!(
        logs.contains("schedule drift: drift, would change: vm1"),
        "{logs}"
    );
    assert!(logs.contains("skipped_overlap"), "{logs}");

    // remove keeps the reports; --purge deletes them; a second remove says there is none.
    let removed = bastion.ok("play schedule remove drift");
    assert!(removed.contains("reports kept"), "{removed}");
    assert_eq!(
        bastion.sh("test -e /etc/systemd/system/play-drift.timer").0,
        1
    );
    assert_eq!(
        bastion
            .sh("test -e /etc/systemd/system/play-drift.service")
            .0,
        1
    );
    assert_eq!(
        bastion.sh("test -e /var/lib/play/schedules/drift.json").0,
        1
    );
    assert_ne!(
        bastion.sh("systemctl is-active play-drift.timer").1.trim(),
        "active"
    );
    assert!(!bastion.reports().is_empty());
    bastion.ok("play schedule remove drift --purge");
    assert_eq!(bastion.sh(&format!("test -e {REPORTS}")).0, 1);
    let again = bastion.sh("play schedule remove drift");
    crate::check!(
        again.0 == 1 && again.2.contains("no schedule named 'drift'"),
        again
    );

    for vm in tb.vms() {
        tb.exec(&vm, "rm -f /etc/play-drift.conf");
    }
}
