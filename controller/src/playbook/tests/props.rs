//! Property tests: the loader returns Ok or a located error for any YAML-ish input; it never
//! panics.

use super::*;
use proptest::prelude::*;
use serde_json::Value;

/// Keys that steer the parser into every branch, plus junk.
const KEYS: &[&str] = &[
    "hosts",
    "tasks",
    "handlers",
    "pre_tasks",
    "vars",
    "vars_files",
    "block",
    "rescue",
    "always",
    "name",
    "when",
    "loop",
    "with_items",
    "with_dict",
    "loop_control",
    "label",
    "register",
    "notify",
    "listen",
    "tags",
    "become",
    "retries",
    "serial",
    "roles",
    "copy",
    "command",
    "shell",
    "set_fact",
    "meta",
    "debug",
    "args",
    "dest",
    "import_tasks",
    "include_tasks",
    "import_playbook",
    "file",
    "apply",
    "until",
    "environment",
    "x",
    "_y",
    "ansible.builtin.cpy",
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..100).prop_map(Value::from),
        "[a-z{}% =.'\"/-]{0,12}".prop_map(Value::String),
        Just(Value::String("{{ x }}".into())),
        Just(Value::String("t.yml".into())),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..5).prop_map(
                |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
        ]
    })
}

fn check(text: &str) {
    let fx = Fixture::new();
    fx.file("t.yml", "- ping:\n");
    fx.file("site.yml", text);
    if let Err(e) = fx.load("site.yml") {
        assert!(!e.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn structured_input_never_panics(v in value()) {
        // JSON is YAML, so any value is a playbook-shaped document.
        check(&serde_json::to_string(&v).unwrap());
        check(&serde_json::to_string(&Value::Array(vec![v])).unwrap());
    }

    #[test]
    fn raw_text_never_panics(text in "[-a-z:{}\\[\\] \n'\"=%,.|>#&*!]{0,80}") {
        check(&text);
    }
}
