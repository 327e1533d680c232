//! `stat`: what is at a path, in the `stat` dictionary Ansible returns (exists, isdir, isreg,
//! islnk, mode "0644", uid/gid and their names, size, times, checksum, ...). Never changes.

use super::{args, Context, ModuleError, ModuleOutcome};
use crate::accounts;
use crate::fsutil;
use play_protocol::ModuleResult;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::ffi::CString;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub follow: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub get_checksum: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub checksum_algorithm: Option<String>,
}

fn access(path: &Path, mode: i32) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: c is a valid NUL-terminated string; access only reads it.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

fn float_time(secs: i64, nsecs: i64) -> f64 {
    secs as f64 + nsecs as f64 / 1e9
}

pub fn run(args: Args, _ctx: &Context<'_>) -> ModuleOutcome {
    let path_str = args
        .path
        .ok_or_else(|| ModuleError("stat: path is required".into()))?;
    let path = Path::new(&path_str);
    let follow = args.follow.unwrap_or(false);
    let meta = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(ModuleResult::ok().with("stat", json!({"exists": false})));
        }
        Err(e) => return Err(ModuleError(format!("stat: cannot stat {path_str}: {e}"))),
    };
    let ft = meta.file_type();
    let mode = meta.mode();
    let bit = |b: u32| mode & b != 0;
    let mut s = Map::new();
    let mut put = |k: &str, v: Value| {
        s.insert(k.to_string(), v);
    };
    put("exists", true.into());
    put("path", path_str.clone().into());
    put("mode", fsutil::format_mode(mode).into());
    put("isdir", ft.is_dir().into());
    put("isreg", ft.is_file().into());
    put("islnk", ft.is_symlink().into());
    put("ischr", ft.is_char_device().into());
    put("isblk", ft.is_block_device().into());
    put("isfifo", ft.is_fifo().into());
    put("issock", ft.is_socket().into());
    put("uid", meta.uid().into());
    put("gid", meta.gid().into());
    put("pw_name", accounts::user_name(meta.uid()).into());
    put("gr_name", accounts::group_name(meta.gid()).into());
    put("size", meta.size().into());
    put("inode", meta.ino().into());
    put("dev", meta.dev().into());
    put("nlink", meta.nlink().into());
    put("atime", float_time(meta.atime(), meta.atime_nsec()).into());
    put("mtime", float_time(meta.mtime(), meta.mtime_nsec()).into());
    put("ctime", float_time(meta.ctime(), meta.ctime_nsec()).into());
    for (name, b) in [
        ("rusr", 0o400),
        ("wusr", 0o200),
        ("xusr", 0o100),
        ("rgrp", 0o040),
        ("wgrp", 0o020),
        ("xgrp", 0o010),
        ("roth", 0o004),
        ("woth", 0o002),
        ("xoth", 0o001),
        ("isuid", 0o4000),
        ("isgid", 0o2000),
    ] {
        put(name, bit(b).into());
    }
    put("readable", access(path, libc::R_OK).into());
    put("writeable", access(path, libc::W_OK).into());
    put("executable", access(path, libc::X_OK).into());
    if ft.is_symlink() {
        if let Ok(target) = std::fs::read_link(path) {
            put("lnk_target", target.to_string_lossy().into());
        }
        if let Ok(real) = std::fs::canonicalize(path) {
            put("lnk_source", real.to_string_lossy().into());
        }
    }
    if ft.is_file() && args.get_checksum.unwrap_or(true) && access(path, libc::R_OK) {
        let algo = args.checksum_algorithm.as_deref().unwrap_or("sha1");
        put("checksum", fsutil::file_checksum(path, algo)?.into());
    }
    Ok(ModuleResult::ok().with("stat", Value::Object(s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn stat(path: &Path, extra: impl FnOnce(&mut Args)) -> Value {
        let mut a = Args {
            path: Some(path.to_string_lossy().into()),
            ..Args::default()
        };
        extra(&mut a);
        run(a, &Context::detached(false)).unwrap().data["stat"].clone()
    }

    #[test]
    fn file_dir_link_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "abc").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let s = stat(&f, |_| {});
        assert_eq!(s["exists"], true);
        assert_eq!(s["isreg"], true);
        assert_eq!(s["mode"], "0640");
        assert_eq!(s["size"], 3);
        assert_eq!(s["pw_name"], "root");
        assert_eq!(s["checksum"], "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(s["roth"], false);
        let s = stat(&f, |a| a.checksum_algorithm = Some("sha256".into()));
        assert_eq!(s["checksum"].as_str().unwrap().len(), 64);
        assert!(stat(&f, |a| a.get_checksum = Some(false))
            .get("checksum")
            .is_none());
        assert_eq!(stat(dir.path(), |_| {})["isdir"], true);
        let l = dir.path().join("l");
        std::os::unix::fs::symlink(&f, &l).unwrap();
        let s = stat(&l, |_| {});
        assert_eq!(s["islnk"], true);
        assert_eq!(s["lnk_target"], f.to_string_lossy().as_ref());
        assert_eq!(stat(&l, |a| a.follow = Some(true))["isreg"], true);
        assert_eq!(
            stat(&dir.path().join("nope"), |_| {}),
            json!({"exists": false})
        );
    }
}
