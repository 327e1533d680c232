//! What check mode would have written: `copy` in check mode stages the content it would put
//! at a path, and later tasks of the same check run read that instead of the file on disk.
//!
//! Why: one agent serves a host for a whole run, and a release reads the `.env` an earlier
//! task writes. Without this, `--check` compares the running container with the *old* `.env`
//! (and fails outright on a first release, where no `.env` exists yet), so a plan would
//! promise "no env change" while the apply changes it. Only check-mode reads look here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static STAGED: Mutex<Option<HashMap<PathBuf, Vec<u8>>>> = Mutex::new(None);

/// Remembers that a check-mode write would put `data` at `path`.
pub fn stage(path: &Path, data: &[u8]) {
    let mut staged = STAGED.lock().unwrap_or_else(|e| e.into_inner());
    staged
        .get_or_insert_with(HashMap::new)
        .insert(path.to_path_buf(), data.to_vec());
}

/// The content a check-mode write staged for `path`, if any.
pub fn staged(path: &Path) -> Option<Vec<u8>> {
    let staged = STAGED.lock().unwrap_or_else(|e| e.into_inner());
    staged.as_ref()?.get(path).cloned()
}

/// Reads `path` as check mode sees it (staged content first) or as it is on disk.
pub fn read(path: &Path, check: bool) -> std::io::Result<Vec<u8>> {
    if check {
        if let Some(data) = staged(path) {
            return Ok(data);
        }
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reads_see_staged_content_and_real_reads_do_not() {
        let dir = std::env::temp_dir().join(format!("play-planned-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(".env");
        std::fs::write(&path, "A=1\n").unwrap();
        stage(&path, b"A=2\n");
        assert_eq!(read(&path, true).unwrap(), b"A=2\n");
        assert_eq!(read(&path, false).unwrap(), b"A=1\n");
        let missing = dir.join("missing");
        stage(&missing, b"B=1\n");
        assert_eq!(read(&missing, true).unwrap(), b"B=1\n");
        assert!(read(&missing, false).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
