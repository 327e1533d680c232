//! `copy` (and `template`, which the controller renders and sends here): put bytes at `dest`
//! with the asked owner, group and mode.
//!
//! The content arrives as `content`, as `_content_b64` (the controller read or rendered a
//! local file), or is read on the host (`src` with `remote_src`). Content is compared by
//! checksum; a write goes through `fsutil::atomic_write`, so an error (disk full, failed
//! `validate`) leaves the old file intact. Missing parent folders are created, with
//! `directory_mode` when given.

use super::{args, common, Context, ModuleError, ModuleOutcome};
use crate::fsutil::{self, Attrs, ModeSpec, WriteOptions};
use base64::Engine as _;
use play_protocol::ModuleResult;
use serde::Deserialize;
use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default, deserialize_with = "args::opt_string")]
    pub src: Option<String>,
    #[serde(default)]
    pub content: Option<Value>,
    #[serde(default, rename = "_content_b64")]
    pub content_b64: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub dest: Option<String>,
    #[serde(default)]
    pub mode: Option<ModeSpec>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub owner: Option<String>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub group: Option<String>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub backup: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub force: Option<bool>,
    #[serde(default, deserialize_with = "args::opt_string")]
    pub validate: Option<String>,
    #[serde(default)]
    pub directory_mode: Option<ModeSpec>,
    #[serde(default, deserialize_with = "args::opt_bool")]
    pub remote_src: Option<bool>,
}

/// The bytes to write, and the source's mode for `mode: preserve`.
fn content(args: &Args) -> Result<(Vec<u8>, Option<u32>), ModuleError> {
    match (&args.content, &args.content_b64, &args.src) {
        (Some(Value::String(s)), None, None) => Ok((s.clone().into_bytes(), None)),
        (Some(Value::Null), None, None) => Ok((Vec::new(), None)),
        // Ansible writes structured content (a dict rendered from a template) as JSON.
        (Some(v), None, None) => Ok((serde_json::to_vec(v)?, None)),
        (None, Some(b64), _) => base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map(|d| (d, None))
            .map_err(|e| ModuleError(format!("copy: _content_b64 is not valid base64: {e}"))),
        (None, None, Some(src)) if args.remote_src == Some(true) => {
            let meta = std::fs::metadata(src)
                .map_err(|e| ModuleError(format!("copy: cannot read src {src} on the host: {e}")))?;
            if meta.is_dir() {
                return Err(ModuleError(format!(
                    "copy: src {src} is a directory; copying folders with remote_src is not supported, copy the files one by one"
                )));
            }
            let data = std::fs::read(src)
                .map_err(|e| ModuleError(format!("copy: cannot read src {src} on the host: {e}")))?;
            Ok((data, Some(meta.mode() & 0o7777)))
        }
        (None, None, Some(src)) => Err(ModuleError(format!(
            "copy: src {src} reached the agent unread: the controller should send its content; set remote_src: true if the file is on the host"
        ))),
        (None, None, None) => Err(ModuleError("copy: one of content or src is required".into())),
        _ => Err(ModuleError("copy: give only one of content and src".into())),
    }
}

pub fn run(args: Args, ctx: &Context<'_>) -> ModuleOutcome {
    let dest_str = args
        .dest
        .clone()
        .ok_or_else(|| ModuleError("copy: dest is required".into()))?;
    let dest = PathBuf::from(&dest_str);
    let (data, src_mode) = content(&args)?;
    if args.mode == Some(ModeSpec::Preserve) && src_mode.is_none() {
        return Err(ModuleError(
            "copy: mode: preserve needs the source's mode; it works only with remote_src here"
                .into(),
        ));
    }
    if dest.is_dir() {
        return Err(ModuleError(format!(
            "copy: dest {dest_str} is a directory: give the full path of the file to write"
        )));
    }
    let attrs = Attrs {
        mode: args.mode.as_ref(),
        owner: args.owner.as_deref(),
        group: args.group.as_deref(),
    };
    let (uid, gid) = fsutil::attrs::resolve_ids(&attrs)?;
    let new_sum = fsutil::sha1_hex(&data);
    let old = match std::fs::read(&dest) {
        Ok(d) => Some(d),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(ModuleError(format!("copy: cannot read {dest_str}: {e}"))),
    };
    let mut result = ModuleResult::ok()
        .with("dest", dest_str.clone())
        .with("checksum", new_sum.clone())
        .with("size", data.len() as u64)
        .with(
            "previous_checksum",
            old.as_deref()
                .map(fsutil::sha1_hex)
                .map(Value::String)
                .unwrap_or(Value::Null),
        );

    if let Some(old) = &old {
        if fsutil::sha1_hex(old) != new_sum && args.force == Some(false) {
            return Ok(result.with_msg("file already exists"));
        }
    }
    let content_changes = old.as_deref() != Some(&data[..]);

    if content_changes {
        if ctx.diff {
            result
                .diff
                .push(common::content_diff(&dest, old.as_deref(), &data));
        }
        result.changed = true;
        if ctx.check {
            fsutil::planned::stage(&dest, &data);
        } else {
            let parent = dest.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(parent) = parent {
                let dir_attrs = Attrs {
                    mode: args.directory_mode.as_ref(),
                    ..attrs
                };
                fsutil::create_dirs(&fsutil::missing_dirs(parent), &dir_attrs)?;
            }
            if old.is_some() && args.backup == Some(true) {
                result = result.with("backup_file", fsutil::backup(&dest)?);
            }
            let current = std::fs::metadata(&dest).ok().map(|m| m.mode() & 0o7777);
            let mode = match &args.mode {
                Some(ModeSpec::Preserve) => src_mode,
                Some(spec) => {
                    Some(spec.resolve(current.unwrap_or(0o666 & !fsutil::umask()), false)?)
                }
                None => None,
            };
            let check_fn = args
                .validate
                .as_deref()
                .map(|v| common::validator(v, ctx))
                .transpose()?;
            let opts = WriteOptions {
                mode,
                uid,
                gid,
                validate: check_fn.as_ref().map(|f| f as fsutil::Validator<'_>),
            };
            fsutil::atomic_write(&dest, &data, &opts)?;
        }
    }
    // Attributes of an unchanged (or, in check mode, not yet written) file.
    if dest.exists() && !(content_changes && ctx.check && old.is_none()) {
        let mode_spec = match &args.mode {
            Some(ModeSpec::Preserve) => src_mode.map(ModeSpec::Bits),
            other => other.clone(),
        };
        let attrs = Attrs {
            mode: mode_spec.as_ref(),
            ..attrs
        };
        let changes = fsutil::apply_attrs(&dest, &attrs, true, ctx.check)?;
        if !changes.is_empty() {
            result.changed = true;
            if ctx.diff {
                result.diff.push(common::attr_diff(&dest, &changes));
            }
        }
    }
    for (k, v) in common::path_info(&dest) {
        if k != "path" && k != "size" {
            result.data.insert(k, v);
        }
    }
    Ok(result)
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod tests;
