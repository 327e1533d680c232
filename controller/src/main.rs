//! The `play` binary: parse the command line, run, decide the exit code. Every exit code is
//! decided in `commands::run` (Ansible's: 0 ok, 1 error, 2 host failed, 4 unreachable or
//! parse error, 5 bad options, 99 interrupted).

use clap::Parser;
use play::cli::Cli;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                play::run::exit::BAD_OPTIONS
            } else {
                0
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("ERROR! cannot start the runtime: {e}\n").as_bytes(),
            );
            std::process::exit(play::run::exit::ERROR);
        }
    };
    let code = runtime.block_on(play::commands::run(cli));
    std::process::exit(code);
}
