//! Asking the operator on the terminal, with echo off for passwords (as Python's getpass):
//! the prompt and the answer go through /dev/tty, so stdin and stdout stay free for data
//! (`play vault encrypt < in > out`). Echo is restored even when reading fails.

use super::error::VaultError;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use zeroize::Zeroizing;

/// Something that can ask the operator a question.
pub trait Prompter {
    /// The answer without its line end; `None` when input ended (ctrl-d).
    fn ask(&mut self, prompt: &str, echo: bool) -> Result<Option<Zeroizing<String>>, VaultError>;
}

/// Asks on the controlling terminal.
#[derive(Debug, Default, Clone, Copy)]
pub struct TtyPrompter;

impl Prompter for TtyPrompter {
    fn ask(&mut self, prompt: &str, echo: bool) -> Result<Option<Zeroizing<String>>, VaultError> {
        let tty = File::options()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|e| {
                VaultError::password(format!(
                    "cannot ask for the vault password: no terminal ({e}); give it with \
                     --vault-password-file FILE or --vault-id LABEL@FILE instead"
                ))
            })?;
        prompt_on(&tty, prompt, echo)
            .map_err(|e| VaultError::password(format!("cannot read from the terminal: {e}")))
    }
}

/// Restores the terminal's settings when dropped.
struct EchoOff<'a> {
    tty: &'a File,
    saved: libc::termios,
}

impl<'a> EchoOff<'a> {
    fn new(tty: &'a File) -> io::Result<EchoOff<'a>> {
        let fd = tty.as_raw_fd();
        // SAFETY: termios is plain data; tcgetattr fills it or fails, and we check which.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        // Still echo the newline, so the next output starts on its own line.
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: fd is an open terminal and `quiet` a valid termios derived from its own.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(EchoOff { tty, saved })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        // SAFETY: restores the settings read from the same open fd.
        unsafe { libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSANOW, &self.saved) };
    }
}

/// Writes `prompt` to `tty` and reads one line from it, echo off unless `echo`.
pub(crate) fn prompt_on(
    tty: &File,
    prompt: &str,
    echo: bool,
) -> io::Result<Option<Zeroizing<String>>> {
    let mut out = tty;
    out.write_all(prompt.as_bytes())?;
    out.flush()?;
    let guard = if echo { None } else { Some(EchoOff::new(tty)?) };
    let mut line = Zeroizing::new(Vec::new());
    let mut byte = [0u8; 1];
    let mut input = tty;
    let ended = loop {
        match input.read(&mut byte) {
            Ok(0) => break true,
            Ok(_) if byte[0] == b'\n' => break false,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    drop(guard);
    if ended && line.is_empty() {
        return Ok(None);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = String::from_utf8(std::mem::take(&mut *line))
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the answer is not UTF-8"))?;
    Ok(Some(Zeroizing::new(text)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::FromRawFd;

    /// A pseudo-terminal pair: (controller side, terminal side).
    fn pty() -> (File, File) {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty fills two fds on success; null name/termios/winsize are allowed.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", io::Error::last_os_error());
        // SAFETY: both fds were just opened and are owned by nobody else.
        unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) }
    }

    fn echo_is_on(tty: &File) -> bool {
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(tty.as_raw_fd(), &mut t) }, 0);
        t.c_lflag & libc::ECHO != 0
    }

    #[test]
    fn reads_a_hidden_answer_and_restores_echo() {
        let (mut master, slave) = pty();
        assert!(echo_is_on(&slave));
        // Type only once echo is off, as a person would after seeing the prompt: the terminal
        // echoes input when it arrives, not when it is read.
        let (mut keyboard, watched) = (master.try_clone().unwrap(), slave.try_clone().unwrap());
        let typist = std::thread::spawn(move || {
            while echo_is_on(&watched) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            keyboard.write_all(b"s3cret pass\n").unwrap();
        });
        let answer = prompt_on(&slave, "Vault password: ", false)
            .unwrap()
            .unwrap();
        assert_eq!(answer.as_str(), "s3cret pass");
        typist.join().unwrap();
        assert!(echo_is_on(&slave), "echo must be back on");
        // What the operator's screen shows: the prompt and a newline, never the password.
        let mut screen = [0u8; 256];
        let n = master.read(&mut screen).unwrap();
        let screen = String::from_utf8_lossy(&screen[..n]);
        assert!(screen.contains("Vault password: "), "{screen:?}");
        assert!(!screen.contains("s3cret"), "{screen:?}");
    }
}
