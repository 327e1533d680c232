//! `release_history`: the release history of one service (or of every service on the host
//! when none is named), parsed, newest first; what `play releases` lists and `play rollback
//! --to previous|TAG|sha256:` resolves from. Read-only. The lines' hashes of secrets
//! (`env_sha256`, `config_sha256`) stay on the host: they are returned as null.

use super::{Context, ModuleError, ModuleOutcome};
use crate::release::history::read_all;
use crate::release::{lock, StateDir};
use play_protocol::ModuleResult;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// One service; absent: every service with a history on this host.
    #[serde(default)]
    pub service: Option<String>,
    /// At most this many entries (default 20).
    #[serde(default)]
    pub limit: Option<usize>,
}

pub fn run(args: Args, _ctx: &Context) -> ModuleOutcome {
    run_in(&StateDir::from_env(), args)
}

pub fn run_in(state: &StateDir, args: Args) -> ModuleOutcome {
    let limit = args.limit.unwrap_or(20);
    let Some(service) = args.service else {
        let mut services = serde_json::Map::new();
        for name in service_names(&state.releases())? {
            let (entries, _) = newest_first(state, &name, limit)?;
            services.insert(name, json!(entries));
        }
        return Ok(ModuleResult::ok().with("services", services));
    };
    let (entries, (total, skipped)) = newest_first(state, &service, limit)?;
    Ok(ModuleResult::ok()
        .with("service", service)
        .with("releases", json!(entries))
        .with("total", total)
        .with("skipped_lines", skipped))
}

type Counts = (usize, usize);

fn newest_first(
    state: &StateDir,
    service: &str,
    limit: usize,
) -> Result<(Vec<crate::release::history::HistoryEntry>, Counts), ModuleError> {
    lock::check_service_name(service)?;
    let (mut entries, skipped) = read_all(&state.releases(), service)?;
    let total = entries.len();
    entries.reverse();
    entries.truncate(limit);
    let entries = entries
        .into_iter()
        .map(crate::release::history::HistoryEntry::without_hashes)
        .collect();
    Ok((entries, (total, skipped)))
}

/// Services with a history file, sorted.
fn service_names(dir: &std::path::Path) -> Result<Vec<String>, ModuleError> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ModuleError(format!("cannot list {}: {e}", dir.display()))),
    };
    let mut names: Vec<String> = read
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".jsonl")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::history::{append, HistoryEntry, Outcome};

    #[test]
    fn newest_first_and_limited() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir(dir.path().to_path_buf());
        for tag in ["v1", "v2", "v3"] {
            append(
                &state.releases(),
                &HistoryEntry {
                    time: "t".into(),
                    operator: "o".into(),
                    reason: String::new(),
                    service: "web".into(),
                    image: format!("app:{tag}"),
                    tag: Some(tag.into()),
                    digest: None,
                    image_id: None,
                    env_sha256: Some(format!("hmac-sha256:{}", "e".repeat(64))),
                    config_sha256: Some(
                        "a79a91b06ff92caa9a3427d01e0ac445c8d65ecd8fde24358325b2ac6e57aefc".into(),
                    ),
                    outcome: Outcome::Released,
                    previous: None,
                    duration_ms: 1,
                    host: "h".into(),
                    error: None,
                },
            )
            .unwrap();
        }
        let r = run_in(
            &state,
            Args {
                service: Some("web".into()),
                limit: Some(2),
            },
        )
        .unwrap();
        let tags: Vec<&str> = r.data["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["tag"].as_str().unwrap())
            .collect();
        assert_eq!(tags, vec!["v3", "v2"]);
        assert_eq!(r.data["total"], 3);
        // The hashes of secrets (keyed or, in older lines, plain) stay on the host.
        let shown = serde_json::to_string(&r.data).unwrap();
        assert!(
            !shown.contains("hmac-sha256") && !shown.contains("a79a91b06ff9"),
            "{shown}"
        );
        assert_eq!(r.data["releases"][0]["env_sha256"], json!(null));
        let empty = run_in(
            &state,
            Args {
                service: Some("api".into()),
                limit: None,
            },
        )
        .unwrap();
        assert_eq!(empty.data["releases"], json!([]));
        let all = run_in(
            &state,
            Args {
                service: None,
                limit: Some(1),
            },
        )
        .unwrap();
        let services = all.data["services"].as_object().unwrap();
        assert_eq!(services.keys().collect::<Vec<_>>(), vec!["web"]);
        assert_eq!(services["web"][0]["tag"], "v3");
        assert_eq!(services["web"][0]["config_sha256"], json!(null));
    }
}
