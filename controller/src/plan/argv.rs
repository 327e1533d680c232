//! The `play` arguments a plan stores, so `apply` reloads the same playbooks, inventory, vars
//! and limits. Output options (--json, --report, --check, --diff, ...) are left out: apply
//! decides those. Vault password sources are left out on purpose: apply is given them again.

use crate::cli::RunArgs;

/// `args` as the argv `play` would parse back into the same run (minus output and vault).
pub fn to_argv(args: &RunArgs) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    let mut opt = |flag: &str, value: &str| {
        v.push(flag.to_string());
        v.push(value.to_string());
    };
    for i in &args.inventory.inventory {
        opt("-i", i);
    }
    for e in &args.extra_vars {
        opt("-e", e);
    }
    if let Some(l) = &args.limit {
        opt("-l", l);
    }
    for t in &args.tags {
        opt("-t", t);
    }
    for t in &args.skip_tags {
        opt("--skip-tags", t);
    }
    opt("-f", &args.forks.to_string());
    if let Some(u) = &args.remote_user {
        opt("-u", u);
    }
    if let Some(u) = &args.become_user {
        opt("--become-user", u);
    }
    if let Some(k) = &args.private_key {
        opt("--private-key", &k.to_string_lossy());
    }
    if let Some(f) = &args.ssh_config {
        opt("-F", &f.to_string_lossy());
    }
    opt("-T", &args.timeout.to_string());
    if args.task_timeout > 0 {
        opt("--task-timeout", &args.task_timeout.to_string());
    }
    if let Some(t) = &args.start_at_task {
        opt("--start-at-task", t);
    }
    if let Some(w) = &args.lock_wait {
        opt("--lock-wait", w);
    }
    if args.become_ {
        v.push("-b".into());
    }
    if args.accept_new_host_keys {
        v.push("--accept-new-host-keys".into());
    }
    // After `--`, so a playbook named like an option still reads as a playbook.
    v.push("--".into());
    v.extend(
        args.playbooks
            .iter()
            .map(|p| p.to_string_lossy().into_owned()),
    );
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::play_args::parse;

    #[test]
    fn round_trips_through_play_s_own_parser() {
        let argv: Vec<String> = [
            "-i",
            "inv/hosts.ini",
            "-i",
            "inv/gcp.yml",
            "-e",
            "image_tag=v2",
            "-e",
            "@vars.yml",
            "-l",
            "web",
            "-t",
            "release",
            "--skip-tags",
            "slow",
            "-f",
            "3",
            "-b",
            "-u",
            "ops",
            "--private-key",
            "k",
            "-T",
            "20",
            "--lock-wait",
            "2m",
            "--check",
            "--diff",
            "--json",
            "--vault-password-file",
            "pw",
            "playbooks/docker.yml",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let run = parse(&argv).unwrap();
        let stored = to_argv(&run);
        assert!(!stored
            .iter()
            .any(|a| a == "pw" || a == "--check" || a == "--json"));
        let back = parse(&stored).unwrap();
        assert_eq!(to_argv(&back), stored);
        assert_eq!(back.extra_vars, vec!["image_tag=v2", "@vars.yml"]);
        assert_eq!(back.inventory.inventory.len(), 2);
        assert!(back.become_ && !back.check && back.vault.vault_password_files.is_empty());
        assert_eq!(back.playbooks[0].to_str(), Some("playbooks/docker.yml"));
    }
}
