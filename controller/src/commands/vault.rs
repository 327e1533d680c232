//! `play vault create|encrypt|decrypt|view|edit|rekey|encrypt-string`: ansible-vault's
//! commands, with its options, messages and exit codes (1 on errors, 5 on bad options).
//!
//! Data (plaintext, vault text) goes to stdout byte for byte through [`VaultIo`]; messages go
//! to stderr and errors through the printer. Files are replaced atomically and keep their
//! mode; the editor works on a 0600 file in a private directory removed afterwards.

use crate::output::{Mode, Printer, PrinterOptions, Secrets};
use crate::run::exit;
use crate::vault::cli::{
    CreateArgs, DecryptArgs, EditArgs, EncryptArgs, EncryptStringArgs, FilesArgs, RekeyArgs,
    VaultAction, VaultArgs, VaultOpts,
};
use crate::vault::{
    self, encrypt_bytes, load_secrets, Decrypted, IdSlug, Prompter, Purpose, TtyPrompter, VaultEnv,
    VaultError, VaultErrorKind, VaultSecrets,
};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use zeroize::Zeroizing;

/// Where a vault command reads and writes: the process's stdio, or buffers in tests.
pub struct VaultIo<'a> {
    pub stdin: &'a mut dyn Read,
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
    pub stdin_is_tty: bool,
    pub stdout_is_tty: bool,
    pub env: VaultEnv,
    /// The editor command line, run through `sh` with the file as `$1`.
    pub editor: String,
    pub prompter: &'a mut dyn Prompter,
}

/// A printer for `play vault`: human mode, no colour.
pub fn printer() -> Printer {
    Printer::new(
        PrinterOptions {
            mode: Mode::Human,
            color: false,
            verbosity: 0,
            diff: false,
            check: false,
        },
        Secrets::default(),
    )
}

/// Runs `play vault ...` on the real terminal; returns the exit code.
pub fn run(args: &VaultArgs, printer: &Printer) -> i32 {
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let editor = ["ANSIBLE_EDITOR", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let mut io = VaultIo {
        stdin_is_tty: stdin.is_terminal(),
        stdout_is_tty: stdout.is_terminal(),
        stdin: &mut stdin.lock(),
        stdout: &mut stdout.lock(),
        stderr: &mut stderr.lock(),
        env: VaultEnv::from_process(),
        editor,
        prompter: &mut TtyPrompter,
    };
    run_with(args, printer, &mut io)
}

/// [`run`] with the given streams, environment and prompter.
pub fn run_with(args: &VaultArgs, printer: &Printer, io: &mut VaultIo<'_>) -> i32 {
    let result = match &args.action {
        VaultAction::Create(a) => create(a, printer, io),
        VaultAction::Encrypt(a) => encrypt(a, io),
        VaultAction::Decrypt(a) => decrypt(a, io),
        VaultAction::View(a) => view(a, io),
        VaultAction::Edit(a) => edit(a, io),
        VaultAction::Rekey(a) => rekey(a, io),
        VaultAction::EncryptString(a) => encrypt_string(a, printer, io),
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            printer.error(&e.to_string());
            match e.kind {
                VaultErrorKind::Usage => exit::BAD_OPTIONS,
                _ => exit::ERROR,
            }
        }
    }
}

type Result<T> = std::result::Result<T, VaultError>;

fn secrets(opts: &VaultOpts, purpose: Purpose, io: &mut VaultIo<'_>) -> Result<VaultSecrets> {
    let secrets = load_secrets(opts, &io.env, purpose, io.prompter)?;
    if secrets.is_empty() {
        return Err(VaultError::usage(
            "A vault password is required to use Ansible's Vault",
        ));
    }
    Ok(secrets)
}

fn say(io: &mut VaultIo<'_>, message: &str) {
    let _ = writeln!(io.stderr, "{message}");
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn read_input(path: &Path, io: &mut VaultIo<'_>) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    let read = if is_stdio(path) {
        io.stdin.read_to_end(&mut data).map(|_| ())
    } else {
        vault::read(path).map(|d| data = d)
    };
    read.map_err(|e| {
        VaultError::new(
            VaultErrorKind::Io,
            format!("Unable to read source file ({}): {e}", path.display()),
        )
    })?;
    Ok(data)
}

fn write_output(path: &Path, bytes: &[u8], io: &mut VaultIo<'_>) -> Result<()> {
    if is_stdio(path) {
        return io
            .stdout
            .write_all(bytes)
            .and_then(|_| io.stdout.flush())
            .map_err(|e| {
                VaultError::new(VaultErrorKind::Io, format!("cannot write to stdout: {e}"))
            });
    }
    vault::write_atomic(&vault::real_path(path), bytes)
        .map_err(|e| VaultError::io("cannot write", path, &e))
}

/// The inputs (stdin when none) and, for each, where its result goes.
fn targets(files: &[PathBuf], output: Option<&Path>) -> Result<Vec<(PathBuf, PathBuf)>> {
    if output.is_some() && files.len() > 1 {
        return Err(VaultError::usage(
            "At most one input file may be used with the --output option",
        ));
    }
    let stdin = [PathBuf::from("-")];
    let inputs = if files.is_empty() { &stdin[..] } else { files };
    Ok(inputs
        .iter()
        .map(|f| {
            let out = output.map_or_else(|| f.clone(), Path::to_path_buf);
            (f.clone(), out)
        })
        .collect())
}

fn located(path: &Path) -> impl Fn(VaultError) -> VaultError + '_ {
    move |e| {
        if is_stdio(path) {
            e.at("<stdin>")
        } else {
            e.at(path.display())
        }
    }
}

fn encrypt(args: &EncryptArgs, io: &mut VaultIo<'_>) -> Result<()> {
    let targets = targets(&args.files, args.output.path.as_deref())?;
    let secrets = secrets(&args.common.vault, Purpose::NewPassword, io)?;
    let (id, password) = secrets.encrypt_secret(args.encrypt_with.label.as_deref())?;
    let messages = Messages {
        reading_stdin: "Reading plaintext input from stdin",
        done: "Encryption successful",
    };
    convert_each(&args.files, targets, messages, io, |input, plain| {
        let text = encrypt_bytes(plain, password, Some(id)).map_err(located(input))?;
        Ok(Zeroizing::new(text.into_bytes()))
    })
}

fn decrypt(args: &DecryptArgs, io: &mut VaultIo<'_>) -> Result<()> {
    let targets = targets(&args.files, args.output.path.as_deref())?;
    let secrets = opening_secrets(&args.common.vault, io)?;
    let messages = Messages {
        reading_stdin: "Reading ciphertext input from stdin",
        done: "Decryption successful",
    };
    convert_each(&args.files, targets, messages, io, |input, data| {
        let decrypted = secrets.decrypt(data).map_err(located(input))?;
        Ok(decrypted.plaintext)
    })
}

/// What encrypt and decrypt tell the operator on stderr, as ansible-vault does: that stdin
/// is read (when it is a terminal), and that all went well (when stdout is one).
struct Messages {
    reading_stdin: &'static str,
    done: &'static str,
}

/// Encrypt and decrypt: each input of `targets` through `convert` to its output. `files` are
/// the inputs as given (none: stdin).
fn convert_each(
    files: &[PathBuf],
    targets: Vec<(PathBuf, PathBuf)>,
    messages: Messages,
    io: &mut VaultIo<'_>,
    convert: impl Fn(&Path, &[u8]) -> Result<Zeroizing<Vec<u8>>>,
) -> Result<()> {
    if files.is_empty() && io.stdin_is_tty {
        say(io, messages.reading_stdin);
    }
    for (input, output) in targets {
        let data = Zeroizing::new(read_input(&input, io)?);
        let converted = convert(&input, &data)?;
        write_output(&output, &converted, io)?;
    }
    if io.stdout_is_tty {
        say(io, messages.done);
    }
    Ok(())
}

/// The passwords that open existing vault text (asked for on the terminal when no source is
/// given, as ansible-vault does).
fn opening_secrets(opts: &VaultOpts, io: &mut VaultIo<'_>) -> Result<VaultSecrets> {
    secrets(opts, Purpose::Decrypt { auto_prompt: true }, io)
}

/// Reads `path` and opens it; errors name `file`, the path as the operator gave it.
fn read_and_open(
    secrets: &VaultSecrets,
    path: &Path,
    file: &Path,
    io: &mut VaultIo<'_>,
) -> Result<Decrypted> {
    let data = read_input(path, io)?;
    secrets.decrypt(&data).map_err(located(file))
}

fn view(args: &FilesArgs, io: &mut VaultIo<'_>) -> Result<()> {
    let secrets = opening_secrets(&args.common.vault, io)?;
    for file in &args.files {
        let decrypted = read_and_open(&secrets, file, file, io)?;
        write_output(Path::new("-"), &decrypted.plaintext, io)?;
    }
    Ok(())
}

fn create(args: &CreateArgs, printer: &Printer, io: &mut VaultIo<'_>) -> Result<()> {
    let [file] = args.files.as_slice() else {
        return Err(VaultError::usage(
            "play vault create takes exactly one file name",
        ));
    };
    if !(io.stdout_is_tty || args.skip_tty_check) {
        return Err(VaultError::usage(
            "not a tty, editor cannot be opened (use --skip-tty-check to open it anyway)",
        ));
    }
    let secrets = secrets(&args.common.vault, Purpose::NewPassword, io)?;
    let (id, password) = secrets.encrypt_secret(args.encrypt_with.label.as_deref())?;
    if file.is_file() {
        return Err(VaultError::usage(format!(
            "{} exists, please use 'edit' instead",
            file.display()
        )));
    }
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            printer.warn(&format!("{} does not exist, creating...", dir.display()));
            std::fs::create_dir_all(dir)
                .map_err(|e| VaultError::io("cannot create the folder", dir, &e))?;
        }
    }
    let plain = edit_in_private(file, &[], io)?;
    let text = encrypt_bytes(&plain, password, Some(id)).map_err(located(file))?;
    write_output(file, text.as_bytes(), io)
}

fn edit(args: &EditArgs, io: &mut VaultIo<'_>) -> Result<()> {
    let secrets = opening_secrets(&args.common.vault, io)?;
    for file in &args.files {
        let real = vault::real_path(file);
        let decrypted = read_and_open(&secrets, &real, file, io)?;
        let edited = edit_in_private(&real, &decrypted.plaintext, io)?;
        if *edited == *decrypted.plaintext {
            continue;
        }
        // Same password and same vault id as before, as ansible-vault does.
        let password = secrets.password_of(&decrypted);
        let text = encrypt_bytes(&edited, password, decrypted.header_id.as_deref())
            .map_err(located(file))?;
        write_output(&real, text.as_bytes(), io)?;
    }
    Ok(())
}

/// Puts `plain` in a private temp file named like `file`, runs the editor on it and returns
/// what it holds afterwards. The temp folder is wiped whatever happens.
fn edit_in_private(file: &Path, plain: &[u8], io: &mut VaultIo<'_>) -> Result<Zeroizing<Vec<u8>>> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vault".into());
    let temp = vault::PrivateTemp::new(&name, plain).map_err(|e| {
        VaultError::new(
            VaultErrorKind::Io,
            format!("cannot create a private temp file for the editor: {e}"),
        )
    })?;
    // The editor line may hold arguments and quotes (`code --wait`): the shell splits it,
    // and the file comes as "$1" so its name is never parsed as shell code.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{} \"$1\"", io.editor))
        .arg("sh")
        .arg(temp.path())
        .status()
        .map_err(|e| {
            VaultError::new(
                VaultErrorKind::Editor,
                format!("Unable to execute the editor \"{}\": {e}", io.editor),
            )
        })?;
    if !status.success() {
        return Err(VaultError::new(
            VaultErrorKind::Editor,
            format!(
                "the editor \"{}\" exited with {status}; {} was not changed",
                io.editor,
                file.display()
            ),
        ));
    }
    let edited = vault::read(temp.path()).map_err(|e| {
        VaultError::new(
            VaultErrorKind::Io,
            format!("cannot read back the edited file: {e}"),
        )
    })?;
    Ok(Zeroizing::new(edited))
}

fn rekey(args: &RekeyArgs, io: &mut VaultIo<'_>) -> Result<()> {
    let secrets = opening_secrets(&args.common.vault, io)?;
    let mut slugs = Vec::new();
    if let Some(id) = &args.new_vault_id {
        slugs.push(IdSlug::parse(id)?);
    }
    if let Some(file) = &args.new_vault_password_file {
        slugs.push(IdSlug {
            label: Some(vault::DEFAULT_ID.into()),
            source: file.display().to_string(),
        });
    }
    if slugs.is_empty() || args.common.vault.ask_vault_pass {
        slugs.push(IdSlug {
            label: Some(vault::DEFAULT_ID.into()),
            source: "prompt_ask_vault_pass".into(),
        });
    }
    let new_secrets = vault::resolve(&slugs, true, io.prompter)?;
    let (new_id, new_password) = new_secrets.encrypt_secret(args.encrypt_vault_id.as_deref())?;
    for file in &args.files {
        let real = vault::real_path(file);
        let decrypted = read_and_open(&secrets, &real, file, io)?;
        let text = encrypt_bytes(&decrypted.plaintext, new_password, Some(new_id))
            .map_err(located(file))?;
        write_output(&real, text.as_bytes(), io)?;
    }
    say(io, "Rekey successful");
    Ok(())
}

/// Where a string to encrypt came from, for the delimiters between several outputs.
const FROM_STDIN: &str = "stdin";
const FROM_ARGS: &str = "the command line args";
const FROM_PROMPT: &str = "the interactive prompt";

/// A string to encrypt, where it came from, and its variable name.
type StringInput = (Zeroizing<Vec<u8>>, &'static str, Option<String>);

fn encrypt_string(args: &EncryptStringArgs, printer: &Printer, io: &mut VaultIo<'_>) -> Result<()> {
    let read_stdin = args.strings.iter().any(|s| s == "-")
        || args.stdin_name.is_some()
        || (args.strings.is_empty() && !args.prompt);
    if args.prompt && read_stdin {
        return Err(VaultError::usage(
            "The --prompt option is not supported if also reading input from stdin",
        ));
    }
    let secrets = secrets(&args.common.vault, Purpose::NewPassword, io)?;
    let (id, password) = secrets.encrypt_secret(args.encrypt_with.label.as_deref())?;

    let mut inputs: Vec<StringInput> = Vec::new();
    if args.prompt {
        let name = io
            .prompter
            .ask("Variable name (enter for no name): ", true)?
            .filter(|n| !n.is_empty())
            .map(|n| n.to_string());
        let prompt = if args.show_input {
            "String to encrypt:"
        } else {
            "String to encrypt (hidden): "
        };
        let text = io
            .prompter
            .ask(prompt, args.show_input)?
            .unwrap_or_default();
        if text.is_empty() {
            return Err(VaultError::usage(
                "The plaintext provided from the prompt was empty, not encrypting",
            ));
        }
        inputs.push((Zeroizing::new(text.as_bytes().to_vec()), FROM_PROMPT, name));
    }
    if read_stdin {
        if io.stdout_is_tty {
            say(io, "Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)");
        }
        let text = Zeroizing::new(read_input(Path::new("-"), io)?);
        if text.is_empty() {
            return Err(VaultError::usage("stdin was empty, not encrypting"));
        }
        if io.stdout_is_tty && !text.ends_with(b"\n") {
            say(io, "");
        }
        inputs.push((text, FROM_STDIN, args.stdin_name.clone()));
    }
    let strings: Vec<&String> = args.strings.iter().filter(|s| *s != "-").collect();
    if !args.names.is_empty() && strings.len() > args.names.len() {
        // Vague on purpose: naming the unnamed strings would print them.
        printer.warn("The number of --name options do not match the number of args.");
        printer.warn(&format!(
            "The last named variable will be \"{}\". The rest will not have names.",
            args.names[args.names.len() - 1]
        ));
    }
    for (i, text) in strings.into_iter().enumerate() {
        if text.is_empty() {
            return Err(VaultError::usage(
                "The plaintext provided from the command line args was empty, not encrypting",
            ));
        }
        let name = args.names.get(i).cloned();
        inputs.push((Zeroizing::new(text.as_bytes().to_vec()), FROM_ARGS, name));
    }

    let several = inputs.len() > 1;
    let mut out = String::new();
    for (index, (plain, from, name)) in inputs.iter().enumerate() {
        let text = encrypt_bytes(plain, password, Some(id))?;
        if several {
            let n = index + 1;
            say(
                io,
                &match name {
                    Some(name) => format!(
                        "# The encrypted version of variable (\"{name}\", the string #{n} from {from})."
                    ),
                    None => format!("# The encrypted version of the string #{n} from {from}.)"),
                },
            );
        }
        out.push_str(&vault_yaml(&text, name.as_deref()));
        out.push('\n');
    }
    let target = args.output.clone().unwrap_or_else(|| PathBuf::from("-"));
    write_output(&target, out.as_bytes(), io)?;
    if io.stdout_is_tty {
        say(io, "Encryption successful");
    }
    Ok(())
}

/// `name: !vault |` and the vault text indented by 10, as ansible-vault prints it.
fn vault_yaml(vault_text: &str, name: Option<&str>) -> String {
    let mut lines = vec![match name {
        Some(name) => format!("{name}: !vault |"),
        None => "!vault |".to_string(),
    }];
    lines.extend(vault_text.lines().map(|l| format!("{:10}{l}", "")));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_yaml_matches_ansible_layout() {
        let text = "$ANSIBLE_VAULT;1.1;AES256\n6162\n";
        assert_eq!(
            vault_yaml(text, Some("token")),
            "token: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n          6162"
        );
        assert!(vault_yaml(text, None).starts_with("!vault |\n"));
    }
}
