//! Real runs driven by cloud inventories: the local testbed (bastion published on
//! 127.0.0.1:PORT, VMs on a network only the bastion reaches) described as
//! `terraform output -json` would describe it, then `play -i outputs.json playbook.yml`; and
//! the same VMs listed by the local GCE server, then `play -i gcp.yml playbook.yml`.
//!
//! Needs the testbed up (tests/testbed/up.sh; `PLAY_TESTBED_DIR` points at its state folder,
//! default `<repo>/.testbed/playtb`) and the static agent built (tests/build.sh). Like the
//! e2e tests it fails loudly when the testbed is missing: a skipped run would prove nothing.

use crate::check;
use crate::gcp::{instance, FakeGoogle};
use crate::support::{play, repo_root, scratch, write};
use serde_json::{json, Value};
use std::path::PathBuf;

fn testbed_dir() -> PathBuf {
    let dir = std::env::var_os("PLAY_TESTBED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".testbed/playtb"));
    assert!(
        dir.join("env.sh").is_file(),
        "the testbed is not up ({} has no env.sh): run tests/testbed/up.sh, or set PLAY_TESTBED_DIR",
        dir.display()
    );
    dir
}

fn env_of(dir: &std::path::Path) -> impl Fn(&str) -> String {
    let text = std::fs::read_to_string(dir.join("env.sh")).unwrap();
    move |name: &str| {
        text.lines()
            .filter_map(|l| l.trim_start_matches("export ").split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches(|c| c == '\'' || c == '"').to_string())
            .unwrap_or_else(|| panic!("{name} not in env.sh"))
    }
}

fn output(value: Value) -> Value {
    json!({"sensitive": false, "type": "string", "value": value})
}

#[test]
fn a_playbook_runs_through_the_bastion_from_terraform_outputs() {
    let tb = testbed_dir();
    let env = env_of(&tb);
    let user = env("TESTBED_SSH_USER");
    let labels = |role: &str| json!({"role": role, "env": "test", "service": "web"});
    let vms: Vec<Value> = env("TESTBED_VM_NAMES")
        .split_whitespace()
        .zip(env("TESTBED_VM_IPS").split_whitespace())
        .enumerate()
        .map(|(i, (name, ip))| {
            json!({"name": name, "id": format!("local-{i}"), "private_ip": ip, "zone": "local-a",
                   "labels": labels("app")})
        })
        .collect();
    let names: Vec<String> = vms
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    let bastion = json!({
        "name": "testbed-bastion", "id": "local-bastion", "zone": "local-a",
        "public_ip": env("TESTBED_BASTION_HOST"), "port": env("TESTBED_BASTION_PORT").parse::<u16>().unwrap(),
        "private_ip": env("TESTBED_BASTION_PRIVATE_IP"), "user": user, "labels": labels("bastion"),
    });
    let doc = json!({
        "cloud": output(json!("gcp")),
        "ssh_user": output(json!(user)),
        "bastion": output(bastion),
        "vms": output(json!(vms)),
    });
    let dir = scratch("testbed");
    write(
        &dir.join("outputs.json"),
        &serde_json::to_string_pretty(&doc).unwrap(),
    );
    // What Terraform cannot know: the operator's key and the pinned host keys.
    write(
        &dir.join("group_vars/all.yml"),
        &format!(
            "ansible_ssh_private_key_file: {}\nplay_known_hosts: {}\nansible_ssh_timeout: 60\n",
            env("TESTBED_SSH_KEY"),
            env("TESTBED_KNOWN_HOSTS")
        ),
    );
    write_whoami(&dir, "app");

    let out = play(
        &dir,
        &["inventory", "-i", "outputs.json", "--host", &names[0]],
        &[],
    );
    check!(out.0 == 0, out);
    let vars: Value = serde_json::from_str(&out.1).unwrap();
    let jump = format!(
        "{user}@{}:{}",
        env("TESTBED_BASTION_HOST"),
        env("TESTBED_BASTION_PORT")
    );
    assert_eq!(vars["play_bastion"], jump.as_str());

    let out = play(&dir, &["-i", "outputs.json", "whoami.yml"], &[]);
    every_vm_ran(&out, &names);

    // Without the bastion in the outputs the same VMs are out of reach: the jump is what works.
    let mut direct = doc.clone();
    direct.as_object_mut().unwrap().remove("bastion");
    write(&dir.join("direct.json"), &direct.to_string());
    let out = play(
        &dir,
        &["-i", "direct.json", "whoami.yml", "--limit", &names[0]],
        &[],
    );
    check!(out.0 != 0 && out.1.contains("unreachable=1"), out);
}

/// A playbook for the hosts of `group` that proves it ran on the VM the inventory named.
fn write_whoami(dir: &std::path::Path, group: &str) {
    write(
        &dir.join("whoami.yml"),
        &format!("- name: Reach every app VM through the bastion\n  hosts: {group}\n  gather_facts: false\n  tasks:\n\
         \x20   - name: Read the host name\n      command: cat /etc/hostname\n      register: host_name\n      changed_when: false\n\
         \x20   - name: It is the VM the inventory named\n      assert:\n        that: host_name.stdout == inventory_hostname\n"),
    );
}

fn every_vm_ran(out: &crate::support::Out, names: &[String]) {
    check!(out.0 == 0, out);
    for name in names {
        let line = out
            .1
            .lines()
            .rev()
            .find(|l| l.split_whitespace().next() == Some(name.as_str()));
        let line = line.unwrap_or_else(|| panic!("no recap line for {name}:\n{}", out.1));
        check!(
            line.contains("ok=2") && line.contains("failed=0") && line.contains("unreachable=0"),
            out
        );
    }
}

#[test]
fn a_playbook_runs_through_the_bastion_from_the_gcp_inventory() {
    let tb = testbed_dir();
    let env = env_of(&tb);
    let names: Vec<String> = env("TESTBED_VM_NAMES")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let app = json!({"role": "app", "env": "test"});
    let mut instances: Vec<Value> = names
        .iter()
        .zip(env("TESTBED_VM_IPS").split_whitespace())
        .map(|(name, ip)| instance(name, "local-a", ip, None, app.clone()))
        .collect();
    let bastion_host = env("TESTBED_BASTION_HOST");
    instances.push(instance(
        "testbed-bastion",
        "local-a",
        &env("TESTBED_BASTION_PRIVATE_IP"),
        Some(&bastion_host),
        json!({"role": "bastion", "env": "test"}),
    ));
    let google = FakeGoogle::with_testbed("gcp-testbed", instances);
    // The bastion is found by its label; its public address and port are the jump host.
    let config = google.config(
        "gcp.yml",
        "[testbed-project]",
        &format!(
            "hostnames: [name]\nkeyed_groups:\n  - key: labels.role\n    prefix: role\n\
             bastion:\n  label: role=bastion\n  user: {}\n  port: {}\n",
            env("TESTBED_SSH_USER"),
            env("TESTBED_BASTION_PORT")
        ),
    );
    let dir = config.parent().unwrap().to_path_buf();
    // What GCE does not list: the login user on the VMs, the operator's key, the host keys.
    write(
        &dir.join("group_vars/all.yml"),
        &format!(
            "ansible_user: {}\nansible_ssh_private_key_file: {}\nplay_known_hosts: {}\nansible_ssh_timeout: 60\n",
            env("TESTBED_SSH_USER"),
            env("TESTBED_SSH_KEY"),
            env("TESTBED_KNOWN_HOSTS")
        ),
    );
    write_whoami(&dir, "role_app");

    let out = play(&dir, &["inventory", "-i", "gcp.yml", "--graph"], &[]);
    check!(
        out.0 == 0 && out.1.contains("@role_app:") && out.1.contains("@role_bastion:"),
        out
    );
    let out = play(&dir, &["-i", "gcp.yml", "whoami.yml"], &[]);
    every_vm_ran(&out, &names);
}
