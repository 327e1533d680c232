//! The plan key: every hash a plan file holds (file contents, extra vars, rendered task
//! arguments, what a check saw on a host) is an HMAC-SHA256 under a secret key kept on the
//! controller, never in the plan.
//!
//! Why keyed: a plan is meant to be read by reviewers and may be copied around, and some of
//! what it hashes is secret (the `.env` content, vaulted vars). A plain sha256 of a short
//! password can be brute-forced from the plan; an HMAC under a 256-bit key cannot. The cost:
//! `play apply` must run where the key is (the machine `play plan` ran on, or one given the
//! same key file through `PLAY_PLAN_KEY_FILE`).

use hmac::{Hmac, KeyInit, Mac};
use sha2_v011::{Digest, Sha256};
use std::path::{Path, PathBuf};

type HmacSha256 = Hmac<Sha256>;

/// The controller's plan key.
pub struct PlanKey {
    bytes: [u8; 32],
    path: PathBuf,
}

impl PlanKey {
    /// Where the key lives: `$PLAY_PLAN_KEY_FILE`, else `$XDG_STATE_HOME/play/plan.key`, else
    /// `~/.local/state/play/plan.key`.
    pub fn default_path() -> Result<PathBuf, String> {
        if let Some(p) = std::env::var_os("PLAY_PLAN_KEY_FILE").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        let state = std::env::var_os("XDG_STATE_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state"))
            })
            .ok_or("cannot place the plan key: set HOME, XDG_STATE_HOME or PLAY_PLAN_KEY_FILE")?;
        Ok(state.join("play").join("plan.key"))
    }

    /// Loads the key at `path`, creating it (32 random bytes, mode 0600) when missing.
    pub fn load_or_create(path: &Path) -> Result<PlanKey, String> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
                    format!(
                        "the plan key {} is not 32 bytes: remove it to make a new one (plans made with it can then no longer be applied)",
                        path.display()
                    )
                })?;
                Ok(PlanKey {
                    bytes,
                    path: path.to_path_buf(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            Err(e) => Err(format!("cannot read the plan key {}: {e}", path.display())),
        }
    }

    fn create(path: &Path) -> Result<PlanKey, String> {
        use std::io::Write;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("cannot get random bytes: {e}"))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("cannot create the plan key {}: {e}", path.display()))?;
        f.write_all(&bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| format!("cannot write the plan key {}: {e}", path.display()))?;
        Ok(PlanKey {
            bytes,
            path: path.to_path_buf(),
        })
    }

    #[cfg(test)]
    pub fn from_bytes(bytes: [u8; 32]) -> PlanKey {
        PlanKey {
            bytes,
            path: PathBuf::from("(test)"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Names the key without revealing it, so `apply` can tell a plan made with another key.
    pub fn id(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"play plan key id\0");
        h.update(self.bytes);
        hex::encode(&h.finalize()[..8])
    }

    /// The keyed hash of `data`, as lowercase hex.
    pub fn hash(&self, data: &[u8]) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.bytes).expect("any key size");
        mac.update(data);
        hex::encode(mac.finalize().into_bytes())
    }

    /// The keyed hash of a JSON value (serialized as-is: callers build values in a fixed
    /// order, so equal inputs give equal bytes).
    pub fn hash_json(&self, v: &serde_json::Value) -> String {
        self.hash(&serde_json::to_vec(v).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_depend_on_the_key_and_the_key_is_created_private() {
        let a = PlanKey::from_bytes([1; 32]);
        let b = PlanKey::from_bytes([2; 32]);
        assert_eq!(a.hash(b"hunter2"), a.hash(b"hunter2"));
        assert_ne!(a.hash(b"hunter2"), b.hash(b"hunter2"));
        // Not the plain sha256 a reviewer could brute-force.
        assert_ne!(a.hash(b"hunter2"), hex::encode(Sha256::digest(b"hunter2")));
        assert_ne!(a.id(), b.id());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/play/plan.key");
        let made = PlanKey::load_or_create(&path).unwrap();
        let again = PlanKey::load_or_create(&path).unwrap();
        assert_eq!(made.id(), again.id());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(&path, b"short").unwrap();
        assert!(PlanKey::load_or_create(&path)
            .err()
            .unwrap()
            .contains("not 32 bytes"));
    }
}
