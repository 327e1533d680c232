//! Whole-playbook tests: YAML fixtures written to a temporary directory and loaded through
//! the public entry points, one file per concern.

mod ansible_parity;
mod includes;
mod plays;
mod props;
mod site;
mod tasks;
mod templates;

use super::model::{ModuleTask, Play, Playbook, Task, TaskKind};
pub(super) use super::{load_playbook, PlaybookError};
use std::path::PathBuf;
use tempfile::TempDir;

/// A temporary directory of playbook files.
pub(super) struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn load(&self, name: &str) -> Result<Playbook, PlaybookError> {
        load_playbook(&self.dir.path().join(name))
    }
}

/// Loads `text` as `site.yml` in a fresh directory.
pub(super) fn load(text: &str) -> Result<Playbook, PlaybookError> {
    let fx = Fixture::new();
    fx.file("site.yml", text);
    fx.load("site.yml")
}

/// The single play of a playbook that must load.
pub(super) fn play(text: &str) -> Play {
    let pb = load(text).unwrap_or_else(|e| panic!("should load:\n{e}"));
    pb.plays.into_iter().next().unwrap()
}

/// A one-play playbook with `tasks_yaml` (a YAML list) as its tasks.
pub(super) fn with_tasks(tasks_yaml: &str) -> String {
    let indented: String = tasks_yaml.lines().map(|l| format!("    {l}\n")).collect();
    format!("- hosts: all\n  tasks:\n{indented}")
}

/// The tasks of a one-play playbook that must load.
pub(super) fn tasks(tasks_yaml: &str) -> Vec<Task> {
    play(&with_tasks(tasks_yaml)).tasks
}

/// The error text of a one-play playbook that must not load. Paths are reduced to the file
/// name so expectations can name `site.yml:LINE:COL`.
pub(super) fn task_errors(tasks_yaml: &str) -> String {
    errors(&with_tasks(tasks_yaml))
}

pub(super) fn errors(text: &str) -> String {
    let fx = Fixture::new();
    fx.file("site.yml", text);
    let e = fx.load("site.yml").expect_err("should not load");
    strip_dir(&e.to_string(), &fx)
}

pub(super) fn strip_dir(text: &str, fx: &Fixture) -> String {
    let dir = format!("{}/", fx.dir.path().display());
    let canon = format!(
        "{}/",
        std::fs::canonicalize(fx.dir.path()).unwrap().display()
    );
    text.replace(&dir, "").replace(&canon, "")
}

pub(super) fn module(task: &Task) -> &ModuleTask {
    match &task.kind {
        TaskKind::Module(m) => m,
        other => panic!("not a module task: {other:?}"),
    }
}
