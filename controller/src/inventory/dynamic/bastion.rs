//! play's `bastion:` extra for cloud plugins: which jump host the listed VMs are reached through.
//!
//! Private VMs have no address the controller can reach, so every host gets
//! `play_bastion: [user@]host[:port]` (the SSH layer's ProxyJump list). Two forms:
//! - `bastion: play@203.0.113.10:22`: a fixed jump host;
//! - `bastion: {label: role=bastion, user: play, port: 22}`: the one listed instance whose
//!   label (GCE) or tag (EC2) matches is the bastion; its public address is the jump host, it
//!   gets `ansible_host` set to that address, and it is not told to jump through itself.
//!
//! A host whose vars already name `play_bastion` (from `compose:`) keeps its own. A host told
//! to jump gets `ansible_host` = its private address unless `compose:` set one: behind a
//! bastion that is the address that works, whatever `hostnames:` picked as its name.

use super::config::{scalar_text, Located, Section};
use super::construct::BuiltHost;
use crate::inventory::InventoryError;
use crate::yaml::{Location, NodeKind};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BastionSpec {
    Jump(Located<String>),
    Label {
        key: String,
        value: String,
        user: Option<String>,
        port: Option<u16>,
        private: bool,
        loc: Location,
    },
}

/// Where a plugin keeps an instance's labels and public address in its facts.
pub(crate) struct BastionFields {
    /// `labels` (GCE) or `tags` (EC2).
    pub labels: &'static str,
    pub public_address: fn(&Value) -> Option<String>,
    pub private_address: fn(&Value) -> Option<String>,
}

const KEYS: &[&str] = &["label", "user", "port", "address"];

impl BastionSpec {
    pub fn read(section: &Section<'_>) -> Result<Option<BastionSpec>, InventoryError> {
        let Some((_, node)) = section.get("bastion") else {
            return Ok(None);
        };
        if let Some(text) = scalar_text(node) {
            if text.trim().is_empty() {
                return Err(InventoryError::invalid(
                    &node.loc,
                    "`bastion` is empty; write `user@host:port`, or `{label: role=bastion}`",
                ));
            }
            return Ok(Some(BastionSpec::Jump(Located {
                value: text.trim().to_string(),
                loc: node.loc.clone(),
            })));
        }
        let map = Section::expect_map(node, "`bastion`")?;
        map.check_keys(&[KEYS], "`bastion`")?;
        let (key, value) = read_label(&map, &node.loc)?;
        let port = match map.integer("port")? {
            None => None,
            Some(p) => Some(u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
                InventoryError::invalid(&node.loc, "`bastion.port` must be from 1 to 65535")
            })?),
        };
        let private =
            match map.string("address")? {
                None => false,
                Some(a) if a.value == "public_ip" => false,
                Some(a) if a.value == "private_ip" => true,
                Some(a) => return Err(InventoryError::invalid(
                    &a.loc,
                    "`bastion.address` is `public_ip` (the default) or `private_ip` (when play \
                     runs inside the network)",
                )),
            };
        Ok(Some(BastionSpec::Label {
            key,
            value,
            user: map.string("user")?.map(|l| l.value),
            port,
            private,
            loc: node.loc.clone(),
        }))
    }

    /// Sets `play_bastion` on the hosts (and `ansible_host` on a bastion found by label).
    pub fn apply(
        &self,
        hosts: &mut [BuiltHost],
        fields: &BastionFields,
    ) -> Result<(), InventoryError> {
        let (jump, bastion_index) = match self {
            BastionSpec::Jump(spec) => {
                let target = jump_target(&spec.value);
                let own = hosts.iter().position(|h| {
                    h.name == target
                        || h.vars.get("ansible_host").and_then(Value::as_str) == Some(target)
                });
                (spec.value.clone(), own)
            }
            BastionSpec::Label {
                key,
                value,
                user,
                port,
                private,
                loc,
            } => {
                let index = find_by_label(hosts, fields.labels, key, value, loc)?;
                let facts = Value::Object(hosts[index].facts.clone());
                let address = if *private {
                    (fields.private_address)(&facts)
                } else {
                    (fields.public_address)(&facts)
                };
                let Some(address) = address else {
                    return Err(InventoryError::invalid(
                        loc,
                        format!(
                            "the bastion instance '{}' (label {key}={value}) has no {} address; \
                             give it one, or set `bastion.address: {}`",
                            hosts[index].name,
                            if *private { "private" } else { "public" },
                            if *private { "public_ip" } else { "private_ip" },
                        ),
                    ));
                };
                let bastion = &mut hosts[index];
                bastion
                    .vars
                    .entry("ansible_host".to_string())
                    .or_insert_with(|| Value::String(address.clone()));
                (jump_spec(user.as_deref(), &address, *port), Some(index))
            }
        };
        for (i, host) in hosts.iter_mut().enumerate() {
            if Some(i) == bastion_index || host.vars.contains_key("play_bastion") {
                continue;
            }
            host.vars
                .insert("play_bastion".into(), Value::String(jump.clone()));
            if !host.vars.contains_key("ansible_host") {
                let facts = Value::Object(host.facts.clone());
                if let Some(ip) = (fields.private_address)(&facts) {
                    host.vars.insert("ansible_host".into(), Value::String(ip));
                }
            }
        }
        Ok(())
    }
}

fn read_label(map: &Section<'_>, at: &Location) -> Result<(String, String), InventoryError> {
    let Some((_, node)) = map.get("label") else {
        return Err(InventoryError::invalid(
            at,
            "`bastion` as a mapping needs `label:` naming the bastion's label, e.g. \
             `label: role=bastion` (or a string `bastion: user@host:port`)",
        ));
    };
    let pair = match &node.kind {
        NodeKind::Map(m) if m.len() == 1 => {
            let (k, (_, v)) = m.iter().next().expect("one entry");
            scalar_text(v).map(|v| (k.clone(), v))
        }
        NodeKind::String(s) => s
            .split_once('=')
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string())),
        _ => None,
    };
    pair.filter(|(k, _)| !k.is_empty()).ok_or_else(|| {
        InventoryError::invalid(
            &node.loc,
            "`bastion.label` is one `key=value` (e.g. `role=bastion`) or a one-entry mapping \
             (`{role: bastion}`)",
        )
    })
}

fn find_by_label(
    hosts: &[BuiltHost],
    field: &str,
    key: &str,
    value: &str,
    loc: &Location,
) -> Result<usize, InventoryError> {
    let matches: Vec<usize> = hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.facts
                .get(field)
                .and_then(|labels| labels.get(key))
                .and_then(Value::as_str)
                == Some(value)
        })
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(InventoryError::invalid(
            loc,
            format!(
                "no listed instance has the {} {key}={value} (out of {} instances), so there is no \
                 bastion to jump through; check `bastion.label` and the plugin's filters",
                if field == "tags" { "tag" } else { "label" },
                hosts.len()
            ),
        )),
        many => Err(InventoryError::invalid(
            loc,
            format!(
                "{} instances have {key}={value} ({}); `bastion.label` must pick exactly one",
                many.len(),
                many.iter()
                    .map(|i| hosts[*i].name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// `[user@]address[:port]`, bracketing IPv6 addresses when a port follows.
pub(crate) fn jump_spec(user: Option<&str>, address: &str, port: Option<u16>) -> String {
    let user = user.map(|u| format!("{u}@")).unwrap_or_default();
    match port {
        Some(port) if address.contains(':') => format!("{user}[{address}]:{port}"),
        Some(port) => format!("{user}{address}:{port}"),
        None => format!("{user}{address}"),
    }
}

/// The host part of the first hop of a `[user@]host[:port]` list.
fn jump_target(spec: &str) -> &str {
    let first = spec.split(',').next().unwrap_or(spec).trim();
    let host = first.rsplit_once('@').map(|(_, h)| h).unwrap_or(first);
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.split(':').next().unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host(name: &str, facts: Value) -> BuiltHost {
        BuiltHost {
            name: name.into(),
            facts: facts.as_object().unwrap().clone(),
            vars: facts.as_object().unwrap().clone().into_iter().collect(),
            groups: Vec::new(),
        }
    }

    fn fields() -> BastionFields {
        BastionFields {
            labels: "labels",
            public_address: |f| f.get("public").and_then(Value::as_str).map(str::to_string),
            private_address: |f| f.get("private").and_then(Value::as_str).map(str::to_string),
        }
    }

    fn loc() -> Location {
        Location {
            file: std::sync::Arc::from(std::path::Path::new("gcp.yml")),
            line: 9,
            column: 3,
        }
    }

    #[test]
    fn label_picks_the_bastion_and_everyone_else_jumps_through_it() {
        let mut hosts = vec![
            host(
                "b",
                json!({"labels": {"role": "bastion"}, "public": "203.0.113.5"}),
            ),
            host(
                "a",
                json!({"labels": {"role": "app"}, "private": "10.0.0.9"}),
            ),
        ];
        let spec = BastionSpec::Label {
            key: "role".into(),
            value: "bastion".into(),
            user: Some("play".into()),
            port: Some(2222),
            private: false,
            loc: loc(),
        };
        spec.apply(&mut hosts, &fields()).unwrap();
        assert_eq!(
            hosts[1].vars["play_bastion"],
            json!("play@203.0.113.5:2222")
        );
        assert!(!hosts[0].vars.contains_key("play_bastion"));
        assert_eq!(hosts[0].vars["ansible_host"], json!("203.0.113.5"));
        assert_eq!(hosts[1].vars["ansible_host"], json!("10.0.0.9"));
    }

    #[test]
    fn label_errors_say_how_many_matched() {
        let mut hosts = vec![host("a", json!({"labels": {"role": "app"}}))];
        let spec = BastionSpec::Label {
            key: "role".into(),
            value: "bastion".into(),
            user: None,
            port: None,
            private: false,
            loc: loc(),
        };
        let err = spec.apply(&mut hosts, &fields()).unwrap_err().to_string();
        assert!(
            err.starts_with("gcp.yml:9:3: no listed instance has the label role=bastion"),
            "{err}"
        );
    }

    #[test]
    fn fixed_jump_host_skips_itself_and_keeps_composed_values() {
        let mut hosts = vec![
            host("10.0.0.2", json!({})),
            host("web", json!({"play_bastion": "other"})),
            host("db", json!({})),
        ];
        let spec = BastionSpec::Jump(Located {
            value: "ops@10.0.0.2:22".into(),
            loc: loc(),
        });
        spec.apply(&mut hosts, &fields()).unwrap();
        assert!(!hosts[0].vars.contains_key("play_bastion"));
        assert_eq!(hosts[1].vars["play_bastion"], json!("other"));
        assert_eq!(hosts[2].vars["play_bastion"], json!("ops@10.0.0.2:22"));
    }

    #[test]
    fn jump_specs() {
        assert_eq!(jump_spec(Some("u"), "1.2.3.4", None), "u@1.2.3.4");
        assert_eq!(jump_spec(None, "fd00::1", Some(22)), "[fd00::1]:22");
        assert_eq!(jump_target("u@[fd00::1]:22"), "fd00::1");
        assert_eq!(jump_target("a@b:1,c"), "b");
    }
}
