//! Writing vault files safely: a rewrite goes to a temp file beside the target and is renamed
//! over it (never a half-written vault), keeping the old file's mode and owner; new files are
//! 0600. Plaintext for the editor lives in a 0700 directory of its own, in a 0600 file,
//! overwritten and removed when done (even when the edit fails).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Replaces (or creates) `path` with `bytes` atomically. An existing file keeps its mode
/// (and owner, when we may set it); a new one gets 0600.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let previous = fs::metadata(path).ok();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vault".into());
    let tmp = dir.join(format!(".{name}.play-vault-{}", crate::files::random_tag()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
        if let Some(previous) = &previous {
            // Owner first: chown may clear setuid bits that the mode then restores. Not being
            // allowed to give the file away (not root) is fine: it stays ours, as Ansible's.
            let _ = std::os::unix::fs::fchown(&file, Some(previous.uid()), Some(previous.gid()));
            file.set_permissions(fs::Permissions::from_mode(previous.mode() & 0o7777))?;
        }
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The real file behind `path` (symlinks followed), so rewriting keeps the link.
pub(crate) fn real_path(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A private directory holding one plaintext file for the editor; wiped on drop.
pub(crate) struct PrivateTemp {
    dir: PathBuf,
    file: PathBuf,
}

impl PrivateTemp {
    /// Creates `<tmp>/play-vault-XXXX/<name>` (0700 / 0600) holding `content`. `name` keeps
    /// the vault's extension so editors pick the right syntax.
    pub(crate) fn new(name: &str, content: &[u8]) -> io::Result<PrivateTemp> {
        let base = std::env::temp_dir();
        let mut attempts = 0;
        let dir = loop {
            let dir = base.join(format!("play-vault-{}", crate::files::random_tag()));
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 10 => {
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        };
        let temp = PrivateTemp {
            file: dir.join(name),
            dir,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp.file)?;
        file.write_all(content)?;
        file.sync_all()?;
        Ok(temp)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.file
    }

    #[cfg(test)]
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PrivateTemp {
    fn drop(&mut self) {
        // Overwrite before unlinking, like Ansible's shred fallback: the plaintext should not
        // linger in freed blocks any longer than the filesystem makes us.
        if let Ok(len) = fs::metadata(&self.file).map(|m| m.len()) {
            if let Ok(mut f) = OpenOptions::new().write(true).open(&self.file) {
                let zeros = vec![0u8; len.min(16 << 20) as usize];
                let _ = f.write_all(&zeros).and_then(|_| f.sync_all());
            }
        }
        // The editor may have left swap or backup files beside it: remove the whole folder.
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Reads a file whole, as bytes.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    io::Read::read_to_end(&mut File::open(path)?, &mut data)?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_mode_and_new_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("vars.yml");
        fs::write(&old, "x").unwrap();
        fs::set_permissions(&old, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&old, b"new").unwrap();
        assert_eq!(fs::read(&old).unwrap(), b"new");
        assert_eq!(fs::metadata(&old).unwrap().mode() & 0o7777, 0o640);

        let new = dir.path().join("new.yml");
        write_atomic(&new, b"n").unwrap();
        assert_eq!(fs::metadata(&new).unwrap().mode() & 0o7777, 0o600);
        // No temp file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn private_temp_is_private_and_removed() {
        let temp = PrivateTemp::new("secret.yml", b"plain").unwrap();
        let dir = temp.dir().to_path_buf();
        assert_eq!(fs::metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(temp.path()).unwrap().mode() & 0o777, 0o600);
        assert_eq!(fs::read(temp.path()).unwrap(), b"plain");
        fs::write(dir.join(".secret.yml.swp"), "editor leftovers").unwrap();
        drop(temp);
        assert!(!dir.exists());
    }
}
