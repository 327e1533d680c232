//! The set of secret strings known to this run, and censoring of everything printed.
//!
//! Values decrypted from vault, registry passwords and anything marked no_log are added here
//! as soon as they are known; every byte the printer and the report write passes through
//! [`Secrets::censor`], so a secret cannot leak through a message that happens to quote it.

use serde_json::Value;
use std::sync::{Arc, RwLock};

pub const MASK: &str = "********";

/// Shared, cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Arc<RwLock<Vec<String>>>,
}

impl Secrets {
    /// Registers a secret; very short values (under 4 chars) are not censored to keep output
    /// readable, as they would match everywhere.
    pub fn add(&self, secret: &str) {
        if secret.len() < 4 {
            return;
        }
        let mut values = self.values.write().unwrap_or_else(|e| e.into_inner());
        if !values.iter().any(|v| v == secret) {
            values.push(secret.to_string());
            // Longest first, so a secret containing another is masked whole.
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// Registers every string inside a value (for vaulted structures and no_log vars).
    pub fn add_value(&self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Array(items) => items.iter().for_each(|v| self.add_value(v)),
            Value::Object(map) => map.values().for_each(|v| self.add_value(v)),
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.read().map(|v| v.is_empty()).unwrap_or(true)
    }

    pub fn censor(&self, text: &str) -> String {
        let values = self.values.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for secret in values.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
            // Secrets also appear JSON-escaped inside serialized reports.
            let escaped = serde_json::to_string(secret).unwrap_or_default();
            let escaped = &escaped[1..escaped.len().saturating_sub(1)];
            if escaped != secret && out.contains(escaped) {
                out = out.replace(escaped, MASK);
            }
        }
        out
    }

    pub fn censor_value(&self, value: &Value) -> Value {
        if self.is_empty() {
            return value.clone();
        }
        match value {
            Value::String(s) => Value::String(self.censor(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.censor_value(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.censor_value(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn censors_plain_and_json_escaped() {
        let s = Secrets::default();
        s.add("pa\"ss-word");
        assert_eq!(s.censor("x pa\"ss-word y"), "x ******** y");
        let json = serde_json::to_string(&json!({"m": "pa\"ss-word"})).unwrap();
        assert!(!s.censor(&json).contains("ss-word"));
    }

    #[test]
    fn longest_secret_wins() {
        let s = Secrets::default();
        s.add("abcd");
        s.add("abcdefgh");
        assert_eq!(s.censor("abcdefgh"), MASK);
    }
}
