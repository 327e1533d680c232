//! Builds the located tree from saphyr-parser's event stream.

use super::node::{Location, Node, NodeKind};
use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// A file that is not valid YAML, or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    #[error("{loc}: YAML syntax error: {msg}")]
    Syntax { loc: Location, msg: String },
    #[error("{why}")]
    Vault { path: String, why: String },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Reads and parses a YAML file; an empty file is `Null`.
pub fn parse_file(path: &Path) -> Result<Node, YamlError> {
    let read_error = |source| YamlError::Read {
        path: path.display().to_string(),
        source,
    };
    let data = std::fs::read(path).map_err(read_error)?;
    let text = if crate::vault::is_vault_file(&data) {
        // A whole-file vault (`$ANSIBLE_VAULT;...`) opens with the run's vault passwords.
        crate::vault::open_with_run_vault(&data, path).map_err(|e| YamlError::Vault {
            path: path.display().to_string(),
            why: e.to_string(),
        })?
    } else {
        String::from_utf8(data).map_err(|e| {
            read_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e.utf8_error(),
            ))
        })?
    };
    parse_str(&text, path)
}

/// Parses YAML text; `file` is only used in locations. Only the first document is read.
pub fn parse_str(text: &str, file: &Path) -> Result<Node, YamlError> {
    let file: Arc<Path> = Arc::from(file);
    let mut builder = Builder {
        file: file.clone(),
        stack: Vec::new(),
        anchors: HashMap::new(),
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| YamlError::Syntax {
            loc: Location {
                file: file.clone(),
                line: e.marker().line(),
                column: e.marker().col() + 1,
            },
            msg: e.info().to_string(),
        })?;
        let loc = Location {
            file: file.clone(),
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        if let Some(done) = builder.event(event, loc)? {
            return Ok(done);
        }
    }
    Ok(Node {
        kind: NodeKind::Null,
        loc: Location {
            file,
            line: 1,
            column: 1,
        },
    })
}

enum Frame {
    Seq {
        items: Vec<Node>,
        loc: Location,
        anchor: usize,
    },
    Map {
        entries: IndexMap<String, (Location, Node)>,
        merges: Vec<Node>,
        key: Option<(String, Location)>,
        loc: Location,
        anchor: usize,
    },
}

struct Builder {
    file: Arc<Path>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
}

impl Builder {
    /// Feeds one event; returns the document's root once it is complete.
    fn event(&mut self, event: Event<'_>, loc: Location) -> Result<Option<Node>, YamlError> {
        let node = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let kind = resolve_scalar(&text, style, tag.as_deref());
                let node = Node { kind, loc };
                self.remember(anchor, &node);
                // A scalar in key position becomes the pending key.
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    *key = Some((text.into_owned(), node.loc));
                    return Ok(None);
                }
                node
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError::Syntax {
                        loc,
                        msg: "alias to an unknown anchor".into(),
                    });
                };
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    let text = node.as_str().map(str::to_string).unwrap_or_default();
                    *key = Some((text, loc));
                    return Ok(None);
                }
                node
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    loc,
                    anchor,
                });
                return Ok(None);
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map {
                    entries: IndexMap::new(),
                    merges: Vec::new(),
                    key: None,
                    loc,
                    anchor,
                });
                return Ok(None);
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { items, loc, anchor }) => {
                    let node = Node {
                        kind: NodeKind::Seq(items),
                        loc,
                    };
                    self.remember(anchor, &node);
                    node
                }
                _ => unreachable!("parser emits balanced sequence events"),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    mut entries,
                    merges,
                    loc,
                    anchor,
                    ..
                }) => {
                    apply_merges(&mut entries, merges);
                    let node = Node {
                        kind: NodeKind::Map(entries),
                        loc,
                    };
                    self.remember(anchor, &node);
                    node
                }
                _ => unreachable!("parser emits balanced mapping events"),
            },
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => return Ok(None),
        };
        Ok(self.attach(node))
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// Puts a finished node into its parent; returns it when it is the document root.
    fn attach(&mut self, node: Node) -> Option<Node> {
        match self.stack.last_mut() {
            None => Some(node),
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                None
            }
            Some(Frame::Map {
                entries,
                merges,
                key,
                ..
            }) => {
                match key.take() {
                    Some((k, _)) if k == "<<" => merges.push(node),
                    Some((k, kloc)) => {
                        // Ansible warns on duplicate keys and keeps the last value at the
                        // first key's position; IndexMap::insert does exactly that.
                        entries.insert(k, (kloc, node));
                    }
                    None => {
                        // A collection used as a key: keep it addressable by its flow text.
                        let k = serde_json::to_string(&node.to_value()).unwrap_or_default();
                        *key = Some((k, node.loc));
                        let _ = &self.file;
                    }
                }
                None
            }
        }
    }
}

/// `<<: *base` and `<<: [*a, *b]`: keys already present win; earlier merge sources win.
fn apply_merges(entries: &mut IndexMap<String, (Location, Node)>, merges: Vec<Node>) {
    for merge in merges {
        let sources: Vec<Node> = match merge.kind {
            NodeKind::Seq(items) => items,
            _ => vec![merge],
        };
        for source in sources {
            if let NodeKind::Map(map) = source.kind {
                for (k, v) in map {
                    entries.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// Resolves a scalar as Ansible (PyYAML, YAML 1.1) does.
fn resolve_scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> NodeKind {
    if let Some(tag) = tag {
        match (tag.handle.as_str(), tag.suffix.as_str()) {
            ("!", "vault") => return NodeKind::Vault(text.to_string()),
            ("!", "unsafe") => return NodeKind::String(text.to_string()),
            (_, s) if s.ends_with("str") => return NodeKind::String(text.to_string()),
            _ => {}
        }
    }
    if style != ScalarStyle::Plain {
        return NodeKind::String(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return NodeKind::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return NodeKind::Bool(false)
        }
        _ => {}
    }
    if let Some(i) = resolve_int(text) {
        return NodeKind::Int(i);
    }
    if let Some(f) = resolve_float(text) {
        return NodeKind::Float(f);
    }
    NodeKind::String(text.to_string())
}

/// YAML 1.1 integers: decimal, `0x` hex, `0o` and leading-zero octal (so `mode: 0644` is 420,
/// as in Ansible), `0b` binary, `_` separators.
fn resolve_int(text: &str) -> Option<i64> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() || !body.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let value = if let Some(hex) = clean.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(bin) = clean.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()?
    } else if let Some(oct) = clean.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if clean.len() > 1 && clean.starts_with('0') {
        i64::from_str_radix(&clean[1..], 8).ok()?
    } else {
        clean.parse().ok()?
    };
    Some(if neg { -value } else { value })
}

/// YAML 1.1 floats need a dot (`1e3` stays a string, as in PyYAML); `.inf`/`.nan` too.
fn resolve_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let first = text.trim_start_matches(['-', '+']).chars().next()?;
    if !text.contains('.') || !(first.is_ascii_digit() || first == '.') {
        return None;
    }
    text.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        parse_str(text, Path::new("t.yml")).unwrap()
    }

    #[test]
    fn yaml_1_1_scalars_resolve_like_ansible() {
        let v = parse(
            "a: yes\nb: No\nc: 'yes'\nd: 0644\ne: 0x1f\nf: 1.5\ng: 1e3\nh: ~\ni: on\nj: 08\n",
        )
        .to_value();
        assert_eq!(v["a"], true);
        assert_eq!(v["b"], false);
        assert_eq!(v["c"], "yes");
        assert_eq!(v["d"], 420);
        assert_eq!(v["e"], 31);
        assert_eq!(v["f"], 1.5);
        assert_eq!(v["g"], "1e3");
        assert!(v["h"].is_null());
        assert_eq!(v["i"], true);
        assert_eq!(v["j"], "08", "invalid octal stays a string");
    }

    #[test]
    fn locations_are_one_based() {
        let n = parse("- name: x\n  debug:\n    msg: hi\n");
        let task = &n.as_seq().unwrap()[0];
        let (kloc, debug) = &task.as_map().unwrap()["debug"];
        assert_eq!((kloc.line, kloc.column), (2, 3));
        let (mloc, _) = &debug.as_map().unwrap()["msg"];
        assert_eq!((mloc.line, mloc.column), (3, 5));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\ncopy: *b\n").to_value();
        assert_eq!(v["use"]["x"], 1);
        assert_eq!(v["use"]["y"], 3, "explicit keys win over merged ones");
        assert_eq!(v["copy"]["y"], 2);
    }

    #[test]
    fn vault_and_unsafe_tags() {
        let n = parse(
            "secret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nraw: !unsafe '{{ x }}'\n",
        );
        let m = n.as_map().unwrap();
        assert!(matches!(m["secret"].1.kind, NodeKind::Vault(_)));
        assert_eq!(m["raw"].1.as_str(), Some("{{ x }}"));
    }

    #[test]
    fn syntax_errors_name_the_place() {
        let err = parse_str("a: [1, 2\nb: 3\n", Path::new("bad.yml")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("bad.yml:"), "{text}");
        assert!(text.contains("YAML syntax error"), "{text}");
    }

    #[test]
    fn empty_document_is_null() {
        assert!(parse("").is_null());
        assert!(parse("# only a comment\n").is_null());
    }
}
