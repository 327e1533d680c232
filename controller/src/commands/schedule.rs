//! `play schedule add|list|remove|run|logs`: scheduled runs as systemd timers on this machine.
//! The decisions live in `crate::schedule`; this file resolves the command line, prints, and
//! runs the stored playbook in-process for `schedule run` (so the stored arguments, which may
//! hold secrets, never appear in an argv).

use super::playbook;
use crate::output::{Mode, Printer, PrinterOptions, Secrets};
use crate::schedule::cli::{AddArgs, ListArgs, LogsArgs, RemoveArgs, ScheduleAction, ScheduleArgs};
use crate::schedule::manage::{self, Listed};
use crate::schedule::reports;
use crate::schedule::state::ScheduleState;
use crate::schedule::tools::{SystemTools, Tools};
use crate::schedule::{exit, play_args, run, service_unit, time, timer_unit, validate, Paths};
use std::time::SystemTime;

pub async fn run(args: ScheduleArgs) -> i32 {
    let printer = Printer::new(
        PrinterOptions {
            mode: Mode::Human,
            color: false,
            verbosity: 0,
            diff: false,
            check: false,
        },
        Secrets::default(),
    );
    let paths = match Paths::absolute(&args.state_dir, &args.unit_dir) {
        Ok(p) => p,
        Err(e) => {
            printer.error(&format!("cannot resolve the schedule folders: {e}"));
            return exit::FAILED;
        }
    };
    let tools = SystemTools;
    let result = match args.action {
        ScheduleAction::Add(a) => add(&paths, &tools, a, &printer),
        ScheduleAction::List(a) => list(&paths, &tools, &a, &printer),
        ScheduleAction::Remove(a) => remove(&paths, &tools, &a, &printer),
        ScheduleAction::Run(a) => run_now(&paths, &a.name, &printer).await,
        ScheduleAction::Logs(a) => logs(&paths, &tools, &a, &printer),
    };
    result.unwrap_or_else(|msg| {
        printer.error(&msg);
        exit::FAILED
    })
}

fn add(paths: &Paths, tools: &dyn Tools, a: AddArgs, printer: &Printer) -> Result<i32, String> {
    validate::name(&a.name)?;
    if a.keep == 0 {
        return Err("--keep must be at least 1: a schedule always keeps its last report".into());
    }
    let run_args = play_args::parse(&a.play_args)?;
    let workdir = std::env::current_dir().map_err(|e| {
        format!("cannot read the current folder (the schedule's working folder): {e}")
    })?;
    for warning in play_args::check(&run_args, &workdir)? {
        printer.warn(&warning);
    }
    let play_binary = std::env::current_exe()
        .map_err(|e| format!("cannot find the running play binary for the service: {e}"))?;
    let state = ScheduleState {
        name: a.name.clone(),
        on_calendar: a.on_calendar,
        description: a.description,
        check: a.check || run_args.check,
        keep: a.keep,
        randomized_delay_secs: a.randomized_delay,
        working_directory: workdir,
        play_args: a.play_args,
        play_binary,
        created_at: time::rfc3339(SystemTime::now()),
    };
    let added = manage::add(paths, tools, &state, a.replace)?;
    let mode = if state.check {
        "check mode: a run that finds drift exits 2"
    } else {
        "applies changes"
    };
    printer.plain(&format!(
        "schedule '{}' added: {} (OnCalendar={}), {mode}",
        state.name,
        timer_unit(&state.name),
        state.on_calendar
    ));
    if let Some(next) = added.next_elapse {
        printer.plain(&format!("  next run:  {next}"));
    }
    printer.plain(&format!(
        "  units:     {} {}",
        added.service.display(),
        added.timer.display()
    ));
    printer.plain(&format!(
        "  arguments: {} (root-only; not in the units)",
        added.state.display()
    ));
    printer.plain(&format!(
        "  reports:   {} (newest {} kept); see `play schedule logs {}`",
        paths.reports_dir(&state.name).display(),
        state.keep,
        state.name
    ));
    Ok(exit::OK)
}

fn list(paths: &Paths, tools: &dyn Tools, a: &ListArgs, printer: &Printer) -> Result<i32, String> {
    let rows = manage::list(paths, tools)?;
    if a.json {
        printer.plain(&serde_json::to_string_pretty(&rows).unwrap_or_default());
        return Ok(exit::OK);
    }
    if rows.is_empty() {
        printer.plain(&format!(
            "no schedules in {} (add one: play schedule add NAME --on-calendar SPEC [--check] -- -i INVENTORY PLAYBOOK.yml)",
            paths.state_dir.display()
        ));
        return Ok(exit::OK);
    }
    let header = [
        "NAME",
        "MODE",
        "CALENDAR",
        "STATE",
        "NEXT RUN",
        "LAST RUN",
        "LAST RESULT",
    ];
    let table: Vec<[String; 7]> = rows.iter().map(row).collect();
    let mut widths = header.map(str::len);
    for r in &table {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out
    };
    printer.plain(&line(&header.map(String::from)));
    for r in &table {
        printer.plain(&line(r));
    }
    Ok(exit::OK)
}

fn row(l: &Listed) -> [String; 7] {
    let last = match &l.last_result {
        Some(s) => format!("{} at {}", run::describe(s), s.started_at),
        None if l.last_report.is_some() => "unreadable report".into(),
        None => "-".into(),
    };
    [
        l.name.clone(),
        if l.check { "check" } else { "apply" }.into(),
        l.on_calendar.clone(),
        l.state.clone(),
        l.next_run.clone(),
        l.last_run.clone(),
        last,
    ]
}

fn remove(
    paths: &Paths,
    tools: &dyn Tools,
    a: &RemoveArgs,
    printer: &Printer,
) -> Result<i32, String> {
    let removed = manage::remove(paths, tools, &a.name, a.purge)?;
    for w in &removed.warnings {
        printer.warn(w);
    }
    let reports = match &removed.reports_kept {
        Some(dir) => format!(
            "; reports kept in {} (delete them with --purge)",
            dir.display()
        ),
        None if a.purge => "; reports deleted".into(),
        None => String::new(),
    };
    printer.plain(&format!(
        "schedule '{}' removed: {} and {} stopped and deleted, state deleted{reports}",
        a.name,
        timer_unit(&a.name),
        service_unit(&a.name)
    ));
    Ok(exit::OK)
}

/// What the timer runs. Exit codes: see `crate::schedule::exit`.
async fn run_now(paths: &Paths, name: &str, printer: &Printer) -> Result<i32, String> {
    validate::name(name)?;
    let state = ScheduleState::load(&paths.state_file(name), name)?;
    let mut run_args = play_args::parse(&state.play_args)?;
    let check = state.check || run_args.check;
    run_args.check = check;
    // Relative inventory and playbook paths were given where `add` ran.
    std::env::set_current_dir(&state.working_directory).map_err(|e| {
        format!(
            "cannot enter the schedule's working folder {}: {e}",
            state.working_directory.display()
        )
    })?;
    let log = |line: &str| printer.plain(&format!("schedule {name}: {line}"));
    let outcome = run::run_once(paths, &state, check, &log, move |report| {
        run_args.report = Some(report);
        playbook::run(run_args)
    })
    .await?;
    log(&format!(
        "{} (exit {}); report {}",
        run::describe(&outcome.summary),
        outcome.summary.exit_code,
        outcome.report.display()
    ));
    Ok(outcome.summary.exit_code)
}

fn logs(paths: &Paths, tools: &dyn Tools, a: &LogsArgs, printer: &Printer) -> Result<i32, String> {
    validate::name(&a.name)?;
    let reports_dir = paths.reports_dir(&a.name);
    if !paths.state_file(&a.name).exists() && !reports_dir.exists() {
        return Err(format!(
            "no schedule named '{}' and no reports in {}; see `play schedule list`",
            a.name,
            reports_dir.display()
        ));
    }
    printer.plain(&format!(
        "-- journal: journalctl -u {} -n {}",
        service_unit(&a.name),
        a.lines
    ));
    match manage::journal(tools, &a.name, a.lines) {
        Ok(text) => printer.plain(text.trim_end()),
        Err(e) => printer.warn(&format!("no journal: {e}")),
    }
    printer.plain(&format!("-- newest reports in {}", reports_dir.display()));
    let newest = reports::newest_summaries(&reports_dir, a.reports);
    if newest.is_empty() {
        printer.plain("no reports yet");
    }
    for (path, summary) in newest {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match summary {
            Some(s) => printer.plain(&format!("{}  {}  {file}", s.started_at, run::describe(&s))),
            None => printer.plain(&format!("(no summary)  {file}")),
        }
    }
    Ok(exit::OK)
}
