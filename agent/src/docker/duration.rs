//! Durations as community.docker writes them: `"5s"`, `"1m30s"`, `"500ms"`, `"2h"`.
//!
//! Healthcheck intervals, health bounds and lock waits all use this form, so playbooks written
//! for community.docker keep their values. A bare number means seconds.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// Parses `1h2m3s4ms5us` (any subset, in any order) or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || {
        format!("invalid duration '{text}': write it like 30s, 1m30s, 500ms or 2h (units h, m, s, ms, us)")
    };
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return if secs >= 0.0 && secs.is_finite() {
            Ok(Duration::from_secs_f64(secs))
        } else {
            Err(bad())
        };
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return Err(bad()),
        };
        total += Duration::from_secs_f64(value * scale);
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// A duration option that accepts `"1m30s"` or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationArg(pub Duration);

impl<'de> Deserialize<'de> for DurationArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(n) => parse_duration(&n.to_string()),
            Raw::Text(t) => parse_duration(&t),
        }
        .map(DurationArg)
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn community_docker_forms_parse() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(
            parse_duration("1s500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
    }

    #[test]
    fn nonsense_is_rejected_with_the_accepted_form() {
        for bad in ["", "s", "5x", "1m30", "-3", "five seconds"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("1m30s"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_option_accepts_numbers_and_strings() {
        let d: DurationArg = serde_json::from_str("\"2m\"").unwrap();
        assert_eq!(d.0, Duration::from_secs(120));
        let d: DurationArg = serde_json::from_str("3").unwrap();
        assert_eq!(d.0, Duration::from_secs(3));
        assert!(serde_json::from_str::<DurationArg>("\"x\"").is_err());
    }
}
