//! The run lock of a schedule: `flock(2)` on `<state dir>/NAME.lock`, never waiting. A run that
//! finds it held is skipped (and says by whom), so runs never stack up behind a slow one. The
//! kernel drops the lock when the process ends, however it ends, so a crash leaves no stale
//! lock to clean up. The file's text (pid, start time) only explains who holds it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Held until dropped (closing the file releases the lock).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

#[derive(Debug)]
pub enum Attempt {
    Acquired(RunLock),
    /// Someone else holds it; their note (`pid=... since=...`), possibly empty.
    Held {
        holder: String,
    },
}

/// Tries to take the lock without waiting; on success records `note` in the file.
pub fn try_lock(path: &Path, note: &str) -> std::io::Result<Attempt> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    // SAFETY: flock on a file descriptor this function owns for the duration of the call.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            return Ok(Attempt::Held {
                holder: holder.trim().to_string(),
            });
        }
        return Err(err);
    }
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(format!("{note}\n").as_bytes())?;
    Ok(Attempt::Acquired(RunLock { _file: file }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_attempt_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drift.lock");
        let first = match try_lock(&path, "pid=1 since=t0").unwrap() {
            Attempt::Acquired(l) => l,
            Attempt::Held { .. } => panic!("a fresh lock must be free"),
        };
        // flock locks belong to the open file, so a second open in this process conflicts
        // exactly as another process would.
        match try_lock(&path, "pid=2").unwrap() {
            Attempt::Held { holder } => assert_eq!(holder, "pid=1 since=t0"),
            Attempt::Acquired(_) => panic!("the lock was taken twice"),
        }
        drop(first);
        assert!(matches!(
            try_lock(&path, "pid=3").unwrap(),
            Attempt::Acquired(_)
        ));
    }

    #[test]
    fn a_lock_held_by_another_process_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.lock");
        std::fs::write(&path, "pid=other\n").unwrap();
        // flock(1) from util-linux takes the same kind of lock in a child process.
        let mut child = match std::process::Command::new("flock")
            .arg(&path)
            .args(["sleep", "5"])
            .spawn()
        {
            Ok(c) => c,
            Err(_) => return, // no flock(1) here: the in-process test above covers the logic
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut refused = false;
        while std::time::Instant::now() < deadline {
            match try_lock(&path, "me").unwrap() {
                Attempt::Held { holder } => {
                    assert_eq!(holder, "pid=other");
                    refused = true;
                    break;
                }
                Attempt::Acquired(l) => {
                    drop(l);
                    // The child may not have taken it yet; our write also replaced the note.
                    std::fs::write(&path, "pid=other\n").unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(refused, "flock(1) held the lock but try_lock took it");
    }
}
