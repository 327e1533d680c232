//! Owner, group and mode of a path: compare with what a task asks, then change what differs.
//!
//! Shared by copy, file and lineinfile so that "changed" means the same in all of them. The
//! owner is changed before the mode because chown clears setuid/setgid bits.

use super::mode::{format_mode, ModeSpec};
use crate::accounts;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// What a task asks of a path's attributes; `None` leaves that attribute alone.
#[derive(Debug, Default, Clone, Copy)]
pub struct Attrs<'a> {
    pub mode: Option<&'a ModeSpec>,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
}

impl Attrs<'_> {
    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none()
    }
}

/// One attribute that differs: name, before, after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrChange {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// Resolves names to ids now so that a missing user fails before anything changes.
pub fn resolve_ids(attrs: &Attrs<'_>) -> Result<(Option<u32>, Option<u32>), String> {
    let uid = attrs.owner.map(accounts::resolve_uid).transpose()?;
    let gid = attrs.group.map(accounts::resolve_gid).transpose()?;
    Ok((uid, gid))
}

/// Compares `path`'s attributes with `attrs` and, unless `check`, changes those that differ.
/// `follow`: act on a symlink's target rather than the link (a link's mode cannot change).
pub fn apply_attrs(
    path: &Path,
    attrs: &Attrs<'_>,
    follow: bool,
    check: bool,
) -> Result<Vec<AttrChange>, String> {
    if attrs.is_empty() {
        return Ok(Vec::new());
    }
    let (uid, gid) = resolve_ids(attrs)?;
    let meta = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    }
    .map_err(|e| format!("cannot read the attributes of {}: {e}", path.display()))?;
    let is_link = meta.file_type().is_symlink();
    let mut changes = Vec::new();

    let new_uid = uid.filter(|u| *u != meta.uid());
    let new_gid = gid.filter(|g| *g != meta.gid());
    if let Some(u) = new_uid {
        changes.push(AttrChange {
            field: "owner",
            before: accounts::user_name(meta.uid()),
            after: accounts::user_name(u),
        });
    }
    if let Some(g) = new_gid {
        changes.push(AttrChange {
            field: "group",
            before: accounts::group_name(meta.gid()),
            after: accounts::group_name(g),
        });
    }
    if !check && (new_uid.is_some() || new_gid.is_some()) {
        let res = if is_link {
            std::os::unix::fs::lchown(path, new_uid, new_gid)
        } else {
            std::os::unix::fs::chown(path, new_uid, new_gid)
        };
        res.map_err(|e| {
            format!(
                "cannot change the owner/group of {}: {e} (does the task need become: true?)",
                path.display()
            )
        })?;
    }

    if let (Some(spec), false) = (attrs.mode, is_link) {
        // Re-read after chown: it may have cleared setuid/setgid bits.
        let current = if !check && (new_uid.is_some() || new_gid.is_some()) {
            std::fs::metadata(path)
                .map(|m| m.mode())
                .unwrap_or(meta.mode())
        } else {
            meta.mode()
        } & 0o7777;
        let wanted = spec.resolve(current, meta.is_dir())?;
        if wanted != current {
            changes.push(AttrChange {
                field: "mode",
                before: format_mode(meta.mode()),
                after: format_mode(wanted),
            });
            if !check {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))
                    .map_err(|e| format!("cannot change the mode of {}: {e}", path.display()))?;
            }
        }
    }
    Ok(changes)
}

/// `mode: 0644\n` lines for a diff.
pub fn diff_text(changes: &[AttrChange], after: bool) -> String {
    changes
        .iter()
        .map(|c| {
            let v = if after { &c.after } else { &c.before };
            format!("{}: {v}\n", c.field)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_change_is_reported_then_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mode = ModeSpec::Bits(0o644);
        let attrs = Attrs {
            mode: Some(&mode),
            owner: Some("root"),
            group: Some("0"),
        };
        let check = apply_attrs(&f, &attrs, true, true).unwrap();
        assert_eq!(check.len(), 1);
        assert_eq!(check[0].after, "0644");
        assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o777, 0o600);
        assert_eq!(apply_attrs(&f, &attrs, true, false).unwrap().len(), 1);
        assert_eq!(std::fs::metadata(&f).unwrap().mode() & 0o777, 0o644);
        assert!(apply_attrs(&f, &attrs, true, false).unwrap().is_empty());
    }

    #[test]
    fn unknown_owner_fails_before_acting() {
        let dir = tempfile::tempdir().unwrap();
        let attrs = Attrs {
            owner: Some("no-such-user-play"),
            ..Attrs::default()
        };
        let err = apply_attrs(dir.path(), &attrs, true, false).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
    }
}
