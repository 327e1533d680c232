//! Whole-inventory tests: loading real files, merging variables, selecting hosts, rendering.
//!
//! `testdata/fleet/` is an inventory that exercises most features at once (two sources in
//! different folders, INI and YAML, group_vars/host_vars beside both and beside a playbook).
//! The `testdata/fleet.*` files are what ansible-core 2.19 printed for it
//! (`ansible-inventory --list/--graph`, and InventoryManager for patterns), so these tests
//! hold play to Ansible's actual behaviour, not to our reading of it.

use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::fs;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/inventory/testdata")
        .join(rel)
}

fn fleet() -> Inventory {
    let sources = [
        testdata("fleet/inv/hosts.ini"),
        testdata("fleet/inv2/extra.yml"),
    ]
    .map(|p| p.display().to_string());
    Inventory::load(&sources, Some(&testdata("fleet/playbook"))).unwrap()
}

fn golden_patterns() -> Value {
    serde_json::from_str(&fs::read_to_string(testdata("fleet.patterns.json")).unwrap()).unwrap()
}

#[test]
fn list_json_is_byte_identical_to_ansible_inventory() {
    let want = fs::read_to_string(testdata("fleet.list.json")).unwrap();
    assert_eq!(fleet().list_json_string(), want.trim_end());
}

#[test]
fn graph_is_identical_to_ansible_inventory() {
    let want = fs::read_to_string(testdata("fleet.graph.txt")).unwrap();
    let inv = fleet();
    assert_eq!(inv.graph("all"), want.trim_end());
    assert_eq!(
        inv.graph("edge"),
        "@edge:\n  |--@lb:\n  |  |--lb1\n  |  |--lb3\n  |  |--lb5\n  |  |--lb9"
    );
    assert_eq!(inv.graph("nosuch"), "");
}

#[test]
fn host_patterns_select_what_ansible_selects() {
    let inv = fleet();
    let golden = golden_patterns();
    for (pattern, want) in golden["select"].as_object().unwrap() {
        let got = match inv.resolve(pattern) {
            Ok(sel) => json!(sel.hosts),
            Err(e) => json!(format!("ERROR: {e}")),
        };
        match want {
            Value::String(msg) => assert!(
                got.as_str().is_some(),
                "{pattern}: want error {msg}, got {got}"
            ),
            _ => assert_eq!(&got, want, "pattern {pattern}"),
        }
    }
}

#[test]
fn limits_filter_like_ansible() {
    let inv = fleet();
    let golden = golden_patterns();
    let limit_file = testdata("fleet/limitfile.txt").display().to_string();
    for (case, want) in golden["limit"].as_object().unwrap() {
        let (base, limit) = case.split_once(" | ").unwrap();
        let limit = limit.replace("@limitfile.txt", &format!("@{limit_file}"));
        let hosts = inv.select(base).unwrap();
        match inv.limit(hosts, &limit) {
            Ok(kept) => assert_eq!(json!(kept), *want, "{case}"),
            Err(InventoryError::NoMatch { pattern }) => {
                assert_eq!(*want, json!([]), "{case}");
                assert_eq!(pattern, limit);
            }
            Err(e) => panic!("{case}: {e}"),
        }
    }
}

#[test]
fn magic_groups_and_group_names_match_ansible() {
    let inv = fleet();
    let golden = golden_patterns();
    let order: Vec<&str> = inv.hosts().map(|h| h.name.as_str()).collect();
    assert_eq!(json!(order), golden["hosts_order"]);
    assert_eq!(json!(inv.groups_map()), golden["groups"]);
    for (host, want) in golden["group_names"].as_object().unwrap() {
        assert_eq!(json!(inv.group_names(host)), *want, "{host}");
    }
}

#[test]
fn precedence_layers_follow_ansible() {
    let inv = fleet();
    let level = |h: &str| inv.host_vars(h)["level"].clone();
    // group_vars/all beats every inventory-file group var...
    assert_eq!(level("bastion"), json!("all-groupvars"));
    assert_eq!(level("mon1"), json!("all-groupvars"));
    // ...the second source's folder beats the first one's even for a shallower group...
    assert_eq!(level("web03"), json!("prod-groupvars-inv2"));
    // ...the playbook folder beats both, and host vars beat groups.
    assert_eq!(level("dbb"), json!("db-playbook"));
    assert_eq!(level("web01"), json!("web01-hostvars"));
    assert_eq!(level("web02"), json!("web02-playbook"));
    assert_eq!(level("dba"), json!("dba-playbook-json"));
    assert!(inv.host_vars("nosuch").is_empty());
}

#[test]
fn select_reports_no_match_as_ansible_words_it() {
    let inv = fleet();
    let err = inv.select("nosuch").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Could not match supplied host pattern, ignoring: nosuch"
    );
    let sel = inv.resolve("web,nosuch,~zz").unwrap();
    assert_eq!(sel.unmatched, ["nosuch", "~zz"]);
    assert_eq!(sel.hosts.len(), 4);
    assert!(inv
        .select("~(")
        .unwrap_err()
        .to_string()
        .contains("not a valid regular expression"));
    assert!(inv
        .select("l?[13]")
        .unwrap_err()
        .to_string()
        .contains("no host has that index"));
    let missing = inv
        .limit(vec!["web01".into()], "@/nonexistent/limit")
        .unwrap_err();
    assert!(missing
        .to_string()
        .starts_with("--limit @/nonexistent/limit: no such file"));
}

#[test]
fn directory_sources_skip_backups_and_vars_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("group_vars")).unwrap();
    fs::create_dir_all(dir.join("sub")).unwrap();
    fs::write(dir.join("01-web.ini"), "[web]\nweb1\n").unwrap();
    fs::write(dir.join("02-db.yml"), "db:\n  hosts:\n    db1:\n").unwrap();
    fs::write(dir.join("hosts"), "[cache]\ncache1\n").unwrap(); // no extension: INI by content
    fs::write(dir.join("yamlish"), "queue:\n  hosts:\n    q1:\n").unwrap(); // no extension: YAML by content
    fs::write(dir.join("sub/more.ini"), "[web]\nweb2\n").unwrap();
    fs::write(dir.join("old.retry"), "broken [[[\n").unwrap();
    fs::write(dir.join("hosts.ini~"), "broken [[[\n").unwrap();
    fs::write(dir.join(".hidden"), "broken [[[\n").unwrap();
    fs::write(dir.join("README.md"), "# broken [[[\n").unwrap();
    fs::write(dir.join("group_vars/web.yml"), "port: 80\n").unwrap();
    let inv = Inventory::load(&[dir.display().to_string()], None).unwrap();
    let names: Vec<&str> = inv.hosts().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["web1", "web2", "db1", "cache1", "q1"]);
    assert_eq!(inv.host_vars("web2")["port"], json!(80));
}

#[test]
fn host_lists_and_multiple_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let ini = tmp.path().join("hosts.ini");
    fs::write(&ini, "[web]\nweb1\n").unwrap();
    let sources = [
        "a.example.com:2222, b,,".to_string(),
        ini.display().to_string(),
        "web1,c".to_string(),
    ];
    let inv = Inventory::load(&sources, None).unwrap();
    assert_eq!(
        inv.group("ungrouped").unwrap().hosts,
        ["a.example.com", "b", "c"]
    );
    assert_eq!(
        inv.host("a.example.com").unwrap().vars["ansible_port"],
        json!(2222)
    );
    assert_eq!(inv.group_names("web1"), ["web"]);
    assert_eq!(
        InventorySource::classify("x,").unwrap(),
        InventorySource::HostList("x,".into())
    );
}

#[test]
fn source_errors_say_what_to_do() {
    let err = Inventory::load(&["nosuchfile".into()], None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a single host needs a trailing comma: 'web1,'"),
        "{err}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("inv.py");
    fs::write(&script, "#!/usr/bin/env python3\nprint('{}')\n").unwrap();
    let err = Inventory::load(&[script.display().to_string()], None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("play does not run scripts"), "{err}");
    let vaulted = tmp.path().join("hosts.yml");
    fs::write(&vaulted, "$ANSIBLE_VAULT;1.1;AES256\n6162\n").unwrap();
    let err = Inventory::load(&[vaulted.display().to_string()], None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("encrypted with ansible-vault"), "{err}");
}

#[test]
fn whole_file_vault_goes_through_the_decrypter() {
    struct Rot13;
    impl VaultFileDecrypter for Rot13 {
        fn decrypt(&self, _path: &Path, text: &str) -> Result<String, String> {
            Ok(text.lines().skip(1).collect::<Vec<_>>().join("\n"))
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("group_vars")).unwrap();
    let hosts = tmp.path().join("hosts.yml");
    fs::write(
        &hosts,
        "$ANSIBLE_VAULT;1.1;AES256\nweb:\n  hosts:\n    web1:\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("group_vars/web.yml"),
        "$ANSIBLE_VAULT;1.1;AES256\ntoken: abc\n",
    )
    .unwrap();
    let options = LoadOptions {
        vault: Some(&Rot13),
        ..LoadOptions::default()
    };
    let inv = Inventory::load_with(&[hosts.display().to_string()], None, &options).unwrap();
    assert_eq!(inv.host_vars("web1")["token"], json!("abc"));
}

#[test]
fn dynamic_sources_plug_in_through_the_trait() {
    struct FakeCloud;
    impl DynamicInventory for FakeCloud {
        fn accepts(&self, plugin: &str) -> bool {
            plugin == "example.cloud.vms"
        }
        fn populate(&self, _config: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
            let vars: Vars = [("ansible_host".to_string(), json!("10.1.0.4"))]
                .into_iter()
                .collect();
            inv.add_host(Host::with_vars("vm-1", vars), &["zone_a".into()]);
            inv.add_child("cloud", "zone_a")?;
            inv.set_group_var("cloud", "ansible_user", json!("ops"))
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("cloud.yml");
    fs::write(&config, "plugin: example.cloud.vms\nproject: demo\n").unwrap();
    let source = config.display().to_string();
    assert_eq!(
        InventorySource::classify(&source).unwrap(),
        InventorySource::Plugin {
            path: config.clone(),
            plugin: "example.cloud.vms".into()
        }
    );
    let err = Inventory::load(std::slice::from_ref(&source), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("inventory plugin 'example.cloud.vms' is not available"),
        "{err}"
    );
    let options = LoadOptions {
        plugins: &[&FakeCloud],
        ..LoadOptions::default()
    };
    let inv = Inventory::load_with(&[source], None, &options).unwrap();
    assert_eq!(inv.group("all").unwrap().children, ["ungrouped", "cloud"]);
    assert_eq!(inv.group_names("vm-1"), ["cloud", "zone_a"]);
    assert_eq!(inv.host_vars("vm-1")["ansible_user"], json!("ops"));
    assert_eq!(inv.host_vars("vm-1")["ansible_host"], json!("10.1.0.4"));
}

#[test]
fn add_host_later_gets_group_and_host_vars_files() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("host_vars")).unwrap();
    fs::create_dir_all(tmp.path().join("group_vars")).unwrap();
    fs::write(tmp.path().join("hosts.ini"), "web1\n").unwrap();
    fs::write(tmp.path().join("host_vars/new1.yml"), "from_file: yes\n").unwrap();
    fs::write(tmp.path().join("group_vars/late.yml"), "late: 1\n").unwrap();
    let mut inv =
        Inventory::load(&[tmp.path().join("hosts.ini").display().to_string()], None).unwrap();
    assert_eq!(inv.group("ungrouped").unwrap().hosts, ["web1"]);
    inv.add_host(Host::new("new1"), &["late".into()]);
    inv.add_host(Host::new("web1"), &["late".into()]);
    assert_eq!(inv.host_vars("new1")["from_file"], json!(true));
    assert_eq!(inv.host_vars("new1")["late"], json!(1));
    // web1 found a real group, so it leaves `ungrouped`, as after Ansible's add_host.
    assert!(inv.group("ungrouped").unwrap().hosts.is_empty());
    assert_eq!(inv.select("late").unwrap(), ["new1", "web1"]);
}

#[test]
fn group_priority_orders_same_depth_groups() {
    let tmp = tempfile::tempdir().unwrap();
    let ini = tmp.path().join("hosts.ini");
    fs::write(
        &ini,
        "[a]\nh1\n[b]\nh1\n[a:vars]\nx=from_a\nansible_group_priority=5\n[b:vars]\nx=from_b\n\
         [parent:children]\na\n[parent:vars]\nx=from_parent\ny=parent\n",
    )
    .unwrap();
    let inv = Inventory::load(&[ini.display().to_string()], None).unwrap();
    // a and b have depth... a is under parent (depth 2), b is top level (depth 1): a wins.
    assert_eq!(inv.host_vars("h1")["x"], json!("from_a"));
    fs::write(
        &ini,
        "[a]\nh1\n[b]\nh1\n[a:vars]\nx=from_a\nansible_group_priority=5\n[b:vars]\nx=from_b\n",
    )
    .unwrap();
    let inv = Inventory::load(&[ini.display().to_string()], None).unwrap();
    // Same depth: by name b would win, but a's priority 5 beats b's default 1.
    assert_eq!(inv.host_vars("h1")["x"], json!("from_a"));
    assert_eq!(
        inv.to_list_json()["_meta"]["hostvars"]["h1"],
        json!({"x": "from_a"})
    );
}

#[test]
fn example_inventories_in_the_repo_load_and_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../inventory");
    let ini = Inventory::load(&[root.join("hosts.ini").display().to_string()], None).unwrap();
    let yml = Inventory::load(&[root.join("hosts.yml").display().to_string()], None).unwrap();
    assert_eq!(ini.groups_map(), yml.groups_map());
    for host in ini.hosts() {
        assert_eq!(
            ini.host_vars(&host.name),
            yml.host_vars(&host.name),
            "{}",
            host.name
        );
    }
    // ansible-inventory printed testdata/example.* for hosts.ini.
    let want = fs::read_to_string(testdata("example.list.json")).unwrap();
    assert_eq!(ini.list_json_string(), want.trim_end());
    assert_eq!(yml.list_json_string(), want.trim_end());
    let graph = fs::read_to_string(testdata("example.graph.txt")).unwrap();
    assert_eq!(ini.graph("all"), graph.trim_end());
    let web = ini.select("web").unwrap();
    assert!(web.len() >= 2);
    let vars = ini.host_vars(&web[0]);
    assert!(vars["ansible_ssh_common_args"]
        .as_str()
        .unwrap()
        .contains("ProxyJump"));
    assert!(vars["ansible_host"].as_str().unwrap().starts_with("10."));
}

/// Opt-in differential check against a real Ansible: PLAY_INVENTORY_DIFF=DIR, where each
/// DIR/N/ holds `hosts` (an inventory) and `expected.json` (`ansible-inventory --list`
/// output) or `expected.err` (Ansible refused the file). Skipped when the variable is unset.
#[test]
fn differential_against_ansible_when_asked() {
    let Ok(dir) = std::env::var("PLAY_INVENTORY_DIFF") else {
        return;
    };
    let mut failures = Vec::new();
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    for case in &cases {
        let hosts = case.join("hosts").display().to_string();
        let got = Inventory::load(&[hosts], None).map(|inv| inv.list_json_string());
        let expected = fs::read_to_string(case.join("expected.json")).ok();
        match (got, expected) {
            (Ok(g), Some(e)) if g == e.trim_end() => {}
            (Err(_), None) => {}
            (got, expected) => failures.push(format!(
                "{}: play {:?}\nansible {:?}",
                case.display(),
                got.map_err(|e| e.to_string()),
                expected
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn sample() -> Inventory {
    let mut inv = Inventory::new();
    ini::parse(
        "bastion\n[web]\nweb[01:12]\n[db]\ndb[a:d]\nweb03\n[prod:children]\nweb\ndb\n[odd]\nweb[01:11:2]\n",
        Path::new("sample.ini"),
        &mut inv,
    )
    .unwrap();
    inv.reconcile();
    inv
}

proptest! {
    #[test]
    fn patterns_never_panic(pattern in "[a-z0-9*?!&~:,\\[\\]().^$|+ -]{0,30}") {
        let inv = sample();
        let _ = inv.resolve(&pattern);
        let all = inv.select("all").unwrap();
        let _ = inv.limit(all, &pattern);
    }

    #[test]
    fn patterns_never_panic_on_any_text(pattern in "\\PC{0,40}") {
        let _ = sample().resolve(&pattern);
    }

    #[test]
    fn union_intersection_exclusion_are_set_operations(
        a in prop::sample::select(vec!["web", "db", "odd", "prod", "ungrouped", "web0*", "~db[ab]", "web[2:5]"]),
        b in prop::sample::select(vec!["web", "db", "odd", "prod", "ungrouped", "*a", "bastion", "db[0]"]),
    ) {
        let inv = sample();
        let set = |p: &str| -> std::collections::HashSet<String> {
            inv.resolve(p).unwrap().hosts.into_iter().collect()
        };
        let (sa, sb) = (set(a), set(b));
        prop_assert_eq!(set(&format!("{a},{b}")), &sa | &sb);
        prop_assert_eq!(set(&format!("{a},&{b}")), &sa & &sb);
        prop_assert_eq!(set(&format!("{a},!{b}")), &sa - &sb);
        // Each host comes once.
        let all = inv.select("all").unwrap();
        let got = inv.resolve(&format!("{b},{a}")).unwrap().hosts;
        let mut positions: Vec<usize> = got.iter().map(|h| all.iter().position(|x| x == h).unwrap()).collect();
        let n = positions.len();
        positions.dedup();
        prop_assert_eq!(positions.len(), n);
    }
}
