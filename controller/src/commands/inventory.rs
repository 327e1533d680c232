//! `play inventory`: the inventory as ansible-inventory shows it.

use crate::cli::InventoryArgs;
use crate::inventory::Inventory;
use crate::output::{Mode, Printer, PrinterOptions, Secrets};
use crate::run::exit;

pub fn run(args: &InventoryArgs) -> i32 {
    let printer = Printer::new(
        PrinterOptions {
            mode: Mode::Human,
            color: false,
            verbosity: 0,
            diff: false,
            check: false,
        },
        Secrets::default(),
    );
    if args.inventory.inventory.is_empty() {
        printer.error("no inventory given: use -i FILE (or set ANSIBLE_INVENTORY)");
        return exit::BAD_OPTIONS;
    }
    let inv = match Inventory::load(&args.inventory.inventory, None) {
        Ok(inv) => inv,
        Err(e) => {
            printer.error(&e.to_string());
            return exit::PARSE_ERROR;
        }
    };
    if let Some(host) = &args.host {
        if inv.host(host).is_none() {
            printer.error(&format!("host '{host}' is not in the inventory"));
            return exit::ERROR;
        }
        let vars: serde_json::Map<_, _> = inv.host_vars(host).into_iter().collect();
        printer.plain(&serde_json::to_string_pretty(&vars).unwrap_or_default());
    } else if args.graph {
        printer.plain(&inv.graph(&args.group));
    } else if args.list {
        printer.plain(&serde_json::to_string_pretty(&inv.to_list_json()).unwrap_or_default());
    } else {
        printer.error("say what to show: --list, --graph or --host HOST");
        return exit::BAD_OPTIONS;
    }
    exit::OK
}
