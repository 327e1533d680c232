//! Interop with the real ansible-vault (ansible-core 2.19), both ways: what Ansible
//! encrypts, play opens; what play encrypts, Ansible opens (including inline values loaded by
//! Ansible itself from a vars file).
//!
//! ansible-core lives in a venv at /var/cache/play-vault-venv, reused when present and
//! installed from PyPI on a fresh machine (python3 with venv needed). When that cannot be done
//! each test says so loudly and passes, unless PLAY_REQUIRE_ANSIBLE_VAULT=1 (set it in CI)
//! makes it a failure. Passwords go to Ansible in files, never on its command line.
#![allow(clippy::print_stderr)]

use super::tests::{password_file, Run, FIXTURE_PASSWORD};
use super::*;
use crate::output::Secrets;
use serde_json::json;
use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const VENV: &str = "/var/cache/play-vault-venv";
const ANSIBLE_CORE: &str = "ansible-core==2.19.*";

fn venv_works(bin: &Path) -> bool {
    Command::new(bin.join("ansible-vault"))
        .arg("--version")
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("core 2.19")
        })
}

fn run_ok(command: &mut Command) -> Result<(), String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

/// The venv's bin folder, installing ansible-core first if needed (one installer at a time,
/// across test processes too).
fn install() -> Result<PathBuf, String> {
    let bin = Path::new(VENV).join("bin");
    if venv_works(&bin) {
        return Ok(bin);
    }
    fs::create_dir_all("/var/cache").map_err(|e| format!("/var/cache: {e}"))?;
    let lock = fs::File::create(format!("{VENV}.lock")).map_err(|e| format!("{VENV}.lock: {e}"))?;
    // SAFETY: flock on an fd we own; released when `lock` is closed.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(format!("cannot lock {VENV}.lock"));
    }
    if venv_works(&bin) {
        return Ok(bin);
    }
    eprintln!("installing {ANSIBLE_CORE} into {VENV} for the vault interop tests...");
    let _ = fs::remove_dir_all(VENV);
    run_ok(Command::new("python3").args(["-m", "venv", VENV]))?;
    run_ok(
        Command::new(bin.join("pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                ANSIBLE_CORE,
            ])
            .stdin(Stdio::null()),
    )?;
    if venv_works(&bin) {
        Ok(bin)
    } else {
        Err(format!(
            "{VENV} was installed but ansible-vault does not run"
        ))
    }
}

fn ansible_bin() -> Option<PathBuf> {
    static READY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match READY.get_or_init(install) {
        Ok(bin) => Some(bin.clone()),
        Err(e) => {
            let message = format!("ansible-vault is not available ({e}): install python3 with venv (apt-get install python3-venv) to run the vault interop tests");
            if std::env::var_os("PLAY_REQUIRE_ANSIBLE_VAULT").is_some() {
                panic!("{message}");
            }
            eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
            None
        }
    }
}

/// Runs an Ansible program in `dir`, away from any ansible.cfg or vault settings of ours.
fn ansible(bin: &Path, program: &str, dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin.join(program))
        .args(args)
        .current_dir(dir)
        .env("ANSIBLE_LOCAL_TEMP", dir.join(".ansible-tmp"))
        .env("ANSIBLE_HOME", dir.join(".ansible"))
        .env_remove("ANSIBLE_CONFIG")
        .env_remove("ANSIBLE_VAULT_PASSWORD_FILE")
        .env_remove("ANSIBLE_VAULT_IDENTITY_LIST")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const PLAIN: &str = "db_password: pässwörd ✓\nport: 5432\n";

#[test]
fn ansible_made_vaults_open_in_play() {
    let Some(bin) = ansible_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = password_file(d, "pw", FIXTURE_PASSWORD);
    let prod = format!("prod@{pw}");
    for (name, id_args) in [
        ("v11.yml", ["--vault-password-file", &pw]),
        ("v12.yml", ["--vault-id", &prod]),
    ] {
        fs::write(d.join(name), PLAIN).unwrap();
        let mut args = vec!["encrypt"];
        args.extend(id_args);
        args.push(name);
        ansible(&bin, "ansible-vault", d, &args, b"");
    }
    assert!(fs::read(d.join("v12.yml"))
        .unwrap()
        .starts_with(b"$ANSIBLE_VAULT;1.2;AES256;prod\n"));

    for name in ["v11.yml", "v12.yml"] {
        let file = d.join(name);
        let out = Run::new(&["view", "--vault-id", &prod, file.to_str().unwrap()]).go();
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout_text(), PLAIN);
    }

    // encrypt_string, 1.1 and 1.2, from stdin (multi-line) and from an argument.
    let mut vars = String::new();
    for args in [
        [
            "encrypt_string",
            "--vault-password-file",
            &pw,
            "--stdin-name",
            "from_stdin",
        ],
        [
            "encrypt_string",
            "--vault-id",
            &prod,
            "--stdin-name",
            "from_stdin_prod",
        ],
    ] {
        let out = ansible(&bin, "ansible-vault", d, &args, b"line one\nline two\n");
        vars.push_str(&String::from_utf8(out.stdout).unwrap());
    }
    let out = ansible(
        &bin,
        "ansible-vault",
        d,
        &[
            "encrypt_string",
            "--vault-id",
            &prod,
            "--name",
            "from_arg",
            "tok-42",
        ],
        b"",
    );
    vars.push_str(&String::from_utf8(out.stdout).unwrap());
    fs::write(d.join("vars.yml"), &vars).unwrap();
    let node = crate::yaml::parse_file(&d.join("vars.yml")).unwrap();
    let mut value = node.to_value();
    let censor = Secrets::default();
    decrypt_vars_in_place(
        &VaultSecrets::with_password(FIXTURE_PASSWORD),
        &mut value,
        &censor,
    )
    .unwrap();
    assert_eq!(
        value,
        json!({
            "from_stdin": "line one\nline two\n",
            "from_stdin_prod": "line one\nline two\n",
            "from_arg": "tok-42",
        })
    );
    assert_eq!(censor.censor("tok-42"), "********");
}

#[test]
fn play_made_vaults_open_in_ansible() {
    let Some(bin) = ansible_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = password_file(d, "pw", FIXTURE_PASSWORD);
    let prod = format!("prod@{pw}");

    // Whole files, 1.1 and 1.2.
    for (name, id_args) in [
        ("p11.yml", ["--vault-password-file", &pw]),
        ("p12.yml", ["--vault-id", &prod]),
    ] {
        let file = d.join(name);
        fs::write(&file, PLAIN).unwrap();
        let mut args = vec!["encrypt"];
        args.extend(id_args);
        args.push(file.to_str().unwrap());
        let out = Run::new(&args).go();
        assert_eq!(out.code, 0, "{}", out.stderr);
        let out = ansible(
            &bin,
            "ansible-vault",
            d,
            &["view", "--vault-id", &prod, name],
            b"",
        );
        assert_eq!(String::from_utf8(out.stdout).unwrap(), PLAIN, "{name}");
    }
    let out = ansible(
        &bin,
        "ansible-vault",
        d,
        &["decrypt", "--vault-id", &prod, "--output", "-", "p12.yml"],
        b"",
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), PLAIN);

    // Rekeyed by play: Ansible opens it with the new password only.
    let new_pw = password_file(d, "new-pw", "rekeyed-by-play");
    let p11 = d.join("p11.yml");
    let out = Run::new(&[
        "rekey",
        "--vault-password-file",
        &pw,
        "--new-vault-password-file",
        &new_pw,
        p11.to_str().unwrap(),
    ])
    .go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = ansible(
        &bin,
        "ansible-vault",
        d,
        &["view", "--vault-password-file", &new_pw, "p11.yml"],
        b"",
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), PLAIN);

    // Inline values written by play's encrypt-string, loaded by Ansible from a vars file.
    let mut run = Run::new(&[
        "encrypt-string",
        "--vault-id",
        &prod,
        "--stdin-name",
        "multi",
        "--name",
        "token",
        "play-secret",
    ]);
    run.stdin = b"line1\nline2".to_vec();
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let vars = out.stdout_text();
    assert!(vars.contains("$ANSIBLE_VAULT;1.2;AES256;prod"), "{vars}");
    fs::write(d.join("vars.yml"), &vars).unwrap();
    let out = ansible(
        &bin,
        "ansible",
        d,
        &[
            "localhost",
            "-c",
            "local",
            "-m",
            "debug",
            "-a",
            "msg={{ token ~ '|' ~ multi }}",
            "-e",
            "@vars.yml",
            "--vault-id",
            &prod,
        ],
        b"",
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(r#""msg": "play-secret|line1\nline2""#),
        "{stdout}"
    );
}
