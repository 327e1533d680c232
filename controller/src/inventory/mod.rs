//! The inventory: which hosts exist, how they are grouped, and which variables each one gets.
//!
//! play follows Ansible's inventory semantics closely because operators bring the inventories
//! they already have: INI and YAML files, `group_vars/` and `host_vars/` folders, host
//! patterns, `--limit`, and `ansible-inventory --list/--graph` output. The pieces:
//! - `source` decides what a `-i` value is (file, folder, host list, dynamic plugin config)
//!   and loads it; `ini` and `yaml_format` read the two static formats;
//! - `graph` keeps the host/group structure with Ansible's rules (`all`, `ungrouped`, no
//!   cycles, group depth, inventory order);
//! - `vars_dirs` reads group_vars/host_vars folders; `merge` layers variables per host;
//! - `pattern` selects hosts; `render` produces `--list` JSON and `--graph` text;
//! - `dynamic` holds the sources read from elsewhere: Terraform outputs, GCE and EC2 APIs.

pub mod dynamic;
mod error;
mod graph;
mod hostrange;
mod ini;
mod literal;
mod merge;
mod pattern;
mod render;
mod shlex;
mod source;
mod vars_dirs;
mod yaml_format;

#[cfg(test)]
mod tests;

pub use crate::playbook::model::Vars;
pub use error::InventoryError;
pub use pattern::{split_host_pattern, Selection};
pub use source::{DynamicInventory, InventorySource, LoadOptions, VaultFileDecrypter};

use indexmap::IndexMap;
use std::path::{Path, PathBuf};

/// One host as the inventory sources describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub name: String,
    /// Variables set on the host itself in inventory sources (inline INI vars, YAML host
    /// vars, a `:port` suffix as `ansible_port`). group_vars/host_vars files are not here:
    /// [`Inventory::host_vars`] gives the merged view.
    pub vars: Vars,
    /// The inventory source that first named the host (Ansible's `inventory_file`).
    pub source: Option<PathBuf>,
    /// Groups the host was put in directly; their ancestors are implied.
    pub(crate) groups: Vec<String>,
}

impl Host {
    pub fn new(name: impl Into<String>) -> Host {
        Host {
            name: name.into(),
            vars: Vars::new(),
            source: None,
            groups: Vec::new(),
        }
    }

    pub fn with_vars(name: impl Into<String>, vars: Vars) -> Host {
        Host {
            vars,
            ..Host::new(name)
        }
    }

    /// Groups the host is directly in, in the order it was added to them.
    pub fn direct_groups(&self) -> &[String] {
        &self.groups
    }
}

/// One group: its direct hosts and child groups, and the variables the inventory file sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    /// Hosts put directly in this group, in inventory order (children's hosts not included).
    pub hosts: Vec<String>,
    /// Child groups, in the order they were declared.
    pub children: Vec<String>,
    pub parents: Vec<String>,
    /// Variables from the inventory source (`[g:vars]`, YAML `vars:`), not group_vars files.
    pub vars: Vars,
    /// `ansible_group_priority` (default 1): among groups of the same depth, a higher
    /// priority is merged later and so wins.
    pub priority: i64,
}

impl Group {
    pub fn new(name: impl Into<String>) -> Group {
        Group {
            name: name.into(),
            hosts: Vec::new(),
            children: Vec::new(),
            parents: Vec::new(),
            vars: Vars::new(),
            priority: 1,
        }
    }
}

/// The loaded inventory: hosts, groups, and the group_vars/host_vars folders that apply.
#[derive(Debug, Clone)]
pub struct Inventory {
    hosts: IndexMap<String, Host>,
    groups: IndexMap<String, Group>,
    /// group_vars/host_vars beside each inventory source, in `-i` order.
    inventory_vars: Vec<vars_dirs::VarsDir>,
    /// group_vars/host_vars beside the playbook: above the inventory's folders.
    playbook_vars: Option<vars_dirs::VarsDir>,
    /// While sources load, `all`/`ungrouped` fix-ups wait until every source is read, as in
    /// Ansible (a dynamic source may declare a group before its parent).
    loading: bool,
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory::new()
    }
}

impl Inventory {
    /// An empty inventory holding only the implicit `all` and `ungrouped` groups.
    pub fn new() -> Inventory {
        let mut inv = Inventory {
            hosts: IndexMap::new(),
            groups: IndexMap::new(),
            inventory_vars: Vec::new(),
            playbook_vars: None,
            loading: false,
        };
        inv.ensure_group("all");
        inv.ensure_group("ungrouped");
        inv.link_child("all", "ungrouped")
            .expect("ungrouped under all cannot loop");
        inv
    }

    /// Reads every `-i` source (files, folders, host lists, and play's built-in dynamic
    /// sources: Terraform outputs, GCE and EC2 plugin configs), then the group_vars/host_vars
    /// folders beside them and beside the playbook. [`Inventory::load_with`] takes other
    /// plugins or a vault decrypter.
    pub fn load(
        sources: &[String],
        playbook_dir: Option<&Path>,
    ) -> Result<Inventory, InventoryError> {
        Inventory::load_with(sources, playbook_dir, &LoadOptions::default())
    }

    /// [`Inventory::load`] with dynamic inventory plugins and a vault decrypter for files that
    /// are encrypted as a whole.
    pub fn load_with(
        sources: &[String],
        playbook_dir: Option<&Path>,
        options: &LoadOptions<'_>,
    ) -> Result<Inventory, InventoryError> {
        source::load(sources, playbook_dir, options)
    }

    /// Every host, in inventory order (the order `hosts: all` runs them).
    pub fn hosts(&self) -> impl Iterator<Item = &Host> {
        self.group_hosts("all")
            .into_iter()
            .filter_map(|name| self.hosts.get(name))
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.get(name)
    }

    /// Every group, `all` and `ungrouped` first, then in the order they were declared.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Adds a host (or merges vars into an existing one) and puts it in `groups`, creating
    /// groups that do not exist yet as children of `all`. This is how dynamic sources and
    /// `add_host` feed the inventory; `all`/`ungrouped` membership is fixed up afterwards.
    pub fn add_host(&mut self, host: Host, groups: &[String]) {
        let name = host.name.clone();
        match self.hosts.get_mut(&name) {
            Some(existing) => existing.vars.extend(host.vars),
            None => {
                let mut host = host;
                let wanted = std::mem::take(&mut host.groups);
                self.hosts.insert(name.clone(), host);
                for group in wanted {
                    self.ensure_group(&group);
                    self.put_host_in_group(&name, &group);
                }
            }
        }
        for group in groups {
            self.ensure_group(group);
            self.put_host_in_group(&name, group);
        }
        self.reconcile_unless_loading();
    }
}
