//! Turning the password options into [`VaultSecrets`], in Ansible's order: every `--vault-id`,
//! then every password file (`--vault-password-file`, then $PLAY_VAULT_PASSWORD_FILE and
//! $ANSIBLE_VAULT_PASSWORD_FILE) labelled `default`, then a prompt when asked for (or, for
//! ansible-vault's own commands, when nothing else was given).
//!
//! A password file is read and stripped; an executable one is run with no arguments and its
//! stdout is the password (a `*-client` script gets `--vault-id LABEL`, as in Ansible). The
//! password never goes into a child's argv or environment, nor into any message.

use super::cli::VaultOpts;
use super::envelope::{is_vault_file, DEFAULT_ID};
use super::error::VaultError;
use super::prompt::Prompter;
use super::secrets::VaultSecrets;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zeroize::Zeroizing;

/// Password files named by the environment.
#[derive(Debug, Clone, Default)]
pub struct VaultEnv {
    pub password_files: Vec<PathBuf>,
}

impl VaultEnv {
    /// $PLAY_VAULT_PASSWORD_FILE, then $ANSIBLE_VAULT_PASSWORD_FILE (each if set, not empty).
    pub fn from_process() -> VaultEnv {
        let password_files = ["PLAY_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE"]
            .iter()
            .filter_map(std::env::var_os)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .collect();
        VaultEnv { password_files }
    }
}

/// What the passwords are for: it decides the prompts and whether to prompt unasked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Reading vaults; `auto_prompt`: ask on the terminal when no source was given
    /// (ansible-vault does, a playbook run does not).
    Decrypt { auto_prompt: bool },
    /// Choosing a new password: prompts ask twice.
    NewPassword,
}

/// One identity to load: a label (or none) and where its password is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdSlug {
    pub label: Option<String>,
    pub source: String,
}

impl IdSlug {
    /// `label@source`, or a bare `source` (Ansible's `split_vault_id`).
    pub(crate) fn parse(text: &str) -> Result<IdSlug, VaultError> {
        let (label, source) = match text.split_once('@') {
            Some((label, source)) => (Some(label.to_string()), source.to_string()),
            None => (None, text.to_string()),
        };
        if text.contains(';') {
            return Err(VaultError::usage(format!(
                "'{text}' is not a valid vault id. The character ';' is not allowed in vault ids"
            )));
        }
        if source.is_empty() {
            return Err(VaultError::usage(format!(
                "--vault-id '{text}' names no password source: use LABEL@FILE or LABEL@prompt"
            )));
        }
        Ok(IdSlug { label, source })
    }

    fn file(path: &Path) -> IdSlug {
        IdSlug {
            label: Some(DEFAULT_ID.into()),
            source: path.display().to_string(),
        }
    }

    fn ask() -> IdSlug {
        IdSlug {
            label: Some(DEFAULT_ID.into()),
            source: "prompt_ask_vault_pass".into(),
        }
    }
}

/// The secrets the options (and environment) name, for `purpose`.
pub fn load_secrets(
    opts: &VaultOpts,
    env: &VaultEnv,
    purpose: Purpose,
    prompter: &mut dyn Prompter,
) -> Result<VaultSecrets, VaultError> {
    let mut slugs = opts
        .vault_ids
        .iter()
        .map(|s| IdSlug::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    for file in opts.vault_password_files.iter().chain(&env.password_files) {
        let slug = IdSlug::file(file);
        if !slugs.contains(&slug) {
            slugs.push(slug);
        }
    }
    let auto_prompt = match purpose {
        Purpose::Decrypt { auto_prompt } => auto_prompt,
        Purpose::NewPassword => true,
    };
    if opts.ask_vault_pass || (slugs.is_empty() && auto_prompt) {
        slugs.push(IdSlug::ask());
    }
    resolve(&slugs, purpose == Purpose::NewPassword, prompter)
}

/// Loads each slug's password, in order.
pub(crate) fn resolve(
    slugs: &[IdSlug],
    new_password: bool,
    prompter: &mut dyn Prompter,
) -> Result<VaultSecrets, VaultError> {
    let mut secrets = VaultSecrets::new();
    for slug in slugs {
        let label = slug.label.clone().unwrap_or_else(|| DEFAULT_ID.into());
        let password = match slug.source.as_str() {
            "prompt" | "prompt_ask_vault_pass" => {
                let prompts = prompts(&label, slug.source == "prompt", new_password);
                ask_password(&label, &prompts, prompter)?
            }
            file => read_password_file(Path::new(file), &label, &secrets)?,
        };
        secrets.add(label, password.to_vec());
    }
    Ok(secrets)
}

/// Ansible's prompt texts (the `--ask-vault-pass` ones are the old, label-less format).
fn prompts(label: &str, labelled: bool, new_password: bool) -> Vec<String> {
    match (labelled, new_password) {
        (true, true) => vec![
            format!("New vault password ({label}): "),
            format!("Confirm new vault password ({label}): "),
        ],
        (true, false) => vec![format!("Vault password ({label}): ")],
        (false, true) => vec![
            "New Vault password: ".into(),
            "Confirm New Vault password: ".into(),
        ],
        (false, false) => vec!["Vault password: ".into()],
    }
}

fn ask_password(
    label: &str,
    prompts: &[String],
    prompter: &mut dyn Prompter,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut first: Option<Zeroizing<Vec<u8>>> = None;
    for prompt in prompts {
        let answer = prompter.ask(prompt, false)?.ok_or_else(|| {
            VaultError::password(format!("EOFError (ctrl-d) on prompt for ({label})"))
        })?;
        if answer.is_empty() {
            return Err(VaultError::password("Invalid vault password was provided"));
        }
        let answer = Zeroizing::new(answer.trim().as_bytes().to_vec());
        match &first {
            None => first = Some(answer),
            Some(first) if *first != answer => {
                return Err(VaultError::password("Passwords do not match"))
            }
            Some(_) => {}
        }
    }
    first.ok_or_else(|| VaultError::password("no vault password was asked for"))
}

/// A password file's password: its stripped content, or an executable's stdout. `known`
/// decrypts a password file that is itself vault-encrypted (as Ansible allows).
pub fn read_password_file(
    path: &Path,
    label: &str,
    known: &VaultSecrets,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|_| {
        VaultError::password(format!("The vault password file {shown} was not found"))
    })?;
    if meta.is_dir() {
        return Err(VaultError::password(format!(
            "The vault password file provided '{shown}' can not be a directory"
        )));
    }
    let password = if meta.permissions().mode() & 0o111 != 0 {
        run_password_script(path, label)?
    } else {
        let bytes = Zeroizing::new(
            std::fs::read(path)
                .map_err(|e| VaultError::io("Could not read vault password file", path, &e))?,
        );
        let mut content = Zeroizing::new(bytes.trim_ascii().to_vec());
        if is_vault_file(&content) {
            let decrypted = known.decrypt(&content).map_err(|e| e.at(&shown))?;
            content = decrypted.plaintext;
        }
        Zeroizing::new(trim_line_ends(&content).to_vec())
    };
    if password.is_empty() {
        let from = if meta.permissions().mode() & 0o111 != 0 {
            "script"
        } else {
            "file"
        };
        return Err(VaultError::password(format!(
            "Invalid vault password was provided from {from} ({shown}): it is empty"
        )));
    }
    Ok(password)
}

/// Runs a password script. Its stderr goes to the terminal (so it may prompt) unless it is
/// a `-client` script, whose stderr explains a failure.
fn run_password_script(path: &Path, label: &str) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let shown = path.display();
    // An absolute path, so a bare name is not looked up in $PATH instead.
    let program = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let client = path
        .file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.ends_with("-client"));
    let mut command = Command::new(&program);
    command.stdin(Stdio::inherit()).stdout(Stdio::piped());
    if client {
        command.args(["--vault-id", label]).stderr(Stdio::piped());
    } else {
        command.stderr(Stdio::inherit());
    }
    let output = command.output().map_err(|e| {
        VaultError::password(format!(
            "Problem running vault password script {shown} ({e}). If this is not a script, \
             remove the executable bit from the file."
        ))
    })?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        let rc = output
            .status
            .code()
            .map_or_else(|| "killed by a signal".to_string(), |c| c.to_string());
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(VaultError::password(
            if client && output.status.code() == Some(2) {
                format!(
                "Vault password client script {shown} did not find a secret for vault-id={label}: {stderr}"
            )
            } else if client {
                format!(
                "Vault password client script {shown} returned non-zero ({rc}) when getting secret for vault-id={label}: {stderr}"
            )
            } else {
                format!("Vault password script {shown} returned non-zero ({rc})")
            },
        ));
    }
    Ok(Zeroizing::new(trim_line_ends(&stdout).to_vec()))
}

/// Python's `bytes.strip(b'\r\n')`.
fn trim_line_ends(bytes: &[u8]) -> &[u8] {
    let is_end = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = bytes.iter().position(|b| !is_end(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_end(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_id_slugs() {
        assert_eq!(
            IdSlug::parse("prod@secrets/pw").unwrap(),
            IdSlug {
                label: Some("prod".into()),
                source: "secrets/pw".into()
            }
        );
        assert_eq!(IdSlug::parse("pw.txt").unwrap().label, None);
        assert!(IdSlug::parse("a;b@pw")
            .unwrap_err()
            .to_string()
            .contains("';'"));
        assert!(IdSlug::parse("prod@").is_err());
    }

    #[test]
    fn trims_only_line_ends() {
        assert_eq!(trim_line_ends(b"\r\n pw \n\n"), b" pw ");
        assert_eq!(trim_line_ends(b"\n\n"), b"");
    }
}
