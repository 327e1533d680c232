//! Ansible's `version` test (`x is version('1.2', '>=')`, alias `version_compare`).
//!
//! The default is Python's `LooseVersion` ordering (numbers compare as numbers, letters as
//! text, `1.10 > 1.9`); `version_type='semver'` (or `strict=True` / `'strict'`) follows
//! semantic versioning, where `1.0.0-rc1 < 1.0.0`.

use minijinja::value::Kwargs;
use minijinja::{Error, ErrorKind};
use std::cmp::Ordering;

pub fn version_test(
    value: String,
    version: String,
    operator: Option<String>,
    strict: Option<bool>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    let strict = match strict {
        Some(s) => s,
        None => kwargs.get::<Option<bool>>("strict")?.unwrap_or(false),
    };
    let operator = match operator {
        Some(op) => op,
        None => kwargs
            .get::<Option<String>>("operator")?
            .unwrap_or_else(|| "eq".into()),
    };
    let version_type = kwargs.get::<Option<String>>("version_type")?;
    kwargs.assert_all_used()?;
    let semantic = match version_type.as_deref() {
        None | Some("loose") => strict,
        Some("strict" | "semver" | "semantic" | "pep440") => true,
        Some(other) => {
            return Err(invalid(format!(
                "version: unknown version_type '{other}' (use loose, strict, semver, semantic or pep440)"
            )))
        }
    };
    let ord = if semantic {
        compare_semantic(&value, &version)?
    } else {
        compare_loose(&value, &version)
    };
    Ok(match operator.as_str() {
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        other => {
            return Err(invalid(format!(
                "version: invalid operator '{other}' (use ==, !=, <, <=, >, >= or eq, ne, lt, le, gt, ge)"
            )))
        }
    })
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    // Declared first so that text sorts below numbers where Python would refuse to compare.
    Text(String),
    Num(u128),
}

fn loose_parts(v: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut chars = v.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            parts.push(Part::Num(digits.parse().unwrap_or(u128::MAX)));
        } else if c.is_alphabetic() {
            let mut text = String::new();
            while let Some(&a) = chars.peek().filter(|a| a.is_alphabetic()) {
                text.push(a);
                chars.next();
            }
            parts.push(Part::Text(text));
        } else {
            chars.next();
        }
    }
    parts
}

/// Python's LooseVersion: component lists compared lexicographically.
pub fn compare_loose(a: &str, b: &str) -> Ordering {
    loose_parts(a).cmp(&loose_parts(b))
}

/// Semantic versions: numeric core (missing parts are 0), then a pre-release sorts before the
/// release; build metadata is ignored. A leading `v` is accepted.
pub fn compare_semantic(a: &str, b: &str) -> Result<Ordering, Error> {
    let (core_a, pre_a) = split_semver(a)?;
    let (core_b, pre_b) = split_semver(b)?;
    let len = core_a.len().max(core_b.len());
    for i in 0..len {
        let (x, y) = (core_a.get(i).unwrap_or(&0), core_b.get(i).unwrap_or(&0));
        match x.cmp(y) {
            Ordering::Equal => {}
            other => return Ok(other),
        }
    }
    Ok(match (pre_a, pre_b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_loose(x, y),
    })
}

fn split_semver(v: &str) -> Result<(Vec<u128>, Option<&str>), Error> {
    let v = v.trim().trim_start_matches('v');
    let v = v.split('+').next().unwrap_or(v);
    // Pre-release after `-`, or glued on as in PEP 440 / StrictVersion (`1.0rc1`, `1.0a2`).
    let split_at = v
        .find('-')
        .or_else(|| v.find(|c: char| c.is_ascii_alphabetic()));
    let (core, pre) = match split_at {
        Some(i) => (&v[..i], Some(v[i..].trim_start_matches('-'))),
        None => (v, None),
    };
    let nums = core
        .trim_end_matches('.')
        .split('.')
        .map(|p| p.parse::<u128>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| invalid(format!("version: '{v}' is not a valid semantic version")))?;
    Ok((nums, pre))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_compares_numbers_numerically() {
        assert_eq!(compare_loose("1.10", "1.9"), Ordering::Greater);
        assert_eq!(compare_loose("2.0", "2.0"), Ordering::Equal);
        assert_eq!(compare_loose("1.2.3", "1.2"), Ordering::Greater);
        assert_eq!(compare_loose("1.0a", "1.0b"), Ordering::Less);
    }

    #[test]
    fn semantic_orders_prereleases_first() {
        assert_eq!(
            compare_semantic("1.0.0-rc1", "1.0.0").unwrap(),
            Ordering::Less
        );
        assert_eq!(compare_semantic("v1.2", "1.2.0").unwrap(), Ordering::Equal);
        assert_eq!(compare_semantic("1.0rc1", "1.0").unwrap(), Ordering::Less);
        assert_eq!(
            compare_semantic("2.0.0+build", "2.0.0").unwrap(),
            Ordering::Equal
        );
        assert!(compare_semantic("x.y", "1").is_err());
    }
}
