//! File modes as playbooks write them: `"0644"`, `"644"`, `420` (what YAML makes of an
//! unquoted `0644`), or chmod's symbolic form `"u=rw,g=r,o=r"` / `"u+x,go-w"`.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeSpec {
    /// Permission bits as a number (0..=0o7777).
    Bits(u32),
    /// chmod-style clauses, resolved against the current mode.
    Symbolic(String),
    /// `preserve`: keep the source's mode (copy with remote_src).
    Preserve,
}

impl ModeSpec {
    pub fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Number(n) => {
                let bits = n
                    .as_u64()
                    .filter(|b| *b <= 0o7777)
                    .ok_or_else(|| format!("mode {n} is not a valid file mode"))?;
                Ok(ModeSpec::Bits(bits as u32))
            }
            Value::String(s) => Self::parse(s),
            other => Err(format!("mode must be a string like \"0644\", not {other}")),
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "preserve" {
            return Ok(ModeSpec::Preserve);
        }
        let digits = s.strip_prefix("0o").unwrap_or(s);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return u32::from_str_radix(digits, 8)
                .ok()
                .filter(|b| *b <= 0o7777)
                .map(ModeSpec::Bits)
                .ok_or_else(|| format!("mode '{s}' is not a valid octal mode (like \"0644\")"));
        }
        // Validate the clauses now so a typo fails before anything is touched.
        apply_symbolic(s, 0, false)?;
        Ok(ModeSpec::Symbolic(s.to_string()))
    }

    /// The permission bits this spec gives a file whose current bits are `current`.
    pub fn resolve(&self, current: u32, is_dir: bool) -> Result<u32, String> {
        match self {
            ModeSpec::Bits(b) => Ok(*b),
            ModeSpec::Symbolic(s) => apply_symbolic(s, current & 0o7777, is_dir),
            ModeSpec::Preserve => Ok(current & 0o7777),
        }
    }
}

impl<'de> Deserialize<'de> for ModeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        ModeSpec::from_value(&v).map_err(serde::de::Error::custom)
    }
}

/// Formats bits as Ansible prints modes: four octal digits.
pub fn format_mode(bits: u32) -> String {
    format!("{:04o}", bits & 0o7777)
}

fn apply_symbolic(spec: &str, mut mode: u32, is_dir: bool) -> Result<u32, String> {
    let bad =
        |why: &str| format!("mode '{spec}': {why} (expected clauses like u=rw,g=r,o=r or u+x)");
    for clause in spec.split(',') {
        let who_end = clause
            .find(|c| !matches!(c, 'u' | 'g' | 'o' | 'a'))
            .ok_or_else(|| bad("a clause has no operator"))?;
        let mut who_mask = 0;
        for c in clause[..who_end].chars() {
            who_mask |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                _ => 0o7777,
            };
        }
        if who_mask == 0 {
            who_mask = 0o7777;
        }
        let mut rest = &clause[who_end..];
        if rest.is_empty() {
            return Err(bad("a clause has no operator"));
        }
        while !rest.is_empty() {
            let op = rest.as_bytes()[0];
            if !matches!(op, b'+' | b'-' | b'=') {
                return Err(bad(&format!("unexpected '{}'", op as char)));
            }
            rest = &rest[1..];
            let perm_end = rest.find(['+', '-', '=']).unwrap_or(rest.len());
            let executable = is_dir || mode & 0o111 != 0;
            let mut bits = 0;
            for c in rest[..perm_end].chars() {
                bits |= match c {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if executable => 0o111,
                    'X' => 0,
                    's' => 0o6000,
                    't' => 0o1000,
                    other => return Err(bad(&format!("unknown permission '{other}'"))),
                };
            }
            let value = bits & who_mask;
            mode = match op {
                b'+' => mode | value,
                b'-' => mode & !value,
                _ => (mode & !who_mask) | value,
            };
            rest = &rest[perm_end..];
        }
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_forms() {
        assert_eq!(
            ModeSpec::from_value(&json!("0644")).unwrap(),
            ModeSpec::Bits(0o644)
        );
        assert_eq!(
            ModeSpec::from_value(&json!("644")).unwrap(),
            ModeSpec::Bits(0o644)
        );
        assert_eq!(
            ModeSpec::from_value(&json!("0o750")).unwrap(),
            ModeSpec::Bits(0o750)
        );
        // YAML 1.1 reads an unquoted 0644 as the integer 420.
        assert_eq!(
            ModeSpec::from_value(&json!(420)).unwrap(),
            ModeSpec::Bits(0o644)
        );
        assert!(ModeSpec::from_value(&json!("0999")).is_err());
        assert!(ModeSpec::from_value(&json!(70000)).is_err());
        assert!(ModeSpec::from_value(&json!(true)).is_err());
        assert_eq!(format_mode(0o644), "0644");
    }

    #[test]
    fn symbolic_forms() {
        let r =
            |s: &str, cur: u32, dir: bool| ModeSpec::parse(s).unwrap().resolve(cur, dir).unwrap();
        assert_eq!(r("u=rw,g=r,o=r", 0o777, false), 0o644);
        assert_eq!(r("u+x", 0o644, false), 0o744);
        assert_eq!(r("go-w", 0o777, false), 0o755);
        assert_eq!(r("a+X", 0o644, true), 0o755);
        assert_eq!(r("a+X", 0o644, false), 0o644);
        assert_eq!(r("u=rwx,g=rx,o=", 0, true), 0o750);
        assert_eq!(r("u+s", 0o755, false), 0o4755);
        assert_eq!(r("+t", 0o777, true), 0o1777);
        assert_eq!(r("u=rw-w", 0, false), 0o400);
        assert!(ModeSpec::parse("u=rq").is_err());
        assert!(ModeSpec::parse("rw").is_err());
        assert!(ModeSpec::parse("u").is_err());
    }
}
