//! Ansible's filters on top of minijinja's built-ins.
//!
//! minijinja already provides, with Jinja2's semantics: default/d (with the second argument
//! meaning "also for falsy"), lower, upper, trim, replace, split, join, first, last, length,
//! count, min, max, sum, sort, unique, list, select, reject, map, selectattr, rejectattr,
//! zip, urlencode, string, indent, title, capitalize, round, abs, reverse, batch, slice,
//! groupby, dictsort, items, tojson, format, wordcount. Not available: Python's `'%s' % x`
//! string formatting (an operator minijinja does not let us extend); use `format` instead. This module adds Ansible's ones,
//! replaces those whose Jinja2 behaviour differs from minijinja's (`bool`, `int`, `float`),
//! and registers every Ansible filter under its `ansible.builtin.` name too.

mod collections;
mod convert;
pub mod regex;
mod serialize;
mod text;

use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, Value};

pub use convert::to_bool;

pub fn register(env: &mut Environment<'static>) {
    macro_rules! filter {
        ($($name:literal),+ => $f:expr) => {
            $(
                env.add_filter($name, $f);
                env.add_filter(concat!("ansible.builtin.", $name), $f);
            )+
        };
    }
    // Conversions.
    filter!("bool" => convert::bool_filter);
    filter!("int" => convert::int);
    filter!("float" => convert::float);
    filter!("ternary" => convert::ternary);
    filter!("mandatory" => convert::mandatory);
    filter!("type_debug" => convert::type_debug);
    // Data structures.
    filter!("combine" => collections::combine);
    filter!("dict2items" => collections::dict2items);
    filter!("items2dict" => collections::items2dict);
    filter!("flatten" => collections::flatten);
    filter!("product" => collections::product);
    filter!("zip_longest" => collections::zip_longest);
    filter!("dict" => collections::dict_filter);
    filter!("difference" => collections::difference);
    filter!("intersect" => collections::intersect);
    filter!("union" => collections::union);
    filter!("symmetric_difference" => collections::symmetric_difference);
    filter!("extract" => collections::extract);
    // Text, paths and hashes.
    filter!("regex_replace" => regex::regex_replace);
    filter!("regex_search" => regex::regex_search);
    filter!("regex_findall" => regex::regex_findall);
    filter!("regex_escape" => regex::regex_escape);
    filter!("b64encode" => text::b64encode);
    filter!("b64decode" => text::b64decode);
    filter!("basename" => text::basename);
    filter!("dirname" => text::dirname);
    filter!("splitext" => text::splitext);
    filter!("path_join" => text::path_join);
    filter!("quote" => text::quote);
    filter!("center" => text::center);
    filter!("hash" => text::hash);
    filter!("checksum" => |v: &Value| text::hash(v, Some("sha1".into())));
    filter!("sha1" => |v: &Value| text::hash(v, Some("sha1".into())));
    filter!("md5" => |v: &Value| text::hash(v, Some("md5".into())));
    // Serialisation.
    filter!("to_json" => serialize::to_json);
    filter!("to_nice_json" => serialize::to_nice_json);
    filter!("from_json" => serialize::from_json);
    filter!("to_yaml" => serialize::to_yaml);
    filter!("to_nice_yaml" => serialize::to_nice_yaml);
    filter!("from_yaml" => serialize::from_yaml);
    filter!("from_yaml_all" => serialize::from_yaml_all);
}

pub(crate) fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// Refuses an undefined input with an error naming it (strict undefined for our filters,
/// also in the chainable environment).
pub(crate) fn defined(v: &Value) -> Result<&Value, Error> {
    if v.is_undefined() {
        Err(super::native::undefined_error(v))
    } else {
        Ok(v)
    }
}

/// The items of a list-like input, or an error naming the filter.
pub(crate) fn items_of(filter: &str, v: &Value) -> Result<Vec<Value>, Error> {
    match defined(v)?.kind() {
        ValueKind::Seq | ValueKind::Iterable => Ok(v.try_iter()?.collect()),
        kind => Err(invalid(format!("{filter}: expected a list, got {kind}"))),
    }
}

/// A defined value as JSON, for filters that work on plain data.
pub(crate) fn json_of(v: &Value) -> Result<serde_json::Value, Error> {
    super::native::to_json(defined(v)?)
}
