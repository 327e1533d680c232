//! Which keywords play accepts where (play, task, handler, block, include), and what to say
//! about the Ansible keywords it does not support yet. One table per place, so that "unknown
//! keyword" and "did you mean" are computed against exactly what is valid there.

/// Keywords of a play.
pub const PLAY: &[&str] = &[
    "name",
    "hosts",
    "vars",
    "vars_files",
    "become",
    "become_user",
    "become_method",
    "remote_user",
    "gather_facts",
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
    "roles",
    "serial",
    "max_fail_percentage",
    "any_errors_fatal",
    "ignore_unreachable",
    "tags",
    "environment",
    "no_log",
    "check_mode",
    "diff",
    "collections",
    "strategy",
    "connection",
];

/// Keywords of a task that calls a module (handlers add [`HANDLER_ONLY`]).
pub const TASK: &[&str] = &[
    "name",
    "when",
    "loop",
    "with_items",
    "with_list",
    "with_dict",
    "loop_control",
    "register",
    "notify",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "ignore_unreachable",
    "tags",
    "no_log",
    "become",
    "become_user",
    "become_method",
    "until",
    "retries",
    "delay",
    "environment",
    "vars",
    "check_mode",
    "diff",
    "delegate_to",
    "run_once",
    "args",
    "collections",
];

pub const HANDLER_ONLY: &[&str] = &["listen"];

/// Keywords of a `block:` (Ansible's Block attributes that play supports).
pub const BLOCK: &[&str] = &[
    "block",
    "rescue",
    "always",
    "name",
    "when",
    "tags",
    "notify",
    "become",
    "become_user",
    "become_method",
    "vars",
    "environment",
    "no_log",
    "ignore_errors",
    "ignore_unreachable",
    "check_mode",
    "diff",
    "delegate_to",
    "run_once",
    "collections",
];

/// Keywords of `include_tasks` (Ansible's `VALID_INCLUDE_KEYWORDS` that play supports).
pub const INCLUDE: &[&str] = &[
    "name",
    "when",
    "tags",
    "vars",
    "loop",
    "with_items",
    "with_list",
    "with_dict",
    "loop_control",
    "register",
    "ignore_errors",
    "no_log",
    "run_once",
    "collections",
];

/// Keywords of `import_tasks`: as include, without loops (an import is expanded once).
pub const IMPORT: &[&str] = &[
    "name",
    "when",
    "tags",
    "vars",
    "ignore_errors",
    "no_log",
    "run_once",
    "collections",
];

/// The loop keywords play supports; any other `with_<lookup>` gets [`with_lookup_hint`].
pub const LOOPS: &[&str] = &["loop", "with_items", "with_list", "with_dict"];

/// Keys that start a task of a special kind rather than a module call.
pub fn is_import_tasks(key: &str) -> bool {
    matches!(
        key,
        "import_tasks" | "ansible.builtin.import_tasks" | "ansible.legacy.import_tasks"
    )
}

pub fn is_include_tasks(key: &str) -> bool {
    matches!(
        key,
        "include_tasks" | "ansible.builtin.include_tasks" | "ansible.legacy.include_tasks"
    )
}

pub fn is_import_playbook(key: &str) -> bool {
    matches!(
        key,
        "import_playbook" | "ansible.builtin.import_playbook" | "ansible.legacy.import_playbook"
    )
}

/// Ansible task keywords play does not support yet, with what to do instead.
pub fn task_unsupported(key: &str) -> Option<&'static str> {
    Some(match key {
        "action" => "write the module name as the key instead: `copy: src=a dest=/b`",
        "local_action" => "call the module directly and add `delegate_to: localhost`",
        "async" | "poll" => "play runs every task to completion; remove it",
        "remote_user" => "set `remote_user` on the play instead",
        "any_errors_fatal" => "set `any_errors_fatal` on the play instead",
        "become_flags" | "become_exe" => "play becomes root with `sudo -n`; remove it",
        "connection" | "port" => "play connects over SSH as the inventory says; remove it",
        "debugger" | "delegate_facts" | "module_defaults" | "throttle" | "timeout" => "remove it",
        "include" => {
            "`include` was removed from Ansible (2.16): use `include_tasks` or `import_tasks`"
        }
        "include_role"
        | "import_role"
        | "ansible.builtin.include_role"
        | "ansible.builtin.import_role" => {
            "roles are not supported yet: import the role's tasks file with `import_tasks`"
        }
        "include_vars" | "ansible.builtin.include_vars" => {
            "load the file with the play's `vars_files` instead"
        }
        "import_playbook" | "ansible.builtin.import_playbook" => {
            "`import_playbook` belongs at the top level of a playbook, not in a task list"
        }
        "static" | "loop_with" => "remove it",
        _ => return None,
    })
}

/// Ansible play keywords play does not support yet, with what to do instead.
pub fn play_unsupported(key: &str) -> Option<&'static str> {
    Some(match key {
        "vars_prompt" => "pass the values with `-e name=value` instead",
        "force_handlers" | "order" | "throttle" | "run_once" | "ignore_errors" | "timeout"
        | "debugger" | "module_defaults" | "fact_path" => "remove it",
        "gather_subset" | "gather_timeout" => "play gathers its fixed set of facts; remove it",
        "become_flags" | "become_exe" => "play becomes root with `sudo -n`; remove it",
        "port" => "set the port in the inventory (`ansible_port`)",
        _ => return None,
    })
}

/// For `with_<lookup>` loops other than those in [`LOOPS`].
pub fn with_lookup_hint(key: &str) -> Option<String> {
    let lookup = key.strip_prefix("with_")?;
    Some(format!(
        "`{key}` (the `{lookup}` lookup) is not supported yet: build the list another way and \
         use `loop:`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_no_duplicates_and_specials_are_not_keywords() {
        for table in [PLAY, TASK, BLOCK, INCLUDE, IMPORT] {
            let mut seen = std::collections::HashSet::new();
            for k in table {
                assert!(seen.insert(k), "duplicate {k}");
                assert!(task_unsupported(k).is_none() || table == PLAY, "{k}");
            }
        }
        assert!(is_import_tasks("ansible.builtin.import_tasks"));
        assert!(is_include_tasks("include_tasks"));
        assert!(with_lookup_hint("with_fileglob")
            .unwrap()
            .contains("fileglob"));
        assert!(with_lookup_hint("loop").is_none());
    }
}
