//! Ansible's data-structure filters: `combine` (with `recursive` and `list_merge`),
//! `dict2items` / `items2dict`, `flatten`, `product`, `zip_longest`, `dict`, the set filters
//! (`difference`, `intersect`, `union`, `symmetric_difference`) and `extract`.

use super::super::globals::pairs_of;
use super::super::native;
use super::{defined, invalid, items_of, json_of};
use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Error, Value};
use serde_json::{Map, Value as Json};

/// `a | combine(b, c, recursive=False, list_merge='replace')`; lists of dicts among the
/// arguments are merged in order, as Ansible does.
pub fn combine(v: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge = kwargs
        .get::<Option<String>>("list_merge")?
        .unwrap_or_else(|| "replace".into());
    kwargs.assert_all_used()?;
    if !matches!(
        list_merge.as_str(),
        "replace" | "keep" | "append" | "prepend" | "append_rp" | "prepend_rp"
    ) {
        return Err(invalid(format!(
            "combine: list_merge must be replace, keep, append, prepend, append_rp or prepend_rp, not '{list_merge}'"
        )));
    }
    let mut dicts = Vec::new();
    for term in std::iter::once(v).chain(others.iter()) {
        match json_of(term)? {
            Json::Array(items) => dicts.extend(items),
            other => dicts.push(other),
        }
    }
    let mut result = Map::new();
    for d in dicts {
        match d {
            Json::Object(map) => result = merge_hash(result, map, recursive, &list_merge),
            other => {
                return Err(invalid(format!(
                    "combine: expected dictionaries, got {}",
                    json_type(&other)
                )))
            }
        }
    }
    Ok(native::to_value(&Json::Object(result)))
}

/// Ansible's `merge_hash`: keys of `y` win; existing keys keep their position.
fn merge_hash(
    mut x: Map<String, Json>,
    y: Map<String, Json>,
    recursive: bool,
    list_merge: &str,
) -> Map<String, Json> {
    for (key, y_value) in y {
        let Some(x_value) = x.get_mut(&key) else {
            x.insert(key, y_value);
            continue;
        };
        match (x_value, y_value) {
            (Json::Object(xm), Json::Object(ym)) if recursive => {
                let merged = merge_hash(std::mem::take(xm), ym, recursive, list_merge);
                *xm = merged;
            }
            (Json::Array(xl), Json::Array(yl)) => {
                let merged = match list_merge {
                    "keep" => std::mem::take(xl),
                    "append" => xl.drain(..).chain(yl).collect(),
                    "prepend" => yl.into_iter().chain(xl.drain(..)).collect(),
                    "append_rp" => {
                        let kept: Vec<Json> = xl.drain(..).filter(|z| !yl.contains(z)).collect();
                        kept.into_iter().chain(yl).collect()
                    }
                    "prepend_rp" => {
                        let kept: Vec<Json> = xl.drain(..).filter(|z| !yl.contains(z)).collect();
                        yl.into_iter().chain(kept).collect()
                    }
                    _ => yl,
                };
                *xl = merged;
            }
            (slot, y_value) => *slot = y_value,
        }
    }
    x
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "None",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a dict",
    }
}

fn names(
    kwargs: &Kwargs,
    key: Option<String>,
    value: Option<String>,
) -> Result<(String, String), Error> {
    let key = match key {
        Some(k) => k,
        None => kwargs
            .get::<Option<String>>("key_name")?
            .unwrap_or_else(|| "key".into()),
    };
    let value = match value {
        Some(v) => v,
        None => kwargs
            .get::<Option<String>>("value_name")?
            .unwrap_or_else(|| "value".into()),
    };
    kwargs.assert_all_used()?;
    Ok((key, value))
}

/// `dict2items(key_name='key', value_name='value')`.
pub fn dict2items(
    v: &Value,
    key: Option<String>,
    value: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let (key_name, value_name) = names(&kwargs, key, value)?;
    if defined(v)?.kind() != ValueKind::Map {
        return Err(invalid(format!(
            "dict2items: expected a dict, got {}",
            v.kind()
        )));
    }
    let mut out = Vec::new();
    for k in v.try_iter()? {
        let item = v.get_item(&k)?;
        out.push(Value::from_pairs([
            (key_name.as_str(), k),
            (value_name.as_str(), item),
        ]));
    }
    Ok(Value::from(out))
}

/// `items2dict(key_name='key', value_name='value')`.
pub fn items2dict(
    v: &Value,
    key: Option<String>,
    value: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let (key_name, value_name) = names(&kwargs, key, value)?;
    let mut pairs = Vec::new();
    for item in items_of("items2dict", v)? {
        let k = item.get_attr(&key_name).unwrap_or_default();
        let val = item.get_attr(&value_name).unwrap_or_default();
        if k.is_undefined() || val.is_undefined() {
            return Err(invalid(format!(
                "items2dict: each item needs '{key_name}' and '{value_name}' keys, got a {} with keys [{}]",
                item.kind(),
                item.try_iter().map(|keys| keys.map(|k| k.to_string()).collect::<Vec<_>>().join(", ")).unwrap_or_default()
            )));
        }
        pairs.push((k, val));
    }
    Ok(Value::from_pairs(pairs))
}

/// `flatten(levels=None, skip_nulls=True)`.
pub fn flatten(v: &Value, levels: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get::<Option<i64>>("levels")?,
    };
    let skip_nulls = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    flatten_into(&items_of("flatten", v)?, levels, skip_nulls, &mut out)?;
    Ok(Value::from(out))
}

fn flatten_into(
    items: &[Value],
    levels: Option<i64>,
    skip_nulls: bool,
    out: &mut Vec<Value>,
) -> Result<(), Error> {
    for item in items {
        let is_null = item.is_none() || matches!(item.as_str(), Some("None" | "null"));
        if skip_nulls && is_null {
            continue;
        }
        match (item.kind(), levels) {
            (ValueKind::Seq, None) => {
                flatten_into(&item.try_iter()?.collect::<Vec<_>>(), None, skip_nulls, out)?
            }
            (ValueKind::Seq, Some(l)) if l >= 1 => flatten_into(
                &item.try_iter()?.collect::<Vec<_>>(),
                Some(l - 1),
                skip_nulls,
                out,
            )?,
            _ => out.push(item.clone()),
        }
    }
    Ok(())
}

/// `a | product(b, ...)`: the cartesian product, as a list of lists.
pub fn product(v: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let repeat = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let mut pools = vec![items_of("product", v)?];
    for o in others.iter() {
        pools.push(items_of("product", o)?);
    }
    let pools: Vec<Vec<Value>> = std::iter::repeat_n(pools, repeat).flatten().collect();
    let mut result: Vec<Vec<Value>> = vec![Vec::new()];
    for pool in &pools {
        result = result
            .into_iter()
            .flat_map(|prefix| {
                pool.iter().map(move |item| {
                    let mut next = prefix.clone();
                    next.push(item.clone());
                    next
                })
            })
            .collect();
    }
    Ok(Value::from(
        result.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

/// `a | zip_longest(b, fillvalue=None)`.
pub fn zip_longest(v: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let fill = kwargs
        .get::<Option<Value>>("fillvalue")?
        .unwrap_or(Value::from(()));
    kwargs.assert_all_used()?;
    let mut lists = vec![items_of("zip_longest", v)?];
    for o in others.iter() {
        lists.push(items_of("zip_longest", o)?);
    }
    let len = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok(Value::from(
        (0..len)
            .map(|i| {
                Value::from(
                    lists
                        .iter()
                        .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                        .collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>(),
    ))
}

/// `pairs | dict`: a dict from a list of [key, value] pairs (or a dict).
pub fn dict_filter(v: &Value) -> Result<Value, Error> {
    Ok(Value::from_pairs(pairs_of(defined(v)?)?))
}

fn unique(items: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

pub fn difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let b = items_of("difference", b)?;
    Ok(Value::from(unique(
        items_of("difference", a)?
            .into_iter()
            .filter(|x| !b.contains(x)),
    )))
}

pub fn intersect(a: &Value, b: &Value) -> Result<Value, Error> {
    let b = items_of("intersect", b)?;
    Ok(Value::from(unique(
        items_of("intersect", a)?
            .into_iter()
            .filter(|x| b.contains(x)),
    )))
}

pub fn union(a: &Value, b: &Value) -> Result<Value, Error> {
    Ok(Value::from(unique(
        items_of("union", a)?
            .into_iter()
            .chain(items_of("union", b)?),
    )))
}

pub fn symmetric_difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let (a, b) = (
        items_of("symmetric_difference", a)?,
        items_of("symmetric_difference", b)?,
    );
    let only_a = a.iter().filter(|x| !b.contains(x)).cloned();
    let only_b = b.iter().filter(|x| !a.contains(x)).cloned();
    Ok(Value::from(unique(only_a.chain(only_b))))
}

/// `key | extract(container, morekeys=None)`, mostly as `map('extract', hostvars, 'x')`.
pub fn extract(key: &Value, container: &Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut value = defined(container)?.get_item(defined(key)?)?;
    let more: Vec<Value> = match morekeys {
        None => Vec::new(),
        Some(m) if m.kind() == ValueKind::Seq => m.try_iter()?.collect(),
        Some(m) => vec![m],
    };
    for k in more {
        value = value.get_item(&k)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn merge_hash_follows_ansible() {
        let x = obj(json!({"a": {"b": 1, "l": [1, 2]}, "k": 1}));
        let y = obj(json!({"a": {"c": 2, "l": [2, 3]}, "n": 2}));
        let flat = merge_hash(x.clone(), y.clone(), false, "replace");
        assert_eq!(
            Json::Object(flat),
            json!({"a": {"c": 2, "l": [2, 3]}, "k": 1, "n": 2})
        );
        let deep = merge_hash(x.clone(), y.clone(), true, "append_rp");
        assert_eq!(
            Json::Object(deep),
            json!({"a": {"b": 1, "l": [1, 2, 3], "c": 2}, "k": 1, "n": 2})
        );
        let keep = merge_hash(x.clone(), y.clone(), true, "keep");
        assert_eq!(keep["a"]["l"], json!([1, 2]));
        let prepend = merge_hash(x, y, true, "prepend");
        assert_eq!(prepend["a"]["l"], json!([2, 3, 1, 2]));
    }
}
