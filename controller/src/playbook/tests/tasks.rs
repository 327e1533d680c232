//! Task keywords, module calls, blocks and the task-level errors.

use super::*;
use crate::playbook::model::Loop;
use crate::playbook::ErrorKind;
use serde_json::json;

#[test]
fn module_forms() {
    let t = tasks(
        "- ansible.builtin.copy:
    content: hi
    dest: /a
- copy: src=a dest=/b mode=0644
- command: ls -l /tmp
  args:
    chdir: /var
- shell: echo hi > /x creates=/x
- set_fact: a=1 b=two
- set_fact:
    c: [1, 2]
- meta: flush_handlers
- ping:
",
    );
    assert_eq!(module(&t[0]).module, "copy");
    assert_eq!(module(&t[0]).args["content"], "hi");
    assert_eq!(module(&t[1]).args["mode"], "0644");
    assert_eq!(module(&t[2]).args["_raw_params"], "ls -l /tmp");
    assert_eq!(module(&t[2]).args["chdir"], "/var");
    assert_eq!(module(&t[3]).args["_raw_params"], "echo hi > /x");
    assert_eq!(module(&t[3]).args["creates"], "/x");
    assert_eq!(module(&t[4]).args["b"], "two");
    assert_eq!(module(&t[5]).args["c"], json!([1, 2]));
    assert_eq!(module(&t[6]).args["_raw_params"], "flush_handlers");
    assert!(module(&t[7]).args.is_empty());
    assert_eq!(t[0].display_name(), "copy");
    assert_eq!(
        module(&t[1]).module_loc.line,
        6,
        "the module key's own line"
    );
}

#[test]
fn task_keywords_are_read() {
    let t = tasks(
        "- name: Install
  apt: name={{ item }} state=present
  when: [ansible_os_family == 'Debian', true]
  loop: [tree, jq]
  loop_control: {loop_var: pkg, index_var: i, label: '{{ pkg }}', pause: 0.5}
  register: out
  notify: restart app
  changed_when: false
  failed_when: [out.rc > 1, \"'ERR' in out.stdout\"]
  ignore_errors: yes
  ignore_unreachable: true
  tags: [install, 7]
  no_log: true
  become: true
  become_user: root
  until: out is success
  retries: '3'
  delay: 2
  environment: {PATH: /bin}
  vars: {x: 1}
  check_mode: false
  diff: no
  delegate_to: localhost
  run_once: true
",
    );
    let c = &t[0].common;
    assert_eq!(c.name.as_deref(), Some("Install"));
    assert_eq!(c.when, ["ansible_os_family == 'Debian'", "True"]);
    assert!(matches!(&c.loop_, Some(Loop::Items(v)) if v == &json!(["tree", "jq"])));
    assert_eq!(c.loop_control.loop_var.as_deref(), Some("pkg"));
    assert_eq!(c.loop_control.index_var.as_deref(), Some("i"));
    assert_eq!(c.loop_control.label.as_deref(), Some("{{ pkg }}"));
    assert_eq!(c.loop_control.pause, Some(0.5));
    assert_eq!(c.register.as_deref(), Some("out"));
    assert_eq!(c.notify, ["restart app"]);
    assert_eq!(c.changed_when.as_deref(), Some(&["False".to_string()][..]));
    assert_eq!(c.failed_when.as_ref().unwrap().len(), 2);
    assert!(c.ignore_errors && c.ignore_unreachable && c.run_once);
    assert_eq!(c.tags, ["install", "7"]);
    assert_eq!((c.no_log, c.become_), (Some(true), Some(true)));
    assert_eq!(c.become_user.as_deref(), Some("root"));
    assert_eq!(c.until.as_deref(), Some("out is success"));
    assert_eq!((c.retries, c.delay), (Some(3), Some(2)));
    assert_eq!(c.environment.as_ref().unwrap()["PATH"], "/bin");
    assert_eq!(c.vars["x"], 1);
    assert_eq!((c.check_mode, c.diff), (Some(false), Some(false)));
    assert_eq!(c.delegate_to.as_deref(), Some("localhost"));
    assert_eq!(c.locs["when.1"].line, 5);
    assert_eq!(c.loc.as_ref().unwrap().line, 3);
}

#[test]
fn loop_forms() {
    let t = tasks(
        "- debug: var=item
  with_items: \"{{ pkgs }}\"
- debug: var=item
  with_list: [a]
- debug: var=item
  with_dict: {a: 1}
- debug: var=item
  with_items: single
",
    );
    assert!(matches!(&t[0].common.loop_, Some(Loop::Items(v)) if v == "{{ pkgs }}"));
    assert!(matches!(&t[1].common.loop_, Some(Loop::Items(_))));
    assert!(matches!(&t[2].common.loop_, Some(Loop::Dict(v)) if v["a"] == 1));
    assert!(matches!(&t[3].common.loop_, Some(Loop::Items(v)) if v == &json!(["single"])));
    assert!(task_errors("- debug: var=item\n  loop: {a: 1}\n").contains("with_dict"));
    assert!(task_errors("- debug: var=item\n  loop: plain\n").contains("`loop` needs a list"));
    assert!(
        task_errors("- debug: var=item\n  loop: [1]\n  with_items: [2]\n")
            .contains("this one has `loop` and `with_items`")
    );
    assert!(
        task_errors("- debug: var=item\n  with_fileglob: '*.conf'\n")
            .contains("`with_fileglob` (the `fileglob` lookup) is not supported yet")
    );
    assert!(
        task_errors("- debug: var=item\n  loop: [1]\n  loop_control: {lable: x}\n")
            .contains("did you mean `label`?")
    );
}

#[test]
fn when_bool_and_tags_as_comma_string() {
    let t = tasks("- ping:\n  when: false\n  tags: a, b\n");
    assert_eq!(t[0].common.when, ["False"]);
    assert_eq!(t[0].common.tags, ["a", "b"]);
}

#[test]
fn misspelt_keyword_module_and_option() {
    assert_eq!(
        task_errors("- name: x\n  copy: src=a dest=/b\n  notfy: h\n"),
        "site.yml:5:7: unknown keyword `notfy` in a task; did you mean `notify`?"
    );
    assert_eq!(
        task_errors("- name: x\n  ansible.builtin.cpy:\n    src: a\n"),
        "site.yml:4:7: unknown module `ansible.builtin.cpy`; did you mean `copy`?"
    );
    assert_eq!(
        task_errors("- copy:\n    src: a\n    dset: /b\n"),
        "site.yml:5:9: module `copy` has no option `dset`; did you mean `dest`?"
    );
    assert_eq!(
        task_errors("- name: x\n  notfy: h\n"),
        "site.yml:4:7: unknown task keyword `notfy`; did you mean `notify`?\n\
         site.yml:3:7: this task calls no module: add one, e.g. `debug: msg=...` or `command: ...`"
    );
}

#[test]
fn module_option_at_task_level() {
    let e = task_errors("- copy:\n    src: a\n  dest: /b\n");
    assert_eq!(
        e,
        "site.yml:5:7: `dest` is an option of `copy`, not a task keyword: indent it under `copy:`"
    );
}

#[test]
fn module_count_errors() {
    let e = task_errors("- copy: src=a dest=/b\n  file: path=/b state=touch\n");
    assert_eq!(
        e,
        "site.yml:4:7: a task can do one thing, but this one has both `copy` (line 3) and \
         `file`: split it into two tasks"
    );
    let e = task_errors("- name: nothing\n  when: x\n");
    assert!(e.contains("site.yml:3:7: this task calls no module"), "{e}");
    let e = task_errors("- just text\n");
    assert!(e.contains("a task must be a mapping"), "{e}");
}

#[test]
fn wrong_types_in_tasks() {
    assert_eq!(
        task_errors("- ping:\n  retries: lots\n"),
        "site.yml:4:16: `retries` must be a whole number (0 or more), found the string `lots`"
    );
    assert!(task_errors("- ping:\n  become: maybe\n").contains("`become` must be true or false"));
    assert!(task_errors("- ping:\n  become: '{{ b }}'\n").contains("write true or false literally"));
    assert!(task_errors("- ping:\n  register: my-var\n").contains("not a valid variable name"));
    assert!(task_errors("- ping:\n  when: {a: 1}\n").contains("`when` must be an expression"));
    assert!(task_errors("- ping:\n  tags: {a: 1}\n").contains("`tags` must be"));
    assert!(task_errors("- ping:\n  notify: {a: 1}\n").contains("`notify` must be"));
    assert!(task_errors("- ping:\n  environment: 5\n").contains("`environment` must be"));
    assert!(task_errors("- ping:\n  become_method: su\n").contains("sudo only"));
}

#[test]
fn unsupported_task_keywords_say_what_to_do() {
    assert!(task_errors("- ping:\n  async: 10\n").contains("unsupported keyword `async`"));
    assert!(task_errors("- local_action: ping\n").contains("delegate_to: localhost"));
    assert!(task_errors("- include: x.yml\n").contains("was removed from Ansible"));
    assert!(task_errors("- include_role: {name: r}\n").contains("roles are not supported yet"));
}

#[test]
fn internal_options_are_refused() {
    let e = task_errors("- copy:\n    _content_b64: eA==\n    dest: /a\n");
    assert_eq!(e.split(": ").next().unwrap(), "site.yml:4:9");
    assert!(e.contains("internal to play"));
}

#[test]
fn listen_only_in_handlers() {
    let p = play(
        "- hosts: all
  tasks:
    - command: /bin/true
      changed_when: true
      notify: web changed
  handlers:
    - name: restart nginx
      service: name=nginx state=restarted
      listen: [web changed]
",
    );
    assert_eq!(p.handlers[0].common.listen, ["web changed"]);
    let e = task_errors("- ping:\n  listen: x\n");
    assert!(e.contains("`listen` is only for handlers"), "{e}");
}

#[test]
fn blocks_nest_and_pass_tags_and_notify_down() {
    let p = play(
        "- hosts: all
  tags: [site]
  tasks:
    - name: outer
      tags: outer
      notify: h
      become: true
      block:
        - ping:
        - name: inner
          block:
            - ping:
              tags: leaf
              notify: own
          rescue:
            - debug: msg=rescued
          always:
            - debug: msg=always
",
    );
    let outer = &p.tasks[0];
    assert_eq!(outer.common.become_, Some(true));
    assert_eq!(outer.common.tags, ["outer", "site"]);
    let TaskKind::Block { block, .. } = &outer.kind else {
        panic!()
    };
    assert_eq!(block[0].common.tags, ["site", "outer"]);
    assert_eq!(block[0].common.inherited_tags, ["site", "outer"]);
    assert_eq!(block[0].common.notify, ["h"]);
    let TaskKind::Block {
        block: inner,
        rescue,
        always,
    } = &block[1].kind
    else {
        panic!()
    };
    assert_eq!(inner[0].common.tags, ["leaf", "site", "outer"]);
    assert_eq!(inner[0].common.notify, ["own"], "a task's own notify wins");
    assert_eq!(rescue[0].common.notify, ["h"]);
    assert_eq!(always[0].common.tags, ["site", "outer"]);
}

#[test]
fn block_errors() {
    assert!(task_errors("- block:\n    - ping:\n  loop: [1]\n")
        .contains("`loop` is not allowed on a block"));
    assert!(task_errors("- block:\n    - ping:\n  copy: src=a dest=b\n")
        .contains("a block cannot also be `copy`"));
    assert!(task_errors("- rescue:\n    - ping:\n").contains("need a `block:`"));
    assert!(task_errors("- block: 5\n").contains("`block` must be a list of tasks"));
    assert!(task_errors("- ping:\n  rescue: []\n").contains("needs a `block:`"));
}

#[test]
fn every_problem_in_a_task_list_is_reported() {
    let fx = Fixture::new();
    fx.file(
        "site.yml",
        &with_tasks("- copy: {dset: /a}\n- file: {pth: /a}\n- ping:\n  retries: x\n"),
    );
    let e = fx.load("site.yml").unwrap_err();
    assert_eq!(e.all().count(), 3, "{e}");
    assert!(e.all().all(|e| e.loc.is_some()));
    assert_eq!(e.kind, ErrorKind::Option);
}
