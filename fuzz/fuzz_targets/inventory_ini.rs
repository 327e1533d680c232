//! The INI inventory parser (with host ranges, `:vars`, `:children`): any text loads or is
//! refused with an error; it never panics or hangs.
#![no_main]

#[path = "scratch.rs"]
mod scratch;

use libfuzzer_sys::fuzz_target;
use play::inventory::Inventory;

fuzz_target!(|text: &str| {
    let path = scratch::file("hosts.ini", text);
    if let Ok(inv) = Inventory::load(&[path.display().to_string()], None) {
        // Exercise the loaded graph too: patterns resolve over it.
        let _ = inv.resolve("all:!ungrouped");
    }
});
