//! Integration tests against real OpenSSH: throwaway `sshd` processes on 127.0.0.1 random
//! ports, with keys made by ssh-keygen. They check what mocks cannot: that russh, our host key
//! checks, our key loading and the bastion tunnel all agree with the real server.
//!
//! Needs /usr/sbin/sshd and ssh-keygen (Debian: openssh-server, openssh-client). Without them
//! each test says so loudly and passes, unless PLAY_REQUIRE_SSHD=1 (set it in CI) makes that a
//! failure.
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::*;

const SSHD: &str = "/usr/sbin/sshd";
const PASSPHRASE: &str = "correct horse battery";

fn tools_present() -> bool {
    let keygen = Command::new("ssh-keygen")
        .arg("-?")
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if Path::new(SSHD).exists() && keygen {
        return true;
    }
    let message = "sshd or ssh-keygen is missing: install openssh-server and openssh-client (apt-get install openssh-server) to run the SSH integration tests";
    if std::env::var_os("PLAY_REQUIRE_SSHD").is_some() {
        panic!("{message}");
    }
    eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
    false
}

fn keygen(args: &[&str]) {
    let out = Command::new("ssh-keygen")
        .args(args)
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn local_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id runs");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Client keys: several types, one passphrase-protected, one the server does not know.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        keygen(&["-q", "-t", "ed25519", "-N", "", "-f", &p("ed25519")]);
        keygen(&["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", &p("rsa")]);
        keygen(&[
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-m",
            "PEM",
            "-N",
            "",
            "-f",
            &p("rsa_pem"),
        ]);
        keygen(&[
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-m",
            "PEM",
            "-N",
            PASSPHRASE,
            "-f",
            &p("rsa_pem_enc"),
        ]);
        keygen(&[
            "-q",
            "-t",
            "ecdsa",
            "-b",
            "256",
            "-N",
            "",
            "-f",
            &p("ecdsa"),
        ]);
        keygen(&[
            "-q",
            "-t",
            "ed25519",
            "-N",
            PASSPHRASE,
            "-f",
            &p("ed25519_enc"),
        ]);
        keygen(&["-q", "-t", "ed25519", "-N", "", "-f", &p("stranger")]);
        let mut authorized = String::new();
        for name in [
            "ed25519",
            "rsa",
            "rsa_pem",
            "rsa_pem_enc",
            "ecdsa",
            "ed25519_enc",
        ] {
            authorized.push_str(&std::fs::read_to_string(p(&format!("{name}.pub"))).unwrap());
        }
        std::fs::write(dir.path().join("authorized_keys"), authorized).unwrap();
        Keys { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One sshd, killed when dropped.
struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sshd {
    fn start(keys: &Keys) -> Sshd {
        Sshd::start_on(keys, free_port(), None)
    }

    /// Starts on `port`, with the host key of `reuse` when given (a restarted server).
    fn start_on(keys: &Keys, port: u16, reuse: Option<tempfile::TempDir>) -> Sshd {
        let dir = reuse.unwrap_or_else(|| {
            let dir = tempfile::tempdir().unwrap();
            keygen(&[
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-f",
                &dir.path().join("host_ed25519").to_string_lossy(),
            ]);
            dir
        });
        let _ = std::fs::create_dir_all("/run/sshd"); // privilege separation dir, when root
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {k}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowTcpForwarding yes\nLogLevel ERROR\n",
            d = dir.path().display(),
            k = keys.path("authorized_keys").display(),
        );
        let config_path = dir.path().join("sshd_config");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sshd starts");
        let sshd = Sshd { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen on {port}: {}",
                sshd.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    fn host_key_line(&self) -> String {
        let public = std::fs::read_to_string(self.dir.path().join("host_ed25519.pub")).unwrap();
        let mut words = public.split_whitespace();
        format!("{} {}", words.next().unwrap(), words.next().unwrap())
    }

    /// `[127.0.0.1]:port key`, a known_hosts line for this server.
    fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}\n", self.port, self.host_key_line())
    }

    fn fingerprint(&self) -> String {
        let out = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.dir.path().join("host_ed25519.pub"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    }

    /// Stops the server and cuts its open connections (sshd forks one process per
    /// connection, which outlives the listener); returns its folder (host key) for a restart.
    fn stop(mut self) -> (u16, tempfile::TempDir) {
        for pid in children_of(self.child.id()) {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.port;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (port, dir)
    }
}

/// Processes whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        if ppid == Some(parent) {
            children.push(pid);
        }
    }
    children
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn known_hosts_with(dir: &Path, lines: &str) -> PathBuf {
    let file = dir.join(format!("known_hosts_{}", free_port()));
    std::fs::write(&file, lines).unwrap();
    file
}

fn options(port: u16, key: PathBuf, known_hosts: PathBuf) -> ConnectOptions {
    ConnectOptions {
        host: "127.0.0.1".into(),
        port,
        user: local_user(),
        identity_files: vec![key],
        key_passphrase: None,
        agent_socket: None,
        known_hosts_files: vec![known_hosts],
        host_key_alias: None,
        host_key_policy: HostKeyPolicy::Strict,
        connect_timeout: Duration::from_secs(5),
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_max: 3,
        jump: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_and_run_against_real_sshd() {
    if !tools_present() {
        return;
    }
    let keys = Keys::new();
    let sshd = Sshd::start(&keys);
    let kh = known_hosts_with(keys.dir.path(), &sshd.known_hosts_line());
    let pool = SshPool::new();
    let session = pool
        .connect(&options(sshd.port, keys.path("ed25519"), kh))
        .await
        .unwrap();
    assert_eq!(pool.connections_opened(), 1);

    let out = session
        .run(
            "cat; echo to-stderr >&2; exit 3",
            b"hello\nworld\n",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        ExecOutput {
            status: Some(3),
            stdout: b"hello\nworld\n".to_vec(),
            stderr: b"to-stderr\n".to_vec()
        }
    );

    // A long-lived, bidirectional channel (how the agent is driven).
    let (mut stdin, stdout, mut exit) = session.exec("cat").await.unwrap().into_parts();
    let mut lines = BufReader::new(stdout).lines();
    for word in ["ping", "pong"] {
        stdin
            .write_all(format!("{word}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some(word));
    }
    stdin.shutdown().await.unwrap();
    assert_eq!(lines.next_line().await.unwrap(), None);
    assert_eq!(exit.wait().await.unwrap().status, Some(0));

    let (_stdin, mut stdout, mut exit) = session
        .exec("echo partial; echo oops >&2; kill -TERM $$")
        .await
        .unwrap()
        .into_parts();
    let mut text = String::new();
    stdout.read_to_string(&mut text).await.unwrap();
    let info = exit.wait().await.unwrap();
    assert_eq!(
        (text.as_str(), info.status, info.signal.as_deref()),
        ("partial\n", None, Some("TERM"))
    );
    assert_eq!(info.stderr_tail, b"oops\n");

    let err = session
        .run("sleep 5", b"", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SshError::CommandTimeout { .. }) && !err.is_unreachable(),
        "{err}"
    );
    let err = session
        .run("head -c 17000000 /dev/zero", b"", Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("more than 16 MiB to stdout"),
        "{err}"
    );
    // The session still works after those.
    assert_eq!(
        session
            .run("true", b"", Duration::from_secs(5))
            .await
            .unwrap()
            .status,
        Some(0)
    );
    session.close().await;
    let err = session
        .run("true", b"", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.is_unreachable(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jump_through_one_shared_bastion_connection() {
    if !tools_present() {
        return;
    }
    let keys = Keys::new();
    let bastion = Sshd::start(&keys);
    let target = Sshd::start(&keys);
    let kh = known_hosts_with(
        keys.dir.path(),
        &(bastion.known_hosts_line() + &target.known_hosts_line()),
    );
    let mut opts = options(target.port, keys.path("ed25519"), kh.clone());
    opts.jump = Some(Box::new(options(
        bastion.port,
        keys.path("ed25519"),
        kh.clone(),
    )));
    let pool = SshPool::new();
    let (a, b, c) = tokio::join!(
        pool.connect(&opts),
        pool.connect(&opts),
        pool.connect(&opts)
    );
    let sessions = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(
        pool.bastion_connections_opened(),
        1,
        "one bastion connection for all three"
    );
    assert_eq!(pool.connections_opened(), 4);
    for session in &sessions {
        let out = session
            .run("echo $SSH_CONNECTION", b"", Duration::from_secs(10))
            .await
            .unwrap();
        let seen = String::from_utf8(out.stdout).unwrap();
        assert!(
            seen.trim().ends_with(&format!("127.0.0.1 {}", target.port)),
            "{seen}"
        );
    }

    // The target's key unknown behind a bastion: the advice is to scan from the bastion.
    let mut unknown = opts.clone();
    unknown.known_hosts_files = vec![known_hosts_with(keys.dir.path(), "")];
    let err = pool.connect(&unknown).await.unwrap_err();
    assert!(
        matches!(err, SshError::HostKeyUnknown { .. })
            && err.to_string().contains("on the bastion"),
        "{err}"
    );
    // A target port nothing listens on, behind the bastion.
    let mut closed = opts.clone();
    closed.port = free_port();
    let err = pool.connect(&closed).await.unwrap_err();
    assert!(
        err.to_string().contains("could not connect to 127.0.0.1:"),
        "{err}"
    );
    assert_eq!(pool.bastion_connections_opened(), 1);

    // The bastion dies: every session behind it fails, as unreachable.
    let (bastion_port, bastion_dir) = bastion.stop();
    for session in &sessions {
        let err = session
            .run("true", b"", Duration::from_secs(10))
            .await
            .unwrap_err();
        assert!(err.is_unreachable(), "{err}");
    }
    let (a, b) = tokio::join!(pool.connect(&opts), pool.connect(&opts));
    for err in [a.unwrap_err(), b.unwrap_err()] {
        assert!(
            matches!(&err, SshError::Jump { source, .. } if matches!(**source, SshError::Refused { .. })),
            "{err}"
        );
        assert!(err.is_unreachable());
    }
    // Back up: the pool opens a new bastion connection.
    let _bastion = Sshd::start_on(&keys, bastion_port, Some(bastion_dir));
    let session = pool.connect(&opts).await.unwrap();
    assert_eq!(
        session
            .run("echo ok", b"", Duration::from_secs(10))
            .await
            .unwrap()
            .stdout,
        b"ok\n"
    );
    assert_eq!(pool.bastion_connections_opened(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_checking_against_real_sshd() {
    if !tools_present() {
        return;
    }
    let keys = Keys::new();
    let sshd = Sshd::start(&keys);
    let pool = SshPool::new();
    let dir = keys.dir.path();
    let key = || keys.path("ed25519");

    let empty = known_hosts_with(dir, "");
    let err = pool
        .connect(&options(sshd.port, key(), empty.clone()))
        .await
        .unwrap_err();
    match &err {
        SshError::HostKeyUnknown { fingerprint, .. } => {
            assert_eq!(fingerprint, &sshd.fingerprint())
        }
        other => panic!("expected HostKeyUnknown, got {other}"),
    }
    assert!(err.to_string().contains("ssh-keyscan -p"), "{err}");

    let other_key = std::fs::read_to_string(keys.path("stranger.pub")).unwrap();
    let other_key: Vec<&str> = other_key.split_whitespace().take(2).collect();
    let changed = known_hosts_with(
        dir,
        &format!("# old\n[127.0.0.1]:{} {}\n", sshd.port, other_key.join(" ")),
    );
    let err = pool
        .connect(&options(sshd.port, key(), changed.clone()))
        .await
        .unwrap_err();
    match &err {
        SshError::HostKeyChanged { file_line, .. } => {
            assert_eq!(file_line, &format!("{}:2", changed.display()))
        }
        other => panic!("expected HostKeyChanged, got {other}"),
    }
    assert!(err.to_string().contains("ssh-keygen -R"), "{err}");

    let revoked = known_hosts_with(
        dir,
        &format!(
            "{}@revoked * {}\n",
            sshd.known_hosts_line(),
            sshd.host_key_line()
        ),
    );
    let err = pool
        .connect(&options(sshd.port, key(), revoked))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SshError::HostKeyRefused { .. }) && err.to_string().contains("@revoked"),
        "{err}"
    );

    let mut accept = options(sshd.port, key(), empty.clone());
    accept.host_key_policy = HostKeyPolicy::AcceptNew;
    pool.connect(&accept).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&empty).unwrap(),
        sshd.known_hosts_line()
    );
    pool.connect(&options(sshd.port, key(), empty))
        .await
        .expect("recorded key is now known");
    // accept-new never overrides a changed key.
    let mut accept_changed = options(sshd.port, key(), changed);
    accept_changed.host_key_policy = HostKeyPolicy::AcceptNew;
    assert!(matches!(
        pool.connect(&accept_changed).await,
        Err(SshError::HostKeyChanged { .. })
    ));

    let mut aliased = options(
        sshd.port,
        key(),
        known_hosts_with(dir, &format!("myalias {}\n", sshd.host_key_line())),
    );
    aliased.host_key_alias = Some("myalias".into());
    pool.connect(&aliased)
        .await
        .expect("looked up under the alias");

    let mut off = options(sshd.port, key(), PathBuf::from("/dev/null"));
    off.host_key_policy = HostKeyPolicy::Off;
    pool.connect(&off).await.expect("no checking");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_types_and_passphrases_against_real_sshd() {
    if !tools_present() {
        return;
    }
    let keys = Keys::new();
    let sshd = Sshd::start(&keys);
    let kh = known_hosts_with(keys.dir.path(), &sshd.known_hosts_line());
    let pool = SshPool::new();
    let connect = |name: &str, passphrase: Option<&str>| {
        let mut opts = options(sshd.port, keys.path(name), kh.clone());
        opts.key_passphrase = passphrase.map(String::from);
        let pool = &pool;
        async move { pool.connect(&opts).await }
    };
    for name in ["rsa", "rsa_pem", "ecdsa"] {
        let session = connect(name, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            session
                .run("echo ok", b"", Duration::from_secs(5))
                .await
                .unwrap()
                .stdout,
            b"ok\n"
        );
    }
    for name in ["ed25519_enc", "rsa_pem_enc"] {
        connect(name, Some(PASSPHRASE))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let err = connect(name, None).await.unwrap_err();
        assert!(matches!(err, SshError::KeyFile { .. }), "{name}: {err}");
        let text = err.to_string();
        assert!(
            text.contains("is encrypted: give its passphrase") && text.contains("ssh-agent"),
            "{text}"
        );
        let err = connect(name, Some("wrong")).await.unwrap_err();
        assert!(
            err.to_string().contains("wrong passphrase"),
            "{name}: {err}"
        );
        assert!(
            !err.to_string().contains("wrong\""),
            "the passphrase is not echoed: {err}"
        );
    }
    let err = connect("stranger", None).await.unwrap_err();
    match &err {
        SshError::AuthFailed { tried, .. } => assert!(tried[0].ends_with("stranger"), "{tried:?}"),
        other => panic!("expected AuthFailed, got {other}"),
    }
    let err = connect("no_such_key", None).await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_agent_keys_are_used() {
    if !tools_present() {
        return;
    }
    let keys = Keys::new();
    let sshd = Sshd::start(&keys);
    let kh = known_hosts_with(keys.dir.path(), &sshd.known_hosts_line());
    let socket = keys.path("agent.sock");
    let Ok(mut agent) = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(Stdio::null())
        .spawn()
    else {
        eprintln!("ssh-agent missing: agent test skipped");
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg(keys.path("ed25519"))
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    // The only key file is unauthorized and the encrypted one has no passphrase: the agent's key must do.
    let mut opts = options(sshd.port, keys.path("stranger"), kh);
    opts.agent_socket = Some(socket);
    let result = SshPool::new().connect(&opts).await;
    let _ = agent.kill();
    let _ = agent.wait();
    result.expect("authenticated with the agent's key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_failures_are_bounded_and_unreachable() {
    if !tools_present() {
        return;
    }
    let keys = Keys::new();
    let kh = known_hosts_with(keys.dir.path(), "");
    let pool = SshPool::new();
    // A listener that never answers: TCP connects (the kernel accepts), SSH never speaks.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut opts = options(
        silent.local_addr().unwrap().port(),
        keys.path("ed25519"),
        kh.clone(),
    );
    opts.connect_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = pool.connect(&opts).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, SshError::Timeout { .. }) && err.is_unreachable(),
        "{err}"
    );
    // Nothing listening.
    let err = pool
        .connect(&options(free_port(), keys.path("ed25519"), kh.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::Refused { .. }), "{err}");
    // A bastion that never answers bounds the hosts behind it too.
    let mut behind = options(22, keys.path("ed25519"), kh);
    behind.jump = Some(Box::new(opts.clone()));
    let started = Instant::now();
    let err = pool.connect(&behind).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, SshError::Jump { .. }) && err.is_unreachable(),
        "{err}"
    );
    drop(silent);
}
