//! Property tests of the frame codec: every message survives encode -> decode unchanged, the
//! header always tells the payload's exact length, no strict prefix of a payload decodes, and
//! arbitrary bytes never make the decoder panic (they are refused with an error instead).

use play_protocol::frame::decode_payload;
use play_protocol::{
    decode_len, encode_frame, Diff, FrameError, ModuleCall, ModuleResult, Request, RequestBody,
    Response, ResponseBody, FRAME_HEADER_BYTES, MAX_FRAME_BYTES,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON without floats: a float's text form is not guaranteed to parse back to the same bits,
/// and no message carries floats that must round-trip exactly.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "\\PC{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            map_of(inner).prop_map(Value::Object),
        ]
    })
}

fn map_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Map<String, Value>> {
    proptest::collection::vec(("[a-z_]{1,8}|\\PC{0,6}", values), 0..4)
        .prop_map(|kv| kv.into_iter().collect())
}

fn module_call() -> impl Strategy<Value = ModuleCall> {
    (
        "[a-z_]{1,16}",
        map_of(json()),
        any::<(bool, bool, bool)>(),
        proptest::collection::btree_map("[A-Z_]{1,8}", "\\PC{0,12}", 0..3),
        proptest::option::of("[a-z]{1,8}"),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(
            |(module, args, (check, diff, no_log), environment, become_user, timeout_secs)| {
                ModuleCall {
                    module,
                    args,
                    check,
                    diff,
                    no_log,
                    environment,
                    become_user,
                    timeout_secs,
                }
            },
        )
}

fn request() -> impl Strategy<Value = Request> {
    let body = prop_oneof![
        (any::<u32>(), "\\PC{0,12}").prop_map(|(protocol, controller)| RequestBody::Hello {
            protocol,
            controller
        }),
        Just(RequestBody::Facts),
        module_call().prop_map(RequestBody::Run),
        Just(RequestBody::Shutdown),
    ];
    (any::<u64>(), body).prop_map(|(id, body)| Request { id, body })
}

fn module_result() -> impl Strategy<Value = ModuleResult> {
    let diff = (
        proptest::option::of("\\PC{0,8}"),
        proptest::option::of("\\PC{0,8}"),
        "\\PC{0,24}",
        "\\PC{0,24}",
    )
        .prop_map(|(before_header, after_header, before, after)| Diff {
            before_header,
            after_header,
            before,
            after,
        });
    (
        any::<(bool, bool)>(),
        proptest::option::of("\\PC{0,24}"),
        proptest::collection::vec(diff, 0..2),
        map_of(json()),
    )
        .prop_map(|((changed, failed), msg, diff, data)| ModuleResult {
            changed,
            failed,
            msg,
            diff,
            data,
        })
}

fn response() -> impl Strategy<Value = Response> {
    let body = prop_oneof![
        (any::<u32>(), "\\PC{0,12}", any::<u32>(), "[0-9a-f]{0,64}").prop_map(
            |(protocol, agent, pid, sha256)| ResponseBody::Hello {
                protocol,
                agent,
                pid,
                sha256
            }
        ),
        map_of(json()).prop_map(|facts| ResponseBody::Facts { facts }),
        module_result().prop_map(ResponseBody::Result),
        "\\PC{0,40}".prop_map(|message| ResponseBody::Error { message }),
        Just(ResponseBody::Bye),
    ];
    (any::<u64>(), body).prop_map(|(id, body)| Response { id, body })
}

fn header(frame: &[u8]) -> [u8; FRAME_HEADER_BYTES] {
    frame[..FRAME_HEADER_BYTES].try_into().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn requests_round_trip(req in request()) {
        let frame = encode_frame(&req).unwrap();
        prop_assert_eq!(decode_len(header(&frame)).unwrap(), frame.len() - FRAME_HEADER_BYTES);
        let back: Request = decode_payload(&frame[FRAME_HEADER_BYTES..]).unwrap();
        prop_assert_eq!(back, req);
    }

    #[test]
    fn responses_round_trip(resp in response()) {
        let frame = encode_frame(&resp).unwrap();
        prop_assert_eq!(decode_len(header(&frame)).unwrap(), frame.len() - FRAME_HEADER_BYTES);
        let back: Response = decode_payload(&frame[FRAME_HEADER_BYTES..]).unwrap();
        prop_assert_eq!(back, resp);
    }

    #[test]
    fn no_strict_prefix_of_a_payload_decodes(resp in response(), cut in any::<prop::sample::Index>()) {
        // A frame cut short by a dropped channel must never be mistaken for a smaller answer.
        let frame = encode_frame(&resp).unwrap();
        let payload = &frame[FRAME_HEADER_BYTES..];
        let short = &payload[..cut.index(payload.len())];
        prop_assert!(decode_payload::<Response>(short).is_err());
    }

    #[test]
    fn any_header_decodes_to_its_length_or_too_large(h in any::<[u8; 4]>()) {
        let announced = u32::from_be_bytes(h);
        match decode_len(h) {
            Ok(len) => prop_assert!(len as u32 == announced && announced <= MAX_FRAME_BYTES),
            Err(FrameError::TooLarge { len }) => {
                prop_assert!(announced > MAX_FRAME_BYTES);
                prop_assert_eq!(len, u64::from(announced));
            }
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_payload::<Request>(&bytes);
        let _ = decode_payload::<Response>(&bytes);
        if bytes.len() >= FRAME_HEADER_BYTES {
            let _ = decode_len(header(&bytes));
        }
    }

    #[test]
    fn json_shaped_garbage_never_panics(
        v in json(),
        kind in prop::sample::select(vec!["hello", "facts", "run", "shutdown", "result", "error", "bye", "x"]),
        id in json(),
    ) {
        // Objects that look like messages but are not: wrong types, missing fields, extra keys.
        let mut obj = match v { Value::Object(m) => m, other => { let mut m = Map::new(); m.insert("args".into(), other); m } };
        obj.insert("type".into(), Value::from(kind));
        obj.insert("id".into(), id);
        let bytes = serde_json::to_vec(&obj).unwrap();
        let _ = decode_payload::<Request>(&bytes);
        let _ = decode_payload::<Response>(&bytes);
    }
}
