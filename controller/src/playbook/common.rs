//! The keywords every task, block and include may carry (`when`, `loop`, `register`, `tags`,
//! `retries`...), read into [`TaskCommon`] with Ansible's types and each value's location.
//! Which keywords are allowed where is decided by the caller (`task.rs`).

use super::context::Loader;
use super::error::{ErrorKind, PlaybookError};
use super::model::{Loop, LoopControl, TaskCommon};
use super::suggest::did_you_mean;
use super::values::{
    describe, is_identifier, is_template, to_bool, to_conditions, to_number, to_opt_string,
    to_string, to_string_list, to_tags, to_uint,
};
use super::vars::parse_vars;
use crate::yaml::{Location, Node, NodeKind};
use indexmap::IndexMap;
use serde_json::Value;

type Entries = IndexMap<String, (Location, Node)>;

/// Reads the keywords in `allowed` that the mapping holds; type errors go to `ld`.
pub(crate) fn parse_common(map: &Entries, allowed: &[&str], ld: &mut Loader) -> TaskCommon {
    let mut c = TaskCommon::default();
    let mut loop_key: Option<&str> = None;
    for (key, (kloc, v)) in map {
        let key = key.as_str();
        if !allowed.contains(&key) {
            continue;
        }
        let result = (|| -> Result<(), PlaybookError> {
            match key {
                "name" => c.name = to_opt_string(v, key)?,
                "when" => c.when = conditions(v, key, &mut c.locs)?,
                "changed_when" => c.changed_when = Some(conditions(v, key, &mut c.locs)?),
                "failed_when" => c.failed_when = Some(conditions(v, key, &mut c.locs)?),
                "until" => {
                    let conds = conditions(v, key, &mut c.locs)?;
                    c.until = match conds.len() {
                        0 => None,
                        1 => conds.into_iter().next(),
                        _ => Some(
                            conds
                                .iter()
                                .map(|c| format!("({c})"))
                                .collect::<Vec<_>>()
                                .join(" and "),
                        ),
                    };
                }
                "loop" | "with_items" | "with_list" | "with_dict" => {
                    if let Some(prev) = loop_key {
                        return Err(PlaybookError::new(
                            ErrorKind::Keyword,
                            kloc,
                            format!("a task has one loop, but this one has `{prev}` and `{key}`: keep one"),
                        ));
                    }
                    loop_key = Some(key);
                    c.loop_ = Some(parse_loop(key, v)?);
                }
                "loop_control" => c.loop_control = parse_loop_control(v, &mut c.locs, ld)?,
                "register" => {
                    let name = to_string(v, key)?;
                    if !is_identifier(&name) {
                        return Err(PlaybookError::new(
                            ErrorKind::Type,
                            &v.loc,
                            format!("`register: {name}` is not a valid variable name: use letters, digits and `_`"),
                        ));
                    }
                    c.register = Some(name);
                }
                "notify" => c.notify = to_string_list(v, key)?,
                "listen" => c.listen = to_string_list(v, key)?,
                "ignore_errors" => c.ignore_errors = to_bool(v, key)?,
                "ignore_unreachable" => c.ignore_unreachable = to_bool(v, key)?,
                "run_once" => c.run_once = to_bool(v, key)?,
                "tags" => c.tags = to_tags(v)?,
                "no_log" => c.no_log = Some(to_bool(v, key)?),
                "become" => c.become_ = Some(to_bool(v, key)?),
                "check_mode" => c.check_mode = Some(to_bool(v, key)?),
                "diff" => c.diff = Some(to_bool(v, key)?),
                "become_user" => c.become_user = to_opt_string(v, key)?,
                "delegate_to" => c.delegate_to = to_opt_string(v, key)?,
                "become_method" => check_become_method(v)?,
                "retries" => {
                    let n = to_uint(v, key)?;
                    c.retries = Some(u32::try_from(n).map_err(|_| {
                        PlaybookError::new(ErrorKind::Type, &v.loc, "`retries` is too large")
                    })?);
                }
                "delay" => c.delay = Some(to_uint(v, key)?),
                "environment" => c.environment = parse_environment(v)?,
                "vars" => c.vars = parse_vars(v, &mut c.locs, &mut ld.errs),
                // `args` is read with the module; `collections` only matters to Ansible's
                // module lookup, which play does not need; block parts are read by the caller.
                _ => {}
            }
            Ok(())
        })();
        if let Err(e) = result {
            ld.errs.push(e);
        }
        // Where template strings sit, for `check_templates` and run-time errors.
        if matches!(
            key,
            "name"
                | "loop"
                | "with_items"
                | "with_list"
                | "with_dict"
                | "become_user"
                | "delegate_to"
                | "environment"
        ) {
            c.locs.insert(key.to_string(), v.loc.clone());
        }
    }
    c
}

fn conditions(
    v: &Node,
    key: &str,
    locs: &mut IndexMap<String, Location>,
) -> Result<Vec<String>, PlaybookError> {
    let conds = to_conditions(v, key)?;
    locs.insert(key.to_string(), v.loc.clone());
    Ok(conds
        .into_iter()
        .enumerate()
        .map(|(i, (c, n))| {
            locs.insert(format!("{key}.{i}"), n.loc.clone());
            c
        })
        .collect())
}

pub(crate) fn check_become_method(v: &Node) -> Result<(), PlaybookError> {
    match to_string(v, "become_method")?.as_str() {
        "sudo" => Ok(()),
        other => Err(PlaybookError::new(
            ErrorKind::Unsupported,
            &v.loc,
            format!("play becomes another user with sudo only, not `{other}`: use `become_method: sudo` or remove it"),
        )),
    }
}

pub(crate) fn parse_environment(v: &Node) -> Result<Option<Value>, PlaybookError> {
    match &v.kind {
        NodeKind::Null => Ok(None),
        NodeKind::Map(_) | NodeKind::Seq(_) => Ok(Some(v.to_value())),
        NodeKind::String(s) if is_template(s) => Ok(Some(v.to_value())),
        _ => Err(PlaybookError::new(
            ErrorKind::Type,
            &v.loc,
            format!(
                "`environment` must be a mapping of variable names to values, found {}",
                describe(v)
            ),
        )),
    }
}

fn parse_loop(key: &str, v: &Node) -> Result<Loop, PlaybookError> {
    let err = |wanted: &str| {
        PlaybookError::new(
            ErrorKind::Type,
            &v.loc,
            format!("`{key}` needs {wanted}, found {}", describe(v)),
        )
    };
    match (key, &v.kind) {
        ("with_dict", NodeKind::Map(_)) => Ok(Loop::Dict(v.to_value())),
        ("with_dict", NodeKind::String(s)) if is_template(s) => Ok(Loop::Dict(v.to_value())),
        ("with_dict", _) => Err(err("a mapping or a template that gives one")),
        (_, NodeKind::Seq(_)) => Ok(Loop::Items(v.to_value())),
        (_, NodeKind::String(s)) if is_template(s) => Ok(Loop::Items(v.to_value())),
        // Ansible's items lookup turns a bare word into a one-item list.
        (
            "with_items" | "with_list",
            NodeKind::String(_) | NodeKind::Int(_) | NodeKind::Bool(_),
        ) => Ok(Loop::Items(Value::Array(vec![v.to_value()]))),
        (_, NodeKind::Map(_)) => Err(err(
            "a list; to loop over a mapping use `with_dict:` or `loop: \"{{ d | dict2items }}\"`",
        )),
        _ => Err(err(
            "a list or a template that gives one (`\"{{ items }}\"`)",
        )),
    }
}

const LOOP_CONTROL: &[&str] = &["loop_var", "index_var", "label", "pause"];
const LOOP_CONTROL_UNSUPPORTED: &[&str] = &["extended", "extended_allitems", "break_when"];

fn parse_loop_control(
    v: &Node,
    locs: &mut IndexMap<String, Location>,
    ld: &mut Loader,
) -> Result<LoopControl, PlaybookError> {
    let mut lc = LoopControl::default();
    let entries = match &v.kind {
        NodeKind::Null => return Ok(lc),
        NodeKind::Map(m) => m,
        _ => {
            return Err(PlaybookError::new(
                ErrorKind::Type,
                &v.loc,
                format!(
                "`loop_control` must be a mapping (loop_var, index_var, label, pause), found {}",
                describe(v)
            ),
            ))
        }
    };
    for (key, (kloc, value)) in entries {
        let result = (|| -> Result<(), PlaybookError> {
            let var_name = |what: &str| -> Result<String, PlaybookError> {
                let name = to_string(value, what)?;
                if is_identifier(&name) {
                    Ok(name)
                } else {
                    Err(PlaybookError::new(
                        ErrorKind::Type,
                        &value.loc,
                        format!("`{what}: {name}` is not a valid variable name"),
                    ))
                }
            };
            match key.as_str() {
                "loop_var" => lc.loop_var = Some(var_name("loop_var")?),
                "index_var" => lc.index_var = Some(var_name("index_var")?),
                "label" => {
                    locs.insert("loop_control.label".into(), value.loc.clone());
                    lc.label = to_opt_string(value, "label")?;
                }
                "pause" => lc.pause = Some(to_number(value, "pause")?),
                k if LOOP_CONTROL_UNSUPPORTED.contains(&k) => {
                    return Err(PlaybookError::new(
                        ErrorKind::Unsupported,
                        kloc,
                        format!("`loop_control: {k}` is not supported yet: remove it"),
                    ))
                }
                k => {
                    let hint = match did_you_mean(k, LOOP_CONTROL.iter().copied()) {
                        Some(s) => format!("; did you mean `{s}`?"),
                        None => format!(": it takes {}", LOOP_CONTROL.join(", ")),
                    };
                    return Err(PlaybookError::new(
                        ErrorKind::Keyword,
                        kloc,
                        format!("unknown `loop_control` keyword `{k}`{hint}"),
                    ));
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            ld.errs.push(e);
        }
    }
    Ok(lc)
}
