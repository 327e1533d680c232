//! `play vault ...` on the command line, as clap types with ansible-vault's options, and
//! [`VaultOpts`]: the password options that `play` runs take too (flatten it into their args).

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Where vault passwords come from (ansible-vault's and ansible-playbook's options).
#[derive(Debug, Args, Clone, Default)]
pub struct VaultOpts {
    /// A vault identity: `LABEL@SOURCE`, where SOURCE is a password file, an executable
    /// script printing the password, or `prompt` (repeatable; tried in order).
    #[arg(long = "vault-id", value_name = "LABEL@SOURCE")]
    pub vault_ids: Vec<String>,

    /// Ask for the vault password on the terminal.
    #[arg(
        short = 'J',
        long = "ask-vault-password",
        visible_alias = "ask-vault-pass"
    )]
    pub ask_vault_pass: bool,

    /// A file holding the vault password, or an executable script printing it (repeatable).
    /// Also read from $PLAY_VAULT_PASSWORD_FILE and $ANSIBLE_VAULT_PASSWORD_FILE.
    #[arg(
        long = "vault-password-file",
        visible_alias = "vault-pass-file",
        value_name = "FILE"
    )]
    pub vault_password_files: Vec<PathBuf>,
}

/// Options every `play vault` action takes.
#[derive(Debug, Args, Clone, Default)]
pub struct CommonOpts {
    #[command(flatten)]
    pub vault: VaultOpts,

    /// More output (accepted for ansible-vault compatibility).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--encrypt-vault-id` as the actions that write new vault text take it (edit and rekey mean
/// something else by it and say so in their own help).
#[derive(Debug, Args, Clone, Default)]
pub struct EncryptVaultId {
    /// The vault id to encrypt with (required if more than one vault id is given).
    #[arg(
        id = "encrypt_vault_id",
        long = "encrypt-vault-id",
        value_name = "LABEL"
    )]
    pub label: Option<String>,
}

/// `--output` of encrypt and decrypt, which otherwise rewrite their inputs in place.
#[derive(Debug, Args, Clone, Default)]
pub struct InPlaceOutput {
    /// Write here instead of in place (`-` for stdout); only with one input.
    #[arg(id = "output", long = "output", value_name = "FILE")]
    pub path: Option<PathBuf>,
}

/// Encrypt, decrypt, view and edit ansible-vault files and values.
#[derive(Debug, Args)]
pub struct VaultArgs {
    #[command(subcommand)]
    pub action: VaultAction,
}

#[derive(Debug, Subcommand)]
pub enum VaultAction {
    /// Create a new encrypted file in $EDITOR.
    Create(CreateArgs),
    /// Encrypt files (or stdin) in place or to --output.
    Encrypt(EncryptArgs),
    /// Decrypt files (or stdin) in place or to --output.
    Decrypt(DecryptArgs),
    /// Print the plaintext of encrypted files.
    View(FilesArgs),
    /// Edit an encrypted file in $EDITOR; it is encrypted again when the editor exits.
    Edit(EditArgs),
    /// Encrypt files again with a new password.
    Rekey(RekeyArgs),
    /// Encrypt a string into a `!vault |` value for a YAML file.
    #[command(name = "encrypt-string", visible_alias = "encrypt_string")]
    EncryptString(EncryptStringArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub common: CommonOpts,

    #[command(flatten)]
    pub encrypt_with: EncryptVaultId,

    /// Open the editor even when stdout is not a terminal.
    #[arg(long = "skip-tty-check")]
    pub skip_tty_check: bool,

    /// The file to create.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub common: CommonOpts,

    #[command(flatten)]
    pub output: InPlaceOutput,

    #[command(flatten)]
    pub encrypt_with: EncryptVaultId,

    /// Files to encrypt (none or `-`: stdin to stdout).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    #[command(flatten)]
    pub common: CommonOpts,

    #[command(flatten)]
    pub output: InPlaceOutput,

    /// Files to decrypt (none or `-`: stdin to stdout).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FilesArgs {
    #[command(flatten)]
    pub common: CommonOpts,

    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    #[command(flatten)]
    pub common: CommonOpts,

    /// Accepted as ansible-vault does; an edited file keeps the vault id it had.
    #[arg(long = "encrypt-vault-id", value_name = "LABEL")]
    pub encrypt_vault_id: Option<String>,

    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RekeyArgs {
    #[command(flatten)]
    pub common: CommonOpts,

    /// The new password's file (or executable script).
    #[arg(
        long = "new-vault-password-file",
        value_name = "FILE",
        conflicts_with = "new_vault_id"
    )]
    pub new_vault_password_file: Option<PathBuf>,

    /// The new vault identity, `LABEL@SOURCE`.
    #[arg(long = "new-vault-id", value_name = "LABEL@SOURCE")]
    pub new_vault_id: Option<String>,

    /// Which new vault id to encrypt with.
    #[arg(long = "encrypt-vault-id", value_name = "LABEL")]
    pub encrypt_vault_id: Option<String>,

    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EncryptStringArgs {
    #[command(flatten)]
    pub common: CommonOpts,

    /// Write here instead of stdout.
    #[arg(long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub encrypt_with: EncryptVaultId,

    /// Ask for the string to encrypt (and its variable name) on the terminal.
    #[arg(short = 'p', long = "prompt")]
    pub prompt: bool,

    /// Show the string while typing it at --prompt.
    #[arg(long = "show-input")]
    pub show_input: bool,

    /// The variable name for each string, in order (repeatable).
    #[arg(short = 'n', long = "name", value_name = "NAME")]
    pub names: Vec<String>,

    /// Read the string from stdin and name it NAME.
    #[arg(long = "stdin-name", value_name = "NAME")]
    pub stdin_name: Option<String>,

    /// Strings to encrypt (`-` or none: read stdin). Prefer stdin or --prompt: arguments are
    /// visible to other users of the machine.
    #[arg(value_name = "STRING")]
    pub strings: Vec<String>,
}
