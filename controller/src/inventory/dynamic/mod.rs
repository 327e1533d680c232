//! Inventory sources that live outside inventory files: Terraform outputs and the GCE and EC2
//! APIs.
//!
//! - `terraform`: `-i terraform/gcp` (runs `terraform output -json` there) or `-i outputs.json`
//!   (a saved copy), recognised by content, shaped by terraform/OUTPUTS.md;
//! - `gcp`: `plugin: google.cloud.gcp_compute` configs, read through GCE's
//!   `instances.aggregatedList` with tokens from `gcp_auth`;
//! - `ec2`: `plugin: amazon.aws.aws_ec2` configs, read through the AWS SDK's
//!   `DescribeInstances`.
//!
//! The cloud plugins share Ansible's option shapes (`config`), its constructed features
//! (`construct`), an on-disk cache (`cache`) and play's `bastion:` extra (`bastion`).
//! [`BUILTIN`] is what [`LoadOptions::default`](super::LoadOptions) passes to the loader, so
//! `Inventory::load` reads all of them with no wiring by the caller.

mod bastion;
mod cache;
mod config;
mod construct;
mod ec2;
mod gcp;
mod http;
mod terraform;

pub use ec2::AwsEc2;
pub use gcp::GcpCompute;
pub use terraform::TerraformOutputs;

use super::{DynamicInventory, InventoryError};
use crate::yaml::Location;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// play's built-in dynamic sources, in the order they are asked to claim a source.
pub const BUILTIN: &[&dyn DynamicInventory] = &[&TerraformOutputs, &GcpCompute, &AwsEc2];

static FLUSH: AtomicBool = AtomicBool::new(false);

/// `--flush-cache`: cloud plugins ignore their cached listings for the rest of this process and
/// query the APIs (the fresh answers are cached again). `PLAY_FLUSH_CACHE=1` does the same.
pub fn flush_cache() {
    FLUSH.store(true, Ordering::Relaxed);
}

fn flush_requested() -> bool {
    FLUSH.load(Ordering::Relaxed)
        || std::env::var("PLAY_FLUSH_CACHE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// An error of a dynamic source, named by its config file or folder.
fn source_error(source: &Path, message: impl Into<String>) -> InventoryError {
    InventoryError::Dynamic {
        name: source.display().to_string(),
        message: message.into(),
    }
}

/// A cloud query's failure: tied to a place in the config (a project, a filter) or to the
/// source as a whole (credentials, the network).
#[derive(Debug)]
enum Failure {
    At(Location, String),
    Source(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Source(message)
    }
}

impl Failure {
    fn into_error(self, source: &Path) -> InventoryError {
        match self {
            Failure::At(loc, message) => InventoryError::invalid(loc, message),
            Failure::Source(message) => source_error(source, message),
        }
    }
}

/// What both cloud plugins do once instances are listed as `(name, facts)`: constructed
/// options, the bastion, then the inventory.
fn finish(
    inv: &mut super::Inventory,
    source: &Path,
    common: &config::Common,
    listed: Vec<(String, serde_json::Map<String, serde_json::Value>)>,
    fields: &bastion::BastionFields,
) -> Result<(), InventoryError> {
    let templar = crate::template::Templar::new();
    let mut built = construct::construct(listed, &common.constructed, &templar)?;
    if let Some(spec) = &common.bastion {
        spec.apply(&mut built.hosts, fields)?;
    }
    construct::add_to(inv, built, source)
}

/// Runs a cloud query to completion from the synchronous loader. It gets its own thread and
/// runtime, so it works whether or not the caller is already inside a tokio runtime (where a
/// nested `block_on` would panic).
fn block_on<F>(future: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the inventory query")
                    .block_on(future)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
