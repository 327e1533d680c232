//! `plugin: google.cloud.gcp_compute`: GCE instances as inventory hosts.
//!
//! Reads the config (`config`), takes the listing from the cache or from GCE
//! (`auth` + `api`), shapes each instance as Ansible's plugin does (`facts`), names it by
//! `hostnames:`, and hands the rest to the shared constructed/bastion steps.

mod api;
mod auth;
mod config;
mod facts;

use super::bastion::BastionFields;
use super::config::ConfigFile;
use super::{block_on, cache, finish, source_error};
use crate::inventory::{DynamicInventory, Inventory, InventoryError};
use config::GcpConfig;
use serde_json::Value;
use std::path::Path;

/// Reads `plugin: google.cloud.gcp_compute` (or `gcp_compute`) configs.
pub struct GcpCompute;

const FIELDS: BastionFields = BastionFields {
    labels: "labels",
    public_address: facts::public_ip,
    private_address: facts::private_ip,
};

impl DynamicInventory for GcpCompute {
    fn accepts(&self, plugin: &str) -> bool {
        matches!(plugin, "google.cloud.gcp_compute" | "gcp_compute")
    }

    fn populate(&self, path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
        let file = ConfigFile::read(path)?;
        let config = GcpConfig::read(&file)?;
        let key = cache::key("gcp_compute", path, &config.cache_settings());
        let listed = match cache::read(&config.common.cache, &key) {
            Some(cached) => cached,
            None => {
                let fresh = block_on(api::list_instances(&config))
                    .map_err(|failure| failure.into_error(path))?;
                let listed: Vec<Value> = fresh
                    .iter()
                    .map(|(project, instance)| Value::Object(facts::convert(instance, project)))
                    .collect();
                cache::write(&config.common.cache, &key, path, &listed);
                listed
            }
        };
        let mut named = Vec::with_capacity(listed.len());
        for instance in listed {
            let Some(name) = facts::hostname(&instance, &config.hostnames, &config.name_suffix)
            else {
                let id = instance.get("name").and_then(Value::as_str).unwrap_or("?");
                return Err(source_error(
                    path,
                    format!(
                        "instance '{id}' has none of the hostnames [{}]; add `name` to `hostnames:`",
                        config.hostnames.join(", ")
                    ),
                ));
            };
            let Value::Object(facts) = instance else {
                continue;
            };
            named.push((name, facts));
        }
        finish(inv, path, &config.common, named, &FIELDS)
    }
}
