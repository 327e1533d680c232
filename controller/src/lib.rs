//! play's controller: reads inventories and playbooks, connects to hosts over SSH (through a
//! bastion where one is configured), starts the agent on each host and drives it task by task.
//!
//! The library is split by concern; the `play` binary (`main.rs`) only parses the command
//! line, calls [`commands::run`] and turns the outcome into an exit code.

pub mod agent_client;
pub mod cli;
pub mod commands;
pub mod files;
pub mod inventory;
pub mod output;
pub mod plan;
pub mod playbook;
pub mod run;
pub mod schedule;
pub mod ssh;
pub mod template;
pub mod vault;
pub mod yaml;
