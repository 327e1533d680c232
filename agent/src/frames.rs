//! Reading and writing length-prefixed frames on byte streams (the rules are in
//! `play_protocol::frame`).
//!
//! A frame's size is checked from its header before anything is allocated, and the payload
//! buffer grows only as bytes actually arrive, so a lying header followed by EOF costs
//! nothing.

use play_protocol::{decode_len, encode_frame, FrameError, Response, FRAME_HEADER_BYTES};
use std::io::{self, Read, Write};

/// Why no frame could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The header announced a frame over the size limit.
    TooLarge(FrameError),
    /// The stream ended inside a frame.
    Truncated {
        expected: usize,
        got: usize,
    },
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(e) => write!(f, "{e}"),
            ReadError::Truncated { expected, got } => write!(
                f,
                "truncated frame: the stream ended after {got} of {expected} bytes"
            ),
            ReadError::Io(e) => write!(f, "reading a frame: {e}"),
        }
    }
}

/// Reads one frame's payload; `Ok(None)` is a clean end of stream between frames.
pub fn read_frame(r: &mut impl Read) -> Result<Option<Vec<u8>>, ReadError> {
    let mut header = [0u8; FRAME_HEADER_BYTES];
    let got = read_full(r, &mut header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < FRAME_HEADER_BYTES {
        return Err(ReadError::Truncated {
            expected: FRAME_HEADER_BYTES,
            got,
        });
    }
    let len = decode_len(header).map_err(ReadError::TooLarge)?;
    let mut payload = Vec::with_capacity(len.min(64 * 1024));
    r.take(len as u64)
        .read_to_end(&mut payload)
        .map_err(ReadError::Io)?;
    if payload.len() < len {
        return Err(ReadError::Truncated {
            expected: len,
            got: payload.len(),
        });
    }
    Ok(Some(payload))
}

/// Fills `buf` unless the stream ends first; returns how many bytes were read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, ReadError> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    Ok(got)
}

/// Writes one response and flushes it. A response too large for a frame (a module that
/// printed hundreds of megabytes) is replaced by an error naming the request.
pub fn write_response(w: &mut impl Write, resp: &Response) -> io::Result<()> {
    let frame = match encode_frame(resp) {
        Ok(frame) => frame,
        Err(e) => {
            let fallback = Response {
                id: resp.id,
                body: play_protocol::ResponseBody::Error {
                    message: format!("the agent could not send its answer: {e}"),
                },
            };
            encode_frame(&fallback).map_err(|e| io::Error::other(e.to_string()))?
        }
    };
    w.write_all(&frame)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use play_protocol::MAX_FRAME_BYTES;
    use std::io::Cursor;

    #[test]
    fn reads_frames_then_clean_eof() {
        let mut data = 3u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"abc");
        data.extend_from_slice(&0u32.to_be_bytes());
        let mut r = Cursor::new(data);
        assert_eq!(read_frame(&mut r).unwrap().unwrap(), b"abc");
        assert_eq!(read_frame(&mut r).unwrap().unwrap(), b"");
        assert!(read_frame(&mut r).unwrap().is_none());
    }

    #[test]
    fn truncated_header_and_payload() {
        let mut r = Cursor::new(vec![0u8, 0]);
        assert!(matches!(
            read_frame(&mut r),
            Err(ReadError::Truncated {
                expected: 4,
                got: 2
            })
        ));
        let mut data = 10u32.to_be_bytes().to_vec();
        data.extend_from_slice(b"abc");
        assert!(matches!(
            read_frame(&mut Cursor::new(data)),
            Err(ReadError::Truncated {
                expected: 10,
                got: 3
            })
        ));
    }

    /// A reader that fails the test if anything past the header is requested.
    struct HeaderOnly(Cursor<Vec<u8>>);
    impl Read for HeaderOnly {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(
                self.0.position() < 4,
                "payload read after an oversized header"
            );
            self.0.read(buf)
        }
    }

    #[test]
    fn oversized_header_is_refused_without_reading_on() {
        let mut data = (MAX_FRAME_BYTES + 1).to_be_bytes().to_vec();
        data.extend_from_slice(&[0u8; 16]);
        let err = read_frame(&mut HeaderOnly(Cursor::new(data))).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge(_)), "{err}");
    }

    mod props {
        //! A stream of frames reads back exactly; arbitrary bytes end in frames, a clean
        //! end or an error, never a panic or a read past the input.
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn frames_read_back_in_order(
                payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..6)
            ) {
                let mut data = Vec::new();
                for p in &payloads {
                    data.extend_from_slice(&(p.len() as u32).to_be_bytes());
                    data.extend_from_slice(p);
                }
                let mut r = Cursor::new(data);
                for p in &payloads {
                    prop_assert_eq!(&read_frame(&mut r).unwrap().unwrap(), p);
                }
                prop_assert!(read_frame(&mut r).unwrap().is_none());
            }

            #[test]
            fn arbitrary_bytes_end_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
                let total = bytes.len();
                let mut r = Cursor::new(bytes);
                // Each Ok(Some) consumes at least a header, so this loop is bounded.
                for _ in 0..=total / FRAME_HEADER_BYTES {
                    match read_frame(&mut r) {
                        Ok(Some(p)) => prop_assert!(p.len() <= total),
                        Ok(None) | Err(_) => break,
                    }
                }
                prop_assert!(r.position() as usize <= total);
            }
        }
    }
}
