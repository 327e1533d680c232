//! `play rollback`: resolve the target release from each host's history, pin it by digest,
//! and run the release playbook with that pin. Nothing changes on any host unless every
//! host's target resolves.

use super::playbook::{build_engine, execute, load, printer_for, Fail};
use super::releases::{by_service, current_index, is_success};
use crate::cli::RollbackArgs;
use crate::playbook::model::Vars;
use crate::run::adhoc::run_module_on_hosts;
use crate::run::exit;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub async fn run(args: RollbackArgs) -> i32 {
    let printer = printer_for(&args.run);
    match rollback(&args, &printer).await {
        Ok(code) => code,
        Err((code, msg)) => {
            printer.error(&msg);
            code
        }
    }
}

async fn rollback(
    args: &RollbackArgs,
    printer: &std::sync::Arc<crate::output::Printer>,
) -> Result<i32, Fail> {
    // Read the history with one engine, then release with another whose options carry the
    // per-host pins: both run what was loaded once, before any host was touched, so bad
    // input touches nothing and a vault password is asked once.
    let loaded = load(&args.run, printer)?;
    let service = args.service.clone().unwrap_or_else(|| service_of(&loaded));
    let hosts = play_hosts(&loaded, &args.run.limit)?;
    let playbooks = loaded.playbooks.clone();
    let reader = build_engine(
        &args.run,
        loaded.copy_for_another_run(),
        printer.clone(),
        |_| {},
    )?;
    let query = Map::from_iter([
        ("service".to_string(), json!(service)),
        ("limit".to_string(), json!(100)),
    ]);
    let answers = run_module_on_hosts(&reader, &hosts, "release_history", query).await;
    reader.shutdown_agents().await;

    let mut pins: HashMap<String, Vars> = HashMap::new();
    let mut problems = Vec::new();
    for (host, answer) in answers {
        let entries = match answer {
            Ok(data) => by_service(&data)
                .into_iter()
                .next()
                .map(|(_, e)| e)
                .unwrap_or_default(),
            Err(msg) => {
                problems.push(format!("{host}: cannot read the release history: {msg}"));
                continue;
            }
        };
        match resolve_target(&entries, &args.to) {
            Ok((current, target)) => {
                printer.plain(&format!(
                    "{host}: {service} {} -> {}",
                    describe(current),
                    describe(Some(target))
                ));
                pins.insert(host, pin_vars(target));
            }
            Err(why) => problems.push(format!("{host}: {why}")),
        }
    }
    if !problems.is_empty() {
        return Err((
            exit::ERROR,
            format!(
                "rollback of '{service}' refused, nothing was changed:\n  {}",
                problems.join("\n  ")
            ),
        ));
    }
    let engine = build_engine(&args.run, loaded, printer.clone(), |o| {
        o.host_vars = pins;
        o.rollback = true;
    })?;
    execute(&engine, &playbooks, &args.run, printer).await
}

/// The playbook's `service_name` (first play that sets it), else `app`.
fn service_of(loaded: &super::playbook::Loaded) -> String {
    loaded
        .extra_vars
        .get("service_name")
        .or_else(|| {
            loaded
                .playbooks
                .iter()
                .flat_map(|p| &p.plays)
                .find_map(|p| p.vars.get("service_name"))
        })
        .and_then(Value::as_str)
        .unwrap_or("app")
        .to_string()
}

/// The hosts the playbook's plays would run on (patterns rendered with play and extra vars).
fn play_hosts(
    loaded: &super::playbook::Loaded,
    limit: &Option<String>,
) -> Result<Vec<String>, Fail> {
    let mut hosts: Vec<String> = Vec::new();
    for play in loaded.playbooks.iter().flat_map(|p| &p.plays) {
        let mut vars: Map<String, Value> = play
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        vars.extend(
            loaded
                .extra_vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let pattern = loaded
            .templar
            .render_str(&play.hosts, &Value::Object(vars))
            .map_err(|e| (exit::ERROR, format!("{}: hosts: {}", play.loc, e.message)))?;
        for h in loaded
            .inventory
            .select(&pattern)
            .map_err(|e| (exit::ERROR, e.to_string()))?
        {
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
    }
    if let Some(limit) = limit {
        hosts = loaded
            .inventory
            .limit(hosts, limit)
            .map_err(|e| (exit::ERROR, e.to_string()))?;
    }
    Ok(hosts)
}

fn identity(e: &Value) -> Option<&str> {
    e.get("digest")
        .and_then(Value::as_str)
        .or_else(|| e.get("image_id").and_then(Value::as_str))
}

/// Picks (current, target) from a host's history, newest first.
pub fn resolve_target<'a>(
    entries: &'a [Value],
    to: &str,
) -> Result<(Option<&'a Value>, &'a Value), String> {
    let current_at = current_index(entries);
    let current = current_at.map(|i| &entries[i]);
    let successes = entries.iter().filter(|e| is_success(e));
    let target = match to {
        "previous" => {
            let now =
                current.ok_or("no successful release in the history: nothing to go back from")?;
            successes
                .skip_while(|e| !std::ptr::eq(*e, now))
                .find(|e| identity(e) != identity(now))
                .ok_or("no earlier release with a different image in the history")?
        }
        digest if digest.starts_with("sha256:") => successes
            .clone()
            .find(|e| {
                ["digest", "image_id"].iter().any(|k| {
                    e.get(*k)
                        .and_then(Value::as_str)
                        .is_some_and(|d| d.starts_with(digest))
                })
            })
            .ok_or_else(|| format!("no successful release of {digest} in the history"))?,
        tag => successes
            .clone()
            .find(|e| e.get("tag").and_then(Value::as_str) == Some(tag))
            .ok_or_else(|| format!("no successful release of tag '{tag}' in the history"))?,
    };
    if identity(target).is_none() {
        return Err("the target release has no recorded digest or image id to pin".into());
    }
    Ok((current, target))
}

/// The vars that pin a release: repository, tag (for the record) and digest (what runs).
fn pin_vars(target: &Value) -> Vars {
    let image = target.get("image").and_then(Value::as_str).unwrap_or("");
    let repo = repo_of(image);
    let mut vars = Vars::new();
    vars.insert("image_repo".into(), json!(repo));
    if let Some(tag) = target.get("tag").and_then(Value::as_str) {
        vars.insert("image_tag".into(), json!(tag));
    }
    vars.insert("image_digest".into(), json!(identity(target).unwrap_or("")));
    vars
}

/// `reg:5000/app:v1` or `reg:5000/app@sha256:..` -> `reg:5000/app`.
fn repo_of(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

fn describe(e: Option<&Value>) -> String {
    let Some(e) = e else {
        return "(nothing released)".into();
    };
    let image = e.get("image").and_then(Value::as_str).unwrap_or("?");
    let digest = identity(e).unwrap_or("");
    format!("{image} ({})", digest.get(..19).unwrap_or(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tag: &str, digest: &str, outcome: &str) -> Value {
        json!({"image": format!("reg:5000/app:{tag}"), "tag": tag, "digest": digest, "outcome": outcome})
    }

    #[test]
    fn previous_skips_failures_and_same_image() {
        let h = vec![
            entry("v3", "sha256:c", "failed_health"),
            entry("v2", "sha256:b", "released"),
            entry("v2", "sha256:b", "released"),
            entry("v1", "sha256:a", "released"),
        ];
        let (current, target) = resolve_target(&h, "previous").unwrap();
        assert_eq!(current.unwrap()["tag"], "v2");
        assert_eq!(target["tag"], "v1");
    }

    #[test]
    fn tag_and_digest_targets() {
        let h = vec![
            entry("v2", "sha256:bbbb", "released"),
            entry("v1", "sha256:aaaa", "released"),
        ];
        assert_eq!(resolve_target(&h, "v1").unwrap().1["digest"], "sha256:aaaa");
        assert_eq!(resolve_target(&h, "sha256:bb").unwrap().1["tag"], "v2");
        assert!(resolve_target(&h, "v9").unwrap_err().contains("v9"));
        assert!(resolve_target(&[], "previous").is_err());
    }

    #[test]
    fn pins_carry_repo_tag_and_digest() {
        let v = pin_vars(&entry("v1", "sha256:aaaa", "released"));
        assert_eq!(v["image_repo"], "reg:5000/app");
        assert_eq!(v["image_tag"], "v1");
        assert_eq!(v["image_digest"], "sha256:aaaa");
        assert_eq!(repo_of("reg:5000/app@sha256:ff"), "reg:5000/app");
        assert_eq!(repo_of("app"), "app");
    }
}
