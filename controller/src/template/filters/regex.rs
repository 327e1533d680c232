//! Python-`re`-style regex filters (`regex_replace`, `regex_search`, `regex_findall`,
//! `regex_escape`) and the regex compiler the `match`/`search`/`regex` tests share.
//!
//! Patterns go to Rust's `regex` crate, whose syntax matches Python's for what playbooks use
//! (`(?P<name>)` groups, classes, anchors); look-around and backreferences are not supported
//! and say so. Replacement strings use Python's `\1` / `\g<name>` and are translated.

use super::{defined, invalid};
use minijinja::value::{Kwargs, Rest};
use minijinja::{Error, Value};
use regex::{Captures, Regex, RegexBuilder};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RegexOptions {
    pub ignorecase: bool,
    pub multiline: bool,
}

impl RegexOptions {
    pub fn from_kwargs(kwargs: &Kwargs) -> Result<Self, Error> {
        Ok(RegexOptions {
            ignorecase: kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false),
            multiline: kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false),
        })
    }
}

/// Compiles (and caches: loops apply the same pattern to every item) a Python-style pattern.
pub fn compile(pattern: &str, opts: RegexOptions, filter: &str) -> Result<Regex, Error> {
    static CACHE: OnceLock<Mutex<HashMap<(String, RegexOptions), Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (pattern.to_string(), opts);
    if let Some(re) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(re);
    }
    // Python's end-of-string `\Z` is Rust's `\z`.
    let translated = pattern.replace("\\Z", "\\z");
    let re = RegexBuilder::new(&translated)
        .case_insensitive(opts.ignorecase)
        .multi_line(opts.multiline)
        .build()
        .map_err(|e| {
            let hint = if pattern.contains("(?=")
                || pattern.contains("(?!")
                || pattern.contains("(?<") && !pattern.contains("(?P<")
            {
                " (look-around is not supported)"
            } else {
                ""
            };
            invalid(format!(
                "{filter}: invalid regular expression {pattern:?}{hint}: {e}"
            ))
        })?;
    if let Ok(mut c) = cache.lock() {
        if c.len() > 512 {
            c.clear();
        }
        c.insert(key, re.clone());
    }
    Ok(re)
}

/// `regex_replace(pattern='', replacement='', ignorecase=False, multiline=False, count=0)`.
pub fn regex_replace(
    v: &Value,
    pattern: Option<String>,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let value = defined(v)?.to_string();
    let opts = RegexOptions::from_kwargs(&kwargs)?;
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    let re = compile(pattern.as_deref().unwrap_or(""), opts, "regex_replace")?;
    let replacement = replacement.unwrap_or_default();
    let parts = parse_replacement(&replacement)?;
    let expand = |caps: &Captures| -> String {
        let mut out = String::new();
        for part in &parts {
            match part {
                ReplPart::Text(t) => out.push_str(t),
                ReplPart::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
                ReplPart::Named(n) => out.push_str(caps.name(n).map_or("", |m| m.as_str())),
            }
        }
        out
    };
    Ok(re.replacen(&value, count, expand).into_owned())
}

enum ReplPart {
    Text(String),
    Group(usize),
    Named(String),
}

/// Python `re.sub` replacement syntax: `\1`, `\g<1>`, `\g<name>`, `\n`, `\\`.
fn parse_replacement(repl: &str) -> Result<Vec<ReplPart>, Error> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some(d) if d.is_ascii_digit() => {
                let mut num = d.to_string();
                if let Some(&e) = chars.peek().filter(|e| e.is_ascii_digit()) {
                    num.push(e);
                    chars.next();
                }
                parts.push(ReplPart::Text(std::mem::take(&mut text)));
                parts.push(ReplPart::Group(num.parse().unwrap_or(0)));
            }
            Some('g') if chars.peek() == Some(&'<') => {
                chars.next();
                let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                parts.push(ReplPart::Text(std::mem::take(&mut text)));
                parts.push(match name.parse::<usize>() {
                    Ok(n) => ReplPart::Group(n),
                    Err(_) => ReplPart::Named(name),
                });
            }
            Some('n') => text.push('\n'),
            Some('t') => text.push('\t'),
            Some('r') => text.push('\r'),
            Some('\\') => text.push('\\'),
            Some(other) => {
                text.push('\\');
                text.push(other);
            }
            None => {
                return Err(invalid(
                    "regex_replace: replacement ends with a lone backslash".into(),
                ))
            }
        }
    }
    parts.push(ReplPart::Text(text));
    Ok(parts)
}

/// `regex_search(pattern, '\\1', '\\g<name>', ignorecase=, multiline=)`: the match (or the
/// listed groups, as a list), or None when nothing matches.
pub fn regex_search(
    v: &Value,
    pattern: String,
    groups: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let value = defined(v)?.to_string();
    let opts = RegexOptions::from_kwargs(&kwargs)?;
    kwargs.assert_all_used()?;
    let re = compile(&pattern, opts, "regex_search")?;
    let Some(caps) = re.captures(&value) else {
        return Ok(Value::from(()));
    };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map_or("", |m| m.as_str())));
    }
    let mut out = Vec::new();
    for g in groups.iter() {
        let m = if let Some(name) = g.strip_prefix("\\g<").and_then(|r| r.strip_suffix('>')) {
            match name.parse::<usize>() {
                Ok(n) => caps.get(n),
                Err(_) => caps.name(name),
            }
        } else if let Some(n) = g.strip_prefix('\\').and_then(|n| n.parse::<usize>().ok()) {
            caps.get(n)
        } else {
            return Err(invalid(format!(
                "regex_search: unknown group argument {g:?} (use '\\\\1' or '\\\\g<name>')"
            )));
        };
        out.push(m.map_or(Value::from(()), |m| Value::from(m.as_str())));
    }
    Ok(Value::from(out))
}

/// Python's `re.findall`: whole matches without groups, the group with one, tuples with more.
pub fn regex_findall(v: &Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let value = defined(v)?.to_string();
    let opts = RegexOptions::from_kwargs(&kwargs)?;
    kwargs.assert_all_used()?;
    let re = compile(&pattern, opts, "regex_findall")?;
    let groups = re.captures_len() - 1;
    let text = |m: Option<regex::Match>| Value::from(m.map_or("", |m| m.as_str()));
    Ok(Value::from(
        re.captures_iter(&value)
            .map(|caps| match groups {
                0 => text(caps.get(0)),
                1 => text(caps.get(1)),
                n => Value::from((1..=n).map(|i| text(caps.get(i))).collect::<Vec<_>>()),
            })
            .collect::<Vec<_>>(),
    ))
}

pub fn regex_escape(v: &Value) -> Result<String, Error> {
    Ok(regex::escape(&defined(v)?.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_replacement_syntax() {
        let re = compile(r"(?P<k>\w+)=(\d+)", RegexOptions::default(), "t").unwrap();
        let parts = parse_replacement(r"\2:\g<k>:\g<1>\\$").unwrap();
        let caps = re.captures("a=1").unwrap();
        let mut out = String::new();
        for p in &parts {
            match p {
                ReplPart::Text(t) => out.push_str(t),
                ReplPart::Group(g) => out.push_str(caps.get(*g).unwrap().as_str()),
                ReplPart::Named(n) => out.push_str(caps.name(n).unwrap().as_str()),
            }
        }
        assert_eq!(out, r"1:a:a\$");
    }

    #[test]
    fn bad_pattern_names_the_filter() {
        let err = compile("(?=x)", RegexOptions::default(), "regex_search").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("regex_search") && text.contains("look-around"),
            "{text}"
        );
    }
}
