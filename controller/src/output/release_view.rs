//! A release result in a reviewer's words: `image reg/app:v1@sha256:1a2b.. -> reg/app:v2@sha256:3c4d..`,
//! `env keys: +APP_C ~APP_A -APP_B`, `recreate: app`. Used under `--diff` (check mode or not)
//! and in `play plan`'s summary. Only names, tags and digests: env values never reach here
//! (the agent reports env keys only).

use serde_json::Value;

fn s<'a>(r: &'a Value, key: &str) -> Option<&'a str> {
    r.get(key).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// `sha256:0123456789ab` (12 hex digits: enough to tell images apart at a glance).
pub fn short_digest(d: &str) -> String {
    match d.strip_prefix("sha256:") {
        Some(hex) => format!("sha256:{}", hex.get(..12).unwrap_or(hex)),
        None => d.to_string(),
    }
}

/// `reg:5000/app:v1` or `reg:5000/app@sha256:..` -> `reg:5000/app`.
pub fn repo_of(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(i) if !no_digest[i..].contains('/') => &no_digest[..i],
        _ => no_digest,
    }
}

fn describe(image: Option<&str>, tag: Option<&str>, digest: Option<&str>) -> String {
    let Some(image) = image else {
        return "(none)".into();
    };
    let mut out = repo_of(image).to_string();
    if let Some(t) = tag {
        out.push(':');
        out.push_str(t);
    }
    match digest {
        Some(d) => {
            out.push('@');
            out.push_str(&short_digest(d));
        }
        None => out.push_str(" (digest unknown: the registry could not be asked)"),
    }
    out
}

/// Whether a module result is a release's (it carries the release's own fields).
pub fn is_release(result: &Value) -> bool {
    result.get("outcome").is_some() && result.get("env_keys").is_some()
}

/// The reviewer's lines for a release result that changes (or would change) something;
/// None for other results and for releases that change nothing.
pub fn release_lines(result: &Value) -> Option<Vec<String>> {
    if !is_release(result) || result.get("changed") != Some(&Value::Bool(true)) {
        return None;
    }
    let service = s(result, "service").unwrap_or("?");
    let mut lines = Vec::new();
    let before = describe(
        s(result, "previous_image"),
        s(result, "previous_tag"),
        s(result, "previous_digest").or(s(result, "previous_image_id")),
    );
    let after = describe(
        s(result, "image"),
        s(result, "tag"),
        s(result, "digest").or(s(result, "image_id")),
    );
    if result.get("image_changed") == Some(&Value::Bool(true)) {
        lines.push(format!("image {before} -> {after}"));
    } else {
        lines.push(format!("image {after} (unchanged)"));
    }
    let env = &result["env_keys"];
    let keys = |k: &str, sign: char| -> Vec<String> {
        env[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|n| format!("{sign}{n}"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let env_words = [
        keys("added", '+'),
        keys("changed", '~'),
        keys("removed", '-'),
    ]
    .concat();
    if !env_words.is_empty() {
        lines.push(format!("env keys: {}", env_words.join(" ")));
    }
    let others: Vec<&str> = result["changed_fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|f| !matches!(*f, "image" | "env" | "env_file"))
                .collect()
        })
        .unwrap_or_default();
    if !others.is_empty() {
        lines.push(format!("config: {}", others.join(", ")));
    }
    let recreated = result.get("recreated") == Some(&Value::Bool(true));
    let word = if result.get("outcome").and_then(Value::as_str) == Some("would_release") {
        "recreate"
    } else {
        "recreated"
    };
    if recreated {
        lines.push(format!("{word}: {service}"));
    }
    Some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_like_a_review() {
        let d1 = format!("sha256:{}", "1".repeat(64));
        let d2 = format!("sha256:{}", "2".repeat(64));
        let r = json!({
            "changed": true, "outcome": "would_release", "service": "app",
            "image": "reg:5000/app:v2", "tag": "v2", "digest": d2,
            "previous_image": "reg:5000/app:v1", "previous_tag": "v1", "previous_digest": d1,
            "image_changed": true, "recreated": true,
            "changed_fields": ["image", "env", "env_file", "ports"],
            "env_keys": {"added": ["APP_C"], "changed": ["APP_A"], "removed": ["APP_B"]},
        });
        assert_eq!(
            release_lines(&r).unwrap(),
            vec![
                "image reg:5000/app:v1@sha256:111111111111 -> reg:5000/app:v2@sha256:222222222222",
                "env keys: +APP_C ~APP_A -APP_B",
                "config: ports",
                "recreate: app",
            ]
        );
        let pinned = json!({
            "changed": true, "outcome": "released", "service": "app",
            "image": format!("reg:5000/app@{d2}"), "tag": "v2", "digest": d2,
            "image_changed": false, "recreated": true, "changed_fields": ["env"],
            "env_keys": {"added": [], "changed": ["APP_A"], "removed": []},
        });
        assert_eq!(
            release_lines(&pinned).unwrap(),
            vec![
                "image reg:5000/app:v2@sha256:222222222222 (unchanged)",
                "env keys: ~APP_A",
                "recreated: app",
            ]
        );
        assert!(release_lines(&json!({"changed": true, "msg": "x"})).is_none());
        assert!(
            release_lines(&json!({"changed": false, "outcome": "unchanged", "env_keys": {}}))
                .is_none()
        );
    }
}
