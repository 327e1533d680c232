//! Global functions and values: `lookup`/`query`/`q` (env, file, vars), `omit`, and a `dict`
//! that also takes a list of pairs (`dict(keys | zip(values))`).
//!
//! `omit` is a sentinel string: a module argument whose rendered value equals [`OMIT`] is
//! dropped by the caller with [`remove_omitted`], as Ansible does.

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// The value of `omit`. Unlikely in real data, recognisable in a debug dump.
pub const OMIT: &str = "__omit_place_holder__9d4f1c2e7b";

/// Whether a rendered value is the `omit` placeholder.
pub fn is_omit(v: &Json) -> bool {
    v.as_str() == Some(OMIT)
}

/// Drops map entries and list items that are `omit`, recursively, so that
/// `mode: "{{ item.mode | default(omit) }}"` leaves the option out entirely.
pub fn remove_omitted(v: &mut Json) {
    match v {
        Json::Object(map) => {
            map.retain(|_, item| !is_omit(item));
            map.values_mut().for_each(remove_omitted);
        }
        Json::Array(items) => {
            items.retain(|item| !is_omit(item));
            items.iter_mut().for_each(remove_omitted);
        }
        _ => {}
    }
}

pub fn register(env: &mut Environment<'static>) {
    env.add_global("omit", OMIT);
    env.add_function("lookup", lookup);
    env.add_function("query", query);
    env.add_function("q", query);
    env.add_function("dict", dict);
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// `lookup(name, terms...)`: one result as itself, several joined with commas (Ansible),
/// or a list with `wantlist=True`.
fn lookup(state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let wantlist = kwargs.get::<Option<bool>>("wantlist")?.unwrap_or(false);
    let results = run_lookup(state, &name, &terms, &kwargs)?;
    kwargs.assert_all_used()?;
    Ok(if wantlist {
        Value::from(results)
    } else if results.len() == 1 {
        results.into_iter().next().unwrap_or_default()
    } else {
        Value::from(
            results
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
    })
}

/// `query(name, terms...)` / `q(...)`: always a list.
fn query(state: &State, name: String, terms: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let results = run_lookup(state, &name, &terms, &kwargs)?;
    kwargs.assert_all_used()?;
    Ok(Value::from(results))
}

fn run_lookup(
    state: &State,
    name: &str,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<Vec<Value>, Error> {
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    // Terms may be given as a list (`lookup('file', files)`); flatten one level.
    let mut flat = Vec::new();
    for term in terms {
        if term.kind() == ValueKind::Seq {
            flat.extend(term.try_iter()?);
        } else {
            flat.push(term.clone());
        }
    }
    let errors = kwargs
        .get::<Option<String>>("errors")?
        .unwrap_or_else(|| "strict".into());
    let result = match name {
        "env" => env_lookup(&flat, kwargs),
        "file" => file_lookup(state, &flat, kwargs),
        "vars" => vars_lookup(state, &flat, kwargs),
        other => {
            return Err(invalid(format!(
                "lookup plugin '{other}' is not supported (supported: env, file, vars)"
            )))
        }
    };
    match (result, errors.as_str()) {
        (Ok(values), _) => Ok(values),
        (Err(_), "ignore" | "warn") => Ok(Vec::new()),
        (Err(err), _) => Err(err),
    }
}

fn env_lookup(terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kwargs.get::<Option<Value>>("default")?;
    Ok(terms
        .iter()
        .map(|name| match std::env::var(name.to_string()) {
            Ok(v) => Value::from(v),
            Err(_) => default.clone().unwrap_or_else(|| Value::from("")),
        })
        .collect())
}

fn file_lookup(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let lstrip = kwargs.get::<Option<bool>>("lstrip")?.unwrap_or(false);
    let rstrip = kwargs.get::<Option<bool>>("rstrip")?.unwrap_or(true);
    let mut out = Vec::new();
    for term in terms {
        let wanted = term.to_string();
        let dirs = search_dirs(state);
        let path = find_file(&wanted, &dirs).ok_or_else(|| {
            invalid(format!(
                "lookup('file'): could not find '{wanted}' (searched: {})",
                if Path::new(&wanted).is_absolute() {
                    wanted.clone()
                } else {
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .chain(std::iter::once("the current directory".to_string()))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ))
        })?;
        let mut text = std::fs::read_to_string(&path).map_err(|e| {
            invalid(format!(
                "lookup('file'): cannot read {}: {e}",
                path.display()
            ))
        })?;
        if rstrip {
            text.truncate(text.trim_end().len());
        }
        if lstrip {
            text = text.trim_start().to_string();
        }
        out.push(Value::from(text));
    }
    Ok(out)
}

/// Where a relative `lookup('file')` path is searched, as Ansible does: the role's `files/`
/// and the role, then the playbook directory's `files/` and the playbook directory.
fn search_dirs(state: &State) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for var in ["role_path", "playbook_dir"] {
        if let Some(dir) = state
            .lookup(var)
            .and_then(|v| v.as_str().map(PathBuf::from))
        {
            dirs.push(dir.join("files"));
            dirs.push(dir);
        }
    }
    dirs
}

fn find_file(wanted: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    let path = Path::new(wanted);
    if path.is_absolute() {
        return path.is_file().then(|| path.to_path_buf());
    }
    dirs.iter()
        .map(|d| d.join(path))
        .chain(std::iter::once(path.to_path_buf()))
        .find(|p| p.is_file())
}

fn vars_lookup(state: &State, terms: &[Value], kwargs: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kwargs.get::<Option<Value>>("default")?;
    terms
        .iter()
        .map(|name| {
            let name = name.to_string();
            match state.lookup(&name).filter(|v| !v.is_undefined()) {
                Some(v) => Ok(v),
                None => default
                    .clone()
                    .ok_or_else(|| invalid(format!("lookup('vars'): no variable named '{name}'"))),
            }
        })
        .collect()
}

/// Python's `dict()`: from a mapping or a list of pairs, plus keyword arguments.
fn dict(args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    match args.as_slice() {
        [] => {}
        [source] => pairs.extend(pairs_of(source)?),
        _ => {
            return Err(invalid(
                "dict: expected at most 1 positional argument".into(),
            ))
        }
    }
    for key in kwargs.args() {
        pairs.push((Value::from(key), kwargs.get::<Value>(key)?));
    }
    Ok(Value::from_pairs(pairs))
}

/// The (key, value) pairs of a mapping, or of a list of two-item lists.
pub fn pairs_of(source: &Value) -> Result<Vec<(Value, Value)>, Error> {
    let mut pairs = Vec::new();
    match source.kind() {
        ValueKind::Map => {
            for key in source.try_iter()? {
                let value = source.get_item(&key)?;
                pairs.push((key, value));
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            for item in source.try_iter()? {
                let parts: Vec<Value> = item.try_iter().map(|i| i.collect()).unwrap_or_default();
                match (item.kind(), parts.as_slice()) {
                    (ValueKind::Seq | ValueKind::Iterable, [k, v]) => {
                        pairs.push((k.clone(), v.clone()))
                    }
                    _ => {
                        return Err(invalid(format!(
                            "dict: expected pairs of [key, value], got a {} of length {}",
                            item.kind(),
                            parts.len()
                        )))
                    }
                }
            }
        }
        ValueKind::None | ValueKind::Undefined => {}
        kind => return Err(invalid(format!("dict: cannot build a dict from a {kind}"))),
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removes_omit_recursively() {
        let mut v = json!({"a": OMIT, "b": 1, "c": [OMIT, 2, {"d": OMIT}]});
        remove_omitted(&mut v);
        assert_eq!(v, json!({"b": 1, "c": [2, {}]}));
        assert!(is_omit(&json!(OMIT)));
        assert!(!is_omit(&json!("x")));
    }
}
