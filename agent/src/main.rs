//! The play agent: started once per host and run by the controller over SSH, it answers
//! length-prefixed requests on stdin with responses on stdout until told to stop.
//!
//! `main` only wires things up and decides the exit code: 0 done, 1 channel broken,
//! 2 protocol error, 3 refused to run from an unsafe location.

mod accounts;
mod docker;
mod facts;
mod frames;
mod fsutil;
mod hash_key;
mod log;
mod modules;
mod proc;
mod release;
mod security;
mod serve;
mod stdio;
mod timefmt;

use sha2::Digest as _;

fn main() {
    log::init_from_env();
    std::process::exit(run());
}

fn run() -> i32 {
    let exe = match std::fs::read_link("/proc/self/exe") {
        Ok(p) => p,
        Err(e) => {
            log_error!("cannot find the agent binary (/proc/self/exe): {e}");
            return security::EXIT_UNSAFE_LOCATION;
        }
    };
    if let Err(msg) = security::check_location(&exe, &security::allowed_owners()) {
        log_error!("{msg}");
        return security::EXIT_UNSAFE_LOCATION;
    }
    let sha256 = match std::fs::read(&exe) {
        Ok(bytes) => hex::encode(sha2::Sha256::digest(&bytes)),
        Err(e) => {
            log_warn!("cannot read {} to checksum it: {e}", exe.display());
            String::new()
        }
    };
    let (input, output) = match stdio::take_protocol_streams() {
        Ok(streams) => streams,
        Err(e) => {
            log_error!("cannot set up the protocol channel: {e}");
            return serve::EXIT_IO;
        }
    };
    log_debug!(
        "agent {} started from {}",
        env!("CARGO_PKG_VERSION"),
        exe.display()
    );
    serve::serve(input, output, &serve::AgentIdentity { sha256 })
}
