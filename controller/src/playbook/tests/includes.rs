//! import_tasks, include_tasks, cycles, and the run-time loaders.

use super::*;
use crate::playbook::{inherit_tags, load_task_file, ErrorKind};

#[test]
fn import_tasks_is_relative_to_the_including_file() {
    let fx = Fixture::new();
    fx.file(
        "tasks/main.yml",
        "- import_tasks: sub.yml\n  tags: imp\n  when: x\n",
    );
    fx.file("tasks/sub.yml", "- name: in sub\n  ping:\n");
    fx.file(
        "site.yml",
        "- hosts: all\n  tags: p\n  tasks:\n    - import_tasks: tasks/main.yml\n",
    );
    let p = fx.load("site.yml").unwrap().plays.remove(0);
    let TaskKind::Import { file, tasks } = &p.tasks[0].kind else {
        panic!()
    };
    assert!(file.ends_with("tasks/main.yml"));
    let TaskKind::Import { file, tasks } = &tasks[0].kind else {
        panic!()
    };
    assert!(file.ends_with("tasks/sub.yml"));
    assert_eq!(tasks[0].common.name.as_deref(), Some("in sub"));
    assert_eq!(tasks[0].common.tags, ["p", "imp"]);
}

#[test]
fn playbook_directory_is_searched_second() {
    let fx = Fixture::new();
    fx.file("tasks/a.yml", "- import_tasks: tasks/b.yml\n");
    fx.file("tasks/b.yml", "- ping:\n");
    fx.file("site.yml", &with_tasks("- import_tasks: tasks/a.yml\n"));
    fx.load("site.yml").unwrap();
}

#[test]
fn circular_imports_show_the_chain() {
    let fx = Fixture::new();
    fx.file("a.yml", "- import_tasks: b.yml\n");
    fx.file("b.yml", "- import_tasks: a.yml\n");
    fx.file("site.yml", &with_tasks("- import_tasks: a.yml\n"));
    let e = fx.load("site.yml").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Circular);
    assert_eq!(
        strip_dir(&e.to_string(), &fx),
        "b.yml:1:17: circular import: a.yml -> b.yml -> a.yml; remove the import that leads back"
    );
}

#[test]
fn import_tasks_errors() {
    assert!(task_errors("- import_tasks: nope.yml\n").contains("file `nope.yml` not found"));
    assert!(task_errors("- import_tasks: '{{ f }}.yml'\n").contains("use `include_tasks`"));
    let fx = Fixture::new();
    fx.file("t.yml", "- ping:\n");
    fx.file(
        "site.yml",
        &with_tasks("- import_tasks: t.yml\n  loop: [1]\n"),
    );
    assert!(fx
        .load("site.yml")
        .unwrap_err()
        .message
        .contains("cannot loop"));
    fx.file(
        "s2.yml",
        &with_tasks("- import_tasks: t.yml\n  become: true\n"),
    );
    assert!(fx
        .load("s2.yml")
        .unwrap_err()
        .message
        .contains("not allowed on import_tasks"));
}

#[test]
fn errors_inside_imported_files_point_into_them() {
    let fx = Fixture::new();
    fx.file("t.yml", "- copy:\n    dset: /x\n");
    fx.file("site.yml", &with_tasks("- import_tasks: t.yml\n"));
    let e = fx.load("site.yml").unwrap_err();
    assert_eq!(
        strip_dir(&e.to_string(), &fx),
        "t.yml:2:5: module `copy` has no option `dset`; did you mean `dest`?"
    );
}

#[test]
fn include_tasks_literal_is_checked_now_templated_kept() {
    let fx = Fixture::new();
    fx.file(
        "inc.yml",
        "- ping:\n- include_tasks: inc.yml\n  when: again\n",
    );
    fx.file(
        "site.yml",
        &with_tasks(
            "- include_tasks: inc.yml\n  vars: {a: 1}\n  tags: mine\n- include_tasks:\n    file: '{{ which }}.yml'\n  loop: [x, y]\n",
        ),
    );
    let p = fx.load("site.yml").unwrap().plays.remove(0);
    let TaskKind::Include {
        file,
        base_dir,
        vars,
    } = &p.tasks[0].kind
    else {
        panic!()
    };
    assert_eq!(file, "inc.yml");
    assert_eq!(base_dir, fx.dir.path());
    assert_eq!(vars["a"], 1);
    let TaskKind::Include { file, .. } = &p.tasks[1].kind else {
        panic!()
    };
    assert_eq!(file, "{{ which }}.yml");
    assert!(p.tasks[1].common.loop_.is_some());

    fx.file("bad.yml", "- cpy: {}\n");
    fx.file("s2.yml", &with_tasks("- include_tasks: bad.yml\n"));
    let e = fx.load("s2.yml").unwrap_err();
    assert!(strip_dir(&e.to_string(), &fx).starts_with("bad.yml:1:3: unknown module `cpy`"));
    fx.file("s3.yml", &with_tasks("- include_tasks: missing.yml\n"));
    assert_eq!(fx.load("s3.yml").unwrap_err().kind, ErrorKind::File);
    fx.file(
        "s4.yml",
        &with_tasks("- include_tasks: {file: inc.yml, apply: {tags: x}}\n"),
    );
    assert!(fx
        .load("s4.yml")
        .unwrap_err()
        .message
        .contains("`apply` is not supported yet"));
}

#[test]
fn run_time_loading_and_tag_inheritance() {
    let fx = Fixture::new();
    fx.file(
        "late.yml",
        "- block:\n    - ping:\n  tags: b\n- import_tasks: more.yml\n",
    );
    fx.file("more.yml", "- ping:\n");
    fx.file(
        "site.yml",
        "- hosts: all\n  tags: p\n  tasks:\n    - block:\n        - include_tasks: '{{ f }}'\n          tags: inc\n      tags: blk\n",
    );
    let pb = fx.load("site.yml").unwrap();
    let TaskKind::Block { block, .. } = &pb.plays[0].tasks[0].kind else {
        panic!()
    };
    let include = &block[0];
    assert_eq!(include.common.tags, ["inc", "p", "blk"]);
    assert_eq!(include.common.inherited_tags, ["p", "blk"]);

    let chain = vec![pb.path.clone()];
    let mut loaded = load_task_file(&fx.dir.path().join("late.yml"), &chain).unwrap();
    inherit_tags(&mut loaded, &include.common.inherited_tags);
    let TaskKind::Block { block, .. } = &loaded[0].kind else {
        panic!()
    };
    assert_eq!(
        block[0].common.tags,
        ["b", "p", "blk"],
        "not the include's own `inc`"
    );
    let TaskKind::Import { tasks, .. } = &loaded[1].kind else {
        panic!()
    };
    assert_eq!(tasks[0].common.tags, ["p", "blk"]);

    fx.file("broken.yml", "- ping:\n  retries: x\n");
    let e = load_task_file(&fx.dir.path().join("broken.yml"), &chain).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Type);
    assert!(load_task_file(&fx.dir.path().join("none.yml"), &chain).is_err());
}
