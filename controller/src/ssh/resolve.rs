//! Turns an inventory host (name + vars), the command-line overrides and ssh_config into
//! [`ConnectOptions`], with Ansible's precedence: host vars (ansible_port, ansible_user, ...,
//! then `-o` options in ansible_ssh_common_args / ansible_ssh_extra_args) beat command-line
//! overrides, which beat ssh_config, which beats the defaults. ssh_config is looked up by the
//! name ssh would be given (ansible_host, else the inventory name); each bastion hop is looked
//! up by its own name, as the inner `ssh -W` of a ProxyJump would be.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::args::{parse_jump_host, parse_proxy_command, parse_ssh_args, shell_split, JumpSpec};
use super::config::{ConfigLine, LocalEnv, SshConfig, SshOptions};
use super::known_hosts::HostKeyPolicy;
use super::options::{default_global_known_hosts, default_user_known_hosts, ConnectOptions};
use super::SshError;

/// Connection settings given on play's command line (lower precedence than host vars, as
/// `-u` / `--private-key` are in Ansible).
#[derive(Clone, Default)]
pub struct SshOverrides {
    /// `-u`: remote user.
    pub user: Option<String>,
    /// `--private-key`.
    pub private_key_file: Option<PathBuf>,
    /// Passphrase of encrypted key files (never logged).
    pub key_passphrase: Option<String>,
    /// `-T`: connection timeout.
    pub connect_timeout: Option<Duration>,
    /// `--ssh-common-args` (used when a host has no ansible_ssh_common_args).
    pub ssh_common_args: Option<String>,
    /// `--ssh-extra-args` (used when a host has no ansible_ssh_extra_args).
    pub ssh_extra_args: Option<String>,
    /// Host key checking for every hop (ANSIBLE_HOST_KEY_CHECKING=False gives Off).
    pub host_key_policy: Option<HostKeyPolicy>,
    /// A known_hosts file to use instead of ~/.ssh/known_hosts (for every hop).
    pub known_hosts_file: Option<PathBuf>,
    /// A bastion for hosts that name none: `[user@]host[:port][,more]`.
    pub bastion: Option<String>,
}

impl std::fmt::Debug for SshOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshOverrides")
            .field("user", &self.user)
            .field("private_key_file", &self.private_key_file)
            .field(
                "key_passphrase",
                &self.key_passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("ssh_common_args", &self.ssh_common_args)
            .field("ssh_extra_args", &self.ssh_extra_args)
            .field("host_key_policy", &self.host_key_policy)
            .field("known_hosts_file", &self.known_hosts_file)
            .field("bastion", &self.bastion)
            .finish()
    }
}

/// Read access to a host's variables, whatever map the inventory keeps them in.
pub trait HostVars {
    fn host_var(&self, name: &str) -> Option<&Value>;
}

impl HostVars for serde_json::Map<String, Value> {
    fn host_var(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl<S: std::hash::BuildHasher> HostVars for indexmap::IndexMap<String, Value, S> {
    fn host_var(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

const PASSWORD_VARS: [&str; 3] = [
    "ansible_ssh_pass",
    "ansible_password",
    "ansible_ssh_password",
];
/// Deepest bastion chain followed (through ssh_config ProxyJump of the hops themselves).
const MAX_JUMP_DEPTH: usize = 8;

/// Resolves how to connect to inventory host `host_name`.
pub fn resolve(
    host_name: &str,
    vars: &impl HostVars,
    overrides: &SshOverrides,
    config: &SshConfig,
) -> Result<ConnectOptions, SshError> {
    let ctx = Ctx { host_name, vars };
    for name in PASSWORD_VARS {
        if ctx.var(name)?.is_some() {
            return Err(SshError::Config {
                at: ctx.var_at(name),
                why: "password login is not supported: play logs in with keys only. Install a public key on the host (ssh-copy-id) and give the private key with ansible_ssh_private_key_file, or load it into ssh-agent".into(),
            });
        }
    }
    let name = match ctx.first_var(&["ansible_host", "ansible_ssh_host"])? {
        Some((_, host)) => host,
        None => host_name.to_string(),
    };

    let mut options = SshOptions::default();
    let var_options = [
        (&["ansible_port", "ansible_ssh_port"][..], "port"),
        (&["ansible_user", "ansible_ssh_user"][..], "user"),
        (
            &["ansible_ssh_private_key_file", "ansible_private_key_file"][..],
            "identityfile",
        ),
        (
            &["ansible_timeout", "ansible_ssh_timeout"][..],
            "connecttimeout",
        ),
    ];
    for (names, keyword) in var_options {
        if let Some((var, value)) = ctx.first_var(names)? {
            options.set(line(keyword, &value, ctx.var_at(var)));
        }
    }
    for var in ["ansible_host_key_checking", "ansible_ssh_host_key_checking"] {
        if let Some(value) = ctx.var(var)? {
            let policy = match value.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => "yes",
                "false" | "no" | "0" => "no",
                _ => return Err(ctx.bad_var(var, "must be true or false")),
            };
            options.set(line("stricthostkeychecking", policy, ctx.var_at(var)));
        }
    }
    let args_sources = [
        ("ansible_ssh_args", None),
        (
            "ansible_ssh_common_args",
            overrides.ssh_common_args.as_deref(),
        ),
        (
            "ansible_ssh_extra_args",
            overrides.ssh_extra_args.as_deref(),
        ),
    ];
    for (var, fallback) in args_sources {
        let (text, at) = match ctx.var(var)? {
            Some(text) => (text, ctx.var_at(var)),
            None => match fallback {
                Some(text) => (
                    text.to_string(),
                    format!("command line ({})", var.trim_start_matches("ansible_")),
                ),
                None => continue,
            },
        };
        let words = shell_split(&text).map_err(|why| SshError::Config {
            at: at.clone(),
            why,
        })?;
        let parsed = parse_ssh_args(&words, &at).map_err(|why| SshError::Config {
            at: at.clone(),
            why,
        })?;
        for option in parsed.options {
            options.set(option);
        }
    }
    let cli = "command line";
    let mut cli_options = hop_override_options(overrides);
    if let Some(user) = &overrides.user {
        cli_options.set(line("user", user, cli.into()));
    }
    if let Some(key) = &overrides.private_key_file {
        cli_options.set(line("identityfile", &key.to_string_lossy(), cli.into()));
    }
    if let Some(timeout) = overrides.connect_timeout {
        cli_options.set(line(
            "connecttimeout",
            &timeout.as_secs().max(1).to_string(),
            cli.into(),
        ));
    }
    options.merge_under(&cli_options);
    options.merge_under(&config.lookup(&name));

    let passphrase = ctx
        .var("play_key_passphrase")?
        .or_else(|| overrides.key_passphrase.clone());
    let mut target = build_hop(&name, &options, &config.env, passphrase.clone())?;

    // play_bastion (then --bastion when the host's own settings name none) is the hop list.
    let bastion_key = ctx.var("play_bastion_key_file")?;
    let proxy = match ctx.var("play_bastion")? {
        Some(list) => Some(line("proxyjump", &list, ctx.var_at("play_bastion"))),
        None => options.get("proxy").cloned().or_else(|| {
            overrides
                .bastion
                .as_ref()
                .map(|b| line("proxyjump", b, cli.into()))
        }),
    };
    let hops = HopCtx {
        config,
        overrides,
        passphrase,
        fallback_identities: target.identity_files.clone(),
        extra_identity: bastion_key
            .map(|k| line("identityfile", &k, ctx.var_at("play_bastion_key_file"))),
    };
    target.jump = hops.jumps(proxy.as_ref(), 0)?;
    Ok(target)
}

struct Ctx<'a, V: HostVars> {
    host_name: &'a str,
    vars: &'a V,
}

impl<V: HostVars> Ctx<'_, V> {
    fn var_at(&self, var: &str) -> String {
        format!("host {}: var {var}", self.host_name)
    }

    fn bad_var(&self, var: &str, why: &str) -> SshError {
        SshError::Config {
            at: self.var_at(var),
            why: why.to_string(),
        }
    }

    /// A variable as text (numbers and booleans too); None when unset or null.
    fn var(&self, name: &str) -> Result<Option<String>, SshError> {
        match self.vars.host_var(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.bad_var(name, "must be a string, not a list or mapping")),
        }
    }

    fn first_var<'n>(&self, names: &[&'n str]) -> Result<Option<(&'n str, String)>, SshError> {
        for name in names {
            if let Some(value) = self.var(name)? {
                return Ok(Some((name, value)));
            }
        }
        Ok(None)
    }
}

fn line(keyword: &str, value: &str, at: String) -> ConfigLine {
    ConfigLine {
        keyword: keyword.to_string(),
        args: vec![value.to_string()],
        at,
    }
}

/// The command-line settings that apply to bastion hops too.
fn hop_override_options(overrides: &SshOverrides) -> SshOptions {
    let mut options = SshOptions::default();
    let at = || "command line".to_string();
    if let Some(policy) = overrides.host_key_policy {
        let value = match policy {
            HostKeyPolicy::Strict => "yes",
            HostKeyPolicy::AcceptNew => "accept-new",
            HostKeyPolicy::Off => "no",
        };
        options.set(line("stricthostkeychecking", value, at()));
    }
    if let Some(file) = &overrides.known_hosts_file {
        options.set(line("userknownhostsfile", &file.to_string_lossy(), at()));
    }
    options
}

struct HopCtx<'a> {
    config: &'a SshConfig,
    overrides: &'a SshOverrides,
    passphrase: Option<String>,
    /// The target's keys, tried on hops that name none of their own.
    fallback_identities: Vec<PathBuf>,
    /// play_bastion_key_file.
    extra_identity: Option<ConfigLine>,
}

impl HopCtx<'_> {
    /// The bastion chain a ProxyJump / ProxyCommand line asks for; the last hop is returned,
    /// with the earlier ones as its `jump`.
    fn jumps(
        &self,
        proxy: Option<&ConfigLine>,
        depth: usize,
    ) -> Result<Option<Box<ConnectOptions>>, SshError> {
        let Some(proxy) = proxy else { return Ok(None) };
        let bad = |why: String| SshError::Config {
            at: proxy.at.clone(),
            why,
        };
        if depth >= MAX_JUMP_DEPTH {
            return Err(bad(
                "the bastion chain is too long (do two hosts name each other as ProxyJump?)".into(),
            ));
        }
        let specs: Vec<(JumpSpec, Vec<ConfigLine>)> = if proxy.keyword == "proxycommand" {
            match parse_proxy_command(proxy.value(), &proxy.at).map_err(bad)? {
                Some(hop) => vec![(hop.spec, hop.options)],
                None => return Ok(None),
            }
        } else {
            let list = proxy.args.join(" ");
            if list.trim().eq_ignore_ascii_case("none") {
                return Ok(None);
            }
            list.split(',')
                .map(|hop| parse_jump_host(hop).map(|spec| (spec, Vec::new())))
                .collect::<Result<_, _>>()
                .map_err(|why| bad(format!("ProxyJump: {why}")))?
        };
        let mut previous: Option<Box<ConnectOptions>> = None;
        for (index, (spec, spec_options)) in specs.into_iter().enumerate() {
            let mut options = SshOptions::default();
            if let Some(user) = &spec.user {
                options.set(line("user", user, proxy.at.clone()));
            }
            if let Some(port) = spec.port {
                options.set(line("port", &port.to_string(), proxy.at.clone()));
            }
            if let Some(key) = &self.extra_identity {
                options.set(key.clone());
            }
            for option in spec_options {
                options.set(option);
            }
            options.merge_under(&hop_override_options(self.overrides));
            options.merge_under(&self.config.lookup(&spec.host));
            let mut hop = build_hop(
                &spec.host,
                &options,
                &self.config.env,
                self.passphrase.clone(),
            )?;
            if hop.identity_files.is_empty() {
                hop.identity_files = self.fallback_identities.clone();
            }
            hop.jump = if index == 0 {
                self.jumps(options.get("proxy"), depth + 1)?
            } else {
                previous.take()
            };
            previous = Some(Box::new(hop));
        }
        Ok(previous)
    }
}

/// Builds one hop's options from its merged settings. `name` is the name it was looked up by.
fn build_hop(
    name: &str,
    options: &SshOptions,
    env: &LocalEnv,
    key_passphrase: Option<String>,
) -> Result<ConnectOptions, SshError> {
    let bad = |l: &ConfigLine, why: String| SshError::Config {
        at: l.at.clone(),
        why,
    };
    let home = env.home.to_string_lossy().into_owned();
    let host = match options.get("hostname") {
        Some(l) => expand_tokens(l.value(), &[('h', name), ('n', name), ('%', "%")])
            .map_err(|w| bad(l, w))?,
        None => name.to_string(),
    };
    let port = match options.get("port") {
        Some(l) => l
            .value()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                bad(
                    l,
                    format!("port `{}` is not a port number (1-65535)", l.value()),
                )
            })?,
        None => 22,
    };
    let user = options
        .get("user")
        .map_or_else(|| env.user.clone(), |l| l.value().to_string());
    let port_text = port.to_string();
    let tokens = [
        ('h', host.as_str()),
        ('n', name),
        ('p', port_text.as_str()),
        ('r', user.as_str()),
        ('u', env.user.as_str()),
        ('d', home.as_str()),
        ('%', "%"),
    ];
    let path = |l: &ConfigLine, raw: &str| -> Result<PathBuf, SshError> {
        Ok(env.expand_tilde(&expand_tokens(raw, &tokens).map_err(|w| bad(l, w))?))
    };
    let mut identity_files = Vec::new();
    for l in options.identity_files() {
        if !l.value().eq_ignore_ascii_case("none") {
            identity_files.push(path(l, l.value())?);
        }
    }
    let file_list = |keyword: &str, default: Vec<PathBuf>| -> Result<Vec<PathBuf>, SshError> {
        match options.get(keyword) {
            Some(l) if l.args.len() == 1 && l.value().eq_ignore_ascii_case("none") => {
                Ok(Vec::new())
            }
            Some(l) => l.args.iter().map(|raw| path(l, raw)).collect(),
            None => Ok(default),
        }
    };
    let mut known_hosts_files =
        file_list("userknownhostsfile", default_user_known_hosts(&env.home))?;
    known_hosts_files.extend(file_list(
        "globalknownhostsfile",
        default_global_known_hosts(),
    )?);
    let host_key_policy = match options.get("stricthostkeychecking") {
        Some(l) => match l.value().to_ascii_lowercase().as_str() {
            "yes" | "ask" | "true" => HostKeyPolicy::Strict,
            "accept-new" => HostKeyPolicy::AcceptNew,
            "no" | "off" | "false" => HostKeyPolicy::Off,
            other => {
                return Err(bad(
                    l,
                    format!("StrictHostKeyChecking `{other}`: expected yes, accept-new or no"),
                ))
            }
        },
        None => HostKeyPolicy::Strict,
    };
    let seconds = |keyword: &str| -> Result<Option<u64>, SshError> {
        options
            .get(keyword)
            .map(|l| {
                l.value()
                    .parse::<u64>()
                    .map_err(|_| bad(l, format!("`{}` is not a number of seconds", l.value())))
            })
            .transpose()
    };
    let connect_timeout =
        Duration::from_secs(seconds("connecttimeout")?.filter(|s| *s > 0).unwrap_or(10));
    let keepalive_interval = match seconds("serveraliveinterval")? {
        Some(0) => None,
        Some(s) => Some(Duration::from_secs(s)),
        None => Some(Duration::from_secs(30)),
    };
    let keepalive_max = seconds("serveralivecountmax")?.unwrap_or(3).max(1) as usize;
    let agent_socket = match options.get("identityagent") {
        Some(l) if l.value().eq_ignore_ascii_case("none") => None,
        Some(l) if l.value() == "SSH_AUTH_SOCK" || l.value() == "$SSH_AUTH_SOCK" => {
            env.agent_socket.clone()
        }
        Some(l) => Some(path(l, l.value())?),
        None => env.agent_socket.clone(),
    };
    Ok(ConnectOptions {
        host,
        port,
        user,
        identity_files,
        key_passphrase,
        agent_socket,
        known_hosts_files,
        host_key_alias: options.get("hostkeyalias").map(|l| l.value().to_string()),
        host_key_policy,
        connect_timeout,
        keepalive_interval,
        keepalive_max,
        jump: None,
    })
}

/// Expands `%x` tokens from `tokens`; an unknown token is an error naming it.
fn expand_tokens(text: &str, tokens: &[(char, &str)]) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let token = chars
            .next()
            .ok_or_else(|| format!("`{text}` ends with a lone %"))?;
        let value = tokens
            .iter()
            .find(|(t, _)| *t == token)
            .ok_or_else(|| format!("`{text}`: token %{token} is not supported here"))?;
        out.push_str(value.1);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
