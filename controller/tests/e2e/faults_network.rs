//! The bastion restarted in the middle of a run. Every host reaches its VM through one shared
//! bastion connection, so a bastion restart cuts them all at once. What play must do: a host
//! whose task was running when the link died is reported UNREACHABLE with a message saying
//! the bastion connection was lost (its outcome there is unknown); hosts that were between
//! tasks get a fresh connection, through a fresh bastion connection, for their next task; and
//! nothing waits forever. The testbed publishes the bastion on a fixed port, so a restarted
//! bastion is found where the inventory says.

use crate::harness::{recap_value, scratch, write, Testbed};
use crate::running::{
    docker, exec_in, message_of, no_agent_left, spawn_play, wait_for, wait_sleeping,
};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// vm1 sleeps in task 2 (the link dies under it); task 3 runs on the controller only and
/// waits for the test's `go` file (the bastion is back by then); task 4 needs every host
/// again.
fn playbook(dir: &Path) -> std::path::PathBuf {
    let pb = dir.join("bastion.yml");
    let go = dir.join("go");
    write(
        &pb,
        &format!(
            "- hosts: all\n  gather_facts: false\n  tasks:\n\
             \x20   - name: first\n      command: hostname\n      changed_when: false\n\
             \x20   - name: held on vm1\n      command: sleep 30.05\n      when: inventory_hostname == 'vm1'\n\
             \x20   - name: wait for the bastion\n      debug:\n        msg: waiting\n      until: lookup('file', '{}', errors='ignore') == 'go'\n      retries: 120\n      delay: 1\n\
             \x20   - name: after\n      command: hostname\n      changed_when: false\n",
            go.display()
        ),
    );
    pb
}

fn published_port(container: &str) -> String {
    let out = Command::new("docker")
        .args(["port", container, "22/tcp"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn sshd_up(bastion: &str) -> bool {
    exec_in(bastion, "systemctl is-active -q ssh")
        .status
        .success()
}

/// Brings the bastion back if a failed assertion left it stopped.
struct BastionBack(String);

impl Drop for BastionBack {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["start", &self.0]).output();
        wait_for(Duration::from_secs(90), "the bastion's sshd", || {
            sshd_up(&self.0)
        });
    }
}

#[test]
fn a_bastion_restart_fails_the_running_host_and_the_others_reconnect() {
    let tb = Testbed::get();
    let dir = scratch("bastion-restart");
    let bastion = tb.env("TESTBED_BASTION_CONTAINER");
    let inv = tb.inventory();
    let pb = playbook(&dir);
    let run = spawn_play(
        &dir,
        &["-i", inv.to_str().unwrap(), pb.to_str().unwrap(), "-v"],
    );
    wait_sleeping(&tb, "vm1", "30.05");

    let port = published_port(&bastion);
    let back = BastionBack(bastion.clone());
    docker(&["restart", "-t", "5", &bastion]);
    assert_eq!(
        published_port(&bastion),
        port,
        "the restarted bastion moved to another port: recreate the testbed with the current tests/testbed/up.sh (it publishes the bastion on a fixed port)"
    );
    wait_for(
        Duration::from_secs(90),
        "the restarted bastion's sshd",
        || sshd_up(&bastion),
    );
    drop(back);
    write(&dir.join("go"), "go\n");
    let out = run.finish(Duration::from_secs(120));

    // vm1 was inside a task: unreachable, saying why, and the run exits 4 as Ansible's does.
    crate::check!(out.0 == 4, out);
    crate::check!(recap_value(&out.1, "vm1", "unreachable") == 1, out);
    let msg = message_of(&out.1, "vm1");
    crate::check!(
        msg.contains("UNREACHABLE!") && msg.contains("the bastion connection was lost"),
        out
    );
    crate::check!(msg.contains("what this task did on vm1 is unknown"), out);
    // vm2 and vm3 were between tasks: their next task ran over fresh connections.
    for vm in ["vm2", "vm3"] {
        crate::check!(recap_value(&out.1, vm, "ok") == 3, out);
        crate::check!(recap_value(&out.1, vm, "unreachable") == 0, out);
        crate::check!(recap_value(&out.1, vm, "failed") == 0, out);
        crate::check!(
            out.1
                .contains(&format!("<{vm}> the connection closed between tasks"))
                && out.1.contains("reconnecting"),
            out
        );
    }
    // The agent on vm1 saw its input end and stopped, and its task's child with it.
    no_agent_left(&tb, "vm1");
    let sleeping = tb.exec("vm1", "pgrep -f '^(/usr/bin/)?sleep 30.05$'");
    assert!(
        !sleeping.status.success(),
        "vm1 still runs the task's sleep after its agent lost the connection"
    );
}

/// Unpauses the bastion whatever happens.
struct Unpause(String);

impl Drop for Unpause {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["unpause", &self.0]).output();
    }
}

#[test]
fn a_frozen_bastion_ends_the_running_tasks_within_the_keepalive_bound() {
    let tb = Testbed::get();
    let dir = scratch("bastion-frozen");
    let bastion = tb.env("TESTBED_BASTION_CONTAINER");
    // ServerAliveInterval/CountMax bound how long a silent connection is trusted (OpenSSH's
    // names; 30 s x 3 by default, 2 s x 2 here to keep the test short).
    let config = dir.join("ssh_config");
    write(
        &config,
        "Host *\n  ServerAliveInterval 2\n  ServerAliveCountMax 2\n",
    );
    let pb = dir.join("frozen.yml");
    write(
        &pb,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: slow\n      command: sleep 40.06\n",
    );
    let inv = tb.inventory();
    let run = spawn_play(
        &dir,
        &[
            "-i",
            inv.to_str().unwrap(),
            pb.to_str().unwrap(),
            "-F",
            config.to_str().unwrap(),
        ],
    );
    for vm in tb.vms() {
        wait_sleeping(&tb, &vm, "40.06");
    }
    let started = std::time::Instant::now();
    let thaw = Unpause(bastion.clone());
    docker(&["pause", &bastion]);
    // Well under the 40 s sleep: the keepalives, not the task, ended the wait.
    let out = run.finish(Duration::from_secs(30));
    let took = started.elapsed();
    drop(thaw);
    crate::check!(out.0 == 4, out);
    for vm in tb.vms() {
        crate::check!(recap_value(&out.1, &vm, "unreachable") == 1, out);
        crate::check!(
            message_of(&out.1, &vm).contains("the bastion connection was lost"),
            out
        );
    }
    crate::check!(took < Duration::from_secs(20), out);
}
