//! Public-key authentication, in OpenSSH's order: the ssh-agent's keys first, then the key
//! files (the configured ones, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa). Key files may be
//! OpenSSH-format ed25519/ECDSA/RSA or PEM RSA, passphrase-protected or not. When nothing
//! works the error lists what was tried, or names the key file that could not be used.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use russh::client::Handle;
use russh::keys::agent::client::AgentClient;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey};
use russh::MethodKind;

use super::handler::{fingerprint, ClientHandler};
use super::options::{host_port, ConnectOptions};
use super::SshError;

/// What became of one authentication attempt.
enum Attempt {
    Accepted,
    Refused,
    /// The server will not take public keys any more (none allowed, or too many tries).
    GiveUp,
}

pub(crate) async fn authenticate(
    handle: &mut Handle<ClientHandler>,
    opts: &ConnectOptions,
) -> Result<(), SshError> {
    let mut auth = Auth {
        handle,
        opts,
        host: host_port(&opts.host, opts.port),
        rsa_hash: None,
        tried: Vec::new(),
    };
    let agent_keys = match auth.with_agent().await? {
        Ok(()) => return Ok(()),
        Err(keys) => keys,
    };
    let (files, explicit) = if opts.identity_files.is_empty() {
        (default_identity_files(), false)
    } else {
        (opts.identity_files.clone(), true)
    };
    let mut key_problem: Option<SshError> = None;
    for path in files {
        match load_key(&path, opts.key_passphrase.as_deref()) {
            Ok(key) => {
                if agent_keys
                    .iter()
                    .any(|k| k.key_data() == key.public_key().key_data())
                {
                    continue; // the agent already offered it
                }
                auth.tried.push(path.display().to_string());
                match auth.with_key(key).await? {
                    Attempt::Accepted => return Ok(()),
                    Attempt::Refused => {}
                    Attempt::GiveUp => break,
                }
            }
            Err(KeyLoad::Missing) if !explicit => {}
            Err(problem) => {
                if matches!(problem, KeyLoad::Encrypted) && public_key_in(&path, &agent_keys) {
                    continue; // encrypted on disk, but the agent holds it and offered it
                }
                let why = problem.why(&path);
                auth.tried
                    .push(format!("{} ({})", path.display(), problem.short()));
                key_problem.get_or_insert(SshError::KeyFile { path, why });
            }
        }
    }
    // A key file that could not be used is the more useful message: it names the fix.
    Err(key_problem.unwrap_or(SshError::AuthFailed {
        user: opts.user.clone(),
        host: auth.host,
        tried: auth.tried,
    }))
}

struct Auth<'a> {
    handle: &'a mut Handle<ClientHandler>,
    opts: &'a ConnectOptions,
    host: String,
    rsa_hash: Option<Option<HashAlg>>,
    tried: Vec<String>,
}

impl Auth<'_> {
    fn timeout(&self) -> Duration {
        self.opts.connect_timeout
    }

    fn timed_out(&self) -> SshError {
        SshError::Timeout {
            host: self.host.clone(),
            stage: "authentication",
            after: self.timeout(),
            hint: super::error::STALLED_HINT,
        }
    }

    /// The RSA signature hash the server accepts (asked once per connection).
    async fn rsa_hash(&mut self) -> Option<HashAlg> {
        if let Some(hash) = self.rsa_hash {
            return hash;
        }
        let hash = match tokio::time::timeout(self.timeout(), self.handle.best_supported_rsa_hash())
            .await
        {
            Ok(Ok(Some(hash))) => hash,
            // The server did not say (no ext-info): every server of the last decade takes SHA-256.
            _ => Some(HashAlg::Sha256),
        };
        self.rsa_hash = Some(hash);
        hash
    }

    /// Tries each agent key. Ok(Ok) when one is accepted; Ok(Err(keys)) with the keys offered.
    async fn with_agent(&mut self) -> Result<Result<(), Vec<PublicKey>>, SshError> {
        let Some(socket) = self.opts.agent_socket.clone() else {
            return Ok(Err(Vec::new()));
        };
        let mut agent =
            match tokio::time::timeout(self.timeout(), AgentClient::connect_uds(&socket)).await {
                Ok(Ok(agent)) => agent,
                Ok(Err(e)) => {
                    tracing::debug!("ssh-agent at {}: {e}", socket.display());
                    return Ok(Err(Vec::new()));
                }
                Err(_) => return Ok(Err(Vec::new())),
            };
        let identities =
            match tokio::time::timeout(self.timeout(), agent.request_identities()).await {
                Ok(Ok(ids)) => ids,
                other => {
                    tracing::debug!(
                        "ssh-agent at {}: listing keys failed: {other:?}",
                        socket.display()
                    );
                    return Ok(Err(Vec::new()));
                }
            };
        let mut offered = Vec::new();
        for identity in identities {
            let key = identity.public_key().into_owned();
            let hash = if key.algorithm().is_rsa() {
                self.rsa_hash().await
            } else {
                None
            };
            self.tried.push(format!("agent key {}", fingerprint(&key)));
            offered.push(key.clone());
            let user = self.opts.user.clone();
            let attempt = tokio::time::timeout(
                self.timeout(),
                self.handle
                    .authenticate_publickey_with(user, key, hash, &mut agent),
            )
            .await
            .map_err(|_| self.timed_out())?;
            match attempt {
                Ok(result) => match classify(result) {
                    Attempt::Accepted => return Ok(Ok(())),
                    Attempt::Refused => {}
                    Attempt::GiveUp => break,
                },
                Err(e) => tracing::debug!("ssh-agent could not sign: {e}"),
            }
        }
        Ok(Err(offered))
    }

    async fn with_key(&mut self, key: PrivateKey) -> Result<Attempt, SshError> {
        let hash = if key.algorithm().is_rsa() {
            self.rsa_hash().await
        } else {
            None
        };
        let user = self.opts.user.clone();
        let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        let result = tokio::time::timeout(
            self.timeout(),
            self.handle.authenticate_publickey(user, key),
        )
        .await
        .map_err(|_| self.timed_out())?;
        match result {
            Ok(result) => Ok(classify(result)),
            Err(e) => Err(SshError::Disconnected {
                host: self.host.clone(),
                why: format!("during authentication: {e}"),
            }),
        }
    }
}

fn classify(result: russh::client::AuthResult) -> Attempt {
    match result {
        russh::client::AuthResult::Success => Attempt::Accepted,
        russh::client::AuthResult::Failure {
            remaining_methods, ..
        } => {
            if remaining_methods.is_empty() || remaining_methods.contains(&MethodKind::PublicKey) {
                Attempt::Refused
            } else {
                Attempt::GiveUp
            }
        }
    }
}

fn default_identity_files() -> Vec<PathBuf> {
    let home = super::config::LocalEnv::from_process().home;
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|name| home.join(".ssh").join(name))
        .collect()
}

/// Whether `path.pub` holds one of `keys` (lets an encrypted key file be skipped quietly when
/// the agent has it loaded).
fn public_key_in(path: &Path, keys: &[PublicKey]) -> bool {
    let mut pub_path = path.as_os_str().to_owned();
    pub_path.push(".pub");
    std::fs::read_to_string(PathBuf::from(pub_path))
        .ok()
        .and_then(|text| PublicKey::from_openssh(text.trim()).ok())
        .is_some_and(|public| keys.iter().any(|k| k.key_data() == public.key_data()))
}

enum KeyLoad {
    Missing,
    Unreadable(String),
    Encrypted,
    WrongPassphrase,
    Invalid(String),
}

impl KeyLoad {
    fn short(&self) -> &'static str {
        match self {
            KeyLoad::Missing => "no such file",
            KeyLoad::Unreadable(_) => "unreadable",
            KeyLoad::Encrypted => "encrypted, no passphrase given",
            KeyLoad::WrongPassphrase => "wrong passphrase",
            KeyLoad::Invalid(_) => "not a usable private key",
        }
    }

    fn why(&self, path: &Path) -> String {
        match self {
            KeyLoad::Missing => "does not exist".into(),
            KeyLoad::Unreadable(e) => format!("cannot be read: {e}"),
            KeyLoad::Encrypted => format!(
                "is encrypted: give its passphrase with the play_key_passphrase variable (keep it in a vault) or play's key passphrase option, or load it into ssh-agent (`ssh-add {}`)",
                path.display()
            ),
            KeyLoad::WrongPassphrase => "could not be decrypted with the passphrase given (wrong passphrase?)".into(),
            KeyLoad::Invalid(e) => format!(
                "is not a private key play can use ({e}); supported: OpenSSH-format ed25519, ECDSA and RSA keys, PEM RSA keys"
            ),
        }
    }
}

fn load_key(path: &Path, passphrase: Option<&str>) -> Result<PrivateKey, KeyLoad> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyLoad::Missing),
        Err(e) => return Err(KeyLoad::Unreadable(e.to_string())),
    };
    let encrypted = || {
        text.contains("ENCRYPTED")
            || matches!(
                russh::keys::decode_secret_key(&text, None),
                Err(russh::keys::Error::KeyIsEncrypted)
            )
    };
    match russh::keys::decode_secret_key(&text, passphrase) {
        Ok(key) => Ok(key),
        Err(russh::keys::Error::KeyIsEncrypted) => Err(KeyLoad::Encrypted),
        Err(_) if passphrase.is_none() && encrypted() => Err(KeyLoad::Encrypted),
        Err(_) if passphrase.is_some() && encrypted() => Err(KeyLoad::WrongPassphrase),
        Err(e) => Err(KeyLoad::Invalid(e.to_string())),
    }
}
