//! The variables a host ends up with, layered in Ansible's order.
//!
//! Lowest to highest (Ansible's default VARIABLE_PRECEDENCE, then host vars):
//! 1. `all` vars from inventory sources
//! 2. other groups' vars from inventory sources, sorted by (depth, priority, name)
//! 3. `group_vars/all` beside each inventory source (in `-i` order), then beside the playbook
//! 4. other groups' `group_vars/` files beside each source, then beside the playbook, each in
//!    the same group order
//! 5. the host's own inventory vars, then `host_vars/` beside each source, then the playbook's
//!
//! So a `group_vars/all.yml` beats a `[web:vars]` line, as it does in Ansible. Merging replaces
//! whole top-level values (Ansible's default `hash_behaviour = replace`). Vaulted values pass
//! through untouched.

use super::{Group, Inventory, Vars};
use indexmap::IndexMap;

impl Inventory {
    /// The merged inventory variables of `host` (empty for an unknown host). Magic variables
    /// (`inventory_hostname`, `groups`, `group_names`, ...) are not included: the run engine
    /// adds them with [`Inventory::group_names`] and [`Inventory::groups_map`].
    pub fn host_vars(&self, host: &str) -> Vars {
        let Some(h) = self.hosts.get(host) else {
            return Vars::new();
        };
        let groups = self.sorted_groups_of(host);
        let dirs: Vec<_> = self
            .inventory_vars
            .iter()
            .chain(self.playbook_vars.iter())
            .collect();
        let mut vars = Vars::new();
        vars.extend(self.groups["all"].vars.clone());
        for g in &groups {
            vars.extend(g.vars.clone());
        }
        for dir in &dirs {
            for file in dir.group_vars.lookup("all") {
                vars.extend(file.clone());
            }
        }
        for dir in &dirs {
            for g in &groups {
                for file in dir.group_vars.lookup(&g.name) {
                    vars.extend(file.clone());
                }
            }
        }
        vars.extend(h.vars.clone());
        for dir in &dirs {
            for file in dir.host_vars.lookup(host) {
                vars.extend(file.clone());
            }
        }
        vars
    }

    /// Ansible's `group_names`: every group the host is in, sorted, without `all`. Like
    /// Ansible, a host in no group gets `["ungrouped"]`.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .host_all_groups(host)
            .into_iter()
            .filter(|g| *g != "all")
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    /// Ansible's `groups` magic variable: every group (with `all` and `ungrouped`) and its
    /// hosts, including those of child groups, in inventory order.
    pub fn groups_map(&self) -> IndexMap<String, Vec<String>> {
        self.groups
            .keys()
            .map(|g| {
                let hosts = self
                    .group_hosts(g)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                (g.clone(), hosts)
            })
            .collect()
    }

    /// The host's groups except `all`, in merge order: shallow before deep, then low
    /// `ansible_group_priority` before high, then by name.
    pub(crate) fn sorted_groups_of(&self, host: &str) -> Vec<&Group> {
        let depths = self.depths();
        let mut groups: Vec<&Group> = self
            .host_all_groups(host)
            .into_iter()
            .filter(|g| *g != "all")
            .map(|g| &self.groups[g])
            .collect();
        groups.sort_by(|a, b| {
            (depths[a.name.as_str()], a.priority, &a.name).cmp(&(
                depths[b.name.as_str()],
                b.priority,
                &b.name,
            ))
        });
        groups
    }
}
