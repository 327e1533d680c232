//! Faults on the testbed, as they happen to a fleet: a VM that goes down mid-task, an agent
//! killed under a running task, play itself interrupted, a hung host, a full disk, and a
//! release lock held by someone else. Each test breaks one thing, checks what play says and
//! how it exits, and that the next run recovers. Every wait is bounded, and a guard puts a
//! broken VM back even when an assertion fails, so the tests after it find the fleet whole.

use crate::harness::{play, recap_value, scratch, write, Testbed};
use crate::running::{docker, message_of, no_agent_left, spawn_play, wait_in_vm, wait_sleeping};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Starts a stopped VM and waits until its sshd is up again.
fn start_vm(tb: &Testbed, vm: &str) {
    let _ = Command::new("docker")
        .args(["start", &tb.container(vm)])
        .output();
    wait_in_vm(
        tb,
        vm,
        "systemctl is-active -q ssh",
        Duration::from_secs(90),
        "sshd after a restart",
    );
}

/// Puts a VM back on drop (restart or unpause), so a failed assertion breaks one test only.
enum Restore<'a> {
    Start(&'a Testbed, &'a str),
    Unpause(&'a Testbed, &'a str),
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        match self {
            Restore::Start(tb, vm) => start_vm(tb, vm),
            Restore::Unpause(tb, vm) => {
                let _ = Command::new("docker")
                    .args(["unpause", &tb.container(vm)])
                    .output();
            }
        }
    }
}

/// A playbook whose first task sleeps `secs` on every host (a pattern pgrep can find), then
/// a quick second task that shows which hosts went on.
fn slow_playbook(dir: &Path, secs: &str) -> PathBuf {
    let pb = dir.join("slow.yml");
    write(
        &pb,
        &format!(
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: slow\n      command: sleep {secs}\n    - name: after\n      command: hostname\n      changed_when: false\n"
        ),
    );
    pb
}

/// The size of the agent binary play uploads (PLAY_AGENT, or the static build beside the
/// test's target folder, as play itself looks for it).
fn local_agent_size() -> u64 {
    let path = std::env::var_os("PLAY_AGENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_BIN_EXE_play"))
                .parent()
                .and_then(Path::parent)
                .unwrap()
                .join("x86_64-unknown-linux-gnu/release/play-agent")
        });
    std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("the agent binary {}: {e}", path.display()))
        .len()
}

#[test]
fn a_vm_stopped_mid_task_is_unreachable_the_others_finish_and_a_rerun_converges() {
    let tb = Testbed::get();
    let dir = scratch("vm-stopped");
    let inv = tb.inventory();
    let pb = slow_playbook(&dir, "6.01");
    let run = spawn_play(&dir, &["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    wait_sleeping(&tb, "vm2", "6.01");
    let restore = Restore::Start(&tb, "vm2");
    docker(&["stop", "-t", "5", &tb.container("vm2")]);
    let out = run.finish(Duration::from_secs(120));

    // Ansible says UNREACHABLE for a host that drops mid-task, and exits 4.
    crate::check!(out.0 == 4, out);
    crate::check!(recap_value(&out.1, "vm2", "unreachable") == 1, out);
    let msg = message_of(&out.1, "vm2");
    crate::check!(msg.contains("UNREACHABLE!"), out);
    crate::check!(
        msg.contains("connection to vm2 dropped during this task"),
        out
    );
    for vm in ["vm1", "vm3"] {
        crate::check!(recap_value(&out.1, vm, "ok") == 2, out);
        crate::check!(recap_value(&out.1, vm, "failed") == 0, out);
    }

    drop(restore);
    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    crate::check!(out.0 == 0, out);
    crate::check!(recap_value(&out.1, "vm2", "ok") == 2, out);
}

#[test]
fn an_agent_killed_mid_task_fails_the_host_and_the_next_run_starts_a_fresh_one() {
    let tb = Testbed::get();
    let dir = scratch("agent-killed");
    let inv = tb.inventory();
    let pb = slow_playbook(&dir, "4.02");
    let run = spawn_play(&dir, &["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    wait_sleeping(&tb, "vm2", "4.02");
    let killed = tb.exec("vm2", "pkill -9 -f '[p]lay-agent'");
    assert!(killed.status.success(), "no agent to kill on vm2");
    let out = run.finish(Duration::from_secs(60));

    crate::check!(out.0 == 2, out);
    crate::check!(recap_value(&out.1, "vm2", "failed") == 1, out);
    crate::check!(recap_value(&out.1, "vm2", "unreachable") == 0, out);
    let msg = message_of(&out.1, "vm2");
    crate::check!(
        msg.contains("the agent on vm2 stopped during this task (killed by signal KILL)"),
        out
    );
    crate::check!(msg.contains("the next run starts a fresh agent"), out);
    for vm in ["vm1", "vm3"] {
        crate::check!(recap_value(&out.1, vm, "ok") == 2, out);
    }

    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    crate::check!(out.0 == 0, out);
    crate::check!(recap_value(&out.1, "vm2", "ok") == 2, out);
}

#[test]
fn sigint_and_sigterm_mid_run_exit_99_and_leave_no_agent_or_temp_file() {
    let tb = Testbed::get();
    let dir = scratch("signals");
    let inv = tb.inventory();
    let pb = slow_playbook(&dir, "30.03");

    // SIGINT (Ctrl-C) while every host sleeps in the slow task.
    let run = spawn_play(&dir, &["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    for vm in tb.vms() {
        wait_sleeping(&tb, &vm, "30.03");
    }
    run.signal("INT");
    let out = run.finish(Duration::from_secs(30));
    crate::check!(out.0 == 99, out);
    crate::check!(out.2.contains("User interrupted execution"), out);
    for vm in tb.vms() {
        no_agent_left(&tb, &vm);
    }

    // SIGTERM while the agent is being uploaded: the cache starts empty, and the signal goes
    // out as soon as an upload's temp file shows up on vm1. The upload takes well under a
    // second, so the catch can miss: up to three tries, and at least one must catch it.
    let mut caught = 0;
    for _ in 0..3 {
        for vm in tb.vms() {
            tb.exec(&vm, "rm -rf /home/play/.cache/play");
        }
        let run = spawn_play(&dir, &["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
        // A glob in a loop, no fork per turn: quick enough to see the temp file appear.
        let seen = tb.exec(
            "vm1",
            "end=$(($(date +%s) + 30)); while [ $(date +%s) -lt $end ]; do \
               for i in 1 2 3 4 5 6 7 8 9 10; do for f in /home/play/.cache/play/.upload.*; do [ -e \"$f\" ] && exit 0; done; \
                 for f in /home/play/.cache/play/play-agent-*; do [ -e \"$f\" ] && exit 1; done; done; done; exit 1",
        );
        run.signal("TERM");
        let out = run.finish(Duration::from_secs(30));
        crate::check!(out.0 == 99, out);
        for vm in tb.vms() {
            no_agent_left(&tb, &vm);
            // An upload cut short leaves neither its temp file nor a truncated agent.
            wait_in_vm(
                &tb,
                &vm,
                "! ls -a /home/play/.cache/play 2>/dev/null | grep -q '^\\.upload\\.'",
                Duration::from_secs(15),
                "no upload temp file",
            );
        }
        let size = local_agent_size();
        for vm in tb.vms() {
            let whole = tb.exec(
                &vm,
                &format!("for f in /home/play/.cache/play/play-agent-*; do [ -e \"$f\" ] || continue; [ $(stat -c %s \"$f\") -eq {size} ] || {{ ls -l \"$f\"; exit 1; }}; done"),
            );
            assert!(
                whole.status.success(),
                "{vm}: a truncated agent was installed: {}",
                String::from_utf8_lossy(&whole.stdout)
            );
        }
        if seen.status.success() {
            caught += 1;
            break;
        }
    }
    // Whatever the signal cut, the next run starts agents everywhere.
    let quick = dir.join("quick.yml");
    write(
        &quick,
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n",
    );
    let out = play(&["-i", inv.to_str().unwrap(), quick.to_str().unwrap()]);
    crate::check!(out.0 == 0, out);
    assert!(
        caught > 0,
        "the upload was never caught in flight in three tries: the SIGTERM case proved nothing"
    );
}

#[test]
fn a_hung_host_is_bounded_by_the_connect_and_task_timeouts() {
    let tb = Testbed::get();
    let dir = scratch("hung");
    // The testbed's inventory sets ansible_ssh_timeout, which outranks -T as in Ansible.
    let inv_text: String = std::fs::read_to_string(tb.inventory())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("ansible_ssh_timeout"))
        .map(|l| format!("{l}\n"))
        .collect();
    let inv = dir.join("hosts.ini");
    write(&inv, &inv_text);
    let pb = slow_playbook(&dir, "3.04");
    let args = [
        "-i",
        inv.to_str().unwrap(),
        pb.to_str().unwrap(),
        "-T",
        "3",
        "--task-timeout",
        "8",
    ];

    // Frozen before the run: the SSH handshake never completes.
    docker(&["pause", &tb.container("vm3")]);
    let restore = Restore::Unpause(&tb, "vm3");
    let out = spawn_play(&dir, &args).finish(Duration::from_secs(60));
    drop(restore);
    crate::check!(out.0 == 4, out);
    crate::check!(recap_value(&out.1, "vm3", "unreachable") == 1, out);
    crate::check!(
        message_of(&out.1, "vm3").contains("no answer within 3s"),
        out
    );
    for vm in ["vm1", "vm2"] {
        crate::check!(recap_value(&out.1, vm, "ok") == 2, out);
    }

    // Frozen in the middle of a task: the task timeout ends the wait.
    let run = spawn_play(&dir, &args);
    wait_sleeping(&tb, "vm3", "3.04");
    docker(&["pause", &tb.container("vm3")]);
    let restore = Restore::Unpause(&tb, "vm3");
    let out = run.finish(Duration::from_secs(60));
    drop(restore);
    crate::check!(out.0 == 2, out);
    crate::check!(recap_value(&out.1, "vm3", "failed") == 1, out);
    crate::check!(
        message_of(&out.1, "vm3").contains("no answer from the agent on vm3 within 18 s"),
        out
    );
    for vm in ["vm1", "vm2"] {
        crate::check!(recap_value(&out.1, vm, "ok") == 2, out);
    }
}

#[test]
fn a_full_disk_fails_the_copy_and_leaves_the_old_file_whole() {
    let tb = Testbed::get();
    let dir = scratch("full-disk");
    let setup = tb.exec(
        "vm1",
        "umount /mnt/small 2>/dev/null; mkdir -p /mnt/small && mount -t tmpfs -o size=64k tmpfs /mnt/small && printf 'old contents\\n' > /mnt/small/app.conf",
    );
    assert!(
        setup.status.success(),
        "mounting a small tmpfs on vm1: {}",
        String::from_utf8_lossy(&setup.stderr)
    );
    // 200 kB of text for a 64 kB filesystem.
    let line = "0123456789abcdef".repeat(8);
    let big: String = (0..1600).map(|i| format!("{i:05} {line}\n")).collect();
    write(&dir.join("files/big.conf"), &big);
    let pb = dir.join("disk.yml");
    write(&pb, "- hosts: vm1\n  gather_facts: false\n  become: true\n  tasks:\n    - name: write the big config\n      copy:\n        src: files/big.conf\n        dest: /mnt/small/app.conf\n");
    let inv = tb.inventory();
    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    let after = tb.exec("vm1", "cat /mnt/small/app.conf; ls -A /mnt/small");
    tb.exec("vm1", "umount /mnt/small");

    crate::check!(out.0 == 2, out);
    let msg = message_of(&out.1, "vm1");
    crate::check!(msg.contains("No space left on device"), out);
    crate::check!(msg.contains("/mnt/small/app.conf"), out);
    crate::check!(msg.contains("left unchanged"), out);
    // The old file is whole and the temp file is gone.
    assert_eq!(
        String::from_utf8_lossy(&after.stdout),
        "old contents\napp.conf\n"
    );
}

/// A stand-in for the Docker API on a unix socket (python3 is on the VMs): it answers
/// `/version` and nothing else. The lock is taken before the release touches Docker, and
/// installing Docker on a VM takes half a minute, so this keeps the lock test quick.
const FAKE_DOCKER: &str = r#"
import http.server, os, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    def reply(self):
        if self.path.endswith("/version"):
            code, body = 200, b'{"ApiVersion":"1.41","Version":"20.10.0"}'
        else:
            code, body = 404, b'{"message":"fake docker daemon of the lock test"}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_DELETE = reply
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    def get_request(self):
        return self.socket.accept()[0], ("fake", 0)
path = sys.argv[1]
if os.path.exists(path):
    os.unlink(path)
S(path, H).serve_forever()
"#;

/// Stops the fake daemon and the lock holder, and removes what the lock test left on vm1.
struct LockCleanup<'a>(&'a Testbed);

impl Drop for LockCleanup<'_> {
    fn drop(&mut self) {
        self.0.exec(
            "vm1",
            "kill $(cat /tmp/lock-holder.pid) $(cat /tmp/fake_docker.pid) 2>/dev/null; rm -f /tmp/fake_docker.pid /var/lib/play/locks/locktest /var/lib/play/releases/locktest.jsonl",
        );
    }
}

#[test]
fn a_held_release_lock_fails_fast_naming_the_holder_and_lock_wait_waits() {
    let tb = Testbed::get();
    let dir = scratch("lock");
    let socket = "/run/play-fake-docker.sock";
    // The fake daemon and a live holder (a sleep) whose lock file names alice.
    write(&dir.join("fake_docker.py"), FAKE_DOCKER);
    docker(&[
        "cp",
        dir.join("fake_docker.py").to_str().unwrap(),
        &format!("{}:/tmp/fake_docker.py", tb.container("vm1")),
    ]);
    let setup = tb.exec(
        "vm1",
        &format!(
            "[ -f /tmp/fake_docker.pid ] && kill $(cat /tmp/fake_docker.pid); \
             python3 /tmp/fake_docker.py {socket} </dev/null >/tmp/fake_docker.log 2>&1 & echo $! > /tmp/fake_docker.pid; \
             sleep 600 >/dev/null 2>&1 & pid=$!; \
             mkdir -p /var/lib/play/locks && \
             printf '{{\"pid\":%s,\"operator\":\"alice@laptop\",\"since\":\"2025-06-01T10:00:00Z\",\"host\":\"vm1\",\"boot_id\":\"%s\",\"start_time\":%s}}' \
               $pid \"$(cat /proc/sys/kernel/random/boot_id)\" \"$(cut -d' ' -f22 /proc/$pid/stat)\" > /var/lib/play/locks/locktest && \
             echo $pid > /tmp/lock-holder.pid; \
             for i in $(seq 50); do [ -S {socket} ] && exit 0; sleep 0.1; done; exit 1"
        ),
    );
    let _cleanup = LockCleanup(&tb);
    assert!(
        setup.status.success(),
        "setting up the held lock: {}",
        String::from_utf8_lossy(&setup.stderr)
    );
    let pb = dir.join("lock.yml");
    write(&pb, &format!("- hosts: vm1\n  gather_facts: false\n  become: true\n  tasks:\n    - name: release locktest\n      release:\n        service: locktest\n        image: registry.invalid/app\n        tag: v1\n        docker_host: unix://{socket}\n        operator: bob\n        lock_wait: \"{{{{ lock_wait }}}}\"\n"));
    let inv = tb.inventory();
    let run = |wait: &str| {
        let started = Instant::now();
        let out = spawn_play(
            &dir,
            &[
                "-i",
                inv.to_str().unwrap(),
                pb.to_str().unwrap(),
                "-e",
                &format!("lock_wait={wait}"),
            ],
        )
        .finish(Duration::from_secs(60));
        (out, started.elapsed())
    };
    // No wait: refused at once, naming who holds it and since when.
    let (out, took) = run("0s");
    crate::check!(out.0 == 2, out);
    let msg = message_of(&out.1, "vm1");
    crate::check!(
        msg.contains("service 'locktest' is locked by alice@laptop (pid ")
            && msg.contains("since 2025-06-01T10:00:00Z"),
        out
    );
    crate::check!(took < Duration::from_secs(15), out);

    // lock_wait while the holder keeps it: waits that long, then says it waited.
    let (out, took) = run("3s");
    crate::check!(out.0 == 2, out);
    crate::check!(message_of(&out.1, "vm1").contains("waited in vain"), out);
    crate::check!(took >= Duration::from_secs(3), out);

    // lock_wait while the holder lets go after a second: the release goes past the lock
    // (and on to the fake daemon, which knows no images).
    let free = Command::new("docker")
        .args([
            "exec",
            &tb.container("vm1"),
            "sh",
            "-c",
            "sleep 1.5; rm -f /var/lib/play/locks/locktest",
        ])
        .spawn()
        .unwrap();
    let (out, took) = run("30s");
    let _ = free.wait_with_output();
    crate::check!(out.0 == 2, out);
    let msg = message_of(&out.1, "vm1");
    crate::check!(!msg.contains("locked by"), out);
    crate::check!(took < Duration::from_secs(25), out);
    let lock_left = tb.exec("vm1", "test -e /var/lib/play/locks/locktest");
    assert!(
        !lock_left.status.success(),
        "the release left its lock behind"
    );
}
