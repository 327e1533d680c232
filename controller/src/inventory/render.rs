//! `play inventory --list` and `--graph`, in ansible-inventory's exact shapes, so scripts and
//! habits built on ansible-inventory's output keep working.
//!
//! `--list` is JSON: one key per non-empty group with `hosts` (direct hosts; never for
//! `all`) and `children`, plus `_meta.hostvars` with each host's merged variables. Keys are
//! sorted at every level, as `json.dumps(sort_keys=True)` does; [`Inventory::list_json_string`]
//! also reproduces its 4-space indentation and `\uXXXX` escaping of non-ASCII text.
//! `--graph` is the `@group:` tree with `  |--` indentation.

use super::Inventory;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Ansible's INTERNAL_STATIC_VARS: never shown in `--list`.
const INTERNAL_VARS: &[&str] = &[
    "ansible_async_path",
    "ansible_collection_name",
    "ansible_config_file",
    "ansible_dependent_role_names",
    "ansible_diff_mode",
    "ansible_facts",
    "ansible_forks",
    "ansible_inventory_sources",
    "ansible_limit",
    "ansible_play_batch",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_role_names",
    "ansible_playbook_python",
    "ansible_role_name",
    "ansible_role_names",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_verbosity",
    "ansible_version",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "role_name",
    "role_names",
    "role_path",
    "role_uuid",
];

impl Inventory {
    /// ansible-inventory `--list` as a JSON value, keys sorted.
    pub fn to_list_json(&self) -> Value {
        let mut out = Map::new();
        let mut seen = HashSet::new();
        self.format_group("all", &mut out, &mut seen);
        let mut hostvars = Map::new();
        for host in self.hosts() {
            let mut vars = self.host_vars(&host.name);
            vars.retain(|k, _| !INTERNAL_VARS.contains(&k.as_str()));
            if !vars.is_empty() {
                hostvars.insert(host.name.clone(), Value::Object(vars.into_iter().collect()));
            }
        }
        let mut meta = Map::new();
        meta.insert("hostvars".into(), Value::Object(hostvars));
        meta.insert("profile".into(), Value::String("inventory_legacy".into()));
        out.insert("_meta".into(), Value::Object(meta));
        sort_keys(Value::Object(out))
    }

    /// [`Inventory::to_list_json`] as ansible-inventory prints it (4-space indent, non-ASCII
    /// escaped), without a trailing newline.
    pub fn list_json_string(&self) -> String {
        let mut buf = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
        serde::Serialize::serialize(&self.to_list_json(), &mut ser)
            .expect("a JSON value always serializes");
        let text = String::from_utf8(buf).expect("serde_json writes UTF-8");
        ascii_escape(&text)
    }

    fn format_group(&self, name: &str, out: &mut Map<String, Value>, seen: &mut HashSet<String>) {
        let group = &self.groups[name];
        let mut entry = Map::new();
        if name != "all" && !group.hosts.is_empty() {
            entry.insert("hosts".into(), Value::from(group.hosts.clone()));
        }
        if !group.children.is_empty() {
            entry.insert("children".into(), Value::from(group.children.clone()));
        }
        for child in &group.children {
            if !seen.contains(child) {
                self.format_group(child, out, seen);
                seen.insert(child.clone());
            }
        }
        if !entry.is_empty() {
            out.insert(name.to_string(), Value::Object(entry));
        }
    }

    /// ansible-inventory `--graph ROOT`. Empty when `root` is not a group: check with
    /// [`Inventory::group`] first (Ansible: "Pattern must be valid group name when using --graph").
    pub fn graph(&self, root: &str) -> String {
        let mut lines = Vec::new();
        if self.groups.contains_key(root) {
            self.graph_group(root, 0, &mut lines);
        }
        lines.join("\n")
    }

    fn graph_group(&self, name: &str, depth: usize, lines: &mut Vec<String>) {
        lines.push(graph_line(&format!("@{name}:"), depth));
        let group = &self.groups[name];
        for child in &group.children {
            self.graph_group(child, depth + 1, lines);
        }
        if name != "all" {
            for host in &group.hosts {
                lines.push(graph_line(host, depth + 1));
            }
        }
    }
}

fn graph_line(name: &str, depth: usize) -> String {
    if depth == 0 {
        name.to_string()
    } else {
        format!("{}--{name}", "  |".repeat(depth))
    }
}

fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// Python's `ensure_ascii`: non-ASCII characters (only ever inside strings) as `\uXXXX`,
/// using surrogate pairs above the BMP.
fn ascii_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_escape_matches_python() {
        assert_eq!(ascii_escape("\"é😀\""), "\"\\u00e9\\ud83d\\ude00\"");
    }

    #[test]
    fn graph_lines_indent_like_ansible() {
        assert_eq!(graph_line("@all:", 0), "@all:");
        assert_eq!(graph_line("@web:", 1), "  |--@web:");
        assert_eq!(graph_line("web1", 2), "  |  |--web1");
    }
}
