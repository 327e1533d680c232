//! The AES256 cipher of ansible-vault, byte for byte as Ansible's `VaultAES256` does it.
//!
//! PBKDF2-HMAC-SHA256 (10000 rounds) turns password + 32-byte salt into 80 bytes: an AES-256
//! key, an HMAC-SHA256 key and a 16-byte CTR counter block. The plaintext is PKCS7-padded to
//! 16 bytes (needless for CTR, but it is the format), encrypted, and authenticated with the
//! HMAC over the ciphertext. The "vaulttext" is `hex(salt) \n hex(hmac) \n hex(ciphertext)`,
//! hexlified once more as a whole. The envelope (header line, 80 columns) is `envelope.rs`.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, KeyInit, Mac};
use sha2_v011::Sha256;
use zeroize::{Zeroize, Zeroizing};

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

const ROUNDS: u32 = 10_000;
pub(crate) const SALT_LEN: usize = 32;
const BLOCK: usize = 16;

/// Why a vaulttext could not even be tried: it is not well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormatError(pub String);

/// The three parts of a vaulttext, unhexlified.
pub(crate) struct Payload {
    salt: Vec<u8>,
    hmac: Vec<u8>,
    ciphertext: Vec<u8>,
}

/// The keys PBKDF2 derives; wiped when dropped.
struct Keys {
    bytes: [u8; 80],
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl Keys {
    fn derive(password: &[u8], salt: &[u8]) -> Keys {
        let mut bytes = [0u8; 80];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, ROUNDS, &mut bytes);
        Keys { bytes }
    }

    fn cipher(&self) -> Aes256Ctr {
        // Fixed-size slices of a fixed-size array: the lengths always match.
        Aes256Ctr::new_from_slices(&self.bytes[..32], &self.bytes[64..80])
            .expect("AES-256 key is 32 bytes and the CTR block 16")
    }

    fn mac(&self) -> HmacSha256 {
        <HmacSha256 as KeyInit>::new_from_slice(&self.bytes[32..64])
            .expect("HMAC takes keys of any length")
    }
}

/// Encrypts `plaintext` into a vaulttext (the hex text that goes under the header).
pub(crate) fn encrypt(plaintext: &[u8], password: &[u8], salt: &[u8]) -> String {
    let keys = Keys::derive(password, salt);
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut data = Zeroizing::new(Vec::with_capacity(plaintext.len() + pad));
    data.extend_from_slice(plaintext);
    data.extend(std::iter::repeat_n(pad as u8, pad));
    keys.cipher().apply_keystream(&mut data);
    let mut mac = keys.mac();
    mac.update(&data);
    let tag = mac.finalize().into_bytes();
    let inner = format!(
        "{}\n{}\n{}",
        hex::encode(salt),
        hex::encode(tag.as_slice()),
        hex::encode(&data[..])
    );
    hex::encode(inner)
}

/// A fresh random salt, as Ansible takes from `os.urandom(32)`.
pub(crate) fn random_salt() -> Result<[u8; SALT_LEN], String> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| format!("cannot get random bytes for the salt: {e}"))?;
    Ok(salt)
}

impl Payload {
    /// Splits a vaulttext (hex, line breaks already removed) into its parts.
    pub(crate) fn parse(vaulttext: &[u8]) -> Result<Payload, FormatError> {
        let inner = hex::decode(vaulttext).map_err(|e| {
            FormatError(format!(
                "the encrypted data is not hexadecimal ({e}); the file or value is damaged or cut short"
            ))
        })?;
        let mut parts = inner.splitn(3, |b| *b == b'\n');
        let (Some(salt), Some(hmac), Some(ciphertext)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(FormatError(
                "the encrypted data lacks its salt, HMAC or ciphertext; the file or value is damaged or cut short"
                    .into(),
            ));
        };
        let unhex = |what: &str, part: &[u8]| {
            hex::decode(part).map_err(|e| {
                FormatError(format!(
                    "the {what} is not hexadecimal ({e}); the file or value is damaged or cut short"
                ))
            })
        };
        Ok(Payload {
            salt: unhex("salt", salt)?,
            hmac: unhex("HMAC", hmac)?,
            ciphertext: unhex("ciphertext", ciphertext)?,
        })
    }

    /// The plaintext, if `password` is the right one. The HMAC is checked in constant time
    /// before anything is decrypted; `Ok(None)` means the password does not match (or the
    /// data was changed, which cannot be told apart).
    pub(crate) fn open(&self, password: &[u8]) -> Result<Option<Vec<u8>>, FormatError> {
        let keys = Keys::derive(password, &self.salt);
        let mut mac = keys.mac();
        mac.update(&self.ciphertext);
        if mac.verify_slice(&self.hmac).is_err() {
            return Ok(None);
        }
        let mut data = self.ciphertext.clone();
        keys.cipher().apply_keystream(&mut data);
        let pad = data.last().copied().unwrap_or(0) as usize;
        let valid = (1..=BLOCK).contains(&pad)
            && pad <= data.len()
            && data[data.len() - pad..].iter().all(|b| *b as usize == pad);
        if !valid {
            data.zeroize();
            return Err(FormatError(
                "the decrypted data has invalid padding; the file or value is damaged".into(),
            ));
        }
        data.truncate(data.len() - pad);
        Ok(Some(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_every_padding_length() {
        let salt = [7u8; SALT_LEN];
        for len in 0..40 {
            let plain: Vec<u8> = (0..len as u8).collect();
            let vaulttext = encrypt(&plain, b"pw", &salt);
            let payload = Payload::parse(vaulttext.as_bytes()).unwrap();
            assert_eq!(payload.open(b"pw").unwrap().unwrap(), plain, "len {len}");
            assert_eq!(payload.open(b"other").unwrap(), None);
        }
    }

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1, 64).
        let mut out = [0u8; 64];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(hex::encode(&out[..16]), "55ac046e56e3089fec1691c22544b605");
    }

    #[test]
    fn bad_padding_after_a_valid_hmac_is_a_format_error() {
        // Build a vaulttext whose last byte decrypts to 0 (never valid PKCS7).
        let salt = [1u8; SALT_LEN];
        let keys = Keys::derive(b"pw", &salt);
        let mut data = vec![0u8; BLOCK];
        keys.cipher().apply_keystream(&mut data);
        let mut mac = keys.mac();
        mac.update(&data);
        let tag = mac.finalize().into_bytes();
        let inner = format!(
            "{}\n{}\n{}",
            hex::encode(salt),
            hex::encode(tag.as_slice()),
            hex::encode(&data)
        );
        let payload = Payload::parse(hex::encode(inner).as_bytes()).unwrap();
        assert!(payload.open(b"pw").unwrap_err().0.contains("padding"));
    }
}
