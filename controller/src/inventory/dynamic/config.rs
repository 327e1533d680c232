//! Reading a plugin config file (`gcp.yml`, `aws_ec2.yml`) with file:line:column errors.
//!
//! Both cloud plugins share Ansible's option groups: the "constructed" options (`compose`,
//! `groups`, `keyed_groups`, `strict`), the cache options and play's `bastion:` extra. This
//! file reads those and offers a small typed view of a mapping ([`Section`]) so each plugin
//! reads its own options the same way: a wrong type or an unknown key is an error at the
//! value's location, with a did-you-mean for typos.

use super::bastion::BastionSpec;
use super::cache::CacheSettings;
use crate::inventory::InventoryError;
use crate::yaml::{parse_str, Location, Node, NodeKind};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located<T> {
    pub value: T,
    pub loc: Location,
}

/// Options every plugin accepts: Ansible's `constructed`, cache and play's extras.
pub(crate) const COMMON_KEYS: &[&str] = &[
    "plugin",
    "strict",
    "compose",
    "groups",
    "keyed_groups",
    "leading_separator",
    "use_extra_vars",
    "use_contrib_script_compatible_sanitization",
    "cache",
    "cache_timeout",
    "cache_connection",
    "cache_plugin",
    "cache_prefix",
    "bastion",
];

/// A parsed plugin config: its root mapping.
pub(crate) struct ConfigFile {
    pub path: PathBuf,
    root: Node,
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<ConfigFile, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|err| InventoryError::Read {
            path: path.display().to_string(),
            err,
        })?;
        let root = parse_str(&text, path)?;
        if root.as_map().is_none() {
            return Err(InventoryError::invalid(
                &root.loc,
                format!(
                    "an inventory plugin config must be a mapping (`plugin: ...` and its options), \
                     found {}",
                    root.type_name()
                ),
            ));
        }
        Ok(ConfigFile {
            path: path.to_path_buf(),
            root,
        })
    }

    pub fn section(&self) -> Section<'_> {
        Section::of(&self.root).expect("checked in read")
    }

    /// The folder relative paths in the config are read from.
    pub fn base_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// A path option: `~` is the home folder, and a relative path is relative to the config's
    /// folder (scheduled runs start in any folder, the config's neighbours stay put).
    pub fn resolve_path(&self, value: &str) -> PathBuf {
        let expanded = match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
            _ => PathBuf::from(value),
        };
        if expanded.is_absolute() {
            expanded
        } else {
            self.base_dir().join(expanded)
        }
    }
}

/// A typed view of one YAML mapping.
#[derive(Clone, Copy)]
pub(crate) struct Section<'a> {
    map: &'a IndexMap<String, (Location, Node)>,
    pub loc: &'a Location,
}

impl<'a> Section<'a> {
    pub fn of(node: &'a Node) -> Option<Section<'a>> {
        node.as_map().map(|map| Section {
            map,
            loc: &node.loc,
        })
    }

    /// A mapping-valued option, or an error saying what was found.
    pub fn expect_map(node: &'a Node, what: &str) -> Result<Section<'a>, InventoryError> {
        Section::of(node).ok_or_else(|| {
            InventoryError::invalid(
                &node.loc,
                format!("{what} must be a mapping, found {}", node.type_name()),
            )
        })
    }

    /// Fails on the first key outside `allowed`, suggesting the closest allowed key.
    pub fn check_keys(&self, allowed: &[&[&str]], what: &str) -> Result<(), InventoryError> {
        let all = || allowed.iter().flat_map(|set| set.iter().copied());
        for (key, (loc, _)) in self.map {
            if all().any(|k| k == key) {
                continue;
            }
            let hint = match did_you_mean(key, all()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => {
                    let mut names: Vec<&str> = all().collect();
                    names.sort_unstable();
                    format!("known options: {}", names.join(", "))
                }
            };
            return Err(InventoryError::invalid(
                loc,
                format!("unknown option `{key}` for {what}; {hint}"),
            ));
        }
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<(&'a Location, &'a Node)> {
        self.map
            .get(key)
            .map(|(l, n)| (l, n))
            .filter(|(_, n)| !n.is_null())
    }

    pub fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Location, &'a Node)> {
        self.map.iter().map(|(k, (l, n))| (k, l, n))
    }

    pub fn string(&self, key: &str) -> Result<Option<Located<String>>, InventoryError> {
        let Some((_, node)) = self.get(key) else {
            return Ok(None);
        };
        match scalar_text(node) {
            Some(value) => Ok(Some(Located {
                value,
                loc: node.loc.clone(),
            })),
            None => Err(InventoryError::invalid(
                &node.loc,
                format!("`{key}` must be a string, found {}", node.type_name()),
            )),
        }
    }

    /// A list of strings; a single string counts as a list of one.
    pub fn strings(&self, key: &str) -> Result<Vec<Located<String>>, InventoryError> {
        let Some((_, node)) = self.get(key) else {
            return Ok(Vec::new());
        };
        let items: Vec<&Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        items
            .into_iter()
            .map(|item| match scalar_text(item) {
                Some(value) => Ok(Located {
                    value,
                    loc: item.loc.clone(),
                }),
                None => Err(InventoryError::invalid(
                    &item.loc,
                    format!(
                        "`{key}` must be a list of strings, found {} in it",
                        item.type_name()
                    ),
                )),
            })
            .collect()
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, InventoryError> {
        let Some((_, node)) = self.get(key) else {
            return Ok(None);
        };
        match &node.kind {
            NodeKind::Bool(b) => Ok(Some(*b)),
            _ => Err(InventoryError::invalid(
                &node.loc,
                format!("`{key}` must be true or false, found {}", node.type_name()),
            )),
        }
    }

    pub fn integer(&self, key: &str) -> Result<Option<u64>, InventoryError> {
        let Some((_, node)) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match &node.kind {
            NodeKind::Int(i) => u64::try_from(*i).ok(),
            NodeKind::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| {
            InventoryError::invalid(
                &node.loc,
                format!("`{key}` must be a whole number of 0 or more"),
            )
        })
    }

    /// Fails when `key` is set to anything but its default (options play knows but does not do).
    pub fn reject_unless_default(
        &self,
        key: &str,
        default: &NodeKind,
        why: &str,
    ) -> Result<(), InventoryError> {
        match self.get(key) {
            Some((_, node)) if &node.kind != default => Err(InventoryError::invalid(
                &node.loc,
                format!("`{key}`: {why}"),
            )),
            _ => Ok(()),
        }
    }
}

/// A scalar as text (numbers and booleans as written in YAML 1.1 terms).
pub(crate) fn scalar_text(node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::String(s) => Some(s.clone()),
        NodeKind::Int(i) => Some(i.to_string()),
        NodeKind::Float(f) => Some(f.to_string()),
        NodeKind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The closest candidate within a typo's distance (one edit, two for longer words).
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = if word.chars().count() >= 6 { 2 } else { 1 };
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Ansible's `constructed` options: variables and groups made from each host's facts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Constructed {
    /// Undefined variables and bad expressions fail the load instead of being skipped.
    pub strict: bool,
    /// `var: expression`, in file order (a later expression sees the earlier results).
    pub compose: Vec<(String, Located<String>)>,
    /// `group: condition`.
    pub groups: Vec<(String, Located<String>)>,
    pub keyed_groups: Vec<KeyedGroup>,
    /// Ansible puts the separator before a keyed group name even with no prefix (`_web`).
    pub leading_separator: bool,
}

/// One `keyed_groups` entry.
#[derive(Debug, Clone)]
pub(crate) struct KeyedGroup {
    pub key: Located<String>,
    pub prefix: String,
    pub separator: String,
    pub parent_group: Option<String>,
    pub default_value: Option<String>,
    pub trailing_separator: Option<bool>,
}

/// Everything a cloud plugin shares: constructed options, cache and bastion.
pub(crate) struct Common {
    pub constructed: Constructed,
    pub cache: CacheSettings,
    pub bastion: Option<BastionSpec>,
}

impl Common {
    pub fn read(config: &ConfigFile) -> Result<Common, InventoryError> {
        let section = config.section();
        section.reject_unless_default(
            "use_extra_vars",
            &NodeKind::Bool(false),
            "play does not pass extra vars to inventory plugins; compose from the host's facts",
        )?;
        Ok(Common {
            constructed: read_constructed(&section)?,
            cache: CacheSettings::read(config, &section)?,
            bastion: BastionSpec::read(&section)?,
        })
    }
}

fn read_constructed(section: &Section<'_>) -> Result<Constructed, InventoryError> {
    let mut out = Constructed {
        strict: section.boolean("strict")?.unwrap_or(false),
        leading_separator: section.boolean("leading_separator")?.unwrap_or(true),
        ..Constructed::default()
    };
    out.compose = expression_map(section, "compose")?;
    out.groups = expression_map(section, "groups")?;
    if let Some((_, node)) = section.get("keyed_groups") {
        let Some(items) = node.as_seq() else {
            return Err(InventoryError::invalid(
                &node.loc,
                "`keyed_groups` must be a list of entries like `- key: labels.role`",
            ));
        };
        for item in items {
            out.keyed_groups.push(read_keyed_group(item)?);
        }
    }
    Ok(out)
}

/// `compose:` / `groups:`: names to Jinja expressions (scalars are expressions too: `22`).
fn expression_map(
    section: &Section<'_>,
    key: &str,
) -> Result<Vec<(String, Located<String>)>, InventoryError> {
    let Some((_, node)) = section.get(key) else {
        return Ok(Vec::new());
    };
    let map = Section::expect_map(node, &format!("`{key}`"))?;
    map.entries()
        .map(|(name, _, value)| match scalar_text(value) {
            Some(expr) => Ok((
                name.clone(),
                Located {
                    value: expr,
                    loc: value.loc.clone(),
                },
            )),
            None => Err(InventoryError::invalid(
                &value.loc,
                format!(
                    "`{key}.{name}` must be a Jinja expression written as a string, found {}",
                    value.type_name()
                ),
            )),
        })
        .collect()
}

const KEYED_GROUP_KEYS: &[&str] = &[
    "key",
    "prefix",
    "separator",
    "parent_group",
    "default_value",
    "trailing_separator",
];

fn read_keyed_group(item: &Node) -> Result<KeyedGroup, InventoryError> {
    let entry = Section::expect_map(item, "a `keyed_groups` entry")?;
    entry.check_keys(&[KEYED_GROUP_KEYS], "a `keyed_groups` entry")?;
    let key = entry.string("key")?.ok_or_else(|| {
        InventoryError::invalid(
            &item.loc,
            "a `keyed_groups` entry needs `key:` (an expression such as `labels.role`)",
        )
    })?;
    let default_value = entry.string("default_value")?.map(|l| l.value);
    let trailing_separator = entry.boolean("trailing_separator")?;
    if default_value.is_some() && trailing_separator.is_some() {
        return Err(InventoryError::invalid(
            &item.loc,
            "`default_value` and `trailing_separator` cannot both be set in one keyed group; keep one",
        ));
    }
    Ok(KeyedGroup {
        key,
        prefix: entry.string("prefix")?.map(|l| l.value).unwrap_or_default(),
        separator: entry
            .string("separator")?
            .map(|l| l.value)
            .unwrap_or_else(|| "_".into()),
        parent_group: entry.string("parent_group")?.map(|l| l.value),
        default_value,
        trailing_separator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, ConfigFile) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gcp.yml");
        std::fs::write(&path, text).unwrap();
        let config = ConfigFile::read(&path).unwrap();
        (dir, config)
    }

    #[test]
    fn unknown_keys_name_the_location_and_a_close_match() {
        let (_d, c) = config("plugin: gcp_compute\nkeyed_group:\n  - key: labels\n");
        let err = c
            .section()
            .check_keys(&[COMMON_KEYS], "the gcp_compute plugin")
            .unwrap_err()
            .to_string();
        assert!(err.contains("gcp.yml:2:1"), "{err}");
        assert!(err.contains("did you mean `keyed_groups`?"), "{err}");
    }

    #[test]
    fn constructed_options_keep_order_and_locations() {
        let (_d, c) = config(
            "plugin: gcp_compute\nstrict: true\ncompose:\n  ansible_host: networkInterfaces[0].networkIP\n  ansible_port: 2222\n\
             keyed_groups:\n  - key: labels.role\n    prefix: role\n  - key: zone\n    separator: ''\n",
        );
        let common = Common::read(&c).unwrap();
        let k = &common.constructed;
        assert!(k.strict);
        assert_eq!(k.compose[0].0, "ansible_host");
        assert_eq!(k.compose[1].1.value, "2222");
        assert_eq!(k.keyed_groups[0].prefix, "role");
        assert_eq!(k.keyed_groups[0].separator, "_");
        assert_eq!(k.keyed_groups[1].separator, "");
        assert_eq!(k.keyed_groups[0].key.loc.line, 7);
    }

    #[test]
    fn keyed_group_type_errors_point_at_the_value() {
        let (_d, c) = config("plugin: gcp_compute\nkeyed_groups:\n  - prefix: x\n");
        let err = Common::read(&c).err().unwrap().to_string();
        assert!(
            err.contains("gcp.yml:3:5") && err.contains("needs `key:`"),
            "{err}"
        );
        let (_d, c) = config("plugin: gcp_compute\nkeyed_groups: labels\n");
        let err = Common::read(&c).err().unwrap().to_string();
        assert!(
            err.contains("gcp.yml:2:15") && err.contains("must be a list"),
            "{err}"
        );
    }
}
