//! The one error type of playbook loading, and the collector that lets one load report every
//! problem of a file instead of stopping at the first.
//!
//! Each error names file:line:column and says what to do; `Display` prints
//! `file:line:col: message`, one line per error when several were found.

use crate::yaml::{Location, YamlError};
use std::fmt;
use std::path::Path;

/// What went wrong, for callers (and tests) that branch on it rather than on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not valid YAML.
    Syntax,
    /// A file that is missing or unreadable (playbook, vars file, imported tasks).
    File,
    /// A play, task, block or loop_control keyword that does not exist.
    Keyword,
    /// A keyword Ansible has but play does not support yet.
    Unsupported,
    /// An unknown module, two modules in a task, or none.
    Module,
    /// An option the module does not have, or one used wrongly.
    Option,
    /// A value of the wrong type (`retries: lots`, `tasks:` not a list).
    Type,
    /// `import_tasks` / `import_playbook` that loops back on itself.
    Circular,
    /// A Jinja syntax error found by [`crate::playbook::check_templates`].
    Template,
}

/// A located playbook error; `more` holds the further errors found in the same load.
#[derive(Debug, Clone, thiserror::Error)]
pub struct PlaybookError {
    pub kind: ErrorKind,
    pub loc: Option<Location>,
    pub message: String,
    /// Further errors of the same load, in the order they were found.
    pub more: Vec<PlaybookError>,
}

impl PlaybookError {
    pub fn new(kind: ErrorKind, loc: &Location, message: impl Into<String>) -> Self {
        PlaybookError {
            kind,
            loc: Some(loc.clone()),
            message: message.into(),
            more: Vec::new(),
        }
    }

    pub fn unlocated(kind: ErrorKind, message: impl Into<String>) -> Self {
        PlaybookError {
            kind,
            loc: None,
            message: message.into(),
            more: Vec::new(),
        }
    }

    /// This error and the further ones, flattened.
    pub fn all(&self) -> impl Iterator<Item = &PlaybookError> {
        std::iter::once(self).chain(self.more.iter())
    }

    /// A YAML error of `path`; `referenced_at` is where the file was named (an import, a
    /// vars_files entry), used when the file cannot even be read.
    pub(crate) fn from_yaml(err: YamlError, path: &Path, referenced_at: Option<&Location>) -> Self {
        match err {
            YamlError::Syntax { loc, msg } => {
                PlaybookError::new(ErrorKind::Syntax, &loc, format!("YAML syntax error: {msg}"))
            }
            YamlError::Vault { why, .. } => match referenced_at {
                Some(loc) => PlaybookError::new(ErrorKind::File, loc, why),
                None => PlaybookError::unlocated(ErrorKind::File, why),
            },
            YamlError::Read { source, .. } => {
                let message = format!("cannot read {}: {source}", path.display());
                match referenced_at {
                    Some(loc) => PlaybookError::new(ErrorKind::File, loc, message),
                    None => PlaybookError::unlocated(ErrorKind::File, message),
                }
            }
        }
    }
}

impl fmt::Display for PlaybookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.all().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match &e.loc {
                Some(loc) => write!(f, "{loc}: {}", e.message)?,
                None => write!(f, "{}", e.message)?,
            }
        }
        Ok(())
    }
}

/// Collects errors while parsing continues past them.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    list: Vec<PlaybookError>,
}

impl Errors {
    pub fn push(&mut self, e: PlaybookError) {
        // The same file can be validated twice (an include_tasks named from two places);
        // report each problem once.
        if !self
            .list
            .iter()
            .any(|x| x.loc == e.loc && x.message == e.message)
        {
            self.list.push(e);
        }
    }

    pub fn at(&mut self, kind: ErrorKind, loc: &Location, message: impl Into<String>) {
        self.push(PlaybookError::new(kind, loc, message));
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// All collected errors as one (the first, with the rest in `more`), or `None`.
    pub fn into_error(self) -> Option<PlaybookError> {
        let mut list = self.list.into_iter();
        let mut first = list.next()?;
        first.more.extend(list);
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn loc(line: usize) -> Location {
        Location {
            file: Arc::from(Path::new("site.yml")),
            line,
            column: 3,
        }
    }

    #[test]
    fn display_is_file_line_col_then_message_one_line_each() {
        let mut errs = Errors::default();
        errs.at(ErrorKind::Keyword, &loc(4), "unknown keyword `notfy`");
        errs.at(ErrorKind::Type, &loc(9), "`retries` must be a number");
        errs.at(ErrorKind::Type, &loc(9), "`retries` must be a number");
        let e = errs.into_error().unwrap();
        assert_eq!(
            e.to_string(),
            "site.yml:4:3: unknown keyword `notfy`\nsite.yml:9:3: `retries` must be a number"
        );
        assert_eq!(e.all().count(), 2);
    }

    #[test]
    fn no_errors_is_none() {
        assert!(Errors::default().into_error().is_none());
        assert_eq!(
            PlaybookError::unlocated(ErrorKind::File, "cannot read x").to_string(),
            "cannot read x"
        );
    }
}
