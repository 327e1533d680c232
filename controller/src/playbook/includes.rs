//! `import_tasks` (static: read now, cycles are errors) and `include_tasks` (dynamic: kept for
//! run time, but a literal file name is read now so its errors come before any host is
//! contacted), plus the loaders the run engine calls for templated includes.
//!
//! Relative names are looked up beside the including file first, then in the playbook's
//! directory, as Ansible searches both.

use super::context::{canonical, short, Loader, Scope};
use super::error::{ErrorKind, PlaybookError};
use super::inherit::inherit_tags;
use super::model::Task;
use super::task::parse_task_list;
use super::values::{describe, is_template};
use crate::yaml::{parse_file, Location, Node, NodeKind};
use std::path::{Path, PathBuf};

/// Finds a task file named `name` (already rendered) as play does at load time: beside the
/// including file (`base_dir`), then in the playbook's directory. `None` when neither exists.
pub fn find_task_file(base_dir: &Path, name: &str, playbook_dir: &Path) -> Option<PathBuf> {
    candidates(base_dir, playbook_dir, name)
        .into_iter()
        .find(|p| p.is_file())
}

fn candidates(dir: &Path, root_dir: &Path, name: &str) -> Vec<PathBuf> {
    let path = Path::new(name);
    if path.is_absolute() {
        return vec![path.to_path_buf()];
    }
    let mut out = vec![dir.join(path)];
    let second = root_dir.join(path);
    if second != out[0] {
        out.push(second);
    }
    out
}

/// The file name of an import/include: `import_tasks: x.yml` or `import_tasks: {file: x.yml}`.
fn file_name<'a>(key: &str, value: &'a Node, ld: &mut Loader) -> Option<(String, &'a Node)> {
    match &value.kind {
        NodeKind::String(s) if !s.trim().is_empty() => Some((s.trim().to_string(), value)),
        NodeKind::Map(entries) => {
            let mut file = None;
            for (k, (kloc, v)) in entries {
                match k.as_str() {
                    "file" | "_raw_params" => file = Some(v),
                    "apply" if key.ends_with("include_tasks") => ld.errs.at(
                        ErrorKind::Unsupported,
                        kloc,
                        "`apply` is not supported yet: put the keywords on the tasks of the \
                         included file, or wrap the include in a `block:`",
                    ),
                    _ => ld.errs.at(
                        ErrorKind::Option,
                        kloc,
                        format!("`{key}` has no option `{k}`; it takes `file`"),
                    ),
                }
            }
            match file {
                Some(v) => file_name(key, v, ld),
                None => {
                    ld.errs.at(
                        ErrorKind::Option,
                        &value.loc,
                        format!("`{key}` needs a file: `{key}: tasks/setup.yml`"),
                    );
                    None
                }
            }
        }
        _ => {
            ld.errs.at(
                ErrorKind::Type,
                &value.loc,
                format!(
                    "`{key}` needs a file name, e.g. `{key}: tasks/setup.yml`, found {}",
                    describe(value)
                ),
            );
            None
        }
    }
}

/// Resolves `name` for `key` at `loc`, or records a "not found" error naming what was tried.
fn resolve(
    key: &str,
    name: &str,
    loc: &Location,
    scope: &Scope,
    ld: &mut Loader,
) -> Option<PathBuf> {
    let tried = candidates(&scope.dir, &scope.root_dir, name);
    if let Some(found) = tried.iter().find(|p| p.is_file()) {
        return Some(found.clone());
    }
    let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
    ld.errs.at(
        ErrorKind::File,
        loc,
        format!(
            "`{key}`: file `{name}` not found (looked for {}): fix the name; it is relative to \
             the file that names it",
            tried.join(" and ")
        ),
    );
    None
}

/// `import_tasks`: reads the file now. Returns the resolved path and its tasks.
pub(crate) fn import_tasks(
    key: &str,
    value: &Node,
    scope: &Scope,
    ld: &mut Loader,
) -> Option<(PathBuf, Vec<Task>)> {
    let (name, name_node) = file_name(key, value, ld)?;
    if is_template(&name) {
        ld.errs.at(
            ErrorKind::Unsupported,
            &name_node.loc,
            format!(
                "`{key}` is static, so its file name cannot hold a template (`{name}`): use \
                 `include_tasks` to choose the file at run time"
            ),
        );
        return None;
    }
    let path = resolve(key, &name, &name_node.loc, scope, ld)?;
    let canon = canonical(&path);
    if scope.chain.contains(&canon) {
        let mut names: Vec<String> = scope
            .chain
            .iter()
            .skip_while(|p| **p != canon)
            .map(|p| short(p, &scope.root_dir))
            .collect();
        names.push(short(&canon, &scope.root_dir));
        ld.errs.at(
            ErrorKind::Circular,
            &name_node.loc,
            format!(
                "circular import: {}; remove the import that leads back",
                names.join(" -> ")
            ),
        );
        return None;
    }
    let tasks = read_task_file(&path, Some(&name_node.loc), &scope.enter(&path), ld);
    Some((path, tasks))
}

/// `include_tasks`: keeps the name for run time; a literal name is read now to validate it.
pub(crate) fn include_tasks(
    key: &str,
    value: &Node,
    scope: &Scope,
    ld: &mut Loader,
) -> Option<String> {
    let (name, name_node) = file_name(key, value, ld)?;
    if is_template(&name) {
        return Some(name);
    }
    let path = resolve(key, &name, &name_node.loc, scope, ld)?;
    let canon = canonical(&path);
    // A file that includes itself is legal (Ansible loads includes lazily, a `when` ends it);
    // it only needs checking once.
    if !scope.chain.contains(&canon) && ld.validated.insert(canon) {
        read_task_file(&path, Some(&name_node.loc), &scope.enter(&path), ld);
    }
    Some(name)
}

/// Reads a task file into tasks; errors go to `ld`. `scope` is already the file's own.
fn read_task_file(
    path: &Path,
    referenced_at: Option<&Location>,
    scope: &Scope,
    ld: &mut Loader,
) -> Vec<Task> {
    match parse_file(path) {
        Ok(root) => parse_task_list(&root, "a tasks file", scope, ld),
        Err(e) => {
            ld.errs
                .push(PlaybookError::from_yaml(e, path, referenced_at));
            Vec::new()
        }
    }
}

/// Loads a task file at run time, for an `include_tasks` whose name was a template. `chain`
/// is the files that led here, outermost (the playbook) first; its first entry's directory is
/// searched after `path`'s own for nested relative imports. The tasks carry the tags of
/// blocks inside the file; add the include's inherited ones with
/// [`inherit_tags`](super::inherit_tags).
pub fn load_task_file(path: &Path, chain: &[PathBuf]) -> Result<Vec<Task>, PlaybookError> {
    load(path, chain, false)
}

/// [`load_task_file`] for a file included from `handlers:` (`listen` is allowed).
pub fn load_handler_file(path: &Path, chain: &[PathBuf]) -> Result<Vec<Task>, PlaybookError> {
    load(path, chain, true)
}

fn load(path: &Path, chain: &[PathBuf], handlers: bool) -> Result<Vec<Task>, PlaybookError> {
    let root_dir = chain
        .first()
        .unwrap_or(&path.to_path_buf())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let outer = Scope {
        dir: PathBuf::new(),
        root_dir,
        chain: chain.iter().map(|p| canonical(p)).collect(),
        handlers,
    };
    let mut ld = Loader::default();
    let mut tasks = read_task_file(path, None, &outer.enter(path), &mut ld);
    match ld.errs.into_error() {
        Some(e) => Err(e),
        None => {
            inherit_tags(&mut tasks, &[]);
            Ok(tasks)
        }
    }
}
