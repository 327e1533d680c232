//! Load-time template checking: walks every string of a parsed playbook that will be rendered
//! (names, hosts, vars, module arguments, loops, conditions) with its location, and hands it
//! to a syntax checker the caller supplies (minijinja's parser, from the template layer), so a
//! Jinja typo is reported with file:line:column before any host is contacted.
//!
//! Conditions (`when`, `changed_when`, `failed_when`, `until`, `assert: that`, `debug: var`)
//! are bare expressions; they are checked as `{{ <expr> }}`.

use super::error::{ErrorKind, PlaybookError};
use super::model::{Loop, Play, Playbook, Task, TaskKind};
use super::values::is_template;
use crate::yaml::Location;
use indexmap::IndexMap;
use serde_json::Value;

/// Checks every template string of `playbook`; returns one error per string `check` rejects.
pub fn check_templates(
    playbook: &Playbook,
    check: &dyn Fn(&str) -> Result<(), String>,
) -> Vec<PlaybookError> {
    let mut c = Checker {
        check,
        out: Vec::new(),
    };
    for play in &playbook.plays {
        c.play(play);
    }
    c.out
}

struct Checker<'a> {
    check: &'a dyn Fn(&str) -> Result<(), String>,
    out: Vec<PlaybookError>,
}

/// The location stored under `key`, else under its parent key (`vars.x` -> `vars`), else
/// `fallback`.
fn loc_of<'l>(
    locs: &'l IndexMap<String, Location>,
    key: &str,
    fallback: &'l Location,
) -> &'l Location {
    locs.get(key)
        .or_else(|| {
            key.rsplit_once('.')
                .and_then(|(parent, _)| locs.get(parent))
        })
        .unwrap_or(fallback)
}

impl Checker<'_> {
    fn text(&mut self, what: &str, text: &str, loc: &Location) {
        if let Err(msg) = (self.check)(text) {
            self.out.push(PlaybookError::new(
                ErrorKind::Template,
                loc,
                format!("template error in {what}: {msg}"),
            ));
        }
    }

    fn expr(&mut self, what: &str, expr: &str, loc: &Location) {
        let wrapped = if is_template(expr) {
            expr.to_string()
        } else {
            format!("{{{{ {expr} }}}}")
        };
        if let Err(msg) = (self.check)(&wrapped) {
            self.out.push(PlaybookError::new(
                ErrorKind::Template,
                loc,
                format!("template error in {what} `{expr}`: {msg}"),
            ));
        }
    }

    /// Every string inside `value`; ansible-vault ciphertext is not a template.
    fn value(&mut self, what: &str, value: &Value, loc: &Location) {
        match value {
            Value::String(s) => self.text(what, s, loc),
            Value::Array(items) => items.iter().for_each(|v| self.value(what, v, loc)),
            Value::Object(map) if map.len() == 1 && map.contains_key("__ansible_vault") => {}
            Value::Object(map) => map.values().for_each(|v| self.value(what, v, loc)),
            _ => {}
        }
    }

    fn play(&mut self, play: &Play) {
        let locs = &play.locs;
        let at = |k: &str| loc_of(locs, k, &play.loc).clone();
        if let Some(name) = &play.name {
            self.text("the play name", name, &at("name"));
        }
        self.text("`hosts`", &play.hosts, &at("hosts"));
        for (key, v) in [
            ("become_user", &play.become_user),
            ("remote_user", &play.remote_user),
        ] {
            if let Some(v) = v {
                self.text(&format!("`{key}`"), v, &at(key));
            }
        }
        for (name, v) in &play.vars {
            self.value(
                &format!("variable `{name}`"),
                v,
                &at(&format!("vars.{name}")),
            );
        }
        for file in &play.vars_files {
            for (name, v) in &file.vars {
                let loc = file.locs.get(name).unwrap_or(&play.loc);
                self.value(&format!("variable `{name}`"), v, loc);
            }
        }
        for d in &play.vars_files_deferred {
            for c in &d.candidates {
                self.text("a `vars_files` path", c, &d.loc);
            }
        }
        if let Some(env) = &play.environment {
            self.value("`environment`", env, &at("environment"));
        }
        for list in [
            &play.pre_tasks,
            &play.tasks,
            &play.post_tasks,
            &play.handlers,
        ] {
            self.tasks(list, &play.loc);
        }
    }

    fn tasks(&mut self, tasks: &[Task], fallback: &Location) {
        for t in tasks {
            self.task(t, fallback);
        }
    }

    fn task(&mut self, task: &Task, fallback: &Location) {
        let c = &task.common;
        let own = c.loc.as_ref().unwrap_or(fallback);
        let at = |k: &str| loc_of(&c.locs, k, own).clone();
        if let Some(name) = &c.name {
            self.text("the task name", name, &at("name"));
        }
        for (i, cond) in c.when.iter().enumerate() {
            self.expr("`when`", cond, &at(&format!("when.{i}")));
        }
        for (key, conds) in [
            ("changed_when", &c.changed_when),
            ("failed_when", &c.failed_when),
        ] {
            for (i, cond) in conds.iter().flatten().enumerate() {
                self.expr(&format!("`{key}`"), cond, &at(&format!("{key}.{i}")));
            }
        }
        if let Some(until) = &c.until {
            self.expr("`until`", until, &at("until"));
        }
        if let Some(lp) = &c.loop_ {
            let key = ["loop", "with_items", "with_list", "with_dict"]
                .into_iter()
                .find(|k| c.locs.contains_key(*k))
                .unwrap_or("loop");
            let v = match lp {
                Loop::Items(v) | Loop::Dict(v) => v,
            };
            self.value(&format!("`{key}`"), v, &at(key));
        }
        if let Some(label) = &c.loop_control.label {
            self.text("`loop_control.label`", label, &at("loop_control.label"));
        }
        for (key, v) in [
            ("become_user", &c.become_user),
            ("delegate_to", &c.delegate_to),
        ] {
            if let Some(v) = v {
                self.text(&format!("`{key}`"), v, &at(key));
            }
        }
        if let Some(env) = &c.environment {
            self.value("`environment`", env, &at("environment"));
        }
        for (name, v) in &c.vars {
            self.value(
                &format!("variable `{name}`"),
                v,
                &at(&format!("vars.{name}")),
            );
        }
        match &task.kind {
            TaskKind::Module(m) => {
                for (option, v) in &m.args {
                    let loc = at(&format!("args.{option}"));
                    let what = format!("option `{option}` of `{}`", m.module);
                    match (m.module, option.as_str(), v) {
                        ("assert", "that", Value::String(s))
                        | ("debug", "var", Value::String(s)) => self.expr(&what, s, &loc),
                        ("assert", "that", Value::Array(items)) => {
                            for s in items.iter().filter_map(Value::as_str) {
                                self.expr(&what, s, &loc);
                            }
                        }
                        _ => self.value(&what, v, &loc),
                    }
                }
            }
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                for part in [block, rescue, always] {
                    self.tasks(part, own);
                }
            }
            TaskKind::Import { tasks, .. } => self.tasks(tasks, own),
            TaskKind::Include { file, vars, .. } => {
                self.text("the `include_tasks` file name", file, own);
                for (name, v) in vars {
                    self.value(
                        &format!("variable `{name}`"),
                        v,
                        &at(&format!("vars.{name}")),
                    );
                }
            }
        }
    }
}
