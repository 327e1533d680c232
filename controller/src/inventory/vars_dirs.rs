//! `group_vars/` and `host_vars/` folders, read as Ansible's `host_group_vars` plugin reads them.
//!
//! For a group or host NAME, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that
//! exists is used; when it is a folder, every file in it (sorted, recursing into sub-folders,
//! skipping hidden files, `*~` backups and other extensions) is merged in that order. The
//! folders are read in full when the inventory loads, so a broken vars file is reported
//! before any host is touched, and hosts added later by dynamic sources find their files too.
//! Files that are clearly not vars files (`README.md`, `*.txt`, `*.bak`, ...) are skipped.

use super::source::{read_text, LoadOptions};
use super::{InventoryError, Vars};
use crate::yaml::{parse_str, NodeKind};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Ansible's YAML_FILENAME_EXTENSIONS, tried in this order after the bare name.
const EXTENSIONS: [&str; 3] = [".yml", ".yaml", ".json"];

/// Extensions Ansible never treats as inventory or vars files (REJECT_EXTS and friends).
pub(crate) const REJECTED_SUFFIXES: [&str; 12] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];

/// The group_vars and host_vars folders of one base folder.
#[derive(Debug, Clone, Default)]
pub(crate) struct VarsDir {
    pub group_vars: VarsFolder,
    pub host_vars: VarsFolder,
}

/// One `group_vars/` or `host_vars/` folder: every entry, already parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct VarsFolder {
    /// Entry file name -> the vars of its files, in merge order.
    entries: BTreeMap<String, Vec<Vars>>,
}

impl VarsDir {
    /// Reads `base/group_vars` and `base/host_vars`; missing folders are simply empty.
    pub fn load(base: &Path, options: &LoadOptions<'_>) -> Result<VarsDir, InventoryError> {
        Ok(VarsDir {
            group_vars: VarsFolder::load(&base.join("group_vars"), options)?,
            host_vars: VarsFolder::load(&base.join("host_vars"), options)?,
        })
    }
}

impl VarsFolder {
    fn load(dir: &Path, options: &LoadOptions<'_>) -> Result<VarsFolder, InventoryError> {
        let mut folder = VarsFolder::default();
        if !dir.exists() {
            return Ok(folder);
        }
        if !dir.is_dir() {
            return Err(InventoryError::Unsupported {
                path: dir.display().to_string(),
                message:
                    "this is a file, but it must be a folder holding one vars file (or folder) per \
                          group or host; rename it or move its content into e.g. all.yml inside it"
                        .into(),
            });
        }
        for (name, path) in sorted_entries(dir)? {
            if name.starts_with('.') || REJECTED_SUFFIXES.iter().any(|s| name.ends_with(s)) {
                continue;
            }
            let files = if path.is_dir() {
                let mut files = Vec::new();
                collect_dir_files(&path, &mut files)?;
                files
            } else {
                vec![path]
            };
            let mut vars = Vec::with_capacity(files.len());
            for file in files {
                if let Some(v) = load_vars_file(&file, options)? {
                    vars.push(v);
                }
            }
            folder.entries.insert(name, vars);
        }
        Ok(folder)
    }

    /// The vars files that apply to `name`, in merge order (Ansible's `find_vars_files`).
    pub fn lookup(&self, name: &str) -> &[Vars] {
        std::iter::once("")
            .chain(EXTENSIONS)
            .find_map(|ext| self.entries.get(&format!("{name}{ext}")))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, InventoryError> {
    let read_err = |err| InventoryError::Read {
        path: dir.display().to_string(),
        err,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        entries.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    entries.sort();
    Ok(entries)
}

/// Files of a `NAME/` folder as Ansible's `_get_dir_vars_files` lists them.
fn collect_dir_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InventoryError> {
    for (name, path) in sorted_entries(dir)? {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let ext = Path::new(&name)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        if path.is_dir() && ext.is_empty() {
            collect_dir_files(&path, out)?;
        } else if path.is_file() && (ext.is_empty() || EXTENSIONS.contains(&ext.as_str())) {
            out.push(path);
        }
    }
    Ok(())
}

/// One vars file: a mapping of variables, or None when the file is empty.
pub(crate) fn load_vars_file(
    path: &Path,
    options: &LoadOptions<'_>,
) -> Result<Option<Vars>, InventoryError> {
    let text = read_text(path, options)?;
    let root = parse_str(&text, path)?;
    match root.kind {
        NodeKind::Null => Ok(None),
        NodeKind::Map(_) => match root.to_value() {
            serde_json::Value::Object(map) => Ok(Some(map.into_iter().collect())),
            _ => unreachable!("a mapping node gives an object"),
        },
        _ => Err(InventoryError::invalid(
            &root.loc,
            format!(
                "a vars file must be a mapping of variable names to values (`name: value`), found {}",
                root.type_name()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs;

    #[test]
    fn finds_files_by_name_and_extension_and_merges_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let gv = tmp.path().join("group_vars");
        fs::create_dir_all(gv.join("web/nested")).unwrap();
        fs::write(gv.join("all.yml"), "a: 1\n").unwrap();
        fs::write(gv.join("db"), "b: 2\n").unwrap();
        fs::write(gv.join("db.yml"), "b: 3\n").unwrap(); // shadowed: the bare name comes first
        fs::write(gv.join("lb.json"), "{\"c\": [1]}").unwrap();
        fs::write(gv.join("web/10-base.yml"), "x: base\ny: base\n").unwrap();
        fs::write(gv.join("web/20-over.yaml"), "y: over\n").unwrap();
        fs::write(gv.join("web/nested/30.yml"), "z: nested\n").unwrap();
        fs::write(gv.join("web/notes.txt"), "not: read\n").unwrap();
        fs::write(gv.join("web/backup.yml~"), "x: old\n").unwrap();
        fs::write(gv.join("README.md"), "# docs\n").unwrap();
        fs::write(gv.join("empty.yml"), "").unwrap();
        let dir = VarsDir::load(tmp.path(), &LoadOptions::default()).unwrap();
        let one = |name: &str| -> Vars {
            dir.group_vars
                .lookup(name)
                .iter()
                .fold(Vars::new(), |mut acc, v| {
                    acc.extend(v.clone());
                    acc
                })
        };
        assert_eq!(one("all")["a"], json!(1));
        assert_eq!(one("db")["b"], json!(2));
        assert_eq!(one("lb")["c"], json!([1]));
        let web = one("web");
        assert_eq!(
            (&web["x"], &web["y"], &web["z"]),
            (&json!("base"), &json!("over"), &json!("nested"))
        );
        assert!(!web.contains_key("not"));
        assert!(one("empty").is_empty());
        assert!(one("missing").is_empty());
        assert!(dir.host_vars.lookup("anything").is_empty());
    }

    #[test]
    fn bad_vars_files_are_errors_with_location() {
        let tmp = tempfile::tempdir().unwrap();
        let hv = tmp.path().join("host_vars");
        fs::create_dir_all(&hv).unwrap();
        fs::write(hv.join("web1.yml"), "- just\n- a list\n").unwrap();
        let err = VarsDir::load(tmp.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("web1.yml:1:1: a vars file must be a mapping of variable names to values (`name: value`), found a list"), "{err}");
    }

    #[test]
    fn a_group_vars_file_instead_of_folder_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("group_vars"), "a: 1\n").unwrap();
        let err = VarsDir::load(tmp.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be a folder"), "{err}");
    }
}
