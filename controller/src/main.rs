//! The `play` binary: parse the command line, run, decide the exit code.

fn main() {
    std::process::exit(0);
}
