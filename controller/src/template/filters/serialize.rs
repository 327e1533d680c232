//! `to_json` / `to_nice_json` (Python `json.dumps` layout: `", "` and `": "` separators,
//! non-ASCII escaped unless `ensure_ascii=False`, `to_nice_json` sorted with indent 4),
//! `to_yaml` / `to_nice_yaml` (PyYAML layout, see `yaml_dump.rs`) and `from_json` /
//! `from_yaml` / `from_yaml_all` (YAML through the project's YAML 1.1 reader).

use super::super::native;
use super::super::yaml_dump::{dump, YamlStyle};
use super::{defined, invalid, json_of};
use minijinja::value::Kwargs;
use minijinja::{Error, Value};
use serde_json::ser::Formatter;
use serde_json::Value as Json;
use std::io;
use std::path::Path;

pub fn to_json(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?;
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(false);
    let ensure_ascii = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    python_json(&json_of(v)?, indent, sort_keys, ensure_ascii)
}

pub fn to_nice_json(v: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let indent = match indent {
        Some(i) => i,
        None => kwargs.get::<Option<usize>>("indent")?.unwrap_or(4),
    };
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    let ensure_ascii = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    python_json(&json_of(v)?, Some(indent), sort_keys, ensure_ascii)
}

pub fn python_json(
    v: &Json,
    indent: Option<usize>,
    sort_keys: bool,
    ensure_ascii: bool,
) -> Result<String, Error> {
    let sorted;
    let v = if sort_keys {
        sorted = sort_json(v);
        &sorted
    } else {
        v
    };
    let mut out = Vec::new();
    let formatter = PyFormatter {
        indent: indent.map(|n| " ".repeat(n)),
        level: 0,
        has_value: false,
        ensure_ascii,
    };
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(v, &mut ser).map_err(|e| invalid(format!("to_json: {e}")))?;
    String::from_utf8(out).map_err(|e| invalid(format!("to_json: {e}")))
}

fn sort_json(v: &Json) -> Json {
    match v {
        Json::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_json(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(sort_json).collect()),
        other => other.clone(),
    }
}

/// serde_json output laid out as Python's `json.dumps`.
struct PyFormatter {
    indent: Option<String>,
    level: usize,
    has_value: bool,
    ensure_ascii: bool,
}

impl PyFormatter {
    fn newline<W: ?Sized + io::Write>(&self, w: &mut W) -> io::Result<()> {
        if let Some(indent) = &self.indent {
            w.write_all(b"\n")?;
            for _ in 0..self.level {
                w.write_all(indent.as_bytes())?;
            }
        }
        Ok(())
    }

    fn separator<W: ?Sized + io::Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            w.write_all(if self.indent.is_some() { b"," } else { b", " })?;
        }
        self.newline(w)
    }

    fn open<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for PyFormatter {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separator(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.separator(w, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !self.ensure_ascii || fragment.is_ascii() {
            return w.write_all(fragment.as_bytes());
        }
        for c in fragment.chars() {
            if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

pub fn from_json(v: &Value) -> Result<Value, Error> {
    let text = defined(v)?.to_string();
    let json: Json = serde_json::from_str(&text).map_err(|e| invalid(format!("from_json: {e}")))?;
    Ok(native::to_value(&json))
}

fn yaml_style(kwargs: &Kwargs, indent: usize, flow_leaves: bool) -> Result<YamlStyle, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(indent);
    let flow_leaves = match kwargs.get::<Option<Value>>("default_flow_style")? {
        None => flow_leaves,
        Some(v) if v.is_none() => true,
        Some(v) if v.is_true() => {
            return Err(invalid(
                "to_yaml: default_flow_style=True is not supported".into(),
            ))
        }
        Some(_) => false,
    };
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    // PyYAML options that do not change the data; accepted for compatibility.
    let _ = kwargs.get::<Option<Value>>("width")?;
    let _ = kwargs.get::<Option<Value>>("allow_unicode")?;
    let _ = kwargs.get::<Option<Value>>("explicit_start")?;
    kwargs.assert_all_used()?;
    Ok(YamlStyle {
        indent: indent.clamp(2, 9),
        flow_leaves,
        sort_keys,
    })
}

pub fn to_yaml(v: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let style = yaml_style(&kwargs, 2, true)?;
    Ok(dump(&json_of(v)?, &style))
}

pub fn to_nice_yaml(v: &Value, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let mut style = yaml_style(&kwargs, 4, false)?;
    if let Some(i) = indent {
        style.indent = i.clamp(2, 9);
    }
    Ok(dump(&json_of(v)?, &style))
}

pub fn from_yaml(v: &Value) -> Result<Value, Error> {
    let text = defined(v)?.to_string();
    parse_yaml(&text, "from_yaml")
}

/// Every document of a multi-document string, as a list.
pub fn from_yaml_all(v: &Value) -> Result<Value, Error> {
    let text = defined(v)?.to_string();
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let marker = line.trim_end();
        if marker == "---" || line.starts_with("--- ") {
            if !current.trim().is_empty() {
                docs.push(parse_yaml(&current, "from_yaml_all")?);
            }
            current = line.strip_prefix("---").unwrap_or_default().to_string();
        } else {
            current.push_str(line);
        }
    }
    if !current.trim().is_empty() {
        docs.push(parse_yaml(&current, "from_yaml_all")?);
    }
    Ok(Value::from(docs))
}

fn parse_yaml(text: &str, filter: &str) -> Result<Value, Error> {
    let node = crate::yaml::parse_str(text, Path::new(&format!("<{filter}>")))
        .map_err(|e| invalid(format!("{filter}: {e}")))?;
    Ok(native::to_value(&node.to_value()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_layout_matches_python() {
        let v = json!({"b": [1, "é"], "a": {}});
        assert_eq!(
            python_json(&v, None, false, true).unwrap(),
            r#"{"b": [1, "\u00e9"], "a": {}}"#
        );
        assert_eq!(
            python_json(&v, None, true, false).unwrap(),
            r#"{"a": {}, "b": [1, "é"]}"#
        );
        assert_eq!(
            python_json(&v, Some(4), true, true).unwrap(),
            "{\n    \"a\": {},\n    \"b\": [\n        1,\n        \"\\u00e9\"\n    ]\n}"
        );
        assert_eq!(python_json(&json!([]), Some(2), false, true).unwrap(), "[]");
        assert_eq!(
            python_json(&json!("😀"), None, false, true).unwrap(),
            r#""\ud83d\ude00""#
        );
    }
}
