//! State shared while one playbook (or one run-time task file) loads: the error collector,
//! and where the tasks being parsed come from (for relative paths and import cycles).

use super::error::Errors;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One load: errors so far, and the `include_tasks` files already validated (a file included
/// from many places is checked once).
#[derive(Default)]
pub(crate) struct Loader {
    pub errs: Errors,
    pub validated: HashSet<PathBuf>,
}

/// Where the tasks being parsed come from.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// Directory of the file being parsed: relative task files are looked up here first.
    pub dir: PathBuf,
    /// The playbook's directory: looked up second, as Ansible also searches it.
    pub root_dir: PathBuf,
    /// Files being read, outermost (the playbook) first, ending with the current one; their
    /// canonical paths, so an import cycle is found however it is spelt.
    pub chain: Vec<PathBuf>,
    /// Parsing a `handlers:` list (`listen` is allowed).
    pub handlers: bool,
}

impl Scope {
    /// The scope for a file about to be read from this one.
    pub fn enter(&self, file: &Path) -> Scope {
        let mut chain = self.chain.clone();
        chain.push(canonical(file));
        Scope {
            dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            root_dir: self.root_dir.clone(),
            chain,
            handlers: self.handlers,
        }
    }
}

/// The path with symlinks and `..` resolved when the file exists; as given otherwise.
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A short name for a file in messages: relative to `root` when it is below it.
pub(crate) fn short(path: &Path, root: &Path) -> String {
    let root = canonical(root);
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
