//! Length-prefixed frames: a 4-byte big-endian payload length, then that many bytes of JSON.
//!
//! The bound on a frame's size is checked from the header alone, before any payload is read,
//! so neither peer ever allocates for a frame it is going to refuse.

use serde::{de::DeserializeOwned, Serialize};
use std::fmt;

/// Bytes in a frame header.
pub const FRAME_HEADER_BYTES: usize = 4;

/// The largest payload either side accepts (32 MiB): big enough for a copied file, small
/// enough that a garbage header cannot make a peer allocate without bound.
pub const MAX_FRAME_BYTES: u32 = 32 * 1024 * 1024;

/// Why a frame was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The header announced more than [`MAX_FRAME_BYTES`].
    TooLarge { len: u64 },
    /// The payload was not a message this side understands.
    Malformed(String),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooLarge { len } => write!(
                f,
                "frame of {len} bytes exceeds the {MAX_FRAME_BYTES}-byte limit (garbage on the channel, or a file too large to send in one piece)"
            ),
            FrameError::Malformed(why) => write!(f, "malformed frame: {why}"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Serializes `msg` into one frame (header + JSON payload).
pub fn encode_frame<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    let mut buf = vec![0u8; FRAME_HEADER_BYTES];
    serde_json::to_writer(&mut buf, msg).map_err(|e| FrameError::Malformed(e.to_string()))?;
    let len = (buf.len() - FRAME_HEADER_BYTES) as u64;
    if len > u64::from(MAX_FRAME_BYTES) {
        return Err(FrameError::TooLarge { len });
    }
    buf[..FRAME_HEADER_BYTES].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(buf)
}

/// Reads the payload length from a header, refusing lengths over the bound.
pub fn decode_len(header: [u8; FRAME_HEADER_BYTES]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(header);
    if len > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge {
            len: u64::from(len),
        });
    }
    Ok(len as usize)
}

/// Parses a payload (the bytes after the header).
pub fn decode_payload<T: DeserializeOwned>(payload: &[u8]) -> Result<T, FrameError> {
    serde_json::from_slice(payload).map_err(|e| FrameError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Request, RequestBody};

    #[test]
    fn round_trip() {
        let req = Request {
            id: 7,
            body: RequestBody::Facts,
        };
        let frame = encode_frame(&req).unwrap();
        let len = decode_len(frame[..4].try_into().unwrap()).unwrap();
        assert_eq!(len, frame.len() - 4);
        let back: Request = decode_payload(&frame[4..]).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn oversized_header_is_refused_before_reading() {
        let err = decode_len((MAX_FRAME_BYTES + 1).to_be_bytes()).unwrap_err();
        assert_eq!(
            err,
            FrameError::TooLarge {
                len: u64::from(MAX_FRAME_BYTES) + 1
            }
        );
        assert!(decode_len(u32::MAX.to_be_bytes()).is_err());
    }

    #[test]
    fn garbage_payload_is_malformed() {
        assert!(matches!(
            decode_payload::<Request>(b"\x00\xffnot json"),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            decode_payload::<Request>(br#"{"id":1,"type":"no_such_kind"}"#),
            Err(FrameError::Malformed(_))
        ));
    }
}
