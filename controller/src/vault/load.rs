//! Decryption for the loaders: inline `!vault` values (kept by the YAML layer as
//! `{"__ansible_vault": "<ciphertext>"}` in values, `NodeKind::Vault` in located trees) and
//! files encrypted as a whole. Every decrypted string is registered with the run's
//! [`Secrets`] so the printer censors it, and every failure says where the vault was.

use super::envelope::is_vault_file;
use super::error::{VaultError, VaultErrorKind};
use super::secrets::VaultSecrets;
use crate::inventory::VaultFileDecrypter;
use crate::output::Secrets;
use crate::yaml::{parse_str, Location, Node, NodeKind};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::Path;

/// The key under which values carry their ciphertext (Ansible's JSON encoding of vault).
pub const VAULT_KEY: &str = "__ansible_vault";

/// The plaintext of an inline vaulted value, which must be UTF-8 text.
pub fn decrypt_value(secrets: &VaultSecrets, ciphertext: &str) -> Result<String, VaultError> {
    let decrypted = secrets.decrypt(ciphertext.as_bytes())?;
    String::from_utf8(decrypted.plaintext.to_vec()).map_err(|_| {
        VaultError::new(
            VaultErrorKind::NotText,
            "the vaulted value decrypts to binary data, not text",
        )
    })
}

/// The plaintext of a whole vault-encrypted file (any bytes); errors name `path`.
pub fn decrypt_file_bytes(
    secrets: &VaultSecrets,
    data: &[u8],
    path: &Path,
) -> Result<Vec<u8>, VaultError> {
    secrets
        .decrypt(data)
        .map(|d| d.plaintext.to_vec())
        .map_err(|e| e.at(path.display()))
}

/// A vars or tasks file's text, decrypted when it is vaulted as a whole (then its string
/// values are registered with `secrets_out`); plain files are returned as they are.
pub fn read_text_file(
    secrets: &VaultSecrets,
    path: &Path,
    secrets_out: &Secrets,
) -> Result<String, VaultError> {
    let data = std::fs::read(path).map_err(|e| VaultError::io("cannot read", path, &e))?;
    if !is_vault_file(&data) {
        return String::from_utf8(data).map_err(|_| {
            VaultError::new(VaultErrorKind::NotText, "the file is not UTF-8 text")
                .at(path.display())
        });
    }
    let text = decrypt_file_text(secrets, &data, path)?;
    register_yaml_strings(&text, path, secrets_out);
    Ok(text)
}

fn decrypt_file_text(
    secrets: &VaultSecrets,
    data: &[u8],
    path: &Path,
) -> Result<String, VaultError> {
    let plain = decrypt_file_bytes(secrets, data, path)?;
    String::from_utf8(plain).map_err(|_| {
        VaultError::new(
            VaultErrorKind::NotText,
            "the vaulted file decrypts to binary data, not UTF-8 text",
        )
        .at(path.display())
    })
}

/// A whole vaulted file holds secrets: every string value in it (not the keys) is censored.
/// Text that is not YAML (an INI inventory) registers nothing.
fn register_yaml_strings(text: &str, path: &Path, secrets_out: &Secrets) {
    fn walk(node: &Node, out: &Secrets) {
        match &node.kind {
            NodeKind::String(s) => out.add(s),
            NodeKind::Seq(items) => items.iter().for_each(|n| walk(n, out)),
            NodeKind::Map(map) => map.values().for_each(|(_, n)| walk(n, out)),
            _ => {}
        }
    }
    if let Ok(root) = parse_str(text, path) {
        walk(&root, secrets_out);
    }
}

/// Replaces every `{"__ansible_vault": ...}` inside `value` with its plaintext and registers
/// each plaintext with `secrets_out`. Errors name the variable path (`db.password`, `users[1]`);
/// a caller that knows the file can replace that with [`VaultError::at`].
pub fn decrypt_vars_in_place(
    secrets: &VaultSecrets,
    value: &mut Value,
    secrets_out: &Secrets,
) -> Result<(), VaultError> {
    let mut path = String::new();
    walk_value(secrets, value, secrets_out, &mut path)
}

fn walk_value(
    secrets: &VaultSecrets,
    value: &mut Value,
    out: &Secrets,
    path: &mut String,
) -> Result<(), VaultError> {
    if let Some(ciphertext) = vault_ciphertext(value) {
        let plain = decrypt_value(secrets, ciphertext).map_err(|e| {
            let name = if path.is_empty() {
                "value"
            } else {
                path.as_str()
            };
            e.at(format_args!("variable '{name}'"))
        })?;
        out.add(&plain);
        *value = Value::String(plain);
        return Ok(());
    }
    let len = path.len();
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push_str(&format!("[{i}]"));
                walk_value(secrets, item, out, path)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk_value(secrets, item, out, path)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// [`decrypt_vars_in_place`] for a map of variables (play vars, a vars file, extra vars,
/// an inventory host's vars). A failure names the variable's `file:line:column` when `locs`
/// knows it (as `VarsFile::locs` does), else the variable's name.
pub fn decrypt_vars_map_in_place(
    secrets: &VaultSecrets,
    vars: &mut IndexMap<String, Value>,
    locs: Option<&IndexMap<String, Location>>,
    secrets_out: &Secrets,
) -> Result<(), VaultError> {
    for (name, value) in vars.iter_mut() {
        let mut path = name.clone();
        walk_value(secrets, value, secrets_out, &mut path).map_err(|e| {
            match locs.and_then(|l| l.get(name)) {
                Some(loc) => e.at(loc),
                None => e,
            }
        })?;
    }
    Ok(())
}

/// The ciphertext if `value` is exactly `{"__ansible_vault": "<text>"}`.
pub fn vault_ciphertext(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(VAULT_KEY)?.as_str(),
        _ => None,
    }
}

/// Whether any vaulted value is inside `value` (to skip work, or to say a password is needed).
pub fn contains_vault(value: &Value) -> bool {
    match value {
        v if vault_ciphertext(v).is_some() => true,
        Value::Array(items) => items.iter().any(contains_vault),
        Value::Object(map) => map.values().any(contains_vault),
        _ => false,
    }
}

/// [`decrypt_vars_in_place`] for a located tree: `!vault` nodes become strings, and errors
/// say `file:line:column` of the vaulted value.
pub fn decrypt_node_in_place(
    secrets: &VaultSecrets,
    node: &mut Node,
    secrets_out: &Secrets,
) -> Result<(), VaultError> {
    match &mut node.kind {
        NodeKind::Vault(ciphertext) => {
            let plain = decrypt_value(secrets, ciphertext).map_err(|e| e.at(&node.loc))?;
            secrets_out.add(&plain);
            node.kind = NodeKind::String(plain);
        }
        NodeKind::Seq(items) => {
            for item in items {
                decrypt_node_in_place(secrets, item, secrets_out)?;
            }
        }
        NodeKind::Map(map) => {
            for (_, item) in map.values_mut() {
                decrypt_node_in_place(secrets, item, secrets_out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The inventory's hook for group_vars/host_vars (and inventory files) vaulted as a whole.
#[derive(Debug, Clone)]
pub struct InventoryVault {
    pub secrets: VaultSecrets,
    /// Where the decrypted files' string values are registered for censoring.
    pub secrets_out: Secrets,
}

impl VaultFileDecrypter for InventoryVault {
    fn decrypt(&self, path: &Path, ciphertext: &str) -> Result<String, String> {
        let text = decrypt_file_text(&self.secrets, ciphertext.as_bytes(), path)
            .map_err(|e| e.to_string())?;
        register_yaml_strings(&text, path, &self.secrets_out);
        Ok(text)
    }
}

/// The run's vault passwords, for files opened deep inside the loaders (vars_files, `-e
/// @file`, task files), as Ansible's own loader does: set once, after the passwords are read
/// and before any file is parsed.
static RUN_VAULT: std::sync::OnceLock<(VaultSecrets, Secrets)> = std::sync::OnceLock::new();

/// Installs the run's vault passwords and the censor list decrypted values go to.
pub fn set_run_vault(secrets: VaultSecrets, secrets_out: Secrets) {
    let _ = RUN_VAULT.set((secrets, secrets_out));
}

/// A whole-file vault's text, opened with the run's passwords (its string values are
/// registered as secrets).
pub fn open_with_run_vault(data: &[u8], path: &Path) -> Result<String, VaultError> {
    let empty = (VaultSecrets::default(), Secrets::default());
    let (secrets, out) = RUN_VAULT.get().unwrap_or(&empty);
    let text = decrypt_file_text(secrets, data, path)?;
    register_yaml_strings(&text, path, out);
    Ok(text)
}
