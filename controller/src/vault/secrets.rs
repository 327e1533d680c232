//! [`VaultSecrets`]: the (vault id, password) pairs of a run, and decrypting / encrypting with
//! them the way Ansible picks a password: the one labelled as the vault's header says first,
//! then every other one in the order given (ids are hints, never required to match).

use super::crypto::{self, Payload};
use super::envelope::{self, Envelope, CIPHER, DEFAULT_ID};
use super::error::{VaultError, VaultErrorKind};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

#[derive(Clone)]
struct Secret {
    id: String,
    password: Zeroizing<Vec<u8>>,
}

/// Plaintext and the index of the secret that opened it, by vaulttext.
type PlainCache = HashMap<Vec<u8>, (Zeroizing<Vec<u8>>, usize)>;

/// What decrypting found.
pub struct Decrypted {
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The id in the vault's header (1.2), if any.
    pub header_id: Option<String>,
    /// The label of the secret that opened it.
    pub secret_id: String,
    /// Which secret opened it, for re-encrypting with the same one.
    pub(crate) secret_index: usize,
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field(
                "plaintext",
                &format_args!("<{} bytes>", self.plaintext.len()),
            )
            .field("header_id", &self.header_id)
            .field("secret_id", &self.secret_id)
            .finish()
    }
}

/// One or more vault passwords, each with its vault id label. Cheap to clone; the passwords
/// are wiped from memory when the last clone is dropped, and `Debug` shows only the labels.
#[derive(Clone, Default)]
pub struct VaultSecrets {
    entries: Arc<Vec<Secret>>,
    /// Plaintexts by vaulttext: the same group_vars value is decrypted once, not per host
    /// (each try costs a 10000-round PBKDF2).
    cache: Arc<Mutex<PlainCache>>,
}

impl fmt::Debug for VaultSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultSecrets")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl VaultSecrets {
    pub fn new() -> VaultSecrets {
        VaultSecrets::default()
    }

    /// A single password labelled `default`.
    pub fn with_password(password: impl Into<Vec<u8>>) -> VaultSecrets {
        let mut secrets = VaultSecrets::new();
        secrets.add(DEFAULT_ID, password);
        secrets
    }

    /// Adds a password under `id` (later ones are tried after earlier ones).
    pub fn add(&mut self, id: impl Into<String>, password: impl Into<Vec<u8>>) {
        let entries = Arc::make_mut(&mut self.entries);
        entries.push(Secret {
            id: id.into(),
            password: Zeroizing::new(password.into()),
        });
        self.cache = Arc::default();
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The labels, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|s| s.id.as_str())
    }

    /// The password to encrypt with and its label (Ansible's `match_encrypt_secret`): the one
    /// labelled `encrypt_vault_id`, else the only one; several without a choice is an error.
    pub fn encrypt_secret(
        &self,
        encrypt_vault_id: Option<&str>,
    ) -> Result<(&str, &[u8]), VaultError> {
        let ids = || self.ids().collect::<Vec<_>>().join(",");
        if let Some(wanted) = encrypt_vault_id {
            return self
                .entries
                .iter()
                .find(|s| s.id == wanted)
                .map(|s| (s.id.as_str(), s.password.as_slice()))
                .ok_or_else(|| {
                    VaultError::usage(format!(
                        "Did not find a match for --encrypt-vault-id={wanted} in the known vault-ids [{}]",
                        ids()
                    ))
                });
        }
        match self.entries.as_slice() {
            [] => Err(VaultError::usage(
                "A vault password is required to encrypt: give --vault-password-file, --vault-id or --ask-vault-pass",
            )),
            [only] => Ok((only.id.as_str(), only.password.as_slice())),
            _ => Err(VaultError::usage(format!(
                "The vault-ids {} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id",
                ids()
            ))),
        }
    }

    /// Decrypts vault data (a whole file's bytes or an inline value's text).
    pub fn decrypt(&self, data: &[u8]) -> Result<Decrypted, VaultError> {
        let envelope = Envelope::parse(data).map_err(format_error)?;
        if envelope.cipher != CIPHER {
            return Err(VaultError::new(
                VaultErrorKind::Format,
                format!(
                    "Cipher '{}' could not be found: play reads ansible-vault's AES256 only",
                    envelope.cipher
                ),
            ));
        }
        if self.entries.is_empty() {
            return Err(VaultError::no_secrets());
        }
        let hit = |index: usize, plaintext: Zeroizing<Vec<u8>>| Decrypted {
            plaintext,
            header_id: envelope.vault_id.clone(),
            secret_id: self.entries[index].id.clone(),
            secret_index: index,
        };
        if let Some((plain, index)) = self.cache_get(&envelope.vaulttext) {
            return Ok(hit(index, plain));
        }
        let payload = Payload::parse(&envelope.vaulttext).map_err(format_error)?;
        for index in self.candidates(envelope.vault_id.as_deref()) {
            if let Some(plain) = payload
                .open(&self.entries[index].password)
                .map_err(format_error)?
            {
                let plain = Zeroizing::new(plain);
                self.cache_put(&envelope.vaulttext, &plain, index);
                return Ok(hit(index, plain));
            }
        }
        Err(VaultError::decryption_failed())
    }

    /// The password that opened `decrypted` (to write it back with the same one).
    pub(crate) fn password_of(&self, decrypted: &Decrypted) -> &[u8] {
        &self.entries[decrypted.secret_index].password
    }

    /// Indexes of the secrets to try: those labelled like the header first, then the rest.
    fn candidates(&self, header_id: Option<&str>) -> Vec<usize> {
        let labelled = |i: &usize| Some(self.entries[*i].id.as_str()) == header_id;
        let all = 0..self.entries.len();
        all.clone()
            .filter(labelled)
            .chain(all.filter(|i| !labelled(i)))
            .collect()
    }

    fn cache_get(&self, vaulttext: &[u8]) -> Option<(Zeroizing<Vec<u8>>, usize)> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(vaulttext).cloned()
    }

    fn cache_put(&self, vaulttext: &[u8], plain: &Zeroizing<Vec<u8>>, index: usize) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(vaulttext.to_vec(), (plain.clone(), index));
    }
}

fn format_error(e: crypto::FormatError) -> VaultError {
    VaultError::new(
        VaultErrorKind::Format,
        format!("Vault format error: {}", e.0),
    )
}

/// Encrypts `plaintext` with `password` into the full vault text (header, 80-column lines,
/// final newline). A `vault_id` other than `default` gives a 1.2 header naming it.
pub fn encrypt_bytes(
    plaintext: &[u8],
    password: &[u8],
    vault_id: Option<&str>,
) -> Result<String, VaultError> {
    if envelope::is_vault_file(plaintext) {
        return Err(VaultError::usage("input is already encrypted"));
    }
    let salt = crypto::random_salt().map_err(|e| VaultError::new(VaultErrorKind::Io, e))?;
    let vaulttext = crypto::encrypt(plaintext, password, &salt);
    Ok(envelope::format(&vaulttext, vault_id))
}
