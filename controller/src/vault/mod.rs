//! ansible-vault, read and written in Ansible's own format, so vaults move freely between
//! play and Ansible: `$ANSIBLE_VAULT;1.1;AES256` (or `1.2;AES256;<vault-id>`) over an
//! AES-256-CTR + HMAC-SHA256 payload keyed by PBKDF2-SHA256.
//!
//! - [`VaultSecrets`]: the passwords of a run; [`load_secrets`] builds them from the options.
//! - [`decrypt_value`], [`decrypt_vars_in_place`], [`decrypt_node_in_place`],
//!   [`decrypt_file_bytes`], [`read_text_file`] and [`InventoryVault`]: what the loaders call.
//! - [`encrypt_bytes`]: what `play vault` writes.
//!
//! Passwords and plaintexts never appear in errors, logs, `Debug` output or a child's argv.

pub mod cli;
mod crypto;
mod envelope;
mod error;
mod files;
mod load;
mod password;
mod prompt;
mod secrets;

#[cfg(test)]
mod interop_tests;
#[cfg(test)]
mod tests;

pub(crate) use files::{read, real_path, write_atomic, PrivateTemp};

pub use envelope::{is_vault_file, DEFAULT_ID};
pub use error::{VaultError, VaultErrorKind};
pub use load::{
    contains_vault, decrypt_file_bytes, decrypt_node_in_place, decrypt_value,
    decrypt_vars_in_place, decrypt_vars_map_in_place, open_with_run_vault, read_text_file,
    set_run_vault, vault_ciphertext, InventoryVault, VAULT_KEY,
};
pub use password::{load_secrets, read_password_file, Purpose, VaultEnv};
pub use prompt::{Prompter, TtyPrompter};
pub use secrets::{encrypt_bytes, Decrypted, VaultSecrets};

pub(crate) use password::{resolve, IdSlug};

impl cli::VaultOpts {
    /// The secrets for a playbook run: no prompt unless `--ask-vault-pass` or `--vault-id
    /// x@prompt` asked for one; empty when no source is given (a vaulted value then fails
    /// with "no vault secrets found", where it is).
    pub fn secrets_for_run(&self) -> Result<VaultSecrets, VaultError> {
        load_secrets(
            self,
            &VaultEnv::from_process(),
            Purpose::Decrypt { auto_prompt: false },
            &mut TtyPrompter,
        )
    }
}
