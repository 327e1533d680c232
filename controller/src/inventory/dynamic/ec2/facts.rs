//! An EC2 instance as host facts, shaped as Ansible's aws_ec2 plugin shapes them, and its
//! inventory name.
//!
//! Ansible passes boto3's `DescribeInstances` dict through `camel_dict_to_snake_dict`, turns
//! the tag list into a mapping and adds `placement.region`; playbooks and `compose:` lines
//! read those names (`private_ip_address`, `tags.Name`, `placement.region`), so the SDK's
//! instance is written out under the same names. Absent fields are left out, as boto3 does.

use super::config::{Hostname, HOSTNAME_SOURCES};
use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types::{
    GroupIdentifier, Instance, InstanceNetworkInterface, InstanceNetworkInterfaceAssociation,
    Reservation,
};
use serde_json::{Map, Value};

/// A JSON object that skips `None`s.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn put(mut self, key: &str, value: Option<impl Into<Value>>) -> Obj {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v.into());
        }
        self
    }

    fn value(self) -> Value {
        Value::Object(self.0)
    }
}

fn time(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

fn groups(list: &[GroupIdentifier]) -> Value {
    list.iter()
        .map(|g| {
            Obj::default()
                .put("group_id", g.group_id())
                .put("group_name", g.group_name())
                .value()
        })
        .collect()
}

fn association(a: Option<&InstanceNetworkInterfaceAssociation>) -> Option<Value> {
    a.map(|a| {
        Obj::default()
            .put("carrier_ip", a.carrier_ip())
            .put("ip_owner_id", a.ip_owner_id())
            .put("public_dns_name", a.public_dns_name())
            .put("public_ip", a.public_ip())
            .value()
    })
}

fn interface(nic: &InstanceNetworkInterface) -> Value {
    let private_ips: Value = nic
        .private_ip_addresses()
        .iter()
        .map(|p| {
            Obj::default()
                .put("association", association(p.association()))
                .put("primary", p.primary())
                .put("private_dns_name", p.private_dns_name())
                .put("private_ip_address", p.private_ip_address())
                .value()
        })
        .collect();
    let attachment = nic.attachment().map(|a| {
        Obj::default()
            .put("attach_time", time(a.attach_time()))
            .put("attachment_id", a.attachment_id())
            .put("delete_on_termination", a.delete_on_termination())
            .put("device_index", a.device_index())
            .put("status", a.status().map(|s| s.as_str()))
            .value()
    });
    Obj::default()
        .put("association", association(nic.association()))
        .put("attachment", attachment)
        .put("description", nic.description())
        .put("groups", Some(groups(nic.groups())))
        .put("mac_address", nic.mac_address())
        .put("network_interface_id", nic.network_interface_id())
        .put("owner_id", nic.owner_id())
        .put("private_dns_name", nic.private_dns_name())
        .put("private_ip_address", nic.private_ip_address())
        .put("private_ip_addresses", Some(private_ips))
        .put("source_dest_check", nic.source_dest_check())
        .put("status", nic.status().map(|s| s.as_str()))
        .put("subnet_id", nic.subnet_id())
        .put("vpc_id", nic.vpc_id())
        .value()
}

/// The facts of one instance listed in `region`.
pub(crate) fn convert(instance: &Instance, reservation: &Reservation, region: &str) -> Value {
    let tags: Map<String, Value> = instance
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                Value::from(t.value().unwrap_or_default()),
            ))
        })
        .collect();
    let placement = instance.placement().map(|p| {
        Obj::default()
            .put("availability_zone", p.availability_zone())
            .put("group_name", p.group_name())
            .put("tenancy", p.tenancy().map(|t| t.as_str()))
            .put("region", Some(region))
            .value()
    });
    Obj::default()
        .put("ami_launch_index", instance.ami_launch_index())
        .put("architecture", instance.architecture().map(|a| a.as_str()))
        .put("client_token", instance.client_token())
        .put("ebs_optimized", instance.ebs_optimized())
        .put("hypervisor", instance.hypervisor().map(|h| h.as_str()))
        .put(
            "iam_instance_profile",
            instance
                .iam_instance_profile()
                .map(|p| Obj::default().put("arn", p.arn()).put("id", p.id()).value()),
        )
        .put("image_id", instance.image_id())
        .put("instance_id", instance.instance_id())
        .put(
            "instance_lifecycle",
            instance.instance_lifecycle().map(|l| l.as_str()),
        )
        .put(
            "instance_type",
            instance.instance_type().map(|t| t.as_str()),
        )
        .put("key_name", instance.key_name())
        .put("launch_time", time(instance.launch_time()))
        .put(
            "monitoring",
            instance.monitoring().map(|m| {
                Obj::default()
                    .put("state", m.state().map(|s| s.as_str()))
                    .value()
            }),
        )
        .put(
            "network_interfaces",
            Some(
                instance
                    .network_interfaces()
                    .iter()
                    .map(interface)
                    .collect::<Value>(),
            ),
        )
        .put("placement", placement)
        .put("platform", instance.platform().map(|p| p.as_str()))
        .put("platform_details", instance.platform_details())
        .put("private_dns_name", instance.private_dns_name())
        .put("private_ip_address", instance.private_ip_address())
        .put("public_dns_name", instance.public_dns_name())
        .put("public_ip_address", instance.public_ip_address())
        .put("root_device_name", instance.root_device_name())
        .put(
            "root_device_type",
            instance.root_device_type().map(|t| t.as_str()),
        )
        .put("security_groups", Some(groups(instance.security_groups())))
        .put("source_dest_check", instance.source_dest_check())
        .put(
            "state",
            instance.state().map(|s| {
                Obj::default()
                    .put("code", s.code())
                    .put("name", s.name().map(|n| n.as_str()))
                    .value()
            }),
        )
        .put(
            "state_transition_reason",
            instance.state_transition_reason(),
        )
        .put("subnet_id", instance.subnet_id())
        .put("tags", Some(Value::Object(tags)))
        .put(
            "virtualization_type",
            instance.virtualization_type().map(|v| v.as_str()),
        )
        .put("vpc_id", instance.vpc_id())
        .put("owner_id", reservation.owner_id())
        .put(
            "requester_id",
            Some(reservation.requester_id().unwrap_or_default()),
        )
        .put("reservation_id", reservation.reservation_id())
        .value()
}

pub(crate) fn public_ip(facts: &Value) -> Option<String> {
    string_at(facts, &["public_ip_address"])
}

pub(crate) fn private_ip(facts: &Value) -> Option<String> {
    string_at(facts, &["private_ip_address"])
}

fn string_at(facts: &Value, path: &[&str]) -> Option<String> {
    let mut v = facts;
    for key in path {
        v = v.get(key)?;
    }
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Ansible's `_get_tag_hostname`: `tag:Name` is that tag's value; `tag:Env=prod,Role=web`
/// gives `Env_prod` for the first pair the instance carries.
fn tag_hostname(spec: &str, facts: &Value) -> Option<String> {
    let tags = facts.get("tags")?;
    spec.split(',').find_map(|part| match part.split_once('=') {
        Some((key, value)) => (tags.get(key)?.as_str()? == value).then(|| format!("{key}_{value}")),
        None => tags
            .get(part)?
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    })
}

fn source_value(source: &str, facts: &Value) -> Option<String> {
    if let Some(spec) = source.strip_prefix("tag:") {
        return tag_hostname(spec, facts);
    }
    let (_, path) = HOSTNAME_SOURCES.iter().find(|(name, _)| *name == source)?;
    string_at(facts, path)
}

/// The first name `hostnames:` yields (Ansible's `_get_hostname`).
pub(crate) fn hostname(facts: &Value, order: &[Hostname]) -> Option<String> {
    order.iter().find_map(|entry| {
        let name = source_value(&entry.name, facts)?;
        match &entry.prefix {
            Some(prefix) => {
                let prefix = source_value(prefix, facts)?;
                Some(format!("{prefix}{}{name}", entry.separator))
            }
            None => Some(name),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{InstanceState, InstanceStateName, Placement, Tag};
    use serde_json::json;

    fn sample() -> Value {
        let instance = Instance::builder()
            .instance_id("i-0abc")
            .private_ip_address("10.30.10.21")
            .public_dns_name("")
            .private_dns_name("ip-10-30-10-21.eu-west-1.compute.internal")
            .placement(Placement::builder().availability_zone("eu-west-1a").build())
            .state(
                InstanceState::builder()
                    .code(16)
                    .name(InstanceStateName::Running)
                    .build(),
            )
            .tags(Tag::builder().key("Name").value("app-01").build())
            .tags(Tag::builder().key("Env").value("prod").build())
            .build();
        let reservation = Reservation::builder()
            .reservation_id("r-1")
            .owner_id("123456789012")
            .build();
        convert(&instance, &reservation, "eu-west-1")
    }

    #[test]
    fn facts_use_ansibles_snake_case_names() {
        let f = sample();
        assert_eq!(f["instance_id"], "i-0abc");
        assert_eq!(
            f["placement"],
            json!({"availability_zone": "eu-west-1a", "region": "eu-west-1"})
        );
        assert_eq!(f["state"], json!({"code": 16, "name": "running"}));
        assert_eq!(f["tags"], json!({"Name": "app-01", "Env": "prod"}));
        assert_eq!(f["requester_id"], "");
        assert!(f.get("public_ip_address").is_none());
    }

    #[test]
    fn hostnames_follow_the_plugins_rules() {
        let f = sample();
        let h = |name: &str, prefix: Option<&str>| Hostname {
            name: name.into(),
            prefix: prefix.map(str::to_string),
            separator: "_".into(),
        };
        // An empty public DNS name does not count: the private one is next.
        let default = [h("dns-name", None), h("private-dns-name", None)];
        assert_eq!(
            hostname(&f, &default).unwrap(),
            "ip-10-30-10-21.eu-west-1.compute.internal"
        );
        assert_eq!(hostname(&f, &[h("tag:Name", None)]).unwrap(), "app-01");
        assert_eq!(
            hostname(&f, &[h("tag:Role=web,Env=prod", None)]).unwrap(),
            "Env_prod"
        );
        assert_eq!(
            hostname(&f, &[h("private-ip-address", Some("tag:Env"))]).unwrap(),
            "prod_10.30.10.21"
        );
        assert!(hostname(&f, &[h("ip-address", None)]).is_none());
    }
}
