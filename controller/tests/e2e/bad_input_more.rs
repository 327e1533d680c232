//! More bad input, each checked for what a person reads: the file:line:column, the name of
//! the thing that is wrong, and the exit code Ansible users expect. Load-time mistakes must
//! stop play before any host is contacted (a tripwire bastion we own sees no connection);
//! the SSH mistakes (a key that is not a key, a host key nobody vouched for) need the
//! testbed and end as UNREACHABLE for the hosts concerned.

use crate::harness::{play, recap_value, scratch, write, Testbed};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// An inventory whose bastion is a listener we own: if play dialled anything, we would see it.
fn tripwire_inventory(dir: &Path) -> (TcpListener, PathBuf) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let inv = dir.join("hosts.ini");
    write(
        &inv,
        &format!("[vms]\nvm1 ansible_host=10.255.0.1\nvm2 ansible_host=10.255.0.2\n\n[all:vars]\nplay_bastion=play@127.0.0.1:{port}\n"),
    );
    (listener, inv)
}

fn assert_untouched(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("play connected to the bastion although the input was bad: {other:?}"),
    }
}

fn run(inv: &Path, pb: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["-i", inv.to_str().unwrap(), pb.to_str().unwrap()];
    args.extend_from_slice(extra);
    play(&args)
}

const PING: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ping:\n";

#[test]
fn a_missing_vars_file_is_named_with_its_location() {
    let dir = scratch("missing-vars-file");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("site.yml");
    write(
        &pb,
        "- hosts: all\n  vars_files:\n    - vars/common.yml\n  tasks:\n    - ping:\n",
    );
    let out = run(&inv, &pb, &[]);
    crate::check!(out.0 == 4, out);
    crate::check!(
        out.2.contains(&format!(
            "{}:3:7: vars file not found: {}",
            pb.display(),
            dir.join("vars/common.yml").display()
        )),
        out
    );
    crate::check!(out.2.contains("relative to the playbook's directory"), out);
    assert_untouched(&listener);
}

#[test]
fn circular_import_tasks_show_the_loop() {
    let dir = scratch("circular-import");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("site.yml");
    write(
        &pb,
        "- hosts: all\n  tasks:\n    - import_tasks: tasks/a.yml\n",
    );
    write(&dir.join("tasks/a.yml"), "- import_tasks: b.yml\n");
    write(
        &dir.join("tasks/b.yml"),
        "- debug: {msg: hi}\n- import_tasks: a.yml\n",
    );
    let out = run(&inv, &pb, &[]);
    crate::check!(out.0 == 4, out);
    crate::check!(
        out.2.contains(&format!(
            "{}:2:17: circular import: tasks/a.yml -> tasks/b.yml -> tasks/a.yml; remove the import that leads back",
            dir.join("tasks/b.yml").display()
        )),
        out
    );
    assert_untouched(&listener);
}

#[test]
fn bad_inventory_lines_stop_play_with_the_line() {
    // Ansible only warns about an inventory it cannot parse and runs on no host (exit 0);
    // play refuses it: a fleet silently reduced to nothing is worse than an error.
    let dir = scratch("bad-inventory");
    let pb = dir.join("site.yml");
    write(&pb, PING);
    let cases = [
        (
            "[web]\nweb1 ansible_host\n",
            "bad.ini:2: expected key=value after the host name, got 'ansible_host'",
        ),
        (
            "[web]\nweb[1:x]\n",
            "bad.ini:2: bad range [1:x] in 'web[1:x]': 'x' is neither a number nor a single letter",
        ),
        ("[web]\nweb[3:1]\n", "bad.ini:2: bad range [3:1]"),
        (
            "[web:vars]\nnovalue\n[web]\nweb1\n",
            "bad.ini:2: expected 'key = value'",
        ),
    ];
    for (text, expected) in cases {
        let inv = dir.join("bad.ini");
        write(&inv, text);
        let out = run(&inv, &pb, &[]);
        crate::check!(out.0 == 4, out);
        crate::check!(out.2.contains(expected), out);
        crate::check!(out.1.is_empty(), out);
    }
}

#[test]
fn a_host_pattern_that_matches_nothing_warns_and_exits_0_like_ansible() {
    let dir = scratch("no-match");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("site.yml");
    write(
        &pb,
        "- hosts: databases\n  gather_facts: false\n  tasks:\n    - ping:\n",
    );
    let out = run(&inv, &pb, &[]);
    crate::check!(out.0 == 0, out);
    crate::check!(
        out.2
            .contains("[WARNING]: Could not match supplied host pattern, ignoring: databases"),
        out
    );
    crate::check!(out.1.contains("skipping: no hosts matched"), out);
    assert_untouched(&listener);
}

#[test]
fn a_limit_that_matches_nothing_is_an_error_exit_1_like_ansible() {
    let dir = scratch("limit-no-match");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("site.yml");
    write(&pb, PING);
    let out = run(&inv, &pb, &["--limit", "vm9"]);
    crate::check!(out.0 == 1, out);
    crate::check!(
        out.2
            .contains("--limit 'vm9' matches no host of the inventory"),
        out
    );
    // A limit that keeps a host passes the check (listed, not run: the tripwire is no sshd).
    let out = run(&inv, &pb, &["--limit", "vm1", "--list-hosts"]);
    crate::check!(out.0 == 0, out);
    crate::check!(out.1.contains("hosts (1):"), out);
    assert_untouched(&listener);
}

#[test]
fn a_wrong_type_is_refused_at_load_with_its_location() {
    let dir = scratch("wrong-type");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("site.yml");
    write(&pb, "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: wait for it\n      command: /bin/true\n      retries: lots\n      until: false\n");
    let out = run(&inv, &pb, &[]);
    crate::check!(out.0 == 4, out);
    crate::check!(
        out.2.contains(&format!(
            "{}:6:16: `retries` must be a whole number (0 or more), found the string `lots`",
            pb.display()
        )),
        out
    );
    assert_untouched(&listener);
}

#[test]
fn an_undefined_variable_fails_the_task_naming_variable_task_and_place() {
    // Found at run time (a variable may come from facts or register), but before the host is
    // contacted for that task: the arguments are rendered first.
    let dir = scratch("undefined-var");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("site.yml");
    write(&pb, "- hosts: vm1\n  gather_facts: false\n  tasks:\n    - name: greet the operator\n      debug:\n        msg: \"hello {{ operator_name }}\"\n      ignore_errors: true\n    - name: write the motd\n      copy:\n        content: \"{{ motd_text }}\"\n        dest: /etc/motd\n");
    let out = run(&inv, &pb, &[]);
    crate::check!(out.0 == 2, out);
    crate::check!(
        out.1.contains(&format!(
            "'operator_name' is undefined (task 'greet the operator' at {}:4:7)",
            pb.display()
        )),
        out
    );
    crate::check!(
        out.1.contains(&format!(
            "The task 'write the motd' includes an option with an undefined variable or a template error: 'motd_text' is undefined. The error appears to be in '{}:8:7'",
            pb.display()
        )),
        out
    );
    crate::check!(recap_value(&out.1, "vm1", "ignored") == 1, out);
    crate::check!(recap_value(&out.1, "vm1", "failed") == 1, out);
    assert_untouched(&listener);
}

/// The testbed's inventory with `from` replaced by `to` everywhere (key file, known_hosts).
fn testbed_inventory_with(tb: &Testbed, dir: &Path, from: &Path, to: &Path) -> PathBuf {
    let text = std::fs::read_to_string(tb.inventory())
        .unwrap()
        .replace(from.to_str().unwrap(), to.to_str().unwrap());
    let inv = dir.join("hosts.ini");
    write(&inv, &text);
    inv
}

#[test]
fn a_key_file_that_is_not_a_key_makes_every_host_unreachable_naming_it() {
    let tb = Testbed::get();
    let dir = scratch("bad-key");
    let pb = dir.join("ping.yml");
    write(&pb, PING);
    let key = PathBuf::from(tb.env("TESTBED_SSH_KEY"));
    let cases = [
        (dir.join("keys"), "cannot be read: Is a directory"),
        (dir.join("notes.txt"), "is not a private key play can use"),
        (dir.join("absent"), "does not exist"),
    ];
    std::fs::create_dir_all(&cases[0].0).unwrap();
    write(&cases[1].0, "remember to rotate the keys\n");
    for (bad, expected) in &cases {
        let inv = testbed_inventory_with(&tb, &dir, &key, bad);
        let out = run(&inv, &pb, &[]);
        crate::check!(out.0 == 4, out);
        for vm in tb.vms() {
            crate::check!(recap_value(&out.1, &vm, "unreachable") == 1, out);
        }
        let said = format!("key {}", bad.display());
        crate::check!(out.1.contains(&said), out);
        crate::check!(out.1.contains(expected), out);
    }
}

#[test]
fn an_unknown_host_key_is_unreachable_and_names_the_fingerprint() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let tb = Testbed::get();
    let dir = scratch("unknown-host-key");
    let known_path = PathBuf::from(tb.env("TESTBED_KNOWN_HOSTS"));
    let known = std::fs::read_to_string(&known_path).unwrap();
    let vm2_ip = tb.ip("vm2");
    let (kept, vm2_lines): (Vec<&str>, Vec<&str>) = known
        .lines()
        .partition(|l| l.split(' ').next() != Some(vm2_ip.as_str()));
    // The fingerprint play must show: of vm2's ed25519 key, as `ssh-keygen -l` prints it.
    let ed25519 = vm2_lines
        .iter()
        .find(|l| l.contains(" ssh-ed25519 "))
        .expect("vm2's ed25519 key in known_hosts");
    let blob = base64::engine::general_purpose::STANDARD
        .decode(ed25519.split(' ').nth(2).unwrap())
        .unwrap();
    let fingerprint = format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(sha2::Sha256::digest(&blob))
    );
    let partial = dir.join("known_hosts");
    write(&partial, &(kept.join("\n") + "\n"));
    let inv = testbed_inventory_with(&tb, &dir, &known_path, &partial);
    let pb = dir.join("ping.yml");
    write(&pb, PING);
    let out = run(&inv, &pb, &[]);
    crate::check!(out.0 == 4, out);
    crate::check!(recap_value(&out.1, "vm2", "unreachable") == 1, out);
    for vm in ["vm1", "vm3"] {
        crate::check!(recap_value(&out.1, vm, "ok") == 1, out);
    }
    let line = out
        .1
        .lines()
        .find(|l| l.starts_with("fatal: [vm2]"))
        .unwrap_or_default()
        .to_string();
    crate::check!(line.contains("host key is not known"), out);
    crate::check!(line.contains(&fingerprint), out);
    crate::check!(line.contains(partial.to_str().unwrap()), out);
}
