//! `lineinfile`: make sure one line is present (or absent) in a text file, with Ansible's
//! placement rules (regexp/search_string replace the last match, or the first with
//! `firstmatch`; otherwise insertafter/insertbefore, else the end of the file).
//!
//! Regexes are matched against each line without its newline, so `^key=.*$` means what it
//! means in Python, where `$` also matches before a trailing newline. Python-style
//! backreferences in `line` (`\1`, `\g<name>`) are translated for `backrefs`.

use super::{args, common, Context, ModuleError, ModuleOutcome};
use crate::fsutil::{self, Attrs, ModeSpec, WriteOptions};
use play_protocol::ModuleResult;
use regex::bytes::Regex;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub line: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub regexp: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub search_string: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub insertafter: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub insertbefore: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub create: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub backup: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub backrefs: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub firstmatch: Option<bool>,
    #[serde(default)]
    pub mode: Option<ModeSpec>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub validate: Option<String>,
}

/// How to find and place the line, compiled.
pub struct Edit {
    pub line: Vec<u8>,
    pub regexp: Option<Regex>,
    pub search: Option<Vec<u8>>,
    pub insertafter: Option<Anchor>,
    pub insertbefore: Option<Anchor>,
    pub backrefs: bool,
    pub firstmatch: bool,
}

pub enum Anchor {
    Bof,
    Eof,
    Re(Regex),
}

fn compile(what: &str, re: &str) -> Result<Regex, ModuleError> {
    Regex::new(re).map_err(|e| {
        ModuleError(format!(
            "lineinfile: {what} is not a valid regular expression: {e}"
        ))
    })
}

fn anchor(what: &str, v: &Option<String>) -> Result<Option<Anchor>, ModuleError> {
    Ok(match v.as_deref() {
        None => None,
        Some("BOF") => Some(Anchor::Bof),
        Some("EOF") => Some(Anchor::Eof),
        Some(re) => Some(Anchor::Re(compile(what, re)?)),
    })
}

fn body(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

fn trimmed(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let Some(rest) = l.strip_suffix(b"\n").or_else(|| l.strip_suffix(b"\r")) {
        l = rest;
    }
    l
}

/// Python's `\1` / `\g<1>` / `\g<name>` become `${1}` / `${name}`; a literal `$` is escaped.
pub fn python_template(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut n = String::new();
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        n.push(d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                Some('g') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\g");
                    }
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// Ensures the line is present; returns the message when something changed.
pub fn present(lines: &mut Vec<Vec<u8>>, e: &Edit) -> Option<&'static str> {
    let mut found: Option<usize> = None;
    let mut matched = false;
    let mut new_line = e.line.clone();
    if let Some(re) = &e.regexp {
        for (i, l) in lines.iter().enumerate() {
            if let Some(caps) = re.captures(body(l)) {
                found = Some(i);
                matched = true;
                if e.backrefs {
                    new_line.clear();
                    caps.expand(&e.line, &mut new_line);
                }
                if e.firstmatch {
                    break;
                }
            }
        }
    }
    if let Some(s) = &e.search {
        for (i, l) in lines.iter().enumerate() {
            if body(l).windows(s.len().max(1)).any(|w| w == &s[..]) {
                found = Some(i);
                matched = true;
                if e.firstmatch {
                    break;
                }
            }
        }
    }
    let mut insert_at: Option<usize> = None;
    let ins_re = match (&e.insertafter, &e.insertbefore) {
        (Some(Anchor::Re(r)), _) => Some((r, true)),
        (None, Some(Anchor::Re(r))) => Some((r, false)),
        _ => None,
    };
    if !matched {
        for (i, l) in lines.iter().enumerate() {
            if trimmed(l) == &e.line[..] {
                found = Some(i);
            } else if let Some((re, after)) = &ins_re {
                if re.is_match(body(l)) {
                    insert_at = Some(if *after { i + 1 } else { i });
                    if e.firstmatch {
                        break;
                    }
                }
            }
        }
    }
    if !new_line.ends_with(b"\n") {
        new_line.push(b'\n');
    }
    let plain = {
        let mut p = e.line.clone();
        p.push(b'\n');
        p
    };
    if let Some(i) = found {
        if lines[i] != new_line {
            lines[i] = new_line;
            return Some("line replaced");
        }
        return None;
    }
    if e.backrefs {
        // Without a match there is nothing to fill the backreferences from.
        return None;
    }
    let bof =
        matches!(e.insertbefore, Some(Anchor::Bof)) || matches!(e.insertafter, Some(Anchor::Bof));
    if bof {
        lines.insert(0, plain);
        return Some("line added");
    }
    let eof = matches!(e.insertafter, Some(Anchor::Eof));
    match insert_at {
        Some(idx) if !eof => {
            let is_after = matches!(e.insertafter, Some(Anchor::Re(_)));
            if is_after {
                if let Some(last) = lines.last_mut() {
                    if !last.ends_with(b"\n") && !last.ends_with(b"\r") {
                        last.push(b'\n');
                    }
                }
                // Don't add the line again right where it already is.
                if idx == lines.len() {
                    if trimmed(&lines[idx - 1]) == &e.line[..] {
                        return None;
                    }
                } else if trimmed(&lines[idx]) == &e.line[..] {
                    return None;
                }
            } else if idx > 0 && trimmed(&lines[idx - 1]) == &e.line[..] {
                return None;
            }
            lines.insert(idx, plain);
            Some("line added")
        }
        _ => {
            if let Some(last) = lines.last_mut() {
                if !last.ends_with(b"\n") && !last.ends_with(b"\r") {
                    last.push(b'\n');
                }
            }
            lines.push(plain);
            Some("line added")
        }
    }
}

/// Removes every matching line; returns how many.
pub fn absent(lines: &mut Vec<Vec<u8>>, e: &Edit) -> usize {
    let before = lines.len();
    lines.retain(|l| {
        let hit = if let Some(re) = &e.regexp {
            re.is_match(body(l))
        } else if let Some(s) = &e.search {
            body(l).windows(s.len().max(1)).any(|w| w == &s[..])
        } else {
            trimmed(l) == &e.line[..]
        };
        !hit
    });
    before - lines.len()
}

pub fn split_lines(data: &[u8]) -> Vec<Vec<u8>> {
    data.split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

pub fn run(args: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let path_str = args
        .path
        .clone()
        .ok_or_else(|| ModuleError("lineinfile: path is required".into()))?;
    let path = PathBuf::from(&path_str);
    let state = args.state.as_deref().unwrap_or("present");
    if !matches!(state, "present" | "absent") {
        return Err(ModuleError(format!(
            "lineinfile: state must be present or absent, not '{state}'"
        )));
    }
    if args.regexp.is_some() && args.search_string.is_some() {
        return Err(ModuleError(
            "lineinfile: regexp and search_string are mutually exclusive".into(),
        ));
    }
    if args.insertafter.is_some() && args.insertbefore.is_some() {
        return Err(ModuleError(
            "lineinfile: insertafter and insertbefore are mutually exclusive".into(),
        ));
    }
    let backrefs = args.backrefs == Some(true);
    if backrefs && args.regexp.is_none() {
        return Err(ModuleError("lineinfile: backrefs needs regexp".into()));
    }
    let line = match (&args.line, state) {
        (Some(l), _) => l.clone(),
        (None, "present") => {
            return Err(ModuleError(
                "lineinfile: line is required with state=present".into(),
            ))
        }
        (None, _) if args.regexp.is_none() && args.search_string.is_none() => {
            return Err(ModuleError(
                "lineinfile: state=absent needs one of line, regexp or search_string".into(),
            ))
        }
        (None, _) => String::new(),
    };
    let edit = Edit {
        line: if backrefs {
            python_template(&line)
        } else {
            line
        }
        .into_bytes(),
        regexp: args
            .regexp
            .as_deref()
            .map(|r| compile("regexp", r))
            .transpose()?,
        search: args.search_string.as_ref().map(|s| s.clone().into_bytes()),
        insertafter: anchor("insertafter", &args.insertafter)?,
        insertbefore: anchor("insertbefore", &args.insertbefore)?,
        backrefs,
        firstmatch: args.firstmatch == Some(true),
    };
    let attrs = Attrs {
        mode: args.mode.as_ref(),
        owner: args.owner.as_deref(),
        group: args.group.as_deref(),
    };
    let (uid, gid) = fsutil::attrs::resolve_ids(&attrs)?;

    if path.is_dir() {
        return Err(ModuleError(format!(
            "lineinfile: {path_str} is a directory, not a file"
        )));
    }
    let old = match std::fs::read(&path) {
        Ok(d) => Some(d),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(ModuleError(format!(
                "lineinfile: cannot read {path_str}: {e}"
            )))
        }
    };
    let mut result = ModuleResult::ok();
    if old.is_none() {
        if state == "absent" {
            return Ok(result.with("found", 0).with_msg("file not present"));
        }
        if args.create != Some(true) {
            return Err(ModuleError(format!(
                "Destination {path_str} does not exist ! Set create: true to create it"
            )));
        }
    }
    let mut lines = split_lines(old.as_deref().unwrap_or_default());
    let msg = if state == "present" {
        present(&mut lines, &edit).map(str::to_string)
    } else {
        let n = absent(&mut lines, &edit);
        result = result.with("found", n);
        (n > 0).then(|| format!("{n} line(s) removed"))
    };
    let new: Vec<u8> = lines.concat();
    if let Some(m) = &msg {
        result.changed = true;
        result.msg = Some(m.clone());
        if ctx.diff {
            let mut d = common::content_diff(&path, old.as_deref(), &new);
            d.before_header = Some(format!("{path_str} (content)"));
            d.after_header = Some(format!("{path_str} (content)"));
            result.diff.push(d);
        }
        if !ctx.check {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fsutil::create_dirs(&fsutil::missing_dirs(parent), &Attrs::default())?;
            }
            if old.is_some() && args.backup == Some(true) {
                result = result.with("backup", fsutil::backup(&path)?);
            }
            let check_fn = args
                .validate
                .as_deref()
                .map(|v| common::validator(v, ctx))
                .transpose()?;
            let opts = WriteOptions {
                mode: None,
                uid,
                gid,
                validate: check_fn.as_ref().map(|f| f as fsutil::Validator<'_>),
            };
            fsutil::atomic_write(&path, &new, &opts)?;
        }
    }
    if path.exists() {
        let changes = fsutil::apply_attrs(&path, &attrs, true, ctx.check)?;
        if !changes.is_empty() {
            result.changed = true;
            result.msg = Some(match result.msg.take() {
                Some(m) if !m.is_empty() => {
                    format!("{m} and ownership, perms or SE linux context changed")
                }
                _ => "ownership, perms or SE linux context changed".into(),
            });
            if ctx.diff {
                result.diff.push(common::attr_diff(&path, &changes));
            }
        }
    }
    if result.msg.is_none() {
        result.msg = Some(String::new());
    }
    Ok(result)
}

#[cfg(test)]
#[path = "lineinfile_tests.rs"]
mod tests;
