//! The playbook file: a list of plays and `import_playbook` entries, each play's keywords,
//! `vars_files`, `serial`, and its task lists. [`load_playbook`] is the entry point.

use super::common::{check_become_method, parse_environment};
use super::context::{canonical, short, Loader, Scope};
use super::error::{ErrorKind, PlaybookError};
use super::inherit::inherit_tags;
use super::keywords::{self, is_import_playbook};
use super::model::{Play, Playbook, Vars};
use super::play_values::{parse_hosts, parse_max_fail, parse_serial};
use super::suggest::did_you_mean;
use super::task::parse_task_list;
use super::values::{describe, is_template, to_bool, to_opt_string, to_string, to_tags};
use super::vars::{parse_vars, parse_vars_files};
use crate::yaml::{parse_file, Location, Node, NodeKind};
use indexmap::IndexMap;
use play_protocol::modules;
use std::path::Path;

/// Reads a playbook and everything it imports, checking every play and task. Nothing is
/// contacted; every error found is returned (the first, with the rest in `more`).
pub fn load_playbook(path: &Path) -> Result<Playbook, PlaybookError> {
    let root_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let outer = Scope {
        dir: root_dir.clone(),
        root_dir,
        chain: Vec::new(),
        handlers: false,
    };
    let mut ld = Loader::default();
    let plays = read_playbook_file(path, &outer.enter(path), &Extras::default(), None, &mut ld);
    if let Some(e) = ld.errs.into_error() {
        return Err(e);
    }
    if plays.is_empty() {
        return Err(PlaybookError::unlocated(
            ErrorKind::Type,
            format!(
                "{}: the playbook has no plays: add `- hosts: ...` with tasks",
                path.display()
            ),
        ));
    }
    Ok(Playbook {
        path: path.to_path_buf(),
        plays,
    })
}

/// What an `import_playbook` entry adds to each play it imports.
#[derive(Default, Clone)]
struct Extras {
    vars: Vars,
    var_locs: IndexMap<String, Location>,
    tags: Vec<String>,
}

fn read_playbook_file(
    path: &Path,
    scope: &Scope,
    extras: &Extras,
    referenced_at: Option<&Location>,
    ld: &mut Loader,
) -> Vec<Play> {
    let root = match parse_file(path) {
        Ok(root) => root,
        Err(e) => {
            ld.errs
                .push(PlaybookError::from_yaml(e, path, referenced_at));
            return Vec::new();
        }
    };
    let entries = match &root.kind {
        NodeKind::Seq(items) => items,
        // An empty file has no plays; `load_playbook` says so when nothing else has any.
        NodeKind::Null => return Vec::new(),
        NodeKind::Map(_) => {
            ld.errs.at(
                ErrorKind::Type,
                &root.loc,
                "a playbook is a list of plays: start each play with `- hosts: ...` (a file of \
                 tasks is imported with `import_tasks` from a play)",
            );
            return Vec::new();
        }
        _ => {
            ld.errs.at(
                ErrorKind::Type,
                &root.loc,
                format!("a playbook is a list of plays, found {}", describe(&root)),
            );
            return Vec::new();
        }
    };
    let mut plays = Vec::new();
    for entry in entries {
        let Some(map) = entry.as_map() else {
            ld.errs.at(
                ErrorKind::Type,
                &entry.loc,
                format!(
                    "each entry of a playbook is a play (`- hosts: ...`) or \
                     `- import_playbook: file.yml`, found {}",
                    describe(entry)
                ),
            );
            continue;
        };
        if map.keys().any(|k| is_import_playbook(k)) {
            plays.extend(import_playbook(map, scope, extras, ld));
        } else if let Some(play) = parse_play(entry, scope, extras, ld) {
            plays.push(play);
        }
    }
    plays
}

fn import_playbook(
    map: &IndexMap<String, (Location, Node)>,
    scope: &Scope,
    extras: &Extras,
    ld: &mut Loader,
) -> Vec<Play> {
    let mut extras = extras.clone();
    let mut target: Option<(&str, &Node)> = None;
    for (key, (kloc, v)) in map {
        match key.as_str() {
            k if is_import_playbook(k) => target = Some((k, v)),
            "name" => {}
            "vars" => {
                let vars = parse_vars(v, &mut extras.var_locs, &mut ld.errs);
                extras.vars.extend(vars);
            }
            "tags" => match to_tags(v) {
                Ok(tags) => extras.tags.extend(tags),
                Err(e) => ld.errs.push(e),
            },
            "when" => ld.errs.at(
                ErrorKind::Unsupported,
                kloc,
                "`when` on `import_playbook` is not supported yet: put the condition on the \
                 imported plays' tasks",
            ),
            other => ld.errs.at(
                ErrorKind::Keyword,
                kloc,
                format!("`import_playbook` takes `name`, `vars` and `tags`, not `{other}`"),
            ),
        }
    }
    let Some((key, v)) = target else {
        return Vec::new();
    };
    let name = match to_string(v, key) {
        Ok(name) if is_template(&name) => {
            ld.errs.at(
                ErrorKind::Unsupported,
                &v.loc,
                format!("`{key}` is read when the playbook loads, so its file name cannot hold a template"),
            );
            return Vec::new();
        }
        Ok(name) => name,
        Err(e) => {
            ld.errs.push(e);
            return Vec::new();
        }
    };
    let path = scope.dir.join(&name);
    if !path.is_file() {
        ld.errs.at(
            ErrorKind::File,
            &v.loc,
            format!(
                "`{key}`: playbook `{name}` not found (looked for {}): fix the name; it is \
                 relative to the playbook that imports it",
                path.display()
            ),
        );
        return Vec::new();
    }
    let canon = canonical(&path);
    if scope.chain.contains(&canon) {
        let mut names: Vec<String> = scope
            .chain
            .iter()
            .skip_while(|p| **p != canon)
            .map(|p| short(p, &scope.root_dir))
            .collect();
        names.push(short(&canon, &scope.root_dir));
        ld.errs.at(
            ErrorKind::Circular,
            &v.loc,
            format!(
                "circular import: {}; remove the import that leads back",
                names.join(" -> ")
            ),
        );
        return Vec::new();
    }
    let mut inner = scope.enter(&path);
    inner.root_dir = inner.dir.clone();
    read_playbook_file(&path, &inner, &extras, Some(&v.loc), ld)
}

fn parse_play(node: &Node, scope: &Scope, extras: &Extras, ld: &mut Loader) -> Option<Play> {
    let map = node.as_map()?;
    let mut play = Play {
        name: None,
        hosts: String::new(),
        vars: Vars::new(),
        vars_files: Vec::new(),
        become_: None,
        become_user: None,
        remote_user: None,
        gather_facts: true,
        pre_tasks: Vec::new(),
        tasks: Vec::new(),
        post_tasks: Vec::new(),
        handlers: Vec::new(),
        serial: Vec::new(),
        max_fail_percentage: None,
        any_errors_fatal: false,
        ignore_unreachable: false,
        tags: Vec::new(),
        environment: None,
        no_log: None,
        check_mode: None,
        loc: node.loc.clone(),
        diff: None,
        vars_files_deferred: Vec::new(),
        locs: IndexMap::new(),
    };
    let mut has_hosts = false;
    let handler_scope = Scope {
        handlers: true,
        ..scope.clone()
    };
    for (key, (kloc, v)) in map {
        let key = key.as_str();
        if !keywords::PLAY.contains(&key) {
            ld.errs.push(unknown_play_key(key, kloc));
            continue;
        }
        if matches!(
            key,
            "name" | "hosts" | "environment" | "become_user" | "remote_user"
        ) {
            play.locs.insert(key.to_string(), v.loc.clone());
        }
        let result: Result<(), PlaybookError> = (|| {
            match key {
                "name" => play.name = to_opt_string(v, key)?,
                "hosts" => {
                    has_hosts = true;
                    play.hosts = parse_hosts(v)?;
                }
                "vars" => play.vars = parse_vars(v, &mut play.locs, &mut ld.errs),
                "vars_files" => parse_vars_files(v, scope, &mut play, ld),
                "become" => play.become_ = Some(to_bool(v, key)?),
                "become_user" => play.become_user = to_opt_string(v, key)?,
                "become_method" => check_become_method(v)?,
                "remote_user" => play.remote_user = to_opt_string(v, key)?,
                "gather_facts" => play.gather_facts = to_bool(v, key)?,
                "pre_tasks" => play.pre_tasks = parse_task_list(v, "`pre_tasks`", scope, ld),
                "tasks" => play.tasks = parse_task_list(v, "`tasks`", scope, ld),
                "post_tasks" => play.post_tasks = parse_task_list(v, "`post_tasks`", scope, ld),
                "handlers" => play.handlers = parse_task_list(v, "`handlers`", &handler_scope, ld),
                // `roles: []` asks for nothing, so it is harmless.
                "roles" if !v.is_null() && v.as_seq().is_none_or(|s| !s.is_empty()) => {
                    return Err(PlaybookError::new(
                        ErrorKind::Unsupported,
                        kloc,
                        "roles are not supported yet: import the role's tasks with \
                         `import_tasks: roles/<name>/tasks/main.yml` and its defaults with \
                         `vars_files`",
                    ));
                }
                "serial" => play.serial = parse_serial(v)?,
                "max_fail_percentage" => play.max_fail_percentage = Some(parse_max_fail(v, key)?),
                "any_errors_fatal" => play.any_errors_fatal = to_bool(v, key)?,
                "ignore_unreachable" => play.ignore_unreachable = to_bool(v, key)?,
                "tags" => play.tags = to_tags(v)?,
                "environment" => play.environment = parse_environment(v)?,
                "no_log" => play.no_log = Some(to_bool(v, key)?),
                "check_mode" => play.check_mode = Some(to_bool(v, key)?),
                "diff" => play.diff = Some(to_bool(v, key)?),
                "strategy" => {
                    let s = to_string(v, key)?;
                    if s != "linear" {
                        return Err(PlaybookError::new(
                            ErrorKind::Unsupported,
                            &v.loc,
                            format!("play runs plays with the `linear` strategy only, not `{s}`: remove `strategy`"),
                        ));
                    }
                }
                "connection" => {
                    let s = to_string(v, key)?;
                    if s != "ssh" && s != "smart" {
                        return Err(PlaybookError::new(
                            ErrorKind::Unsupported,
                            &v.loc,
                            format!("play connects over SSH only, not `{s}`: remove `connection`"),
                        ));
                    }
                }
                // Collections only steer Ansible's module lookup; play's modules are built in.
                _ => {}
            }
            Ok(())
        })();
        if let Err(e) = result {
            ld.errs.push(e);
        }
    }
    if !has_hosts {
        ld.errs.at(
            ErrorKind::Keyword,
            &node.loc,
            "this play has no `hosts:`: add the hosts it runs on, e.g. `hosts: all`",
        );
        return None;
    }
    for (k, v) in &extras.vars {
        play.vars.insert(k.clone(), v.clone());
    }
    for (k, loc) in &extras.var_locs {
        play.locs.insert(k.clone(), loc.clone());
    }
    for t in &extras.tags {
        if !play.tags.contains(t) {
            play.tags.push(t.clone());
        }
    }
    let tags = play.tags.clone();
    for list in [
        &mut play.pre_tasks,
        &mut play.tasks,
        &mut play.post_tasks,
        &mut play.handlers,
    ] {
        inherit_tags(list, &tags);
    }
    Some(play)
}

fn unknown_play_key(key: &str, kloc: &Location) -> PlaybookError {
    if let Some(hint) = keywords::play_unsupported(key) {
        return PlaybookError::new(
            ErrorKind::Unsupported,
            kloc,
            format!("unsupported play keyword `{key}`: {hint}"),
        );
    }
    if modules::lookup(key).is_some() || keywords::TASK.contains(&key) || key == "block" {
        return PlaybookError::new(
            ErrorKind::Keyword,
            kloc,
            format!("`{key}` belongs to a task, not to a play: put it in a task under `tasks:`"),
        );
    }
    let message = match did_you_mean(key, keywords::PLAY.iter().copied()) {
        Some(s) => format!("unknown play keyword `{key}`; did you mean `{s}`?"),
        None => format!(
            "unknown play keyword `{key}`: a play takes {}",
            keywords::PLAY.join(", ")
        ),
    };
    PlaybookError::new(ErrorKind::Keyword, kloc, message)
}
