//! Playbooks: parsing YAML into the typed [`model`], as ansible-playbook accepts them, with
//! every error located (file:line:column) and found before any host is contacted.
//!
//! Entry points: [`load_playbook`] for a playbook and its imports; [`load_task_file`] /
//! [`load_handler_file`] and [`load_vars_file`] for files the run engine can only name at run
//! time (templated `include_tasks` and `vars_files`); [`check_templates`] to run a Jinja
//! syntax checker over every template string of a loaded playbook; [`inherit_tags`] to give
//! run-time included tasks their parents' tags.
//!
//! What the parser settles so the engine need not: tags are effective (own + play, blocks,
//! imports), a block's `notify` is pushed to tasks inside without one, module option aliases
//! are canonical, free-form text is split into options and `_raw_params`.

mod common;
mod context;
mod error;
mod free_form;
mod includes;
mod inherit;
mod keywords;
pub mod model;
mod module_args;
mod play;
mod play_values;
mod suggest;
mod task;
mod templates;
mod values;
mod vars;

#[cfg(test)]
mod tests;

pub use error::{ErrorKind, PlaybookError};
pub use free_form::{format_kv, parse_kv};
pub use includes::{find_task_file, load_handler_file, load_task_file};
pub use inherit::inherit_tags;
pub use module_args::META_ACTIONS;
pub use play::load_playbook;
pub use templates::check_templates;
pub use vars::load_vars_file;
