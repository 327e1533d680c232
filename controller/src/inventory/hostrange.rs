//! Host names as inventories write them: an optional `:port`, and `[a:b]` / `[a:b:step]`
//! ranges that stand for many hosts (`web[01:20]`, `db[a:c]`, `node[1:10:2]`).
//!
//! This is Ansible's `parse_address` plus `expand_hostname_range`, so the same inventory line
//! names the same hosts in play and in Ansible. Ranges are checked more strictly than Ansible
//! does (an empty range such as `[5:1]` is an error here instead of silently naming no host),
//! and one pattern may not expand past [`MAX_HOSTS`] names.

use regex::Regex;
use std::sync::LazyLock;

/// No single range pattern may expand to more hosts than this: a typo like `web[0:9999999]`
/// should fail fast instead of filling memory.
pub const MAX_HOSTS: usize = 100_000;

const ALNUM_RANGE: &str = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";
const NUM_RANGE: &str = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]";
const HEX_RANGE: &str = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]";

static BRACKETED_HOSTPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[(.+)\]:([0-9]+)$").expect("valid regex"));
static HOSTPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$").expect("valid regex"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{NUM_RANGE})");
    Regex::new(&format!(r"(?i)^(?:{c}\.){{3}}{c}$")).expect("valid regex")
});
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!(r"(?:[0-9a-f]{{1,4}}|{HEX_RANGE})");
    let v4 = format!(r"(?:{c}\.){{3}}{c}");
    let alternatives = [
        format!(r"(?:{c}:){{7}}{c}"),
        format!(r"(?:{c}:){{1,6}}:"),
        format!(r"(?:{c}:)(?::{c}){{1,6}}"),
        format!(r"(?:{c}:){{2}}(?::{c}){{1,5}}"),
        format!(r"(?:{c}:){{3}}(?::{c}){{1,4}}"),
        format!(r"(?:{c}:){{4}}(?::{c}){{1,3}}"),
        format!(r"(?:{c}:){{5}}(?::{c}){{1,2}}"),
        format!(r"(?:{c}:){{6}}(?::{c})"),
        format!(r":(?::{c}){{1,6}}"),
        format!(r"{c}?::"),
        format!(r"(?:0:){{6}}{v4}"),
        format!(r"::(?:ffff:)?{v4}"),
        format!(r"(?:0:){{5}}ffff:{v4}"),
    ];
    Regex::new(&format!(r"(?i)^(?:{})$", alternatives.join("|"))).expect("valid regex")
});
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:\w|{ALNUM_RANGE})(?:[\w-]|{ALNUM_RANGE})*$"
    ))
    .expect("valid regex")
});

/// Ansible's `parse_address`: splits `host:port` / `[host]:port` and checks that what is left
/// is an IPv4 address, an IPv6 address or a host name (each possibly with ranges).
pub fn parse_address(address: &str, allow_ranges: bool) -> Result<(String, Option<u64>), String> {
    let mut host = address.to_string();
    let mut port = None;
    for re in [&*BRACKETED_HOSTPORT, &*HOSTPORT] {
        if let Some(caps) = re.captures(&host) {
            let number = caps[2]
                .parse::<u64>()
                .map_err(|_| format!("port number in '{address}' is too large"))?;
            port = Some(number);
            host = caps[1].to_string();
        }
    }
    if !(IPV4.is_match(&host) || IPV6.is_match(&host) || is_hostname(&host)) {
        return Err(format!("'{address}' is not a valid host name or address"));
    }
    if !allow_ranges && host.contains('[') {
        return Err(format!(
            "'{address}' holds a range, which is not allowed here"
        ));
    }
    Ok((host, port))
}

/// Labels of word characters, `-` and ranges, separated by dots; a label may not start or end
/// with `-` and may not end with `_`.
fn is_hostname(host: &str) -> bool {
    host.split('.').all(|label| {
        !label.starts_with('-') && !label.ends_with(['-', '_']) && LABEL.is_match(label)
    })
}

/// Ansible's `_expand_hostpattern`: the host names a pattern stands for and the port given
/// with it. A pattern that is not a valid address is kept whole (Ansible does the same).
pub fn expand_hostpattern(pattern: &str) -> Result<(Vec<String>, Option<u64>), String> {
    let (host, port) = parse_address(pattern, true).unwrap_or_else(|_| (pattern.to_string(), None));
    let names = if host.contains('[') {
        expand_range(&host)?
    } else {
        vec![host]
    };
    Ok((names, port))
}

/// Expands every `[begin:end(:step)]` in `pattern`, left to right.
pub fn expand_range(pattern: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    expand_into(pattern, &mut out)?;
    Ok(out)
}

fn expand_into(pattern: &str, out: &mut Vec<String>) -> Result<(), String> {
    let Some(open) = pattern.find('[') else {
        out.push(pattern.to_string());
        return Ok(());
    };
    let close = pattern[open..].find(']').map(|i| open + i).ok_or_else(|| {
        format!("'{pattern}' opens a range with '[' but never closes it with ']'")
    })?;
    let (head, spec, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    for item in range_items(spec).map_err(|e| format!("bad range [{spec}] in '{pattern}': {e}"))? {
        let name = format!("{head}{item}{tail}");
        if name.contains('[') {
            expand_into(&name, out)?;
        } else {
            out.push(name);
        }
        if out.len() > MAX_HOSTS {
            return Err(format!(
                "'{pattern}' expands to more than {MAX_HOSTS} hosts; split it into smaller ranges"
            ));
        }
    }
    Ok(())
}

/// The values of one range spec (`01:20`, `a:c`, `1:10:2`), formatted as they appear in names.
fn range_items(spec: &str) -> Result<Vec<String>, String> {
    let bounds: Vec<&str> = spec.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err("a range is begin:end or begin:end:step".into());
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err("the range has no end value".into());
    }
    let step = match bounds.get(2) {
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or("the step must be a whole number above 0")?,
        None => 1,
    };
    let letters = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let letter_index = |s: &str| -> Option<usize> {
        let &[b] = s.as_bytes() else { return None };
        letters.iter().position(|&l| l == b)
    };
    if let (Some(b), Some(e)) = (letter_index(begin), letter_index(end)) {
        if b > e {
            return Err(format!(
                "'{begin}' comes after '{end}'; write the range from low to high"
            ));
        }
        return Ok((b..=e)
            .step_by(step)
            .map(|i| char::from(letters[i]).to_string())
            .collect());
    }
    let parse = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("'{s}' is neither a number nor a single letter"))
    };
    let (b, e) = (parse(begin)?, parse(end)?);
    if b > e {
        return Err(format!(
            "{b} is above {e}; write the range from low to high"
        ));
    }
    // A leading zero asks for zero-padded names of the begin value's width.
    let width = if begin.len() > 1 && begin.starts_with('0') {
        if begin.len() != end.len() {
            return Err(format!(
                "'{begin}' and '{end}' must have the same number of digits for zero-padded names"
            ));
        }
        begin.len()
    } else {
        0
    };
    let count = (e - b) / step as u64 + 1;
    if count > MAX_HOSTS as u64 {
        return Err(format!(
            "it names {count} hosts, more than the limit of {MAX_HOSTS}"
        ));
    }
    Ok((b..=e)
        .step_by(step)
        .map(|n| format!("{n:0width$}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pattern: &str) -> Vec<String> {
        expand_hostpattern(pattern).unwrap().0
    }

    #[test]
    fn numeric_ranges_keep_zero_padding() {
        assert_eq!(names("web[01:03]"), ["web01", "web02", "web03"]);
        assert_eq!(names("web[8:10]"), ["web8", "web9", "web10"]);
        assert_eq!(names("web[:2]"), ["web0", "web1", "web2"]);
    }

    #[test]
    fn letter_ranges_and_steps() {
        assert_eq!(names("db[a:c]"), ["dba", "dbb", "dbc"]);
        assert_eq!(
            names("n[1:10:3].example.com"),
            [
                "n1.example.com",
                "n4.example.com",
                "n7.example.com",
                "n10.example.com"
            ]
        );
        assert_eq!(names("x[y:B]"), ["xy", "xz", "xA", "xB"]);
    }

    #[test]
    fn several_ranges_multiply() {
        assert_eq!(names("r[1:2]-[a:b]"), ["r1-a", "r1-b", "r2-a", "r2-b"]);
    }

    #[test]
    fn ports_are_split_off() {
        assert_eq!(
            expand_hostpattern("db1:2200").unwrap(),
            (vec!["db1".to_string()], Some(2200))
        );
        assert_eq!(
            expand_hostpattern("10.0.0.5:22").unwrap(),
            (vec!["10.0.0.5".to_string()], Some(22))
        );
        assert_eq!(
            expand_hostpattern("[::1]:2222").unwrap(),
            (vec!["::1".to_string()], Some(2222))
        );
        assert_eq!(
            expand_hostpattern("fe80::1").unwrap(),
            (vec!["fe80::1".to_string()], None)
        );
        assert_eq!(
            expand_hostpattern("web[01:02]:2222").unwrap(),
            (vec!["web01".to_string(), "web02".to_string()], Some(2222))
        );
    }

    #[test]
    fn invalid_addresses_are_kept_whole() {
        // `_x_` fails the host name rules, so Ansible keeps the text as the name.
        assert_eq!(
            expand_hostpattern("bad_:22").unwrap(),
            (vec!["bad_:22".to_string()], None)
        );
    }

    #[test]
    fn bad_ranges_say_why() {
        for (pattern, needle) in [
            ("web[5:1]", "low to high"),
            ("web[01:1]", "same number of digits"),
            ("web[1:2:0]", "step"),
            ("web[1]", "begin:end"),
            ("web[1:]", "no end"),
            ("web[1:3", "never closes"),
            ("web[x:5]", "neither a number"),
            ("web[0:999999999]", "limit"),
        ] {
            let err = expand_hostpattern(pattern).unwrap_err();
            assert!(err.contains(needle), "{pattern}: {err}");
        }
    }

    #[test]
    fn host_list_addresses_reject_ranges() {
        assert!(parse_address("web[1:2]", false).is_err());
        assert_eq!(
            parse_address("web1:22", false).unwrap(),
            ("web1".to_string(), Some(22))
        );
    }
}
