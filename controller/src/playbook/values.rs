//! Typed reading of keyword values, with Ansible's conversions: booleans as Ansible's
//! `boolean()` accepts them (`yes`, `"on"`, `1`...), numbers written as strings, conditions
//! and tags as a string or a list. Every failure names the keyword and what was found.

use super::error::{ErrorKind, PlaybookError};
use crate::yaml::{Node, NodeKind};

/// Whether a string holds Jinja that is rendered at run time.
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// "the string `maybe`", "a list", ... for messages.
pub fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::String(s) if s.chars().count() <= 40 => format!("the string `{s}`"),
        NodeKind::Int(i) => format!("the number {i}"),
        NodeKind::Bool(b) => format!("`{b}`"),
        NodeKind::Null => "nothing".to_string(),
        _ => node.type_name().to_string(),
    }
}

fn type_error(node: &Node, key: &str, wanted: &str) -> PlaybookError {
    PlaybookError::new(
        ErrorKind::Type,
        &node.loc,
        format!("`{key}` must be {wanted}, found {}", describe(node)),
    )
}

/// A template where play needs the value at load time.
fn template_error(node: &Node, key: &str, wanted: &str) -> PlaybookError {
    PlaybookError::new(
        ErrorKind::Unsupported,
        &node.loc,
        format!(
            "`{key}` is a template here, but play reads this keyword when loading the playbook: \
             write {wanted} literally"
        ),
    )
}

pub fn to_bool(node: &Node, key: &str) -> Result<bool, PlaybookError> {
    match &node.kind {
        NodeKind::Bool(b) => Ok(*b),
        NodeKind::Int(1) => Ok(true),
        NodeKind::Int(0) => Ok(false),
        NodeKind::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" => Ok(true),
            "n" | "no" | "off" | "0" | "false" | "f" => Ok(false),
            _ if is_template(s) => Err(template_error(node, key, "true or false")),
            _ => Err(type_error(node, key, "true or false")),
        },
        _ => Err(type_error(node, key, "true or false")),
    }
}

/// A scalar as text (`name: 42` is the name "42"). Lists and mappings are errors.
pub fn to_string(node: &Node, key: &str) -> Result<String, PlaybookError> {
    match &node.kind {
        NodeKind::String(s) => Ok(s.clone()),
        NodeKind::Int(i) => Ok(i.to_string()),
        NodeKind::Float(f) => Ok(f.to_string()),
        NodeKind::Bool(b) => Ok(if *b { "True" } else { "False" }.to_string()),
        _ => Err(type_error(node, key, "a string")),
    }
}

/// Like [`to_string`], with `key:` left empty meaning "not set".
pub fn to_opt_string(node: &Node, key: &str) -> Result<Option<String>, PlaybookError> {
    if node.is_null() {
        return Ok(None);
    }
    to_string(node, key).map(Some)
}

/// A non-negative whole number, also written as a string (`retries: "3"`).
pub fn to_uint(node: &Node, key: &str) -> Result<u64, PlaybookError> {
    match &node.kind {
        NodeKind::Int(i) if *i >= 0 => Ok(*i as u64),
        NodeKind::String(s) => match s.trim().parse::<u64>() {
            Ok(n) => Ok(n),
            Err(_) if is_template(s) => Err(template_error(node, key, "a number")),
            Err(_) => Err(type_error(node, key, "a whole number (0 or more)")),
        },
        _ => Err(type_error(node, key, "a whole number (0 or more)")),
    }
}

/// A non-negative number, whole or not (`pause: 0.5`).
pub fn to_number(node: &Node, key: &str) -> Result<f64, PlaybookError> {
    let n = match &node.kind {
        NodeKind::Int(i) => Some(*i as f64),
        NodeKind::Float(f) => Some(*f),
        NodeKind::String(s) if is_template(s) => return Err(template_error(node, key, "a number")),
        NodeKind::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= 0.0 && n.is_finite() => Ok(n),
        _ => Err(type_error(node, key, "a number (0 or more)")),
    }
}

/// One condition: a string expression, or a boolean as Jinja spells it.
fn condition(node: &Node, key: &str) -> Result<String, PlaybookError> {
    match &node.kind {
        NodeKind::String(s) if s.trim().is_empty() => Err(type_error(node, key, "an expression")),
        NodeKind::String(s) => Ok(s.clone()),
        NodeKind::Bool(true) => Ok("True".into()),
        NodeKind::Bool(false) => Ok("False".into()),
        NodeKind::Int(i) => Ok(i.to_string()),
        NodeKind::Float(f) => Ok(f.to_string()),
        _ => Err(type_error(
            node,
            key,
            "an expression, true/false, or a list of them",
        )),
    }
}

/// `when`-style conditions: a string, a boolean, or a list of those (all must hold). Returns
/// each condition with the node it came from, for locations.
pub fn to_conditions<'a>(
    node: &'a Node,
    key: &str,
) -> Result<Vec<(String, &'a Node)>, PlaybookError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => items
            .iter()
            .map(|n| condition(n, key).map(|c| (c, n)))
            .collect(),
        _ => Ok(vec![(condition(node, key)?, node)]),
    }
}

/// Tags: a list, or a string with comma-separated tags.
pub fn to_tags(node: &Node) -> Result<Vec<String>, PlaybookError> {
    let mut tags = Vec::new();
    match &node.kind {
        NodeKind::Null => {}
        NodeKind::String(s) => tags.extend(s.split(',').map(|t| t.trim().to_string())),
        NodeKind::Seq(items) => {
            for item in items {
                match &item.kind {
                    NodeKind::String(s) => tags.push(s.trim().to_string()),
                    NodeKind::Int(i) => tags.push(i.to_string()),
                    _ => return Err(type_error(item, "tags", "a list of tag names")),
                }
            }
        }
        _ => {
            return Err(type_error(
                node,
                "tags",
                "a tag name, comma-separated tag names, or a list of them",
            ))
        }
    }
    tags.retain(|t| !t.is_empty());
    Ok(tags)
}

/// A string or a list of strings (`notify`, `listen`).
pub fn to_string_list(node: &Node, key: &str) -> Result<Vec<String>, PlaybookError> {
    match &node.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => items
            .iter()
            .map(|n| match &n.kind {
                NodeKind::String(s) => Ok(s.clone()),
                _ => Err(type_error(n, key, "a list of strings")),
            })
            .collect(),
        NodeKind::String(s) => Ok(vec![s.clone()]),
        _ => Err(type_error(node, key, "a string or a list of strings")),
    }
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// A valid variable name, as Ansible checks them (a Python identifier, not a keyword).
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_alphabetic());
    first_ok && chars.all(|c| c == '_' || c.is_alphanumeric()) && !PYTHON_KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;
    use std::path::Path;

    fn node(text: &str) -> Node {
        parse_str(text, Path::new("v.yml")).unwrap()
    }

    #[test]
    fn booleans_as_ansible_accepts_them() {
        for t in ["yes", "true", "'on'", "1", "'Y'"] {
            assert!(to_bool(&node(t), "become").unwrap(), "{t}");
        }
        for t in ["no", "False", "'off'", "0", "'n'"] {
            assert!(!to_bool(&node(t), "become").unwrap(), "{t}");
        }
        let e = to_bool(&node("maybe"), "become").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Type);
        assert_eq!(
            e.to_string(),
            "v.yml:1:1: `become` must be true or false, found the string `maybe`"
        );
        let e = to_bool(&node("'{{ x }}'"), "become").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
    }

    #[test]
    fn numbers() {
        assert_eq!(to_uint(&node("3"), "retries").unwrap(), 3);
        assert_eq!(to_uint(&node("'5'"), "retries").unwrap(), 5);
        let e = to_uint(&node("lots"), "retries").unwrap_err();
        assert!(
            e.message.contains("`retries` must be a whole number"),
            "{e}"
        );
        assert!(to_uint(&node("-1"), "retries").is_err());
        assert_eq!(to_number(&node("0.5"), "pause").unwrap(), 0.5);
    }

    #[test]
    fn conditions_tags_and_lists() {
        let c: Vec<String> = to_conditions(&node("[a == 1, true]"), "when")
            .unwrap()
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        assert_eq!(c, ["a == 1", "True"]);
        assert!(to_conditions(&node("{a: 1}"), "when").is_err());
        assert_eq!(to_tags(&node("'a, b,c'")).unwrap(), ["a", "b", "c"]);
        assert_eq!(to_tags(&node("[x, 5]")).unwrap(), ["x", "5"]);
        assert!(to_tags(&node("{a: 1}")).is_err());
        assert_eq!(to_string_list(&node("h"), "notify").unwrap(), ["h"]);
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("pkg_name"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("my-var"));
        assert!(!is_identifier("class"));
        assert!(!is_identifier(""));
    }
}
