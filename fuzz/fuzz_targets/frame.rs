//! The frame decoder both sides use: a header, then a JSON payload read as a request or a
//! response. Bytes from a broken or hostile peer must be refused, never panic or allocate
//! the announced size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use play_protocol::frame::decode_payload;
use play_protocol::{decode_len, Request, Response, FRAME_HEADER_BYTES};

fuzz_target!(|data: &[u8]| {
    let _ = decode_payload::<Request>(data);
    let _ = decode_payload::<Response>(data);
    let mut rest = data;
    // Read frames back to back, as a reader on a stream does.
    while rest.len() >= FRAME_HEADER_BYTES {
        let header: [u8; FRAME_HEADER_BYTES] = rest[..FRAME_HEADER_BYTES].try_into().unwrap();
        let Ok(len) = decode_len(header) else { break };
        let body = &rest[FRAME_HEADER_BYTES..];
        if body.len() < len {
            break;
        }
        let _ = decode_payload::<Request>(&body[..len]);
        let _ = decode_payload::<Response>(&body[..len]);
        rest = &body[len..];
    }
});
