//! `play plan -i INV PLAYBOOK [-e ...] -o FILE`: run the playbook in check mode (with diffs),
//! print per host what would change, and write a plan file `play apply` can execute.
//! Exit 0: nothing would change; 2: something would; 1/4: a host failed / was unreachable
//! (then no plan is written: a plan of a failed check could not be applied as reviewed).

use super::playbook::{build_engine, check_limit, execute, load, printer_for, Fail, Loaded};
use crate::cli::{PlanArgs, RunArgs};
use crate::output::Printer;
use crate::plan::model::{HostPlan, Inputs, Pin, FORMAT, VERSION};
use crate::plan::recorder::HostSeen;
use crate::plan::{argv, inputs, Plan, PlanKey, Recorder};
use crate::playbook::model::Vars;
use crate::run::exit;
use indexmap::IndexMap;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// `play plan`'s exit code when some host would change (as a scheduled `--check` run's).
pub const WOULD_CHANGE: i32 = 2;

pub async fn run(args: PlanArgs) -> i32 {
    let mut run = args.run;
    run.check = true;
    run.diff = true;
    let printer = printer_for(&run);
    match plan(&run, &args.out, &printer).await {
        Ok(code) => code,
        Err((code, msg)) => {
            printer.error(&msg);
            code
        }
    }
}

/// What one recorded check run produced.
pub struct Checked {
    pub code: i32,
    pub hosts: IndexMap<String, HostSeen>,
    /// Files the plan depends on: read at load time, and template/copy sources the run read.
    pub files: BTreeSet<PathBuf>,
    pub extra_vars: String,
}

/// The files `loaded` was read from (see [`inputs::static_files`]).
pub fn static_files(run: &RunArgs, loaded: &Loaded) -> BTreeSet<PathBuf> {
    inputs::static_files(&loaded.playbooks, &run.inventory.inventory, &run.extra_vars)
}

/// The keyed hash of the extra vars as parsed (vaulted values opened).
pub fn extra_vars_hash(key: &PlanKey, loaded: &Loaded) -> String {
    let extra: serde_json::Map<String, Value> = loaded
        .extra_vars
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    key.hash_json(&Value::Object(extra))
}

/// Runs `loaded` in check mode with diffs, recording every task (`pins`: per-host vars, as
/// apply pins each host's image).
pub async fn check_run(
    run: &RunArgs,
    loaded: Loaded,
    printer: Arc<Printer>,
    key: Arc<PlanKey>,
    pins: HashMap<String, Vars>,
) -> Result<Checked, Fail> {
    check_limit(run, &loaded.inventory)?;
    let mut files = static_files(run, &loaded);
    let extra_vars = extra_vars_hash(&key, &loaded);
    let playbooks = loaded.playbooks.clone();
    let recorder = Arc::new(Recorder::new(key));
    let engine = build_engine(run, loaded, printer.clone(), |o| {
        o.check = true;
        o.diff = true;
        o.host_vars = pins;
        o.recorder = Some(recorder.clone());
    })?;
    let code = execute(&engine, &playbooks, run, &printer).await?;
    let (hosts, local) = recorder.finish();
    files.extend(local);
    Ok(Checked {
        code,
        hosts,
        files,
        extra_vars,
    })
}

/// The per-host vars that pin each host's release to the planned image.
pub fn pins_of(plan: &Plan) -> HashMap<String, Vars> {
    plan.hosts
        .iter()
        .filter_map(|(host, h)| {
            let pin = h.pin.as_ref()?;
            let mut vars = Vars::new();
            vars.insert("image_digest".into(), json!(pin.digest));
            Some((host.clone(), vars))
        })
        .collect()
}

fn secret_in_argv(run: &RunArgs, printer: &Printer) -> Result<(), Fail> {
    for e in run.extra_vars.iter().filter(|e| !e.starts_with('@')) {
        if printer.secrets().censor(e) != *e {
            return Err((
                exit::BAD_OPTIONS,
                "an -e value holds a secret, and a plan stores its -e values: put the secret in a vault file and pass it as -e @FILE".into(),
            ));
        }
    }
    Ok(())
}

fn pin_for(host: &str, seen: &HostSeen) -> Result<Option<Pin>, String> {
    let mut services: Vec<&str> = seen.releases.iter().map(|r| r.service.as_str()).collect();
    services.dedup();
    if services.len() > 1 {
        return Err(format!(
            "{host}: the playbook releases several services ({}); a plan pins one image per host through `image_digest`: plan them one at a time (-e service_name=... or --tags)",
            services.join(", ")
        ));
    }
    let Some(r) = seen.releases.last() else {
        return Ok(None);
    };
    let digest = r.digest.clone().ok_or_else(|| {
        format!(
            "{host}: cannot pin {}: the check could not learn its digest (the registry did not answer and the image is not on the host); check the registry and its credentials, then run `play plan` again",
            r.image
        )
    })?;
    Ok(Some(Pin {
        service: r.service.clone(),
        image: r.image.clone(),
        digest,
    }))
}

async fn plan(run: &RunArgs, out: &std::path::Path, printer: &Arc<Printer>) -> Result<i32, Fail> {
    let key_path = PlanKey::default_path().map_err(|e| (exit::ERROR, e))?;
    let key = Arc::new(PlanKey::load_or_create(&key_path).map_err(|e| (exit::ERROR, e))?);
    let loaded = load(run, printer)?;
    secret_in_argv(run, printer)?;
    let checked = check_run(run, loaded, printer.clone(), key.clone(), HashMap::new()).await?;
    match checked.code {
        exit::OK => {}
        exit::HOST_FAILED => {
            return Err((
                exit::ERROR,
                "the check failed on some host (see above): no plan was written; fix that and run `play plan` again".into(),
            ))
        }
        code => {
            return Err((
                code,
                "the check did not finish on every host (see above): no plan was written".into(),
            ))
        }
    }
    let mut hosts = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, seen) in &checked.hosts {
        let pin = pin_for(name, seen).unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        let changes = seen
            .changes
            .iter()
            .map(|c| printer.secrets().censor(c))
            .collect();
        hosts.insert(
            name.clone(),
            HostPlan {
                changes,
                pin,
                tasks: seen.tasks.clone(),
            },
        );
    }
    if !problems.is_empty() {
        return Err((
            exit::ERROR,
            format!("no plan was written:\n  {}", problems.join("\n  ")),
        ));
    }
    let now = SystemTime::now();
    let workdir = std::env::current_dir()
        .map_err(|e| (exit::ERROR, format!("cannot read the current folder: {e}")))?;
    let mut plan = Plan {
        format: FORMAT.into(),
        version: VERSION,
        created: crate::schedule::time::rfc3339(now),
        created_unix: now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        operator: crate::run::operator().to_string(),
        play_version: env!("CARGO_PKG_VERSION").into(),
        key_id: key.id(),
        workdir,
        args: argv::to_argv(run),
        inputs: Inputs {
            files: inputs::hash_files(&key, &checked.files),
            extra_vars: checked.extra_vars,
        },
        changing_hosts: hosts.values().filter(|h| !h.changes.is_empty()).count(),
        hosts,
        seal: String::new(),
    };
    plan.seal = plan.compute_seal(&key);
    print_summary(&plan, out, printer);
    plan.write(out).map_err(|e| (exit::ERROR, e))?;
    Ok(if plan.changing_hosts > 0 {
        WOULD_CHANGE
    } else {
        exit::OK
    })
}

/// The reviewer's view: per host, what would change (not with --json: stdout is the report).
fn print_summary(plan: &Plan, out: &std::path::Path, printer: &Printer) {
    if printer.is_json() {
        return;
    }
    let mut text = crate::output::banner("PLAN", &out.display().to_string());
    for (host, h) in &plan.hosts {
        if h.changes.is_empty() {
            text.push_str(&format!("{host}: no changes\n"));
            continue;
        }
        let tasks = h.tasks.iter().filter(|t| t.status == "changed").count();
        text.push_str(&format!("{host}: {tasks} task(s) would change\n"));
        for c in &h.changes {
            text.push_str(&format!("  {c}\n"));
        }
    }
    let total = plan.hosts.len();
    if plan.changing_hosts == 0 {
        text.push_str(&format!(
            "\nNothing would change on {total} host(s). Plan written to {}.",
            out.display()
        ));
    } else {
        text.push_str(&format!(
            "\n{} of {total} host(s) would change. Plan written to {} (review it, then: play apply {}).",
            plan.changing_hosts,
            out.display(),
            out.display()
        ));
    }
    printer.plain(&text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::recorder::SeenRelease;

    fn seen(releases: &[(&str, Option<&str>)]) -> HostSeen {
        HostSeen {
            releases: releases
                .iter()
                .map(|(service, digest)| SeenRelease {
                    service: service.to_string(),
                    image: "reg/app:v2".into(),
                    digest: digest.map(str::to_string),
                })
                .collect(),
            ..HostSeen::default()
        }
    }

    #[test]
    fn pins_one_release_per_host_by_digest_or_refuses() {
        assert_eq!(pin_for("vm1", &seen(&[])).unwrap(), None);
        let pin = pin_for("vm1", &seen(&[("app", Some("sha256:aa"))]))
            .unwrap()
            .unwrap();
        assert_eq!(
            (pin.service.as_str(), pin.digest.as_str()),
            ("app", "sha256:aa")
        );
        let e = pin_for("vm1", &seen(&[("app", None)])).unwrap_err();
        assert!(
            e.starts_with("vm1: cannot pin reg/app:v2") && e.contains("registry"),
            "{e}"
        );
        let e = pin_for(
            "vm2",
            &seen(&[("app", Some("sha256:aa")), ("db", Some("sha256:bb"))]),
        )
        .unwrap_err();
        assert!(e.contains("several services (app, db)"), "{e}");
    }
}
