//! The catalogue of modules: their names, where they run, and the options they accept.
//!
//! The controller checks every task against this table at load time, so a misspelt option is
//! an error with file:line:column before any host is contacted. The agent deserializes the
//! same options into typed structs (`deny_unknown_fields`); a test in the agent keeps the two
//! in step. Options whose name starts with `_` are internal: the controller adds them (for
//! example `copy`'s `_content_b64` after reading `src` on the controller) and users cannot.

/// Where a module does its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsOn {
    /// Sent to the agent on the host.
    Agent,
    /// Evaluated by the controller alone (debug, set_fact, ...).
    Controller,
    /// The controller prepares the arguments (reads or renders a local file), then the agent
    /// runs `agent_module` with them.
    ControllerThenAgent { agent_module: &'static str },
}

/// One module's description.
#[derive(Debug)]
pub struct ModuleSpec {
    /// The canonical short name.
    pub name: &'static str,
    pub runs_on: RunsOn,
    /// Accepted option names, aliases included.
    pub options: &'static [&'static str],
    /// Whether a bare string (`command: ls -l`) is accepted; it arrives as `_raw_params`.
    pub free_form: bool,
    /// Option aliases: (alias, canonical). The controller rewrites aliases before sending.
    pub aliases: &'static [(&'static str, &'static str)],
}

const CMD_OPTIONS: &[&str] = &[
    "cmd",
    "argv",
    "chdir",
    "creates",
    "removes",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
    "executable",
];

/// Every module play knows, in one table.
pub static MODULES: &[ModuleSpec] = &[
    ModuleSpec {
        name: "command",
        runs_on: RunsOn::Agent,
        options: CMD_OPTIONS,
        free_form: true,
        aliases: &[],
    },
    ModuleSpec {
        name: "shell",
        runs_on: RunsOn::Agent,
        options: CMD_OPTIONS,
        free_form: true,
        aliases: &[],
    },
    ModuleSpec {
        name: "copy",
        runs_on: RunsOn::ControllerThenAgent {
            agent_module: "copy",
        },
        options: &[
            "src",
            "content",
            "dest",
            "mode",
            "owner",
            "group",
            "backup",
            "force",
            "validate",
            "directory_mode",
            "remote_src",
            "_content_b64",
        ],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "template",
        runs_on: RunsOn::ControllerThenAgent {
            agent_module: "copy",
        },
        options: &[
            "src", "dest", "mode", "owner", "group", "backup", "force", "validate",
        ],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "file",
        runs_on: RunsOn::Agent,
        options: &[
            "path", "dest", "name", "state", "mode", "owner", "group", "src", "recurse", "force",
            "follow",
        ],
        free_form: false,
        aliases: &[("dest", "path"), ("name", "path")],
    },
    ModuleSpec {
        name: "lineinfile",
        runs_on: RunsOn::Agent,
        options: &[
            "path",
            "dest",
            "name",
            "line",
            "value",
            "regexp",
            "regex",
            "search_string",
            "state",
            "insertafter",
            "insertbefore",
            "create",
            "backup",
            "backrefs",
            "firstmatch",
            "mode",
            "owner",
            "group",
            "validate",
        ],
        free_form: false,
        aliases: &[
            ("dest", "path"),
            ("name", "path"),
            ("value", "line"),
            ("regex", "regexp"),
        ],
    },
    ModuleSpec {
        name: "stat",
        runs_on: RunsOn::Agent,
        options: &["path", "follow", "get_checksum", "checksum_algorithm"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "apt",
        runs_on: RunsOn::Agent,
        options: &[
            "name",
            "pkg",
            "package",
            "state",
            "update_cache",
            "cache_valid_time",
            "install_recommends",
            "purge",
            "autoremove",
            "default_release",
            "force_apt_get",
            "update_cache_retries",
        ],
        free_form: false,
        aliases: &[("pkg", "name"), ("package", "name")],
    },
    ModuleSpec {
        name: "package",
        runs_on: RunsOn::Agent,
        options: &["name", "state", "use"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "service",
        runs_on: RunsOn::Agent,
        options: &["name", "state", "enabled", "daemon_reload"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "systemd",
        runs_on: RunsOn::Agent,
        options: &[
            "name",
            "unit",
            "service",
            "state",
            "enabled",
            "daemon_reload",
            "daemon_reexec",
            "masked",
            "no_block",
            "scope",
        ],
        free_form: false,
        aliases: &[("unit", "name"), ("service", "name")],
    },
    ModuleSpec {
        name: "user",
        runs_on: RunsOn::Agent,
        options: &[
            "name",
            "state",
            "uid",
            "group",
            "groups",
            "append",
            "shell",
            "home",
            "create_home",
            "system",
            "comment",
            "password",
            "remove",
        ],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "group",
        runs_on: RunsOn::Agent,
        options: &["name", "state", "gid", "system"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "wait_for",
        runs_on: RunsOn::Agent,
        options: &[
            "host",
            "port",
            "path",
            "state",
            "delay",
            "timeout",
            "sleep",
            "search_regex",
            "connect_timeout",
            "msg",
        ],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "uri",
        runs_on: RunsOn::Agent,
        options: &[
            "url",
            "method",
            "body",
            "body_format",
            "headers",
            "status_code",
            "return_content",
            "timeout",
            "validate_certs",
            "url_username",
            "url_password",
            "force_basic_auth",
            "follow_redirects",
            "ca_path",
        ],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "ping",
        runs_on: RunsOn::Agent,
        options: &["data"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "setup",
        runs_on: RunsOn::Agent,
        options: &["gather_subset", "filter"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "debug",
        runs_on: RunsOn::Controller,
        options: &["msg", "var", "verbosity"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "assert",
        runs_on: RunsOn::Controller,
        options: &["that", "fail_msg", "msg", "success_msg", "quiet"],
        free_form: false,
        aliases: &[("msg", "fail_msg")],
    },
    ModuleSpec {
        name: "fail",
        runs_on: RunsOn::Controller,
        options: &["msg"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "set_fact",
        runs_on: RunsOn::Controller,
        // Any key is a fact to set; checked specially by the controller.
        options: &[],
        free_form: true,
        aliases: &[],
    },
    ModuleSpec {
        name: "meta",
        runs_on: RunsOn::Controller,
        options: &[],
        free_form: true,
        aliases: &[],
    },
    ModuleSpec {
        name: "docker_image",
        runs_on: RunsOn::Agent,
        options: &[
            "name",
            "tag",
            "source",
            "force_source",
            "force_absent",
            "state",
            "docker_host",
        ],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "docker_image_pull",
        runs_on: RunsOn::Agent,
        options: &["name", "tag", "platform", "pull", "docker_host"],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "docker_login",
        runs_on: RunsOn::Agent,
        options: &[
            "registry_url",
            "registry",
            "url",
            "username",
            "password",
            "reauthorize",
            "reauth",
            "state",
            "config_path",
            "dockercfg_path",
            "docker_host",
        ],
        free_form: false,
        aliases: &[
            ("registry", "registry_url"),
            ("url", "registry_url"),
            ("reauth", "reauthorize"),
            ("dockercfg_path", "config_path"),
        ],
    },
    ModuleSpec {
        name: "docker_container",
        runs_on: RunsOn::Agent,
        options: &[
            "name",
            "image",
            "command",
            "entrypoint",
            "env",
            "env_file",
            "published_ports",
            "ports",
            "volumes",
            "restart_policy",
            "restart_retries",
            "labels",
            "healthcheck",
            "networks",
            "network_mode",
            "state",
            "recreate",
            "restart",
            "pull",
            "cleanup",
            "detach",
            "stop_timeout",
            "user",
            "working_dir",
            "hostname",
            "memory",
            "healthy_wait_timeout",
            "docker_host",
        ],
        free_form: false,
        aliases: &[("ports", "published_ports")],
    },
    ModuleSpec {
        name: "release",
        runs_on: RunsOn::Agent,
        options: &[
            "service",
            "image",
            "tag",
            "digest",
            "env_file",
            "env",
            "published_ports",
            "volumes",
            "command",
            "restart_policy",
            "labels",
            "networks",
            "health",
            "operator",
            "reason",
            "lock_wait",
            "keep_releases",
            "pull",
            "stop_timeout",
            "docker_host",
            "_rollback",
        ],
        free_form: false,
        aliases: &[],
    },
    ModuleSpec {
        name: "release_history",
        runs_on: RunsOn::Agent,
        options: &["service", "limit"],
        free_form: false,
        aliases: &[],
    },
];

/// Collections whose builtin modules map onto play's short names.
const KNOWN_PREFIXES: &[&str] = &[
    "ansible.builtin.",
    "ansible.legacy.",
    "ansible.posix.",
    "community.general.",
    "community.docker.",
];

/// Finds a module by short name or FQCN (`ansible.builtin.copy`); also maps Ansible's
/// alternative names (`systemd_service`) onto ours.
pub fn lookup(name: &str) -> Option<&'static ModuleSpec> {
    let short = KNOWN_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    let short = match short {
        "systemd_service" => "systemd",
        "gather_facts" => "setup",
        other => other,
    };
    MODULES.iter().find(|m| m.name == short)
}

/// Whether `key` names a module, so the playbook parser can tell modules from task keywords.
pub fn is_module(name: &str) -> bool {
    lookup(name).is_some()
}

/// All names a user might type, for "did you mean" suggestions.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|m| m.name)
}

impl ModuleSpec {
    /// Whether this module accepts `option` (aliases included; internal options excluded).
    pub fn accepts(&self, option: &str) -> bool {
        !option.starts_with('_') && self.options.contains(&option)
    }

    /// The canonical name for an option or alias.
    pub fn canonical_option<'a>(&self, option: &'a str) -> &'a str {
        self.aliases
            .iter()
            .find(|(alias, _)| *alias == option)
            .map(|(_, canonical)| *canonical)
            .unwrap_or(option)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqcn_and_short_names_resolve() {
        assert_eq!(lookup("ansible.builtin.copy").unwrap().name, "copy");
        assert_eq!(lookup("copy").unwrap().name, "copy");
        assert_eq!(
            lookup("ansible.builtin.systemd_service").unwrap().name,
            "systemd"
        );
        assert!(lookup("ansible.builtin.cpy").is_none());
        assert!(lookup("name").is_none());
    }

    #[test]
    fn aliases_map_to_options_the_module_accepts() {
        for m in MODULES {
            for (alias, canonical) in m.aliases {
                assert!(
                    m.options.contains(alias),
                    "{}: alias {alias} not listed",
                    m.name
                );
                assert!(
                    m.options.contains(canonical),
                    "{}: {canonical} not listed",
                    m.name
                );
            }
        }
    }

    #[test]
    fn internal_options_are_not_accepted_from_users() {
        assert!(!lookup("copy").unwrap().accepts("_content_b64"));
        assert!(lookup("copy").unwrap().accepts("dest"));
    }
}
