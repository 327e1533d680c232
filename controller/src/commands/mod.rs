//! One file per subcommand; [`run`] dispatches and returns the process exit code.

mod apply;
mod inventory;
mod plan;
mod playbook;
mod releases;
mod rollback;
mod schedule;
pub mod vault;

use crate::cli::{Cli, Command};

pub async fn run(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Inventory(args)) => inventory::run(&args),
        Some(Command::Run(args)) => playbook::run(*args).await,
        Some(Command::Releases(args)) => releases::run(&args).await,
        Some(Command::Rollback(args)) => rollback::run(*args).await,
        Some(Command::Vault(args)) => vault::run(&args, &vault::printer()),
        Some(Command::Schedule(args)) => schedule::run(args).await,
        Some(Command::Plan(args)) => plan::run(*args).await,
        Some(Command::Apply(args)) => apply::run(*args).await,
        None => playbook::run(cli.run).await,
    }
}
