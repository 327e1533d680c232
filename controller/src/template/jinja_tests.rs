//! Ansible's Jinja tests (`x is ...`) beyond minijinja's built-ins (defined, undefined, none,
//! string, number, mapping, sequence, iterable, boolean, in, eq... come from minijinja).
//!
//! The result tests (`failed`, `changed`, `skipped`, ...) read registered results: dicts with
//! `failed`/`changed`/`skipped` keys, and loop results with a `results` list.

use super::filters::regex::{compile, RegexOptions};
use super::filters::to_bool;
use super::native::undefined_error;
use super::version::version_test;
use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};
use std::path::Path;

pub fn register(env: &mut Environment<'static>) {
    // Each of Ansible's tests also answers to its `ansible.builtin.` name.
    macro_rules! test {
        ($($name:literal),+ => $f:expr) => {
            $(
                env.add_test($name, $f);
                env.add_test(concat!("ansible.builtin.", $name), $f);
            )+
        };
    }
    test!("match" => |v: String, p: String, k: Kwargs| regex_test(&v, &p, "match", k));
    test!("search" => |v: String, p: String, k: Kwargs| regex_test(&v, &p, "search", k));
    test!("regex" => regex_kind_test);
    test!("version", "version_compare" => version_test);
    test!("succeeded", "success", "successful" => |r: &Value| Ok::<_, Error>(!flag(r, "failed", "succeeded")?));
    test!("failed", "failure" => |r: &Value| flag(r, "failed", "failed"));
    test!("changed", "change" => changed);
    test!("skipped", "skip" => |r: &Value| flag(r, "skipped", "skipped"));
    test!("unreachable" => |r: &Value| flag(r, "unreachable", "unreachable"));
    test!("reachable" => |r: &Value| Ok::<_, Error>(!flag(r, "unreachable", "reachable")?));
    test!("finished" => |r: &Value| Ok::<_, Error>(result_map(r, "finished")?.get_attr("finished")?.as_i64().unwrap_or(1) == 1));
    test!("started" => |r: &Value| Ok::<_, Error>(result_map(r, "started")?.get_attr("started")?.as_i64().unwrap_or(0) == 1));
    test!("subset" => |a: &Value, b: &Value| subset(a, b));
    test!("superset" => |a: &Value, b: &Value| subset(b, a));
    test!("contains" => |seq: &Value, item: &Value| contains(seq, item));
    test!("any" => |seq: &Value| Ok::<_, Error>(defined(seq)?.try_iter()?.any(|v| v.is_true())));
    test!("all" => |seq: &Value| Ok::<_, Error>(defined(seq)?.try_iter()?.all(|v| v.is_true())));
    test!("truthy" => |v: &Value, k: Kwargs| truthy(v, k));
    test!("falsy" => |v: &Value, k: Kwargs| Ok::<_, Error>(!truthy(v, k)?));
    test!("exists" => |p: String| Path::new(&p).exists());
    test!("file" => |p: String| Path::new(&p).is_file());
    test!("directory" => |p: String| Path::new(&p).is_dir());
    test!("link" => |p: String| Path::new(&p).is_symlink());
    test!("abs" => |p: String| Path::new(&p).is_absolute());
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

fn defined(v: &Value) -> Result<&Value, Error> {
    if v.is_undefined() {
        Err(undefined_error(v))
    } else {
        Ok(v)
    }
}

fn regex_test(value: &str, pattern: &str, how: &str, kwargs: Kwargs) -> Result<bool, Error> {
    let opts = RegexOptions::from_kwargs(&kwargs)?;
    kwargs.assert_all_used()?;
    let re = compile(pattern, opts, how)?;
    Ok(match how {
        "match" => re.find(value).is_some_and(|m| m.start() == 0),
        "fullmatch" => re
            .find_iter(value)
            .any(|m| m.start() == 0 && m.end() == value.len()),
        _ => re.is_match(value),
    })
}

/// `regex(pattern, match_type='search'|'match'|'fullmatch', ignorecase=, multiline=)`.
fn regex_kind_test(value: String, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let how = kwargs
        .get::<Option<String>>("match_type")?
        .unwrap_or_else(|| "search".into());
    if !matches!(how.as_str(), "search" | "match" | "fullmatch") {
        return Err(invalid(format!(
            "regex: match_type must be search, match or fullmatch, not '{how}'"
        )));
    }
    regex_test(&value, &pattern, &how, kwargs)
}

/// Registered results must be mappings; Ansible refuses anything else the same way.
fn result_map<'a>(r: &'a Value, test: &str) -> Result<&'a Value, Error> {
    match defined(r)?.kind() {
        ValueKind::Map => Ok(r),
        kind => Err(invalid(format!(
            "the '{test}' test expects a dictionary (a registered result), got {kind}"
        ))),
    }
}

fn flag(r: &Value, key: &str, test: &str) -> Result<bool, Error> {
    let v = result_map(r, test)?.get_attr(key)?;
    Ok(!v.is_undefined() && to_bool(&v))
}

/// `changed` also looks into a loop's `results` when the aggregate has no `changed` key.
fn changed(r: &Value) -> Result<bool, Error> {
    let map = result_map(r, "changed")?;
    let own = map.get_attr("changed")?;
    if !own.is_undefined() {
        return Ok(to_bool(&own));
    }
    let results = map.get_attr("results")?;
    if results.kind() == ValueKind::Seq {
        for item in results.try_iter()? {
            if item.kind() == ValueKind::Map && to_bool(&item.get_attr("changed")?) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn contains(seq: &Value, item: &Value) -> Result<bool, Error> {
    let seq = defined(seq)?;
    if let (Some(s), Some(needle)) = (seq.as_str(), item.as_str()) {
        return Ok(s.contains(needle));
    }
    Ok(seq.try_iter()?.any(|v| v == *item))
}

fn subset(small: &Value, big: &Value) -> Result<bool, Error> {
    let big: Vec<Value> = defined(big)?.try_iter()?.collect();
    Ok(defined(small)?.try_iter()?.all(|v| big.contains(&v)))
}

/// `truthy(convert_bool=False)`: Python truthiness, or the `bool` filter's reading of
/// yes/no/on/off strings with `convert_bool=True`.
fn truthy(v: &Value, kwargs: Kwargs) -> Result<bool, Error> {
    let convert = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let v = defined(v)?;
    Ok(
        if convert && matches!(v.kind(), ValueKind::String | ValueKind::Number) {
            to_bool(v)
        } else {
            v.is_true()
        },
    )
}
