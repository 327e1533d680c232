//! Tests for `container_spec`: hashes, views and diffs, and the comparison with the labels
//! of containers made by this play (keyed hashes) and by an older one (plain sha256).

use super::*;

fn spec() -> ContainerSpec {
    ContainerSpec {
        command: Some(vec!["httpd".into(), "-f".into()]),
        env: BTreeMap::from([
            ("A".into(), "1".into()),
            ("SECRET".into(), "hunter2".into()),
        ]),
        ports: vec![PortSpec::parse("8080:80").unwrap()],
        restart_policy: Some("always".into()),
        labels: BTreeMap::from([("team".into(), "web".into())]),
        ..ContainerSpec::default()
    }
}

fn key() -> HostKey {
    HostKey::from_bytes([1; 32])
}

#[test]
fn removing_an_env_var_changes_the_hash() {
    let key = key();
    let a = spec();
    let mut b = spec();
    b.env.remove("A");
    for h in [Hashing::Keyed(&key), Hashing::Plain] {
        assert_ne!(a.config_hash(h), b.config_hash(h));
    }
    let (fields, env) = changed_fields(Some(&a.public_view(&key)), &b.public_view(&key));
    assert_eq!(fields, vec!["env"]);
    assert_eq!(env.removed, vec!["A"]);
}

#[test]
fn env_file_content_change_changes_the_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::write(&path, "# c\nDB=postgres://x\n\nTOKEN=abc\n").unwrap();
    let (vars, info) = read_env_file_as(path.to_str().unwrap(), false).unwrap();
    assert_eq!(vars["DB"], "postgres://x");
    let mut a = spec();
    a.env_file = Some(info);
    // A comment-only edit changes the file's bytes, so it counts too.
    std::fs::write(&path, "# changed\nDB=postgres://x\n\nTOKEN=abc\n").unwrap();
    let mut b = spec();
    b.env_file = Some(read_env_file_as(path.to_str().unwrap(), false).unwrap().1);
    let key = key();
    for h in [Hashing::Keyed(&key), Hashing::Plain] {
        assert_ne!(a.config_hash(h), b.config_hash(h));
    }
}

#[test]
fn dict_key_order_does_not_change_the_hash() {
    let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": 2, "x": 3}}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"a": {"x": 3, "y": 2}, "b": 1}"#).unwrap();
    assert_eq!(canonical_json(&a), canonical_json(&b));
    let mut s1 = spec();
    s1.ports = vec![
        PortSpec::parse("1:1").unwrap(),
        PortSpec::parse("2:2").unwrap(),
    ];
    let mut s2 = spec();
    s2.ports = vec![
        PortSpec::parse("2:2").unwrap(),
        PortSpec::parse("1:1").unwrap(),
    ];
    let key = key();
    for h in [Hashing::Keyed(&key), Hashing::Plain] {
        assert_eq!(s1.config_hash(h), s2.config_hash(h));
    }
}

#[test]
fn labels_and_diffs_never_hold_env_values() {
    let key = key();
    let s = spec();
    for h in [Hashing::Keyed(&key), Hashing::Plain] {
        for v in s.play_labels(h).values() {
            assert!(!v.contains("hunter2"), "{v}");
        }
    }
    let mut t = spec();
    t.env.insert("SECRET".into(), "hunter3".into());
    t.env.insert("NEW".into(), "v".into());
    let (fields, env) = changed_fields(Some(&s.public_view(&key)), &t.public_view(&key));
    assert_eq!(fields, vec!["env"]);
    assert_eq!(
        (env.added.clone(), env.changed.clone()),
        (vec!["NEW".to_string()], vec!["SECRET".to_string()])
    );
    let (before, after) = diff_text(
        Some(&s.public_view(&key)),
        &t.public_view(&key),
        &fields,
        &env,
    );
    assert!(!before.contains("hunter") && !after.contains("hunter"));
    assert!(after.contains("values changed: SECRET"), "{after}");

    // An env file's content hash covers secrets: the diff names its path only.
    let file = |content: &str| EnvFileInfo::new("/etc/app/.env", content.as_bytes().to_vec());
    let (mut a, mut b) = (spec(), spec());
    a.env_file = Some(file("TOKEN=a"));
    b.env_file = Some(file("TOKEN=b"));
    let (fields, env) = changed_fields(Some(&a.public_view(&key)), &b.public_view(&key));
    assert_eq!(fields, vec!["env_file"]);
    let (before, after) = diff_text(
        Some(&a.public_view(&key)),
        &b.public_view(&key),
        &fields,
        &env,
    );
    assert_eq!(before, "env_file: /etc/app/.env\n");
    assert_eq!(after, "env_file: /etc/app/.env (content changed)\n");
    assert!(!format!("{:?}", a.env_file).contains("TOKEN"));
}

/// The spec of the upgrade tests: env values and an env file.
fn spec_with_file(file: &str) -> ContainerSpec {
    let mut s = spec();
    s.env_file = Some(EnvFileInfo::new("/srv/app/.env", file.as_bytes().to_vec()));
    s
}

/// A container's `Config.Labels` as play made them with hashes in format `h`, the
/// release's config label included.
fn labels_of(s: &ContainerSpec, h: Hashing<'_>) -> Value {
    let mut l = s.play_labels(h);
    l.insert(
        crate::release::plan::L_CONFIG_SHA.to_string(),
        s.config_hash(h),
    );
    json!(l)
}

#[test]
fn plain_labels_are_exactly_what_play_stored_before_keyed_hashes() {
    // Pinned from the version before keyed hashes: if these move, every container an
    // older play made would be recreated after an upgrade.
    let l = spec_with_file("SECRET=hunter2\n").play_labels(Hashing::Plain);
    assert_eq!(
        l[LABEL_CONFIG_HASH],
        "a79a91b06ff92caa9a3427d01e0ac445c8d65ecd8fde24358325b2ac6e57aefc"
    );
    assert_eq!(
        l[LABEL_CONFIG],
        r#"{"command":["httpd","-f"],"entrypoint":null,"env":{"A":"6b86b273ff34","SECRET":"f52fbd32b2b3"},"env_file":{"path":"/srv/app/.env","sha256":"6728a4a2930df4c95f48dd96dfc520053fa850c35dcd5f95b935ef67478f74da"},"healthcheck":null,"hostname":null,"labels":{"team":"web"},"memory":null,"network_mode":null,"networks":[],"published_ports":[{"container_port":80,"host_ip":"","host_port":8080,"protocol":"tcp"}],"restart_policy":"always","restart_retries":null,"stop_timeout":null,"user":null,"volumes":[],"working_dir":null}"#
    );
    assert_eq!(
        l[LABEL_ENV_KEYS],
        r#"{"A":"6b86b273ff34","SECRET":"f52fbd32b2b3"}"#
    );
}

#[test]
fn new_labels_hold_only_keyed_hashes() {
    let key = key();
    let s = spec_with_file("SECRET=hunter2\n");
    let l = s.play_labels(Hashing::Keyed(&key));
    let plain = s.play_labels(Hashing::Plain);
    assert!(l[LABEL_CONFIG_HASH].starts_with("hmac-sha256:"));
    let view: Value = serde_json::from_str(&l[LABEL_CONFIG]).unwrap();
    for (_, v) in view["env"].as_object().unwrap() {
        assert!(v.as_str().unwrap().starts_with("hmac-sha256:"), "{v}");
        assert_eq!(v.as_str().unwrap().len(), "hmac-sha256:".len() + 12);
    }
    assert!(view["env_file"]["sha256"]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert_eq!(view["env_file"]["path"], "/srv/app/.env");
    let keys: Value = serde_json::from_str(&l[LABEL_ENV_KEYS]).unwrap();
    assert_eq!(keys, view["env"]);
    // No plain hash of a value or of the file is left in any label.
    for secret_hash in [
        "f52fbd32b2b3",
        "6728a4a2930df4c95f48",
        &plain[LABEL_CONFIG_HASH],
    ] {
        for v in l.values() {
            assert!(!v.contains(secret_hash), "{v}");
        }
    }
}

#[test]
fn unchanged_config_is_unchanged_in_either_label_format() {
    let key = key();
    let s = spec_with_file("SECRET=hunter2\n");
    for (format, h) in [("old", Hashing::Plain), ("new", Hashing::Keyed(&key))] {
        let labels = labels_of(&s, h);
        for hash_label in [LABEL_CONFIG_HASH, crate::release::plan::L_CONFIG_SHA] {
            let c = compare_labels(&labels, hash_label, &s, &key);
            assert!(c.same, "{format}-format {hash_label}: {:?}", c.fields);
            assert!(c.fields.is_empty() && c.env.is_empty(), "{c:?}");
        }
        // Another field changes: only it is named, the env compares equal.
        let mut moved = s.clone();
        moved.ports = vec![PortSpec::parse("8081:80").unwrap()];
        let c = compare_labels(&labels, LABEL_CONFIG_HASH, &moved, &key);
        assert!(!c.same);
        assert_eq!(c.fields, vec!["published_ports"], "{format}");
        assert!(c.env.is_empty(), "{format}: {:?}", c.env);
    }
}

#[test]
fn a_changed_env_value_is_named_in_either_label_format() {
    let key = key();
    let other_key = HostKey::from_bytes([2; 32]);
    let old = spec_with_file("SECRET=hunter2\n");
    let mut new = old.clone();
    new.env.insert("SECRET".into(), "hunter3".into());
    for (format, h) in [("old", Hashing::Plain), ("new", Hashing::Keyed(&key))] {
        let labels = labels_of(&old, h);
        for hash_label in [LABEL_CONFIG_HASH, crate::release::plan::L_CONFIG_SHA] {
            let c = compare_labels(&labels, hash_label, &new, &key);
            assert!(!c.same, "{format}-format {hash_label}");
            assert_eq!(c.fields, vec!["env"], "{format}");
            assert_eq!(
                c.env,
                EnvChange {
                    changed: vec!["SECRET".into()],
                    ..EnvChange::default()
                },
                "{format}"
            );
            let (_, after) = diff_text(c.old_view.as_ref(), &c.new_view, &c.fields, &c.env);
            assert_eq!(after, "env keys: A, SECRET (values changed: SECRET)\n");
        }
        // The env file's content: named by path, in either format.
        let edited = spec_with_file("SECRET=hunter2\n# rotated\n");
        let c = compare_labels(&labels, LABEL_CONFIG_HASH, &edited, &key);
        assert_eq!((c.same, c.fields.clone()), (false, vec!["env_file".into()]));
        let (before, after) = diff_text(c.old_view.as_ref(), &c.new_view, &c.fields, &c.env);
        assert_eq!(
            (before.as_str(), after.as_str()),
            (
                "env_file: /srv/app/.env\n",
                "env_file: /srv/app/.env (content changed)\n"
            )
        );
    }
    // Keyed labels under another key (the key was lost): nothing can be verified, so the
    // container counts as changed, every value with it.
    let labels = labels_of(&old, Hashing::Keyed(&other_key));
    let c = compare_labels(&labels, LABEL_CONFIG_HASH, &old, &key);
    assert!(!c.same);
    assert_eq!(c.env.changed, vec!["A", "SECRET"]);
    // No labels at all (not made by play): changed, every key added.
    let c = compare_labels(&json!({}), LABEL_CONFIG_HASH, &old, &key);
    assert!(!c.same && c.old_view.is_none());
    assert_eq!(c.env.added, vec!["A", "SECRET"]);
}

#[test]
fn a_container_not_made_by_play_differs_in_every_set_field() {
    let (fields, env) = changed_fields(None, &spec().public_view(&key()));
    assert!(fields.contains(&"command".to_string()));
    assert_eq!(env.added, vec!["A", "SECRET"]);
}

#[test]
fn create_body_has_the_engine_api_shape() {
    let mut s = spec();
    s.volumes = vec![
        VolumeSpec::parse("/srv:/data:ro").unwrap(),
        VolumeSpec::parse("/cache").unwrap(),
    ];
    s.networks = vec!["backend".into()];
    let key = key();
    let body = s.create_body(
        "app:v1",
        &BTreeMap::from([("play.release.service".into(), "web".into())]),
        Hashing::Keyed(&key),
    );
    assert_eq!(body["Image"], "app:v1");
    assert_eq!(body["Env"], json!(["A=1", "SECRET=hunter2"]));
    assert_eq!(
        body["HostConfig"]["PortBindings"]["80/tcp"],
        json!([{"HostIp": "", "HostPort": "8080"}])
    );
    assert_eq!(body["HostConfig"]["Binds"], json!(["/srv:/data:ro"]));
    assert_eq!(body["Volumes"], json!({"/cache": {}}));
    assert_eq!(body["HostConfig"]["RestartPolicy"]["Name"], "always");
    assert_eq!(body["HostConfig"]["NetworkMode"], "backend");
    assert_eq!(body["Labels"]["team"], "web");
    assert_eq!(body["Labels"]["play.release.service"], "web");
    assert_eq!(
        body["Labels"][LABEL_CONFIG_HASH],
        json!(s.config_hash(Hashing::Keyed(&key)))
    );
}

#[test]
fn env_file_errors_name_the_line_not_the_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    std::fs::write(&path, "A=1\nsupersecretvalue\n").unwrap();
    let err = read_env_file_as(path.to_str().unwrap(), false).unwrap_err();
    assert!(err.contains(":2:") && !err.contains("supersecret"), "{err}");
}

#[test]
fn scalars_take_numbers_and_refuse_booleans() {
    let m: BTreeMap<String, Scalar> = serde_json::from_str(r#"{"PORT": 8080, "X": "y"}"#).unwrap();
    assert_eq!(scalar_map(Some(m))["PORT"], "8080");
    assert!(
        serde_json::from_str::<BTreeMap<String, Scalar>>(r#"{"DEBUG": true}"#)
            .unwrap_err()
            .to_string()
            .contains("quote it")
    );
    let w: Words = serde_json::from_str(r#""sh -c 'echo hi'""#).unwrap();
    assert_eq!(w.0, vec!["sh", "-c", "echo hi"]);
}
