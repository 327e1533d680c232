//! Keywords that flow from parents to children and are settled at load time, so the run
//! engine reads one value per task: tags (extended down from play, blocks and imports) and
//! `notify` (a block's applies to tasks inside that have none, as in Ansible).

use super::model::{Task, TaskKind};

fn add_unique(to: &mut Vec<String>, from: &[String]) {
    for t in from {
        if !to.contains(t) {
            to.push(t.clone());
        }
    }
}

/// Adds `inherited` to each task's tags (and records them in `inherited_tags`), then pushes
/// each block's and import's own tags down to its children. Call it with the play's tags on a
/// play's task lists, and with an include's `inherited_tags` on tasks loaded for it at run time.
pub fn inherit_tags(tasks: &mut [Task], inherited: &[String]) {
    for task in tasks {
        let c = &mut task.common;
        let own: Vec<String> = c
            .tags
            .iter()
            .filter(|t| !c.inherited_tags.contains(t))
            .cloned()
            .collect();
        add_unique(&mut c.inherited_tags, inherited);
        add_unique(&mut c.tags, inherited);
        let mut for_children = c.inherited_tags.clone();
        add_unique(&mut for_children, &own);
        match &mut task.kind {
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                for part in [block, rescue, always] {
                    inherit_tags(part, &for_children);
                }
            }
            TaskKind::Import { tasks, .. } => inherit_tags(tasks, &for_children),
            // Tasks of an include are loaded at run time; they get `inherited_tags`, not the
            // include's own tags (Ansible: include tags apply to the include only).
            TaskKind::Include { .. } | TaskKind::Module(_) => {}
        }
    }
}

/// Gives tasks (and nested blocks, imported tasks) without a `notify` the block's `notify`.
pub(crate) fn inherit_notify(tasks: &mut [Task], notify: &[String]) {
    for task in tasks {
        match &mut task.kind {
            TaskKind::Module(_) => {
                if task.common.notify.is_empty() {
                    task.common.notify = notify.to_vec();
                }
            }
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                if task.common.notify.is_empty() {
                    task.common.notify = notify.to_vec();
                }
                let effective = task.common.notify.clone();
                for part in [block, rescue, always] {
                    inherit_notify(part, &effective);
                }
            }
            TaskKind::Import { tasks, .. } => inherit_notify(tasks, notify),
            TaskKind::Include { .. } => {}
        }
    }
}
