//! Ansible's INI inventory format.
//!
//! ```ini
//! bastion ansible_host=203.0.113.10     # before any section: group `ungrouped`
//! [web]
//! web[01:20] ansible_port=2222          # a range; inline vars, Python-literal values
//! [prod:children]                       # groups inside groups
//! web
//! [prod:vars]                           # one `key = value` per line
//! env = production
//! ```
//! Lines starting with `#` or `;` are comments. Host lines are split like a shell would
//! (`shlex.rs`), values go through `literal.rs`. A `[g:vars]` or `[g:children]`
//! entry may name a group declared further down; one never declared is an error at the end,
//! as in Ansible. Every error names file:line and says how to fix the line.

use super::hostrange::expand_hostpattern;
use super::literal::parse_value;
use super::{shlex, Inventory, InventoryError};
use indexmap::IndexMap;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

static SECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$").expect("valid regex"));
static GROUP_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").expect("valid regex"));

#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// A group named before it was declared, remembered until its declaration shows up.
struct Pending {
    line: usize,
    state: State,
    parents: Vec<String>,
}

/// Reads INI inventory `text` (from `path`, used in messages and as the hosts' source).
pub(crate) fn parse(text: &str, path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
    let mut pending: IndexMap<String, Pending> = IndexMap::new();
    let mut group = "ungrouped".to_string();
    let mut state = State::Hosts;
    for (index, raw) in text.lines().enumerate() {
        let lineno = index + 1;
        let err = |message: String| InventoryError::ini(path, lineno, message);
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(caps) = SECTION.captures(line) {
            group = caps[1].to_string();
            state = match caps.get(2).map(|m| m.as_str()) {
                None | Some("hosts") => State::Hosts,
                Some("children") => State::Children,
                Some("vars") => State::Vars,
                Some(other) => {
                    return Err(err(format!(
                        "section [{group}:{other}] has unknown type '{other}'; use [{group}], \
                         [{group}:children] or [{group}:vars]"
                    )))
                }
            };
            if inv.group(&group).is_none() {
                // [g:vars] alone does not declare g; it must be declared somewhere.
                if state == State::Vars && !pending.contains_key(&group) {
                    pending.insert(
                        group.clone(),
                        Pending {
                            line: lineno,
                            state,
                            parents: Vec::new(),
                        },
                    );
                }
                inv.ensure_group(&group);
            }
            if state != State::Vars {
                if let Some(p) = pending.get(&group) {
                    match p.state {
                        State::Children => {
                            add_pending_children(inv, &group, &mut pending).map_err(&err)?
                        }
                        _ => {
                            pending.shift_remove(&group);
                        }
                    }
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(err(format!(
                "invalid section header '{line}': write [group], [group:children] or [group:vars] \
                 with no spaces inside the brackets"
            )));
        }
        match state {
            State::Hosts => host_line(inv, line, &group, path).map_err(err)?,
            State::Vars => {
                let Some((key, value)) = line.split_once('=') else {
                    return Err(err(format!(
                        "expected 'key = value' in [{group}:vars], got '{line}'; add '=' and a value"
                    )));
                };
                let key = key.trim();
                if key.is_empty() {
                    return Err(err(format!("'{line}' has no variable name before '='")));
                }
                inv.set_group_var_raw(&group, key, parse_value(value.trim()))
                    .map_err(err)?;
            }
            State::Children => {
                let Some(caps) = GROUP_NAME.captures(line) else {
                    return Err(err(format!(
                        "expected a group name in [{group}:children], got '{line}'; list one child \
                         group per line (hosts go in a [{group}] section)"
                    )));
                };
                let child = caps[1].to_string();
                if inv.group(&child).is_none() {
                    pending
                        .entry(child)
                        .or_insert(Pending {
                            line: lineno,
                            state,
                            parents: Vec::new(),
                        })
                        .parents
                        .push(group.clone());
                } else {
                    inv.link_child(&group, &child).map_err(err)?;
                }
            }
        }
    }
    if let Some((name, p)) = pending.first() {
        let message = match p.state {
            State::Vars => format!(
                "section [{name}:vars] is for group '{name}', which is never declared; add a [{name}] \
                 section (it may be empty) or fix the name"
            ),
            _ => format!(
                "section [{}:children] includes group '{name}', which is never declared; add a \
                 [{name}] section (it may be empty) or fix the name",
                p.parents.last().map(String::as_str).unwrap_or("?")
            ),
        };
        return Err(InventoryError::ini(path, p.line, message));
    }
    Ok(())
}

fn add_pending_children(
    inv: &mut Inventory,
    group: &str,
    pending: &mut IndexMap<String, Pending>,
) -> Result<(), String> {
    let Some(p) = pending.shift_remove(group) else {
        return Ok(());
    };
    for parent in p.parents {
        inv.link_child(&parent, group)?;
        if pending
            .get(&parent)
            .is_some_and(|pp| pp.state == State::Children)
        {
            add_pending_children(inv, &parent, pending)?;
        }
    }
    Ok(())
}

/// `name[range][:port] key=value ...`
fn host_line(inv: &mut Inventory, line: &str, group: &str, path: &Path) -> Result<(), String> {
    let tokens = shlex::split(line).map_err(|e| format!("cannot read host line '{line}': {e}"))?;
    let Some((pattern, assignments)) = tokens.split_first() else {
        return Err(format!("expected a host name, got '{line}'"));
    };
    let (names, port) = expand_hostpattern(pattern)?;
    if pattern.trim().ends_with(':') && port.is_none() {
        return Err(format!(
            "host '{pattern}' ends in ':', which is reserved for a port; write '{}:PORT' or drop the ':'",
            pattern.trim().trim_end_matches(':')
        ));
    }
    if names.iter().any(|n| n.trim() == "---") {
        return Err(
            "'---' is a YAML document marker: this file looks like YAML; name it .yml".into(),
        );
    }
    if names.iter().any(|n| n.is_empty()) {
        return Err(format!("expected a host name, got '{line}'"));
    }
    let mut vars = Vec::with_capacity(assignments.len());
    for token in assignments {
        let Some((key, value)) = token.split_once('=') else {
            return Err(format!(
                "expected key=value after the host name, got '{token}'; quote values that hold \
                 spaces, e.g. key=\"a b\""
            ));
        };
        if key.is_empty() {
            return Err(format!("'{token}' has no variable name before '='"));
        }
        vars.push((key.to_string(), parse_value(value)));
    }
    for name in &names {
        inv.insert_host(name, Some(group), port, Some(path));
        for (key, value) in &vars {
            inv.set_host_var(name, key, value.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn load(text: &str) -> Result<Inventory, InventoryError> {
        let mut inv = Inventory::new();
        parse(text, Path::new("hosts.ini"), &mut inv)?;
        inv.reconcile();
        Ok(inv)
    }

    fn err(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn groups_children_vars_and_ranges() {
        let inv = load(
            "# fleet\nbastion ansible_host=203.0.113.10\n; note\n[web]\nweb[01:03] ansible_port=2222\n\
             [db]\ndb[a:b]\n[prod:children]\nweb\ndb\n[prod:vars]\nenv = production\n",
        )
        .unwrap();
        assert_eq!(inv.group("web").unwrap().hosts, ["web01", "web02", "web03"]);
        assert_eq!(inv.group("db").unwrap().hosts, ["dba", "dbb"]);
        assert_eq!(inv.group("prod").unwrap().children, ["web", "db"]);
        assert_eq!(inv.group("ungrouped").unwrap().hosts, ["bastion"]);
        assert_eq!(inv.group("all").unwrap().children, ["ungrouped", "prod"]);
        assert_eq!(inv.group("prod").unwrap().vars["env"], json!("production"));
        assert_eq!(inv.host("web02").unwrap().vars["ansible_port"], json!(2222));
        assert_eq!(
            inv.host("bastion").unwrap().source.as_deref(),
            Some(Path::new("hosts.ini"))
        );
    }

    #[test]
    fn inline_values_are_read_like_ansible() {
        let inv = load(
            "[web]\nweb1 ansible_host=10.0.0.5 ansible_port=2222 foo=\"a b\" flag=True t=true \
             l=\"[1, 'x']\" v=0755 ssh='-o ProxyJump=deploy@bastion'  # trailing comment\n",
        )
        .unwrap();
        let vars = &inv.host("web1").unwrap().vars;
        assert_eq!(vars["ansible_host"], json!("10.0.0.5"));
        assert_eq!(vars["ansible_port"], json!(2222));
        assert_eq!(vars["foo"], json!("a b"));
        assert_eq!(vars["flag"], json!(true));
        assert_eq!(vars["t"], json!("true"));
        assert_eq!(vars["l"], json!([1, "x"]));
        assert_eq!(vars["v"], json!("0755"));
        assert_eq!(vars["ssh"], json!("-o ProxyJump=deploy@bastion"));
        assert_eq!(vars.len(), 8);
    }

    #[test]
    fn group_vars_section_values() {
        let inv = load(
            "[all:vars]\nquoted = 'hello world'\nnum = 42 # a comment after a literal is dropped\n\
             text = production # but kept after plain text\nansible_group_priority = 7\n",
        )
        .unwrap();
        let all = inv.group("all").unwrap();
        assert_eq!(all.vars["quoted"], json!("hello world"));
        assert_eq!(all.vars["num"], json!(42));
        assert_eq!(
            all.vars["text"],
            json!("production # but kept after plain text")
        );
        assert!(!all.vars.contains_key("ansible_group_priority"));
        assert_eq!(all.priority, 7);
    }

    #[test]
    fn port_suffix_applies_only_when_host_is_new() {
        let inv = load("[a]\nh1:2200\n[b]\nh1:2300\n").unwrap();
        assert_eq!(inv.host("h1").unwrap().vars["ansible_port"], json!(2200));
    }

    #[test]
    fn children_may_be_declared_later() {
        let inv = load("[top:children]\nmid\n[mid:children]\nleaf\n[leaf]\nh1\n").unwrap();
        assert_eq!(inv.group("top").unwrap().children, ["mid"]);
        assert_eq!(inv.group("mid").unwrap().children, ["leaf"]);
        assert_eq!(inv.group("all").unwrap().children, ["ungrouped", "top"]);
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        assert_eq!(
            err("[web]\nweb1\n[prod:children]\nweb\nmissing\n"),
            "hosts.ini:5: section [prod:children] includes group 'missing', which is never declared; \
             add a [missing] section (it may be empty) or fix the name"
        );
        assert!(err("[ghost:vars]\na=1\n").starts_with("hosts.ini:1: section [ghost:vars]"));
        assert!(err("[web]\nweb1 foo\n").starts_with("hosts.ini:2: expected key=value"));
        assert!(err("[web servers]\n").starts_with("hosts.ini:1: invalid section header"));
        assert!(err("[web:hostz]\n").contains("unknown type 'hostz'"));
        assert!(err("[web]\nweb[3:1]\n").starts_with("hosts.ini:2: bad range [3:1]"));
        assert!(err("[web]\nweb1 x='open\n").contains("never closed"));
        assert!(err("[web]\nweb1:\n").contains("reserved for a port"));
        assert!(err("---\nall:\n").contains("looks like YAML"));
        assert!(err("[g:vars]\nnovalue\n[g]\n").starts_with("hosts.ini:2: expected 'key = value'"));
        assert!(err("[a:children]\nb\n[b:children]\na\n").contains("creates a loop"));
        assert!(err("[a:vars]\nansible_group_priority=high\n[a]\n").contains("whole number"));
        assert!(err("[a:children]\nungrouped\n")
            .starts_with("hosts.ini:2: 'ungrouped' holds the hosts"));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
            let _ = load(&text);
        }

        #[test]
        fn never_panics_on_inventory_like_text(
            lines in proptest::collection::vec(
                "(\\[[a-z:\\]]{0,12}|[a-z0-9\\[\\]:=\"' #;.-]{0,24})", 0..12)
        ) {
            let _ = load(&lines.join("\n"));
        }

        #[test]
        fn numeric_ranges_expand_to_the_right_count(
            prefix in "[a-z]{1,5}", begin in 0u32..500, len in 0u32..200, step in 1u32..7, pad in any::<bool>()
        ) {
            let end = begin + len;
            let (b, e) = if pad {
                let w = end.to_string().len() + 1;
                (format!("{begin:0w$}"), format!("{end:0w$}"))
            } else {
                (begin.to_string(), end.to_string())
            };
            let inv = load(&format!("[g]\n{prefix}[{b}:{e}:{step}]\n")).unwrap();
            let hosts = &inv.group("g").unwrap().hosts;
            prop_assert_eq!(hosts.len() as u32, len / step + 1);
            prop_assert_eq!(&hosts[0], &format!("{prefix}{b}"));
            if pad {
                prop_assert!(hosts.iter().all(|h| h.len() == prefix.len() + b.len()));
            }
        }

        #[test]
        fn letter_ranges_expand_to_the_right_count(a in 0usize..26, len in 0usize..26) {
            let letters: Vec<char> = ('a'..='z').collect();
            let end = (a + len).min(25);
            let inv = load(&format!("[g]\nh[{}:{}]\n", letters[a], letters[end])).unwrap();
            prop_assert_eq!(inv.group("g").unwrap().hosts.len(), end - a + 1);
        }
    }
}
