//! The server's secret key. Invitation tokens are derived from it, so the
//! database holds only their hashes and still every reminder carries the
//! same link. Every instance of a deployment must use the same key.

use std::path::Path;

use crate::domain::contact::ShortCode;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::{Result, ServiceError};
use crate::domain::token::Token;

#[derive(Clone)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// 64 hex digits, as in the `secret_key` setting.
    pub fn from_hex(text: &str) -> Result<Self> {
        let bytes = hex::decode(text.trim()).map_err(|_| bad_key())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad_key())?;
        Ok(Self(bytes))
    }

    /// The `secret_key` setting when given, else the key file (made on the
    /// first start).
    pub fn from_setting(key: Option<&str>, file: &Path) -> Result<Self> {
        match key {
            Some(hex) => Self::from_hex(hex),
            None => Self::load_or_create(file),
        }
    }

    /// Reads the key file, or makes one (readable by the owner only) on the
    /// first start.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::rng().fill_bytes(&mut bytes);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| io(path, e))?;
                }
                write_private(path, &hex::encode(bytes)).map_err(|e| io(path, e))?;
                Ok(Self(bytes))
            }
            Err(e) => Err(io(path, e)),
        }
    }

    /// A keyed shuffle key of a response: orders an anonymous campaign's
    /// microdata so that neither row order nor numbers follow submission.
    pub fn response_order(&self, campaign_id: i64, response_id: i64) -> [u8; 16] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("chiso response order|{campaign_id}|{response_id}").as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes
    }

    /// A keyed, per-campaign fingerprint of where an open-link form was
    /// started (`kind` is "client" for the address, "device" for the device
    /// cookie): equal for the same origin within a campaign, so staff can
    /// count forms from one origin, and useless for recovering the address
    /// or linking campaigns.
    pub fn origin_key(&self, campaign_id: i64, kind: &str, value: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("chiso open origin|{campaign_id}|{kind}|{value}").as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// The short code printed on a drawn person's letter, typed at `/ma`:
    /// derived like the token, so a reprinted letter carries the same code.
    pub fn short_code(&self, campaign_id: i64, frame_person_id: i64) -> ShortCode {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("chiso short code|{campaign_id}|{frame_person_id}").as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        ShortCode::from_bytes(&bytes)
    }

    /// The token of a drawn person's invitation link.
    pub fn invitation_token(&self, campaign_id: i64, frame_person_id: i64) -> Token {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(format!("chiso invitation token|{campaign_id}|{frame_person_id}").as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Token::from_bytes(bytes)
    }
}

fn bad_key() -> ServiceError {
    ServiceError::invalid("khoá bí mật (secret_key) phải là 64 chữ số thập lục phân")
}

fn io(path: &Path, e: std::io::Error) -> ServiceError {
    ServiceError::invalid(format!(
        "không đọc/ghi được khoá bí mật {}: {e}",
        path.display()
    ))
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_key_campaign_and_person() {
        let a = Secret::from_bytes([1; 32]);
        let b = Secret::from_bytes([2; 32]);
        assert_eq!(a.invitation_token(1, 7), a.invitation_token(1, 7));
        assert_ne!(a.invitation_token(1, 7), a.invitation_token(1, 8));
        assert_ne!(a.invitation_token(1, 7), a.invitation_token(2, 7));
        assert_ne!(a.invitation_token(1, 7), b.invitation_token(1, 7));
        let t = a.invitation_token(1, 7);
        assert_eq!(Token::parse(t.as_str()), Some(t));
    }

    #[test]
    fn the_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let first = Secret::load_or_create(&path).unwrap();
        let again = Secret::load_or_create(&path).unwrap();
        assert_eq!(first.0, again.0);
        assert!(Secret::from_hex("abc").is_err());
    }
}
