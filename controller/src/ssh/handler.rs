//! The russh client handler: where the server's host key arrives. It runs the pure
//! known_hosts decision, records new hosts under AcceptNew, and keeps the reason of a refusal
//! so the connect call can report it (russh itself only says "unknown key").

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use russh::client;
use russh::keys::{HashAlg, PublicKey, PublicKeyOrCertificate};

use super::known_hosts::{
    append_known_host, check_host_certificate, check_host_key, lookup_name, HostKeyPolicy,
    HostKeyVerdict, KnownHostsEntry,
};
use super::SshError;

/// Where a refusal is left for the code that called connect.
pub(crate) type Refusal = Arc<Mutex<Option<SshError>>>;

pub(crate) struct HostKeyCheck {
    /// `host:port` as dialled, for messages.
    pub display: String,
    /// Name and port looked up in known_hosts (HostKeyAlias is looked up as is, port 22).
    pub lookup_host: String,
    pub lookup_port: u16,
    pub known_hosts_files: Vec<PathBuf>,
    pub entries: Vec<KnownHostsEntry>,
    pub policy: HostKeyPolicy,
    /// Set when the host is reached through a bastion (changes the ssh-keyscan advice).
    pub via_bastion: bool,
}

pub(crate) struct ClientHandler {
    pub check: HostKeyCheck,
    pub refusal: Refusal,
}

impl client::Handler for ClientHandler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let check = &self.check;
        let (verdict, key) = match server_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => (
                check_host_key(
                    &check.lookup_host,
                    check.lookup_port,
                    key,
                    &check.entries,
                    check.policy,
                ),
                key.clone(),
            ),
            PublicKeyOrCertificate::Certificate(cert) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let verdict = check_host_certificate(
                    &check.lookup_host,
                    check.lookup_port,
                    cert,
                    &check.entries,
                    check.policy,
                    now,
                );
                (verdict, PublicKey::from(cert.public_key().clone()))
            }
        };
        tracing::debug!("{}: host key verdict {verdict:?}", check.display);
        if let HostKeyVerdict::AcceptNew = verdict {
            if let Some(file) = check.known_hosts_files.first() {
                match append_known_host(file, &check.lookup_host, check.lookup_port, &key) {
                    Ok(()) => tracing::info!(
                        "{}: recorded new host key {} in {}",
                        check.display,
                        fingerprint(&key),
                        file.display()
                    ),
                    // As OpenSSH: failing to record a new key does not stop the connection.
                    Err(e) => tracing::warn!(
                        "{}: could not record the host key in {}: {e}",
                        check.display,
                        file.display()
                    ),
                }
            }
        }
        if verdict.accepted() {
            return Ok(true);
        }
        let refusal = refusal_error(check, &key, verdict);
        *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(refusal);
        Ok(false)
    }
}

pub(crate) fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

fn key_type(key: &PublicKey) -> String {
    key.algorithm().as_str().to_string()
}

fn refusal_error(check: &HostKeyCheck, key: &PublicKey, verdict: HostKeyVerdict) -> SshError {
    let host = check.display.clone();
    match verdict {
        HostKeyVerdict::Changed { file, line, entry } => SshError::HostKeyChanged {
            host,
            fingerprint: format!("{} {}", key_type(key), fingerprint(key)),
            file_line: format!("{}:{line}", file.display()),
            entry: shorten_entry(&entry),
            fix: format!(
                "ssh-keygen -R '{}' -f {}",
                lookup_name(&check.lookup_host, check.lookup_port),
                file.display()
            ),
        },
        HostKeyVerdict::Revoked { file, line } => SshError::HostKeyRefused {
            host,
            fingerprint: fingerprint(key),
            why: format!("it is marked @revoked at {}:{line}", file.display()),
        },
        HostKeyVerdict::CertificateInvalid { why } => SshError::HostKeyRefused {
            host,
            fingerprint: fingerprint(key),
            why,
        },
        _ => {
            let target = check
                .known_hosts_files
                .first()
                .map_or("~/.ssh/known_hosts".to_string(), |f| {
                    f.display().to_string()
                });
            let scan = format!("ssh-keyscan -p {} {}", check.lookup_port, check.lookup_host);
            let hint = if check.via_bastion {
                format!("run `{scan}` on the bastion and append its output to {target}, or connect once with host key checking accept-new (`-o StrictHostKeyChecking=accept-new` in ansible_ssh_common_args, or StrictHostKeyChecking accept-new in ssh_config)")
            } else {
                format!("`{scan} >> {target}`, or connect once with host key checking accept-new (`-o StrictHostKeyChecking=accept-new` in ansible_ssh_common_args, or StrictHostKeyChecking accept-new in ssh_config)")
            };
            SshError::HostKeyUnknown {
                host,
                key_type: key_type(key),
                fingerprint: fingerprint(key),
                known_hosts: check.known_hosts_files.clone(),
                hint,
            }
        }
    }
}

/// A known_hosts line with its long base64 key cut, so the message stays readable.
fn shorten_entry(entry: &str) -> String {
    entry
        .split_whitespace()
        .map(|word| {
            if word.len() > 40 && word.is_ascii() {
                format!("{}…{}", &word[..12], &word[word.len() - 8..])
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
