//! `~/.ssh/config` (or the file given with `-F`): parsed into blocks of raw option lines, then
//! looked up per host name with OpenSSH's rules: `Host` patterns (`*`, `?`, `!negation`), the
//! first value obtained for an option wins, `IdentityFile` accumulates, `Include` (with globs,
//! relative to ~/.ssh or /etc/ssh) is read in place and stays under the enclosing `Host`.
//! `Match` blocks are skipped. Values stay raw strings with their file:line until resolve.rs
//! turns them into typed settings, so a bad value is reported where it was written.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::args::shell_split;
use super::pattern::pattern_list_match;
use super::SshError;

/// One `Keyword value...` line (or `-o Keyword=value`, or a setting derived from a variable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLine {
    /// Lowercased keyword (OpenSSH keywords are case-insensitive).
    pub keyword: String,
    pub args: Vec<String>,
    /// Where it was written: `file:line`, or `host web1: var ansible_port`, ...
    pub at: String,
}

impl ConfigLine {
    /// The first argument, or "" for a line without one.
    pub fn value(&self) -> &str {
        self.args.first().map(String::as_str).unwrap_or("")
    }
}

/// Options in effect for one host, first value wins, from several sources stacked by
/// [`SshOptions::set`] (highest precedence first).
#[derive(Debug, Clone, Default)]
pub struct SshOptions {
    first: IndexMap<String, ConfigLine>,
    identity_files: Vec<ConfigLine>,
}

impl SshOptions {
    /// Adds a line unless its option already has a value. `IdentityFile` accumulates;
    /// `ProxyJump` and `ProxyCommand` share one slot, as in OpenSSH (whichever comes first).
    pub fn set(&mut self, line: ConfigLine) {
        if line.keyword == "identityfile" {
            self.identity_files.push(line);
            return;
        }
        let slot = match line.keyword.as_str() {
            "proxyjump" | "proxycommand" => "proxy".to_string(),
            other => other.to_string(),
        };
        self.first.entry(slot).or_insert(line);
    }

    /// The winning line for a keyword (lowercase; `proxy` for ProxyJump/ProxyCommand).
    pub fn get(&self, keyword: &str) -> Option<&ConfigLine> {
        self.first.get(keyword)
    }

    /// Every IdentityFile line, in precedence order.
    pub fn identity_files(&self) -> &[ConfigLine] {
        &self.identity_files
    }

    /// Stacks `lower` under these options.
    pub fn merge_under(&mut self, lower: &SshOptions) {
        for line in lower.first.values() {
            self.set(line.clone());
        }
        self.identity_files
            .extend(lower.identity_files.iter().cloned());
    }
}

/// Facts about the local user that options expand to (`~`, `%d`, `%u`, ssh-agent).
#[derive(Debug, Clone)]
pub struct LocalEnv {
    pub home: PathBuf,
    pub user: String,
    /// SSH_AUTH_SOCK, if set.
    pub agent_socket: Option<PathBuf>,
}

impl LocalEnv {
    /// Reads HOME, USER (or LOGNAME) and SSH_AUTH_SOCK.
    pub fn from_process() -> LocalEnv {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .or_else(std::env::home_dir)
            .unwrap_or_else(|| PathBuf::from("/"));
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "root".to_string());
        let agent_socket = std::env::var_os("SSH_AUTH_SOCK")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        LocalEnv {
            home,
            user,
            agent_socket,
        }
    }

    /// Expands a leading `~/` (or a lone `~`) to the home folder.
    pub fn expand_tilde(&self, path: &str) -> PathBuf {
        if path == "~" {
            self.home.clone()
        } else if let Some(rest) = path.strip_prefix("~/") {
            self.home.join(rest)
        } else {
            PathBuf::from(path)
        }
    }
}

#[derive(Debug, Clone)]
struct Block {
    /// Pattern lists that must all match: the block's own `Host` line and those of the
    /// blocks it was included from. Empty: applies to every host.
    conditions: Vec<Vec<String>>,
    /// A `Match` block: never applies.
    skipped: bool,
    lines: Vec<ConfigLine>,
}

/// A parsed ssh_config (the user's file, then the system-wide one, unless `-F` names one).
#[derive(Debug, Clone)]
pub struct SshConfig {
    blocks: Vec<Block>,
    pub env: LocalEnv,
}

const MAX_INCLUDE_DEPTH: usize = 16;

impl SshConfig {
    /// No configuration at all (what `-F /dev/null` gives).
    pub fn empty(env: LocalEnv) -> SshConfig {
        SshConfig {
            blocks: Vec::new(),
            env,
        }
    }

    /// Loads `explicit` (the `-F` file: must exist), or else ~/.ssh/config then
    /// /etc/ssh/ssh_config, each skipped when missing.
    pub fn load(explicit: Option<&Path>, env: LocalEnv) -> Result<SshConfig, SshError> {
        let mut config = SshConfig::empty(env);
        match explicit {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| SshError::Config {
                    at: path.display().to_string(),
                    why: format!("cannot read this ssh config file: {e}"),
                })?;
                let base = config.env.home.join(".ssh");
                config.parse_into(&text, path, &base, &[], 0)?;
            }
            None => {
                let user_file = config.env.home.join(".ssh/config");
                let sources = [
                    (user_file, config.env.home.join(".ssh")),
                    (
                        PathBuf::from("/etc/ssh/ssh_config"),
                        PathBuf::from("/etc/ssh"),
                    ),
                ];
                for (file, base) in sources {
                    if let Ok(text) = std::fs::read_to_string(&file) {
                        config.parse_into(&text, &file, &base, &[], 0)?;
                    }
                }
            }
        }
        Ok(config)
    }

    /// Parses config text as if read from `file`; `Include` paths are relative to ~/.ssh.
    pub fn parse(text: &str, file: &Path, env: LocalEnv) -> Result<SshConfig, SshError> {
        let mut config = SshConfig::empty(env);
        let base = config.env.home.join(".ssh");
        config.parse_into(text, file, &base, &[], 0)?;
        Ok(config)
    }

    fn parse_into(
        &mut self,
        text: &str,
        file: &Path,
        include_base: &Path,
        outer: &[Vec<String>],
        depth: usize,
    ) -> Result<(), SshError> {
        let mut current = Block {
            conditions: outer.to_vec(),
            skipped: false,
            lines: Vec::new(),
        };
        for (index, raw) in text.lines().enumerate() {
            let at = format!("{}:{}", file.display(), index + 1);
            let Some((keyword, args)) = split_line(raw).map_err(|why| SshError::Config {
                at: at.clone(),
                why,
            })?
            else {
                continue;
            };
            match keyword.as_str() {
                "host" | "match" => {
                    let finished = std::mem::replace(
                        &mut current,
                        Block {
                            conditions: outer.to_vec(),
                            skipped: false,
                            lines: Vec::new(),
                        },
                    );
                    self.blocks.push(finished);
                    if keyword == "host" {
                        current.conditions.push(args);
                    } else if args.len() == 1 && args[0].eq_ignore_ascii_case("all") {
                        // `Match all` applies everywhere: nothing to add.
                    } else {
                        tracing::debug!(
                            "{at}: skipping a Match block (play does not evaluate Match)"
                        );
                        current.skipped = true;
                    }
                }
                "include" => {
                    if current.skipped {
                        continue;
                    }
                    // The included lines must land after what this block said so far.
                    let conditions = current.conditions.clone();
                    let finished = std::mem::replace(
                        &mut current,
                        Block {
                            conditions: conditions.clone(),
                            skipped: false,
                            lines: Vec::new(),
                        },
                    );
                    self.blocks.push(finished);
                    if depth >= MAX_INCLUDE_DEPTH {
                        return Err(SshError::Config {
                            at,
                            why: "Include nested too deeply (a file including itself?)".into(),
                        });
                    }
                    for pattern in &args {
                        let pattern = self.env.expand_tilde(pattern);
                        let pattern = if pattern.is_absolute() {
                            pattern
                        } else {
                            include_base.join(pattern)
                        };
                        for path in expand_glob(&pattern) {
                            match std::fs::read_to_string(&path) {
                                Ok(text) => self.parse_into(
                                    &text,
                                    &path,
                                    include_base,
                                    &conditions,
                                    depth + 1,
                                )?,
                                Err(e) => tracing::debug!("{at}: Include {}: {e}", path.display()),
                            }
                        }
                    }
                }
                _ => current.lines.push(ConfigLine { keyword, args, at }),
            }
        }
        self.blocks.push(current);
        Ok(())
    }

    /// The options that apply to `host` (the name as given: inventory name or ansible_host),
    /// in file order, first value winning.
    pub fn lookup(&self, host: &str) -> SshOptions {
        let mut options = SshOptions::default();
        for block in &self.blocks {
            if block.skipped
                || !block
                    .conditions
                    .iter()
                    .all(|patterns| pattern_list_match(patterns.iter().map(String::as_str), host))
            {
                continue;
            }
            for line in &block.lines {
                options.set(line.clone());
            }
        }
        options
    }
}

/// Splits `Keyword value...`, `Keyword=value` or `Keyword = value`; `None` for blank lines
/// and comments.
fn split_line(raw: &str) -> Result<Option<(String, Vec<String>)>, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let end = line
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(line.len());
    let keyword = line[..end].to_lowercase();
    let rest = line[end..].trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
    let args = if keyword == "proxycommand" {
        vec![rest.to_string()] // a command line, split later by whoever runs or reads it
    } else {
        shell_split(rest)?
    };
    Ok(Some((keyword, args)))
}

/// Expands `*`/`?` in any component of an absolute path, sorted, existing paths only.
fn expand_glob(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("/")];
    for component in pattern.components().skip(1) {
        let part = component.as_os_str().to_string_lossy();
        let mut next = Vec::new();
        for base in &found {
            if part.contains(['*', '?']) {
                let Ok(entries) = std::fs::read_dir(base) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.') && super::pattern::wildcard_match(&part, n))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|n| base.join(n)));
            } else {
                next.push(base.join(part.as_ref()));
            }
        }
        found = next;
    }
    found.into_iter().filter(|p| p.exists()).collect()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
