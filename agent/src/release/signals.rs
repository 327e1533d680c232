//! Deferring SIGINT, SIGTERM and SIGHUP while a release runs.
//!
//! A release must finish or undo, then release its lock, whatever happens to the controller or
//! the SSH connection. While a [`DeferSignals`] guard lives, those signals only set a flag the
//! transaction polls (it stops waiting for health and restores the old container); when the
//! last guard drops, the previous handlers come back and a caught signal is raised again, so
//! the agent then stops as it was asked to, with the lock already released.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

static CAUGHT: AtomicI32 = AtomicI32::new(0);

/// Guards alive, and the handlers to restore when the last one drops.
static STATE: Mutex<(usize, Vec<(libc::c_int, libc::sigaction)>)> = Mutex::new((0, Vec::new()));

extern "C" fn on_signal(sig: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    CAUGHT.store(sig, Ordering::SeqCst);
}

/// While alive, the three signals are recorded instead of acted on.
pub struct DeferSignals(());

impl DeferSignals {
    pub fn install() -> DeferSignals {
        let mut state = STATE.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 == 0 {
            CAUGHT.store(0, Ordering::SeqCst);
            let mut saved = Vec::new();
            for sig in SIGNALS {
                // SAFETY: sigaction with a zeroed struct, a handler that only does an atomic
                // store, and a valid out-pointer for the previous action.
                unsafe {
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                    action.sa_flags = libc::SA_RESTART;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, &action, &mut old) == 0 {
                        saved.push((sig, old));
                    }
                }
            }
            state.1 = saved;
        }
        state.0 += 1;
        DeferSignals(())
    }

    /// The signal caught since install, if any.
    pub fn caught(&self) -> Option<i32> {
        match CAUGHT.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }
}

impl Drop for DeferSignals {
    fn drop(&mut self) {
        let mut state = STATE.lock().unwrap_or_else(|p| p.into_inner());
        state.0 -= 1;
        if state.0 > 0 {
            return;
        }
        for (sig, old) in state.1.drain(..) {
            // SAFETY: restores an action sigaction itself returned.
            unsafe {
                libc::sigaction(sig, &old, std::ptr::null_mut());
            }
        }
        let sig = CAUGHT.swap(0, Ordering::SeqCst);
        if sig != 0 {
            reraise(sig);
        }
    }
}

#[cfg(not(test))]
fn reraise(sig: libc::c_int) {
    // SAFETY: raising a signal on ourselves; its previous disposition now applies.
    unsafe {
        libc::raise(sig);
    }
}

/// The signal the last guard would have raised again; tests check it instead of dying.
#[cfg(test)]
pub static RERAISED: AtomicI32 = AtomicI32::new(0);

#[cfg(test)]
fn reraise(sig: libc::c_int) {
    RERAISED.store(sig, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_is_recorded_not_acted_on() {
        // SIGHUP's default action would end the test binary: reaching the assert proves the
        // guard deferred it. (Under test, the re-raise on drop is recorded, not raised.)
        let _serial = crate::release::PROCESS_TEST_LOCK
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let guard = DeferSignals::install();
        unsafe {
            libc::raise(libc::SIGHUP);
        }
        assert_eq!(guard.caught(), Some(libc::SIGHUP));
        RERAISED.store(0, Ordering::SeqCst);
        drop(guard);
        assert_eq!(
            RERAISED.load(Ordering::SeqCst),
            libc::SIGHUP,
            "raised again on drop"
        );
    }
}
