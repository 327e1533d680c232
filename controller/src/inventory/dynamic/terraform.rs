//! Terraform outputs as an inventory: `-i terraform/gcp` or `-i outputs.json`.
//!
//! The contract is terraform/OUTPUTS.md: `terraform output -json` gives `{name: {sensitive,
//! type, value}}` with `ssh_user`, `cloud`, `bastion` and `vms`. A folder holding `*.tf` files
//! is read by running `terraform -chdir=<folder> output -json`; a file is recognised by
//! content (every member is an output object), whatever its name. The mapping:
//! - every VM is a host named `name`, with `ansible_host` = `private_ip`, `zone`, `labels`,
//!   `instance_id` (and `tags` on AWS), and `play_bastion: <user>@<bastion public_ip>[:port]`
//!   so it is reached through the bastion; groups from its labels: the bare role (`app`, the
//!   group playbooks target) and `<key>_<value>` for every label (`role_app`, `env_prod`,
//!   `service_web`), names with characters outside `a-z0-9_` replaced by `_` as the contract's
//!   own `play_inventory` does;
//! - the bastion is host `bastion.name` in group `bastion` with `ansible_host` = `public_ip`
//!   (and `ansible_port` when the document adds a `port`, as a local testbed's does);
//! - `all` gets `ansible_user` = `ssh_user` and `play_cloud` = `cloud`.
//!
//! Unknown outputs and keys are ignored so the contract can grow; `type` is never read.

use super::bastion::jump_spec;
use super::source_error;
use crate::inventory::{DynamicInventory, Host, Inventory, InventoryError, Vars};
use crate::yaml::Node;
use serde_json::{Map, Value};
use std::path::Path;
use std::process::{Command, Stdio};

/// Reads Terraform folders and saved `terraform output -json` documents.
pub struct TerraformOutputs;

const PLUGIN: &str = "play.terraform_outputs";

impl DynamicInventory for TerraformOutputs {
    fn accepts(&self, plugin: &str) -> bool {
        plugin == PLUGIN
    }

    fn detect(&self, path: &Path, doc: Option<&Node>) -> Option<String> {
        let claimed = match doc {
            None => has_tf_files(path),
            Some(doc) => looks_like_outputs(path, doc),
        };
        claimed.then(|| PLUGIN.to_string())
    }

    fn populate(&self, path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
        let doc = if path.is_dir() {
            run_terraform(path)?
        } else {
            read_saved(path)?
        };
        add_outputs(&doc, path, inv)
    }
}

fn has_tf_files(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && name.ends_with(".tf") && e.path().is_file()
        })
    })
}

/// Every member is `{value, type?, sensitive?}` and nothing else; an empty `{}` in a `.json`
/// file is what `terraform output -json` prints for a state with no outputs.
fn looks_like_outputs(path: &Path, doc: &Node) -> bool {
    let Some(map) = doc.as_map() else {
        return false;
    };
    if map.is_empty() {
        return path.extension().is_some_and(|e| e == "json");
    }
    map.values().all(|(_, output)| {
        output.as_map().is_some_and(|o| {
            o.contains_key("value")
                && o.keys()
                    .all(|k| matches!(k.as_str(), "value" | "type" | "sensitive"))
        })
    })
}

fn run_terraform(dir: &Path) -> Result<Value, InventoryError> {
    let saved_hint = format!(
        "or, where terraform and the state are available, save the outputs with `terraform \
         -chdir={} output -json > outputs.json` and pass that file to -i",
        dir.display()
    );
    let output = Command::new("terraform")
        .arg(format!("-chdir={}", dir.display()))
        .args(["output", "-json", "-no-color"])
        .env("TF_IN_AUTOMATION", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| {
            let what = if err.kind() == std::io::ErrorKind::NotFound {
                "terraform is not installed (no `terraform` on PATH): install it".to_string()
            } else {
                format!("cannot run terraform: {err}")
            };
            source_error(dir, format!("{what}, {saved_hint}"))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let detail: String = stderr
            .trim()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        let hint = if detail.contains("init") || detail.contains("backend") {
            format!("run `terraform -chdir={} init` first, ", dir.display())
        } else {
            String::new()
        };
        return Err(source_error(
            dir,
            format!(
                "`terraform output -json` failed ({}): {detail}; {hint}{saved_hint}",
                output.status
            ),
        ));
    }
    let doc: Value = serde_json::from_slice(&output.stdout).map_err(|err| {
        source_error(
            dir,
            format!("`terraform output -json` printed something that is not JSON: {err}"),
        )
    })?;
    if doc.as_object().is_some_and(Map::is_empty) {
        return Err(source_error(
            dir,
            format!(
                "{} has no outputs: run `terraform -chdir={} apply` first (the state is empty or \
                 was destroyed), {saved_hint}",
                dir.display(),
                dir.display()
            ),
        ));
    }
    Ok(doc)
}

fn read_saved(path: &Path) -> Result<Value, InventoryError> {
    let text = std::fs::read_to_string(path).map_err(|err| InventoryError::Read {
        path: path.display().to_string(),
        err,
    })?;
    if text.starts_with("$ANSIBLE_VAULT;") {
        return Err(source_error(
            path,
            "encrypted Terraform outputs are not supported; they hold no secrets (no output is sensitive)",
        ));
    }
    let doc: Value = serde_json::from_str(&text).map_err(|err| {
        source_error(
            path,
            format!("not a `terraform output -json` document: {err}"),
        )
    })?;
    if doc.as_object().is_some_and(Map::is_empty) {
        return Err(source_error(
            path,
            "holds no outputs (`{}`): it was saved from a state that was never applied or was \
             destroyed; run `terraform apply`, then save `terraform output -json` again",
        ));
    }
    Ok(doc)
}

/// The `value` of output `name`.
fn output<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    doc.get(name)?.get("value").filter(|v| !v.is_null())
}

/// Group names as the contract's `play_inventory` makes them.
fn group_name(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn text<'a>(entry: &'a Value, key: &str) -> Option<&'a str> {
    entry
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn add_outputs(doc: &Value, source: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
    let fail = |message: String| source_error(source, message);
    let vms = output(doc, "vms").and_then(Value::as_array).ok_or_else(|| {
        fail(
            "has no `vms` output (a list): play reads the outputs described in terraform/OUTPUTS.md \
             (ssh_user, bastion, vms)"
                .into(),
        )
    })?;
    let ssh_user = output(doc, "ssh_user").and_then(Value::as_str);
    let bastion = output(doc, "bastion").filter(|b| b.is_object());
    let jump = match bastion {
        Some(b) => {
            let ip = text(b, "public_ip")
                .ok_or_else(|| fail("the `bastion` output has no `public_ip`".into()))?;
            let port = port_of(b).map_err(fail)?;
            let user = text(b, "user").or(ssh_user);
            Some(jump_spec(user, ip, port))
        }
        None => None,
    };
    if let Some(user) = ssh_user {
        inv.set_group_var("all", "ansible_user", Value::from(user))?;
    }
    if let Some(cloud) = output(doc, "cloud").and_then(Value::as_str) {
        inv.set_group_var("all", "play_cloud", Value::from(cloud))?;
    }
    if let Some(b) = bastion {
        let name =
            text(b, "name").ok_or_else(|| fail("the `bastion` output has no `name`".into()))?;
        let mut vars = common_vars(b);
        vars.insert("ansible_host".into(), Value::from(text(b, "public_ip")));
        if let Some(port) = port_of(b).map_err(fail)? {
            vars.insert("ansible_port".into(), Value::from(port));
        }
        add(inv, source, name, vars, vec!["bastion".to_string()]);
    }
    for (i, vm) in vms.iter().enumerate() {
        let name = text(vm, "name").ok_or_else(|| fail(format!("vms[{i}] has no `name`")))?;
        let ip = text(vm, "private_ip")
            .ok_or_else(|| fail(format!("vms[{i}] ({name}) has no `private_ip`")))?;
        let mut vars = common_vars(vm);
        vars.insert("ansible_host".into(), Value::from(ip));
        if let Some(jump) = &jump {
            vars.insert("play_bastion".into(), Value::from(jump.as_str()));
        }
        add(inv, source, name, vars, label_groups(vm));
    }
    Ok(())
}

/// The bastion's SSH port when the document gives one (`port`: number or numeric string).
fn port_of(bastion: &Value) -> Result<Option<u16>, String> {
    match bastion.get("port") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .map(Some)
            .ok_or_else(|| format!("the `bastion` output's `port` must be a port number, got {v}")),
    }
}

fn common_vars(entry: &Value) -> Vars {
    let mut vars = Vars::new();
    for (key, var) in [
        ("zone", "zone"),
        ("labels", "labels"),
        ("id", "instance_id"),
        ("tags", "tags"),
    ] {
        if let Some(v) = entry.get(key).filter(|v| !v.is_null()) {
            vars.insert(var.into(), v.clone());
        }
    }
    vars
}

fn label_groups(vm: &Value) -> Vec<String> {
    let mut groups = Vec::new();
    let Some(labels) = vm.get("labels").and_then(Value::as_object) else {
        return groups;
    };
    if let Some(role) = labels
        .get("role")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    {
        groups.push(group_name(role));
    }
    for (key, value) in labels {
        if let Some(value) = value.as_str().filter(|v| !v.is_empty()) {
            let group = group_name(&format!("{key}_{value}"));
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    groups
}

fn add(inv: &mut Inventory, source: &Path, name: &str, vars: Vars, groups: Vec<String>) {
    let mut host = Host::with_vars(name, vars);
    host.source = Some(source.to_path_buf());
    inv.add_host(host, &groups);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_follow_the_contract() {
        assert_eq!(group_name("env_prod-eu"), "env_prod_eu");
        assert_eq!(group_name("Role_App"), "_ole__pp");
    }

    #[test]
    fn detection_needs_every_member_to_be_an_output() {
        let node = |t: &str| crate::yaml::parse_str(t, Path::new("x.json")).unwrap();
        let p = Path::new("x.json");
        assert!(looks_like_outputs(
            p,
            &node(r#"{"vms": {"value": [], "type": "x", "sensitive": false}}"#)
        ));
        assert!(looks_like_outputs(p, &node("{}")));
        assert!(!looks_like_outputs(Path::new("x.yml"), &node("{}")));
        assert!(!looks_like_outputs(
            p,
            &node(r#"{"web": {"hosts": {"a": null}}}"#)
        ));
        assert!(!looks_like_outputs(
            p,
            &node(r#"{"vms": {"value": [], "hosts": 1}}"#)
        ));
    }
}
