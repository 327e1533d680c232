//! File-system helpers shared by the file-writing modules (copy, lineinfile, file, and the
//! docker modules' `.env` files): atomic replacement, backups, checksums, diff text.
//!
//! [`atomic_write`] never leaves a half-written destination: the new content goes to a temp
//! file in the same folder (created 0600, so a secret is never readable by others even for a
//! moment), is synced, gets its final owner and mode, may be validated, and only then is
//! renamed over the destination. Any failure (disk full included) removes the temp file and
//! leaves the old file as it was. [`atomic_create`] finishes the temp file the same way but
//! links it into place only when the name is free, for files that must be made once and never
//! replaced (the host's hash key).

pub mod attrs;
pub mod mode;
pub mod planned;

pub use attrs::{apply_attrs, AttrChange, Attrs};
pub use mode::{format_mode, ModeSpec};

use sha1::Digest as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Ansible's limit for diffs: larger files are not shown.
pub const MAX_DIFF_BYTES: usize = 104_448;

/// A check run on the finished temp file before it replaces the destination.
pub type Validator<'a> = &'a dyn Fn(&Path) -> Result<(), String>;

/// How the replacement file is finished before it takes the destination's place.
#[derive(Default)]
pub struct WriteOptions<'a> {
    /// Permission bits; `None` keeps the destination's, or 0666 minus umask for a new file.
    pub mode: Option<u32>,
    /// Owner; `None` keeps the destination's, or the agent's for a new file.
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Runs on the finished temp file; an error aborts the write (copy's `validate`).
    pub validate: Option<Validator<'a>>,
}

/// Replaces `dest` with `data` atomically (see the module doc).
pub fn atomic_write(dest: &Path, data: &[u8], opts: &WriteOptions<'_>) -> Result<(), String> {
    atomic_write_with(dest, opts, |f| f.write_all(data))
}

/// [`atomic_write`] with the body written by `fill` (tests inject write failures here).
pub fn atomic_write_with(
    dest: &Path,
    opts: &WriteOptions<'_>,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), String> {
    place(dest, opts, Place::Replace, fill).map(|_| ())
}

/// Creates `dest` with `data` unless it exists: returns false, leaving the existing file
/// alone, when the name is taken. The finished temp file is hard-linked into place, because
/// link(2) fails on an existing name where rename(2) would replace it: of two writers racing,
/// exactly one wins and the other can read the winner's file, whole.
pub fn atomic_create(dest: &Path, data: &[u8], opts: &WriteOptions<'_>) -> Result<bool, String> {
    place(dest, opts, Place::IfAbsent, |f| f.write_all(data))
}

/// How the finished temp file takes the destination's name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// rename(2): replaces whatever is there.
    Replace,
    /// link(2), then the temp name is removed: only when the name is free.
    IfAbsent,
}

/// Writes the temp file and puts it in place; false when `Place::IfAbsent` found the name taken.
fn place(
    dest: &Path,
    opts: &WriteOptions<'_>,
    how: Place,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<bool, String> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = dest
        .file_name()
        .ok_or_else(|| format!("{} is not a file path", dest.display()))?;
    let existing = std::fs::metadata(dest).ok().filter(|m| m.is_file());
    let mode = opts.mode.unwrap_or_else(|| match &existing {
        Some(m) => m.mode() & 0o7777,
        None => 0o666 & !umask(),
    });
    let uid = opts.uid.or(existing.as_ref().map(MetadataExt::uid));
    let gid = opts.gid.or(existing.as_ref().map(MetadataExt::gid));

    let (tmp_path, mut file) = create_temp(dir, &name.to_string_lossy())
        .map_err(|e| format!("cannot create a temporary file in {}: {e}", dir.display()))?;
    let finish = || -> Result<bool, String> {
        let io_err = |what: &str, e: io::Error| format!("{what} {}: {e}", tmp_path.display());
        fill(&mut file).map_err(|e| io_err("writing", e))?;
        file.sync_all().map_err(|e| io_err("syncing", e))?;
        if uid.is_some() || gid.is_some() {
            std::os::unix::fs::fchown(&file, uid, gid)
                .map_err(|e| io_err("changing the owner of", e))?;
        }
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| io_err("changing the mode of", e))?;
        drop(file);
        if let Some(validate) = opts.validate {
            validate(&tmp_path)?;
        }
        match how {
            Place::Replace => std::fs::rename(&tmp_path, dest).map_err(|e| {
                format!("renaming {} to {}: {e}", tmp_path.display(), dest.display())
            })?,
            Place::IfAbsent => match std::fs::hard_link(&tmp_path, dest) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&tmp_path);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let _ = std::fs::remove_file(&tmp_path);
                    return Ok(false);
                }
                Err(e) => {
                    return Err(format!(
                        "linking {} to {}: {e}",
                        tmp_path.display(),
                        dest.display()
                    ))
                }
            },
        }
        // The new name is durable only once the folder is synced; failing that is not an
        // error worth undoing a finished write for.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(true)
    };
    finish().map_err(|e| {
        let _ = std::fs::remove_file(&tmp_path);
        format!(
            "could not write {}: {e}; the existing file was left unchanged",
            dest.display()
        )
    })
}

fn create_temp(dir: &Path, base: &str) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{base}.play-{}-{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The folders of `path` (itself included) that do not exist yet, outermost first.
pub fn missing_dirs(path: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = path
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| std::fs::symlink_metadata(p).is_err())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

/// Creates `dirs` (from [`missing_dirs`]) in order, giving each the requested attributes.
pub fn create_dirs(dirs: &[PathBuf], attrs: &Attrs<'_>) -> Result<(), String> {
    for d in dirs {
        match std::fs::create_dir(d) {
            Ok(()) => {}
            // Someone else made it meanwhile: fine, it exists now.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create folder {}: {e}", d.display())),
        }
        apply_attrs(d, attrs, true, false)?;
    }
    Ok(())
}

/// The process umask, read without changing it (`Umask:` in /proc/self/status).
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Copies `path` to `path.PID.YYYY-MM-DD@HH:MM:SS~` (Ansible's backup name), keeping its
/// mode, owner and times; returns the backup's path.
pub fn backup(path: &Path) -> Result<String, String> {
    let t = crate::timefmt::local_now();
    let name = format!(
        "{}.{}.{}@{}~",
        path.display(),
        std::process::id(),
        t.date(),
        t.time()
    );
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot back up {}: {e}", path.display()))?;
    std::fs::copy(path, &name)
        .map_err(|e| format!("cannot back up {} to {name}: {e}", path.display()))?;
    let _ = std::os::unix::fs::chown(&name, Some(meta.uid()), Some(meta.gid()));
    let _ = std::fs::set_permissions(&name, std::fs::Permissions::from_mode(meta.mode() & 0o7777));
    if let (Ok(f), Ok(mtime), Ok(atime)) = (
        File::options().write(true).open(&name),
        meta.modified(),
        meta.accessed(),
    ) {
        let _ = f.set_times(
            std::fs::FileTimes::new()
                .set_modified(mtime)
                .set_accessed(atime),
        );
    }
    Ok(name)
}

/// Hex SHA-1 of bytes (Ansible's default checksum).
pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(sha1::Sha1::digest(data))
}

/// Hex digest of a file's content by algorithm name (md5, sha1, sha224, sha256, sha384, sha512).
pub fn file_checksum(path: &Path, algorithm: &str) -> Result<String, String> {
    fn stream<D: sha1::Digest>(mut f: File, mut d: D) -> io::Result<String> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                return Ok(hex::encode(d.finalize()));
            }
            d.update(&buf[..n]);
        }
    }
    let f = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let res = match algorithm {
        "sha1" => stream(f, sha1::Sha1::new()),
        "md5" => stream(f, md5::Md5::new()),
        "sha224" => stream(f, sha2::Sha224::new()),
        "sha256" => stream(f, sha2::Sha256::new()),
        "sha384" => stream(f, sha2::Sha384::new()),
        "sha512" => stream(f, sha2::Sha512::new()),
        other => {
            return Err(format!(
                "unknown checksum_algorithm '{other}': use one of md5, sha1, sha224, sha256, sha384, sha512"
            ))
        }
    };
    res.map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Text to show in a diff, or `None` for binary or oversized content.
pub fn diff_text(data: &[u8]) -> Option<String> {
    if data.len() > MAX_DIFF_BYTES || data.contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(data).into_owned())
}

#[cfg(test)]
mod tests;
