//! The play agent.

mod docker;
mod modules;
mod release;

fn main() {
    let _ = modules::dispatch;
}
