//! play's SSH layer, on russh. Small types of our own wrap russh so its API changes stay in
//! this folder: [`SshPool`] opens connections (sharing one connection per bastion among all
//! the hosts behind it), [`Session`] runs commands ([`Session::exec`] for the long-lived agent
//! channel, [`Session::run`] for one-shot commands), and [`resolve()`] turns an inventory host,
//! the command line and `~/.ssh/config` into [`ConnectOptions`].
//!
//! Host keys are checked against known_hosts by a pure function ([`check_host_key`]); every
//! failure is an [`SshError`] that says what, for which host, and what to do.

mod args;
mod auth;
pub mod config;
mod error;
mod exec;
mod handler;
pub mod known_hosts;
mod options;
mod pattern;
mod pool;
mod quickack;
mod resolve;
mod session;

pub use config::{LocalEnv, SshConfig};
pub use error::SshError;
pub use exec::{
    ExecChannel, ExecExit, ExecOutput, ExecReader, ExecWriter, ExitInfo, RUN_OUTPUT_LIMIT,
    STDERR_TAIL_LIMIT,
};
pub use known_hosts::{
    check_host_certificate, check_host_key, HostKeyPolicy, HostKeyVerdict, KnownHostsEntry,
};
pub use options::ConnectOptions;
pub use pool::SshPool;
pub use resolve::{resolve, HostVars, SshOverrides};
/// The public key type host keys are checked as (russh's, re-exported so callers need no russh).
pub use russh::keys::PublicKey;
pub use session::Session;

#[cfg(test)]
mod local_sshd_tests;
