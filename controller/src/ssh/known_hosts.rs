//! known_hosts: parsing OpenSSH's file format and deciding whether a host key is trusted.
//!
//! The decision is a pure function ([`check_host_key`], [`check_host_certificate`]) of the
//! host, port, presented key, parsed entries and policy, so every case (hashed names, `[host]:port`,
//! `@revoked`, `@cert-authority`, changed keys) is tested without a network. russh's own
//! known_hosts module knows neither markers nor wildcards nor file:line reporting, hence this one.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::{Certificate, HashAlg, PublicKey};
use sha1::Sha1;

use super::pattern::pattern_list_match;

/// What the user asked to happen with host keys (OpenSSH's StrictHostKeyChecking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostKeyPolicy {
    /// Only keys already in a known_hosts file are accepted (`yes`, `ask`).
    #[default]
    Strict,
    /// Unknown hosts are accepted and recorded in the first known_hosts file; changed keys are
    /// still refused (`accept-new`).
    AcceptNew,
    /// No checking at all, nothing recorded (`no`, `off`, Ansible's host_key_checking=False).
    /// Revoked keys are still refused.
    Off,
}

/// A marker in front of a known_hosts line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `@cert-authority`: the key is a CA that signs host certificates.
    CertAuthority,
    /// `@revoked`: the key must never be accepted.
    Revoked,
}

/// One usable line of a known_hosts file.
#[derive(Debug, Clone)]
pub struct KnownHostsEntry {
    pub file: PathBuf,
    /// 1-based line number in `file`.
    pub line: usize,
    pub marker: Option<Marker>,
    /// The host field as written: comma-separated patterns or `|1|salt|hash` entries.
    pub hosts: String,
    pub key: PublicKey,
    /// The whole line, for error messages.
    pub text: String,
}

impl KnownHostsEntry {
    /// `file:line`, as error messages cite it.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }

    /// Whether this entry's host field matches the lookup name (`host` or `[host]:port`).
    pub fn matches(&self, lookup_name: &str) -> bool {
        host_field_matches(&self.hosts, lookup_name)
    }
}

/// The trust decision for a presented host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyVerdict {
    /// A known_hosts line lists this key for this host (or a trusted CA signed its certificate).
    Known { file: PathBuf, line: usize },
    /// Checking is off: accepted without looking.
    Unchecked,
    /// Unknown host under AcceptNew: the caller records it, then accepts.
    AcceptNew,
    /// Unknown host under Strict: refused.
    Unknown,
    /// The host is recorded with a different key of the same type: refused.
    Changed {
        file: PathBuf,
        line: usize,
        entry: String,
    },
    /// The key (or the CA that signed it) is marked `@revoked`: refused.
    Revoked { file: PathBuf, line: usize },
    /// A trusted CA signed the certificate, but it is not valid for this host now: refused.
    CertificateInvalid { why: String },
}

impl HostKeyVerdict {
    /// Whether the connection may go on.
    pub fn accepted(&self) -> bool {
        matches!(
            self,
            HostKeyVerdict::Known { .. } | HostKeyVerdict::Unchecked | HostKeyVerdict::AcceptNew
        )
    }
}

/// The name known_hosts lists a host under: `host` on port 22, `[host]:port` elsewhere.
pub fn lookup_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

/// Parses a known_hosts file's text. Lines that are blank, comments, or unparsable (unknown
/// key types, broken base64) are skipped, as OpenSSH skips them.
pub fn parse_known_hosts(text: &str, file: &Path) -> Vec<KnownHostsEntry> {
    let mut entries = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line) {
            Some((marker, hosts, key)) => entries.push(KnownHostsEntry {
                file: file.to_path_buf(),
                line: index + 1,
                marker,
                hosts,
                key,
                text: line.to_string(),
            }),
            None => tracing::debug!(
                "{}:{}: skipping unparsable known_hosts line",
                file.display(),
                index + 1
            ),
        }
    }
    entries
}

fn parse_line(line: &str) -> Option<(Option<Marker>, String, PublicKey)> {
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let marker = match first {
        "@cert-authority" => Some(Marker::CertAuthority),
        "@revoked" => Some(Marker::Revoked),
        other if other.starts_with('@') => return None,
        _ => None,
    };
    if marker.is_some() {
        first = fields.next()?;
    }
    let key_type = fields.next()?;
    let key_base64 = fields.next()?;
    let key = PublicKey::from_openssh(&format!("{key_type} {key_base64}")).ok()?;
    Some((marker, first.to_string(), key))
}

/// Reads and parses every file that exists; missing or unreadable files count as empty, like
/// OpenSSH (the default list names files that often do not exist).
pub fn load_known_hosts(files: &[PathBuf]) -> Vec<KnownHostsEntry> {
    let mut entries = Vec::new();
    for file in files {
        match std::fs::read(file) {
            Ok(bytes) => entries.extend(parse_known_hosts(&String::from_utf8_lossy(&bytes), file)),
            Err(err) => tracing::debug!("known_hosts {}: {err}", file.display()),
        }
    }
    entries
}

/// Whether a known_hosts host field (comma list of patterns, `!negations` and hashed
/// `|1|salt|hash` names) matches `lookup_name`.
pub fn host_field_matches(field: &str, lookup_name: &str) -> bool {
    let mut plain = Vec::new();
    for item in field.split(',') {
        if let Some(hashed) = item.strip_prefix("|1|") {
            if hashed_name_matches(hashed, lookup_name) {
                return true;
            }
        } else {
            plain.push(item);
        }
    }
    pattern_list_match(plain, lookup_name)
}

/// `salt|hash`, both base64: the name matches when HMAC-SHA1(salt, name) == hash.
fn hashed_name_matches(salt_and_hash: &str, lookup_name: &str) -> bool {
    let engine = base64::engine::general_purpose::STANDARD;
    let Some((salt, hash)) = salt_and_hash.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (engine.decode(salt), engine.decode(hash)) else {
        return false;
    };
    let Ok(mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(lookup_name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    a.key_data() == b.key_data()
}

fn same_type(a: &PublicKey, b: &PublicKey) -> bool {
    a.key_data().algorithm() == b.key_data().algorithm()
}

/// Decides whether `key`, presented by `host` on `port`, is trusted. The order follows
/// OpenSSH: a revoked key is always refused; a listed key is known; a host listed with another
/// key of the same type has changed its key; anything else is new, and the policy decides.
/// (A host listed only with keys of other types counts as new, as in OpenSSH.)
pub fn check_host_key(
    host: &str,
    port: u16,
    key: &PublicKey,
    known_hosts: &[KnownHostsEntry],
    policy: HostKeyPolicy,
) -> HostKeyVerdict {
    let name = lookup_name(host, port);
    if let Some(revoked) = known_hosts
        .iter()
        .find(|e| e.marker == Some(Marker::Revoked) && same_key(&e.key, key) && e.matches(&name))
    {
        return HostKeyVerdict::Revoked {
            file: revoked.file.clone(),
            line: revoked.line,
        };
    }
    if policy == HostKeyPolicy::Off {
        return HostKeyVerdict::Unchecked;
    }
    let plain: Vec<&KnownHostsEntry> = known_hosts
        .iter()
        .filter(|e| e.marker.is_none() && e.matches(&name))
        .collect();
    if let Some(known) = plain.iter().find(|e| same_key(&e.key, key)) {
        return HostKeyVerdict::Known {
            file: known.file.clone(),
            line: known.line,
        };
    }
    if let Some(changed) = plain.iter().find(|e| same_type(&e.key, key)) {
        return HostKeyVerdict::Changed {
            file: changed.file.clone(),
            line: changed.line,
            entry: changed.text.clone(),
        };
    }
    match policy {
        HostKeyPolicy::AcceptNew => HostKeyVerdict::AcceptNew,
        _ => HostKeyVerdict::Unknown,
    }
}

/// Decides whether a host certificate is trusted: signed by an `@cert-authority` key listed for
/// this host, of host type, valid at `now_unix`, naming `host` among its principals (an empty
/// principal list is valid for any host, as in OpenSSH). When no listed authority signed it,
/// the certificate's plain key is checked as by [`check_host_key`].
pub fn check_host_certificate(
    host: &str,
    port: u16,
    cert: &Certificate,
    known_hosts: &[KnownHostsEntry],
    policy: HostKeyPolicy,
    now_unix: u64,
) -> HostKeyVerdict {
    let name = lookup_name(host, port);
    let ca_key = PublicKey::from(cert.signature_key().clone());
    let plain_key = PublicKey::from(cert.public_key().clone());
    if let Some(revoked) = known_hosts.iter().find(|e| {
        e.marker == Some(Marker::Revoked)
            && (same_key(&e.key, &ca_key) || same_key(&e.key, &plain_key))
            && e.matches(&name)
    }) {
        return HostKeyVerdict::Revoked {
            file: revoked.file.clone(),
            line: revoked.line,
        };
    }
    let authority = known_hosts.iter().find(|e| {
        e.marker == Some(Marker::CertAuthority) && same_key(&e.key, &ca_key) && e.matches(&name)
    });
    let Some(authority) = authority else {
        return check_host_key(host, port, &plain_key, known_hosts, policy);
    };
    if policy == HostKeyPolicy::Off {
        return HostKeyVerdict::Unchecked;
    }
    if cert.cert_type() != CertType::Host {
        return HostKeyVerdict::CertificateInvalid {
            why: "the certificate is a user certificate, not a host certificate".into(),
        };
    }
    let ca_fingerprint = ca_key.fingerprint(HashAlg::Sha256);
    if cert.validate_at(now_unix, [&ca_fingerprint]).is_err() {
        return HostKeyVerdict::CertificateInvalid {
            why: format!(
                "the certificate signed by the authority at {} is expired, not yet valid or badly signed",
                authority.location()
            ),
        };
    }
    let principals = cert.valid_principals();
    if !principals.is_empty() && !principals.iter().any(|p| p.eq_ignore_ascii_case(host)) {
        return HostKeyVerdict::CertificateInvalid {
            why: format!(
                "the certificate is valid for {} but not for {host}",
                principals.join(", ")
            ),
        };
    }
    HostKeyVerdict::Known {
        file: authority.file.clone(),
        line: authority.line,
    }
}

/// Whether some `@cert-authority` entry covers this host (then certificates are worth asking for).
pub fn has_cert_authority(host: &str, port: u16, known_hosts: &[KnownHostsEntry]) -> bool {
    let name = lookup_name(host, port);
    known_hosts
        .iter()
        .any(|e| e.marker == Some(Marker::CertAuthority) && e.matches(&name))
}

/// Serialises appends from the many connections of one run, so two new hosts recorded at the
/// same moment never interleave and one host is never recorded twice.
static APPEND_LOCK: Mutex<()> = Mutex::new(());

/// Records `key` for `host`/`port` at the end of `file` (created with its folder if missing),
/// as `host` or `[host]:port`, then fsyncs. Nothing is written when an equal entry is
/// already there (another connection recorded it first) or when the file is /dev/null.
pub fn append_known_host(
    file: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> std::io::Result<()> {
    if file == Path::new("/dev/null") {
        return Ok(());
    }
    let _guard = APPEND_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let name = lookup_name(host, port);
    let existing = load_known_hosts(&[file.to_path_buf()]);
    if existing
        .iter()
        .any(|e| e.marker.is_none() && same_key(&e.key, key) && e.matches(&name))
    {
        return Ok(());
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let mut handle = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(file)?;
    let mut needs_newline = false;
    if handle.seek(SeekFrom::End(0))? > 0 {
        handle.seek(SeekFrom::End(-1))?;
        let mut last = [0u8; 1];
        handle.read_exact(&mut last)?;
        needs_newline = last[0] != b'\n';
    }
    let mut plain = key.clone();
    plain.set_comment("");
    let key_text = plain
        .to_openssh()
        .map_err(|e| std::io::Error::other(format!("cannot encode host key: {e}")))?;
    let line = format!(
        "{}{name} {}\n",
        if needs_newline { "\n" } else { "" },
        key_text.trim()
    );
    // One write call on an O_APPEND file: other processes appending too cannot split the line.
    handle.write_all(line.as_bytes())?;
    handle.sync_all()
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
#[path = "known_hosts_tests.rs"]
mod tests;
