//! Terraform outputs: the contract's fixtures read as inventories (checked against the
//! `play_inventory` rendering the Terraform module itself makes), and a folder read through a
//! stand-in `terraform` program on PATH (real providers cannot be downloaded here).

use crate::check;
use crate::support::{play, repo_root, scratch, write};
use play::inventory::Inventory;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn fixture(cloud: &str) -> PathBuf {
    repo_root().join(format!("tests/terraform/fixtures/{cloud}-outputs.json"))
}

fn load(path: &Path) -> Result<Inventory, String> {
    Inventory::load(&[path.display().to_string()], None).map_err(|e| e.to_string())
}

/// Every host and var of the module's own `play_inventory` output is in the inventory read
/// from the other outputs (VMs through the bastion, the bastion in `bastion`).
fn agrees_with_play_inventory(inv: &Inventory, doc: &Value) {
    let expected = &doc["play_inventory"]["value"]["all"];
    for (var, value) in expected["vars"].as_object().unwrap() {
        assert_eq!(&inv.host_vars("fleet-app-01")[var], value, "all var {var}");
    }
    for (group, body) in expected["children"].as_object().unwrap() {
        let hosts = &inv
            .group(group)
            .unwrap_or_else(|| panic!("no group {group}"))
            .hosts;
        for (host, vars) in body["hosts"].as_object().unwrap() {
            assert!(hosts.contains(host), "{host} not in {group}: {hosts:?}");
            let got = inv.host_vars(host);
            for (var, value) in vars.as_object().unwrap() {
                if var == "ansible_ssh_common_args" {
                    continue; // play jumps with play_bastion instead
                }
                assert_eq!(&got[var], value, "{host}: {var}");
            }
        }
    }
}

#[test]
fn gcp_fixture_becomes_groups_vars_and_a_bastion() {
    let path = fixture("gcp");
    let inv = load(&path).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    agrees_with_play_inventory(&inv, &doc);
    let app = inv.host_vars("fleet-app-01");
    assert_eq!(app["ansible_host"], "10.20.0.3");
    assert_eq!(app["play_bastion"], "play@203.0.113.10");
    assert_eq!(app["ansible_user"], "play");
    assert_eq!(app["instance_id"], "2290417763012398841");
    for group in [
        "app",
        "role_app",
        "env_prod",
        "service_web",
        "team_platform",
    ] {
        assert_eq!(
            inv.group(group).unwrap().hosts,
            ["fleet-app-01", "fleet-app-02"],
            "{group}"
        );
    }
    assert_eq!(inv.group("bastion").unwrap().hosts, ["fleet-bastion"]);
    let bastion = inv.host_vars("fleet-bastion");
    assert_eq!(bastion["ansible_host"], "203.0.113.10");
    assert!(!bastion.contains_key("play_bastion"));
}

#[test]
fn aws_fixture_keeps_tags_and_zones() {
    let path = fixture("aws");
    let inv = load(&path).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    agrees_with_play_inventory(&inv, &doc);
    let app = inv.host_vars("fleet-app-02");
    assert_eq!(app["ansible_host"], "10.30.11.54");
    assert_eq!(app["zone"], "eu-west-1b");
    assert_eq!(app["tags"]["Team"], "platform");
    assert_eq!(app["play_bastion"], "play@198.51.100.20");
    assert_eq!(app["play_cloud"], "aws");
}

#[test]
fn a_bastion_port_in_the_outputs_reaches_the_jump_spec() {
    let dir = scratch("tf-port");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("gcp")).unwrap()).unwrap();
    doc["bastion"]["value"]["port"] = Value::from(2222);
    let path = dir.join("saved-outputs.txt");
    write(&path, &doc.to_string());
    let inv = load(&path).unwrap();
    assert_eq!(
        inv.host_vars("fleet-app-01")["play_bastion"],
        "play@203.0.113.10:2222"
    );
    assert_eq!(inv.host_vars("fleet-bastion")["ansible_port"], 2222);
}

/// A stand-in `terraform` that checks how it is called and prints `output`.
fn fake_terraform(bin: &Path, output: &str) {
    let script = format!(
        "#!/bin/sh\n\
         case \"$1\" in -chdir=*) ;; *) echo \"expected -chdir first, got $*\" >&2; exit 2;; esac\n\
         [ \"$2 $3\" = 'output -json' ] || {{ echo \"unexpected args: $*\" >&2; exit 2; }}\n\
         cat '{output}'\n"
    );
    let path = bin.join("terraform");
    write(&path, &script);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_terraform_folder_runs_terraform_output_and_explains_failures() {
    let dir = scratch("tf-folder");
    write(&dir.join("fleet/main.tf"), "# the fleet\n");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    fake_terraform(&bin, &fixture("gcp").display().to_string());
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let out = play(
        &dir,
        &["inventory", "-i", "fleet", "--graph"],
        &[("PATH", Some(&path))],
    );
    check!(out.0 == 0, out);
    check!(
        out.1.contains("@env_prod:")
            && out.1.contains("fleet-app-02")
            && out.1.contains("@bastion:"),
        out
    );

    write(&dir.join("empty.json"), "{}\n");
    fake_terraform(&bin, &dir.join("empty.json").display().to_string());
    let out = play(
        &dir,
        &["inventory", "-i", "fleet", "--list"],
        &[("PATH", Some(&path))],
    );
    check!(out.0 != 0, out);
    check!(
        out.2
            .contains("fleet has no outputs: run `terraform -chdir=fleet apply` first"),
        out
    );
    check!(out.2.contains("output -json > outputs.json"), out);

    let out = play(
        &dir,
        &["inventory", "-i", "fleet", "--list"],
        &[("PATH", Some("/nonexistent"))],
    );
    check!(out.0 != 0, out);
    check!(
        out.2.contains("terraform is not installed") && out.2.contains("pass that file to -i"),
        out
    );

    // A saved document from an empty state says so, too.
    let out = play(&dir, &["inventory", "-i", "empty.json", "--list"], &[]);
    check!(
        out.0 != 0 && out.2.contains("holds no outputs") && out.2.contains("terraform apply"),
        out
    );
}
