//! `vars:` blocks, vars files and a play's `vars_files`: mappings of variable names to values,
//! names checked as Ansible checks them, every value's location kept for later template errors.

use super::context::{Loader, Scope};
use super::error::{ErrorKind, Errors, PlaybookError};
use super::model::{DeferredVarsFile, Play, Vars, VarsFile};
use super::values::{describe, is_identifier, is_template, to_string};
use crate::yaml::{parse_file, Location, Node, NodeKind};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};

/// Reads a `vars:` value: a mapping (Ansible 2.19 refuses the old list-of-mappings form too).
/// Each value's location goes into `locs` under `vars.<name>`.
pub(crate) fn parse_vars(
    node: &Node,
    locs: &mut IndexMap<String, Location>,
    errs: &mut Errors,
) -> Vars {
    let mut vars = Vars::new();
    let entries = match &node.kind {
        NodeKind::Null => return vars,
        NodeKind::Map(entries) => entries,
        _ => {
            errs.at(
                ErrorKind::Type,
                &node.loc,
                format!(
                    "`vars` must be a mapping of variable names to values, found {}",
                    describe(node)
                ),
            );
            return vars;
        }
    };
    for (name, (key_loc, value)) in entries {
        if !is_identifier(name) {
            errs.at(
                ErrorKind::Type,
                key_loc,
                format!(
                    "`{name}` is not a valid variable name: use letters, digits and `_`, not \
                     starting with a digit"
                ),
            );
            continue;
        }
        locs.insert(format!("vars.{name}"), value.loc.clone());
        vars.insert(name.clone(), value.to_value());
    }
    vars
}

/// Loads a vars file (a mapping; an empty file has no vars). `referenced_at` is where the file
/// was named, for the error when it cannot be read. The run engine uses this for `vars_files`
/// entries whose path is only known at run time.
pub fn load_vars_file(
    path: &Path,
    referenced_at: Option<&Location>,
) -> Result<VarsFile, PlaybookError> {
    let root = parse_file(path).map_err(|e| PlaybookError::from_yaml(e, path, referenced_at))?;
    let mut file = VarsFile {
        path: path.to_path_buf(),
        vars: Vars::new(),
        locs: IndexMap::new(),
    };
    match &root.kind {
        NodeKind::Null => {}
        NodeKind::Map(entries) => {
            for (name, (_, value)) in entries {
                file.locs.insert(name.clone(), value.loc.clone());
                file.vars.insert(name.clone(), value.to_value());
            }
        }
        _ => {
            return Err(PlaybookError::new(
                ErrorKind::Type,
                &root.loc,
                format!(
                    "a vars file must be a mapping of variable names to values, found {}",
                    describe(&root)
                ),
            ))
        }
    }
    Ok(file)
}

/// `vars_files`: each entry a path or a list of paths (the first that exists), relative to
/// the playbook's directory; literal ones are loaded now, templated ones kept for run time.
pub(crate) fn parse_vars_files(v: &Node, scope: &Scope, play: &mut Play, ld: &mut Loader) {
    let entries: Vec<&Node> = match &v.kind {
        NodeKind::Null => return,
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::String(_) => vec![v],
        _ => {
            ld.errs.at(
                ErrorKind::Type,
                &v.loc,
                format!(
                    "`vars_files` must be a list of file names, found {}",
                    describe(v)
                ),
            );
            return;
        }
    };
    for (i, entry) in entries.into_iter().enumerate() {
        play.locs
            .insert(format!("vars_files.{i}"), entry.loc.clone());
        let candidates: Vec<String> = match &entry.kind {
            NodeKind::String(s) => vec![s.clone()],
            NodeKind::Seq(items) => {
                let names: Result<Vec<String>, PlaybookError> =
                    items.iter().map(|n| to_string(n, "vars_files")).collect();
                match names {
                    Ok(names) if !names.is_empty() => names,
                    Ok(_) => {
                        ld.errs.at(
                            ErrorKind::Type,
                            &entry.loc,
                            "an empty list in `vars_files` names no file",
                        );
                        continue;
                    }
                    Err(e) => {
                        ld.errs.push(e);
                        continue;
                    }
                }
            }
            _ => {
                ld.errs.at(
                    ErrorKind::Type,
                    &entry.loc,
                    format!(
                        "each `vars_files` entry is a file name or a list of them (the first that exists), found {}",
                        describe(entry)
                    ),
                );
                continue;
            }
        };
        if candidates.iter().any(|c| is_template(c)) {
            play.vars_files_deferred.push(DeferredVarsFile {
                candidates,
                base_dir: scope.dir.clone(),
                position: play.vars_files.len(),
                loc: entry.loc.clone(),
            });
            continue;
        }
        let paths: Vec<PathBuf> = candidates.iter().map(|c| scope.dir.join(c)).collect();
        match paths.iter().find(|p| p.is_file()) {
            Some(path) => match load_vars_file(path, Some(&entry.loc)) {
                Ok(file) => play.vars_files.push(file),
                Err(e) => ld.errs.push(e),
            },
            None => {
                let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                let message = if shown.len() == 1 {
                    format!(
                        "vars file not found: {}: create it or fix the path (it is relative to \
                         the playbook's directory)",
                        shown[0]
                    )
                } else {
                    format!(
                        "none of these vars files exists: {}: create one or fix the paths",
                        shown.join(", ")
                    )
                };
                ld.errs.at(ErrorKind::File, &entry.loc, message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;

    fn vars_of(text: &str) -> (Vars, IndexMap<String, Location>, Errors) {
        let node = parse_str(text, Path::new("p.yml")).unwrap();
        let mut locs = IndexMap::new();
        let mut errs = Errors::default();
        let vars = parse_vars(&node, &mut locs, &mut errs);
        (vars, locs, errs)
    }

    #[test]
    fn a_mapping_not_a_list() {
        let (v, locs, errs) = vars_of("a: 1\nb: '{{ a }}'\n");
        assert!(errs.is_empty());
        assert_eq!(v["a"], 1);
        assert_eq!(locs["vars.b"].line, 2);
        let (v, _, errs) = vars_of("- a: 1\n- c: x\n");
        assert!(v.is_empty());
        assert!(errs.into_error().unwrap().message.contains("found a list"));
    }

    #[test]
    fn bad_names_and_types_are_errors() {
        let (v, _, errs) = vars_of("ok: 1\nmy-var: 2\n");
        assert_eq!(v.len(), 1);
        let e = errs.into_error().unwrap();
        assert_eq!(e.loc.as_ref().unwrap().line, 2);
        assert!(e.message.contains("`my-var` is not a valid variable name"));
        let (_, _, errs) = vars_of("just a string");
        assert!(errs
            .into_error()
            .unwrap()
            .message
            .contains("must be a mapping"));
    }

    #[test]
    fn vars_files_load_or_say_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.yml");
        std::fs::write(&good, "pkg: tree\nport: 22\n").unwrap();
        let f = load_vars_file(&good, None).unwrap();
        assert_eq!(f.vars["pkg"], "tree");
        assert_eq!(f.locs["port"].line, 2);
        let empty = dir.path().join("empty.yml");
        std::fs::write(&empty, "# nothing\n").unwrap();
        assert!(load_vars_file(&empty, None).unwrap().vars.is_empty());
        let list = dir.path().join("list.yml");
        std::fs::write(&list, "- a\n").unwrap();
        assert_eq!(
            load_vars_file(&list, None).unwrap_err().kind,
            ErrorKind::Type
        );
        let missing = load_vars_file(&dir.path().join("nope.yml"), None).unwrap_err();
        assert_eq!(missing.kind, ErrorKind::File);
    }
}
