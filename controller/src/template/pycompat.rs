//! Python methods that playbooks call on strings, dicts and lists (`x.split(',')`,
//! `x.startswith('a')`, `d.items()`, `d.get('k', 0)`), which minijinja does not have.
//!
//! Installed as minijinja's unknown-method callback; semantics follow Python 3's `str`,
//! `dict` and `list`. Anything else stays an "unknown method" error.

use minijinja::value::{from_args, ValueKind};
use minijinja::{Error, ErrorKind, State, Value};

pub fn call_method(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => string_method(state, value.as_str().unwrap_or_default(), method, args),
        ValueKind::Map => map_method(value, method, args),
        ValueKind::Seq => seq_method(value, method, args),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

fn string_method(state: &mut State, s: &str, method: &str, args: &[Value]) -> Result<Value, Error> {
    let rv = match method {
        "split" => {
            let (sep, maxsplit): (Option<Value>, Option<i64>) = from_args(args)?;
            return split(s, sep, maxsplit, false);
        }
        "rsplit" => {
            let (sep, maxsplit): (Option<Value>, Option<i64>) = from_args(args)?;
            return split(s, sep, maxsplit, true);
        }
        "splitlines" => {
            let () = from_args(args)?;
            Value::from(s.lines().map(Value::from).collect::<Vec<_>>())
        }
        "startswith" | "endswith" => {
            let (affix,): (Value,) = from_args(args)?;
            let candidates: Vec<String> = match affix.kind() {
                ValueKind::String => vec![affix.to_string()],
                ValueKind::Seq => affix.try_iter()?.map(|v| v.to_string()).collect(),
                _ => {
                    return Err(invalid(format!(
                        "{method} arg must be str or a tuple of str"
                    )))
                }
            };
            let hit = candidates.iter().any(|c| {
                if method == "startswith" {
                    s.starts_with(c.as_str())
                } else {
                    s.ends_with(c.as_str())
                }
            });
            Value::from(hit)
        }
        "strip" | "lstrip" | "rstrip" => {
            let (chars,): (Option<String>,) = from_args(args)?;
            let is_strip = |c: char| match &chars {
                Some(set) => set.contains(c),
                None => c.is_whitespace(),
            };
            Value::from(match method {
                "strip" => s.trim_matches(is_strip),
                "lstrip" => s.trim_start_matches(is_strip),
                _ => s.trim_end_matches(is_strip),
            })
        }
        "lower" => Value::from(s.to_lowercase()),
        "upper" => Value::from(s.to_uppercase()),
        "title" | "capitalize" => return state.apply_filter(method, &[Value::from(s)]),
        "replace" => {
            let (old, new, count): (String, String, Option<i64>) = from_args(args)?;
            match count {
                Some(n) if n >= 0 => Value::from(s.replacen(&old, &new, n as usize)),
                _ => Value::from(s.replace(&old, &new)),
            }
        }
        "join" => {
            let (items,): (Value,) = from_args(args)?;
            let parts: Vec<String> = items.try_iter()?.map(|v| v.to_string()).collect();
            Value::from(parts.join(s))
        }
        "find" | "rfind" | "index" | "rindex" => {
            let (sub,): (String,) = from_args(args)?;
            let found = if method.starts_with('r') {
                s.rfind(&sub)
            } else {
                s.find(&sub)
            };
            match found {
                Some(byte) => Value::from(s[..byte].chars().count() as i64),
                None if method.ends_with("find") => Value::from(-1),
                None => return Err(invalid(format!("{method}: substring not found"))),
            }
        }
        "count" => {
            let (sub,): (String,) = from_args(args)?;
            Value::from(if sub.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(&sub).count()
            })
        }
        "isdigit" => Value::from(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        "isalpha" => Value::from(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "isalnum" => Value::from(!s.is_empty() && s.chars().all(char::is_alphanumeric)),
        "isspace" => Value::from(!s.is_empty() && s.chars().all(char::is_whitespace)),
        "islower" => {
            Value::from(s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase))
        }
        "isupper" => {
            Value::from(s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase))
        }
        "zfill" => {
            let (width,): (usize,) = from_args(args)?;
            let len = s.chars().count();
            if len >= width {
                Value::from(s)
            } else {
                let (sign, digits) = match s.strip_prefix(['-', '+']) {
                    Some(rest) => (&s[..1], rest),
                    None => ("", s),
                };
                Value::from(format!("{sign}{}{digits}", "0".repeat(width - len)))
            }
        }
        "format" => return Ok(Value::from(python_format(s, args)?)),
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    Ok(rv)
}

/// Python's `str.split` / `str.rsplit`: no separator splits on whitespace runs and drops
/// empty parts; an explicit separator keeps them.
fn split(
    s: &str,
    sep: Option<Value>,
    maxsplit: Option<i64>,
    from_right: bool,
) -> Result<Value, Error> {
    let sep = match sep {
        Some(v) if v.is_none() => None,
        Some(v) => Some(v.to_string()),
        None => None,
    };
    let limit = maxsplit.filter(|n| *n >= 0).map(|n| n as usize);
    let parts: Vec<String> = match (&sep, limit) {
        (Some(sep), _) if sep.is_empty() => return Err(invalid("split: empty separator".into())),
        (Some(sep), None) => s.split(sep.as_str()).map(String::from).collect(),
        (Some(sep), Some(n)) if from_right => {
            let mut v: Vec<String> = s.rsplitn(n + 1, sep.as_str()).map(String::from).collect();
            v.reverse();
            v
        }
        (Some(sep), Some(n)) => s.splitn(n + 1, sep.as_str()).map(String::from).collect(),
        (None, None) => s.split_whitespace().map(String::from).collect(),
        (None, Some(n)) => split_whitespace_limited(s, n, from_right),
    };
    Ok(Value::from(
        parts.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

fn split_whitespace_limited(s: &str, n: usize, from_right: bool) -> Vec<String> {
    if from_right {
        let reversed: String = s.chars().rev().collect();
        let mut parts = split_whitespace_limited(&reversed, n, false);
        parts.reverse();
        return parts
            .into_iter()
            .map(|p| p.chars().rev().collect())
            .collect();
    }
    let mut parts = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if parts.len() == n {
            parts.push(rest.to_string());
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        parts.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    parts
}

/// `'{} and {0} and {name}'.format(...)` without format specs.
fn python_format(template: &str, args: &[Value]) -> Result<String, Error> {
    let (positional, kwargs) = match args.last() {
        Some(last) if last.is_kwargs() => (&args[..args.len() - 1], Some(last)),
        _ => (args, None),
    };
    let mut out = String::new();
    let mut auto = 0usize;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    field.push(c);
                }
                if field.contains([':', '!']) {
                    return Err(invalid(format!(
                        "format: format specs are not supported ({{{field}}})"
                    )));
                }
                let value = if field.is_empty() {
                    auto += 1;
                    positional.get(auto - 1).cloned()
                } else if let Ok(i) = field.parse::<usize>() {
                    positional.get(i).cloned()
                } else {
                    kwargs
                        .and_then(|k| k.get_attr(&field).ok())
                        .filter(|v| !v.is_undefined())
                };
                match value {
                    Some(v) => out.push_str(&v.to_string()),
                    None => return Err(invalid(format!("format: no argument for {{{field}}}"))),
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn map_method(map: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let rv = match method {
        "keys" => {
            let () = from_args(args)?;
            Value::from(map.try_iter()?.collect::<Vec<_>>())
        }
        "values" => {
            let () = from_args(args)?;
            let mut out = Vec::new();
            for k in map.try_iter()? {
                out.push(map.get_item(&k)?);
            }
            Value::from(out)
        }
        "items" => {
            let () = from_args(args)?;
            let mut out = Vec::new();
            for k in map.try_iter()? {
                let v = map.get_item(&k)?;
                out.push(Value::from(vec![k, v]));
            }
            Value::from(out)
        }
        "get" => {
            let (key, default): (Value, Option<Value>) = from_args(args)?;
            match map.get_item(&key)? {
                v if v.is_undefined() => default.unwrap_or(Value::from(())),
                v => v,
            }
        }
        "copy" => {
            let () = from_args(args)?;
            map.clone()
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    Ok(rv)
}

fn seq_method(seq: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let (needle,): (Value,) = match method {
        "index" | "count" => from_args(args)?,
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    let mut positions = seq.try_iter()?.enumerate().filter(|(_, v)| *v == needle);
    Ok(match method {
        "index" => match positions.next() {
            Some((i, _)) => Value::from(i),
            None => return Err(invalid("index: value is not in list".to_string())),
        },
        _ => Value::from(positions.count()),
    })
}
