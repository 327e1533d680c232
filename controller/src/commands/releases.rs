//! `play releases`: each host's release history as a table (current release first).

use super::playbook::{build_engine, load_inventory, printer_for, Loaded};
use crate::cli::{ReleasesArgs, RunArgs};
use crate::run::adhoc::run_module_on_hosts;
use crate::run::exit;
use crate::template::Templar;
use serde_json::{json, Map, Value};

/// Turns connection options into the run arguments the engine is built from.
pub fn run_args_for(
    inventory: &crate::cli::InventoryOpts,
    c: &crate::cli::ConnectionOpts,
    json: bool,
) -> RunArgs {
    RunArgs {
        inventory: inventory.clone(),
        remote_user: c.remote_user.clone(),
        private_key: c.private_key.clone(),
        ssh_config: c.ssh_config.clone(),
        timeout: c.timeout,
        forks: c.forks,
        json,
        color: "never".into(),
        ..RunArgs::default()
    }
}

pub async fn run(args: &ReleasesArgs) -> i32 {
    let run_args = run_args_for(&args.inventory, &args.connection, args.json);
    let printer = printer_for(&run_args);
    let inventory = match load_inventory(&args.inventory.inventory, None) {
        Ok(inv) => inv,
        Err((code, msg)) => {
            printer.error(&msg);
            return code;
        }
    };
    let mut hosts: Vec<String> = inventory.hosts().map(|h| h.name.clone()).collect();
    if let Some(limit) = &args.limit {
        hosts = match inventory.limit(hosts, limit) {
            Ok(h) => h,
            Err(e) => {
                printer.error(&e.to_string());
                return exit::ERROR;
            }
        };
    }
    let loaded = Loaded {
        playbooks: Vec::new(),
        inventory,
        templar: Templar::new(),
        extra_vars: Default::default(),
        vault: Default::default(),
    };
    let engine = match build_engine(&run_args, loaded, printer.clone(), |_| {}) {
        Ok(e) => e,
        Err((code, msg)) => {
            printer.error(&msg);
            return code;
        }
    };
    let mut query = Map::new();
    if let Some(s) = &args.service {
        query.insert("service".into(), json!(s));
    }
    query.insert("limit".into(), json!(args.last));
    let answers = run_module_on_hosts(&engine, &hosts, "release_history", query).await;
    engine.shutdown_agents().await;

    let mut failed = false;
    let mut rows: Vec<[String; 7]> = Vec::new();
    let mut as_json = Map::new();
    for (host, answer) in answers {
        match answer {
            Ok(data) => {
                let services = by_service(&data);
                for (service, entries) in &services {
                    let current = current_index(entries);
                    for (i, e) in entries.iter().enumerate() {
                        rows.push(row(&host, service, e, Some(i) == current));
                    }
                    if entries.is_empty() {
                        rows.push([
                            host.clone(),
                            service.clone(),
                            "-".into(),
                            "no releases".into(),
                            String::new(),
                            String::new(),
                            String::new(),
                        ]);
                    }
                }
                as_json.insert(
                    host,
                    Value::Object(
                        services
                            .into_iter()
                            .map(|(k, v)| (k, Value::Array(v)))
                            .collect(),
                    ),
                );
            }
            Err(msg) => {
                failed = true;
                printer.warn(&format!("{host}: cannot read the release history: {msg}"));
            }
        }
    }
    if args.json {
        printer.plain(&serde_json::to_string_pretty(&Value::Object(as_json)).unwrap_or_default());
    } else {
        printer.plain(&table(&rows));
    }
    if failed {
        exit::HOST_UNREACHABLE
    } else {
        exit::OK
    }
}

/// `{service: [entries]}` from either answer shape of `release_history`.
pub fn by_service(data: &Value) -> Vec<(String, Vec<Value>)> {
    if let Some(services) = data.get("services").and_then(Value::as_object) {
        return services
            .iter()
            .map(|(k, v)| (k.clone(), v.as_array().cloned().unwrap_or_default()))
            .collect();
    }
    let service = data
        .get("service")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let entries = data
        .get("releases")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    vec![(service, entries)]
}

/// A successful release (newest first: the first one is what runs now).
pub fn is_success(e: &Value) -> bool {
    matches!(
        e.get("outcome").and_then(Value::as_str),
        Some("released" | "rolled_back")
    )
}

pub fn current_index(entries: &[Value]) -> Option<usize> {
    entries.iter().position(is_success)
}

fn short_digest(e: &Value) -> String {
    let d = e
        .get("digest")
        .and_then(Value::as_str)
        .or_else(|| e.get("image_id").and_then(Value::as_str))
        .unwrap_or("");
    d.get(..19).unwrap_or(d).to_string()
}

fn row(host: &str, service: &str, e: &Value, current: bool) -> [String; 7] {
    let s = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    [
        host.to_string(),
        service.to_string(),
        if current {
            format!("* {}", s("time"))
        } else {
            format!("  {}", s("time"))
        },
        s("outcome"),
        s("image"),
        short_digest(e),
        s("operator"),
    ]
}

fn table(rows: &[[String; 7]]) -> String {
    let header = [
        "HOST",
        "SERVICE",
        "  TIME (* = running)",
        "OUTCOME",
        "IMAGE",
        "DIGEST",
        "OPERATOR",
    ]
    .map(String::from);
    let all: Vec<&[String; 7]> = std::iter::once(&header).chain(rows.iter()).collect();
    let widths: Vec<usize> = (0..7)
        .map(|c| all.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in all {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
