//! `-e` values: `k=v k2="v 2"`, inline YAML/JSON, or `@file`.

use crate::playbook::model::Vars;
use crate::yaml;
use std::path::Path;

/// Parses every `-e` argument in order; later ones win.
pub fn parse_extra_vars(args: &[String]) -> Result<Vars, String> {
    let mut vars = Vars::new();
    for arg in args {
        let parsed = parse_one(arg)?;
        for (k, v) in parsed {
            vars.insert(k, v);
        }
    }
    Ok(vars)
}

fn parse_one(arg: &str) -> Result<Vars, String> {
    let trimmed = arg.trim();
    if let Some(file) = trimmed.strip_prefix('@') {
        let node = yaml::parse_file(Path::new(file)).map_err(|e| format!("-e @{file}: {e}"))?;
        return to_vars(node.to_value(), &format!("-e @{file}"));
    }
    if trimmed.starts_with('{') || trimmed.starts_with("---") {
        let node =
            yaml::parse_str(trimmed, Path::new("<extra vars>")).map_err(|e| format!("-e: {e}"))?;
        return to_vars(node.to_value(), "-e");
    }
    parse_kv(trimmed)
}

fn to_vars(value: serde_json::Value, origin: &str) -> Result<Vars, String> {
    match value {
        serde_json::Value::Object(map) => Ok(map.into_iter().collect()),
        serde_json::Value::Null => Ok(Vars::new()),
        other => Err(format!(
            "{origin}: extra vars must be a mapping, got {other}"
        )),
    }
}

/// `k=v` pairs separated by spaces, values optionally quoted. Values stay strings, as in
/// Ansible's key=value form.
pub fn parse_kv(text: &str) -> Result<Vars, String> {
    let mut vars = Vars::new();
    for token in split_shell_words(text)? {
        let Some((k, v)) = token.split_once('=') else {
            return Err(format!(
                "-e '{text}': '{token}' is not key=value; use k=v, JSON/YAML ({{\"k\": \"v\"}}) or @file.yml"
            ));
        };
        if k.is_empty() {
            return Err(format!("-e '{text}': empty variable name before '='"));
        }
        vars.insert(k.to_string(), serde_json::Value::String(v.to_string()));
    }
    Ok(vars)
}

/// Splits on unquoted whitespace; quotes group and are removed.
pub fn split_shell_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(format!("unterminated quote in '{text}'"));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kv_json_and_yaml_forms() {
        let v = parse_extra_vars(&[
            "image_tag=v1.4.2 name='a b'".into(),
            "{\"n\": 3, \"list\": [1]}".into(),
        ])
        .unwrap();
        assert_eq!(v["image_tag"], json!("v1.4.2"));
        assert_eq!(v["name"], json!("a b"));
        assert_eq!(v["n"], json!(3));
        assert_eq!(v["list"], json!([1]));
    }

    #[test]
    fn later_wins_and_errors_are_clear() {
        let v = parse_extra_vars(&["a=1".into(), "a=2".into()]).unwrap();
        assert_eq!(v["a"], json!("2"));
        let err = parse_extra_vars(&["novalue".into()]).unwrap_err();
        assert!(err.contains("not key=value"), "{err}");
        assert!(parse_extra_vars(&["a='x".into()])
            .unwrap_err()
            .contains("unterminated"));
    }
}
