//! Type conversions with Ansible's / Jinja2's semantics: `bool` reads yes/no/on/off strings,
//! `int` and `float` fall back to a default (0) instead of failing, plus `ternary`,
//! `mandatory` and `type_debug`.

use super::{defined, invalid};
use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Error, Value};

/// Ansible's `bool`: booleans as they are, `yes`/`on`/`1`/`true` (any case) and the number 1
/// are true, everything else (including None) is false.
pub fn to_bool(v: &Value) -> bool {
    match v.kind() {
        ValueKind::Bool => v.is_true(),
        ValueKind::String => matches!(
            v.as_str()
                .unwrap_or_default()
                .trim()
                .to_lowercase()
                .as_str(),
            "yes" | "on" | "1" | "true"
        ),
        ValueKind::Number => f64::try_from(v.clone()).is_ok_and(|f| f == 1.0),
        _ => false,
    }
}

pub fn bool_filter(v: &Value) -> Result<bool, Error> {
    Ok(to_bool(defined(v)?))
}

/// Jinja2's `int(value, default=0, base=10)`: strings are parsed in `base` (Python syntax:
/// surrounding whitespace, `_` separators, `0x`/`0o`/`0b` prefixes), then as a float and
/// truncated; anything unparseable gives the default.
pub fn int(
    v: &Value,
    default: Option<Value>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default = match default {
        Some(d) => d,
        None => kwargs
            .get::<Option<Value>>("default")?
            .unwrap_or(Value::from(0)),
    };
    let base = match base {
        Some(b) => b,
        None => kwargs.get::<Option<u32>>("base")?.unwrap_or(10),
    };
    kwargs.assert_all_used()?;
    if !(base == 0 || (2..=36).contains(&base)) {
        return Err(invalid(format!("int: base must be 0 or 2..36, not {base}")));
    }
    Ok(match defined(v)?.kind() {
        ValueKind::Bool => Value::from(v.is_true() as i64),
        ValueKind::Number if v.is_integer() => v.clone(),
        ValueKind::Number => match f64::try_from(v.clone()) {
            Ok(f) if f.is_finite() => Value::from(f.trunc() as i128),
            _ => default,
        },
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default();
            parse_python_int(s, base)
                .map(Value::from)
                .or_else(|| {
                    parse_python_float(s)
                        .filter(|f| f.is_finite())
                        .map(|f| Value::from(f.trunc() as i128))
                })
                .unwrap_or(default)
        }
        _ => default,
    })
}

/// Python's `int(s, base)`.
fn parse_python_int(s: &str, base: u32) -> Option<i128> {
    let s = s.trim();
    let (negative, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = rest.to_ascii_lowercase();
    let (base, digits) = match (base, lower.get(..2)) {
        (0 | 16, Some("0x")) => (16, &lower[2..]),
        (0 | 8, Some("0o")) => (8, &lower[2..]),
        (0 | 2, Some("0b")) => (2, &lower[2..]),
        (0, _) => (10, lower.as_str()),
        (b, _) => (b, lower.as_str()),
    };
    let digits = digits.strip_prefix('_').unwrap_or(digits);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let value = i128::from_str_radix(&digits.replace('_', ""), base).ok()?;
    Some(if negative { -value } else { value })
}

/// Python's `float(s)`: whitespace, `_` separators, inf/nan words.
fn parse_python_float(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() || s.starts_with('_') || s.ends_with('_') || s.contains("__") {
        return None;
    }
    let cleaned = s.replace('_', "");
    match cleaned.to_ascii_lowercase().trim_start_matches(['+', '-']) {
        "inf" | "infinity" | "nan" => cleaned.to_ascii_lowercase().parse::<f64>().ok(),
        body if body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-')) =>
        {
            cleaned.parse().ok()
        }
        _ => None,
    }
}

/// Jinja2's `float(value, default=0.0)`.
pub fn float(v: &Value, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = match default {
        Some(d) => d,
        None => kwargs
            .get::<Option<Value>>("default")?
            .unwrap_or(Value::from(0.0)),
    };
    kwargs.assert_all_used()?;
    Ok(match defined(v)?.kind() {
        ValueKind::Bool => Value::from(v.is_true() as i64 as f64),
        ValueKind::Number => f64::try_from(v.clone()).map(Value::from).unwrap_or(default),
        ValueKind::String => parse_python_float(v.as_str().unwrap_or_default())
            .map(Value::from)
            .unwrap_or(default),
        _ => default,
    })
}

/// `ternary(true_val, false_val, none_val=None)`.
pub fn ternary(
    v: &Value,
    true_val: Value,
    false_val: Value,
    none_val: Option<Value>,
) -> Result<Value, Error> {
    let v = defined(v)?;
    Ok(match none_val {
        Some(none_val) if v.is_none() => none_val,
        _ if v.is_true() => true_val,
        _ => false_val,
    })
}

/// `mandatory(msg=None)`: fails on an undefined value, naming it unless a message is given.
pub fn mandatory(v: &Value, msg: Option<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let msg = match msg {
        Some(m) => Some(m),
        None => kwargs.get::<Option<String>>("msg")?,
    };
    kwargs.assert_all_used()?;
    match (v.is_undefined(), msg) {
        (false, _) => Ok(v.clone()),
        (true, Some(msg)) => Err(invalid(msg)),
        (true, None) => Err(super::super::native::undefined_error(v)),
    }
}

/// Python's type name of a value (`type_debug`), as playbooks compare against it.
pub fn type_debug(v: &Value) -> Result<&'static str, Error> {
    Ok(match defined(v)?.kind() {
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number if v.is_integer() => "int",
        ValueKind::Number => "float",
        ValueKind::String => "str",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq => "list",
        ValueKind::Map => "dict",
        _ => "object",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bool_reads_ansible_words() {
        for yes in ["yes", "On", "TRUE", "1", " true "] {
            assert!(to_bool(&Value::from(yes)), "{yes}");
        }
        for no in ["no", "off", "false", "0", "", "maybe"] {
            assert!(!to_bool(&Value::from(no)), "{no}");
        }
        assert!(to_bool(&Value::from(1)));
        assert!(!to_bool(&Value::from(2)));
        assert!(!to_bool(&Value::from(())));
    }

    #[test]
    fn python_int_parsing() {
        assert_eq!(parse_python_int(" 42 ", 10), Some(42));
        assert_eq!(parse_python_int("-1_000", 10), Some(-1000));
        assert_eq!(parse_python_int("ff", 16), Some(255));
        assert_eq!(parse_python_int("0x1F", 16), Some(31));
        assert_eq!(parse_python_int("0o17", 0), Some(15));
        assert_eq!(parse_python_int("4.5", 10), None);
        assert_eq!(parse_python_int("abc", 10), None);
        assert_eq!(parse_python_float(" 4.5 "), Some(4.5));
        assert_eq!(parse_python_float("1e3"), Some(1000.0));
        assert_eq!(parse_python_float("x1"), None);
    }
}
