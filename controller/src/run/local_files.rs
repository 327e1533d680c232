//! Files the controller reads for a task: `copy: src=` and `template: src=`, looked up the way
//! Ansible does (`files/` and `templates/` beside the task file, then beside the playbook).

use super::Engine;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

fn find(src: &str, dirs: &[PathBuf], sub: &str) -> Result<PathBuf, String> {
    let p = Path::new(src);
    if p.is_absolute() {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(format!("could not find src={src} on the controller"))
        };
    }
    let mut tried = Vec::new();
    for d in dirs {
        for cand in [d.join(sub).join(src), d.join(src)] {
            if cand.is_file() {
                return Ok(cand);
            }
            tried.push(cand.display().to_string());
        }
    }
    Err(format!(
        "could not find src={src} on the controller; searched: {}",
        tried.join(", ")
    ))
}

/// `copy` with `src`: read the local file and send its bytes; `remote_src` leaves it alone.
/// Returns the local file read, if any.
pub fn prepare_copy(
    args: &mut Map<String, Value>,
    dirs: &[PathBuf],
) -> Result<Option<PathBuf>, String> {
    if args
        .get("remote_src")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return Ok(None);
    }
    let Some(src) = args.get("src").and_then(Value::as_str).map(str::to_string) else {
        return Ok(None);
    };
    if src.ends_with('/') || Path::new(&src).is_dir() {
        return Err(format!("copy: src={src} is a directory; copying directories is not supported yet, copy its files one by one (loop)"));
    }
    let path = find(&src, dirs, "files")?;
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    args.remove("src");
    args.insert(
        "_content_b64".into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
    );
    Ok(Some(path))
}

/// `template`: render the local template with the host's vars and send the text as `copy`.
/// Returns the template file read.
pub fn prepare_template(
    engine: &Engine,
    args: &mut Map<String, Value>,
    dirs: &[PathBuf],
    vars: &Value,
) -> Result<Option<PathBuf>, String> {
    let src = args
        .get("src")
        .and_then(Value::as_str)
        .ok_or("template: src is required")?
        .to_string();
    let path = find(&src, dirs, "templates")?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut tvars = vars.clone();
    if let Value::Object(m) = &mut tvars {
        m.insert(
            "template_path".into(),
            Value::String(path.display().to_string()),
        );
        m.insert(
            "ansible_managed".into(),
            Value::String("Managed by play: local changes will be overwritten".into()),
        );
    }
    let rendered = engine
        .templar
        .render_str(&text, &tvars)
        .map_err(|e| format!("template {}: {}", path.display(), e.message))?;
    args.remove("src");
    args.insert("content".into(), Value::String(rendered));
    Ok(Some(path))
}
