//! Conversions between the JSON data the run engine keeps (vars, facts, registered results) and
//! minijinja's values.
//!
//! Vars arrive as `serde_json::Value` and results must leave as `serde_json::Value` so that a
//! `"{{ x }}"` keeps x's list/dict/int/bool type (Ansible's native Jinja). Converting ourselves
//! rather than through serde lets us refuse undefined values buried inside a result instead of
//! silently turning them into `null`.

use minijinja::value::ValueKind;
use minijinja::{Error, ErrorKind, Value};
use serde_json::Value as Json;

/// JSON -> minijinja. Maps keep their order (minijinja's `preserve_order` feature).
pub fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(items) => Value::from(items.iter().map(to_value).collect::<Vec<_>>()),
        Json::Object(map) => Value::from_pairs(map.iter().map(|(k, v)| (k.as_str(), to_value(v)))),
    }
}

/// minijinja -> JSON. Fails on undefined values (also nested ones) so that a caller never
/// receives a silently dropped variable.
pub fn to_json(value: &Value) -> Result<Json, Error> {
    Ok(match value.kind() {
        ValueKind::Undefined => return Err(undefined_error(value)),
        ValueKind::None => Json::Null,
        ValueKind::Bool => Json::Bool(value.is_true()),
        ValueKind::Number => number_to_json(value),
        ValueKind::String => Json::String(value.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => {
            Json::String(String::from_utf8_lossy(value.as_bytes().unwrap_or_default()).into_owned())
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let mut out = Vec::new();
            for item in value.try_iter()? {
                out.push(to_json(&item)?);
            }
            Json::Array(out)
        }
        ValueKind::Map => {
            let mut out = serde_json::Map::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                out.insert(key_to_string(&key), to_json(&item)?);
            }
            Json::Object(out)
        }
        ValueKind::Invalid => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "invalid value (a failed conversion)".to_string(),
            ))
        }
        // Macros, namespaces, loop objects and other plain objects have no data form.
        _ => Json::String(value.to_string()),
    })
}

/// Python's `str()` of a dict key: strings as they are, everything else as displayed.
pub fn key_to_string(key: &Value) -> String {
    match key.as_str() {
        Some(s) => s.to_string(),
        None => key.to_string(),
    }
}

fn number_to_json(value: &Value) -> Json {
    if value.is_integer() {
        if let Ok(i) = i64::try_from(value.clone()) {
            return Json::from(i);
        }
        if let Ok(u) = u64::try_from(value.clone()) {
            return Json::from(u);
        }
    }
    let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
    serde_json::Number::from_f64(f)
        .map(Json::Number)
        .unwrap_or(Json::Null)
}

/// An error for an undefined value that keeps the value's origin, so minijinja can name the
/// expression that produced it (`Value::get_attr` on undefined builds exactly that error).
pub fn undefined_error(value: &Value) -> Error {
    value
        .get_attr("")
        .err()
        .unwrap_or_else(|| Error::from(ErrorKind::UndefinedError))
}

/// The first undefined value in a value (itself or nested in a list or map); printing or
/// returning such a container must fail as printing the value alone would.
pub fn first_undefined(value: &Value) -> Option<Value> {
    match value.kind() {
        ValueKind::Undefined => Some(value.clone()),
        ValueKind::Seq => value.try_iter().ok()?.find_map(|v| first_undefined(&v)),
        ValueKind::Map => value
            .try_iter()
            .ok()?
            .find_map(|k| value.get_item(&k).ok().and_then(|v| first_undefined(&v))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_json_types() {
        let data = json!({"s": "x", "i": -3, "u": u64::MAX, "f": 1.5, "b": true, "n": null,
                          "l": [1, "a", [2]], "m": {"z": 1, "a": 2}});
        let back = to_json(&to_value(&data)).unwrap();
        assert_eq!(back, data);
        // Order of keys is kept.
        let keys: Vec<_> = back["m"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a"]);
    }

    #[test]
    fn undefined_is_refused_even_nested() {
        let v = Value::from(vec![Value::from(1), Value::UNDEFINED]);
        assert!(first_undefined(&v).is_some());
        assert_eq!(to_json(&v).unwrap_err().kind(), ErrorKind::UndefinedError);
        assert!(first_undefined(&Value::from(vec![1, 2])).is_none());
    }

    #[test]
    fn non_string_keys_become_strings() {
        let v = Value::from_pairs([(Value::from(1), Value::from("a"))]);
        assert_eq!(to_json(&v).unwrap(), json!({"1": "a"}));
    }
}
