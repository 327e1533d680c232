//! The play agent.

fn main() {}
