//! The core on real hosts: site.yml through the bastion on every VM, idempotent, no agent
//! re-upload, and strict host keys.

use crate::harness::{play, recap_value, scratch, Testbed};
use serde_json::Value;

fn report(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report written"))
        .expect("report is JSON")
}

#[test]
fn site_playbook_converges_and_reruns_without_changes_or_uploads() {
    let tb = Testbed::get();
    let dir = scratch("site");
    let inv = tb.inventory();
    let inv = inv.to_str().unwrap();
    // Start from a host without the agent cached, so the first run must upload it.
    for vm in tb.vms() {
        tb.exec(&vm, "rm -rf /home/play/.cache/play");
    }
    let first_report = dir.join("first.json");
    let out = play(&[
        "-i",
        inv,
        "playbooks/site.yml",
        "--report",
        first_report.to_str().unwrap(),
    ]);
    crate::check!(out.0 == 0, out);
    for vm in tb.vms() {
        crate::check!(recap_value(&out.1, &vm, "failed") == 0, out);
        crate::check!(recap_value(&out.1, &vm, "unreachable") == 0, out);
        crate::check!(recap_value(&out.1, &vm, "ok") >= 15, out);
    }
    let first = report(&first_report);
    assert!(
        first["agent_bytes_uploaded"].as_u64().unwrap() > 0,
        "first run uploaded no agent: {first}"
    );

    let second_report = dir.join("second.json");
    let out = play(&[
        "-i",
        inv,
        "playbooks/site.yml",
        "--report",
        second_report.to_str().unwrap(),
    ]);
    crate::check!(out.0 == 0, out);
    for vm in tb.vms() {
        crate::check!(recap_value(&out.1, &vm, "changed") == 0, out);
    }
    let second = report(&second_report);
    assert_eq!(
        second["agent_bytes_uploaded"], 0,
        "the rerun uploaded agent bytes"
    );
    // One agent process per host per run: facts + every task went through it.
    let cache = tb.exec("vm1", "stat -c '%a %U' /home/play/.cache/play");
    assert_eq!(String::from_utf8_lossy(&cache.stdout).trim(), "700 play");
}

#[test]
fn a_wrong_host_key_is_refused_and_reported_unreachable_while_others_finish() {
    let tb = Testbed::get();
    let dir = scratch("hostkey");
    let known = std::fs::read_to_string(tb.dir.join("known_hosts")).unwrap();
    let vm2_ip = tb.ip("vm2");
    // Replace vm2's key with the bastion's: a valid key, but not vm2's.
    let bastion_key = known
        .lines()
        .find(|l| l.starts_with("[127.0.0.1]"))
        .unwrap()
        .split_once(' ')
        .unwrap()
        .1
        .to_string();
    let tampered: Vec<String> = known
        .lines()
        .map(|l| {
            if l.split(' ').next() == Some(vm2_ip.as_str()) {
                format!("{vm2_ip} {bastion_key}")
            } else {
                l.to_string()
            }
        })
        .collect();
    let known_path = dir.join("known_hosts");
    std::fs::write(&known_path, tampered.join("\n") + "\n").unwrap();
    let inv_text = std::fs::read_to_string(tb.inventory()).unwrap();
    let inv_text = inv_text.replace(
        tb.dir.join("known_hosts").to_str().unwrap(),
        known_path.to_str().unwrap(),
    );
    let inv = dir.join("hosts.ini");
    std::fs::write(&inv, inv_text).unwrap();
    let pb = dir.join("ping.yml");
    std::fs::write(&pb, "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n    - command: hostname\n      changed_when: false\n").unwrap();

    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    crate::check!(out.0 == 4, out);
    crate::check!(recap_value(&out.1, "vm2", "unreachable") == 1, out);
    crate::check!(out.1.contains("fatal: [vm2]: UNREACHABLE!"), out);
    crate::check!(out.1.to_lowercase().contains("host key"), out);
    for vm in ["vm1", "vm3"] {
        crate::check!(recap_value(&out.1, vm, "ok") == 2, out);
        crate::check!(recap_value(&out.1, vm, "failed") == 0, out);
    }
}
