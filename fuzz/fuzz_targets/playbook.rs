//! The playbook loader from a string: YAML reading, plays, tasks, blocks, module arguments,
//! imports (an `import_tasks: t.yml` finds a small task file beside it).
#![no_main]

#[path = "scratch.rs"]
mod scratch;

use libfuzzer_sys::fuzz_target;
use play::playbook::load_playbook;

fuzz_target!(|text: &str| {
    scratch::file("t.yml", "- ping:\n");
    let path = scratch::file("site.yml", text);
    if let Err(e) = load_playbook(&path) {
        // Every refusal must say something.
        assert!(!e.to_string().is_empty());
    }
});
