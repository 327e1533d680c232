//! One task mapping into a [`Task`]: find what it does (a module, a block, an import or an
//! include), check every other key is a keyword valid for that kind, and read the keywords.
//!
//! Errors are collected, not returned, so one load reports every bad task of a file.

use super::common::parse_common;
use super::context::{Loader, Scope};
use super::error::ErrorKind;
use super::includes::{import_tasks, include_tasks};
use super::inherit::inherit_notify;
use super::keywords::{self, is_import_tasks, is_include_tasks, with_lookup_hint};
use super::model::{Task, TaskKind};
use super::module_args::build_module_task;
use super::suggest::did_you_mean;
use super::values::describe;
use crate::yaml::{Location, Node, NodeKind};
use indexmap::IndexMap;
use play_protocol::modules::{self, ModuleSpec};

/// Reads a list of tasks (`tasks:`, `block:`, a tasks file). `what` names it in messages.
pub(crate) fn parse_task_list(
    node: &Node,
    what: &str,
    scope: &Scope,
    ld: &mut Loader,
) -> Vec<Task> {
    let items = match &node.kind {
        NodeKind::Null => return Vec::new(),
        NodeKind::Seq(items) => items,
        _ => {
            ld.errs.at(
                ErrorKind::Type,
                &node.loc,
                format!(
                    "{what} must be a list of tasks (each starting with `- `), found {}",
                    describe(node)
                ),
            );
            return Vec::new();
        }
    };
    let mut tasks = Vec::new();
    for item in items {
        if item.as_map().is_none() {
            ld.errs.at(
                ErrorKind::Type,
                &item.loc,
                format!(
                    "a task must be a mapping such as `- name: ...` with a module, found {}",
                    describe(item)
                ),
            );
            continue;
        }
        if let Some(task) = parse_task(item, scope, ld) {
            tasks.push(task);
        }
    }
    tasks
}

/// What a task does, found from its keys.
enum Action<'a> {
    Module(&'static ModuleSpec, &'a Node),
    Block,
    Import(&'a Node),
    Include(&'a Node),
}

impl Action<'_> {
    fn keywords(&self, handlers: bool) -> Vec<&'static str> {
        match self {
            Action::Module(..) => module_task_keywords(handlers),
            Action::Block => keywords::BLOCK.to_vec(),
            Action::Import(_) => keywords::IMPORT.to_vec(),
            Action::Include(_) => keywords::INCLUDE.to_vec(),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Action::Module(..) => "a task",
            Action::Block => "a block",
            Action::Import(_) => "import_tasks",
            Action::Include(_) => "include_tasks",
        }
    }
}

fn module_task_keywords(handlers: bool) -> Vec<&'static str> {
    if handlers {
        [keywords::TASK, keywords::HANDLER_ONLY].concat()
    } else {
        keywords::TASK.to_vec()
    }
}

type Entries = IndexMap<String, (Location, Node)>;

fn is_any_keyword(key: &str) -> bool {
    [
        keywords::TASK,
        keywords::HANDLER_ONLY,
        keywords::BLOCK,
        keywords::INCLUDE,
    ]
    .iter()
    .any(|t| t.contains(&key))
}

fn parse_task(node: &Node, scope: &Scope, ld: &mut Loader) -> Option<Task> {
    let map: &Entries = node.as_map()?;
    let mut actions: Vec<(&str, &Location, Action)> = Vec::new();
    let mut unknown: Vec<(&str, &Location)> = Vec::new();
    let mut bad = false;
    for (key, (kloc, value)) in map {
        let key = key.as_str();
        if key == "block" {
            actions.push((key, kloc, Action::Block));
        } else if is_import_tasks(key) {
            actions.push((key, kloc, Action::Import(value)));
        } else if is_include_tasks(key) {
            actions.push((key, kloc, Action::Include(value)));
        } else if is_any_keyword(key) {
            continue;
        } else if let Some(hint) = keywords::task_unsupported(key) {
            ld.errs.at(
                ErrorKind::Unsupported,
                kloc,
                format!("unsupported keyword `{key}`: {hint}"),
            );
            bad = true;
        } else if let Some(spec) = modules::lookup(key) {
            actions.push((key, kloc, Action::Module(spec, value)));
        } else if let Some(hint) = with_lookup_hint(key) {
            ld.errs.at(ErrorKind::Unsupported, kloc, hint);
            bad = true;
        } else {
            unknown.push((key, kloc));
        }
    }

    if actions.len() > 1 {
        let (first, first_loc, _) = &actions[0];
        let (second, second_loc, _) = &actions[1];
        let message = if *first == "block" || *second == "block" {
            let other = if *first == "block" { second } else { first };
            format!(
                "a block cannot also be `{other}`: move `{other}` into the block's list as a task \
                 of its own"
            )
        } else {
            format!(
                "a task can do one thing, but this one has both `{first}` (line {}) and \
                 `{second}`: split it into two tasks",
                first_loc.line
            )
        };
        ld.errs.at(ErrorKind::Module, second_loc, message);
        return None;
    }
    let Some((action_key, action_loc, action)) = actions.pop() else {
        report_no_action(node, map, &unknown, scope, ld, bad);
        return None;
    };

    let allowed = action.keywords(scope.handlers);
    for (key, (kloc, _)) in map {
        let key = key.as_str();
        if key == action_key || allowed.contains(&key) || !is_any_keyword(key) {
            continue;
        }
        ld.errs.at(
            ErrorKind::Keyword,
            kloc,
            misplaced_keyword(key, &action, scope),
        );
    }
    for (key, kloc) in &unknown {
        ld.errs.at(
            ErrorKind::Keyword,
            kloc,
            unknown_with_action(key, &action, &allowed),
        );
    }

    let mut common = parse_common(map, &allowed, ld);
    common.loc = Some(node.loc.clone());
    let args_kw = map.get("args").map(|(_, n)| n);
    let kind = match action {
        Action::Module(spec, value) => TaskKind::Module(build_module_task(
            spec,
            action_loc,
            value,
            args_kw,
            &mut common.locs,
            &mut ld.errs,
        )),
        Action::Block => {
            let list = |key: &str, ld: &mut Loader| match map.get(key) {
                Some((_, n)) => parse_task_list(n, &format!("`{key}`"), scope, ld),
                None => Vec::new(),
            };
            let (mut block, mut rescue, mut always) =
                (list("block", ld), list("rescue", ld), list("always", ld));
            if !common.notify.is_empty() {
                for part in [&mut block, &mut rescue, &mut always] {
                    inherit_notify(part, &common.notify);
                }
            }
            TaskKind::Block {
                block,
                rescue,
                always,
            }
        }
        Action::Import(value) => {
            let (file, tasks) = import_tasks(action_key, value, scope, ld)?;
            TaskKind::Import { file, tasks }
        }
        Action::Include(value) => {
            let file = include_tasks(action_key, value, scope, ld)?;
            TaskKind::Include {
                file,
                base_dir: scope.dir.clone(),
                vars: std::mem::take(&mut common.vars),
            }
        }
    };
    Some(Task { common, kind })
}

/// A task with no module: say which key was probably meant, or that one is missing.
fn report_no_action(
    node: &Node,
    map: &Entries,
    unknown: &[(&str, &Location)],
    scope: &Scope,
    ld: &mut Loader,
    already_reported: bool,
) {
    let allowed = module_task_keywords(scope.handlers);
    let mut module_like = 0;
    for (key, kloc) in unknown {
        if let Some(k) = did_you_mean(key, allowed.iter().copied()) {
            ld.errs.at(
                ErrorKind::Keyword,
                kloc,
                format!("unknown task keyword `{key}`; did you mean `{k}`?"),
            );
        } else {
            module_like += 1;
            ld.errs.at(ErrorKind::Module, kloc, unknown_module(key));
        }
    }
    if module_like == 0 && !already_reported {
        let message = if map.contains_key("rescue") || map.contains_key("always") {
            "`rescue` and `always` need a `block:` in the same mapping"
        } else {
            "this task calls no module: add one, e.g. `debug: msg=...` or `command: ...`"
        };
        ld.errs.at(ErrorKind::Module, &node.loc, message);
    }
}

fn unknown_module(key: &str) -> String {
    // `ansible.builtin.cpy`: compare the last part with play's short names.
    let short = key.rsplit('.').next().unwrap_or(key);
    match did_you_mean(short, modules::all_names()) {
        Some(m) => format!("unknown module `{key}`; did you mean `{m}`?"),
        None => format!(
            "unknown module `{key}`: play knows {}",
            modules::all_names().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A key that is neither a keyword nor the task's action.
fn unknown_with_action(key: &str, action: &Action, allowed: &[&'static str]) -> String {
    if let Action::Module(spec, _) = action {
        if spec.accepts(key) {
            return format!(
                "`{key}` is an option of `{}`, not a task keyword: indent it under `{}:`",
                spec.name, spec.name
            );
        }
    }
    match did_you_mean(key, allowed.iter().copied()) {
        Some(k) => format!(
            "unknown keyword `{key}` in {}; did you mean `{k}`?",
            action.describe()
        ),
        None if modules::lookup(key).is_none()
            && did_you_mean(key.rsplit('.').next().unwrap_or(key), modules::all_names())
                .is_some() =>
        {
            format!("{}; a task calls only one module", unknown_module(key))
        }
        None => format!(
            "unknown keyword `{key}` in {}: it takes {}",
            action.describe(),
            allowed.join(", ")
        ),
    }
}

/// A real keyword used where it does not belong.
fn misplaced_keyword(key: &str, action: &Action, scope: &Scope) -> String {
    match (action, key) {
        (_, "listen") if !scope.handlers => {
            "`listen` is only for handlers: move this task under `handlers:`".into()
        }
        (Action::Block, _) => {
            format!("`{key}` is not allowed on a block: put it on the tasks inside the block")
        }
        (Action::Import(_), k) if keywords::LOOPS.contains(&k) || k == "loop_control" => format!(
            "`import_tasks` is expanded once when the playbook loads, so it cannot loop: use \
             `include_tasks` with `{key}`"
        ),
        (Action::Import(_) | Action::Include(_), _) => format!(
            "`{key}` is not allowed on {}: put it on the included tasks, or wrap the {} in a \
             `block:`",
            action.describe(),
            action.describe()
        ),
        (Action::Module(..), "rescue" | "always") => {
            format!("`{key}` needs a `block:` in the same mapping")
        }
        (Action::Module(..), _) => format!("`{key}` is only allowed on blocks, not on a task"),
    }
}
