//! Unit tests of the vault layer against fixed vectors made by ansible-vault (testdata/,
//! password in testdata/password), and of `play vault` run in-process on temp files with a
//! scripted prompter and editor scripts.

use super::*;
use crate::commands::vault::{run_with, VaultIo};
use crate::inventory::{Inventory, LoadOptions};
use crate::output::{Mode, Printer, PrinterOptions, Secrets};
use clap::Parser;
use serde_json::json;
use std::collections::VecDeque;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

pub(super) const FIXTURE_PASSWORD: &str = "fixture-pass";

pub(super) fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/vault/testdata")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(testdata(name)).unwrap()
}

fn right() -> VaultSecrets {
    VaultSecrets::with_password(FIXTURE_PASSWORD)
}

fn wrong() -> VaultSecrets {
    VaultSecrets::with_password("not-the-password")
}

// ---------------------------------------------------------------- fixed vectors

#[test]
fn ansible_whole_files_decrypt() {
    let plain = fixture("plain.yml");
    let got = decrypt_file_bytes(&right(), &fixture("whole_1.1.yml"), Path::new("x")).unwrap();
    assert_eq!(got, plain);

    // 1.2 with a vault id: the matching label is tried first, but ids are only hints.
    let mut labelled = VaultSecrets::new();
    labelled.add("dev", "not-the-password");
    labelled.add("prod", FIXTURE_PASSWORD);
    let d = labelled.decrypt(&fixture("whole_1.2_prod.yml")).unwrap();
    assert_eq!(*d.plaintext, plain);
    assert_eq!(d.header_id.as_deref(), Some("prod"));
    assert_eq!(d.secret_id, "prod");
    let d = right().decrypt(&fixture("whole_1.2_prod.yml")).unwrap();
    assert_eq!(d.secret_id, "default");
}

#[test]
fn ansible_inline_values_decrypt_and_are_censored() {
    let node = crate::yaml::parse_file(&testdata("inline.yml")).unwrap();
    let mut value = node.to_value();
    assert!(contains_vault(&value));
    let censor = Secrets::default();
    decrypt_vars_in_place(&right(), &mut value, &censor).unwrap();
    assert!(!contains_vault(&value));
    assert_eq!(value["api_token"], json!("tok-12345"));
    assert_eq!(value["api_token_prod"], json!("tok-12345"));
    assert_eq!(value["multi"], json!("multi\nline"));
    assert_eq!(value["plain"], json!("not secret"));
    assert_eq!(censor.censor("token is tok-12345"), "token is ********");
    assert_eq!(censor.censor("not secret"), "not secret");
}

#[test]
fn wrong_password_names_the_place_and_never_the_password() {
    // Located tree: file:line:column of the vaulted value.
    let mut node = crate::yaml::parse_file(&testdata("inline.yml")).unwrap();
    let err = decrypt_node_in_place(&wrong(), &mut node, &Secrets::default()).unwrap_err();
    assert_eq!(err.kind, VaultErrorKind::DecryptionFailed);
    let text = err.to_string();
    assert!(
        text.starts_with("Decryption failed (no vault secrets were found that could decrypt) on "),
        "{text}"
    );
    assert!(text.contains("inline.yml:5:"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");

    // Plain values: the variable's path.
    let mut value = json!({"db": {"users": [{"pw": {"__ansible_vault":
        String::from_utf8(fixture("whole_1.1.yml")).unwrap()}}]}});
    let err = decrypt_vars_in_place(&wrong(), &mut value, &Secrets::default()).unwrap_err();
    assert!(
        err.to_string().contains("on variable 'db.users[0].pw'"),
        "{err}"
    );

    // A map of variables with known locations: the variable's file:line:column.
    let file = crate::playbook::load_vars_file(&testdata("inline.yml"), None).unwrap();
    let mut vars = file.vars.clone();
    let err = decrypt_vars_map_in_place(&wrong(), &mut vars, Some(&file.locs), &Secrets::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("could decrypt) on ") && err.contains("inline.yml:5:"),
        "{err}"
    );
    let err = decrypt_vars_map_in_place(&wrong(), &mut vars, None, &Secrets::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("on variable 'api_token'"), "{err}");
    decrypt_vars_map_in_place(&right(), &mut vars, Some(&file.locs), &Secrets::default()).unwrap();
    assert_eq!(vars["api_token"], json!("tok-12345"));

    // No password at all.
    let err = decrypt_value(&VaultSecrets::new(), "$ANSIBLE_VAULT;1.1;AES256\n6162\n").unwrap_err();
    assert_eq!(err.kind, VaultErrorKind::NoSecrets);
    assert!(err.to_string().contains("--vault-password-file"), "{err}");
}

/// The vault file with its inner "salt\nhmac\nciphertext" rewritten by `change`.
fn tampered(change: impl Fn(&mut Vec<Vec<u8>>)) -> String {
    let text = String::from_utf8(fixture("whole_1.1.yml")).unwrap();
    let hex_text: String = text.lines().skip(1).collect();
    let inner = hex::decode(hex_text).unwrap();
    let mut parts: Vec<Vec<u8>> = inner.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    change(&mut parts);
    let inner = parts.join(&b'\n');
    format!("$ANSIBLE_VAULT;1.1;AES256\n{}\n", hex::encode(inner))
}

fn flip_hex_digit(part: &mut [u8], at: usize) {
    part[at] = if part[at] == b'0' { b'1' } else { b'0' };
}

#[test]
fn tampering_is_detected() {
    // Untouched, the rebuilt text still opens: the helper itself is sound.
    assert!(right().decrypt(tampered(|_| {}).as_bytes()).is_ok());
    for part in 0..3 {
        let text = tampered(|parts| flip_hex_digit(&mut parts[part], 5));
        let err = right().decrypt(text.as_bytes()).unwrap_err();
        assert_eq!(err.kind, VaultErrorKind::DecryptionFailed, "part {part}");
    }
    // A header naming another cipher.
    let text = String::from_utf8(fixture("whole_1.1.yml"))
        .unwrap()
        .replace("AES256", "AES");
    let err = right().decrypt(text.as_bytes()).unwrap_err();
    assert_eq!(err.kind, VaultErrorKind::Format);
    assert!(err.to_string().contains("Cipher 'AES'"), "{err}");
}

#[test]
fn truncated_payloads_are_format_errors() {
    let text = String::from_utf8(fixture("whole_1.1.yml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Cut inside the salt: no HMAC or ciphertext left.
    let cut = format!("{}\n{}\n", lines[0], &lines[1][..40]);
    let err = right().decrypt(cut.as_bytes()).unwrap_err();
    assert_eq!(err.kind, VaultErrorKind::Format);
    assert!(err.to_string().contains("cut short"), "{err}");
    // An odd number of hex digits.
    let cut = format!("{}\n{}\n", lines[0], &lines[1][..41]);
    assert_eq!(
        right().decrypt(cut.as_bytes()).unwrap_err().kind,
        VaultErrorKind::Format
    );
    // Only the header.
    let err = right().decrypt(b"$ANSIBLE_VAULT;1.1;AES256\n").unwrap_err();
    assert_eq!(err.kind, VaultErrorKind::Format);
    // Losing the last line changes the ciphertext: the HMAC no longer matches.
    let cut = lines[..lines.len() - 1].join("\n");
    assert!(right().decrypt(cut.as_bytes()).is_err());
}

#[test]
fn encrypt_round_trip_and_headers() {
    let text = encrypt_bytes(b"hello\n", b"pw", Some("prod")).unwrap();
    assert!(text.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
    assert!(text.lines().skip(1).all(|l| l.len() <= 80));
    assert!(text.ends_with('\n'));
    let d = VaultSecrets::with_password("pw")
        .decrypt(text.as_bytes())
        .unwrap();
    assert_eq!(*d.plaintext, b"hello\n");
    let text = encrypt_bytes(b"", b"pw", Some(DEFAULT_ID)).unwrap();
    assert!(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
    // Fresh salt every time.
    assert_ne!(text, encrypt_bytes(b"", b"pw", None).unwrap());
    let err = encrypt_bytes(text.as_bytes(), b"pw", None).unwrap_err();
    assert!(err.to_string().contains("already encrypted"));
}

#[test]
fn debug_shows_labels_not_passwords() {
    let mut s = VaultSecrets::new();
    s.add("prod", "hunter2-secret");
    let shown = format!("{s:?}");
    assert!(
        shown.contains("prod") && !shown.contains("hunter2"),
        "{shown}"
    );
}

// ---------------------------------------------------------------- password sources

fn write_exec(path: &Path, script: &str) {
    fs::write(path, script).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn password_files_and_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let none = VaultSecrets::new();
    let file = dir.path().join("pw");
    fs::write(&file, "  fixture-pass \r\n\n").unwrap();
    assert_eq!(
        &*read_password_file(&file, "default", &none).unwrap(),
        b"fixture-pass"
    );

    // An executable is run, with no arguments; its stdout (line ends stripped) is the password.
    let argv = dir.path().join("argv");
    let script = dir.path().join("pw.sh");
    write_exec(
        &script,
        &format!(
            "#!/bin/sh\necho \"$#:$*\" > {}\nprintf ' spaced pw\\n'\n",
            argv.display()
        ),
    );
    assert_eq!(
        &*read_password_file(&script, "default", &none).unwrap(),
        b" spaced pw"
    );
    assert_eq!(fs::read_to_string(&argv).unwrap(), "0:\n");

    // A `-client` script is asked for the label.
    let client = dir.path().join("vault-client.sh");
    write_exec(
        &client,
        "#!/bin/sh\n[ \"$1 $2\" = '--vault-id prod' ] || { echo \"no secret for $2\" >&2; exit 2; }\necho client-pw\n",
    );
    assert_eq!(
        &*read_password_file(&client, "prod", &none).unwrap(),
        b"client-pw"
    );
    let err = read_password_file(&client, "dev", &none)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("did not find a secret for vault-id=dev: no secret for dev"),
        "{err}"
    );

    let failing = dir.path().join("fail.sh");
    write_exec(&failing, "#!/bin/sh\necho half-a-password\nexit 3\n");
    let err = read_password_file(&failing, "default", &none)
        .unwrap_err()
        .to_string();
    assert!(err.contains("returned non-zero (3)"), "{err}");
    assert!(!err.contains("half-a-password"), "{err}");

    let empty = dir.path().join("empty");
    fs::write(&empty, "\n").unwrap();
    let err = read_password_file(&empty, "default", &none)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Invalid vault password was provided from file"),
        "{err}"
    );
    let err = read_password_file(&dir.path().join("missing"), "default", &none).unwrap_err();
    assert!(err.to_string().contains("was not found"), "{err}");

    // A vaulted password file opens with a secret given before it.
    let vaulted = dir.path().join("vaulted-pw");
    fs::write(
        &vaulted,
        encrypt_bytes(b"inner-pw\n", b"outer", None).unwrap(),
    )
    .unwrap();
    let outer = VaultSecrets::with_password("outer");
    assert_eq!(
        &*read_password_file(&vaulted, "default", &outer).unwrap(),
        b"inner-pw"
    );
}

/// Answers prompts from a script and records what was asked.
#[derive(Default)]
pub(super) struct Scripted {
    pub answers: VecDeque<&'static str>,
    pub asked: Vec<(String, bool)>,
}

impl Prompter for Scripted {
    fn ask(&mut self, prompt: &str, echo: bool) -> Result<Option<Zeroizing<String>>, VaultError> {
        self.asked.push((prompt.to_string(), echo));
        Ok(self
            .answers
            .pop_front()
            .map(|a| Zeroizing::new(a.to_string())))
    }
}

#[test]
fn load_secrets_orders_sources_like_ansible() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    fs::write(&a, "pw-a").unwrap();
    fs::write(&b, "pw-b").unwrap();
    let opts = cli::VaultOpts {
        vault_ids: vec![format!("prod@{}", a.display()), "dev@prompt".into()],
        ask_vault_pass: false,
        vault_password_files: vec![b.clone()],
    };
    let env = VaultEnv {
        password_files: vec![b.clone(), a.clone()],
    };
    let mut prompter = Scripted {
        answers: ["typed"].into(),
        ..Scripted::default()
    };
    let purpose = Purpose::Decrypt { auto_prompt: false };
    let secrets = load_secrets(&opts, &env, purpose, &mut prompter).unwrap();
    // --vault-id first, then the files (each once), labelled default.
    let ids: Vec<&str> = secrets.ids().collect();
    assert_eq!(ids, ["prod", "dev", "default", "default"]);
    assert_eq!(
        prompter.asked,
        [("Vault password (dev): ".to_string(), false)]
    );

    // Nothing given: a run asks nothing, ansible-vault's commands ask.
    let none = cli::VaultOpts::default();
    let mut prompter = Scripted::default();
    let secrets = load_secrets(&none, &VaultEnv::default(), purpose, &mut prompter).unwrap();
    assert!(secrets.is_empty() && prompter.asked.is_empty());
    let mut prompter = Scripted {
        answers: ["one", "two"].into(),
        ..Scripted::default()
    };
    let err = load_secrets(
        &none,
        &VaultEnv::default(),
        Purpose::NewPassword,
        &mut prompter,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Passwords do not match");
    let asked: Vec<&str> = prompter.asked.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        asked,
        ["New Vault password: ", "Confirm New Vault password: "]
    );
}

// ---------------------------------------------------------------- loaders

#[test]
fn vaulted_group_vars_load_through_the_inventory_hook() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("group_vars")).unwrap();
    let hosts = dir.path().join("hosts.yml");
    fs::write(&hosts, "all:\n  hosts:\n    web1:\n").unwrap();
    let vars = dir.path().join("group_vars/all.yml");
    fs::write(&vars, fixture("whole_1.1.yml")).unwrap();
    let sources = [hosts.display().to_string()];

    let hook = InventoryVault {
        secrets: right(),
        secrets_out: Secrets::default(),
    };
    let options = LoadOptions {
        vault: Some(&hook),
        ..LoadOptions::default()
    };
    let inv = Inventory::load_with(&sources, None, &options).unwrap();
    assert_eq!(inv.host_vars("web1")["db_password"], json!("s3cret-value"));
    assert_eq!(hook.secrets_out.censor("s3cret-value"), "********");

    let hook = InventoryVault {
        secrets: wrong(),
        secrets_out: Secrets::default(),
    };
    let options = LoadOptions {
        vault: Some(&hook),
        ..LoadOptions::default()
    };
    let err = Inventory::load_with(&sources, None, &options)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Decryption failed (no vault secrets were found that could decrypt) on "),
        "{err}"
    );
    assert!(err.contains("group_vars/all.yml"), "{err}");
}

#[test]
fn read_text_file_decrypts_only_vaults() {
    let censor = Secrets::default();
    let text = read_text_file(&right(), &testdata("whole_1.1.yml"), &censor).unwrap();
    assert_eq!(text.as_bytes(), fixture("plain.yml"));
    assert_eq!(censor.censor("s3cret-value"), "********");
    let plain = read_text_file(&VaultSecrets::new(), &testdata("plain.yml"), &censor).unwrap();
    assert_eq!(plain.as_bytes(), fixture("plain.yml"));
}

// ---------------------------------------------------------------- `play vault`

#[derive(Parser)]
struct TestCli {
    #[command(subcommand)]
    action: cli::VaultAction,
}

#[derive(Clone, Default)]
pub(super) struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// What a `play vault` run printed.
pub(super) struct Outcome {
    pub code: i32,
    pub stdout: Vec<u8>,
    /// Messages and the printer's errors and warnings.
    pub stderr: String,
}

impl Outcome {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `play vault ARGS` in-process, with `stdin`, an editor command and scripted answers.
pub(super) struct Run {
    pub args: Vec<String>,
    pub stdin: Vec<u8>,
    pub editor: String,
    pub answers: Vec<&'static str>,
    pub stdout_is_tty: bool,
    pub env_files: Vec<PathBuf>,
}

impl Run {
    pub fn new(args: &[&str]) -> Run {
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: Vec::new(),
            editor: "false".into(),
            answers: Vec::new(),
            stdout_is_tty: false,
            env_files: Vec::new(),
        }
    }

    pub fn go(&self) -> Outcome {
        let parsed = TestCli::try_parse_from(
            std::iter::once("vault").chain(self.args.iter().map(String::as_str)),
        )
        .unwrap_or_else(|e| panic!("{:?}: {e}", self.args));
        let args = cli::VaultArgs {
            action: parsed.action,
        };
        let errors = Buffer::default();
        let printer = Printer::with_writers(
            PrinterOptions {
                mode: Mode::Human,
                color: false,
                verbosity: 0,
                diff: false,
                check: false,
            },
            Secrets::default(),
            Box::new(std::io::sink()),
            Box::new(errors.clone()),
        );
        let (mut stdin, mut stdout, mut stderr) = (self.stdin.as_slice(), Vec::new(), Vec::new());
        let mut prompter = Scripted {
            answers: self.answers.iter().copied().collect(),
            ..Scripted::default()
        };
        let mut io = VaultIo {
            stdin: &mut stdin,
            stdout: &mut stdout,
            stderr: &mut stderr,
            stdin_is_tty: false,
            stdout_is_tty: self.stdout_is_tty,
            env: VaultEnv {
                password_files: self.env_files.clone(),
            },
            editor: self.editor.clone(),
            prompter: &mut prompter,
        };
        let code = run_with(&args, &printer, &mut io);
        Outcome {
            code,
            stdout,
            stderr: format!("{}{}", String::from_utf8_lossy(&stderr), errors.text()),
        }
    }
}

pub(super) fn password_file(dir: &Path, name: &str, password: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, format!("{password}\n")).unwrap();
    path.display().to_string()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn encrypt_view_decrypt_in_place_keep_the_mode() {
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path(), "pw", "cmd-pass");
    let file = dir.path().join("secrets.yml");
    fs::write(&file, "token: abc123\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let f = file.to_str().unwrap();

    let out = Run::new(&["encrypt", "--vault-password-file", &pw, f]).go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("$ANSIBLE_VAULT;1.1;AES256\n"), "{text}");
    assert_eq!(mode(&file), 0o640);

    let out = Run::new(&["view", "--vault-password-file", &pw, f]).go();
    assert_eq!(out.stdout_text(), "token: abc123\n");

    // Wrong password: one clear error, file untouched.
    let bad = password_file(dir.path(), "bad", "nope-nope");
    let out = Run::new(&["decrypt", "--vault-password-file", &bad, f]).go();
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains(&format!(
            "ERROR! Decryption failed (no vault secrets were found that could decrypt) on {f}"
        )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("nope-nope"));
    assert_eq!(fs::read_to_string(&file).unwrap(), text);

    let out = Run::new(&["decrypt", "--vault-password-file", &pw, f]).go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(fs::read_to_string(&file).unwrap(), "token: abc123\n");
    assert_eq!(mode(&file), 0o640);
}

#[test]
fn stdin_stdout_and_output_files() {
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path(), "pw", "cmd-pass");
    let mut run = Run::new(&["encrypt", "--vault-id", &format!("prod@{pw}")]);
    run.stdin = b"\x00binary\xffdata".to_vec();
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let vaulted = out.stdout.clone();
    assert!(vaulted.starts_with(b"$ANSIBLE_VAULT;1.2;AES256;prod\n"));

    // Decrypted byte for byte to stdout, with --output -.
    let mut run = Run::new(&["decrypt", "--vault-password-file", &pw, "--output", "-"]);
    run.stdin = vaulted;
    let out = run.go();
    assert_eq!(out.stdout, b"\x00binary\xffdata");

    // --output FILE: a new file, 0600.
    let input = dir.path().join("in.txt");
    fs::write(&input, "x").unwrap();
    let target = dir.path().join("out.vault");
    let out = Run::new(&[
        "encrypt",
        "--vault-password-file",
        &pw,
        "--output",
        target.to_str().unwrap(),
        input.to_str().unwrap(),
    ])
    .go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(fs::read_to_string(&input).unwrap(), "x");
    assert_eq!(mode(&target), 0o600);

    let out = Run::new(&[
        "encrypt",
        "--vault-password-file",
        &pw,
        "--output",
        "-",
        "a",
        "b",
    ])
    .go();
    assert_eq!(out.code, 5);
    assert!(
        out.stderr.contains("At most one input file"),
        "{}",
        out.stderr
    );
}

#[test]
fn several_secrets_need_encrypt_vault_id() {
    let dir = tempfile::tempdir().unwrap();
    let a = format!("a@{}", password_file(dir.path(), "a", "pass-a"));
    let b = format!("b@{}", password_file(dir.path(), "b", "pass-b"));
    let mut run = Run::new(&["encrypt", "--vault-id", &a, "--vault-id", &b]);
    run.stdin = b"data".to_vec();
    let out = run.go();
    assert_eq!(out.code, 5);
    assert!(
        out.stderr
            .contains("The vault-ids a,b are available to encrypt"),
        "{}",
        out.stderr
    );
    run.args.extend(["--encrypt-vault-id".into(), "b".into()]);
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with(b"$ANSIBLE_VAULT;1.2;AES256;b\n"));
}

#[test]
fn encrypt_string_output_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path(), "pw", "cmd-pass");
    let mut run = Run::new(&[
        "encrypt_string",
        "--vault-password-file",
        &pw,
        "--stdin-name",
        "from_stdin",
        "-n",
        "first",
        "one",
        "two",
    ]);
    run.stdin = b"line1\nline2".to_vec();
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Delimiters on stderr for several strings, never the plaintext.
    assert!(
        out.stderr.contains(
            "# The encrypted version of variable (\"from_stdin\", the string #1 from stdin)."
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("# The encrypted version of the string #3 from the command line args.)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("line1") && !out.stdout_text().contains("line1"));

    let text = out.stdout_text();
    assert!(
        text.starts_with("from_stdin: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"),
        "{text}"
    );
    // The third (unnamed) block is a bare `!vault |`: give it a key to load it.
    let text = text.replace("\n!vault |", "\nthird: !vault |");
    let node = crate::yaml::parse_str(&text, Path::new("out.yml")).unwrap();
    let mut value = node.to_value();
    let secrets = VaultSecrets::with_password("cmd-pass");
    decrypt_vars_in_place(&secrets, &mut value, &Secrets::default()).unwrap();
    assert_eq!(
        value,
        json!({"from_stdin": "line1\nline2", "first": "one", "third": "two"})
    );

    let out = Run::new(&["encrypt-string", "--vault-password-file", &pw, ""]).go();
    assert_eq!(out.code, 5);
    assert!(
        out.stderr.contains("was empty, not encrypting"),
        "{}",
        out.stderr
    );
}

#[test]
fn ask_vault_pass_prompts_twice_for_a_new_password() {
    let mut run = Run::new(&[
        "encrypt-string",
        "--ask-vault-pass",
        "--name",
        "x",
        "value1",
    ]);
    run.answers = vec!["typed-pass", "typed-pass"];
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout_text();
    let node = crate::yaml::parse_str(&text, Path::new("out.yml")).unwrap();
    let mut value = node.to_value();
    decrypt_vars_in_place(
        &VaultSecrets::with_password("typed-pass"),
        &mut value,
        &Secrets::default(),
    )
    .unwrap();
    assert_eq!(value, json!({"x": "value1"}));
}

#[test]
fn env_password_file_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path(), "pw", "env-pass");
    let mut run = Run::new(&["encrypt"]);
    run.stdin = b"data".to_vec();
    run.env_files = vec![PathBuf::from(&pw)];
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let d = VaultSecrets::with_password("env-pass")
        .decrypt(&out.stdout)
        .unwrap();
    assert_eq!(*d.plaintext, b"data");
}

/// An editor script that records the file it got (and its mode), then runs `change` on it.
fn recording_editor(dir: &Path, change: &str) -> (String, PathBuf) {
    let log = dir.join("editor.log");
    let script = dir.join("editor.sh");
    write_exec(
        &script,
        &format!(
            "#!/bin/sh\necho \"$1\" > {log}\nstat -c %a \"$1\" >> {log}\nstat -c %a \"$(dirname \"$1\")\" >> {log}\n{change}\n",
            log = log.display()
        ),
    );
    (script.display().to_string(), log)
}

#[test]
fn edit_round_trip_keeps_vault_id_mode_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let pw = format!("prod@{}", password_file(dir.path(), "pw", FIXTURE_PASSWORD));
    let file = dir.path().join("vault.yml");
    fs::write(&file, fixture("whole_1.2_prod.yml")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let f = file.to_str().unwrap();

    let (editor, log) =
        recording_editor(dir.path(), "sed -i 's/s3cret-value/changed-value/' \"$1\"");
    let mut run = Run::new(&["edit", "--vault-id", &pw, f]);
    run.editor = editor.clone();
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let logged = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = logged.lines().collect();
    assert!(lines[0].ends_with("/vault.yml"), "{logged}");
    assert_eq!(
        &lines[1..],
        ["600", "700"],
        "temp file and folder are private"
    );
    assert!(
        !Path::new(lines[0]).parent().unwrap().exists(),
        "temp folder removed"
    );

    let text = fs::read(&file).unwrap();
    assert!(text.starts_with(b"$ANSIBLE_VAULT;1.2;AES256;prod\n"));
    assert_eq!(mode(&file), 0o640);
    let d = right().decrypt(&text).unwrap();
    assert!(String::from_utf8_lossy(&d.plaintext).contains("db_password: changed-value"));

    // Unchanged content: the file is not rewritten at all.
    let (editor, _) = recording_editor(dir.path(), "true");
    let mut run = Run::new(&["edit", "--vault-id", &pw, f]);
    run.editor = editor.clone();
    assert_eq!(run.go().code, 0);
    assert_eq!(fs::read(&file).unwrap(), text);

    // A failing editor leaves the file alone and still removes the plaintext.
    let (editor, log) = recording_editor(dir.path(), "echo junk >> \"$1\"; exit 1");
    let mut run = Run::new(&["edit", "--vault-id", &pw, f]);
    run.editor = editor.clone();
    let out = run.go();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("was not changed"), "{}", out.stderr);
    assert_eq!(fs::read(&file).unwrap(), text);
    let logged = fs::read_to_string(&log).unwrap();
    assert!(!Path::new(logged.lines().next().unwrap())
        .parent()
        .unwrap()
        .exists());
}

#[test]
fn create_needs_a_tty_and_writes_a_private_vault() {
    let dir = tempfile::tempdir().unwrap();
    let pw = password_file(dir.path(), "pw", "create-pass");
    let file = dir.path().join("sub/new.yml");
    let f = file.to_str().unwrap();
    let out = Run::new(&["create", "--vault-password-file", &pw, f]).go();
    assert_eq!(out.code, 5);
    assert!(out.stderr.contains("not a tty"), "{}", out.stderr);

    let (editor, _) = recording_editor(dir.path(), "echo 'created: yes' > \"$1\"");
    let mut run = Run::new(&["create", "--vault-password-file", &pw, f]);
    run.editor = editor.clone();
    run.stdout_is_tty = true;
    let out = run.go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not exist, creating..."),
        "{}",
        out.stderr
    );
    assert_eq!(mode(&file), 0o600);
    let d = VaultSecrets::with_password("create-pass")
        .decrypt(&fs::read(&file).unwrap())
        .unwrap();
    assert_eq!(*d.plaintext, b"created: yes\n");

    let out = run.go();
    assert!(
        out.stderr.contains("exists, please use 'edit' instead"),
        "{}",
        out.stderr
    );
}

#[test]
fn rekey_changes_the_password_and_keeps_the_mode() {
    let dir = tempfile::tempdir().unwrap();
    let old = password_file(dir.path(), "old", FIXTURE_PASSWORD);
    let new = password_file(dir.path(), "new", "brand-new-pass");
    let file = dir.path().join("vault.yml");
    fs::write(&file, fixture("whole_1.1.yml")).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o604)).unwrap();
    let f = file.to_str().unwrap();

    let out = Run::new(&[
        "rekey",
        "--vault-password-file",
        &old,
        "--new-vault-password-file",
        &new,
        f,
    ])
    .go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Rekey successful"));
    assert_eq!(mode(&file), 0o604);
    let text = fs::read(&file).unwrap();
    assert!(right().decrypt(&text).is_err());
    let d = VaultSecrets::with_password("brand-new-pass")
        .decrypt(&text)
        .unwrap();
    assert_eq!(*d.plaintext, fixture("plain.yml"));

    // To a new vault id.
    let new_id = format!("staging@{new}");
    let out = Run::new(&[
        "rekey",
        "--vault-password-file",
        &new,
        "--new-vault-id",
        &new_id,
        f,
    ])
    .go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(fs::read(&file)
        .unwrap()
        .starts_with(b"$ANSIBLE_VAULT;1.2;AES256;staging\n"));

    // Script as the new password source.
    let script = dir.path().join("newpw.sh");
    write_exec(&script, "#!/bin/sh\necho scripted-pass\n");
    let out = Run::new(&[
        "rekey",
        "--vault-password-file",
        &new,
        "--new-vault-password-file",
        script.to_str().unwrap(),
        f,
    ])
    .go();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let d = VaultSecrets::with_password("scripted-pass").decrypt(&fs::read(&file).unwrap());
    assert!(d.is_ok());
}

#[test]
fn play_vault_is_wired_into_the_command_line() {
    use crate::cli::{Cli, Command};
    let cli =
        Cli::try_parse_from(["play", "vault", "encrypt_string", "--name", "x", "-J", "v"]).unwrap();
    let Some(Command::Vault(args)) = cli.command else {
        panic!("not the vault command")
    };
    let cli::VaultAction::EncryptString(a) = args.action else {
        panic!("not encrypt-string")
    };
    assert!(a.common.vault.ask_vault_pass);
    assert_eq!(
        (a.names, a.strings),
        (vec!["x".to_string()], vec!["v".to_string()])
    );
}
