//! A tiny logger: stderr only, because stdout carries the protocol frames.
//!
//! `PLAY_AGENT_LOG=debug` (or `warn`, `error`, `off`) picks the level; the default is `info`.
//! Callers log what the agent does, never module argument values: those may be secrets
//! (no_log tasks, passwords), so only module names and argument keys reach the log.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

// Tests stay quiet unless they call init_from_env.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(if cfg!(test) { 0 } else { Level::Info as u8 });

/// Reads `PLAY_AGENT_LOG` once at start.
pub fn init_from_env() {
    let level = match std::env::var("PLAY_AGENT_LOG").as_deref() {
        Ok("debug") | Ok("trace") => Level::Debug as u8,
        Ok("warn") => Level::Warn as u8,
        Ok("error") => Level::Error as u8,
        Ok("off") => 0,
        _ => Level::Info as u8,
    };
    MAX_LEVEL.store(level, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// Writes one line; a failing stderr is ignored (there is nowhere else to report it).
pub fn write(level: Level, args: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let tag = match level {
        Level::Error => "ERROR",
        Level::Warn => "WARN",
        Level::Info => "INFO",
        Level::Debug => "DEBUG",
    };
    let line = format!("play-agent[{}] {tag}: {args}\n", std::process::id());
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

#[macro_export]
macro_rules! log_debug {
    ($($t:tt)*) => { $crate::log::write($crate::log::Level::Debug, format_args!($($t)*)) };
}
#[macro_export]
macro_rules! log_info {
    ($($t:tt)*) => { $crate::log::write($crate::log::Level::Info, format_args!($($t)*)) };
}
#[macro_export]
macro_rules! log_warn {
    ($($t:tt)*) => { $crate::log::write($crate::log::Level::Warn, format_args!($($t)*)) };
}
#[macro_export]
macro_rules! log_error {
    ($($t:tt)*) => { $crate::log::write($crate::log::Level::Error, format_args!($($t)*)) };
}
