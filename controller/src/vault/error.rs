//! The one error type of the vault layer: a kind (for callers that branch on it), a message
//! that never contains a password or plaintext, and where the ciphertext came from.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultErrorKind {
    /// No secret opened the data: wrong password (or the data was altered).
    DecryptionFailed,
    /// Vaulted data was found but no vault password was given at all.
    NoSecrets,
    /// The data is not a well-formed vault (damaged, cut short, unknown cipher).
    Format,
    /// Decrypted fine, but a text value was expected and this is not UTF-8.
    NotText,
    /// A password source could not be read (file, script, prompt).
    Password,
    /// Reading or writing a file.
    Io,
    /// The options do not make sense together.
    Usage,
    /// The editor could not be run.
    Editor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultError {
    pub kind: VaultErrorKind,
    message: String,
    location: Option<String>,
}

impl VaultError {
    pub fn new(kind: VaultErrorKind, message: impl Into<String>) -> VaultError {
        VaultError {
            kind,
            message: message.into(),
            location: None,
        }
    }

    pub(crate) fn decryption_failed() -> VaultError {
        VaultError::new(
            VaultErrorKind::DecryptionFailed,
            // Ansible's words, so people searching for them find the usual causes.
            "Decryption failed (no vault secrets were found that could decrypt)",
        )
    }

    pub(crate) fn no_secrets() -> VaultError {
        VaultError::new(
            VaultErrorKind::NoSecrets,
            "Attempting to decrypt but no vault secrets found",
        )
    }

    pub(crate) fn usage(message: impl Into<String>) -> VaultError {
        VaultError::new(VaultErrorKind::Usage, message)
    }

    pub(crate) fn password(message: impl Into<String>) -> VaultError {
        VaultError::new(VaultErrorKind::Password, message)
    }

    pub(crate) fn io(what: &str, path: &std::path::Path, err: &std::io::Error) -> VaultError {
        VaultError::new(
            VaultErrorKind::Io,
            format!("{what} {}: {err}", path.display()),
        )
    }

    /// Says where the ciphertext was (`file:line:column`, `file`, `variable 'x'`), replacing
    /// any location set before: the caller that knows more says it last.
    pub fn at(mut self, location: impl fmt::Display) -> VaultError {
        self.location = Some(location.to_string());
        self
    }

    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    /// The message without location or hint.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for VaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(location) = &self.location {
            write!(f, " on {location}")?;
        }
        match self.kind {
            VaultErrorKind::DecryptionFailed => f.write_str(
                ": the vault password given (--vault-password-file, --vault-id, --ask-vault-pass) \
                 does not open it",
            ),
            VaultErrorKind::NoSecrets => f.write_str(
                ": give the vault password with --vault-password-file, --vault-id or \
                 --ask-vault-pass (or set PLAY_VAULT_PASSWORD_FILE)",
            ),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for VaultError {}
