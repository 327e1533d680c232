//! The host's hash key, and the two formats of the hashes play stores on a host.
//!
//! Every hash play writes on a host that covers a secret is an HMAC-SHA256 under a key that
//! never leaves the host, written `hmac-sha256:<hex>`: the release history's `env_sha256` and
//! `config_sha256`, the release labels `play.release.env_sha256` and
//! `play.release.config_sha256`, `play.config-hash`, and the per-value short hashes of
//! `play.env-keys` and `play.config` (`hmac-sha256:` + 12 hex digits). Why keyed: a history
//! file gets copied off the host (audits, backups) and labels are read by anyone with Docker
//! access; a plain sha256 of a short password can be brute-forced from them, an HMAC under a
//! 256-bit key cannot. The controller's plan files do the same with a key of their own.
//!
//! The key: `<state>/hash.key` (`/var/lib/play/hash.key`), 32 random bytes, mode 0600 in the
//! 0700 state folder, made by the agent (as root) on first use. It is made whole or not at
//! all: a finished temp file is linked into place ([`crate::fsutil::atomic_create`]), which
//! fails where another agent got there first, and then both use that one. Check mode never
//! makes it: without a key it hashes with a throwaway one, so what it reports is what the real
//! run, which makes a new key, will find.
//!
//! Upgrades: play before keyed hashes stored plain sha256 hex (no prefix). A stored hash is
//! always compared in its own format ([`Hashing::of`]): a container made by an older play
//! compares equal, and is not recreated, until something really changes; only new containers
//! and new history lines get keyed hashes. Losing the key makes every keyed label on the host
//! unverifiable: each such container is recreated once, at its next run.

use hmac::{Hmac, KeyInit, Mac};
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Marks a keyed hash; a stored hash without it is a plain sha256 (older play).
pub const KEYED_PREFIX: &str = "hmac-sha256:";
/// Hex digits of a per-value short hash: enough to tell a change, too few to hold a value.
const SHORT_HEX: usize = 12;

/// The host's key. `Debug` does not show it.
pub struct HostKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostKey(..)")
    }
}

impl HostKey {
    /// The key for a module run: in check mode the key at `path` when there is one (never
    /// made), else [`HostKey::load_or_create`].
    pub fn for_run(path: &Path, check: bool) -> Result<HostKey, String> {
        if check {
            Ok(match read(path)? {
                Some(key) => key,
                None => HostKey::random()?,
            })
        } else {
            HostKey::load_or_create(path)
        }
    }

    /// Loads the key at `path`, making it (and its folder, 0700) when missing.
    pub fn load_or_create(path: &Path) -> Result<HostKey, String> {
        if let Some(key) = read(path)? {
            narrow(path)?;
            return Ok(key);
        }
        let dir = path.parent().unwrap_or(Path::new("/"));
        crate::release::private_dir(dir).map_err(|e| {
            format!(
                "cannot create the host's hash key {}: {e}{}",
                path.display(),
                advice(dir)
            )
        })?;
        let key = HostKey::random()?;
        let opts = crate::fsutil::WriteOptions {
            mode: Some(0o600),
            ..Default::default()
        };
        let created = crate::fsutil::atomic_create(path, &key.bytes, &opts).map_err(|e| {
            format!(
                "cannot create the host's hash key {}: {e}{}",
                path.display(),
                advice(dir)
            )
        })?;
        if created {
            return Ok(key);
        }
        // Another agent made it first: use theirs, as every later run will.
        read(path)?.ok_or_else(|| {
            format!(
                "the host's hash key {} vanished while it was being made: run the task again",
                path.display()
            )
        })
    }

    fn random() -> Result<HostKey, String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| format!("cannot get random bytes for the host's hash key: {e}"))?;
        Ok(HostKey { bytes })
    }

    #[cfg(test)]
    pub fn from_bytes(bytes: [u8; 32]) -> HostKey {
        HostKey { bytes }
    }

    fn mac(&self, data: &[u8]) -> String {
        hex::encode(hmac_sha256(&self.bytes, data))
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <Hmac<sha2_v011::Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key size");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Why the key matters and what to do when it cannot be read or made in `dir`: an agent that
/// is not root needs become; root needs `dir` to be a folder it can write.
fn advice(dir: &Path) -> String {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let fix = if unsafe { libc::geteuid() } != 0 {
        "the key is root's: run the task with become: true".to_string()
    } else {
        format!("make {} a folder root can write", dir.display())
    };
    format!("; play keys the hashes of secrets it stores on this host (release history, container labels) with it: {fix}")
}

/// The key a module uses: root's `<state>/hash.key`. An agent that is not root (a user in the
/// docker group running `docker_container` without become, which Ansible allows) uses a key
/// of that user's own, beside the agent in its private folder (`~/.cache/play/hash.key`, a
/// folder the agent refuses to run from unless only its owner can write it), so such
/// playbooks keep working. The two keys differ: a container handled with become and then
/// without is recreated once.
pub fn path_for(state: &crate::release::StateDir) -> PathBuf {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return state.hash_key();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.key")))
        .unwrap_or_else(|| state.hash_key())
}

/// The key at `path`, or None when there is none.
fn read(path: &Path) -> Result<Option<HostKey>, String> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let n = bytes.len();
            let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                format!(
                    "the host's hash key {} is {n} bytes, not 32: remove it and the next run makes a new one (every container play made on this host is then recreated once: its labels can no longer be verified)",
                    path.display()
                )
            })?;
            Ok(Some(HostKey { bytes }))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "cannot read the host's hash key {}: {e}{}",
            path.display(),
            advice(path.parent().unwrap_or(Path::new("/")))
        )),
    }
}

/// Makes the key file 0600 again if someone widened it: a key others can read keys nothing.
fn narrow(path: &Path) -> Result<(), String> {
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("cannot inspect {}: {e}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            format!(
                "cannot make the host's hash key {} private (mode 0600): {e}",
                path.display()
            )
        })?;
    }
    Ok(())
}

/// The format of a stored hash: how to hash the desired state to compare with it.
#[derive(Debug, Clone, Copy)]
pub enum Hashing<'k> {
    /// A plain sha256, hex: what play stored before keyed hashes. Only to compare with such
    /// labels (and, in tests, to make containers as an older play did); nothing new is
    /// written in it.
    Plain,
    /// `hmac-sha256:` + hex HMAC-SHA256 under the host's key.
    Keyed(&'k HostKey),
}

impl<'k> Hashing<'k> {
    /// The format `stored` was written in: keyed with the prefix, else plain.
    pub fn of(stored: &str, key: &'k HostKey) -> Hashing<'k> {
        if stored.starts_with(KEYED_PREFIX) {
            Hashing::Keyed(key)
        } else {
            Hashing::Plain
        }
    }

    /// The full hash of `data`.
    pub fn hash(self, data: &[u8]) -> String {
        match self {
            Hashing::Plain => crate::docker::container_spec::sha256_hex(data),
            Hashing::Keyed(key) => format!("{KEYED_PREFIX}{}", key.mac(data)),
        }
    }

    /// The short per-value hash (`play.env-keys`, the env of `play.config`).
    pub fn short(self, data: &[u8]) -> String {
        let full = self.hash(data);
        let hex_start = full.len() - 64;
        full[..hex_start + SHORT_HEX].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 1 and 2 of RFC 4231.
        assert_eq!(
            hex::encode(hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn formats_are_marked_and_compared_in_their_own_format() {
        let key = HostKey::from_bytes([7; 32]);
        let other = HostKey::from_bytes([8; 32]);
        let keyed = Hashing::Keyed(&key).hash(b"hunter2");
        let plain = Hashing::Plain.hash(b"hunter2");
        assert_eq!(
            plain,
            "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7"
        );
        assert!(keyed.starts_with(KEYED_PREFIX) && keyed.len() == KEYED_PREFIX.len() + 64);
        assert!(
            !keyed.contains(&plain[..12]),
            "not the plain hash under a prefix"
        );
        assert_ne!(keyed, Hashing::Keyed(&other).hash(b"hunter2"));
        assert_eq!(Hashing::Plain.short(b"hunter2"), "f52fbd32b2b3");
        let short = Hashing::Keyed(&key).short(b"hunter2");
        assert_eq!(short, keyed[..KEYED_PREFIX.len() + 12]);

        // How a stored hash is checked: in its own format.
        let matches = |stored: &str, data: &[u8], key: &HostKey| {
            Hashing::of(stored, key).hash(data) == stored
        };
        for stored in [&keyed, &plain] {
            assert!(matches(stored, b"hunter2", &key));
            assert!(!matches(stored, b"hunter3", &key));
        }
        assert!(!matches(&keyed, b"hunter2", &other));
        assert!(!matches("garbage", b"hunter2", &key));
        assert_eq!(format!("{key:?}"), "HostKey(..)");
    }

    #[test]
    fn the_key_is_made_once_private_and_reused() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("state/hash.key");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

        // Check mode makes nothing, and a throwaway key differs each time.
        let a = HostKey::for_run(&path, true).unwrap();
        let b = HostKey::for_run(&path, true).unwrap();
        assert!(!path.exists() && !path.parent().unwrap().exists());
        assert_ne!(a.mac(b"x"), b.mac(b"x"));

        let made = HostKey::for_run(&path, false).unwrap();
        assert_eq!((mode(&path), mode(path.parent().unwrap())), (0o600, 0o700));
        assert_eq!(std::fs::read(&path).unwrap().len(), 32);
        for check in [false, true] {
            assert_eq!(
                HostKey::for_run(&path, check).unwrap().mac(b"x"),
                made.mac(b"x")
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        HostKey::load_or_create(&path).unwrap();
        assert_eq!(mode(&path), 0o600, "a widened key is narrowed again");

        std::fs::write(&path, b"short").unwrap();
        let err = HostKey::load_or_create(&path).unwrap_err();
        assert!(
            err.contains(&path.display().to_string())
                && err.contains("not 32")
                && err.contains("remove it"),
            "{err}"
        );
    }

    #[test]
    fn racing_agents_end_up_with_one_key() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("hash.key");
        let macs: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| HostKey::load_or_create(&path).unwrap().mac(b"x")))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(macs.iter().all(|m| *m == macs[0]), "{macs:?}");
        let on_disk = HostKey::load_or_create(&path).unwrap();
        assert_eq!(on_disk.mac(b"x"), macs[0]);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_unusable_state_folder_says_what_where_and_what_to_do() {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let fix = |dir: &Path| {
            if root {
                format!("make {} a folder root can write", dir.display())
            } else {
                "the key is root's: run the task with become: true".to_string()
            }
        };
        // Root may write almost anywhere: /proc is where no folder can be made.
        let path = Path::new("/proc/play-hash-key-test/hash.key");
        let err = HostKey::load_or_create(path).unwrap_err();
        assert!(
            err.starts_with(
                "cannot create the host's hash key /proc/play-hash-key-test/hash.key: "
            ) && err.contains("play keys the hashes of secrets it stores on this host")
                && err.ends_with(&fix(path.parent().unwrap())),
            "{err}"
        );
        // A file where the folder goes: cannot even be read, in check mode neither.
        let tmp = tempfile::tempdir().unwrap();
        let blocker = tmp.path().join("play");
        std::fs::write(&blocker, b"").unwrap();
        let path = blocker.join("hash.key");
        for check in [false, true] {
            let err = HostKey::for_run(&path, check).unwrap_err();
            assert!(
                err.starts_with(&format!(
                    "cannot read the host's hash key {}: ",
                    path.display()
                )) && err.ends_with(&fix(&blocker)),
                "{err}"
            );
        }
    }
}
