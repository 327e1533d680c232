//! The system tools a schedule drives (systemctl, systemd-analyze, journalctl), behind one
//! trait so the add/remove flows are tested without touching the machine's systemd.

use std::io;
use std::process::{Command, Output, Stdio};

pub trait Tools {
    /// Runs `program args...` to completion, capturing stdout and stderr. Never used with a
    /// secret in `args`.
    fn run(&self, program: &str, args: &[&str]) -> io::Result<Output>;
}

/// The real programs, from PATH.
pub struct SystemTools;

impl Tools for SystemTools {
    fn run(&self, program: &str, args: &[&str]) -> io::Result<Output> {
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
    }
}

/// Runs a tool and turns a non-zero exit into an error that quotes the command and its stderr.
pub fn checked(tools: &dyn Tools, program: &str, args: &[&str]) -> Result<String, String> {
    let shown = format!("{program} {}", args.join(" "));
    let out = tools.run(program, args).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            format!("`{shown}`: {program} is not installed; schedules need systemd")
        } else {
            format!("`{shown}` did not start: {e}")
        }
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{shown}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
pub mod fake {
    //! A recording stand-in: answers queued per program; unanswered calls either succeed with
    //! no output ([`FakeTools::succeeding`]) or fail as "not installed" ([`Default`]).
    use super::*;
    use std::collections::{HashMap, VecDeque};
    use std::os::unix::process::ExitStatusExt;
    use std::sync::Mutex;

    /// (exit code, stdout, stderr)
    type Answer = (i32, String, String);

    #[derive(Default)]
    pub struct FakeTools {
        succeed_by_default: bool,
        answers: Mutex<HashMap<String, VecDeque<Answer>>>,
        calls: Mutex<Vec<String>>,
    }

    impl FakeTools {
        pub fn succeeding() -> Self {
            Self {
                succeed_by_default: true,
                ..Self::default()
            }
        }

        pub fn answer(&self, program: &str, code: i32, stdout: &str, stderr: &str) {
            self.answers
                .lock()
                .unwrap()
                .entry(program.to_string())
                .or_default()
                .push_back((code, stdout.to_string(), stderr.to_string()));
        }

        pub fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl Tools for FakeTools {
        fn run(&self, program: &str, args: &[&str]) -> io::Result<Output> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("{program} {}", args.join(" ")));
            let answer = self
                .answers
                .lock()
                .unwrap()
                .get_mut(program)
                .and_then(VecDeque::pop_front);
            let (code, stdout, stderr) = match answer {
                Some(a) => a,
                None if self.succeed_by_default => (0, String::new(), String::new()),
                None => return Err(io::Error::from(io::ErrorKind::NotFound)),
            };
            Ok(Output {
                status: std::process::ExitStatus::from_raw(code << 8),
                stdout: stdout.into_bytes(),
                stderr: stderr.into_bytes(),
            })
        }
    }
}
