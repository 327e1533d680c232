//! Parity with ansible-playbook 2.19: `testdata/valid/` passes `ansible-playbook
//! --syntax-check` and must load here; each snippet below fails ansible-playbook's load
//! (the error it printed is in the comment) and must fail here.

use super::*;
use crate::playbook::model::TaskKind;
use std::path::Path;

#[test]
fn what_ansible_accepts_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/playbook/testdata/valid");
    let pb = load_playbook(&dir.join("site.yml")).unwrap_or_else(|e| panic!("{e}"));
    let p = &pb.plays[0];
    assert_eq!(p.hosts, "web,db");
    assert_eq!(p.vars_files.len(), 2);
    assert_eq!(p.vars_files_deferred.len(), 1);
    assert_eq!(p.tasks.len(), 15);
    assert_eq!(p.handlers[1].common.listen, ["topic", "other"]);
    let TaskKind::Block { block, .. } = &p.tasks[10].kind else {
        panic!()
    };
    assert_eq!(block[0].common.notify, ["h1"]);
}

#[test]
fn what_ansible_rejects_is_rejected() {
    let cases: &[(&str, &str)] = &[
        // conflicting action statements: copy, notfy
        ("notfy", "- copy: src=a dest=/b\n  notfy: h\n"),
        // couldn't resolve module/action 'ansible.builtin.cpy'
        ("cpy", "- ansible.builtin.cpy:\n    src: a\n"),
        // conflicting action statements: copy, file
        ("two modules", "- copy: src=a dest=/b\n  file: path=/b\n"),
        // no module/action detected in task.
        ("no module", "- name: nothing\n"),
        // 'loop' is not a valid attribute for a Block
        ("block loop", "- block:\n    - ping:\n  loop: [1]\n"),
        // 'listen' is not a valid attribute for a Task
        ("listen", "- ping:\n  listen: x\n"),
        // You cannot use loops on 'import_tasks' statements.
        ("import loop", "- import_tasks: t.yml\n  loop: [1]\n"),
        // 'rescue' keyword cannot be used without 'block'
        ("rescue", "- rescue:\n    - ping:\n"),
        // tags must be specified as a list
        ("tags int", "- ping:\n  tags: 7\n"),
        // Unable to retrieve file contents.
        ("missing import", "- import_tasks: nope.yml\n"),
        // A malformed block was encountered while loading a block
        ("task string", "- just text\n"),
        // 'become' is not a valid attribute for a TaskInclude
        ("include become", "- include_tasks: t.yml\n  become: true\n"),
        // Invalid 'register' specified: Invalid variable name 'my-var'.
        ("register", "- ping:\n  register: my-var\n"),
        // 'lable' is not a valid attribute for a LoopControl
        (
            "loop_control",
            "- ping:\n  loop: [1]\n  loop_control: {lable: x}\n",
        ),
        // duplicate loop in task: items
        ("two loops", "- ping:\n  loop: [1]\n  with_items: [2]\n"),
        // 'copy' is not a valid attribute for a Block
        (
            "block module",
            "- block:\n    - ping:\n  copy: src=a dest=b\n",
        ),
        // conflicting action statements: copy, dest
        ("option at task level", "- copy:\n    src: a\n  dest: /b\n"),
    ];
    let plays: &[(&str, &str)] = &[
        // A malformed block ... should be a list or None
        (
            "tasks map",
            "- hosts: all\n  tasks:\n    name: x\n    ping:\n",
        ),
        // 'hsots' is not a valid attribute for a Play
        ("play keyword", "- hosts: all\n  hsots: x\n"),
        // The field 'hosts' is required but was not set.
        ("no hosts", "- name: x\n  tasks: []\n"),
        // Vars in a Play must be specified as a dictionary.
        ("vars list", "- hosts: all\n  vars:\n    - a: 1\n"),
        // Invalid variable name 'my-var'.
        ("var name", "- hosts: all\n  vars:\n    my-var: 1\n"),
        // A playbook must be a list of plays
        ("not a list", "hosts: all\n"),
    ];
    let fx = Fixture::new();
    fx.file("t.yml", "- ping:\n");
    let all = cases
        .iter()
        .map(|(n, t)| (*n, with_tasks(t)))
        .chain(plays.iter().map(|(n, t)| (*n, t.to_string())));
    for (name, text) in all {
        fx.file("p.yml", &text);
        let e = fx.load("p.yml").expect_err(name);
        assert!(e.all().all(|e| e.loc.is_some()), "{name}: unlocated: {e}");
    }
}
