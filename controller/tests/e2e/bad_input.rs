//! Bad input stops play before any host is contacted, with file:line:column and exit 4/5.

use crate::harness::{play, scratch, write};
use std::net::TcpListener;

/// An inventory whose bastion is a listener we own: if play dialled anything, we would see it.
fn tripwire_inventory(dir: &std::path::Path) -> (TcpListener, std::path::PathBuf) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let inv = dir.join("hosts.ini");
    write(&inv, &format!("[vms]\nvm1 ansible_host=10.255.0.1\n\n[all:vars]\nplay_bastion=play@127.0.0.1:{port}\n"));
    (listener, inv)
}

fn assert_untouched(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("play connected to the bastion although the playbook was bad: {other:?}"),
    }
}

#[test]
fn misspelt_module_option_fails_at_load_with_location_and_no_connection() {
    let dir = scratch("misspelt-option");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("bad.yml");
    write(&pb, "- hosts: all\n  tasks:\n    - name: write motd\n      copy:\n        content: hi\n        dset: /etc/motd\n");
    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    assert_eq!(out.0, 4, "exit code\n{}\n{}", out.1, out.2);
    let expected = format!("{}:6:9", pb.display());
    assert!(
        out.2.contains(&expected),
        "no location {expected} in: {}",
        out.2
    );
    assert!(out.2.contains("dest"), "no suggestion in: {}", out.2);
    assert_untouched(&listener);
}

#[test]
fn unknown_module_and_bad_yaml_fail_before_connecting() {
    let dir = scratch("unknown-module");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("bad.yml");
    write(&pb, "- hosts: all\n  tasks:\n    - ansible.builtin.cpy:\n        content: x\n        dest: /tmp/x\n");
    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    assert_eq!(out.0, 4, "{}", out.2);
    assert!(
        out.2.contains(":3:7") && out.2.contains("copy"),
        "{}",
        out.2
    );

    write(
        &pb,
        "- hosts: all\n  tasks:\n    - debug: {msg: [unclosed\n",
    );
    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    assert_eq!(out.0, 4, "{}", out.2);
    assert!(out.2.contains("bad.yml:"), "{}", out.2);
    assert_untouched(&listener);
}

#[test]
fn bad_jinja_and_unknown_handler_fail_before_connecting() {
    let dir = scratch("bad-jinja");
    let (listener, inv) = tripwire_inventory(&dir);
    let pb = dir.join("bad.yml");
    write(
        &pb,
        "- hosts: all\n  tasks:\n    - debug:\n        msg: \"{{ foo | default('x') \"\n",
    );
    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    assert_eq!(out.0, 4, "{}", out.2);
    assert!(out.2.contains("bad.yml:4"), "{}", out.2);

    write(&pb, "- hosts: all\n  tasks:\n    - command: /bin/true\n      notify: restart app\n  handlers:\n    - name: restart ap\n      command: /bin/true\n");
    let out = play(&["-i", inv.to_str().unwrap(), pb.to_str().unwrap()]);
    assert_eq!(out.0, 4, "{}", out.2);
    assert!(out.2.contains("restart app"), "{}", out.2);
    assert_untouched(&listener);
}

#[test]
fn bad_options_exit_5() {
    let out = play(&["-i", "x,", "--forks", "many", "site.yml"]);
    assert_eq!(out.0, 5, "{}", out.2);
    let out = play(&["-i", "x,", "-e", "novalue", "site.yml"]);
    assert_eq!(out.0, 5, "{}", out.2);
    assert!(out.2.contains("key=value"), "{}", out.2);
}

#[test]
fn syntax_check_and_list_tasks_need_no_hosts() {
    let out = play(&["-i", "vm1,", "--syntax-check", "playbooks/site.yml"]);
    assert_eq!(out.0, 0, "{}{}", out.1, out.2);
    assert!(out.1.contains("playbook: playbooks/site.yml"), "{}", out.1);
    let out = play(&["-i", "vm1,", "--list-tasks", "playbooks/site.yml"]);
    assert_eq!(out.0, 0, "{}", out.2);
    assert!(out.1.matches("TAGS:").count() >= 15, "{}", out.1);
}
