//! Ansible's YAML inventory format.
//!
//! ```yaml
//! all:
//!   vars: {ansible_user: deploy}
//!   children:
//!     web:
//!       hosts:
//!         web[01:03]: {ansible_port: 2222}
//! ```
//! Top-level keys are groups; a group holds only `hosts`, `vars` and `children` (a string is
//! accepted for any of them, meaning one entry). Ansible merely warns about other keys and
//! skips them, which hides typos like `host:`; here they are errors with a did-you-mean, and
//! every error carries file:line:column from the located YAML tree.

use super::hostrange::expand_hostpattern;
use super::{Inventory, InventoryError};
use crate::yaml::{Location, Node, NodeKind};
use indexmap::IndexMap;
use std::path::Path;

const SECTIONS: [&str; 3] = ["hosts", "vars", "children"];

/// Reads a parsed YAML inventory whose root is `root` (read from `path`).
pub(crate) fn parse(root: &Node, path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
    let groups = match &root.kind {
        NodeKind::Map(m) => m,
        NodeKind::Null => {
            return Err(InventoryError::invalid(
                &root.loc,
                "the YAML inventory is empty; start it with `all:` and put `hosts:` or `children:` under it",
            ))
        }
        _ => {
            return Err(InventoryError::invalid(
                &root.loc,
                format!(
                    "a YAML inventory must be a mapping of group names (e.g. `all:`), found {}",
                    root.type_name()
                ),
            ))
        }
    };
    let mut parser = YamlInventory { inv, path };
    for (name, (loc, node)) in groups {
        parser.group(name, loc, node)?;
    }
    Ok(())
}

struct YamlInventory<'a> {
    inv: &'a mut Inventory,
    path: &'a Path,
}

impl YamlInventory<'_> {
    fn group(&mut self, name: &str, loc: &Location, node: &Node) -> Result<(), InventoryError> {
        if name.trim().is_empty() {
            return Err(InventoryError::invalid(
                loc,
                "a group name is empty; give the group a name",
            ));
        }
        let sections = match &node.kind {
            NodeKind::Null => {
                self.inv.ensure_group(name);
                return Ok(());
            }
            NodeKind::Map(m) => m,
            _ => {
                return Err(InventoryError::invalid(
                    &node.loc,
                    format!(
                        "group '{name}' must be a mapping with `hosts:`, `vars:` or `children:`, found {}",
                        node.type_name()
                    ),
                ))
            }
        };
        self.inv.ensure_group(name);
        // Check every key first so a typo is reported even when a later section also fails.
        for (key, (key_loc, _)) in sections {
            if !SECTIONS.contains(&key.as_str()) {
                return Err(InventoryError::invalid(
                    key_loc,
                    unknown_key_message(name, key),
                ));
            }
        }
        for (key, (_, value)) in sections {
            let entries = section_entries(name, key, value)?;
            match key.as_str() {
                "vars" => {
                    for (var, (var_loc, v)) in entries.iter() {
                        self.inv
                            .set_group_var_raw(
                                name,
                                var,
                                v.as_ref().map(Node::to_value).unwrap_or_default(),
                            )
                            .map_err(|m| InventoryError::invalid(var_loc, m))?;
                    }
                }
                "children" => {
                    for (child, (child_loc, child_node)) in entries.iter() {
                        match child_node {
                            Some(n) => self.group(child, child_loc, n)?,
                            None => self.inv.ensure_group(child),
                        }
                        self.inv
                            .link_child(name, child)
                            .map_err(|m| InventoryError::invalid(child_loc, m))?;
                    }
                }
                _ => {
                    for (pattern, (host_loc, host_node)) in entries.iter() {
                        self.hosts(name, pattern, host_loc, host_node.as_ref())?;
                    }
                }
            }
        }
        Ok(())
    }

    fn hosts(
        &mut self,
        group: &str,
        pattern: &str,
        loc: &Location,
        node: Option<&Node>,
    ) -> Result<(), InventoryError> {
        let (names, port) =
            expand_hostpattern(pattern).map_err(|m| InventoryError::invalid(loc, m))?;
        if names.iter().any(|n| n.trim().is_empty()) {
            return Err(InventoryError::invalid(
                loc,
                "a host name is empty; give the host a name",
            ));
        }
        let vars = match node.map(|n| (&n.kind, n)) {
            None | Some((NodeKind::Null, _)) => IndexMap::new(),
            Some((NodeKind::Map(m), _)) => m.clone(),
            Some((_, n)) => {
                let example = match &n.kind {
                    NodeKind::String(s) => format!("`{pattern}: {{ansible_host: {s}}}`"),
                    _ => format!("`{pattern}: {{ansible_port: 2222}}`"),
                };
                return Err(InventoryError::invalid(
                    &n.loc,
                    format!(
                        "host '{pattern}' in group '{group}' must map to its variables (a mapping) or \
                         to nothing, found {}; write e.g. {example}",
                        n.type_name()
                    ),
                ));
            }
        };
        for host in &names {
            self.inv
                .insert_host(host, Some(group), port, Some(self.path));
            for (key, (_, value)) in &vars {
                self.inv.set_host_var(host, key, value.to_value());
            }
        }
        Ok(())
    }
}

type Entries = IndexMap<String, (Location, Option<Node>)>;

/// A section's entries; a plain string means one entry with no value, as Ansible reads it.
fn section_entries(group: &str, key: &str, node: &Node) -> Result<Entries, InventoryError> {
    match &node.kind {
        NodeKind::Null => Ok(Entries::new()),
        NodeKind::String(s) => Ok(Entries::from([(s.clone(), (node.loc.clone(), None))])),
        NodeKind::Map(m) => Ok(m
            .iter()
            .map(|(k, (loc, v))| (k.clone(), (loc.clone(), Some(v.clone()))))
            .collect()),
        NodeKind::Seq(_) => Err(InventoryError::invalid(
            &node.loc,
            format!(
                "`{key}` of group '{group}' must be a mapping, found a list; write each entry as \
                 `name:` on its own line instead of `- name`"
            ),
        )),
        _ => Err(InventoryError::invalid(
            &node.loc,
            format!(
                "`{key}` of group '{group}' must be a mapping, found {}",
                node.type_name()
            ),
        )),
    }
}

fn unknown_key_message(group: &str, key: &str) -> String {
    let suggestion = SECTIONS
        .iter()
        .map(|s| (strsim::jaro_winkler(key, s), *s))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s);
    match suggestion {
        Some(s) => format!(
            "unknown key '{key}' in group '{group}'; did you mean `{s}`? A group holds only `hosts`, `vars` and `children`"
        ),
        None => format!(
            "unknown key '{key}' in group '{group}': a group holds only `hosts`, `vars` and \
             `children`; put a host under `hosts:`, a child group under `children:`, a variable under `vars:`"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;
    use serde_json::json;

    fn load(text: &str) -> Result<Inventory, InventoryError> {
        let root = parse_str(text, Path::new("hosts.yml"))?;
        let mut inv = Inventory::new();
        parse(&root, Path::new("hosts.yml"), &mut inv)?;
        inv.reconcile();
        Ok(inv)
    }

    fn err(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn nested_groups_hosts_and_vars() {
        let inv = load(
            "all:\n  vars:\n    ansible_user: deploy\n  hosts:\n    bastion:\n  children:\n    prod:\n      \
             vars: {env: production, ansible_group_priority: 3}\n      children:\n        web:\n          hosts:\n            \
             web[01:02]:\n              ansible_port: 2222\n            web03:2200:\n        db:\n          hosts: db1\n",
        )
        .unwrap();
        assert_eq!(
            inv.group("all").unwrap().vars["ansible_user"],
            json!("deploy")
        );
        assert_eq!(inv.group("all").unwrap().children, ["ungrouped", "prod"]);
        assert_eq!(inv.group("ungrouped").unwrap().hosts, ["bastion"]);
        assert_eq!(inv.group("prod").unwrap().children, ["web", "db"]);
        assert_eq!(inv.group("prod").unwrap().priority, 3);
        assert_eq!(inv.group("web").unwrap().hosts, ["web01", "web02", "web03"]);
        assert_eq!(inv.host("web02").unwrap().vars["ansible_port"], json!(2222));
        assert_eq!(inv.host("web03").unwrap().vars["ansible_port"], json!(2200));
        assert_eq!(inv.group("db").unwrap().hosts, ["db1"]);
    }

    #[test]
    fn vaulted_values_are_kept_as_is() {
        let inv = load(
            "all:\n  hosts:\n    h1:\n      secret: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        6162\n",
        )
        .unwrap();
        let secret = &inv.host("h1").unwrap().vars["secret"];
        assert!(secret["__ansible_vault"]
            .as_str()
            .unwrap()
            .starts_with("$ANSIBLE_VAULT;1.1;AES256"));
    }

    #[test]
    fn typos_are_errors_with_a_suggestion() {
        assert_eq!(
            err("all:\n  children:\n    web:\n      host:\n        web1:\n"),
            "hosts.yml:4:7: unknown key 'host' in group 'web'; did you mean `hosts`? A group holds only \
             `hosts`, `vars` and `children`"
        );
        assert!(err("all:\n  childs:\n    web:\n").contains("did you mean `children`"));
        assert!(err("web:\n  web1:\n").contains("put a host under `hosts:`"));
    }

    #[test]
    fn wrong_shapes_say_where_and_how() {
        assert!(err("").contains("the YAML inventory is empty"));
        assert!(err("- a\n").contains("must be a mapping of group names"));
        assert!(err("web:\n  hosts:\n    - web1\n")
            .starts_with("hosts.yml:3:5: `hosts` of group 'web' must be a mapping, found a list"));
        assert!(err("web:\n  hosts:\n    web1: 10.0.0.5\n")
            .contains("write e.g. `web1: {ansible_host: 10.0.0.5}`"));
        assert!(err("web: [a]\n").contains("group 'web' must be a mapping"));
        assert!(err("web:\n  hosts:\n    web[3:1]:\n").starts_with("hosts.yml:3:5: bad range"));
        assert!(
            err("a:\n  children:\n    b:\n      children:\n        a:\n")
                .contains("creates a loop")
        );
    }

    #[test]
    fn yaml_syntax_errors_keep_their_location() {
        assert!(err("all:\n  hosts: [\n").starts_with("hosts.yml:"));
    }
}
