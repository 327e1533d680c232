//! The play agent.

mod modules;

fn main() {
    let _ = modules::dispatch;
}
