//! The template renderer (Jinja2 through minijinja, with play's filters and Python-like
//! output): any template renders or is refused with an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use play::template::Templar;
use serde_json::{json, Value};
use std::sync::OnceLock;

fn setup() -> &'static (Templar, Value) {
    static SETUP: OnceLock<(Templar, Value)> = OnceLock::new();
    SETUP.get_or_init(|| {
        (
            Templar::new(),
            json!({
                "name": "web",
                "port": 8080,
                "users": [{"name": "ann", "uid": 1001}, {"name": "bob", "uid": 1002}],
                "cfg": {"nested": {"deep": 1}, "flag": true},
                "tags": ["a", "b"],
                "empty": "",
            }),
        )
    })
}

fuzz_target!(|text: &str| {
    let (templar, vars) = setup();
    let _ = templar.render_str(text, vars);
    let _ = templar.eval_bool(text, vars);
    let _ = templar.check_syntax(text);
});
