//! What a `-i` value is, and loading it.
//!
//! A value may be a file (INI or YAML, told apart by extension and then by content), a folder
//! (every file in it, sorted, skipping hidden files, backups, `*.retry` and the group_vars /
//! host_vars folders), or a comma-separated host list (`web1,web2,`). A YAML file whose top
//! level names a `plugin:` is a dynamic source (GCP, EC2): those are read by
//! [`DynamicInventory`] implementations passed in [`LoadOptions`], so cloud code stays out of
//! this module. A source may also claim a file or folder by its content without a `plugin:`
//! key ([`DynamicInventory::detect`]): that is how a Terraform folder or a saved
//! `terraform output -json` document is read. [`LoadOptions::default`] carries play's built-in
//! sources (`super::dynamic::BUILTIN`). After all sources, the group_vars/host_vars folders
//! beside each source and beside the playbook are read.

use super::hostrange::parse_address;
use super::vars_dirs::{VarsDir, REJECTED_SUFFIXES};
use super::{ini, yaml_format, Inventory, InventoryError};
use crate::yaml::{parse_str, Node, NodeKind};
use std::path::{Path, PathBuf};

/// One `-i` value, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum InventorySource {
    /// `web1,web2,`: hosts in `ungrouped`, with optional `:port`.
    HostList(String),
    /// A folder: every inventory file in it.
    Directory(PathBuf),
    Ini(PathBuf),
    Yaml(PathBuf),
    /// A YAML file configuring an inventory plugin (`plugin: google.cloud.gcp_compute`).
    Plugin {
        path: PathBuf,
        plugin: String,
    },
}

/// A dynamic inventory source (cloud API, Terraform state), configured by a YAML file whose
/// `plugin:` key names it, as Ansible's inventory plugins are.
pub trait DynamicInventory {
    /// Whether this source reads configs that say `plugin: <plugin>`.
    fn accepts(&self, plugin: &str) -> bool;

    /// Claims a source that names no plugin, by its content: `doc` is the parsed file, or None
    /// when `path` is a folder. Returns the plugin name this source [`accepts`](Self::accepts)
    /// for it. Most sources read only `plugin:` configs and keep the default (claim nothing).
    fn detect(&self, _path: &Path, _doc: Option<&Node>) -> Option<String> {
        None
    }

    /// Reads the config at `config` and adds hosts, groups and vars with
    /// [`Inventory::add_host`], [`Inventory::add_child`] and [`Inventory::set_group_var`].
    fn populate(&self, config: &Path, inventory: &mut Inventory) -> Result<(), InventoryError>;
}

/// Decrypts files that ansible-vault encrypted as a whole (they start `$ANSIBLE_VAULT;`).
pub trait VaultFileDecrypter {
    /// The plain text of `ciphertext`, read from `path`; the error says why it failed.
    fn decrypt(&self, path: &Path, ciphertext: &str) -> Result<String, String>;
}

/// What [`Inventory::load_with`] needs beyond the sources.
#[derive(Clone, Copy)]
pub struct LoadOptions<'a> {
    pub plugins: &'a [&'a dyn DynamicInventory],
    pub vault: Option<&'a dyn VaultFileDecrypter>,
}

impl Default for LoadOptions<'_> {
    /// play's built-in dynamic sources (Terraform outputs, GCE, EC2) and no vault.
    fn default() -> Self {
        LoadOptions {
            plugins: super::dynamic::BUILTIN,
            vault: None,
        }
    }
}

/// A source file's content, read once and classified.
enum Loaded {
    Ini(String),
    Yaml(Node),
    Plugin(String),
}

impl InventorySource {
    /// Classifies one `-i` value; files are read to tell INI from YAML.
    pub fn classify(value: &str) -> Result<InventorySource, InventoryError> {
        Self::classify_with(value, &LoadOptions::default())
    }

    fn classify_with(
        value: &str,
        options: &LoadOptions<'_>,
    ) -> Result<InventorySource, InventoryError> {
        let path = Path::new(value);
        if !path.exists() {
            if value.contains(',') {
                return Ok(InventorySource::HostList(value.to_string()));
            }
            return Err(InventoryError::SourceNotFound {
                name: value.to_string(),
            });
        }
        if path.is_dir() {
            return Ok(match detect_dir(path, options) {
                Some(plugin) => InventorySource::Plugin {
                    path: path.to_path_buf(),
                    plugin,
                },
                None => InventorySource::Directory(path.to_path_buf()),
            });
        }
        Ok(match read_source_file(path, options)? {
            Loaded::Ini(_) => InventorySource::Ini(path.to_path_buf()),
            Loaded::Yaml(_) => InventorySource::Yaml(path.to_path_buf()),
            Loaded::Plugin(plugin) => InventorySource::Plugin {
                path: path.to_path_buf(),
                plugin,
            },
        })
    }

    /// The folder whose group_vars/host_vars apply to this source (none for host lists).
    pub fn vars_base(&self) -> Option<PathBuf> {
        match self {
            InventorySource::HostList(_) => None,
            InventorySource::Directory(dir) => Some(dir.clone()),
            InventorySource::Ini(p)
            | InventorySource::Yaml(p)
            | InventorySource::Plugin { path: p, .. } => Some(parent_of(p)),
        }
    }
}

/// The folder a file sits in (`.` for a bare file name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reads a text file, decrypting it first when ansible-vault encrypted it as a whole.
pub(crate) fn read_text(path: &Path, options: &LoadOptions<'_>) -> Result<String, InventoryError> {
    let text = std::fs::read_to_string(path).map_err(|err| InventoryError::Read {
        path: path.display().to_string(),
        err,
    })?;
    if !text.starts_with("$ANSIBLE_VAULT;") {
        return Ok(text);
    }
    let Some(vault) = options.vault else {
        return Err(InventoryError::Unsupported {
            path: path.display().to_string(),
            message: "this file is encrypted with ansible-vault; give the vault password (e.g. \
                      --vault-password-file) so play can decrypt it"
                .into(),
        });
    };
    vault
        .decrypt(path, &text)
        .map_err(|message| InventoryError::Unsupported {
            path: path.display().to_string(),
            message: format!("cannot decrypt this ansible-vault file: {message}"),
        })
}

fn read_source_file(path: &Path, options: &LoadOptions<'_>) -> Result<Loaded, InventoryError> {
    let text = read_text(path, options)?;
    let unsupported = |message: &str| InventoryError::Unsupported {
        path: path.display().to_string(),
        message: message.into(),
    };
    if text.starts_with("#!") {
        return Err(unsupported(
            "this looks like an inventory script; play does not run scripts: write its output as a \
             YAML inventory, or use a dynamic source (plugin: ...)",
        ));
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "ini" => Ok(Loaded::Ini(text)),
        "toml" => Err(unsupported(
            "TOML inventories are not supported; convert it to INI or YAML",
        )),
        "yml" | "yaml" | "json" => yaml_or_plugin(parse_str(&text, path)?, path, options),
        // No telling extension: a mapping of groups is YAML, anything else is read as INI
        // (Ansible tries its YAML plugin first and falls back to INI the same way).
        _ => match parse_str(&text, path) {
            Ok(node) if looks_like_yaml_inventory(&node) => yaml_or_plugin(node, path, options),
            _ => Ok(Loaded::Ini(text)),
        },
    }
}

/// The plugin that claims a folder by its content (a Terraform configuration), if any.
fn detect_dir(path: &Path, options: &LoadOptions<'_>) -> Option<String> {
    options.plugins.iter().find_map(|p| p.detect(path, None))
}

fn yaml_or_plugin(
    node: Node,
    path: &Path,
    options: &LoadOptions<'_>,
) -> Result<Loaded, InventoryError> {
    if let Some(plugin) = options
        .plugins
        .iter()
        .find_map(|p| p.detect(path, Some(&node)))
    {
        return Ok(Loaded::Plugin(plugin));
    }
    if let Some(map) = node.as_map() {
        if let Some((loc, plugin)) = map.get("plugin") {
            return match plugin.as_str() {
                Some(name) => Ok(Loaded::Plugin(name.to_string())),
                None => Err(InventoryError::invalid(
                    loc,
                    "`plugin:` must name an inventory plugin, e.g. `plugin: google.cloud.gcp_compute`",
                )),
            };
        }
    }
    Ok(Loaded::Yaml(node))
}

fn looks_like_yaml_inventory(node: &Node) -> bool {
    node.as_map().is_some_and(|m| {
        m.contains_key("plugin")
            || m.values()
                .all(|(_, v)| matches!(v.kind, NodeKind::Map(_) | NodeKind::Null))
    })
}

/// Everything [`Inventory::load_with`] does.
pub(crate) fn load(
    sources: &[String],
    playbook_dir: Option<&Path>,
    options: &LoadOptions<'_>,
) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::new();
    inv.loading = true;
    let mut bases = Vec::new();
    for value in sources {
        let path = Path::new(value);
        if !path.exists() {
            if !value.contains(',') {
                return Err(InventoryError::SourceNotFound {
                    name: value.to_string(),
                });
            }
            load_host_list(value, &mut inv);
        } else if path.is_dir() {
            bases.push(path.to_path_buf());
            match detect_dir(path, options) {
                Some(plugin) => populate(path, &plugin, &mut inv, options)?,
                None => load_dir(path, &mut inv, options)?,
            }
        } else {
            bases.push(parent_of(path));
            load_file(path, &mut inv, options)?;
        }
    }
    inv.loading = false;
    inv.reconcile();
    for base in bases {
        inv.inventory_vars.push(VarsDir::load(&base, options)?);
    }
    if let Some(dir) = playbook_dir {
        inv.playbook_vars = Some(VarsDir::load(dir, options)?);
    }
    Ok(inv)
}

/// Ansible's host_list plugin: `a,b:2222,,c`.
fn load_host_list(list: &str, inv: &mut Inventory) {
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (host, port) = parse_address(item, false).unwrap_or_else(|_| (item.to_string(), None));
        if inv.host(&host).is_none() {
            inv.insert_host(&host, Some("ungrouped"), port, None);
        }
    }
}

fn load_dir(
    dir: &Path,
    inv: &mut Inventory,
    options: &LoadOptions<'_>,
) -> Result<(), InventoryError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .and_then(|rd| rd.map(|e| e.map(|e| e.path())).collect())
        .map_err(|err| InventoryError::Read {
            path: dir.display().to_string(),
            err,
        })?;
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ignored = name.starts_with('.')
            || matches!(name.as_str(), "group_vars" | "host_vars" | "vars_plugins")
            || REJECTED_SUFFIXES.iter().any(|s| name.ends_with(s));
        if ignored {
            continue;
        }
        if path.is_dir() {
            match detect_dir(&path, options) {
                Some(plugin) => populate(&path, &plugin, inv, options)?,
                None => load_dir(&path, inv, options)?,
            }
        } else {
            load_file(&path, inv, options)?;
        }
    }
    Ok(())
}

fn load_file(
    path: &Path,
    inv: &mut Inventory,
    options: &LoadOptions<'_>,
) -> Result<(), InventoryError> {
    match read_source_file(path, options)? {
        Loaded::Ini(text) => ini::parse(&text, path, inv),
        Loaded::Yaml(node) => yaml_format::parse(&node, path, inv),
        Loaded::Plugin(plugin) => populate(path, &plugin, inv, options),
    }
}

/// Hands a plugin config (or a file or folder a plugin claimed) to the source that reads it.
fn populate(
    path: &Path,
    plugin: &str,
    inv: &mut Inventory,
    options: &LoadOptions<'_>,
) -> Result<(), InventoryError> {
    match options.plugins.iter().find(|p| p.accepts(plugin)) {
        Some(source) => source.populate(path, inv),
        None => Err(InventoryError::Unsupported {
            path: path.display().to_string(),
            message: format!(
                "inventory plugin '{plugin}' is not available in play; use a static INI or YAML \
                 inventory, or a plugin play supports (google.cloud.gcp_compute, \
                 amazon.aws.aws_ec2)"
            ),
        }),
    }
}
