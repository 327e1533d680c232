//! `release_history`: the release history of one service, parsed, newest first; what `play
//! releases` lists and `play rollback --to previous|TAG|sha256:` resolves from. Read-only.

use super::{Context, ModuleOutcome};
use crate::release::history::read_all;
use crate::release::{lock, StateDir};
use play_protocol::ModuleResult;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub service: String,
    /// At most this many entries (default 20).
    #[serde(default)]
    pub limit: Option<usize>,
}

pub fn run(args: Args, _ctx: &Context) -> ModuleOutcome {
    run_in(&StateDir::from_env(), args)
}

pub fn run_in(state: &StateDir, args: Args) -> ModuleOutcome {
    lock::check_service_name(&args.service)?;
    let (mut entries, skipped) = read_all(&state.releases(), &args.service)?;
    let total = entries.len();
    entries.reverse();
    entries.truncate(args.limit.unwrap_or(20));
    Ok(ModuleResult::ok()
        .with("service", args.service)
        .with("releases", json!(entries))
        .with("total", total)
        .with("skipped_lines", skipped))
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
                    env_sha256: None,
                    config_sha256: None,
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
                service: "web".into(),
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
        let empty = run_in(
            &state,
            Args {
                service: "api".into(),
                limit: None,
            },
        )
        .unwrap();
        assert_eq!(empty.data["releases"], json!([]));
    }
}
