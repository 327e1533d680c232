//! Ansible's human output: banners, per-host lines, the recap.

use super::{HostResult, PrinterOptions, Stats, Status};
use serde_json::Value;
use std::time::Duration;

const WIDTH: usize = 79;

#[derive(Clone, Copy)]
pub enum Color {
    Green,
    Yellow,
    Red,
    Cyan,
    Magenta,
    Blue,
}

pub fn colorize(enabled: bool, color: Color, text: &str) -> String {
    if !enabled {
        return text.to_string();
    }
    let code = match color {
        Color::Green => "32",
        Color::Yellow => "33",
        Color::Red => "31",
        Color::Cyan => "36",
        Color::Magenta => "35",
        Color::Blue => "34",
    };
    format!("\x1b[0;{code}m{text}\x1b[0m")
}

/// `\nPLAY [name] *****...` padded with stars to the terminal width as Ansible does.
pub fn banner(word: &str, name: Option<&str>) -> String {
    let head = match name {
        Some(n) => format!("{word} [{n}] "),
        None => format!("{word} "),
    };
    let stars = WIDTH.saturating_sub(head.chars().count()).max(3);
    format!("\n{head}{}\n", "*".repeat(stars))
}

/// The keys Ansible hides from the `=> {...}` result dump.
const INTERNAL_KEYS: &[&str] = &[
    "_ansible_no_log",
    "_ansible_verbose_always",
    "invocation",
    "diff",
];

fn result_json(result: &Value, no_log: bool) -> String {
    if no_log {
        return "{\"censored\": \"the output has been hidden due to the fact that 'no_log: true' was specified for this result\"}".into();
    }
    let mut shown = result.clone();
    if let Value::Object(map) = &mut shown {
        // debug's output shows only what was asked for, as Ansible prints it.
        if map.contains_key("_ansible_verbose_always") {
            map.remove("changed");
        }
        for k in INTERNAL_KEYS {
            map.remove(*k);
        }
    }
    pretty4(&shown)
}

/// JSON with Ansible's 4-space indent.
fn pretty4(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    let _ = v.serialize(&mut ser);
    String::from_utf8(buf).unwrap_or_default()
}

fn diff_text(result: &Value) -> String {
    let mut out = String::new();
    let diffs = match result.get("diff") {
        Some(Value::Array(list)) => list.clone(),
        Some(d @ Value::Object(_)) => vec![d.clone()],
        _ => return out,
    };
    for d in diffs {
        let before = d.get("before").and_then(Value::as_str).unwrap_or("");
        let after = d.get("after").and_then(Value::as_str).unwrap_or("");
        let bh = d
            .get("before_header")
            .and_then(Value::as_str)
            .unwrap_or("before");
        let ah = d
            .get("after_header")
            .and_then(Value::as_str)
            .unwrap_or("after");
        out.push_str(&format!("--- {bh}\n+++ {ah}\n"));
        out.push_str(&crate::output::human::unified(before, after));
    }
    out
}

/// A minimal line diff (longest common subsequence), enough for config files.
pub fn unified(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    if a.len() * b.len() > 4_000_000 {
        return format!(
            "(files too large to diff: {} -> {} lines)\n",
            a.len(),
            b.len()
        );
    }
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!(" {}\n", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("-{}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+{}\n", b[j]));
            j += 1;
        }
    }
    out
}

/// One host's line: `ok: [vm1]`, `changed: [vm1] => (item=x)`, `fatal: [vm1]: FAILED! => {...}`.
pub fn host_line(r: &HostResult<'_>, opts: &PrinterOptions) -> String {
    let host = r.host;
    let item = r
        .item
        .as_deref()
        .map(|i| format!(" => (item={i})"))
        .unwrap_or_default();
    let is_debug = r.result.get("_ansible_verbose_always").is_some();
    let show_result = opts.verbosity >= 1 || is_debug;
    let mut text = String::new();
    if opts.diff && !r.no_log && matches!(r.status, Status::Changed | Status::Ok) {
        match super::release_view::release_lines(r.result) {
            Some(lines) => {
                // The agent's diff repeats the image and env keys; it adds something only
                // when other fields (ports, volumes, ...) change.
                if lines.iter().any(|l| l.starts_with("config: ")) {
                    text.push_str(&diff_text(r.result));
                }
                let service = r.result["service"].as_str().unwrap_or("?");
                text.push_str(&format!("release {service}:\n"));
                for l in lines {
                    text.push_str(&format!("  {l}\n"));
                }
            }
            None => text.push_str(&diff_text(r.result)),
        }
    }
    let (color, line) = match r.status {
        Status::Ok | Status::Changed => {
            let (word, color) = if r.status == Status::Changed {
                ("changed", Color::Yellow)
            } else {
                ("ok", Color::Green)
            };
            let mut line = format!("{word}: [{host}]{item}");
            if show_result {
                line.push_str(&format!(" => {}", result_json(r.result, r.no_log)));
            }
            (color, line)
        }
        Status::Skipped => {
            let mut line = format!("skipping: [{host}]{item}");
            if opts.verbosity >= 1 {
                line.push_str(&format!(" => {}", result_json(r.result, r.no_log)));
            }
            (Color::Cyan, line)
        }
        Status::Failed => {
            let word = if r.item.is_some() { "failed" } else { "fatal" };
            let line = format!(
                "{word}: [{host}]{}: FAILED! => {}",
                item_suffix(&r.item),
                compact(r.result, r.no_log)
            );
            (Color::Red, line)
        }
        Status::Unreachable => {
            let line = format!(
                "fatal: [{host}]: UNREACHABLE! => {}",
                compact(r.result, r.no_log)
            );
            (Color::Red, line)
        }
    };
    text.push_str(&colorize(opts.color, color, &line));
    text.push('\n');
    if r.ignored {
        text.push_str(&colorize(opts.color, Color::Cyan, "...ignoring"));
        text.push('\n');
    }
    text
}

fn item_suffix(item: &Option<String>) -> String {
    item.as_deref()
        .map(|i| format!(" (item={i})"))
        .unwrap_or_default()
}

fn compact(result: &Value, no_log: bool) -> String {
    if no_log {
        return result_json(result, true);
    }
    let mut shown = result.clone();
    if let Value::Object(map) = &mut shown {
        for k in INTERNAL_KEYS {
            map.remove(*k);
        }
    }
    serde_json::to_string(&shown).unwrap_or_default()
}

pub fn recap(stats: &Stats, color: bool, duration: Duration) -> String {
    let mut out = banner("PLAY RECAP", None);
    let mut hosts: Vec<_> = stats.hosts().collect();
    hosts.sort_by(|a, b| a.0.cmp(b.0));
    for (host, s) in hosts {
        let c = if s.unreachable > 0 || s.failures > 0 {
            Color::Red
        } else if s.changed > 0 {
            Color::Yellow
        } else {
            Color::Green
        };
        let name = colorize(color, c, &format!("{host:<26}"));
        out.push_str(&format!(
            "{name} : ok={:<4} changed={:<4} unreachable={:<4} failed={:<4} skipped={:<4} rescued={:<4} ignored={:<4}\n",
            s.ok, s.changed, s.unreachable, s.failures, s.skipped, s.rescued, s.ignored
        ));
    }
    out.push_str(&format!(
        "\nPlaybook run took {}\n",
        human_duration(duration)
    ));
    out
}

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    format!(
        "0 days, {} hours, {} minutes, {}.{:03} seconds",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts() -> PrinterOptions {
        PrinterOptions {
            mode: super::super::Mode::Human,
            color: false,
            verbosity: 0,
            diff: false,
            check: false,
        }
    }

    #[test]
    fn banner_is_padded_with_stars() {
        let b = banner("TASK", Some("copy motd"));
        assert!(b.starts_with("\nTASK [copy motd] ***"));
        assert_eq!(b.trim().chars().count(), WIDTH);
    }

    #[test]
    fn failed_line_has_ansible_shape() {
        let result = json!({"changed": false, "msg": "boom"});
        let r = HostResult {
            host: "vm1",
            status: Status::Failed,
            item: None,
            result: &result,
            ignored: false,
            no_log: false,
            is_loop_summary: false,
        };
        assert_eq!(
            host_line(&r, &opts()),
            "fatal: [vm1]: FAILED! => {\"changed\":false,\"msg\":\"boom\"}\n"
        );
    }

    #[test]
    fn no_log_hides_the_result() {
        let result = json!({"msg": "s3cret"});
        let r = HostResult {
            host: "vm1",
            status: Status::Failed,
            item: None,
            result: &result,
            ignored: false,
            no_log: true,
            is_loop_summary: false,
        };
        let line = host_line(&r, &opts());
        assert!(
            !line.contains("s3cret") && line.contains("censored"),
            "{line}"
        );
    }

    #[test]
    fn unified_diff_marks_changes() {
        assert_eq!(unified("a\nb\nc\n", "a\nx\nc\n"), " a\n-b\n+x\n c\n");
    }
}
