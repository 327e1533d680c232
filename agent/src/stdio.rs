//! Takes the protocol channel off fds 0 and 1 at start.
//!
//! The frames move to new close-on-exec descriptors and fds 0 and 1 are pointed at
//! /dev/null, so no child process (whoever spawns it, however it is spawned) can read the
//! controller's requests or write into the response stream.

use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;

/// Returns (requests in, responses out) and leaves /dev/null on fds 0 and 1.
pub fn take_protocol_streams() -> io::Result<(File, File)> {
    // SAFETY: plain fd syscalls; every fd returned is checked before use and owned once.
    unsafe {
        let input = libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3);
        if input < 0 {
            return Err(io::Error::last_os_error());
        }
        let output = libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3);
        if output < 0 {
            return Err(io::Error::last_os_error());
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if null < 0 || libc::dup2(null, 0) < 0 || libc::dup2(null, 1) < 0 {
            return Err(io::Error::last_os_error());
        }
        libc::close(null);
        Ok((File::from_raw_fd(input), File::from_raw_fd(output)))
    }
}
