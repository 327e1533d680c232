//! check_templates: which strings reach the checker, how expressions are wrapped, where
//! errors point.

use super::*;
use crate::playbook::{check_templates, ErrorKind};
use std::cell::RefCell;

/// A stand-in for minijinja's parser: `{{` and `}}` must pair up, and `}}}` is a typo.
fn toy_check(s: &str) -> Result<(), String> {
    if s.matches("{{").count() != s.matches("}}").count() || s.contains("}}}") {
        return Err("unbalanced braces".into());
    }
    Ok(())
}

#[test]
fn every_kind_of_string_is_checked_with_its_location() {
    let fx = Fixture::new();
    fx.file("vars.yml", "bad_file_var: '{{ x }'\n");
    fx.file(
        "site.yml",
        "- hosts: all
  vars_files: [vars.yml]
  vars:
    good: '{{ a }}'
    bad_var: '{{ a'
  tasks:
    - name: 'Install {{ pkg'
      copy:
        content: '{{ body }}'
        dest: '/etc/{{ name }'
      when: x is defined }}
      loop: ['{{ a }}', '{{ b']
    - block:
        - debug:
            msg: '{{ inner'
      rescue:
        - assert:
            that: ['a == 1', 'b }}']
",
    );
    let pb = fx.load("site.yml").unwrap();
    let errs = check_templates(&pb, &toy_check);
    let got: Vec<String> = errs
        .iter()
        .map(|e| {
            assert_eq!(e.kind, ErrorKind::Template);
            strip_dir(&e.to_string(), &fx)
        })
        .collect();
    assert_eq!(
        got,
        [
            "site.yml:5:14: template error in variable `bad_var`: unbalanced braces",
            "vars.yml:1:15: template error in variable `bad_file_var`: unbalanced braces",
            "site.yml:7:13: template error in the task name: unbalanced braces",
            "site.yml:11:13: template error in `when` `x is defined }}`: unbalanced braces",
            "site.yml:12:13: template error in `loop`: unbalanced braces",
            "site.yml:10:15: template error in option `dest` of `copy`: unbalanced braces",
            "site.yml:15:18: template error in option `msg` of `debug`: unbalanced braces",
            "site.yml:18:19: template error in option `that` of `assert` `b }}`: unbalanced braces",
        ]
    );
}

#[test]
fn expressions_are_wrapped_and_templates_passed_as_written() {
    let seen = RefCell::new(Vec::new());
    let record = |s: &str| -> Result<(), String> {
        seen.borrow_mut().push(s.to_string());
        Ok(())
    };
    let pb = load(&with_tasks(
        "- ping:\n  when: a == 1\n  changed_when: '{{ b }}'\n  until: r is success\n  retries: 2\n",
    ))
    .unwrap();
    assert!(check_templates(&pb, &record).is_empty());
    let seen = seen.into_inner();
    assert!(seen.contains(&"{{ a == 1 }}".to_string()), "{seen:?}");
    assert!(seen.contains(&"{{ b }}".to_string()));
    assert!(seen.contains(&"{{ r is success }}".to_string()));
    assert!(seen.contains(&"all".to_string()), "hosts are checked");
}

/// The checker the template layer will plug in: minijinja's own parser.
fn minijinja_check(s: &str) -> Result<(), String> {
    let env = minijinja::Environment::new();
    env.template_from_str(s)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn shipped_playbooks_pass_minijinja_syntax() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in [
        root.join("../playbooks/site.yml"),
        root.join("src/playbook/testdata/valid/site.yml"),
    ] {
        let pb = load_playbook(&path).unwrap();
        let errs = check_templates(&pb, &minijinja_check);
        assert!(errs.is_empty(), "{}: {errs:?}", path.display());
    }
}

#[test]
fn minijinja_finds_a_typo_with_its_location() {
    let pb = load(&with_tasks(
        "- debug:\n    msg: 'x {{ a | }}'\n- ping:\n  when: a ==\n",
    ))
    .unwrap();
    let errs = check_templates(&pb, &minijinja_check);
    let locs: Vec<(usize, usize)> = errs
        .iter()
        .map(|e| e.loc.as_ref().map(|l| (l.line, l.column)).unwrap())
        .collect();
    assert_eq!(locs, [(4, 14), (6, 13)], "{errs:?}");
    assert!(errs[1]
        .message
        .starts_with("template error in `when` `a ==`"));
}
