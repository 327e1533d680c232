//! resolve(): Ansible variables, command-line overrides and ssh_config into ConnectOptions.

use std::path::Path;

use serde_json::json;

use super::*;

fn env() -> LocalEnv {
    LocalEnv {
        home: PathBuf::from("/home/me"),
        user: "me".into(),
        agent_socket: Some(PathBuf::from("/tmp/agent.sock")),
    }
}

fn config(text: &str) -> SshConfig {
    SshConfig::parse(text, Path::new("/cfg"), env()).unwrap()
}

fn vars(value: serde_json::Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn resolve_with(
    name: &str,
    v: serde_json::Value,
    o: &SshOverrides,
    c: &str,
) -> Result<ConnectOptions, SshError> {
    resolve(name, &vars(v), o, &config(c))
}

#[test]
fn defaults() {
    let opts = resolve_with("web1", json!({}), &SshOverrides::default(), "").unwrap();
    assert_eq!(
        (opts.host.as_str(), opts.port, opts.user.as_str()),
        ("web1", 22, "me")
    );
    assert!(opts.identity_files.is_empty());
    assert_eq!(
        opts.known_hosts_files[0],
        PathBuf::from("/home/me/.ssh/known_hosts")
    );
    assert!(opts
        .known_hosts_files
        .contains(&PathBuf::from("/etc/ssh/ssh_known_hosts")));
    assert_eq!(opts.host_key_policy, HostKeyPolicy::Strict);
    assert_eq!(opts.connect_timeout, Duration::from_secs(10));
    assert_eq!(opts.agent_socket, Some(PathBuf::from("/tmp/agent.sock")));
    assert!(opts.jump.is_none());
}

#[test]
fn ansible_vars_beat_cli_which_beats_ssh_config() {
    let cfg = "Host 10.0.1.5\n  User cfguser\n  Port 2200\n  IdentityFile ~/.ssh/cfg_%r\n  ConnectTimeout 3\n";
    let cli = SshOverrides {
        user: Some("cliuser".into()),
        private_key_file: Some("/keys/cli".into()),
        connect_timeout: Some(Duration::from_secs(7)),
        ..Default::default()
    };
    let v = json!({"ansible_host": "10.0.1.5", "ansible_port": 2222, "ansible_user": "deploy",
                   "ansible_ssh_private_key_file": "~/.ssh/deploy"});
    let opts = resolve_with("web1", v, &cli, cfg).unwrap();
    assert_eq!(
        (opts.host.as_str(), opts.port, opts.user.as_str()),
        ("10.0.1.5", 2222, "deploy")
    );
    assert_eq!(
        opts.identity_files,
        [
            PathBuf::from("/home/me/.ssh/deploy"),
            "/keys/cli".into(),
            "/home/me/.ssh/cfg_deploy".into()
        ]
    );
    assert_eq!(opts.connect_timeout, Duration::from_secs(7));
    // Without vars: the CLI beats ssh_config; ssh_config is matched on ansible_host.
    let opts = resolve_with("web1", json!({"ansible_host": "10.0.1.5"}), &cli, cfg).unwrap();
    assert_eq!((opts.port, opts.user.as_str()), (2200, "cliuser"));
    let opts = resolve_with(
        "web1",
        json!({"ansible_host": "10.0.1.5"}),
        &SshOverrides::default(),
        cfg,
    )
    .unwrap();
    assert_eq!(
        (opts.user.as_str(), opts.connect_timeout),
        ("cfguser", Duration::from_secs(3))
    );
}

#[test]
fn ssh_config_hostname_and_tokens() {
    let cfg = "Host web*\n  HostName %h.internal\n  UserKnownHostsFile ~/.ssh/kh_%h /etc/kh\n  StrictHostKeyChecking accept-new\n  ServerAliveInterval 0\n  HostKeyAlias webalias\n  IdentityAgent none\n";
    let opts = resolve_with("web1", json!({}), &SshOverrides::default(), cfg).unwrap();
    assert_eq!(opts.host, "web1.internal");
    assert_eq!(
        opts.known_hosts_files[..2],
        [
            PathBuf::from("/home/me/.ssh/kh_web1.internal"),
            "/etc/kh".into()
        ]
    );
    assert_eq!(opts.host_key_policy, HostKeyPolicy::AcceptNew);
    assert_eq!(opts.keepalive_interval, None);
    assert_eq!(opts.host_key_alias.as_deref(), Some("webalias"));
    assert_eq!(opts.agent_socket, None);
}

#[test]
fn common_args_options_and_proxycommand_bastion() {
    let v = json!({
        "ansible_host": "10.0.1.5",
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ProxyCommand=\"ssh -W %h:%p -q -i ~/.ssh/bastion ops@bastion.example.com\"",
    });
    let cfg = "Host bastion.example.com\n  Port 2022\n";
    let opts = resolve_with("web1", v, &SshOverrides::default(), cfg).unwrap();
    assert_eq!(opts.host_key_policy, HostKeyPolicy::Off);
    assert_eq!(opts.known_hosts_files[0], PathBuf::from("/dev/null"));
    let jump = opts.jump.expect("a bastion");
    assert_eq!(jump.label(), "ops@bastion.example.com:2022");
    assert_eq!(
        jump.identity_files,
        [PathBuf::from("/home/me/.ssh/bastion")]
    );
    // The target's -o options are not the bastion's (as with OpenSSH's inner ssh).
    assert_eq!(jump.host_key_policy, HostKeyPolicy::Strict);
    assert_eq!(
        jump.known_hosts_files[0],
        PathBuf::from("/home/me/.ssh/known_hosts")
    );
}

#[test]
fn proxyjump_chains_and_the_hops_own_config() {
    let v = json!({"ansible_ssh_extra_args": "-J a@hop1,hop2:2200"});
    let cfg = "Host hop2\n  User two\n  HostName 192.0.2.2\nHost hop1\n  ProxyJump edge\n";
    let opts = resolve_with("vm", v, &SshOverrides::default(), cfg).unwrap();
    let hop2 = opts.jump.as_ref().unwrap();
    assert_eq!(hop2.label(), "two@192.0.2.2:2200");
    let hop1 = hop2.jump.as_ref().unwrap();
    assert_eq!(hop1.label(), "a@hop1:22");
    // hop1's own ssh_config ProxyJump is followed.
    assert_eq!(hop1.jump.as_ref().unwrap().label(), "me@edge:22");
    assert_eq!(
        opts.chain_key(),
        "me@vm:22 via two@192.0.2.2:2200 via a@hop1:22 via me@edge:22"
    );
    let none = resolve_with(
        "vm",
        json!({"ansible_ssh_common_args": "-o ProxyJump=none"}),
        &SshOverrides::default(),
        "Host *\n  ProxyJump b\n",
    )
    .unwrap();
    assert!(none.jump.is_none());
}

#[test]
fn jump_loops_are_reported() {
    let err = resolve_with(
        "vm",
        json!({}),
        &SshOverrides::default(),
        "Host vm\n  ProxyJump a\nHost a\n  ProxyJump b\nHost b\n  ProxyJump a\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
}

#[test]
fn play_bastion_vars_and_cli_bastion() {
    let v = json!({"ansible_host": "10.0.1.5", "play_bastion": "ops@203.0.113.9:2222",
                   "play_bastion_key_file": "~/.ssh/bastion", "ansible_ssh_private_key_file": "/k/vm"});
    let cli = SshOverrides {
        host_key_policy: Some(HostKeyPolicy::AcceptNew),
        known_hosts_file: Some("/run/kh".into()),
        bastion: Some("other".into()),
        ..Default::default()
    };
    let opts = resolve_with("web1", v, &cli, "").unwrap();
    let jump = opts.jump.as_ref().unwrap();
    assert_eq!(jump.label(), "ops@203.0.113.9:2222");
    assert_eq!(
        jump.identity_files,
        [PathBuf::from("/home/me/.ssh/bastion")]
    );
    // CLI host key settings apply to every hop.
    assert_eq!(
        (jump.host_key_policy, opts.host_key_policy),
        (HostKeyPolicy::AcceptNew, HostKeyPolicy::AcceptNew)
    );
    assert_eq!(jump.known_hosts_files[0], PathBuf::from("/run/kh"));
    // The CLI bastion is used when the host names none; a hop without keys uses the host's.
    let opts = resolve_with(
        "web2",
        json!({"ansible_ssh_private_key_file": "/k/vm"}),
        &cli,
        "",
    )
    .unwrap();
    let jump = opts.jump.unwrap();
    assert_eq!(jump.label(), "me@other:22");
    assert_eq!(jump.identity_files, [PathBuf::from("/k/vm")]);
}

#[test]
fn passwords_and_bad_values_are_errors_naming_where() {
    let err = resolve_with(
        "web1",
        json!({"ansible_ssh_pass": "x"}),
        &SshOverrides::default(),
        "",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("host web1: var ansible_ssh_pass: password login is not supported"),
        "{text}"
    );
    assert!(
        !text.contains(": x"),
        "the password must not be echoed: {text}"
    );
    let err = resolve_with(
        "web1",
        json!({"ansible_port": "ssh"}),
        &SshOverrides::default(),
        "",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("host web1: var ansible_port: port `ssh`"),
        "{err}"
    );
    let err =
        resolve_with("web1", json!({}), &SshOverrides::default(), "Port 99999\n").unwrap_err();
    assert!(err.to_string().starts_with("/cfg:1:"), "{err}");
    let err = resolve_with(
        "web1",
        json!({"ansible_ssh_common_args": "-o ProxyCommand=\"nc %h %p\""}),
        &SshOverrides::default(),
        "",
    )
    .unwrap_err();
    assert!(err.to_string().contains("use ProxyJump"), "{err}");
    let err = resolve_with(
        "web1",
        json!({"ansible_user": ["a"]}),
        &SshOverrides::default(),
        "",
    )
    .unwrap_err();
    assert!(err.to_string().contains("must be a string"), "{err}");
    assert!(!err.is_unreachable() || matches!(err, SshError::Config { .. }));
}

#[test]
fn host_key_checking_var_and_passphrase_never_in_debug() {
    let v = json!({"ansible_host_key_checking": false, "play_key_passphrase": "sekrit"});
    let opts = resolve_with("web1", v, &SshOverrides::default(), "").unwrap();
    assert_eq!(opts.host_key_policy, HostKeyPolicy::Off);
    assert_eq!(opts.key_passphrase.as_deref(), Some("sekrit"));
    assert!(!format!("{opts:?}").contains("sekrit"));
    let overrides = SshOverrides {
        key_passphrase: Some("sekrit".into()),
        ..Default::default()
    };
    assert!(!format!("{overrides:?}").contains("sekrit"));
}

#[test]
fn indexmap_vars_work_too() {
    let mut v: indexmap::IndexMap<String, Value> = indexmap::IndexMap::new();
    v.insert("ansible_port".into(), json!("2201"));
    let opts = resolve("h", &v, &SshOverrides::default(), &config("")).unwrap();
    assert_eq!(opts.port, 2201);
}
