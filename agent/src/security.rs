//! Start-up check of where the agent binary lives.
//!
//! The agent runs as root (through `sudo -n`) from the SSH user's cache folder. If anyone
//! but that user or root could write to the folder or the binary, they could swap the binary
//! between the controller's checksum check and its start, and so run code as root. The
//! agent therefore refuses to start from such a place (exit code 3, see `main`).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Exit code for "refused to run from an unsafe location".
pub const EXIT_UNSAFE_LOCATION: i32 = 3;

/// The uids allowed to own the binary and its folder: root, the real uid, and the user
/// that ran `sudo` (the folder is in their home).
pub fn allowed_owners() -> Vec<u32> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let mut uids = vec![0, unsafe { libc::getuid() }];
    if let Some(uid) = std::env::var("SUDO_UID").ok().and_then(|v| v.parse().ok()) {
        uids.push(uid);
    }
    uids
}

/// Checks the binary at `exe` and its folder.
pub fn check_location(exe: &Path, allowed: &[u32]) -> Result<(), String> {
    let dir = exe
        .parent()
        .ok_or_else(|| format!("cannot tell the folder of {}", exe.display()))?;
    check_one(dir, "folder", allowed)?;
    check_one(exe, "binary", allowed)
}

fn check_one(path: &Path, what: &str, allowed: &[u32]) -> Result<(), String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot inspect the agent {what} {}: {e}", path.display()))?;
    judge(path, what, meta.uid(), meta.mode(), allowed)
}

fn judge(path: &Path, what: &str, uid: u32, mode: u32, allowed: &[u32]) -> Result<(), String> {
    if !allowed.contains(&uid) {
        return Err(format!(
            "refusing to run: the agent {what} {} is owned by uid {uid}, not by root or the invoking user ({allowed:?}); \
             remove it and let the controller upload the agent again",
            path.display()
        ));
    }
    if mode & 0o022 != 0 {
        return Err(format!(
            "refusing to run: the agent {what} {} is writable by group or others (mode {:04o}); \
             run `chmod go-w {}` or remove it and let the controller upload the agent again",
            path.display(),
            mode & 0o7777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn judge_rules() {
        let p = Path::new("/x");
        assert!(judge(p, "folder", 0, 0o40755, &[0]).is_ok());
        assert!(judge(p, "folder", 1000, 0o40700, &[0, 1000]).is_ok());
        let err = judge(p, "folder", 1001, 0o40700, &[0, 1000]).unwrap_err();
        assert!(err.contains("owned by uid 1001"), "{err}");
        let err = judge(p, "folder", 0, 0o41777, &[0]).unwrap_err();
        assert!(
            err.contains("writable by group or others (mode 1777)"),
            "{err}"
        );
        assert!(judge(p, "folder", 0, 0o40775, &[0]).is_err());
    }

    #[test]
    fn world_writable_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("play-agent");
        std::fs::write(&exe, b"x").unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_location(&exe, &allowed_owners()).is_ok());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(check_location(&exe, &allowed_owners()).is_err());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o757)).unwrap();
        assert!(check_location(&exe, &allowed_owners()).is_err());
    }
}
