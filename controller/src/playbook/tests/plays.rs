//! Play keywords, vars_files, import_playbook and playbook-level shape errors.

use super::*;
use crate::playbook::model::BatchSize;
use crate::playbook::ErrorKind;

#[test]
fn play_keywords_are_read() {
    let p = play(
        "- name: Web
  hosts: [web, db]
  become: yes
  become_user: app
  become_method: sudo
  remote_user: deploy
  gather_facts: false
  serial: [1, \"30%\", '5']
  max_fail_percentage: 25%
  any_errors_fatal: true
  ignore_unreachable: true
  tags: deploy, web
  environment: {LANG: C}
  no_log: false
  check_mode: no
  diff: true
  strategy: linear
  collections: [community.docker]
  vars:
    port: 8080
  tasks:
    - ping:
",
    );
    assert_eq!(p.name.as_deref(), Some("Web"));
    assert_eq!(p.hosts, "web,db");
    assert_eq!(p.become_, Some(true));
    assert_eq!(p.become_user.as_deref(), Some("app"));
    assert_eq!(p.remote_user.as_deref(), Some("deploy"));
    assert!(!p.gather_facts);
    assert_eq!(
        p.serial,
        [
            BatchSize::Count(1),
            BatchSize::Percent(30.0),
            BatchSize::Count(5)
        ]
    );
    assert_eq!(
        p.max_fail_percentage,
        Some(crate::playbook::model::MaxFail::Percent(25.0))
    );
    assert!(p.any_errors_fatal && p.ignore_unreachable);
    assert_eq!(p.tags, ["deploy", "web"]);
    assert_eq!(p.environment.unwrap()["LANG"], "C");
    assert_eq!(
        (p.no_log, p.check_mode, p.diff),
        (Some(false), Some(false), Some(true))
    );
    assert_eq!(p.vars["port"], 8080);
    assert_eq!(p.locs["vars.port"].line, 20);
    assert_eq!(p.tasks.len(), 1);
    assert_eq!(
        p.tasks[0].common.tags,
        ["deploy", "web"],
        "play tags flow to tasks"
    );
}

#[test]
fn defaults() {
    let p = play("- hosts: all\n");
    assert!(p.gather_facts);
    assert!(p.serial.is_empty());
    assert_eq!(p.become_, None);
    assert!(p.tasks.is_empty());
}

#[test]
fn hosts_is_required_and_not_empty() {
    assert_eq!(
        errors("- name: x\n  tasks: []\n"),
        "site.yml:1:3: this play has no `hosts:`: add the hosts it runs on, e.g. `hosts: all`"
    );
    assert!(errors("- hosts:\n").contains("site.yml:1:8: `hosts` is empty"));
    assert!(errors("- hosts: []\n").contains("`hosts` is empty"));
}

#[test]
fn wrong_types_are_located() {
    assert_eq!(
        errors("- hosts: all\n  become: maybe\n"),
        "site.yml:2:11: `become` must be true or false, found the string `maybe`"
    );
    assert_eq!(
        errors("- hosts: all\n  tasks:\n    name: x\n    ping:\n"),
        "site.yml:3:5: `tasks` must be a list of tasks (each starting with `- `), found a mapping"
    );
    assert!(errors("- hosts: all\n  serial: lots\n").contains("site.yml:2:11: `serial` must be"));
    // A templated serial is rendered when the play starts (rolling releases from -e).
    assert!(errors("- hosts: all\n  serial: [1, '{{ n }}', x]\n").contains("site.yml:2:26"));
    assert!(errors("- hosts: all\n  max_fail_percentage: 120\n").contains("0 to 100"));
}

#[test]
fn unknown_and_unsupported_play_keywords() {
    assert_eq!(
        errors("- hosts: all\n  hsots: web\n"),
        "site.yml:2:3: unknown play keyword `hsots`; did you mean `hosts`?"
    );
    assert!(errors("- hosts: all\n  debug: msg=hi\n")
        .contains("`debug` belongs to a task, not to a play"));
    assert!(errors("- hosts: all\n  vars_prompt: []\n").contains("unsupported play keyword"));
    let e = errors("- hosts: all\n  strategy: free\n");
    assert!(
        e.contains("site.yml:2:13: play runs plays with the `linear` strategy only"),
        "{e}"
    );
}

#[test]
fn roles_are_refused_with_location() {
    let e = errors("- hosts: all\n  roles:\n    - common\n");
    assert!(
        e.starts_with("site.yml:2:3: roles are not supported yet"),
        "{e}"
    );
    play("- hosts: all\n  roles: []\n");
}

#[test]
fn playbook_shape_errors() {
    assert!(
        errors("hosts: all\ntasks: []\n").contains("site.yml:1:1: a playbook is a list of plays")
    );
    assert!(errors("- just a string\n").contains("each entry of a playbook is a play"));
    assert!(errors("").contains("the playbook has no plays"));
    assert!(errors("- hosts: all\n  tasks: [\n").contains("YAML syntax error"));
}

#[test]
fn errors_of_a_file_are_all_reported() {
    let fx = Fixture::new();
    fx.file(
        "site.yml",
        "- hosts: all\n  become: maybe\n  tasks:\n    - notfy: x\n      ping:\n    - retries: lots\n      ping:\n",
    );
    let e = fx.load("site.yml").unwrap_err();
    let lines: Vec<u32> = e
        .all()
        .map(|e| e.loc.as_ref().unwrap().line as u32)
        .collect();
    assert_eq!(lines, [2, 4, 6], "{e}");
}

#[test]
fn vars_files_resolve_relative_to_the_playbook() {
    let fx = Fixture::new();
    fx.file("vars/common.yml", "pkg: tree\n");
    fx.file("vars/prod.yml", "env: prod\n");
    fx.file(
        "site.yml",
        "- hosts: all
  vars_files:
    - vars/common.yml
    - [vars/missing.yml, vars/prod.yml]
    - vars/{{ env }}.yml
",
    );
    let p = fx.load("site.yml").unwrap().plays.remove(0);
    assert_eq!(p.vars_files.len(), 2);
    assert_eq!(p.vars_files[0].vars["pkg"], "tree");
    assert!(p.vars_files[1].path.ends_with("vars/prod.yml"));
    let d = &p.vars_files_deferred[0];
    assert_eq!(d.candidates, ["vars/{{ env }}.yml"]);
    assert_eq!(d.position, 2);
    assert_eq!(d.base_dir, fx.dir.path());
    assert_eq!(d.loc.line, 5);
}

#[test]
fn missing_vars_file_names_the_play_location_and_the_path() {
    let fx = Fixture::new();
    fx.file(
        "site.yml",
        "- hosts: all\n  vars_files:\n    - vars/nope.yml\n",
    );
    let e = fx.load("site.yml").unwrap_err();
    assert_eq!(e.kind, ErrorKind::File);
    let loc = e.loc.as_ref().unwrap();
    assert_eq!((loc.line, loc.column), (3, 7));
    let resolved = fx.dir.path().join("vars/nope.yml");
    assert!(e.message.contains(&resolved.display().to_string()), "{e}");
    fx.file(
        "site2.yml",
        "- hosts: all\n  vars_files:\n    - [a.yml, b.yml]\n",
    );
    assert!(fx
        .load("site2.yml")
        .unwrap_err()
        .message
        .contains("none of these vars files"));
    fx.file("bad.yml", "- a\n");
    fx.file("site3.yml", "- hosts: all\n  vars_files: bad.yml\n");
    assert!(fx
        .load("site3.yml")
        .unwrap_err()
        .message
        .contains("must be a mapping"));
}

#[test]
fn import_playbook_expands_with_vars_and_tags() {
    let fx = Fixture::new();
    fx.file(
        "sub/web.yml",
        "- hosts: web\n  vars: {a: 1, b: 1}\n  tasks:\n    - import_tasks: t.yml\n",
    );
    fx.file("sub/t.yml", "- ping:\n");
    fx.file(
        "site.yml",
        "- hosts: all\n- import_playbook: sub/web.yml\n  vars: {b: 2}\n  tags: web\n",
    );
    let pb = fx.load("site.yml").unwrap();
    assert_eq!(pb.plays.len(), 2);
    let web = &pb.plays[1];
    assert_eq!(web.hosts, "web");
    assert_eq!(web.vars["a"], 1);
    assert_eq!(web.vars["b"], 2, "import vars win over play vars");
    assert_eq!(web.tags, ["web"]);
    let TaskKind::Import { tasks, .. } = &web.tasks[0].kind else {
        panic!()
    };
    assert_eq!(tasks[0].common.tags, ["web"]);
}

#[test]
fn import_playbook_errors() {
    let fx = Fixture::new();
    fx.file("a.yml", "- import_playbook: b.yml\n");
    fx.file("b.yml", "- import_playbook: a.yml\n");
    let e = fx.load("a.yml").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Circular);
    assert!(e.message.contains("a.yml -> b.yml -> a.yml"), "{e}");
    fx.file("c.yml", "- import_playbook: nope.yml\n");
    assert!(fx
        .load("c.yml")
        .unwrap_err()
        .message
        .contains("playbook `nope.yml` not found"));
    fx.file("d.yml", "- import_playbook: a.yml\n  when: x\n");
    assert!(fx
        .load("d.yml")
        .unwrap_err()
        .to_string()
        .contains("`when` on `import_playbook`"));
}
