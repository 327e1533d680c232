//! The play arguments a schedule stores (`play schedule add NAME ... -- <play args>`), read as
//! `play` itself reads them, so a typo fails at `add` time rather than at 3 a.m.

use crate::cli::{Cli, Command, RunArgs};
use clap::Parser;
use std::path::Path;

/// Parses the arguments as `play <args>` would; they must run a playbook.
pub fn parse(args: &[String]) -> Result<RunArgs, String> {
    let argv = std::iter::once("play".to_string()).chain(args.iter().cloned());
    let cli = Cli::try_parse_from(argv).map_err(|e| {
        format!(
            "the play arguments after `--` do not parse as `play` arguments:\n{}",
            e.render()
        )
    })?;
    match cli.command {
        None => Ok(cli.run),
        Some(Command::Run(run)) => Ok(*run),
        Some(_) => Err(
            "the play arguments after `--` must run a playbook (`-i INVENTORY PLAYBOOK.yml ...`), not another play subcommand".into(),
        ),
    }
}

/// What `add` checks beyond parsing: a playbook is named and exists relative to `workdir`, and
/// nothing asks for output a timer cannot use.
pub fn check(run: &RunArgs, workdir: &Path) -> Result<Vec<String>, String> {
    if run.playbooks.is_empty() {
        return Err("no playbook in the play arguments: `play schedule add NAME --on-calendar SPEC -- -i INVENTORY PLAYBOOK.yml`".into());
    }
    for pb in &run.playbooks {
        if !workdir.join(pb).is_file() {
            return Err(format!(
                "the playbook {} does not exist (relative paths are taken from {}, where the schedule will run)",
                pb.display(),
                workdir.display()
            ));
        }
    }
    let mut warnings = Vec::new();
    if run.report.is_some() {
        warnings.push("--report in the play arguments is replaced: each scheduled run writes its own report (see `play schedule logs NAME`)".to_string());
    }
    if run.list_hosts || run.list_tasks || run.list_tags || run.syntax_check {
        return Err("--list-hosts/--list-tasks/--list-tags/--syntax-check stop before running; a schedule needs a real run".into());
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_like_play() {
        let run = parse(&args(&[
            "-i", "inv.ini", "site.yml", "-e", "x=1", "--check",
        ]))
        .unwrap();
        assert_eq!(run.playbooks, vec![std::path::PathBuf::from("site.yml")]);
        assert_eq!(run.inventory.inventory, vec!["inv.ini"]);
        assert!(run.check);
        let run = parse(&args(&["run", "-i", "inv.ini", "site.yml"])).unwrap();
        assert_eq!(run.playbooks.len(), 1);
    }

    #[test]
    fn refuses_typos_and_other_subcommands() {
        let err = parse(&args(&["-i", "inv.ini", "--chek", "site.yml"])).unwrap_err();
        assert!(err.contains("--chek"), "{err}");
        let err = parse(&args(&["inventory", "--list"])).unwrap_err();
        assert!(err.contains("must run a playbook"), "{err}");
    }

    #[test]
    fn checks_playbooks_exist_where_the_schedule_runs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("site.yml"), "- hosts: all\n").unwrap();
        let ok = parse(&args(&["-i", "inv.ini", "site.yml"])).unwrap();
        assert!(check(&ok, dir.path()).unwrap().is_empty());
        let missing = parse(&args(&["-i", "inv.ini", "nope.yml"])).unwrap();
        assert!(check(&missing, dir.path())
            .unwrap_err()
            .contains("nope.yml does not exist"));
        let none = parse(&args(&["-i", "inv.ini"])).unwrap();
        assert!(check(&none, dir.path())
            .unwrap_err()
            .contains("no playbook"));
        let report = parse(&args(&["site.yml", "--report", "r.json"])).unwrap();
        assert_eq!(check(&report, dir.path()).unwrap().len(), 1);
    }
}
