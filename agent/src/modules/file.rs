//! `file`: make a path be a file, directory, symlink, hard link, touched file, or absent,
//! with the asked owner, group and mode (`recurse` for a directory's whole tree).

use super::{args, common, Context, ModuleError, ModuleOutcome};
use crate::fsutil::{self, AttrChange, Attrs, ModeSpec};
use play_protocol::{Diff, ModuleResult};
use serde::Deserialize;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub state: Option<String>,
    #[serde(default)]
    pub mode: Option<ModeSpec>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub src: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub recurse: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub force: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub follow: Option<bool>,
}

/// What is at a path now.
fn current_state(path: &Path) -> &'static str {
    match std::fs::symlink_metadata(path) {
        Err(_) => "absent",
        Ok(m) if m.file_type().is_symlink() => "link",
        Ok(m) if m.is_dir() => "directory",
        Ok(m) if m.nlink() > 1 => "hard",
        Ok(_) => "file",
    }
}

pub fn run(args: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let path_str = args
        .path
        .clone()
        .ok_or_else(|| ModuleError("file: path is required".into()))?;
    let path = PathBuf::from(&path_str);
    let before = current_state(&path);
    let state = match args.state.as_deref() {
        Some(s) => s,
        // Ansible: without state, keep what is there (a missing path is an error below).
        None if before == "absent" => "file",
        None if before == "hard" => "file",
        None => before,
    };
    if args.mode == Some(ModeSpec::Preserve) {
        return Err(ModuleError("file: mode: preserve is only for copy".into()));
    }
    let attrs = Attrs {
        mode: args.mode.as_ref(),
        owner: args.owner.as_deref(),
        group: args.group.as_deref(),
    };
    fsutil::attrs::resolve_ids(&attrs)?;
    let follow = args.follow.unwrap_or(true);
    let mut changed = match state {
        "absent" => absent(&path, before, ctx)?,
        "file" => {
            if before == "absent" {
                return Err(ModuleError(format!(
                    "file ({path_str}) is absent, cannot continue: use state: touch to create an empty file, or copy to give it content"
                )));
            }
            if before == "directory" || (before == "link" && path.is_dir() && follow) {
                return Err(ModuleError(format!(
                    "file ({path_str}) is a directory, not a file"
                )));
            }
            false
        }
        "directory" => directory(&path, before, follow, &attrs, ctx)?,
        "touch" => touch(&path, before, &attrs, ctx)?,
        "link" => link(&path, &args, before, ctx)?,
        "hard" => hard(&path, &args, before, ctx)?,
        other => {
            return Err(ModuleError(format!(
                "file: unknown state '{other}': use file, directory, link, hard, touch or absent"
            )))
        }
    };
    let mut changes: Vec<AttrChange> = Vec::new();
    let exists_now = std::fs::symlink_metadata(&path).is_ok();
    if state != "absent" && exists_now {
        let follow_here = follow && !matches!(state, "link");
        changes = fsutil::apply_attrs(&path, &attrs, follow_here, ctx.check)?;
        if state == "directory" && args.recurse == Some(true) {
            changes.extend(recurse(&path, &attrs, ctx)?);
        }
    } else if args.recurse == Some(true) && state != "directory" {
        return Err(ModuleError("file: recurse needs state: directory".into()));
    }
    changed |= !changes.is_empty();

    let mut result = ModuleResult::changed(changed);
    if ctx.diff && changed {
        let after_state = if state == "touch" { "file" } else { state };
        let mut d = Diff {
            before_header: Some(path_str.clone()),
            after_header: Some(path_str.clone()),
            before: format!("state: {before}\n"),
            after: format!("state: {after_state}\n"),
        };
        d.before
            .push_str(&fsutil::attrs::diff_text(&changes, false));
        d.after.push_str(&fsutil::attrs::diff_text(&changes, true));
        result.diff.push(d);
    }
    result.data = common::path_info(&path);
    if ctx.check {
        result.data.insert(
            "state".into(),
            (if state == "touch" { "file" } else { state }).into(),
        );
    }
    if let Some(src) = &args.src {
        result.data.insert("src".into(), src.clone().into());
    }
    Ok(result)
}

fn absent(path: &Path, before: &str, ctx: &Context<'_>) -> Result<bool, ModuleError> {
    if before == "absent" {
        return Ok(false);
    }
    if !ctx.check {
        let res = if before == "directory" {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
        res.map_err(|e| ModuleError(format!("file: cannot remove {}: {e}", path.display())))?;
    }
    Ok(true)
}

fn directory(
    path: &Path,
    before: &str,
    follow: bool,
    attrs: &Attrs<'_>,
    ctx: &Context<'_>,
) -> Result<bool, ModuleError> {
    match before {
        "directory" => Ok(false),
        "link" if follow && path.is_dir() => Ok(false),
        "absent" => {
            if !ctx.check {
                fsutil::create_dirs(&fsutil::missing_dirs(path), attrs)?;
            }
            Ok(true)
        }
        other => Err(ModuleError(format!(
            "file: {} already exists as a {other}, not a directory: remove it first (state: absent)",
            path.display()
        ))),
    }
}

fn touch(
    path: &Path,
    before: &str,
    attrs: &Attrs<'_>,
    ctx: &Context<'_>,
) -> Result<bool, ModuleError> {
    if ctx.check {
        return Ok(true);
    }
    if before == "absent" {
        let mode = match attrs.mode {
            Some(spec) => spec.resolve(0o666 & !fsutil::umask(), false)?,
            None => 0o666 & !fsutil::umask(),
        };
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .map_err(|e| ModuleError(format!("file: cannot create {}: {e}", path.display())))?;
    } else {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| ModuleError("file: path contains a NUL byte".into()))?;
        // SAFETY: c is a valid NUL-terminated path; a null times pointer means "now".
        let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), std::ptr::null(), 0) };
        if rc != 0 {
            return Err(ModuleError(format!(
                "file: cannot update the times of {}: {}",
                path.display(),
                std::io::Error::last_os_error()
            )));
        }
    }
    // Touching always changes the times, so it always reports changed (as Ansible does).
    Ok(true)
}

/// Replaces whatever is at `path` with what `make` creates at a temp name, atomically.
fn replace_with(
    path: &Path,
    make: impl Fn(&Path) -> std::io::Result<()>,
) -> Result<(), ModuleError> {
    let tmp = path.with_file_name(format!(
        ".{}.play-{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    make(&tmp)
        .and_then(|()| {
            if path.is_dir() && !path.is_symlink() {
                std::fs::remove_dir(path)?;
            }
            std::fs::rename(&tmp, path)
        })
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            ModuleError(format!("file: cannot create {}: {e}", path.display()))
        })
}

fn refuse_replacing(path: &Path, before: &str, force: bool, kind: &str) -> Result<(), ModuleError> {
    match before {
        "absent" | "link" if kind == "symlink" => Ok(()),
        "absent" => Ok(()),
        "directory" => {
            let empty = std::fs::read_dir(path).map(|mut d| d.next().is_none()).unwrap_or(false);
            if force && empty {
                Ok(())
            } else {
                Err(ModuleError(format!(
                    "file: refusing to replace the directory {} with a {kind}{}",
                    path.display(),
                    if empty { " (set force: true to do so)" } else { ": it is not empty" }
                )))
            }
        }
        other if force => {
            let _ = other;
            Ok(())
        }
        other => Err(ModuleError(format!(
            "file: refusing to convert from {other} to {kind} for {}: set force: true to replace it",
            path.display()
        ))),
    }
}

fn link(path: &Path, args: &Args, before: &str, ctx: &Context<'_>) -> Result<bool, ModuleError> {
    let src = args.src.as_deref().ok_or_else(|| {
        ModuleError("file: state: link needs src (what the link points to)".into())
    })?;
    if before == "link"
        && std::fs::read_link(path)
            .map(|t| t == Path::new(src))
            .unwrap_or(false)
    {
        return Ok(false);
    }
    let force = args.force == Some(true);
    refuse_replacing(path, before, force, "symlink")?;
    let resolved = path.parent().unwrap_or(Path::new("/")).join(src);
    if !force && std::fs::symlink_metadata(&resolved).is_err() {
        return Err(ModuleError(format!(
            "file: src file does not exist: {} (set force: true to create a dangling link)",
            resolved.display()
        )));
    }
    if !ctx.check {
        replace_with(path, |tmp| std::os::unix::fs::symlink(src, tmp))?;
    }
    Ok(true)
}

fn hard(path: &Path, args: &Args, before: &str, ctx: &Context<'_>) -> Result<bool, ModuleError> {
    let src = args
        .src
        .as_deref()
        .ok_or_else(|| ModuleError("file: state: hard needs src".into()))?;
    let src_meta = std::fs::metadata(src)
        .map_err(|e| ModuleError(format!("file: src {src} cannot be hard-linked: {e}")))?;
    if let Ok(m) = std::fs::symlink_metadata(path) {
        if m.ino() == src_meta.ino() && m.dev() == src_meta.dev() {
            return Ok(false);
        }
    }
    refuse_replacing(path, before, args.force == Some(true), "hard link")?;
    if !ctx.check {
        replace_with(path, |tmp| std::fs::hard_link(src, tmp))?;
    }
    Ok(true)
}

/// Applies attributes to everything below `root` (links themselves, never their targets).
fn recurse(
    root: &Path,
    attrs: &Attrs<'_>,
    ctx: &Context<'_>,
) -> Result<Vec<AttrChange>, ModuleError> {
    let mut changes = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| ModuleError(format!("file: cannot list {}: {e}", dir.display())))?;
        for entry in entries.flatten() {
            let p = entry.path();
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            changes.extend(fsutil::apply_attrs(&p, attrs, false, ctx.check)?);
            if is_dir {
                stack.push(p);
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
