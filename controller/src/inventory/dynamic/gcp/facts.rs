//! A GCE instance as host facts, shaped as Ansible's gcp_compute plugin shapes them, and its
//! inventory name.
//!
//! The instance JSON is kept with the plugin's conversions, so `compose`/`keyed_groups`
//! written for Ansible work unchanged: `zone` and `machineType` become short names (the URLs
//! stay in `zone_selflink`/`machineType_selflink`), each interface's `network`/`subnetwork`
//! becomes `{name, region, selfLink}`, `metadata` becomes a plain mapping, and `project` and
//! `image` (null: play does not resolve boot images) are added.

use serde_json::{json, Map, Value};

/// Ansible's `GcpInstance.convert`.
pub(crate) fn convert(instance: &Value, project: &str) -> Map<String, Value> {
    let mut facts = instance.as_object().cloned().unwrap_or_default();
    for (field, link_field) in [
        ("zone", "zone_selflink"),
        ("machineType", "machineType_selflink"),
    ] {
        if let Some(url) = facts.get(field).and_then(Value::as_str).map(str::to_string) {
            facts.insert(link_field.into(), Value::String(url.clone()));
            facts.insert(field.into(), Value::String(last_segment(&url).into()));
        }
    }
    if let Some(Value::Array(nics)) = facts.get_mut("networkInterfaces") {
        for nic in nics.iter_mut().filter_map(Value::as_object_mut) {
            for field in ["network", "subnetwork"] {
                if let Some(url) = nic.get(field).and_then(Value::as_str).map(str::to_string) {
                    nic.insert(field.into(), network_info(&url));
                }
            }
        }
    }
    if let Some(metadata) = facts.get("metadata") {
        let items: Map<String, Value> = metadata
            .get("items")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| {
                        Some((i.get("key")?.as_str()?.to_string(), i.get("value")?.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        facts.insert("metadata".into(), Value::Object(items));
    }
    let project = facts
        .get("selfLink")
        .and_then(Value::as_str)
        .and_then(|link| segment_after(link, "projects"))
        .unwrap_or(project)
        .to_string();
    facts.insert("project".into(), Value::String(project));
    facts.insert("image".into(), Value::Null);
    facts
}

fn last_segment(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

fn segment_after<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let mut parts = url.split('/');
    parts.by_ref().find(|p| *p == name)?;
    parts.next()
}

/// `{region, name, selfLink}` of a network or subnetwork URL (region "global" for networks).
fn network_info(url: &str) -> Value {
    let region = if url.split('/').any(|p| p == "global") {
        "global"
    } else {
        segment_after(url, "regions").unwrap_or("")
    };
    json!({"region": region, "name": last_segment(url), "selfLink": url})
}

/// The first access config's external address of any interface.
pub(crate) fn public_ip(facts: &Value) -> Option<String> {
    interfaces(facts)
        .flat_map(|nic| {
            nic.get("accessConfigs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .find_map(|ac| ac.get("natIP").and_then(Value::as_str))
        .map(str::to_string)
}

/// The first interface's internal address.
pub(crate) fn private_ip(facts: &Value) -> Option<String> {
    interfaces(facts)
        .find_map(|nic| nic.get("networkIP").and_then(Value::as_str))
        .map(str::to_string)
}

fn interfaces(facts: &Value) -> impl Iterator<Item = &Value> {
    facts
        .get("networkInterfaces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The first non-empty name from `order` (Ansible's `GcpInstance.hostname`).
pub(crate) fn hostname(facts: &Value, order: &[String], suffix: &str) -> Option<String> {
    let name = || {
        facts
            .get("name")
            .and_then(Value::as_str)
            .map(|n| format!("{n}{suffix}"))
    };
    order.iter().find_map(|source| {
        let found = match source.as_str() {
            "public_ip" => public_ip(facts),
            "private_ip" => private_ip(facts),
            "name" => name(),
            "hostname" => facts
                .get("hostname")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(name),
            label => label
                .strip_prefix("labels.")
                .and_then(|key| facts.get("labels")?.get(key)?.as_str())
                .map(str::to_string),
        };
        found.filter(|n| !n.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> Value {
        json!({
            "name": "web-1",
            "zone": "https://www.googleapis.com/compute/v1/projects/p1/zones/europe-west1-b",
            "machineType": "https://www.googleapis.com/compute/v1/projects/p1/zones/europe-west1-b/machineTypes/e2-small",
            "selfLink": "https://www.googleapis.com/compute/v1/projects/p1/zones/europe-west1-b/instances/web-1",
            "labels": {"role": "web"},
            "metadata": {"items": [{"key": "startup", "value": "x"}]},
            "networkInterfaces": [{
                "network": "https://www.googleapis.com/compute/v1/projects/p1/global/networks/vpc",
                "subnetwork": "https://www.googleapis.com/compute/v1/projects/p1/regions/europe-west1/subnetworks/sub",
                "networkIP": "10.0.0.5",
                "accessConfigs": [{"natIP": "203.0.113.7"}]
            }]
        })
    }

    #[test]
    fn conversion_matches_the_ansible_plugin() {
        let f = Value::Object(convert(&instance(), "ignored"));
        assert_eq!(f["zone"], "europe-west1-b");
        assert_eq!(f["machineType"], "e2-small");
        assert!(f["zone_selflink"]
            .as_str()
            .unwrap()
            .ends_with("/zones/europe-west1-b"));
        assert_eq!(f["networkInterfaces"][0]["network"]["region"], "global");
        assert_eq!(
            f["networkInterfaces"][0]["subnetwork"]["region"],
            "europe-west1"
        );
        assert_eq!(f["networkInterfaces"][0]["subnetwork"]["name"], "sub");
        assert_eq!(f["metadata"], json!({"startup": "x"}));
        assert_eq!(f["project"], "p1");
        assert_eq!(f["image"], Value::Null);
    }

    #[test]
    fn hostnames_take_the_first_that_exists() {
        let f = Value::Object(convert(&instance(), "p1"));
        let order = |o: &[&str]| o.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            hostname(&f, &order(&["public_ip", "name"]), "").unwrap(),
            "203.0.113.7"
        );
        assert_eq!(
            hostname(&f, &order(&["labels.vm_name", "private_ip"]), "").unwrap(),
            "10.0.0.5"
        );
        assert_eq!(
            hostname(&f, &order(&["name"]), ".example.com").unwrap(),
            "web-1.example.com"
        );
        assert_eq!(hostname(&f, &order(&["labels.role"]), "").unwrap(), "web");
        assert!(hostname(&json!({"name": ""}), &order(&["public_ip", "name"]), "").is_none());
    }
}
