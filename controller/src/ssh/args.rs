//! Reading OpenSSH command-line syntax where Ansible users put it: `ansible_ssh_common_args`
//! / `ansible_ssh_extra_args` (`-o Key=Value`, `-J`, `-i`, ...), `ProxyJump` host lists and
//! `ProxyCommand="ssh -W %h:%p bastion"`, the classic bastion recipe, which play turns into a
//! jump through the same shared connection instead of spawning ssh.

use super::config::ConfigLine;
use play_protocol::shell_words;

/// Splits ssh arguments (or an ssh_config value) into words, as Ansible's ssh plugin splits
/// `ansible_ssh_*_args` with `shlex.split` (the rules: [`shell_words`]); errors quote the text.
pub fn shell_split(text: &str) -> Result<Vec<String>, String> {
    shell_words::split(text).map_err(|why| format!("{why} in `{text}`"))
}

/// What an ssh command line says, as ssh_config lines plus the parts that are not options.
#[derive(Debug, Default)]
pub struct SshArgs {
    /// `-o`, `-i`, `-J`, `-l`, `-p` as config lines, in order (first value wins later).
    pub options: Vec<ConfigLine>,
    /// The destination word, if any (`[user@]host`).
    pub destination: Option<String>,
    /// The `-W host:port` target, if any (marks a ProxyCommand that forwards stdio).
    pub forward: Option<String>,
}

/// ssh flags that take an argument (from ssh(1)).
const FLAGS_WITH_ARG: &str = "BbcDEeFIiJLlmOopQRSWw";

/// Parses ssh command-line words. `at` names where they came from, for error messages.
pub fn parse_ssh_args(words: &[String], at: &str) -> Result<SshArgs, String> {
    let mut parsed = SshArgs::default();
    let mut iter = words.iter();
    while let Some(word) = iter.next() {
        let Some(flags) = word.strip_prefix('-').filter(|f| !f.is_empty()) else {
            if parsed.destination.is_none() {
                parsed.destination = Some(word.clone());
                continue;
            }
            // A remote command after the destination: nothing play can use.
            return Err(format!(
                "unexpected `{word}` after the destination `{}`",
                parsed.destination.as_deref().unwrap_or_default()
            ));
        };
        for (index, flag) in flags.char_indices() {
            if !FLAGS_WITH_ARG.contains(flag) {
                continue; // -q, -T, -v, -C, ...: nothing to do for play
            }
            let rest = &flags[index + flag.len_utf8()..];
            let value = if rest.is_empty() {
                iter.next()
                    .cloned()
                    .ok_or_else(|| format!("ssh option -{flag} needs a value"))?
            } else {
                rest.to_string()
            };
            apply_flag(&mut parsed, flag, &value, at)?;
            break;
        }
    }
    Ok(parsed)
}

fn apply_flag(parsed: &mut SshArgs, flag: char, value: &str, at: &str) -> Result<(), String> {
    let line = |keyword: &str, value: &str| ConfigLine {
        keyword: keyword.to_lowercase(),
        args: vec![value.to_string()],
        at: at.to_string(),
    };
    match flag {
        'o' => parsed.options.push(parse_option(value, at)?),
        'i' => parsed.options.push(line("IdentityFile", value)),
        'J' => parsed.options.push(line("ProxyJump", value)),
        'l' => parsed.options.push(line("User", value)),
        'p' => parsed.options.push(line("Port", value)),
        'W' => parsed.forward = Some(value.to_string()),
        'F' => {
            return Err(format!(
                "-F {value} is not read from here; give the ssh_config file to play itself (play -F {value})"
            ))
        }
        other => tracing::debug!("{at}: ignoring ssh option -{other} {value}"),
    }
    Ok(())
}

/// `Key=Value`, `Key Value` or `Key=Value with spaces` as one `-o` argument.
fn parse_option(option: &str, at: &str) -> Result<ConfigLine, String> {
    let option = option.trim();
    let split = option
        .find(|c: char| c == '=' || c.is_whitespace())
        .ok_or_else(|| format!("-o {option}: expected Key=Value"))?;
    let keyword = &option[..split];
    let value = option[split..]
        .trim_start()
        .strip_prefix('=')
        .unwrap_or(option[split..].trim_start())
        .trim();
    let args = if keyword.eq_ignore_ascii_case("ProxyCommand") {
        vec![value.to_string()] // a command line: kept whole, split when parsed
    } else {
        shell_split(value)?
    };
    Ok(ConfigLine {
        keyword: keyword.to_lowercase(),
        args,
        at: at.to_string(),
    })
}

/// One `[user@]host[:port]` hop of a ProxyJump list (also `ssh://user@host:port`, `[v6]:port`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JumpSpec {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

/// Parses one hop. `user@host:port`, `host`, `[::1]:2222`, `ssh://user@host:port`.
pub fn parse_jump_host(text: &str) -> Result<JumpSpec, String> {
    let text = text.trim();
    let rest = text.strip_prefix("ssh://").unwrap_or(text);
    let (user, host_port) = match rest.rsplit_once('@') {
        Some((user, hp)) if !user.is_empty() => (Some(user.to_string()), hp),
        _ => (None, rest),
    };
    let bad_port = |p: &str| format!("`{text}`: `{p}` is not a port number");
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("`{text}`: missing `]`"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().map_err(|_| bad_port(p))?),
            None if after.is_empty() => None,
            None => return Err(format!("`{text}`: unexpected `{after}`")),
        };
        (host.to_string(), port)
    } else if host_port.matches(':').count() == 1 {
        let (host, p) = host_port.split_once(':').unwrap_or((host_port, ""));
        (
            host.to_string(),
            Some(p.parse::<u16>().map_err(|_| bad_port(p))?),
        )
    } else {
        (host_port.to_string(), None)
    };
    if host.is_empty() || port == Some(0) {
        return Err(format!("`{text}` is not a [user@]host[:port] jump host"));
    }
    Ok(JumpSpec { user, host, port })
}

/// A ProxyCommand that play can honour: `ssh -W %h:%p [options] [user@]bastion`.
#[derive(Debug)]
pub struct ProxyHop {
    pub spec: JumpSpec,
    /// Options given to that inner ssh (`-i`, `-p`, `-o ...`), for the bastion hop itself.
    pub options: Vec<ConfigLine>,
}

/// Reads a ProxyCommand. `none` is `Ok(None)`; anything but an `ssh -W` command is an error
/// saying what play supports instead.
pub fn parse_proxy_command(command: &str, at: &str) -> Result<Option<ProxyHop>, String> {
    let command = command.trim();
    if command.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let unsupported = || {
        format!(
            "ProxyCommand `{command}` is not supported: play runs no proxy programs; use ProxyJump (or play_bastion), or the form `ssh -W %h:%p [user@]bastion`"
        )
    };
    let mut words = shell_split(command)?;
    if words.first().map(String::as_str) == Some("exec") {
        words.remove(0);
    }
    let program = words.first().ok_or_else(unsupported)?;
    if !(program == "ssh" || program.ends_with("/ssh")) {
        return Err(unsupported());
    }
    let parsed = parse_ssh_args(&words[1..], at)?;
    let (Some(_), Some(destination)) = (parsed.forward, parsed.destination) else {
        return Err(unsupported());
    };
    let mut spec = parse_jump_host(&destination)?;
    if !destination.starts_with("ssh://") {
        // Outside URIs, `host:port` is not ssh's destination syntax: -p gives the port.
        spec = JumpSpec {
            port: None,
            host: destination
                .rsplit_once('@')
                .map_or(destination.as_str(), |(_, h)| h)
                .to_string(),
            ..spec
        };
    }
    let mut options = Vec::new();
    for option in parsed.options {
        match option.keyword.as_str() {
            "user" if spec.user.is_none() => spec.user = option.args.first().cloned(),
            "port" if spec.port.is_none() => {
                let p = option.args.first().cloned().unwrap_or_default();
                spec.port = Some(
                    p.parse()
                        .map_err(|_| format!("-p {p} is not a port number"))?,
                );
            }
            _ => options.push(option),
        }
    }
    Ok(Some(ProxyHop { spec, options }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        shell_split(text).unwrap()
    }

    #[test]
    fn shell_split_errors_quote_the_text() {
        assert_eq!(
            shell_split("'open").unwrap_err(),
            "unclosed single quote in `'open`"
        );
        assert_eq!(
            shell_split(r#"-o "User=x"#).unwrap_err(),
            r#"unclosed double quote in `-o "User=x`"#
        );
    }

    #[test]
    fn ssh_args_to_options() {
        let parsed = parse_ssh_args(
            &words("-o StrictHostKeyChecking=no -oUserKnownHostsFile=/dev/null -J ops@bastion:2222 -qT -p2200 -o 'ConnectTimeout 5' -o ControlMaster=auto"),
            "vars",
        )
        .unwrap();
        let got: Vec<(String, Vec<String>)> = parsed
            .options
            .into_iter()
            .map(|o| (o.keyword, o.args))
            .collect();
        let want = [
            ("stricthostkeychecking", "no"),
            ("userknownhostsfile", "/dev/null"),
            ("proxyjump", "ops@bastion:2222"),
            ("port", "2200"),
            ("connecttimeout", "5"),
            ("controlmaster", "auto"),
        ];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), vec![v.to_string()])));
        assert!(parse_ssh_args(&words("-F other"), "vars")
            .unwrap_err()
            .contains("play -F other"));
        assert!(parse_ssh_args(&words("-p"), "vars").is_err());
    }

    #[test]
    fn jump_hosts() {
        let spec = |u: Option<&str>, h: &str, p: Option<u16>| JumpSpec {
            user: u.map(String::from),
            host: h.into(),
            port: p,
        };
        assert_eq!(
            parse_jump_host("bastion").unwrap(),
            spec(None, "bastion", None)
        );
        assert_eq!(
            parse_jump_host("ops@10.0.0.1:2222").unwrap(),
            spec(Some("ops"), "10.0.0.1", Some(2222))
        );
        assert_eq!(
            parse_jump_host("ssh://ops@b:22").unwrap(),
            spec(Some("ops"), "b", Some(22))
        );
        assert_eq!(
            parse_jump_host("[::1]:2222").unwrap(),
            spec(None, "::1", Some(2222))
        );
        assert_eq!(
            parse_jump_host("fe80::1").unwrap(),
            spec(None, "fe80::1", None)
        );
        assert!(parse_jump_host("b:http").is_err());
        assert!(parse_jump_host("").is_err());
    }

    #[test]
    fn proxy_commands() {
        let hop = parse_proxy_command(
            "ssh -W %h:%p -q -p 2222 -i ~/.ssh/b -o StrictHostKeyChecking=accept-new ops@bastion",
            "x",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            hop.spec,
            JumpSpec {
                user: Some("ops".into()),
                host: "bastion".into(),
                port: Some(2222)
            }
        );
        let kw: Vec<&str> = hop.options.iter().map(|o| o.keyword.as_str()).collect();
        assert_eq!(kw, ["identityfile", "stricthostkeychecking"]);
        let hop = parse_proxy_command("exec /usr/bin/ssh -l admin -W [%h]:%p b.example.com", "x")
            .unwrap()
            .unwrap();
        assert_eq!(hop.spec.user.as_deref(), Some("admin"));
        assert!(parse_proxy_command("none", "x").unwrap().is_none());
        assert!(
            parse_proxy_command("nc -X connect -x proxy:8080 %h %p", "x")
                .unwrap_err()
                .contains("use ProxyJump")
        );
        assert!(parse_proxy_command("ssh bastion nc %h %p", "x").is_err());
    }
}
