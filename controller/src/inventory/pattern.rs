//! Host patterns (`hosts:` of a play, `--limit`), evaluated as Ansible's InventoryManager does.
//!
//! A pattern is a list of parts joined by `,` (or `:` when that is unambiguous): names of
//! hosts or groups, `all`/`*`, shell globs (`web*`, `*.example.com`), `~regex`, each with an
//! optional `[i]` / `[i:j]` slice. Parts starting with `&` intersect and parts starting with
//! `!` exclude; Ansible applies plain parts first, then `&`, then `!`, whatever the written
//! order, and so does this. A glob or name matches group names (giving the group's hosts) and
//! host names. As in Ansible, hosts come part by part (`db,web` lists db's hosts first), each
//! part in inventory order, each host once; `&`/`!` parts keep the order and only filter.

use super::hostrange::parse_address;
use super::{Inventory, InventoryError};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// A selection, with the parts that matched nothing (for Ansible's warning).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    pub hosts: Vec<String>,
    /// Parts that matched no group and no host: "Could not match supplied host pattern,
    /// ignoring: PART".
    pub unmatched: Vec<String>,
}

static SUBSCRIPT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$").expect("valid regex")
});
static COLON_PARTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+").expect("valid regex"));

/// Ansible's `split_host_pattern`: `a,b[1], c[2:3] , d` -> `a`, `b[1]`, `c[2:3]`, `d`. Without
/// commas, `:` separates parts unless the whole text is one address (IPv6, `host[1:3]`).
pub fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<&str> = if pattern.contains(',') {
        pattern.split(',').collect()
    } else if parse_address(pattern, true).is_ok() {
        vec![pattern]
    } else {
        COLON_PARTS.find_iter(pattern).map(|m| m.as_str()).collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

impl Inventory {
    /// The hosts `pattern` selects, in inventory order; `NoMatch` when there are none.
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, InventoryError> {
        let selection = self.resolve(pattern)?;
        if selection.hosts.is_empty() {
            return Err(InventoryError::NoMatch {
                pattern: pattern.to_string(),
            });
        }
        Ok(selection.hosts)
    }

    /// Like [`Inventory::select`], but an empty result is not an error, and the parts that
    /// matched nothing are reported so the caller can warn about each one as Ansible does.
    pub fn resolve(&self, pattern: &str) -> Result<Selection, InventoryError> {
        self.evaluate(&split_host_pattern(pattern))
    }

    /// `--limit`: keeps the `hosts` that `limit` also selects. `@file` parts read one pattern
    /// per line from the file (as Ansible's `.retry` files list hosts).
    pub fn limit(&self, hosts: Vec<String>, limit: &str) -> Result<Vec<String>, InventoryError> {
        let mut parts = Vec::new();
        for part in split_host_pattern(limit) {
            match part.strip_prefix('@') {
                Some(path) => parts.extend(read_limit_file(path)?),
                None => parts.push(part),
            }
        }
        let allowed: HashSet<String> = self.evaluate(&parts)?.hosts.into_iter().collect();
        let kept: Vec<String> = hosts.into_iter().filter(|h| allowed.contains(h)).collect();
        if kept.is_empty() {
            return Err(InventoryError::NoMatch {
                pattern: limit.to_string(),
            });
        }
        Ok(kept)
    }

    /// Ansible's `_evaluate_patterns`.
    fn evaluate(&self, parts: &[String]) -> Result<Selection, InventoryError> {
        let mut ordered: Vec<&str> = Vec::new();
        let (mut intersect, mut exclude) = (Vec::new(), Vec::new());
        for p in parts.iter().filter(|p| !p.is_empty()) {
            match p.chars().next() {
                Some('!') => exclude.push(p.as_str()),
                Some('&') => intersect.push(p.as_str()),
                _ => ordered.push(p.as_str()),
            }
        }
        if ordered.is_empty() {
            ordered.push("all");
        }
        ordered.extend(intersect);
        ordered.extend(exclude);

        let mut selection = Selection::default();
        let mut hosts: Vec<&str> = Vec::new();
        for p in ordered {
            if let Some((name, _)) = self.hosts.get_key_value(p) {
                hosts.push(name);
                continue;
            }
            let matched = self.match_one(p, &mut selection.unmatched)?;
            if p.starts_with('!') {
                let drop: HashSet<&str> = matched.into_iter().collect();
                hosts.retain(|h| !drop.contains(h));
            } else if p.starts_with('&') {
                let keep: HashSet<&str> = matched.into_iter().collect();
                hosts.retain(|h| keep.contains(h));
            } else {
                let existing: HashSet<&str> = hosts.iter().copied().collect();
                hosts.extend(matched.into_iter().filter(|h| !existing.contains(h)));
            }
        }
        let mut seen = HashSet::new();
        selection.hosts = hosts
            .into_iter()
            .filter(|h| seen.insert(*h))
            .map(str::to_string)
            .collect();
        Ok(selection)
    }

    /// One part without its `&`/`!`, with its slice applied.
    fn match_one<'a>(
        &'a self,
        part: &str,
        unmatched: &mut Vec<String>,
    ) -> Result<Vec<&'a str>, InventoryError> {
        let part = part.strip_prefix(['&', '!']).unwrap_or(part);
        let (expr, subscript) = split_subscript(part)?;
        let hosts = self.enumerate(expr, unmatched)?;
        apply_subscript(hosts, subscript).ok_or_else(|| InventoryError::Pattern {
            pattern: part.to_string(),
            message: "no host has that index in the matched list; indexes start at 0".into(),
        })
    }

    /// Ansible's `_enumerate_matches`: hosts of matching groups, plus matching hosts when no
    /// group matched or the expression is a glob/regex.
    fn enumerate<'a>(
        &'a self,
        expr: &str,
        unmatched: &mut Vec<String>,
    ) -> Result<Vec<&'a str>, InventoryError> {
        if expr.is_empty() {
            unmatched.push(expr.to_string());
            return Ok(Vec::new());
        }
        let matcher = compile(expr)?;
        let groups: Vec<&str> = self
            .groups
            .keys()
            .map(String::as_str)
            .filter(|g| matcher.is_match(g))
            .collect();
        let mut results: Vec<&str> = groups.iter().flat_map(|g| self.group_hosts(g)).collect();
        let is_wild = expr.starts_with('~') || expr.contains(['.', '?', '*', '[']);
        if groups.is_empty() || is_wild {
            results.extend(
                self.hosts
                    .keys()
                    .map(String::as_str)
                    .filter(|h| matcher.is_match(h)),
            );
        }
        if results.is_empty() && groups.is_empty() && expr != "all" {
            unmatched.push(expr.to_string());
        }
        Ok(results)
    }
}

type Subscript = Option<(i64, Option<i64>)>;

/// `web[1]` -> (`web`, index 1); `web[0:2]` -> (`web`, 0..=2); `web[1:]` -> to the end.
fn split_subscript(part: &str) -> Result<(&str, Subscript), InventoryError> {
    if part.starts_with('~') {
        return Ok((part, None)); // brackets belong to the regex
    }
    let Some(caps) = SUBSCRIPT.captures(part) else {
        return Ok((part, None));
    };
    let bad = || InventoryError::Pattern {
        pattern: part.to_string(),
        message: "the index is too large".into(),
    };
    let expr = caps.get(1).map_or(part, |m| m.as_str());
    if let Some(idx) = caps.get(2) {
        return Ok((expr, Some((idx.as_str().parse().map_err(|_| bad())?, None))));
    }
    let start: i64 = caps[3].parse().map_err(|_| bad())?;
    let end = match &caps[5] {
        "" => -1,
        e => e.parse().map_err(|_| bad())?,
    };
    Ok((expr, Some((start, Some(end)))))
}

/// Ansible's `_apply_subscript`, quirks included (`[i:0]` means just `[i]`). None when a
/// single index is out of range.
fn apply_subscript(hosts: Vec<&str>, subscript: Subscript) -> Option<Vec<&str>> {
    let Some((start, end)) = subscript else {
        return Some(hosts);
    };
    if hosts.is_empty() {
        return Some(hosts);
    }
    let len = hosts.len() as i64;
    match end {
        Some(end) if end != 0 => {
            let end = if end == -1 { len - 1 } else { end };
            let from = start.clamp(0, len) as usize;
            let to = (end + 1).clamp(0, len) as usize;
            Some(if from < to {
                hosts[from..to].to_vec()
            } else {
                Vec::new()
            })
        }
        _ => {
            let idx = if start < 0 { len + start } else { start };
            (0..len).contains(&idx).then(|| vec![hosts[idx as usize]])
        }
    }
}

/// `~regex` (anchored at the start, like Python's `re.match`) or a shell glob (whole name).
fn compile(expr: &str) -> Result<Regex, InventoryError> {
    let source = match expr.strip_prefix('~') {
        Some(re) => format!(r"\A(?:{re})"),
        None => format!(r"\A(?s:{})\z", glob_to_regex(expr)),
    };
    Regex::new(&source).map_err(|e| InventoryError::Pattern {
        pattern: expr.to_string(),
        message: format!("not a valid regular expression: {e}"),
    })
}

/// Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`; an unclosed `[` is literal.
fn glob_to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if chars.get(j) == Some(&'!') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str(r"\[");
                } else {
                    out.push_str(&char_class(&chars[i..j]));
                    i = j + 1;
                }
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

/// A glob character set as a regex class, every member written as `\x{..}` so nothing in it
/// is special to the regex engine. Reversed ranges (`z-a`) match nothing, as in Python.
fn char_class(body: &[char]) -> String {
    let (negate, body) = match body.first() {
        Some('!') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut members = String::new();
    let mut k = 0;
    while k < body.len() {
        if k + 2 < body.len() && body[k + 1] == '-' {
            let (lo, hi) = (body[k], body[k + 2]);
            if lo <= hi {
                members.push_str(&format!(r"\x{{{:x}}}-\x{{{:x}}}", lo as u32, hi as u32));
            }
            k += 3;
        } else {
            members.push_str(&format!(r"\x{{{:x}}}", body[k] as u32));
            k += 1;
        }
    }
    match (negate, members.is_empty()) {
        (false, true) => "[^\\s\\S]".to_string(), // matches nothing
        (true, true) => "(?s:.)".to_string(),
        (true, false) => format!("[^{members}]"),
        (false, false) => format!("[{members}]"),
    }
}

fn read_limit_file(path: &str) -> Result<Vec<String>, InventoryError> {
    let err = |message: &str| InventoryError::LimitFile {
        path: path.to_string(),
        message: message.to_string(),
    };
    let p = std::path::Path::new(path);
    if !p.exists() {
        return Err(err(
            "no such file; give the path of a file that lists one host or pattern per line",
        ));
    }
    if !p.is_file() {
        return Err(err(
            "this is a folder; --limit @ takes a file that lists one host per line",
        ));
    }
    let text = std::fs::read_to_string(p).map_err(|e| err(&format!("cannot read it: {e}")))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_follows_ansible() {
        assert_eq!(
            split_host_pattern("a,b[1], c[2:3] , d"),
            ["a", "b[1]", "c[2:3]", "d"]
        );
        assert_eq!(
            split_host_pattern("web:&prod:!web02"),
            ["web", "&prod", "!web02"]
        );
        assert_eq!(split_host_pattern("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split_host_pattern("fe80::1"), ["fe80::1"]);
        assert_eq!(split_host_pattern("  "), Vec::<String>::new());
    }

    #[test]
    fn globs_translate_like_fnmatch() {
        let m = |glob: &str, name: &str| compile(glob).unwrap().is_match(name);
        assert!(m("web*", "web01"));
        assert!(!m("web*", "aweb01"));
        assert!(m("*.example.com", "db1.example.com"));
        assert!(!m("*.example.com", "db1xexample.com"));
        assert!(m("web0?", "web01"));
        assert!(m("web[12]", "web1"));
        assert!(!m("web[!12]", "web1"));
        assert!(m("web[0-3]x", "web2x"));
        assert!(m("web[", "web["));
        assert!(m("a[]]b", "a]b"));
        assert!(!m("x[z-a]", "xb"));
        assert!(m("x[!z-a]", "xb"));
    }

    #[test]
    fn subscripts_parse_and_apply() {
        assert_eq!(split_subscript("web[0]").unwrap(), ("web", Some((0, None))));
        assert_eq!(
            split_subscript("web[-1]").unwrap(),
            ("web", Some((-1, None)))
        );
        assert_eq!(
            split_subscript("web[1:]").unwrap(),
            ("web", Some((1, Some(-1))))
        );
        assert_eq!(split_subscript("~web[0]").unwrap(), ("~web[0]", None));
        let hosts = vec!["a", "b", "c"];
        assert_eq!(
            apply_subscript(hosts.clone(), Some((0, Some(1)))),
            Some(vec!["a", "b"])
        );
        assert_eq!(
            apply_subscript(hosts.clone(), Some((-1, None))),
            Some(vec!["c"])
        );
        assert_eq!(
            apply_subscript(hosts.clone(), Some((1, Some(-1)))),
            Some(vec!["b", "c"])
        );
        assert_eq!(
            apply_subscript(hosts.clone(), Some((2, Some(0)))),
            Some(vec!["c"])
        );
        assert_eq!(
            apply_subscript(hosts.clone(), Some((5, Some(9)))),
            Some(vec![])
        );
        assert_eq!(apply_subscript(hosts, Some((3, None))), None);
    }
}
