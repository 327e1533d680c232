//! `play [run] -i INV PLAYBOOK...`: parse everything, then run; nothing touches a host until
//! every playbook, vars file, template and the inventory have loaded.

use crate::cli::RunArgs;
use crate::inventory::Inventory;
use crate::inventory::LoadOptions;
use crate::output::{Mode, Printer, PrinterOptions, Secrets};
use crate::playbook::model::{Playbook, Task, TaskKind};
use crate::playbook::{check_templates, load_playbook};
use crate::run::extra_vars::parse_extra_vars;
use crate::run::{exit, ConnectSettings, Engine, RunOptions};
use crate::ssh::{HostKeyPolicy, LocalEnv, SshConfig, SshOverrides};
use crate::template::Templar;
use crate::vault::{decrypt_vars_map_in_place, InventoryVault, VaultSecrets};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(args: RunArgs) -> i32 {
    let printer = printer_for(&args);
    match prepare_and_run(args, printer.clone()).await {
        Ok(code) => code,
        Err((code, msg)) => {
            printer.error(&msg);
            code
        }
    }
}

/// The printer for a run's options (human or JSON, colour, verbosity).
pub fn printer_for(args: &RunArgs) -> Arc<Printer> {
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let secrets = Secrets::default();
    Arc::new(Printer::new(
        PrinterOptions {
            mode: if args.json { Mode::Json } else { Mode::Human },
            color,
            verbosity: args.verbose,
            diff: args.diff,
            check: args.check,
        },
        secrets,
    ))
}

pub type Fail = (i32, String);

/// Everything parsed from disk, before any connection.
pub struct Loaded {
    pub playbooks: Vec<Playbook>,
    pub inventory: Inventory,
    pub templar: Templar,
    pub extra_vars: crate::playbook::model::Vars,
    pub vault: VaultSecrets,
}

impl Loaded {
    /// A second copy for a second engine over the same inputs (`play apply` checks, then
    /// runs; `play rollback` reads the history, then releases): nothing is read or decrypted
    /// again, so a vault password is asked once and both
    /// engines see exactly the same inputs. The templar keeps nothing from loading (it only
    /// checked syntax), so the copy gets a fresh one.
    pub fn copy_for_another_run(&self) -> Loaded {
        Loaded {
            playbooks: self.playbooks.clone(),
            inventory: self.inventory.clone(),
            templar: Templar::new(),
            extra_vars: self.extra_vars.clone(),
            vault: self.vault.clone(),
        }
    }
}

async fn prepare_and_run(args: RunArgs, printer: Arc<Printer>) -> Result<i32, Fail> {
    let loaded = load(&args, &printer)?;
    check_limit(&args, &loaded.inventory)?;
    if args.syntax_check {
        for pb in &loaded.playbooks {
            printer.plain(&format!("\nplaybook: {}", pb.path.display()));
        }
        return Ok(exit::OK);
    }
    if args.list_hosts || args.list_tasks || args.list_tags {
        return list(&args, &loaded.playbooks, &loaded.inventory, &printer);
    }
    let playbooks = loaded.playbooks.clone();
    let engine = build_engine(&args, loaded, printer.clone(), |_| {})?;
    execute(&engine, &playbooks, &args, &printer).await
}

/// A `--limit` that leaves no host of the inventory is an error before any play, exit 1, as
/// in ansible-playbook (a play's own `hosts:` matching nothing only warns and skips the play).
pub fn check_limit(args: &RunArgs, inventory: &Inventory) -> Result<(), Fail> {
    let Some(limit) = &args.limit else {
        return Ok(());
    };
    // An inventory with no host at all only warns in Ansible; the plays then skip.
    let Ok(all) = inventory.select("all") else {
        return Ok(());
    };
    match inventory.limit(all, limit) {
        Ok(_) => Ok(()),
        Err(crate::inventory::InventoryError::NoMatch { .. }) => Err((
            exit::ERROR,
            format!("Specified inventory, host pattern and/or --limit leaves us with no hosts to target: --limit '{limit}' matches no host of the inventory (play --list-hosts shows them)"),
        )),
        Err(e) => Err((exit::ERROR, format!("--limit '{limit}': {e}"))),
    }
}

/// Parses the extra vars, every playbook (checking every template) and the inventory. Nothing
/// here opens a connection.
pub fn load(args: &RunArgs, printer: &Printer) -> Result<Loaded, Fail> {
    if args.playbooks.is_empty() {
        return Err((
            exit::BAD_OPTIONS,
            "no playbook given: play -i INVENTORY PLAYBOOK.yml (see play --help)".into(),
        ));
    }
    if args.forks == 0 {
        return Err((exit::BAD_OPTIONS, "--forks must be at least 1".into()));
    }
    let vault = args
        .vault
        .secrets_for_run()
        .map_err(|e| (exit::BAD_OPTIONS, e.to_string()))?;
    crate::vault::set_run_vault(vault.clone(), printer.secrets().clone());
    let mut extra_vars = parse_extra_vars(&args.extra_vars).map_err(|e| (exit::BAD_OPTIONS, e))?;
    if let Some(wait) = &args.lock_wait {
        // The release module's `lock_wait`, unless -e set it explicitly.
        extra_vars
            .entry("lock_wait".to_string())
            .or_insert_with(|| serde_json::Value::String(wait.clone()));
    }
    let templar = Templar::new();
    let mut playbooks = Vec::new();
    for path in &args.playbooks {
        let pb = load_playbook(path).map_err(|e| (exit::PARSE_ERROR, e.to_string()))?;
        let mut problems: Vec<String> = check_templates(&pb, &|t: &str| templar.check_syntax(t))
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        problems.extend(check_notify(&pb));
        if !problems.is_empty() {
            return Err((exit::PARSE_ERROR, problems.join("\n")));
        }
        playbooks.push(pb);
    }
    let playbook_dir = args.playbooks[0].parent().map(Path::to_path_buf);
    decrypt_vaulted(&vault, &mut playbooks, &mut extra_vars, printer)?;
    let inventory = load_inventory_with_vault(
        &args.inventory.inventory,
        playbook_dir.as_deref(),
        &vault,
        printer,
    )?;
    Ok(Loaded {
        playbooks,
        inventory,
        templar,
        extra_vars,
        vault,
    })
}

/// Opens every vaulted value of the playbooks and extra vars now, so a wrong or missing vault
/// password is an error (with its location) before any host is contacted. Each opened value
/// is registered as a secret: output censors it from then on.
fn decrypt_vaulted(
    vault: &VaultSecrets,
    playbooks: &mut [Playbook],
    extra_vars: &mut crate::playbook::model::Vars,
    printer: &Printer,
) -> Result<(), Fail> {
    let fail = |e: crate::vault::VaultError| (exit::PARSE_ERROR, e.to_string());
    let out = printer.secrets();
    for play in playbooks.iter_mut().flat_map(|pb| pb.plays.iter_mut()) {
        decrypt_vars_map_in_place(vault, &mut play.vars, Some(&play.locs), out).map_err(fail)?;
        for vf in &mut play.vars_files {
            decrypt_vars_map_in_place(vault, &mut vf.vars, Some(&vf.locs), out).map_err(fail)?;
        }
    }
    decrypt_vars_map_in_place(vault, extra_vars, None, out).map_err(fail)
}

/// The inventory, with whole-file vaulted group_vars/host_vars opened and every inline
/// `!vault` value checked against the password now (they are opened again, from a cache, when
/// a task uses them).
fn load_inventory_with_vault(
    sources: &[String],
    playbook_dir: Option<&Path>,
    vault: &VaultSecrets,
    printer: &Printer,
) -> Result<Inventory, Fail> {
    if sources.is_empty() {
        return load_inventory(sources, playbook_dir);
    }
    let hook = InventoryVault {
        secrets: vault.clone(),
        secrets_out: printer.secrets().clone(),
    };
    let options = LoadOptions {
        vault: Some(&hook),
        ..Default::default()
    };
    let inventory = Inventory::load_with(sources, playbook_dir, &options)
        .map_err(|e| (exit::PARSE_ERROR, e.to_string()))?;
    for host in inventory.hosts() {
        let mut vars = inventory.host_vars(&host.name);
        decrypt_vars_map_in_place(vault, &mut vars, None, printer.secrets())
            .map_err(|e| (exit::PARSE_ERROR, format!("host {}: {e}", host.name)))?;
    }
    Ok(inventory)
}

/// Loads `-i` sources (with the playbook's folder for group_vars/host_vars).
pub fn load_inventory(sources: &[String], playbook_dir: Option<&Path>) -> Result<Inventory, Fail> {
    if sources.is_empty() {
        return Err((
            exit::BAD_OPTIONS,
            "no inventory given: use -i FILE|DIR|host1,host2 (or set ANSIBLE_INVENTORY)".into(),
        ));
    }
    Inventory::load(sources, playbook_dir).map_err(|e| (exit::PARSE_ERROR, e.to_string()))
}

/// The connection settings from the command line.
pub fn connect_settings(args: &RunArgs) -> Result<ConnectSettings, Fail> {
    let ssh_config = SshConfig::load(args.ssh_config.as_deref(), LocalEnv::from_process())
        .map_err(|e| (exit::BAD_OPTIONS, e.to_string()))?;
    let overrides = SshOverrides {
        user: args.remote_user.clone(),
        private_key_file: args.private_key.clone(),
        host_key_policy: args
            .accept_new_host_keys
            .then_some(HostKeyPolicy::AcceptNew),
        connect_timeout: Some(Duration::from_secs(args.timeout.max(1))),
        ..SshOverrides::default()
    };
    Ok(ConnectSettings {
        ssh_config,
        overrides,
        connect_timeout: Duration::from_secs(args.timeout.max(1)),
    })
}

/// The run engine for these arguments; `tweak` adjusts the options (rollback pins images).
pub fn build_engine(
    args: &RunArgs,
    loaded: Loaded,
    printer: Arc<Printer>,
    tweak: impl FnOnce(&mut RunOptions),
) -> Result<Arc<Engine>, Fail> {
    let connect = connect_settings(args)?;
    let mut opts = RunOptions {
        check: args.check,
        diff: args.diff,
        forks: args.forks,
        tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
        limit: args.limit.clone(),
        extra_vars: loaded.extra_vars,
        become_: args.become_,
        become_user: args.become_user.clone(),
        start_at_task: args.start_at_task.clone(),
        task_timeout: (args.task_timeout > 0).then(|| Duration::from_secs(args.task_timeout)),
        verbosity: args.verbose,
        host_vars: Default::default(),
        rollback: false,
        vault: loaded.vault,
        recorder: None,
    };
    tweak(&mut opts);
    Ok(Arc::new(Engine::new(
        loaded.inventory,
        loaded.templar,
        printer,
        opts,
        connect,
    )))
}

/// Runs the playbooks, stopping cleanly on SIGINT/SIGTERM: agents are told to stop (they
/// release any lock they hold) before play exits with 99. Writes `--report` and `--junit`.
pub async fn execute(
    engine: &Arc<Engine>,
    playbooks: &[Playbook],
    args: &RunArgs,
    printer: &Printer,
) -> Result<i32, Fail> {
    let code = tokio::select! {
        code = engine.run(playbooks) => code,
        _ = interrupted() => {
            printer.error("User interrupted execution");
            tokio::time::timeout(Duration::from_secs(20), engine.shutdown_agents()).await.ok();
            exit::INTERRUPTED
        }
    };
    if let Some(path) = &args.report {
        crate::files::write_atomic(path, printer.report_json().as_bytes(), 0o600).map_err(|e| {
            (
                exit::ERROR,
                format!("cannot write the report {}: {e}", path.display()),
            )
        })?;
    }
    if let Some(path) = &args.junit {
        crate::files::write_atomic(path, printer.report_junit().as_bytes(), 0o600).map_err(
            |e| {
                (
                    exit::ERROR,
                    format!("cannot write the JUnit report {}: {e}", path.display()),
                )
            },
        )?;
    }
    Ok(code)
}

async fn interrupted() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Every literal `notify:` must name a handler or a `listen` topic of its play.
fn check_notify(pb: &Playbook) -> Vec<String> {
    let mut problems = Vec::new();
    for play in &pb.plays {
        let mut known: Vec<&str> = Vec::new();
        for h in &play.handlers {
            known.extend(h.common.name.as_deref());
            known.extend(h.common.listen.iter().map(String::as_str));
        }
        let mut check = |t: &Task| {
            for n in &t.common.notify {
                if !n.contains("{{") && !known.contains(&n.as_str()) {
                    let place = t
                        .common
                        .loc
                        .as_ref()
                        .map(|l| format!("{l}: "))
                        .unwrap_or_default();
                    problems.push(format!(
                        "{place}task '{}' notifies '{n}', but the play has no handler with that name or listen topic",
                        t.display_name()
                    ));
                }
            }
        };
        for list in [
            &play.pre_tasks,
            &play.tasks,
            &play.post_tasks,
            &play.handlers,
        ] {
            walk(list, &mut check);
        }
    }
    problems
}

fn walk(tasks: &[Task], f: &mut impl FnMut(&Task)) {
    for t in tasks {
        f(t);
        match &t.kind {
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                walk(block, f);
                walk(rescue, f);
                walk(always, f);
            }
            TaskKind::Import { tasks, .. } => walk(tasks, f),
            _ => {}
        }
    }
}

fn list(
    args: &RunArgs,
    playbooks: &[Playbook],
    inventory: &Inventory,
    printer: &Printer,
) -> Result<i32, Fail> {
    for pb in playbooks {
        printer.plain(&format!("\nplaybook: {}", pb.path.display()));
        for (i, play) in pb.plays.iter().enumerate() {
            let name = play.name.clone().unwrap_or_else(|| play.hosts.clone());
            printer.plain(&format!(
                "\n  play #{} ({}): {}\tTAGS: [{}]",
                i + 1,
                play.hosts,
                name,
                play.tags.join(",")
            ));
            if args.list_hosts {
                let mut hosts = inventory.select(&play.hosts).unwrap_or_default();
                if let Some(limit) = &args.limit {
                    hosts = inventory.limit(hosts, limit).unwrap_or_default();
                }
                printer.plain(&format!(
                    "    pattern: ['{}']\n    hosts ({}):",
                    play.hosts,
                    hosts.len()
                ));
                for h in hosts {
                    printer.plain(&format!("      {h}"));
                }
            }
            if args.list_tasks || args.list_tags {
                let mut lines = Vec::new();
                let mut all_tags = Vec::new();
                for list in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
                    walk(list, &mut |t: &Task| {
                        if matches!(t.kind, TaskKind::Module(_)) {
                            lines.push(format!(
                                "      {}\tTAGS: [{}]",
                                t.display_name(),
                                t.common.tags.join(", ")
                            ));
                        }
                        all_tags.extend(t.common.tags.iter().cloned());
                    });
                }
                if args.list_tasks {
                    printer.plain("    tasks:");
                    for l in lines {
                        printer.plain(&l);
                    }
                }
                if args.list_tags {
                    all_tags.extend(play.tags.iter().cloned());
                    all_tags.sort();
                    all_tags.dedup();
                    printer.plain(&format!("      TASK TAGS: [{}]", all_tags.join(", ")));
                }
            }
        }
    }
    Ok(exit::OK)
}
