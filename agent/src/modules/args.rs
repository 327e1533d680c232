//! Lenient readers for module options, because rendered templates turn values into strings:
//! `"{{ flag }}"` arrives as `"True"`, `"{{ port }}"` as `"8080"`. Ansible accepts these
//! (yes/no/true/false/on/off/1/0 for booleans, numeric strings for numbers, a comma list
//! for lists), and so do these helpers, used with `#[serde(deserialize_with = ...)]`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A boolean as Ansible reads one.
pub fn to_bool(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "t" | "on" | "1" => Ok(true),
            "no" | "n" | "false" | "f" | "off" | "0" | "" => Ok(false),
            _ => Err(format!("'{s}' is not a boolean (use true or false)")),
        },
        other => Err(format!("{other} is not a boolean (use true or false)")),
    }
}

/// A non-negative integer given as a number or numeric string.
pub fn to_u64(v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                    .map(|f| f as u64)
            })
            .ok_or_else(|| format!("{n} is not a non-negative whole number")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a non-negative whole number")),
        other => Err(format!("{other} is not a number")),
    }
}

/// A number that may have a fraction (seconds).
pub fn to_f64(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("{n} is not a number")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("'{s}' is not a number")),
        other => Err(format!("{other} is not a number")),
    }
}

/// A scalar as text (numbers and booleans as YAML would print them).
pub fn to_string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("expected a string, got {other}")),
    }
}

/// A list of strings, or one string with comma-separated items.
pub fn to_list(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => items.iter().map(to_string).collect(),
        Value::String(s) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()),
        Value::Number(_) => Ok(vec![to_string(v)?]),
        other => Err(format!("expected a list of strings, got {other}")),
    }
}

fn optional<'de, D, T>(d: D, conv: fn(&Value) -> Result<T, String>) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => conv(&v).map(Some).map_err(D::Error::custom),
    }
}

pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    optional(d, to_bool)
}

pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    optional(d, to_u64)
}

pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    optional(d, |v| {
        to_u64(v).and_then(|n| u32::try_from(n).map_err(|_| format!("{n} is too large")))
    })
}

pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    optional(d, to_f64)
}

pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d, to_string)
}

pub fn opt_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    optional(d, to_list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_scalars() {
        assert!(to_bool(&json!("yes")).unwrap());
        assert!(to_bool(&json!("True")).unwrap());
        assert!(!to_bool(&json!("off")).unwrap());
        assert!(to_bool(&json!(1)).unwrap());
        assert!(to_bool(&json!("maybe")).is_err());
        assert_eq!(to_u64(&json!("8080")).unwrap(), 8080);
        assert_eq!(to_u64(&json!(30.0)).unwrap(), 30);
        assert!(to_u64(&json!(-1)).is_err());
        assert_eq!(to_string(&json!(42)).unwrap(), "42");
        assert_eq!(to_list(&json!("a, b,,c")).unwrap(), vec!["a", "b", "c"]);
        assert_eq!(to_list(&json!(["x", 1])).unwrap(), vec!["x", "1"]);
    }
}
