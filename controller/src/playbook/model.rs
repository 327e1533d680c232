//! The typed playbook: what the parser produces and the run engine consumes.
//!
//! Every value that may hold a template stays a `serde_json::Value` (strings are rendered per
//! host at run time); everything that is structure is typed here, with its location kept for
//! error messages.

use crate::yaml::Location;
use indexmap::IndexMap;
use serde_json::Value;
use std::path::PathBuf;

/// Variables in the order they were written.
pub type Vars = IndexMap<String, Value>;

#[derive(Debug, Clone)]
pub struct Playbook {
    pub path: PathBuf,
    pub plays: Vec<Play>,
}

#[derive(Debug, Clone)]
pub struct Play {
    pub name: Option<String>,
    /// The host pattern, possibly templated (`{{ target }}`).
    pub hosts: String,
    pub vars: Vars,
    /// Files listed in `vars_files`, resolved relative to the playbook, loaded at parse time.
    pub vars_files: Vec<VarsFile>,
    pub become_: Option<bool>,
    pub become_user: Option<String>,
    pub remote_user: Option<String>,
    pub gather_facts: bool,
    pub pre_tasks: Vec<Task>,
    pub tasks: Vec<Task>,
    pub post_tasks: Vec<Task>,
    pub handlers: Vec<Task>,
    /// Batch sizes: `serial: 1`, `serial: "30%"`, `serial: [1, 5, "50%"]`. Empty: all hosts.
    pub serial: Vec<BatchSize>,
    pub max_fail_percentage: Option<MaxFail>,
    pub any_errors_fatal: bool,
    pub ignore_unreachable: bool,
    pub tags: Vec<String>,
    pub environment: Option<Value>,
    pub no_log: Option<bool>,
    pub check_mode: Option<bool>,
    pub loc: Location,
    pub diff: Option<bool>,
    /// `vars_files` entries whose path holds a template (`vars/{{ env }}.yml`): the engine
    /// renders and loads them per host (see [`crate::playbook::load_vars_file`]).
    pub vars_files_deferred: Vec<DeferredVarsFile>,
    /// Where each keyword's value was written, for errors found after parsing (template
    /// syntax, run-time failures). Keys: `name`, `hosts`, `vars.<name>`, `environment`, ...
    pub locs: IndexMap<String, Location>,
}

#[derive(Debug, Clone)]
pub struct VarsFile {
    pub path: PathBuf,
    pub vars: Vars,
    /// Where each top-level variable's value was written in the file.
    pub locs: IndexMap<String, Location>,
}

/// A `vars_files` entry that can only be resolved at run time.
#[derive(Debug, Clone)]
pub struct DeferredVarsFile {
    /// Candidate paths, as written; a list entry means "the first that exists".
    pub candidates: Vec<String>,
    /// The directory relative candidates are resolved against (the playbook's).
    pub base_dir: PathBuf,
    /// How many entries of [`Play::vars_files`] precede this one: vars files load in order
    /// and later ones win, so this is where it belongs in that order.
    pub position: usize,
    pub loc: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BatchSize {
    Count(usize),
    Percent(f64),
    /// A template (`"{{ release_serial | default(0) }}"`), rendered when the play starts into a
    /// count or a percentage.
    Template(String),
}

/// `max_fail_percentage`: a number, or a template rendered when the play starts.
#[derive(Debug, Clone, PartialEq)]
pub enum MaxFail {
    Percent(f64),
    Template(String),
}

/// A task, a block, or an include; all share the keywords in [`TaskCommon`].
#[derive(Debug, Clone)]
pub struct Task {
    pub common: TaskCommon,
    pub kind: TaskKind,
}

#[derive(Debug, Clone)]
pub enum TaskKind {
    /// A module call.
    Module(ModuleTask),
    /// `block` with optional `rescue` and `always`. The block's keywords other than `tags`
    /// and `notify` (which the parser already pushed down) apply to each task inside.
    Block {
        block: Vec<Task>,
        rescue: Vec<Task>,
        always: Vec<Task>,
    },
    /// `import_tasks`: static, expanded at parse time into `tasks`. Like a block, its keywords
    /// (`when`, `vars`, ...) apply to each imported task.
    Import { file: PathBuf, tasks: Vec<Task> },
    /// `include_tasks`: the file name may be templated, so it is loaded at run time (the parser
    /// checks it when the name is a literal, so errors still come before any connection).
    Include {
        /// The file name as written; relative to `base_dir` (the including file's directory).
        file: String,
        base_dir: PathBuf,
        vars: Vars,
    },
}

#[derive(Debug, Clone)]
pub struct ModuleTask {
    /// Canonical short module name.
    pub module: &'static str,
    /// The arguments as written (aliases already mapped to canonical names); free-form text
    /// arrives as `_raw_params`.
    pub args: IndexMap<String, Value>,
    /// Where the module key was written, for option errors.
    pub module_loc: Location,
}

/// Keywords every task, block and include may carry.
#[derive(Debug, Clone, Default)]
pub struct TaskCommon {
    pub name: Option<String>,
    /// Conditions, all of which must hold (`when:` as a string or a list).
    pub when: Vec<String>,
    pub loop_: Option<Loop>,
    pub loop_control: LoopControl,
    pub register: Option<String>,
    pub notify: Vec<String>,
    /// Handler only: extra topics it answers to.
    pub listen: Vec<String>,
    pub changed_when: Option<Vec<String>>,
    pub failed_when: Option<Vec<String>>,
    pub ignore_errors: bool,
    pub ignore_unreachable: bool,
    /// The effective tags: the task's own plus those of its play, enclosing blocks and
    /// `import_tasks` (the parser fills these in, so `--tags` matching needs no parent walk).
    pub tags: Vec<String>,
    pub no_log: Option<bool>,
    pub become_: Option<bool>,
    pub become_user: Option<String>,
    pub until: Option<String>,
    pub retries: Option<u32>,
    pub delay: Option<u64>,
    pub environment: Option<Value>,
    pub vars: Vars,
    pub check_mode: Option<bool>,
    pub diff: Option<bool>,
    pub delegate_to: Option<String>,
    pub run_once: bool,
    pub loc: Option<Location>,
    /// The part of `tags` that came from the play, enclosing blocks and imports. Tasks that an
    /// `include_tasks` loads at run time inherit these (not the include's own tags, as in
    /// Ansible): `inherit_tags(&mut loaded, &include.common.inherited_tags)`.
    pub inherited_tags: Vec<String>,
    /// Where each keyword's value was written, for errors found after parsing. Keys: `name`,
    /// `when`, `when.<i>` (list items), `loop`, `until`, `changed_when`, `failed_when`,
    /// `vars.<name>`, `args.<option>` (canonical option names), `loop_control.label`, ...
    pub locs: IndexMap<String, Location>,
}

#[derive(Debug, Clone)]
pub enum Loop {
    /// `loop:` / `with_items:` / `with_list:`: a list or a template that renders to one.
    Items(Value),
    /// `with_dict:` a mapping or a template; items are `{key, value}`.
    Dict(Value),
}

#[derive(Debug, Clone, Default)]
pub struct LoopControl {
    pub loop_var: Option<String>,
    pub index_var: Option<String>,
    pub label: Option<String>,
    pub pause: Option<f64>,
}

impl Task {
    /// The name shown in output: the task's name, or the module name as Ansible does.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.common.name {
            return name.clone();
        }
        match &self.kind {
            TaskKind::Module(m) => m.module.to_string(),
            TaskKind::Block { .. } => "block".into(),
            TaskKind::Import { file, .. } => format!("import_tasks: {}", file.display()),
            TaskKind::Include { file, .. } => format!("include_tasks: {file}"),
        }
    }
}
