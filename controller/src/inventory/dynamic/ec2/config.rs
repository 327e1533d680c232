//! The `amazon.aws.aws_ec2` config, as Ansible's plugin reads it, plus play's extras.
//!
//! ```yaml
//! plugin: amazon.aws.aws_ec2
//! regions: [eu-west-1]
//! filters: {tag:Env: prod, instance-state-name: [running]}
//! hostnames: [tag:Name, private-ip-address]   # or {name: ..., prefix: ..., separator: ...}
//! keyed_groups: [{key: tags.Role, prefix: role}]
//! endpoint_url: https://ec2.private.example   # or AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL
//! bastion: {label: Role=bastion, user: play}    # play extra
//! cache: true                                  # cache_timeout, cache_connection
//! ```
//! Only running instances are listed unless `filters` names `instance-state-name` (Ansible's
//! plugin also lists pending/stopping/stopped ones, which play could not reach anyway).
//! Credentials come from the SDK's chain (environment, `~/.aws` profiles incl. SSO, web
//! identity, ECS, EC2 instance metadata) unless the file names a profile or keys.

use crate::inventory::dynamic::config::{
    scalar_text, Common, ConfigFile, Located, Section, COMMON_KEYS,
};
use crate::inventory::InventoryError;
use crate::yaml::{Location, NodeKind};
use serde_json::{json, Value};

const EC2_KEYS: &[&str] = &[
    "regions",
    "filters",
    "hostnames",
    "endpoint_url",
    "aws_profile",
    "profile",
    "boto_profile",
    "aws_access_key",
    "aws_access_key_id",
    "access_key",
    "aws_secret_key",
    "aws_secret_access_key",
    "secret_key",
    "aws_security_token",
    "aws_session_token",
    "session_token",
    "security_token",
    "iam_role_arn",
    "strict_permissions",
    "hostvars_prefix",
    "hostvars_suffix",
    "include_filters",
    "exclude_filters",
    "include_extra_api_calls",
    "use_ssm_inventory",
];

/// Filter names (and their instance facts) that `hostnames:` may use, as Ansible's plugin maps
/// them.
pub(crate) const HOSTNAME_SOURCES: &[(&str, &[&str])] = &[
    ("instance-id", &["instance_id"]),
    ("dns-name", &["public_dns_name"]),
    ("ip-address", &["public_ip_address"]),
    ("private-dns-name", &["private_dns_name"]),
    ("private-ip-address", &["private_ip_address"]),
    ("availability-zone", &["placement", "availability_zone"]),
    ("image-id", &["image_id"]),
    ("instance-type", &["instance_type"]),
    ("key-name", &["key_name"]),
    ("subnet-id", &["subnet_id"]),
    ("vpc-id", &["vpc_id"]),
    ("architecture", &["architecture"]),
    ("platform", &["platform"]),
    ("instance-state-name", &["state", "name"]),
    (
        "network-interface.addresses.association.public-ip",
        &["public_ip_address"],
    ),
];

/// `filters:` as (name, values) pairs, in file order.
pub(crate) type Filters = Vec<(String, Vec<String>)>;

/// One `hostnames:` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hostname {
    pub name: String,
    pub prefix: Option<String>,
    pub separator: String,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Keys {
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
}

pub(crate) struct Ec2Config {
    pub common: Common,
    pub regions: Vec<Located<String>>,
    /// (name, values) in file order; `instance-state-name: running` added when absent.
    pub filters: Filters,
    pub filters_at: Option<Location>,
    pub hostnames: Vec<Hostname>,
    pub endpoint_url: Option<String>,
    pub endpoint_from: String,
    pub profile: Option<String>,
    pub keys: Keys,
    pub iam_role_arn: Option<String>,
    pub strict_permissions: bool,
    pub root: Location,
}

impl Ec2Config {
    pub fn read(file: &ConfigFile) -> Result<Ec2Config, InventoryError> {
        let s = file.section();
        s.check_keys(&[COMMON_KEYS, EC2_KEYS], "the aws_ec2 plugin")?;
        for key in ["hostvars_prefix", "hostvars_suffix"] {
            s.reject_unless_default(
                key,
                &NodeKind::String(String::new()),
                "play does not rename host facts; use `compose:` to name the variables you need",
            )?;
        }
        for key in ["include_extra_api_calls", "use_ssm_inventory"] {
            s.reject_unless_default(key, &NodeKind::Bool(false), "not supported by play")?;
        }
        for key in ["include_filters", "exclude_filters"] {
            if let Some((_, node)) = s.get(key) {
                return Err(InventoryError::invalid(
                    &node.loc,
                    format!("`{key}` is not supported by play yet; express it with `filters:`"),
                ));
            }
        }
        let regions = s.strings("regions")?;
        for region in &regions {
            check_region(region)?;
        }
        let (filters, filters_at) = read_filters(&s)?;
        let (endpoint_url, endpoint_from) = match s.string("endpoint_url")? {
            Some(e) => (Some(e.value), format!("`endpoint_url` at {}", e.loc)),
            None => match env("AWS_ENDPOINT_URL_EC2") {
                Some(e) => (Some(e), "AWS_ENDPOINT_URL_EC2".into()),
                None => match env("AWS_ENDPOINT_URL") {
                    Some(e) => (Some(e), "AWS_ENDPOINT_URL".into()),
                    None => (None, "the region's public endpoint".into()),
                },
            },
        };
        Ok(Ec2Config {
            common: Common::read(file)?,
            regions,
            filters,
            filters_at,
            hostnames: read_hostnames(&s)?,
            endpoint_url,
            endpoint_from,
            profile: first_string(&s, &["aws_profile", "profile", "boto_profile"])?,
            keys: Keys {
                access_key: first_string(
                    &s,
                    &["aws_access_key", "aws_access_key_id", "access_key"],
                )?,
                secret_key: first_string(
                    &s,
                    &["aws_secret_key", "aws_secret_access_key", "secret_key"],
                )?,
                session_token: first_string(
                    &s,
                    &[
                        "aws_security_token",
                        "aws_session_token",
                        "session_token",
                        "security_token",
                    ],
                )?,
            },
            iam_role_arn: s.string("iam_role_arn")?.map(|l| l.value),
            strict_permissions: s.boolean("strict_permissions")?.unwrap_or(true),
            root: s.loc.clone(),
        })
    }

    /// What changes the API's answer: the cache key's input (never the keys themselves).
    pub fn cache_settings(&self) -> Value {
        json!({
            "regions": self.regions.iter().map(|r| &r.value).collect::<Vec<_>>(),
            "filters": self.filters,
            "endpoint": self.endpoint_url,
            "profile": self.profile,
            "role": self.iam_role_arn,
        })
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn first_string(s: &Section<'_>, keys: &[&str]) -> Result<Option<String>, InventoryError> {
    for key in keys {
        if let Some(v) = s.string(key)? {
            return Ok(Some(v.value));
        }
    }
    Ok(None)
}

/// Region names look like `eu-west-1`, `us-gov-east-1`, `cn-north-1`; anything else is a typo
/// that would otherwise surface as a DNS failure.
fn check_region(region: &Located<String>) -> Result<(), InventoryError> {
    let parts: Vec<&str> = region.value.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if ok {
        Ok(())
    } else {
        Err(InventoryError::invalid(
            &region.loc,
            format!(
                "'{}' is not an AWS region name (like eu-west-1 or us-east-2)",
                region.value
            ),
        ))
    }
}

fn read_filters(s: &Section<'_>) -> Result<(Filters, Option<Location>), InventoryError> {
    let mut filters = Vec::new();
    let mut at = None;
    if let Some((_, node)) = s.get("filters") {
        at = Some(node.loc.clone());
        let map = Section::expect_map(node, "`filters`")?;
        for (name, _, value) in map.entries() {
            let items: Vec<&crate::yaml::Node> = match &value.kind {
                NodeKind::Seq(items) => items.iter().collect(),
                _ => vec![value],
            };
            let values = items
                .into_iter()
                .map(|item| {
                    scalar_text(item).ok_or_else(|| {
                        InventoryError::invalid(
                            &item.loc,
                            format!("filter `{name}` takes a value or a list of values"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            filters.push((name.clone(), values));
        }
    }
    if !filters
        .iter()
        .any(|(name, _)| name == "instance-state-name")
    {
        filters.push(("instance-state-name".into(), vec!["running".into()]));
    }
    Ok((filters, at))
}

fn read_hostnames(s: &Section<'_>) -> Result<Vec<Hostname>, InventoryError> {
    let Some((_, node)) = s.get("hostnames") else {
        return Ok(["dns-name", "private-dns-name"]
            .map(|n| Hostname {
                name: n.into(),
                prefix: None,
                separator: "_".into(),
            })
            .to_vec());
    };
    let Some(items) = node.as_seq() else {
        return Err(InventoryError::invalid(
            &node.loc,
            "`hostnames` must be a list, e.g. [tag:Name, private-ip-address]",
        ));
    };
    items
        .iter()
        .map(|item| {
            let entry = match scalar_text(item) {
                Some(name) => Hostname {
                    name,
                    prefix: None,
                    separator: "_".into(),
                },
                None => {
                    let map = Section::expect_map(item, "a `hostnames` entry")?;
                    map.check_keys(&[&["name", "prefix", "separator"]], "a `hostnames` entry")?;
                    let name = map.string("name")?.ok_or_else(|| {
                        InventoryError::invalid(&item.loc, "a `hostnames` mapping needs `name:`")
                    })?;
                    Hostname {
                        name: name.value,
                        prefix: map.string("prefix")?.map(|l| l.value),
                        separator: map
                            .string("separator")?
                            .map(|l| l.value)
                            .unwrap_or_else(|| "_".into()),
                    }
                }
            };
            for part in std::iter::once(&entry.name).chain(entry.prefix.as_ref()) {
                if !known_source(part) {
                    let names: Vec<&str> = HOSTNAME_SOURCES.iter().map(|(n, _)| *n).collect();
                    return Err(InventoryError::invalid(
                        &item.loc,
                        format!(
                            "'{part}' is not a hostname source play knows; use tag:KEY, \
                             tag:KEY=VALUE or one of {}",
                            names.join(", ")
                        ),
                    ));
                }
            }
            Ok(entry)
        })
        .collect()
}

fn known_source(name: &str) -> bool {
    name.starts_with("tag:") || HOSTNAME_SOURCES.iter().any(|(n, _)| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Ec2Config, InventoryError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aws_ec2.yml");
        std::fs::write(&path, text).unwrap();
        Ec2Config::read(&ConfigFile::read(&path).unwrap())
    }

    #[test]
    fn running_only_unless_the_state_filter_is_given() {
        let c = read("plugin: aws_ec2\nregions: [eu-west-1]\nfilters:\n  tag:Role: [web, db]\n")
            .unwrap();
        assert_eq!(
            c.filters,
            [
                (
                    "tag:Role".to_string(),
                    vec!["web".to_string(), "db".to_string()]
                ),
                (
                    "instance-state-name".to_string(),
                    vec!["running".to_string()]
                ),
            ]
        );
        let c =
            read("plugin: aws_ec2\nfilters: {instance-state-name: [running, stopped]}\n").unwrap();
        assert_eq!(c.filters.len(), 1);
    }

    #[test]
    fn the_example_config_reads() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory/aws_ec2.yml");
        let c = Ec2Config::read(&ConfigFile::read(&path).unwrap()).unwrap();
        assert_eq!(c.regions[0].value, "eu-west-1");
        assert_eq!(
            c.filters[0],
            ("tag:Env".to_string(), vec!["prod".to_string()])
        );
        assert_eq!(c.hostnames[0].name, "tag:Name");
        assert!(c.common.cache.enabled && c.common.bastion.is_some());
    }

    #[test]
    fn hostnames_and_regions_are_checked_with_locations() {
        let c = read("plugin: aws_ec2\nhostnames:\n  - tag:Name\n  - {name: private-ip-address, prefix: tag:Env}\n").unwrap();
        assert_eq!(c.hostnames[1].prefix.as_deref(), Some("tag:Env"));
        let err = read("plugin: aws_ec2\nhostnames: [private_ip]\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("aws_ec2.yml:2:13") && err.contains("'private_ip' is not"),
            "{err}"
        );
        let err = read("plugin: aws_ec2\nregions: [eu-west-1, euwest1]\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("aws_ec2.yml:2:22") && err.contains("not an AWS region"),
            "{err}"
        );
    }
}
