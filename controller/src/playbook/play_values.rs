//! Play keyword values with their own syntax: `hosts` (a pattern or a list), `serial`
//! (counts, percentages, or a list of them) and `max_fail_percentage`.

use super::error::{ErrorKind, PlaybookError};
use super::model::{BatchSize, MaxFail};
use super::values::{describe, is_template, to_string};
use crate::yaml::{Node, NodeKind};

pub(crate) fn parse_hosts(v: &Node) -> Result<String, PlaybookError> {
    let empty = || {
        PlaybookError::new(
            ErrorKind::Type,
            &v.loc,
            "`hosts` is empty: name a group, host or pattern, e.g. `hosts: all`",
        )
    };
    let hosts =
        match &v.kind {
            NodeKind::Seq(items) => items
                .iter()
                .map(|n| to_string(n, "hosts").map(|s| s.trim().to_string()))
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            NodeKind::Null => return Err(empty()),
            NodeKind::Map(_) => return Err(PlaybookError::new(
                ErrorKind::Type,
                &v.loc,
                "`hosts` must be a pattern (`all`, `web:db`) or a list of them, found a mapping",
            )),
            _ => to_string(v, "hosts")?.trim().to_string(),
        };
    if hosts.is_empty() {
        return Err(empty());
    }
    Ok(hosts)
}

fn serial_error(v: &Node) -> PlaybookError {
    PlaybookError::new(
        ErrorKind::Type,
        &v.loc,
        format!(
            "`serial` must be a number of hosts, a percentage like \"30%\", or a list of them, found {}",
            describe(v)
        ),
    )
}

pub(crate) fn parse_serial(v: &Node) -> Result<Vec<BatchSize>, PlaybookError> {
    match &v.kind {
        NodeKind::Null => Ok(Vec::new()),
        NodeKind::Seq(items) => items.iter().map(parse_batch).collect(),
        _ => Ok(vec![parse_batch(v)?]),
    }
}

/// One batch size. `0` is kept as `Count(0)`; Ansible reads it as "all hosts".
fn parse_batch(v: &Node) -> Result<BatchSize, PlaybookError> {
    match &v.kind {
        NodeKind::Int(i) if *i >= 0 => Ok(BatchSize::Count(*i as usize)),
        // Rendered when the play starts, with play and extra vars (`-e release_serial=1`).
        NodeKind::String(s) if is_template(s) => Ok(BatchSize::Template(s.clone())),
        NodeKind::String(s) => {
            let s = s.trim();
            if let Some(p) = s.strip_suffix('%') {
                match p.trim().parse::<f64>() {
                    Ok(p) if (0.0..=100.0).contains(&p) => Ok(BatchSize::Percent(p)),
                    _ => Err(serial_error(v)),
                }
            } else {
                s.parse::<usize>()
                    .map(BatchSize::Count)
                    .map_err(|_| serial_error(v))
            }
        }
        _ => Err(serial_error(v)),
    }
}

/// `max_fail_percentage`: a number, or a template rendered when the play starts.
pub(crate) fn parse_max_fail(v: &Node, key: &str) -> Result<MaxFail, PlaybookError> {
    match &v.kind {
        NodeKind::String(s) if is_template(s) => Ok(MaxFail::Template(s.clone())),
        _ => parse_percent(v, key).map(MaxFail::Percent),
    }
}

pub(crate) fn parse_percent(v: &Node, key: &str) -> Result<f64, PlaybookError> {
    let n = match &v.kind {
        NodeKind::Int(i) => Some(*i as f64),
        NodeKind::Float(f) => Some(*f),
        NodeKind::String(s) => s.trim().trim_end_matches('%').trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (0.0..=100.0).contains(&n) => Ok(n),
        _ => Err(PlaybookError::new(
            ErrorKind::Type,
            &v.loc,
            format!(
                "`{key}` must be a percentage from 0 to 100, found {}",
                describe(v)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;
    use std::path::Path;

    fn node(text: &str) -> Node {
        parse_str(text, Path::new("p.yml")).unwrap()
    }

    #[test]
    fn serial_forms() {
        assert_eq!(parse_serial(&node("2")).unwrap(), [BatchSize::Count(2)]);
        assert_eq!(
            parse_serial(&node("'25%'")).unwrap(),
            [BatchSize::Percent(25.0)]
        );
        assert_eq!(
            parse_serial(&node("[1, '50%']")).unwrap(),
            [BatchSize::Count(1), BatchSize::Percent(50.0)]
        );
        assert!(parse_serial(&node("-1")).is_err());
        assert!(parse_serial(&node("'150%'")).is_err());
        assert!(parse_serial(&node("{a: 1}")).is_err());
    }

    #[test]
    fn hosts_and_percent() {
        assert_eq!(parse_hosts(&node("[web, ' db ']")).unwrap(), "web,db");
        assert_eq!(
            parse_hosts(&node("'{{ target }}'")).unwrap(),
            "{{ target }}"
        );
        assert!(parse_hosts(&node("''")).is_err());
        assert_eq!(parse_percent(&node("'30%'"), "m").unwrap(), 30.0);
        assert_eq!(parse_percent(&node("12.5"), "m").unwrap(), 12.5);
        assert!(parse_percent(&node("x"), "m").is_err());
    }
}
