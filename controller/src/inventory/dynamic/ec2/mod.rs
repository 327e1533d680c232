//! `plugin: amazon.aws.aws_ec2`: EC2 instances as inventory hosts.
//!
//! Reads the config (`config`), takes the listing from the cache or from EC2 (`api`, through
//! the AWS SDK), shapes each instance as Ansible's plugin does (`facts`), names it by
//! `hostnames:`, and hands the rest to the shared constructed/bastion steps. An instance that
//! yields no name is left out, as Ansible's plugin leaves it out.

mod api;
mod config;
mod facts;

use super::bastion::BastionFields;
use super::config::ConfigFile;
use super::{block_on, cache, finish};
use crate::inventory::{DynamicInventory, Inventory, InventoryError};
use config::Ec2Config;
use serde_json::Value;
use std::path::Path;

/// Reads `plugin: amazon.aws.aws_ec2` (or `aws_ec2`) configs.
pub struct AwsEc2;

const FIELDS: BastionFields = BastionFields {
    labels: "tags",
    public_address: facts::public_ip,
    private_address: facts::private_ip,
};

impl DynamicInventory for AwsEc2 {
    fn accepts(&self, plugin: &str) -> bool {
        matches!(plugin, "amazon.aws.aws_ec2" | "aws_ec2")
    }

    fn populate(&self, path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
        let file = ConfigFile::read(path)?;
        let config = Ec2Config::read(&file)?;
        let key = cache::key("aws_ec2", path, &config.cache_settings());
        let listed = match cache::read(&config.common.cache, &key) {
            Some(cached) => cached,
            None => {
                let fresh = block_on(api::list_instances(&config))
                    .map_err(|failure| failure.into_error(path))?;
                cache::write(&config.common.cache, &key, path, &fresh);
                fresh
            }
        };
        let named = listed
            .into_iter()
            .filter_map(|instance| {
                let name = facts::hostname(&instance, &config.hostnames);
                if name.is_none() {
                    let id = instance.get("instance_id").and_then(Value::as_str);
                    tracing::debug!(
                        instance = id.unwrap_or("?"),
                        "no hostname from `hostnames:`; left out"
                    );
                }
                match (name, instance) {
                    (Some(name), Value::Object(facts)) => Some((name, facts)),
                    _ => None,
                }
            })
            .collect();
        finish(inv, path, &config.common, named, &FIELDS)
    }
}
