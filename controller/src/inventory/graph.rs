//! The host/group structure and the rules Ansible keeps on it.
//!
//! Groups form a directed acyclic graph under `all`; a host belongs to its groups and,
//! implicitly, to all their ancestors. After sources are read, `reconcile` applies Ansible's
//! fix-ups: top-level groups become children of `all`, hosts in no group go to `ungrouped`,
//! and hosts that found a real group leave `ungrouped`. The order in which hosts come out of a
//! group (`group_hosts`) is the order Ansible runs them in, so it is computed the same way:
//! the group's own hosts, then its descendants' level by level.

use super::{Group, Host, Inventory, InventoryError};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

impl Inventory {
    /// Creates the group if it does not exist yet.
    pub(crate) fn ensure_group(&mut self, name: &str) {
        if !self.groups.contains_key(name) {
            self.groups.insert(name.to_string(), Group::new(name));
        }
    }

    /// Declares a group (for dynamic sources). Top-level groups join `all` on reconcile.
    pub fn add_group(&mut self, name: &str) {
        self.ensure_group(name);
        self.reconcile_unless_loading();
    }

    /// Makes `child` a child group of `parent`, creating both when missing.
    pub fn add_child(&mut self, parent: &str, child: &str) -> Result<(), InventoryError> {
        self.ensure_group(parent);
        self.ensure_group(child);
        self.link_child(parent, child)
            .map_err(|message| InventoryError::invalid("inventory", message))?;
        self.reconcile_unless_loading();
        Ok(())
    }

    /// Sets a group variable as an inventory source would (`ansible_group_priority` sets the
    /// group's priority instead of a variable).
    pub fn set_group_var(
        &mut self,
        group: &str,
        key: &str,
        value: Value,
    ) -> Result<(), InventoryError> {
        self.ensure_group(group);
        self.set_group_var_raw(group, key, value)
            .map_err(|message| InventoryError::invalid(format!("group '{group}'"), message))
    }

    /// Adds the edge parent -> child; the error text explains a loop.
    pub(crate) fn link_child(&mut self, parent: &str, child: &str) -> Result<(), String> {
        if parent == child {
            return Err(format!(
                "group '{parent}' cannot be a child of itself; remove it from its own children"
            ));
        }
        if self.groups[parent].children.iter().any(|c| c == child) {
            return Ok(());
        }
        if child == "ungrouped" && parent != "all" {
            // Ansible accepts this, then silently drops the ungrouped hosts from every group.
            return Err(format!(
                "'ungrouped' holds the hosts that are in no group and cannot be a child of '{parent}'; \
                 put those hosts in a named group and make that group the child"
            ));
        }
        if child == "all" || self.ancestors(parent).contains(&child) {
            return Err(format!(
                "making '{child}' a child of '{parent}' creates a loop ('{child}' is already above \
                 '{parent}'); remove one of the two parent/child declarations"
            ));
        }
        self.groups[parent].children.push(child.to_string());
        let parents = &mut self.groups[child].parents;
        if !parents.iter().any(|p| p == parent) {
            parents.push(parent.to_string());
        }
        Ok(())
    }

    /// Puts an existing host directly in an existing group.
    pub(crate) fn put_host_in_group(&mut self, host: &str, group: &str) {
        let g = &mut self.groups[group];
        if !g.hosts.iter().any(|h| h == host) {
            g.hosts.push(host.to_string());
        }
        let h = &mut self.hosts[host];
        if !h.groups.iter().any(|x| x == group) {
            h.groups.push(group.to_string());
        }
    }

    /// Ansible's `InventoryData.add_host`: creates the host on first sight (a port given with
    /// that first sight becomes `ansible_port`) and puts it in `group`.
    pub(crate) fn insert_host(
        &mut self,
        name: &str,
        group: Option<&str>,
        port: Option<u64>,
        source: Option<&Path>,
    ) {
        if !self.hosts.contains_key(name) {
            let mut host = Host::new(name);
            host.source = source.map(Path::to_path_buf);
            if let Some(port) = port {
                host.vars.insert("ansible_port".into(), Value::from(port));
            }
            self.hosts.insert(name.to_string(), host);
        }
        if let Some(group) = group {
            self.ensure_group(group);
            self.put_host_in_group(name, group);
        }
    }

    pub(crate) fn set_host_var(&mut self, host: &str, key: &str, value: Value) {
        if let Some(h) = self.hosts.get_mut(host) {
            h.vars.insert(key.to_string(), value);
        }
    }

    pub(crate) fn set_group_var_raw(
        &mut self,
        group: &str,
        key: &str,
        value: Value,
    ) -> Result<(), String> {
        let g = &mut self.groups[group];
        if key == "ansible_group_priority" {
            g.priority = priority_of(&value).ok_or_else(|| {
                format!("ansible_group_priority must be a whole number, got {value}; write e.g. ansible_group_priority=10")
            })?;
        } else {
            g.vars.insert(key.to_string(), value);
        }
        Ok(())
    }

    pub(crate) fn reconcile_unless_loading(&mut self) {
        if !self.loading {
            self.reconcile();
        }
    }

    /// Ansible's `reconcile_inventory`.
    pub(crate) fn reconcile(&mut self) {
        let orphans: Vec<String> = self
            .groups
            .values()
            .filter(|g| g.name != "all" && g.parents.is_empty())
            .map(|g| g.name.clone())
            .collect();
        for group in orphans {
            self.link_child("all", &group)
                .expect("a parentless group cannot loop under all");
        }
        let names: Vec<String> = self.hosts.keys().cloned().collect();
        for name in names {
            let direct = &self.hosts[&name].groups;
            let in_ungrouped = direct.iter().any(|g| g == "ungrouped");
            let has_real_group = direct.iter().any(|g| g != "all" && g != "ungrouped");
            if in_ungrouped && has_real_group {
                self.groups["ungrouped"].hosts.retain(|h| h != &name);
                self.hosts[&name].groups.retain(|g| g != "ungrouped");
            } else if !in_ungrouped && !has_real_group {
                self.put_host_in_group(&name, "ungrouped");
            }
        }
    }

    /// Every group above `group`, nearest first, without duplicates.
    pub(crate) fn ancestors(&self, group: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut frontier: Vec<&str> = vec![group];
        while let Some(g) = frontier.pop() {
            if let Some(grp) = self.groups.get(g) {
                for p in &grp.parents {
                    if !out.contains(&p.as_str()) {
                        out.push(p);
                        frontier.push(p);
                    }
                }
            }
        }
        out
    }

    /// The longest path from `all` down to each group: Ansible's group depth, which orders
    /// variable merging (deeper groups win).
    pub(crate) fn depths(&self) -> HashMap<&str, usize> {
        fn depth<'a>(inv: &'a Inventory, g: &'a str, memo: &mut HashMap<&'a str, usize>) -> usize {
            if let Some(&d) = memo.get(g) {
                return d;
            }
            let d = inv.groups[g]
                .parents
                .iter()
                .map(|p| depth(inv, p, memo) + 1)
                .max()
                .unwrap_or(0);
            memo.insert(g, d);
            d
        }
        let mut memo = HashMap::new();
        for g in self.groups.keys() {
            depth(self, g, &mut memo);
        }
        memo
    }

    /// Ansible's `Group.get_hosts`: the group's own hosts, then those of its descendants
    /// level by level, each host once.
    pub(crate) fn group_hosts(&self, group: &str) -> Vec<&str> {
        let Some(start) = self.groups.get(group) else {
            return Vec::new();
        };
        let mut order: Vec<&Group> = vec![start];
        let mut seen: HashSet<&str> = HashSet::from([start.name.as_str()]);
        let mut level: Vec<&Group> = vec![start];
        while !level.is_empty() {
            let mut next = Vec::new();
            for g in level {
                for child in &g.children {
                    if seen.insert(child) {
                        let c = &self.groups[child];
                        order.push(c);
                        next.push(c);
                    }
                }
            }
            level = next;
        }
        let mut hosts_seen: HashSet<&str> = HashSet::new();
        order
            .iter()
            .flat_map(|g| g.hosts.iter())
            .filter(|h| hosts_seen.insert(h))
            .map(String::as_str)
            .collect()
    }

    /// Every group the host is in, directly or through a child group (including `all`).
    pub(crate) fn host_all_groups(&self, host: &str) -> Vec<&str> {
        let Some(h) = self.hosts.get(host) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = Vec::new();
        for g in &h.groups {
            for a in self.ancestors(g).into_iter().rev() {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            if !out.contains(&g.as_str()) {
                out.push(g);
            }
        }
        out
    }
}

/// Ansible takes `int(value)` for the priority.
fn priority_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
