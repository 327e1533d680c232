//! JUnit XML for `--junit FILE`, so CI systems show a run as tests: one testsuite per play,
//! one testcase per task and host (`[host] task name`), failures with their message, skipped
//! tasks as skipped, each host's time when known. Built from the same collected report as
//! `--report`; every string passes through [`Secrets::censor`] before it is XML-escaped, so a
//! secret can't slip through in escaped form.

use super::report::{PlayReport, Report};
use super::Secrets;
use serde_json::Value;
use std::fmt::Write;

/// One testcase's outcome.
enum Outcome {
    Passed,
    Skipped(String),
    Failed {
        message: String,
        details: String,
    },
    /// Unreachable hosts are errors (the test could not run), not failures.
    Error {
        message: String,
    },
}

struct Case {
    name: String,
    time: Option<f64>,
    outcome: Outcome,
}

/// The report as JUnit XML.
pub fn render(report: &Report, secrets: &Secrets) -> String {
    let suites: Vec<(String, Vec<Case>)> = report
        .plays
        .iter()
        .map(|p| (suite_name(p), cases(p, secrets)))
        .collect();
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c).collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"play\"{}>",
        counts(&all, Some(report.duration_secs))
    );
    for (name, cases) in &suites {
        let refs: Vec<&Case> = cases.iter().collect();
        let name = attr(&secrets.censor(name));
        let _ = writeln!(out, "  <testsuite name=\"{name}\"{}>", counts(&refs, None));
        for case in cases {
            let time = case
                .time
                .map(|t| format!(" time=\"{t:.3}\""))
                .unwrap_or_default();
            let head = format!(
                "    <testcase classname=\"{name}\" name=\"{}\"{time}",
                attr(&case.name)
            );
            match &case.outcome {
                Outcome::Passed => {
                    let _ = writeln!(out, "{head}/>");
                }
                Outcome::Skipped(message) => {
                    let _ = writeln!(
                        out,
                        "{head}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                        attr(message)
                    );
                }
                Outcome::Failed { message, details } => {
                    let _ = writeln!(
                        out,
                        "{head}>\n      <failure type=\"failed\" message=\"{}\">{}</failure>\n    </testcase>",
                        attr(message),
                        text(details)
                    );
                }
                Outcome::Error { message } => {
                    let _ = writeln!(
                        out,
                        "{head}>\n      <error type=\"unreachable\" message=\"{}\">{}</error>\n    </testcase>",
                        attr(message),
                        text(message)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn suite_name(play: &PlayReport) -> String {
    if play.name.is_empty() {
        "play".to_string()
    } else {
        play.name.clone()
    }
}

fn counts(cases: &[&Case], time: Option<f64>) -> String {
    let n = |f: fn(&Outcome) -> bool| cases.iter().filter(|c| f(&c.outcome)).count();
    let time = time.unwrap_or_else(|| cases.iter().filter_map(|c| c.time).sum());
    format!(
        " tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time:.3}\"",
        cases.len(),
        n(|o| matches!(o, Outcome::Failed { .. })),
        n(|o| matches!(o, Outcome::Error { .. })),
        n(|o| matches!(o, Outcome::Skipped(_))),
    )
}

fn cases(play: &PlayReport, secrets: &Secrets) -> Vec<Case> {
    let mut out = Vec::new();
    for task in &play.tasks {
        for (host, result) in &task.hosts {
            let field = |k: &str| result.get(k).map(as_text).unwrap_or_default();
            let message = secrets.censor(&first_nonempty(&[field("msg"), field("censored")]));
            let status = result.get("status").and_then(Value::as_str).unwrap_or("ok");
            let ignored = result.get("ignored").and_then(Value::as_bool) == Some(true);
            let outcome = match status {
                "skipped" => Outcome::Skipped(secrets.censor(&first_nonempty(&[
                    field("skip_reason"),
                    message.clone(),
                    "skipped".into(),
                ]))),
                "failed" if !ignored => Outcome::Failed {
                    message: first_nonempty(&[message.clone(), "failed".into()]),
                    details: secrets.censor(&details(result, &message)),
                },
                "unreachable" => Outcome::Error {
                    message: first_nonempty(&[message, "unreachable".into()]),
                },
                _ => Outcome::Passed,
            };
            out.push(Case {
                name: secrets.censor(&format!("[{host}] {}", task.name)),
                time: result.get("duration_secs").and_then(Value::as_f64),
                outcome,
            });
        }
    }
    out
}

/// The failure's body: the message, then what a reader needs to see why (rc, stderr, stdout).
fn details(result: &Value, message: &str) -> String {
    let mut lines = vec![message.to_string()];
    if let Some(rc) = result.get("rc").filter(|v| !v.is_null()) {
        lines.push(format!("rc: {rc}"));
    }
    for key in ["stderr", "stdout"] {
        let v = result.get(key).map(as_text).unwrap_or_default();
        if !v.trim().is_empty() {
            lines.push(format!("{key}: {}", v.trim_end()));
        }
    }
    lines.join("\n")
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn first_nonempty(options: &[String]) -> String {
    options
        .iter()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_default()
}

/// XML 1.0 cannot carry most control characters at all, even escaped.
fn allowed(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// Escapes text content.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Escapes an attribute value; newlines and tabs as character references, since parsers
/// turn literal ones into spaces.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::report::TaskReport;
    use serde_json::json;

    fn task(name: &str, hosts: Value) -> TaskReport {
        TaskReport {
            name: name.into(),
            path: None,
            hosts: hosts.as_object().unwrap().clone(),
            started: None,
        }
    }

    fn sample() -> Report {
        Report {
            plays: vec![PlayReport {
                name: "web <tier> & \"db\"".into(),
                tasks: vec![
                    task(
                        "install",
                        json!({
                            "vm1": {"status": "changed", "changed": true, "duration_secs": 0.25},
                            "vm2": {"status": "failed", "msg": "bad <pkg> & 'x' token=hunter2-secret",
                                    "rc": 100, "stderr": "E: no\u{1b}[0m", "duration_secs": 1.5}
                        }),
                    ),
                    task(
                        "optional",
                        json!({
                            "vm1": {"status": "skipped", "skip_reason": "Conditional result was False"},
                            "vm2": {"status": "unreachable", "msg": "connect timed out\nafter 10s"}
                        }),
                    ),
                    task(
                        "may fail",
                        json!({"vm1": {"status": "failed", "ignored": true, "msg": "ignored"}}),
                    ),
                ],
            }],
            duration_secs: 3.0,
            ..Report::default()
        }
    }

    #[test]
    fn golden() {
        let secrets = Secrets::default();
        secrets.add("hunter2-secret");
        let xml = render(&sample(), &secrets);
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="play" tests="5" failures="1" errors="1" skipped="1" time="3.000">
  <testsuite name="web &lt;tier&gt; &amp; &quot;db&quot;" tests="5" failures="1" errors="1" skipped="1" time="1.750">
    <testcase classname="web &lt;tier&gt; &amp; &quot;db&quot;" name="[vm1] install" time="0.250"/>
    <testcase classname="web &lt;tier&gt; &amp; &quot;db&quot;" name="[vm2] install" time="1.500">
      <failure type="failed" message="bad &lt;pkg&gt; &amp; &apos;x&apos; token=********">bad &lt;pkg&gt; &amp; 'x' token=********
rc: 100
stderr: E: no\u{FFFD}[0m</failure>
    </testcase>
    <testcase classname="web &lt;tier&gt; &amp; &quot;db&quot;" name="[vm1] optional">
      <skipped message="Conditional result was False"/>
    </testcase>
    <testcase classname="web &lt;tier&gt; &amp; &quot;db&quot;" name="[vm2] optional">
      <error type="unreachable" message="connect timed out&#10;after 10s">connect timed out
after 10s</error>
    </testcase>
    <testcase classname="web &lt;tier&gt; &amp; &quot;db&quot;" name="[vm1] may fail"/>
  </testsuite>
</testsuites>
"#
            .replace("\\u{FFFD}", "\u{FFFD}")
        );
        assert!(!xml.contains("hunter2"));
    }

    #[test]
    fn secrets_are_censored_before_escaping() {
        // Escaped, `a<b&c"d` would read `a&lt;b&amp;c&quot;d` and no longer match the secret.
        let secrets = Secrets::default();
        secrets.add("a<b&c\"d");
        let mut report = sample();
        report.plays[0].tasks[0].name = "login a<b&c\"d".into();
        report.plays[0].tasks[0].hosts.insert(
            "vm3".into(),
            json!({"status": "failed", "msg": "pw a<b&c\"d"}),
        );
        let xml = render(&report, &secrets);
        assert!(!xml.contains("a&lt;b&amp;c"), "{xml}");
        assert!(xml.contains("name=\"[vm3] login ********\""), "{xml}");
    }

    /// (depth, tag name, attributes) of an element.
    type Element = (usize, String, Vec<(String, String)>);

    /// A tiny XML reader: enough to prove the output is well formed (every tag closed in
    /// order, attributes quoted, no raw `<` or `&` in text) and to read the shape back.
    fn elements(xml: &str) -> Vec<Element> {
        let body = xml
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .unwrap();
        let mut stack: Vec<String> = Vec::new();
        let mut out = Vec::new();
        let mut rest = body;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            assert!(!text.contains('>'), "raw '>' in text: {text}");
            for (i, _) in text.match_indices('&') {
                let ent = &text[i..text[i..].find(';').map(|e| i + e + 1).unwrap()];
                assert!(["&amp;", "&lt;", "&gt;"].contains(&ent), "entity {ent}");
            }
            let close = open + rest[open..].find('>').unwrap();
            let tag = &rest[open + 1..close];
            rest = &rest[close + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
                continue;
            }
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, mut attrs_text) = tag.split_once(' ').unwrap_or((tag, ""));
            let mut attrs = Vec::new();
            while let Some(eq) = attrs_text.find("=\"") {
                let key = attrs_text[..eq].trim().to_string();
                let after = &attrs_text[eq + 2..];
                let end = after.find('"').expect("attribute not closed");
                assert!(!after[..end].contains('<') && !after[..end].contains('\n'));
                attrs.push((key, after[..end].to_string()));
                attrs_text = &after[end + 1..];
            }
            assert!(
                attrs_text.trim().is_empty(),
                "unquoted attribute in <{tag}>"
            );
            out.push((stack.len(), name.to_string(), attrs));
            if !self_closing {
                stack.push(name.to_string());
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        out
    }

    #[test]
    fn reads_back_as_one_suite_per_play_and_one_case_per_task_and_host() {
        let mut report = sample();
        report.plays.push(PlayReport {
            name: String::new(),
            tasks: vec![task("ping", json!({"vm1": {"status": "ok"}}))],
        });
        let xml = render(&report, &Secrets::default());
        let els = elements(&xml);
        let suites: Vec<&String> = els
            .iter()
            .filter(|e| e.1 == "testsuite")
            .map(|e| &e.2[0].1)
            .collect();
        assert_eq!(suites, ["web &lt;tier&gt; &amp; &quot;db&quot;", "play"]);
        let cases: Vec<String> = els
            .iter()
            .filter(|e| e.1 == "testcase")
            .map(|e| e.2[1].1.clone())
            .collect();
        assert_eq!(
            cases,
            [
                "[vm1] install",
                "[vm2] install",
                "[vm1] optional",
                "[vm2] optional",
                "[vm1] may fail",
                "[vm1] ping"
            ]
        );
        let kinds: Vec<&str> = els
            .iter()
            .filter(|e| e.0 == 3)
            .map(|e| e.1.as_str())
            .collect();
        assert_eq!(kinds, ["failure", "skipped", "error"]);
        let root = &els[0];
        assert_eq!(root.1, "testsuites");
        assert!(root.2.contains(&("tests".to_string(), "6".to_string())));
    }

    #[test]
    fn escaping() {
        assert_eq!(
            attr("a\"b'<c>&\n\t\u{7}"),
            "a&quot;b&apos;&lt;c&gt;&amp;&#10;&#9;\u{FFFD}"
        );
        assert_eq!(text("a<b>&\"c\"\n\u{0}"), "a&lt;b&gt;&amp;\"c\"\n\u{FFFD}");
    }
}
