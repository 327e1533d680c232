//! String, path and hash filters: `b64encode`/`b64decode`, `basename`/`dirname`/`splitext`/
//! `path_join` (Python's `os.path` on POSIX paths), `quote` (Python's `shlex.quote`),
//! `hash`/`checksum`/`md5`/`sha1`.

use super::{defined, invalid};
use base64::Engine;
use minijinja::value::ValueKind;
use minijinja::{Error, Value};
use sha2::Digest as _;

fn text_of(v: &Value) -> Result<String, Error> {
    Ok(defined(v)?.to_string())
}

pub fn b64encode(v: &Value) -> Result<String, Error> {
    Ok(base64::engine::general_purpose::STANDARD.encode(text_of(v)?))
}

pub fn b64decode(v: &Value) -> Result<String, Error> {
    let text = text_of(v)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| invalid(format!("b64decode: not valid base64: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `os.path.basename`: everything after the last `/` (empty for a trailing slash).
pub fn basename(v: &Value) -> Result<String, Error> {
    let p = text_of(v)?;
    Ok(p.rsplit('/').next().unwrap_or_default().to_string())
}

/// `os.path.dirname`: everything before the last `/`, trailing slashes removed unless the
/// result is the root.
pub fn dirname(v: &Value) -> Result<String, Error> {
    let p = text_of(v)?;
    Ok(match p.rfind('/') {
        None => String::new(),
        Some(i) => {
            let head = &p[..=i];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() {
                head.to_string()
            } else {
                trimmed.to_string()
            }
        }
    })
}

/// `os.path.splitext`: `[root, ext]`; leading dots of the file name are not an extension.
pub fn splitext(v: &Value) -> Result<Value, Error> {
    let p = text_of(v)?;
    let name_start = p.rfind('/').map_or(0, |i| i + 1);
    let name = &p[name_start..];
    let dots = name.len() - name.trim_start_matches('.').len();
    let (root, ext) = match name.rfind('.') {
        Some(i) if i >= dots => p.split_at(name_start + i),
        _ => (p.as_str(), ""),
    };
    Ok(Value::from(vec![Value::from(root), Value::from(ext)]))
}

/// `['a', 'b'] | path_join` (`os.path.join`: an absolute part restarts the path).
pub fn path_join(v: &Value) -> Result<String, Error> {
    let parts: Vec<String> = match defined(v)?.kind() {
        ValueKind::String => return Ok(v.to_string()),
        _ => v.try_iter()?.map(|p| p.to_string()).collect(),
    };
    let mut out = String::new();
    for part in parts {
        if part.starts_with('/') || out.is_empty() {
            out = part;
        } else {
            if !out.ends_with('/') {
                out.push('/');
            }
            out.push_str(&part);
        }
    }
    Ok(out)
}

/// Python's `shlex.quote`: safe strings as they are, anything else single-quoted.
pub fn quote(v: &Value) -> Result<String, Error> {
    let s = if v.is_none() {
        String::new()
    } else {
        text_of(v)?
    };
    Ok(shell_quote(&s))
}

pub fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let safe = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\"'\"'"))
    }
}

/// Jinja2's `center(width=80)`: Python's `str.center` (extra padding goes to the right
/// when the text length is odd, to the left when even).
pub fn center(v: &Value, width: Option<usize>) -> Result<String, Error> {
    let s = text_of(v)?;
    let width = width.unwrap_or(80);
    let len = s.chars().count();
    if len >= width {
        return Ok(s);
    }
    let pad = width - len;
    let left = pad / 2 + (pad & width & 1);
    Ok(format!("{}{s}{}", " ".repeat(left), " ".repeat(pad - left)))
}

/// `hash('sha1')` (the default), `md5`, `sha224`, `sha256`, `sha384`, `sha512`: hex digest
/// of the value's text.
pub fn hash(v: &Value, algorithm: Option<String>) -> Result<String, Error> {
    let data = text_of(v)?;
    let data = data.as_bytes();
    let algorithm = algorithm.unwrap_or_else(|| "sha1".into());
    Ok(match algorithm.as_str() {
        "sha1" => {
            use sha1::Digest as _;
            hex::encode(sha1::Sha1::digest(data))
        }
        "md5" => format!("{:x}", md5::compute(data)),
        "sha224" => hex::encode(sha2::Sha224::digest(data)),
        "sha256" => hex::encode(sha2::Sha256::digest(data)),
        "sha384" => hex::encode(sha2::Sha384::digest(data)),
        "sha512" => hex::encode(sha2::Sha512::digest(data)),
        other => {
            return Err(invalid(format!(
                "hash: unsupported algorithm '{other}' (use sha1, md5, sha224, sha256, sha384 or sha512)"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    #[test]
    fn paths_behave_like_os_path() {
        assert_eq!(basename(&s("/etc/nginx/nginx.conf")).unwrap(), "nginx.conf");
        assert_eq!(basename(&s("/etc/nginx/")).unwrap(), "");
        assert_eq!(dirname(&s("/etc/nginx/nginx.conf")).unwrap(), "/etc/nginx");
        assert_eq!(dirname(&s("/etc")).unwrap(), "/");
        assert_eq!(dirname(&s("file")).unwrap(), "");
        assert_eq!(dirname(&s("a//b")).unwrap(), "a");
        assert_eq!(
            splitext(&s("a/b.tar.gz")).unwrap().to_string(),
            "['a/b.tar', '.gz']"
        );
        assert_eq!(
            splitext(&s("/x/.bashrc")).unwrap().to_string(),
            "['/x/.bashrc', '']"
        );
        assert_eq!(splitext(&s("a.b/c")).unwrap().to_string(), "['a.b/c', '']");
        let parts = Value::from(vec!["/etc", "app", "conf.d"]);
        assert_eq!(path_join(&parts).unwrap(), "/etc/app/conf.d");
        assert_eq!(path_join(&Value::from(vec!["a", "/b"])).unwrap(), "/b");
    }

    #[test]
    fn center_matches_python() {
        assert_eq!(center(&s("ab"), Some(6)).unwrap(), "  ab  ");
        assert_eq!(center(&s("abc"), Some(6)).unwrap(), " abc  ");
        assert_eq!(center(&s("ab"), Some(5)).unwrap(), "  ab ");
        assert_eq!(center(&s("abc"), Some(2)).unwrap(), "abc");
    }

    #[test]
    fn quote_matches_shlex() {
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("abc-1.2/x"), "abc-1.2/x");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn hashes_and_base64() {
        assert_eq!(
            hash(&s("abc"), None).unwrap(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hash(&s("abc"), Some("md5".into())).unwrap(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hash(&s("abc"), Some("sha256".into())).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hash(&s("abc"), Some("crc".into())).is_err());
        assert_eq!(b64encode(&s("héllo")).unwrap(), "aMOpbGxv");
        assert_eq!(b64decode(&s("aMOpbGxv")).unwrap(), "héllo");
        assert!(b64decode(&s("!!")).is_err());
    }
}
