//! The files a plan depends on, and their keyed hashes: playbooks and every task file they
//! import, vars files, include files named literally, inventory files and folders (with
//! group_vars/host_vars), the playbook folder's group_vars/host_vars, `-e @file`s, and the
//! template/copy sources the check read. `apply` hashes the same list again and refuses when
//! anything differs, naming the file.

use super::keyed::PlanKey;
use super::model::FileHash;
use crate::playbook::model::{Playbook, Task, TaskKind};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn walk(tasks: &[Task], out: &mut BTreeSet<PathBuf>) {
    for t in tasks {
        if let Some(loc) = &t.common.loc {
            out.insert(loc.file.to_path_buf());
        }
        match &t.kind {
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                walk(block, out);
                walk(rescue, out);
                walk(always, out);
            }
            TaskKind::Import { file, tasks } => {
                out.insert(file.clone());
                walk(tasks, out);
            }
            TaskKind::Include { file, base_dir, .. } if !file.contains("{{") => {
                out.insert(base_dir.join(file));
            }
            _ => {}
        }
    }
}

/// Every regular file under `path` (or `path` itself), sorted; hidden files skipped.
fn files_under(path: &Path, out: &mut BTreeSet<PathBuf>) {
    if path.is_file() {
        out.insert(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        files_under(&p, out);
    }
}

/// The files the playbooks, inventory sources and extra vars were read from.
pub fn static_files(
    playbooks: &[Playbook],
    inventory: &[String],
    extra_vars: &[String],
) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for pb in playbooks {
        out.insert(pb.path.clone());
        if let Some(dir) = pb.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            files_under(&dir.join("group_vars"), &mut out);
            files_under(&dir.join("host_vars"), &mut out);
        }
        for play in &pb.plays {
            for vf in &play.vars_files {
                out.insert(vf.path.clone());
            }
            for d in &play.vars_files_deferred {
                for c in d.candidates.iter().filter(|c| !c.contains("{{")) {
                    let p = d.base_dir.join(c);
                    if p.is_file() {
                        out.insert(p);
                    }
                }
            }
            for list in [
                &play.pre_tasks,
                &play.tasks,
                &play.post_tasks,
                &play.handlers,
            ] {
                walk(list, &mut out);
            }
        }
    }
    for source in inventory {
        // A comma list of hosts (`vm1,vm2`) names no file.
        let p = Path::new(source);
        if p.exists() {
            files_under(p, &mut out);
        }
    }
    for e in extra_vars {
        if let Some(file) = e.strip_prefix('@') {
            out.insert(PathBuf::from(file));
        }
    }
    out
}

/// Keyed hashes of `files`; a missing or unreadable file hashes as such (and so differs).
pub fn hash_files(key: &PlanKey, files: &BTreeSet<PathBuf>) -> Vec<FileHash> {
    files
        .iter()
        .map(|p| FileHash {
            path: p.clone(),
            hmac: match std::fs::read(p) {
                Ok(bytes) => key.hash(&bytes),
                Err(e) => format!("unreadable: {}", e.kind()),
            },
        })
        .collect()
}

/// What differs between the planned file hashes and the current ones, one line per file.
pub fn compare_files(planned: &[FileHash], now: &[FileHash]) -> Vec<String> {
    let mut problems = Vec::new();
    for p in planned {
        match now.iter().find(|n| n.path == p.path) {
            Some(n) if n.hmac == p.hmac => {}
            Some(n) if n.hmac.starts_with("unreadable") => problems.push(format!(
                "{} is gone or unreadable since the plan was made",
                p.path.display()
            )),
            _ => problems.push(format!(
                "{} changed since the plan was made",
                p.path.display()
            )),
        }
    }
    for n in now {
        if !planned.iter().any(|p| p.path == n.path) {
            problems.push(format!(
                "{} is new since the plan was made (the playbook or inventory now reads it)",
                n.path.display()
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_changed_missing_and_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let key = PlanKey::from_bytes([3; 32]);
        let a = dir.path().join("a.yml");
        let b = dir.path().join("group_vars/all.yml");
        std::fs::create_dir_all(b.parent().unwrap()).unwrap();
        std::fs::write(&a, "x").unwrap();
        std::fs::write(&b, "y").unwrap();
        let mut files = BTreeSet::new();
        files_under(dir.path(), &mut files);
        assert_eq!(files.len(), 2);
        let planned = hash_files(&key, &files);
        assert!(compare_files(&planned, &hash_files(&key, &files)).is_empty());

        std::fs::write(&a, "x2").unwrap();
        std::fs::remove_file(&b).unwrap();
        let c = dir.path().join("c.yml");
        std::fs::write(&c, "z").unwrap();
        files.insert(c.clone());
        let problems = compare_files(&planned, &hash_files(&key, &files));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("a.yml changed"));
        assert!(problems[1].contains("all.yml is gone"));
        assert!(problems[2].contains("c.yml is new"));
    }
}
