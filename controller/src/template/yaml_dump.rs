//! YAML output for `to_yaml` / `to_nice_yaml`, laid out the way PyYAML's `yaml.dump` lays it
//! out (which is what Ansible users see and sometimes diff against): keys sorted, sequences
//! inside mappings not indented, `-   key: value` with a 4-space indent, leaf collections in
//! flow style for `to_yaml` (`default_flow_style=None`), `...` after a bare top-level scalar.
//!
//! Not reproduced: PyYAML's folding of lines longer than 80 columns and its choice of
//! single-quoted multi-line scalars (we use double quotes with `\n`); both read back the same.

use serde_json::Value as Json;

pub struct YamlStyle {
    /// Spaces per nesting level (PyYAML's `indent`).
    pub indent: usize,
    /// `default_flow_style=None`: collections holding only scalars are written inline.
    pub flow_leaves: bool,
    pub sort_keys: bool,
}

pub fn dump(value: &Json, style: &YamlStyle) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        style,
    };
    e.node(value, None, false);
    let root_plain_scalar = !value.is_array() && !value.is_object() && scalar_text(value, false).1;
    e.out.push('\n');
    if root_plain_scalar {
        e.out.push_str("...\n");
    }
    e.out
}

struct Emitter<'a> {
    out: String,
    column: usize,
    /// The last thing written was whitespace (or nothing on this line).
    whitespace: bool,
    /// Only indentation and `-` indicators are on this line so far.
    indention: bool,
    style: &'a YamlStyle,
}

impl Emitter<'_> {
    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.out.push('\n');
            self.column = 0;
            self.whitespace = true;
            self.indention = true;
        }
        if self.column < indent {
            self.out.push_str(&" ".repeat(indent - self.column));
            self.column = indent;
            self.whitespace = true;
        }
    }

    /// Writes text that is not indentation; a separating space first unless one is there.
    fn write_token(&mut self, text: &str) {
        if !self.whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push_str(text);
        self.column += text.chars().count();
        self.whitespace = false;
        self.indention = false;
    }

    fn is_flow(&self, v: &Json) -> bool {
        match v {
            Json::Array(items) => {
                items.is_empty()
                    || (self.style.flow_leaves && items.iter().all(|i| !is_collection(i)))
            }
            Json::Object(map) => {
                map.is_empty()
                    || (self.style.flow_leaves && map.values().all(|i| !is_collection(i)))
            }
            _ => false,
        }
    }

    /// `parent_indent` is None at the root; `in_mapping` marks a mapping's value, whose
    /// block sequence PyYAML does not indent.
    fn node(&mut self, v: &Json, parent_indent: Option<usize>, in_mapping: bool) {
        if !is_collection(v) {
            let (text, _) = scalar_text(v, false);
            self.write_token(&text);
            return;
        }
        if self.is_flow(v) {
            let text = self.flow_text(v);
            self.write_token(&text);
            return;
        }
        match v {
            Json::Array(items) => {
                let indent = match parent_indent {
                    None => 0,
                    Some(p) if in_mapping => p,
                    Some(p) => p + self.style.indent,
                };
                for item in items {
                    self.write_indent(indent);
                    // The `-` indicator keeps the line "indentation only".
                    if !self.whitespace {
                        self.out.push(' ');
                        self.column += 1;
                    }
                    self.out.push('-');
                    self.column += 1;
                    self.whitespace = false;
                    self.node(item, Some(indent), false);
                }
            }
            Json::Object(map) => {
                let indent = parent_indent.map_or(0, |p| p + self.style.indent);
                for (key, value) in self.entries(map) {
                    self.write_indent(indent);
                    let (key_text, _) = scalar_text(&Json::String(key.clone()), false);
                    self.write_token(&key_text);
                    self.out.push(':');
                    self.column += 1;
                    self.node(value, Some(indent), true);
                }
            }
            _ => unreachable!("scalars are handled above"),
        }
    }

    fn entries<'m>(&self, map: &'m serde_json::Map<String, Json>) -> Vec<(&'m String, &'m Json)> {
        let mut entries: Vec<_> = map.iter().collect();
        if self.style.sort_keys {
            entries.sort_by(|a, b| a.0.cmp(b.0));
        }
        entries
    }

    fn flow_text(&self, v: &Json) -> String {
        match v {
            Json::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| self.flow_text(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Json::Object(map) => format!(
                "{{{}}}",
                self.entries(map)
                    .into_iter()
                    .map(|(k, v)| format!(
                        "{}: {}",
                        scalar_text(&Json::String(k.clone()), true).0,
                        self.flow_text(v)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            scalar => scalar_text(scalar, true).0,
        }
    }
}

fn is_collection(v: &Json) -> bool {
    v.is_array() || v.is_object()
}

/// A scalar's text and whether it is plain (unquoted).
fn scalar_text(v: &Json, in_flow: bool) -> (String, bool) {
    match v {
        Json::Null => ("null".into(), true),
        Json::Bool(b) => (b.to_string(), true),
        Json::Number(n) => match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => (float_text(f), true),
            _ => (n.to_string(), true),
        },
        Json::String(s) => string_text(s, in_flow),
        _ => (String::new(), false),
    }
}

/// PyYAML's float representation: always a dot or an exponent.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { ".inf" } else { "-.inf" }.into()
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        let text = f.to_string();
        if text.contains(['.', 'e', 'E']) {
            text
        } else {
            format!("{text}.0")
        }
    }
}

fn string_text(s: &str, in_flow: bool) -> (String, bool) {
    if needs_double_quotes(s) {
        (double_quoted(s), false)
    } else if needs_quotes(s, in_flow) {
        (format!("'{}'", s.replace('\'', "''")), false)
    } else {
        (s.to_string(), true)
    }
}

fn needs_double_quotes(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}')
}

/// Whether a plain scalar would be misread (as another type, or as YAML syntax).
fn needs_quotes(s: &str, in_flow: bool) -> bool {
    if s.is_empty() || s != s.trim() {
        return true;
    }
    if resolves_to_non_string(s) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x`, `?x` and `:x` are plain in PyYAML only when followed by a non-space; keep
        // it simple and safe: quote `- `, `? `, `: ` and the bare indicators.
        let second = s.chars().nth(1);
        let plain_ok = matches!(first, '-' | '?' | ':')
            && second.is_some_and(|c| c != ' ')
            && !s.starts_with("---");
        if !plain_ok {
            return true;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    in_flow && s.contains([',', '[', ']', '{', '}'])
}

/// YAML 1.1 implicit types as PyYAML resolves them: null, booleans (not `y`/`n`, which
/// PyYAML and the project's reader leave as strings), ints, floats, merge.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
        "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "<<", "=", ".inf",
        ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let body = s.strip_prefix(['-', '+']).unwrap_or(s).replace('_', "");
    if body.is_empty() {
        return false;
    }
    let is_digits = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    if is_digits(&body, 10)
        || body.strip_prefix("0x").is_some_and(|t| is_digits(t, 16))
        || body.strip_prefix("0b").is_some_and(|t| is_digits(t, 2))
        || body.strip_prefix("0o").is_some_and(|t| is_digits(t, 8))
    {
        return true;
    }
    // Sexagesimal (`1:30`) and floats (`1.5`, `1e3`, `.5`).
    if body.contains(':') && body.split(':').all(|p| is_digits(p, 10)) {
        return true;
    }
    body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && body.parse::<f64>().is_ok()
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}') => {
                let code = c as u32;
                if code <= 0xff {
                    out.push_str(&format!("\\x{code:02X}"));
                } else {
                    out.push_str(&format!("\\u{code:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nice(v: &Json) -> String {
        dump(
            v,
            &YamlStyle {
                indent: 4,
                flow_leaves: false,
                sort_keys: true,
            },
        )
    }
    fn plain(v: &Json) -> String {
        dump(
            v,
            &YamlStyle {
                indent: 2,
                flow_leaves: true,
                sort_keys: true,
            },
        )
    }

    #[test]
    fn nice_yaml_matches_pyyaml_layout() {
        let v = json!({"b": [{"x": 1, "y": "two"}, "plain"], "a": {"n": null, "t": true}});
        assert_eq!(
            nice(&v),
            "a:\n    n: null\n    t: true\nb:\n-   x: 1\n    y: two\n- plain\n"
        );
        assert_eq!(nice(&json!([[1, 2], []])), "-   - 1\n    - 2\n- []\n");
    }

    #[test]
    fn plain_yaml_uses_flow_for_leaf_collections() {
        assert_eq!(plain(&json!({"a": [1, 2], "b": "x"})), "a: [1, 2]\nb: x\n");
        assert_eq!(plain(&json!({"a": 1})), "{a: 1}\n");
        assert_eq!(plain(&json!([{"k": [1]}])), "- k: [1]\n");
        assert_eq!(plain(&json!("abc")), "abc\n...\n");
        assert_eq!(plain(&json!(null)), "null\n...\n");
    }

    #[test]
    fn quotes_strings_that_would_change_meaning() {
        for s in [
            "", "yes", "No", "123", "1.5", "0x1F", "1:30", "- a", "a: b", "x #c", " lead", "*ref",
            "null", "~",
        ] {
            assert!(!scalar_text(&json!(s), false).1, "{s:?} must be quoted");
        }
        for s in ["hello", "a-b", "path/to/x", "v1.2.3", "-x", "1.2.3"] {
            assert!(scalar_text(&json!(s), false).1, "{s:?} can be plain");
        }
        assert_eq!(scalar_text(&json!("it's"), false).0, "it's");
        assert_eq!(scalar_text(&json!("'q"), false).0, "'''q'");
        assert_eq!(scalar_text(&json!("a\nb"), false).0, "\"a\\nb\"");
        assert_eq!(scalar_text(&json!("a,b"), true).0, "'a,b'");
        assert_eq!(scalar_text(&json!(2.0), false).0, "2.0");
    }
}
