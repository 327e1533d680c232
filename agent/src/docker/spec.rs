//! The short string forms of container options, parsed into what the Engine API takes:
//! published ports (`"127.0.0.1:8080:80/udp"`), volumes (`"/host:/ctr:ro"`), commands given as
//! one shell-like string, memory sizes (`"512m"`).
//!
//! Parsing is strict: a typo in a port spec fails the task instead of publishing something else.

use play_protocol::shell_words;
use serde::Serialize;

/// One published port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortSpec {
    /// Empty = all interfaces.
    pub host_ip: String,
    /// None = Docker picks a free port.
    pub host_port: Option<u16>,
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

impl PortSpec {
    /// Parses `[ip:][host_port:]container_port[/protocol]`; IPv6 addresses go in brackets.
    pub fn parse(spec: &str) -> Result<PortSpec, String> {
        let bad = |why: &str| {
            format!("published port '{spec}': {why} (write it like 8080:80, 127.0.0.1:8080:80 or 80/udp)")
        };
        let (addr, protocol) = match spec.rsplit_once('/') {
            Some((a, p)) => (a, p.to_ascii_lowercase()),
            None => (spec, "tcp".to_string()),
        };
        if !["tcp", "udp", "sctp"].contains(&protocol.as_str()) {
            return Err(bad("the protocol must be tcp, udp or sctp"));
        }
        let (host_ip, ports) = if let Some(rest) = addr.strip_prefix('[') {
            let (ip, rest) = rest
                .split_once("]:")
                .ok_or_else(|| bad("an IPv6 address needs [addr]:port"))?;
            (ip.to_string(), rest)
        } else {
            match addr.matches(':').count() {
                0 | 1 => (String::new(), addr),
                2 => {
                    let (ip, rest) = addr.split_once(':').unwrap_or_default();
                    (ip.to_string(), rest)
                }
                _ => return Err(bad("too many ':'")),
            }
        };
        if ports.contains('-') {
            return Err(bad("port ranges are not supported; list each port"));
        }
        let port = |p: &str| -> Result<u16, String> {
            p.parse::<u16>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(&format!("'{p}' is not a port number")))
        };
        let (host_port, container_port) = match ports.split_once(':') {
            Some(("", c)) => (None, port(c)?),
            Some((h, c)) => (Some(port(h)?), port(c)?),
            None => {
                if !host_ip.is_empty() {
                    return Err(bad("an address needs a host port or '::'"));
                }
                (None, port(ports)?)
            }
        };
        Ok(PortSpec {
            host_ip,
            host_port,
            container_port,
            protocol,
        })
    }

    /// The Engine API key: `80/tcp`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol)
    }
}

/// One volume: a bind mount, a named volume, or an anonymous volume.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct VolumeSpec {
    /// Host path or volume name; None for an anonymous volume.
    pub source: Option<String>,
    pub target: String,
    /// `ro`, `rw,z`, ... as given; empty when none.
    pub mode: String,
}

const VOLUME_MODES: &[&str] = &[
    "ro",
    "rw",
    "z",
    "Z",
    "nocopy",
    "consistent",
    "cached",
    "delegated",
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
];

impl VolumeSpec {
    /// Parses `source:target[:mode]` or `target`.
    pub fn parse(spec: &str) -> Result<VolumeSpec, String> {
        let bad = |why: &str| {
            format!("volume '{spec}': {why} (write it like /host/dir:/in/container:ro or name:/in/container)")
        };
        let parts: Vec<&str> = spec.split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [t] => (None, *t, ""),
            [s, t] => (Some(*s), *t, ""),
            [s, t, m] => (Some(*s), *t, *m),
            _ => return Err(bad("too many ':'")),
        };
        if !target.starts_with('/') {
            return Err(bad("the container path must be absolute"));
        }
        if source == Some("") {
            return Err(bad("the source is empty"));
        }
        if let Some(m) = mode.split(',').find(|m| !VOLUME_MODES.contains(m)) {
            if !mode.is_empty() {
                return Err(bad(&format!("unknown mode '{m}'")));
            }
        }
        Ok(VolumeSpec {
            source: source.map(str::to_string),
            target: target.to_string(),
            mode: mode.to_string(),
        })
    }

    /// The `HostConfig.Binds` entry, or None for an anonymous volume.
    pub fn bind(&self) -> Option<String> {
        let source = self.source.as_ref()?;
        Some(if self.mode.is_empty() {
            format!("{source}:{}", self.target)
        } else {
            format!("{source}:{}:{}", self.target, self.mode)
        })
    }
}

/// Splits a `command`/`entrypoint` string into words, as community.docker does with
/// `shlex.split` (the rules: [`shell_words`]); errors quote the command.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    shell_words::split(line).map_err(|why| format!("command '{line}': {why}"))
}

/// Parses a memory size: `512m`, `1g`, `1024k`, `1073741824` (bytes), case-insensitive.
pub fn parse_memory(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| *n >= 0.0)
        .map(|n| (n * mult as f64) as u64)
        .ok_or_else(|| format!("invalid memory size '{text}': write it like 512m or 1g"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PortSpec {
        PortSpec::parse(s).unwrap()
    }

    #[test]
    fn port_forms() {
        assert_eq!(
            p("8080:80"),
            PortSpec {
                host_ip: "".into(),
                host_port: Some(8080),
                container_port: 80,
                protocol: "tcp".into()
            }
        );
        let q = p("127.0.0.1:8080:80");
        assert_eq!(
            (q.host_ip.as_str(), q.host_port, q.key()),
            ("127.0.0.1", Some(8080), "80/tcp".into())
        );
        let q = p("80/udp");
        assert_eq!((q.host_port, q.key()), (None, "80/udp".into()));
        let q = p("127.0.0.1::53/udp");
        assert_eq!(
            (q.host_ip.as_str(), q.host_port, q.key()),
            ("127.0.0.1", None, "53/udp".into())
        );
        let q = p("[::1]:8443:443");
        assert_eq!((q.host_ip.as_str(), q.host_port), ("::1", Some(8443)));
    }

    #[test]
    fn bad_ports_say_what_is_wrong() {
        assert!(PortSpec::parse("80/icmp").unwrap_err().contains("protocol"));
        assert!(PortSpec::parse("http:80").unwrap_err().contains("'http'"));
        assert!(PortSpec::parse("8000-8010:8000-8010")
            .unwrap_err()
            .contains("ranges"));
        assert!(PortSpec::parse("0:80").is_err());
        assert!(PortSpec::parse("1.2.3.4:5:6:7").is_err());
        assert!(PortSpec::parse("70000").is_err());
    }

    #[test]
    fn volume_forms() {
        let v = VolumeSpec::parse("/srv/data:/data:ro").unwrap();
        assert_eq!(v.bind().unwrap(), "/srv/data:/data:ro");
        let v = VolumeSpec::parse("pgdata:/var/lib/postgresql").unwrap();
        assert_eq!(v.bind().unwrap(), "pgdata:/var/lib/postgresql");
        let v = VolumeSpec::parse("/cache").unwrap();
        assert_eq!((v.bind(), v.source), (None, None));
        assert!(VolumeSpec::parse("/a:rel")
            .unwrap_err()
            .contains("absolute"));
        assert!(VolumeSpec::parse("/a:/b:rx").unwrap_err().contains("'rx'"));
        assert!(VolumeSpec::parse("/a:/b:ro:x").is_err());
        assert!(VolumeSpec::parse("/a:/b:ro,z").is_ok());
    }

    #[test]
    fn command_split_errors_quote_the_command() {
        assert_eq!(
            split_command("echo 'x").unwrap_err(),
            "command 'echo 'x': unclosed single quote"
        );
        assert_eq!(
            split_command(r"sh -c a\").unwrap_err(),
            r"command 'sh -c a\': trailing backslash with nothing to escape"
        );
        assert_eq!(
            split_command("sh -c 'echo hi'").unwrap(),
            ["sh", "-c", "echo hi"]
        );
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512m").unwrap(), 512 << 20);
        assert_eq!(parse_memory("1G").unwrap(), 1 << 30);
        assert_eq!(parse_memory("1gb").unwrap(), 1 << 30);
        assert_eq!(parse_memory("100").unwrap(), 100);
        assert!(parse_memory("lots").is_err());
    }
}
