//! The vocabulary the play controller and its agent share.
//!
//! This crate holds only types and pure functions (serde, no I/O, no async runtime) so that
//! both binaries agree on the wire format by construction, and so that its tests can pin the
//! exact JSON shape of every message. Reading and writing frames on real streams lives in each
//! binary; the length-prefix rules live here in [`frame`], and the shell-word rules both sides
//! read command lines with in [`shell_words`].

pub mod frame;
pub mod message;
pub mod modules;
pub mod shell_words;

pub use frame::{decode_len, encode_frame, FrameError, FRAME_HEADER_BYTES, MAX_FRAME_BYTES};
pub use message::*;

/// Bumped whenever a message changes in a way an older peer would misread.
pub const PROTOCOL_VERSION: u32 = 1;
