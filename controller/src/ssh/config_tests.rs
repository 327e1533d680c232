//! ssh_config parsing and precedence tests (OpenSSH's first-value-wins, Include, Match).

use super::*;

pub(crate) fn env_at(home: &Path) -> LocalEnv {
    LocalEnv {
        home: home.to_path_buf(),
        user: "me".into(),
        agent_socket: None,
    }
}

fn parse(text: &str) -> SshConfig {
    SshConfig::parse(text, Path::new("/cfg"), env_at(Path::new("/home/me"))).unwrap()
}

fn value(config: &SshConfig, host: &str, keyword: &str) -> Option<String> {
    config
        .lookup(host)
        .get(keyword)
        .map(|l| l.value().to_string())
}

#[test]
fn first_obtained_value_wins() {
    let config = parse(
        "User global\n\nHost web-*\n  User web\n  Port 2222\nHost *\n  User fallback\n  Port 22\n  ConnectTimeout=5\n",
    );
    // The global line comes first, so it wins for every host: OpenSSH's (surprising) rule.
    assert_eq!(value(&config, "web-1", "user").as_deref(), Some("global"));
    assert_eq!(value(&config, "web-1", "port").as_deref(), Some("2222"));
    assert_eq!(value(&config, "db", "port").as_deref(), Some("22"));
    assert_eq!(value(&config, "db", "connecttimeout").as_deref(), Some("5"));
    assert_eq!(config.lookup("db").get("port").unwrap().at, "/cfg:8");
}

#[test]
fn patterns_negation_and_case() {
    let config = parse("Host web-* !web-3 db?\n  HostName %h.internal\nHost *\n  HostName other\n");
    assert_eq!(
        value(&config, "WEB-1", "hostname").as_deref(),
        Some("%h.internal")
    );
    assert_eq!(
        value(&config, "web-3", "hostname").as_deref(),
        Some("other")
    );
    assert_eq!(
        value(&config, "db1", "hostname").as_deref(),
        Some("%h.internal")
    );
    assert_eq!(value(&config, "db12", "hostname").as_deref(), Some("other"));
}

#[test]
fn identity_files_accumulate_and_proxy_slot_is_shared() {
    let config = parse(
        "Host web\n  IdentityFile ~/.ssh/web\n  ProxyCommand ssh -W %h:%p b\nHost *\n  IdentityFile ~/.ssh/all\n  ProxyJump other\n",
    );
    let options = config.lookup("web");
    let files: Vec<&str> = options.identity_files().iter().map(|l| l.value()).collect();
    assert_eq!(files, ["~/.ssh/web", "~/.ssh/all"]);
    let proxy = options.get("proxy").unwrap();
    assert_eq!(
        (proxy.keyword.as_str(), proxy.value()),
        ("proxycommand", "ssh -W %h:%p b")
    );
}

#[test]
fn quoted_values_and_equals() {
    let config =
        parse("Host x\n  IdentityFile \"/path/with space/key\"\n  UserKnownHostsFile = /a /b\n");
    let options = config.lookup("x");
    assert_eq!(options.identity_files()[0].value(), "/path/with space/key");
    assert_eq!(
        options.get("userknownhostsfile").unwrap().args,
        ["/a", "/b"]
    );
    let err =
        SshConfig::parse("User \"open\n", Path::new("/cfg"), env_at(Path::new("/h"))).unwrap_err();
    assert!(err.to_string().starts_with("/cfg:1:"), "{err}");
}

#[test]
fn match_blocks_are_skipped_until_the_next_host() {
    let config = parse("Match host web exec \"true\"\n  User matched\nHost *\n  User plain\n");
    assert_eq!(value(&config, "web", "user").as_deref(), Some("plain"));
    let config = parse("Match all\n  User everyone\n");
    assert_eq!(value(&config, "web", "user").as_deref(), Some("everyone"));
}

#[test]
fn include_with_globs_relative_to_dot_ssh_and_under_the_host_block() {
    let home = tempfile::tempdir().unwrap();
    let dot_ssh = home.path().join(".ssh");
    std::fs::create_dir_all(dot_ssh.join("conf.d")).unwrap();
    std::fs::write(
        dot_ssh.join("conf.d/10-web.conf"),
        "Host web\n  Port 2201\n",
    )
    .unwrap();
    std::fs::write(
        dot_ssh.join("conf.d/20-all.conf"),
        "Port 2299\nUser included\n",
    )
    .unwrap();
    std::fs::write(dot_ssh.join("conf.d/.hidden.conf"), "Port 1\n").unwrap();
    std::fs::write(dot_ssh.join("db.conf"), "User dbuser\n").unwrap();
    std::fs::write(
        dot_ssh.join("config"),
        "Include conf.d/*.conf\nHost db\n  Include ~/.ssh/db.conf\nHost *\n  User last\n",
    )
    .unwrap();
    let config = SshConfig::load(None, env_at(home.path())).unwrap();
    assert_eq!(value(&config, "web", "port").as_deref(), Some("2201"));
    assert_eq!(value(&config, "other", "port").as_deref(), Some("2299"));
    // The include inside `Host db` applies to db only; 20-all.conf came first for everyone.
    assert_eq!(value(&config, "db", "user").as_deref(), Some("included"));
    std::fs::write(
        dot_ssh.join("config"),
        "Host db\n  Include db.conf\nHost *\n  User last\n",
    )
    .unwrap();
    let config = SshConfig::load(None, env_at(home.path())).unwrap();
    assert_eq!(value(&config, "db", "user").as_deref(), Some("dbuser"));
    assert_eq!(value(&config, "web", "user").as_deref(), Some("last"));
}

#[test]
fn explicit_file_must_exist_and_self_include_is_bounded() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("nope");
    let err = SshConfig::load(Some(&missing), env_at(home.path())).unwrap_err();
    assert!(
        err.to_string().contains("cannot read this ssh config file"),
        "{err}"
    );
    let looping = home.path().join("loop");
    std::fs::write(&looping, format!("Include {}\n", looping.display())).unwrap();
    let err = SshConfig::load(Some(&looping), env_at(home.path())).unwrap_err();
    assert!(err.to_string().contains("nested too deeply"), "{err}");
}
