//! `play apply PLAN`: execute a reviewed plan exactly, or refuse, changing nothing, when it no
//! longer describes what would happen: the plan is too old, was made with another plan key,
//! a file it was computed from changed, or a host drifted from what the plan saw.
//!
//! Order: refuse on age and key (no work) -> reload the plan's playbooks, inventory and vars
//! and compare file hashes (no connection) -> run the check again on every host with each
//! release pinned to the planned digest, compare fingerprints (no change) -> only then run
//! for real with the same pins, so the planned images deploy even if a tag moved.

use super::plan::{check_run, extra_vars_hash, pins_of, static_files};
use super::playbook::{build_engine, execute, load, printer_for, Fail};
use crate::cli::ApplyArgs;
use crate::output::{Mode, Printer, PrinterOptions};
use crate::plan::{compare, inputs, Plan, PlanKey};
use crate::run::exit;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub async fn run(args: ApplyArgs) -> i32 {
    let fallback = printer_for(&crate::cli::RunArgs {
        color: args.color.clone(),
        ..Default::default()
    });
    match apply(&args).await {
        Ok(code) => code,
        Err((code, msg)) => {
            fallback.error(&msg);
            code
        }
    }
}

/// `90s`, `30m`, `24h`, `7d`, or plain seconds.
pub fn parse_age(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().map_err(|_| {
        format!("--max-age '{text}': expected a number with s, m, h or d (e.g. 24h)")
    })?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "--max-age '{text}': the unit must be s, m, h or d (e.g. 24h)"
            ))
        }
    };
    Ok(Duration::from_secs(secs))
}

const PLAN_AGAIN: &str = "run `play plan` again and review the new plan";

fn refused(plan_path: &std::path::Path, what: &str, problems: &[String], next: &str) -> Fail {
    (
        exit::ERROR,
        format!(
            "apply of {} refused, nothing was changed: {what}:\n  - {}\n{next}",
            plan_path.display(),
            problems.join("\n  - ")
        ),
    )
}

async fn apply(args: &ApplyArgs) -> Result<i32, Fail> {
    let plan = Plan::read(&args.plan).map_err(|e| (exit::ERROR, e))?;
    let plan_path = std::path::absolute(&args.plan).unwrap_or_else(|_| args.plan.clone());
    let key_path = PlanKey::default_path().map_err(|e| (exit::ERROR, e))?;
    let key = Arc::new(PlanKey::load_or_create(&key_path).map_err(|e| (exit::ERROR, e))?);
    if key.id() != plan.key_id {
        return Err((
            exit::ERROR,
            format!(
                "apply of {} refused: the plan was made with another plan key than {} (key id {} vs {}); apply where the plan was made, or point PLAY_PLAN_KEY_FILE at the key it was made with",
                plan_path.display(),
                key.path().display(),
                plan.key_id,
                key.id()
            ),
        ));
    }
    if plan.compute_seal(&key) != plan.seal {
        return Err((
            exit::ERROR,
            format!(
                "apply of {} refused: the plan file was edited after `play plan` wrote it (its seal does not match); run `play plan` again and review the new plan",
                plan_path.display()
            ),
        ));
    }
    let max_age = parse_age(&args.max_age).map_err(|e| (exit::BAD_OPTIONS, e))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let age = now.saturating_sub(plan.created_unix);
    if age > max_age.as_secs() {
        return Err(refused(
            &plan_path,
            "the plan is too old",
            &[format!(
                "it was made {} ({} min ago), more than --max-age {} (PLAY_PLAN_MAX_AGE) allows",
                plan.created,
                age / 60,
                args.max_age
            )],
            PLAN_AGAIN,
        ));
    }
    std::env::set_current_dir(&plan.workdir).map_err(|e| {
        (
            exit::ERROR,
            format!(
                "cannot enter {}, where the plan was made: {e}",
                plan.workdir.display()
            ),
        )
    })?;
    let mut run = crate::schedule::play_args::parse(&plan.args)
        .map_err(|e| (exit::ERROR, format!("{}: {e}", plan_path.display())))?;
    run.vault = args.vault.clone();
    run.verbose = args.verbose;
    run.color = args.color.clone();
    run.diff = true;

    let printer = printer_for(&run);
    let quiet = check_pass_printer(&printer);
    // Loaded once for both passes: the vault password is asked once, and the run executes
    // exactly the inputs that were hashed and checked.
    let loaded = load(&run, &printer)?;
    let mut files = static_files(&run, &loaded);
    files.extend(plan.inputs.files.iter().map(|f| f.path.clone()));
    let mut problems = inputs::compare_files(&plan.inputs.files, &inputs::hash_files(&key, &files));
    if extra_vars_hash(&key, &loaded) != plan.inputs.extra_vars {
        problems
            .push("the extra vars (-e, and vaulted values in them) differ from the plan's".into());
    }
    // Refused before any connection: no host is even looked at.
    if !problems.is_empty() {
        return Err(refused(
            &plan_path,
            "its inputs changed",
            &problems,
            PLAN_AGAIN,
        ));
    }
    let pins = pins_of(&plan);
    printer.plain(&format!(
        "Checking {} host(s) against {} (check mode, releases pinned to the planned digests)...",
        plan.hosts.len(),
        plan_path.display()
    ));
    let checked = check_run(
        &run,
        loaded.copy_for_another_run(),
        quiet.clone(),
        key.clone(),
        pins.clone(),
    )
    .await?;
    if checked.code != exit::OK {
        let mut failures: Vec<String> = checked
            .hosts
            .iter()
            .flat_map(|(h, seen)| seen.failures.iter().map(move |f| format!("{h}: {f}")))
            // This printer knows the run's secrets (the caller's does not).
            .map(|f| quiet.secrets().censor(&f))
            .collect();
        if failures.is_empty() {
            failures.push(format!("the check ended with exit code {}", checked.code));
        }
        let (_, msg) = refused(
            &plan_path,
            "the check before applying did not pass",
            &failures,
            "fix that, then apply again (or run `play plan` again)",
        );
        // Unreachable keeps its own exit code, as in a playbook run.
        let code = if checked.code == exit::HOST_UNREACHABLE {
            exit::HOST_UNREACHABLE
        } else {
            exit::ERROR
        };
        return Err((code, msg));
    }
    let now_tasks: BTreeMap<String, _> = checked
        .hosts
        .into_iter()
        .map(|(h, seen)| (h, seen.tasks))
        .collect();
    let drift = compare::drift(&plan.hosts, &now_tasks);
    if !drift.is_empty() {
        return Err(refused(
            &plan_path,
            "hosts drifted from what the plan saw",
            &drift,
            PLAN_AGAIN,
        ));
    }
    printer.plain(&format!(
        "Applying {} (made {} by {}): inputs unchanged, {} host(s) as the plan saw them.",
        plan_path.display(),
        plan.created,
        plan.operator,
        plan.hosts.len()
    ));
    let playbooks = loaded.playbooks.clone();
    let engine = build_engine(&run, loaded, printer.clone(), |o| o.host_vars = pins)?;
    execute(&engine, &playbooks, &run, &printer).await
}

/// The check pass's printer: only warnings and errors reach the terminal (the reviewer already
/// read the plan's output), and it censors with the run printer's secrets, so every vaulted
/// value that loading (or the check) registers is hidden in both passes.
fn check_pass_printer(run_printer: &Printer) -> Arc<Printer> {
    Arc::new(Printer::with_writers(
        PrinterOptions {
            mode: Mode::Human,
            color: false,
            verbosity: 0,
            diff: true,
            check: true,
        },
        run_printer.secrets().clone(),
        Box::new(std::io::sink()),
        Box::new(std::io::stderr()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_age("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_age("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_age("1w").unwrap_err().contains("unit"));
        assert!(parse_age("soon").unwrap_err().contains("number"));
    }

    #[test]
    fn what_was_loaded_once_serves_the_check_and_the_run() {
        use super::super::playbook::{load_inventory, Loaded};
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site.yml");
        let yaml = "- hosts: all\n  vars:\n    port: 8080\n  tasks:\n    - ping:\n";
        std::fs::write(&site, yaml).unwrap();
        let loaded = Loaded {
            playbooks: vec![crate::playbook::load_playbook(&site).unwrap()],
            inventory: load_inventory(&["web1,web2".into()], None).unwrap(),
            templar: crate::template::Templar::new(),
            extra_vars: [("service_name".to_string(), serde_json::json!("app"))].into(),
            vault: crate::vault::VaultSecrets::default(),
        };
        let for_check = loaded.copy_for_another_run();
        let hosts = |l: &Loaded| {
            l.inventory
                .hosts()
                .map(|h| h.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(hosts(&loaded), ["web1", "web2"]);
        assert_eq!(hosts(&for_check), hosts(&loaded));
        assert_eq!(for_check.extra_vars, loaded.extra_vars);
        let plays = |l: &Loaded| l.playbooks.iter().flat_map(|p| &p.plays).count();
        assert_eq!((plays(&for_check), plays(&loaded)), (1, 1));
        let play = |l: &Loaded| l.playbooks[0].plays[0].clone();
        assert_eq!(play(&for_check).vars, play(&loaded).vars);
        assert_eq!(play(&for_check).tasks.len(), 1);
        assert_eq!(for_check.playbooks[0].path, site);
    }

    #[test]
    fn both_passes_censor_what_either_learns() {
        let run_printer = printer_for(&crate::cli::RunArgs::default());
        let quiet = check_pass_printer(&run_printer);
        // As loading registers an opened vault value, and the check pass a no_log one.
        run_printer.secrets().add("vaulted-s3cr3t");
        quiet.secrets().add("no-log-t0ken");
        for printer in [&run_printer, &quiet] {
            let shown = printer.secrets().censor("vaulted-s3cr3t no-log-t0ken");
            assert!(
                !shown.contains("s3cr3t") && !shown.contains("t0ken"),
                "{shown}"
            );
        }
    }
}
