//! Everything that can go wrong while reading an inventory or selecting hosts from it.
//!
//! Each message says what is wrong, where (file:line or file:line:column), and what to do.
//! `NoMatch` is not a failure of the inventory: callers turn it into Ansible's warning.

use crate::yaml::YamlError;

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// A `-i` value that is neither a path nor a host list.
    #[error(
        "inventory source '{name}' does not exist: give an existing file or folder to -i, or a \
         comma-separated host list such as 'web1,web2' (a single host needs a trailing comma: 'web1,')"
    )]
    SourceNotFound { name: String },

    #[error("{path}: cannot read: {err}")]
    Read {
        path: String,
        #[source]
        err: std::io::Error,
    },

    /// A bad line in an INI inventory; `message` already says what to do.
    #[error("{file}:{line}: {message}")]
    Ini {
        file: String,
        line: usize,
        message: String,
    },

    #[error(transparent)]
    Yaml(#[from] YamlError),

    /// A YAML inventory or vars file with the wrong shape; `location` is file:line:column.
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },

    /// A source play can recognise but not read yet (scripts, TOML, unknown plugins).
    #[error("{path}: {message}")]
    Unsupported { path: String, message: String },

    /// A dynamic source (cloud API, Terraform state) failed.
    #[error("inventory source {name}: {message}")]
    Dynamic { name: String, message: String },

    /// The host pattern selected no host: Ansible warns
    /// "Could not match supplied host pattern, ignoring: ..." and skips the play.
    #[error("Could not match supplied host pattern, ignoring: {pattern}")]
    NoMatch { pattern: String },

    /// A pattern that cannot be evaluated (bad regex, index out of range).
    #[error("host pattern '{pattern}': {message}")]
    Pattern { pattern: String, message: String },

    /// `--limit @file` could not be used.
    #[error("--limit @{path}: {message}")]
    LimitFile { path: String, message: String },
}

impl InventoryError {
    pub(crate) fn ini(file: &std::path::Path, line: usize, message: impl Into<String>) -> Self {
        InventoryError::Ini {
            file: file.display().to_string(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(location: impl std::fmt::Display, message: impl Into<String>) -> Self {
        InventoryError::Invalid {
            location: location.to_string(),
            message: message.into(),
        }
    }
}
