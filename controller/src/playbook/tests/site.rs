//! The shipped example playbook must load.

use crate::playbook::{check_templates, load_playbook};
use std::path::Path;

#[test]
fn shipped_site_playbook_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../playbooks/site.yml");
    let pb = load_playbook(&path).unwrap_or_else(|e| panic!("{e}"));
    let play = &pb.plays[0];
    assert_eq!(play.hosts, "all");
    assert_eq!(play.become_, Some(true));
    fn count(tasks: &[crate::playbook::model::Task]) -> usize {
        use crate::playbook::model::TaskKind;
        tasks
            .iter()
            .map(|t| match &t.kind {
                TaskKind::Block {
                    block,
                    rescue,
                    always,
                } => count(block) + count(rescue) + count(always),
                TaskKind::Import { tasks, .. } => count(tasks),
                _ => 1,
            })
            .sum()
    }
    assert!(count(&play.tasks) >= 15);
    assert!(!play.handlers.is_empty());
    // A rough syntax check: braces pair up in every template string.
    let errs = check_templates(&pb, &|s: &str| {
        if s.matches("{{").count() == s.matches("}}").count() {
            Ok(())
        } else {
            Err("unbalanced".into())
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
}
