//! The text around a vaulttext: the `$ANSIBLE_VAULT;1.1;AES256` header (1.2 adds
//! `;<vault-id>`), and the hex payload wrapped at 80 columns, as Ansible writes and reads it.

use super::crypto::FormatError;

pub(crate) const HEADER: &str = "$ANSIBLE_VAULT";
pub(crate) const CIPHER: &str = "AES256";
/// The label of a secret given without one (Ansible's `DEFAULT_VAULT_IDENTITY`).
pub const DEFAULT_ID: &str = "default";

/// A parsed envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    pub cipher: String,
    /// The label in a 1.2 header; only a hint for picking the password, not authenticated.
    pub vault_id: Option<String>,
    /// The vaulttext: the payload lines joined, whitespace removed.
    pub vaulttext: Vec<u8>,
}

/// Whether `data` is vault-encrypted (Ansible's `is_encrypted`: ASCII starting with the header).
pub fn is_vault_file(data: &[u8]) -> bool {
    data.starts_with(HEADER.as_bytes()) && data.is_ascii()
}

impl Envelope {
    pub(crate) fn parse(text: &[u8]) -> Result<Envelope, FormatError> {
        let text = text.trim_ascii_start();
        if !is_vault_file(text) {
            return Err(FormatError(
                "this is not ansible-vault encrypted data (it does not start with $ANSIBLE_VAULT)"
                    .into(),
            ));
        }
        let mut lines = text.split(|b| *b == b'\n');
        let header = String::from_utf8_lossy(lines.next().unwrap_or_default());
        let fields: Vec<&str> = header.trim().split(';').map(str::trim).collect();
        if fields.len() < 3 {
            return Err(FormatError(format!(
                "the vault header '{}' is incomplete: expected $ANSIBLE_VAULT;1.1;AES256",
                header.trim()
            )));
        }
        let vault_id = fields
            .get(3)
            .filter(|id| !id.is_empty())
            .map(|id| id.to_string());
        let vaulttext: Vec<u8> = lines
            .flat_map(|line| line.iter().copied())
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if vaulttext.is_empty() {
            return Err(FormatError(
                "the vault has a header but no encrypted data; it was cut short".into(),
            ));
        }
        Ok(Envelope {
            cipher: fields[2].to_string(),
            vault_id,
            vaulttext,
        })
    }
}

/// The full text Ansible writes: header (1.2 with the id unless it is absent or `default`),
/// then the vaulttext in lines of 80, each ending in a newline.
pub(crate) fn format(vaulttext: &str, vault_id: Option<&str>) -> String {
    let mut out = match vault_id.filter(|id| !id.is_empty() && *id != DEFAULT_ID) {
        Some(id) => format!("{HEADER};1.2;{CIPHER};{id}\n"),
        None => format!("{HEADER};1.1;{CIPHER}\n"),
    };
    for chunk in vaulttext.as_bytes().chunks(80) {
        // The vaulttext is hex: every chunk is ASCII.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_wrapping() {
        let text = format(&"ab".repeat(81), Some("prod"));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "$ANSIBLE_VAULT;1.2;AES256;prod");
        assert_eq!(lines[1].len(), 80);
        assert_eq!(lines[2].len(), 80);
        assert_eq!(lines[3], "ab");
        assert!(text.ends_with("ab\n"));
        assert!(format("ab", Some("default")).starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
        assert!(format("ab", None).starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));

        let env = Envelope::parse(text.as_bytes()).unwrap();
        assert_eq!(env.vault_id.as_deref(), Some("prod"));
        assert_eq!(env.cipher, "AES256");
        assert_eq!(env.vaulttext, "ab".repeat(81).into_bytes());
    }

    #[test]
    fn damaged_envelopes() {
        assert!(Envelope::parse(b"hello").is_err());
        assert!(Envelope::parse(b"$ANSIBLE_VAULT;1.1\nabcd\n")
            .unwrap_err()
            .0
            .contains("incomplete"));
        assert!(Envelope::parse(b"$ANSIBLE_VAULT;1.1;AES256\n")
            .unwrap_err()
            .0
            .contains("cut short"));
        assert!(!is_vault_file("$ANSIBLE_VAULT;1.1;AES256\né".as_bytes()));
    }
}
