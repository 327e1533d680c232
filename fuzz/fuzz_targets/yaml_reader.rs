//! The located YAML reader (line:column on every node, YAML 1.1 booleans, `!vault`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|text: &str| {
    let _ = play::yaml::parse_str(text, Path::new("fuzz.yml"));
});
