//! Naming the undefined variable behind an error, and telling apart the one kind of undefined
//! access Ansible tolerates.
//!
//! minijinja (in debug mode) describes the expression that produced an undefined value as
//! "`result.foo` is undefined"; we turn that into Ansible's wording. Errors raised without that
//! description (e.g. by a filter) fall back to checking which variables the template references
//! are missing from the vars.
//!
//! Ansible's undefined is strict except that attribute access on it is chainable
//! (`a.b.c | default(1)` and `a.b is defined` work when `a` is missing). minijinja has no such
//! mode, so [`is_chained_access`] recognises that one failure; the templar then evaluates once
//! more in an environment with chainable undefined (see `mod.rs`). That environment is lenient
//! about truth and iteration too, so its result is only trusted if an undefined value actually
//! reached `default`, `is defined` and the like ([`register_chain_consumers`]); otherwise
//! (`{% if missing.attr %}`) the strict error stands.

use minijinja::value::{Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};
use std::cell::Cell;
use std::collections::HashSet;

thread_local! {
    /// Undefined values handed to `default`/`defined`/... during the current chained pass.
    /// Rendering is synchronous, so a thread-local counter is exact.
    static CONSUMED: Cell<usize> = const { Cell::new(0) };
}

fn consume(v: &Value) {
    if v.is_undefined() {
        CONSUMED.with(|c| c.set(c.get() + 1));
    }
}

/// Runs a chained-pass evaluation and tells whether an undefined value reached a consumer.
pub fn with_consumption<T>(f: impl FnOnce() -> T) -> (T, bool) {
    CONSUMED.with(|c| c.set(0));
    let result = f();
    (result, CONSUMED.with(|c| c.get()) > 0)
}

/// Replaces the filters and tests that accept undefined values with counting wrappers (only
/// in the chained environment).
pub fn register_chain_consumers(env: &mut Environment<'static>) {
    let default = |state: &State, value: &Value, args: Rest<Value>| -> Result<Value, Error> {
        consume(value);
        minijinja::filters::default(state, value, args)
    };
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_test("defined", |v: &Value| {
        consume(v);
        !v.is_undefined()
    });
    env.add_test("undefined", |v: &Value| {
        consume(v);
        v.is_undefined()
    });
    env.add_test("none", |v: &Value| {
        consume(v);
        v.is_none()
    });
}

/// The expression minijinja named as undefined, from a detail like "`x.y` is undefined".
pub fn undefined_name(err: &minijinja::Error) -> Option<String> {
    let detail = err.detail()?;
    let end = detail.find("` is undefined")?;
    let start = detail[..end].rfind('`')? + 1;
    Some(detail[start..end].to_string())
}

/// Whether the error is attribute/item access on an undefined value (`a.b` with `a` undefined),
/// as opposed to printing, testing the truth of or iterating an undefined value.
pub fn is_chained_access(err: &minijinja::Error, source: &str) -> bool {
    if err.kind() != ErrorKind::UndefinedError {
        return false;
    }
    let (Some(name), Some(range)) = (undefined_name(err), err.range()) else {
        return false;
    };
    let Some(text) = source.get(range).map(str::trim) else {
        return false;
    };
    if text == name {
        return false;
    }
    // The reported span covers the failing access (`a.b`, or just `.x.y` for deeper chains);
    // without its last accessor it must be the undefined expression itself.
    match split_last_accessor(text) {
        Some((parent, _)) if !parent.is_empty() => {
            let parent = normalize_subscripts(parent);
            parent == name
                || (name.ends_with(&parent) && (parent.starts_with('.') || parent.starts_with('[')))
        }
        _ => false,
    }
}

/// Writes subscripts the way minijinja describes them: literal keys and indexes stay
/// (`d['x']`, `l[5]`), computed ones become `[...]` (`d[name]` -> `d[...]`).
pub fn normalize_subscripts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            out.push_str(&rest[open..]);
            return out;
        };
        let inner = rest[open + 1..close].trim();
        let literal = inner.parse::<i64>().is_ok()
            || (inner.len() >= 2
                && ((inner.starts_with('\'') && inner.ends_with('\''))
                    || (inner.starts_with('"') && inner.ends_with('"'))));
        if literal {
            out.push_str(&rest[open..=close]);
        } else {
            out.push_str("[...]");
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The undefined expression as the user wrote it: minijinja's description, or, when that
/// hides a computed subscript (`d[...]`), the matching source text (`d[name]`).
pub fn display_name(err: &minijinja::Error, source: &str) -> Option<String> {
    let name = undefined_name(err)?;
    if !name.contains("[...]") {
        return Some(name);
    }
    let text = err.range().and_then(|r| source.get(r)).map(str::trim);
    match text {
        Some(text) if normalize_subscripts(text) == name => Some(text.to_string()),
        _ => Some(name),
    }
}

/// Splits `a.b[0].c` into (`a.b[0]`, `.c`) at the last top-level `.` or `[`.
pub fn split_last_accessor(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut last = None;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' => {
                if depth == 0 {
                    last = Some(i);
                }
                depth += 1;
            }
            ']' | ')' => depth = depth.saturating_sub(1),
            '(' => depth += 1,
            '.' if depth == 0 => last = Some(i),
            _ => {}
        }
    }
    last.map(|i| text.split_at(i))
}

/// Ansible's explanation for a missing attribute or item, e.g.
/// `'dict object' has no attribute 'foo'`, found by evaluating the parent expression.
pub fn explain_missing(name: &str, env: &Environment<'static>, ctx: &Value) -> Option<String> {
    let (parent, accessor) = split_last_accessor(name)?;
    if parent.is_empty() {
        return None;
    }
    if accessor == "[...]" {
        return None;
    }
    let key = match accessor.strip_prefix('.') {
        Some(attr) => attr.to_string(),
        None => {
            let inner = accessor
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim();
            let quoted = inner.len() >= 2
                && ((inner.starts_with('\'') && inner.ends_with('\''))
                    || (inner.starts_with('"') && inner.ends_with('"')));
            if quoted || inner.parse::<i64>().is_ok() {
                inner.trim_matches(|c| c == '\'' || c == '"').to_string()
            } else {
                // A computed subscript: name the key it computed to.
                let key = env.compile_expression(inner).ok()?.eval(ctx.clone()).ok()?;
                key.as_str().map_or_else(|| key.to_string(), str::to_string)
            }
        }
    };
    let parent_value = env
        .compile_expression(parent)
        .ok()?
        .eval(ctx.clone())
        .ok()?;
    Some(match parent_value.kind() {
        ValueKind::Map => format!("'dict object' has no attribute '{key}'"),
        ValueKind::Seq => format!("list object has no element {key}"),
        ValueKind::String => format!("'str object' has no attribute '{key}'"),
        ValueKind::None => format!("'None' has no attribute '{key}'"),
        ValueKind::Undefined => return None,
        kind => format!("'{kind}' has no attribute '{key}'"),
    })
}

/// The first referenced variable path (from `undeclared_variables(true)`, e.g. `a.b.c`) that
/// the context cannot resolve, named down to the missing segment (`a.b`).
pub fn find_missing(
    referenced: HashSet<String>,
    ctx: &Value,
    env: &Environment<'static>,
) -> Option<String> {
    let globals: HashSet<&str> = env.globals().map(|(name, _)| name).collect();
    let mut names: Vec<String> = referenced.into_iter().collect();
    names.sort();
    for name in names {
        let mut segments = name.split('.');
        let first = segments.next()?;
        if globals.contains(first) {
            continue;
        }
        let mut current = match ctx.get_attr(first) {
            Ok(v) if !v.is_undefined() => v,
            _ => return Some(first.to_string()),
        };
        let mut path = first.to_string();
        for segment in segments {
            if current.kind() != ValueKind::Map {
                break;
            }
            path.push('.');
            path.push_str(segment);
            match current.get_attr(segment) {
                Ok(v) if !v.is_undefined() => current = v,
                _ => return Some(path),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_last_accessor() {
        assert_eq!(split_last_accessor("a.b.c"), Some(("a.b", ".c")));
        assert_eq!(split_last_accessor("a['x.y']"), Some(("a", "['x.y']")));
        assert_eq!(split_last_accessor("a[0].b"), Some(("a[0]", ".b")));
        assert_eq!(split_last_accessor("f(a.b)"), None);
        assert_eq!(split_last_accessor("plain"), None);
    }

    #[test]
    fn names_undefined_from_minijinja_detail() {
        let err = minijinja::Error::new(ErrorKind::UndefinedError, "`result.foo` is undefined");
        assert_eq!(undefined_name(&err).as_deref(), Some("result.foo"));
        let err = minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "tried to use + operator (`x` is undefined)",
        );
        assert_eq!(undefined_name(&err).as_deref(), Some("x"));
    }

    #[test]
    fn normalizes_computed_subscripts() {
        assert_eq!(normalize_subscripts("d[name].x"), "d[...].x");
        assert_eq!(normalize_subscripts("d['k'][0][i + 1]"), "d['k'][0][...]");
        assert_eq!(normalize_subscripts("plain.path"), "plain.path");
    }
}
