//! The `[mail]` settings: which sender, the From line, and the SMTP relay.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `[mail]` in `chiso.toml`. Every key has a default, so a fresh install
/// writes invitations to an outbox directory instead of mailing anyone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    pub transport: TransportKind,
    /// `address` or `Name <address>`; without a name the organisation is shown.
    pub from: String,
    pub reply_to: Option<String>,
    /// Who sends the survey, named in every message and in the From line.
    pub organization: String,
    /// Where the file outbox writes `.eml` files; defaults to `{data_dir}/outbox`.
    pub outbox_dir: Option<PathBuf>,
    pub smtp: SmtpSettings,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            transport: TransportKind::File,
            from: "noreply@localhost".to_string(),
            reply_to: None,
            organization: "Sở Nội vụ".to_string(),
            outbox_dir: None,
            smtp: SmtpSettings::default(),
        }
    }
}

impl MailSettings {
    pub fn outbox_dir(&self, data_dir: &Path) -> PathBuf {
        self.outbox_dir
            .clone()
            .unwrap_or_else(|| data_dir.join("outbox"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    Smtp,
    File,
}

/// `[mail.smtp]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    pub host: String,
    /// Defaults by security: 25 (`none`), 587 (`starttls`), 465 (`tls`).
    pub port: Option<u16>,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Connect, read and write timeout of one SMTP exchange.
    pub timeout_seconds: u64,
    /// The name given in EHLO; defaults to this machine's host name.
    pub hello_name: Option<String>,
    /// A PEM file of CA certificates trusted besides the system's, for a
    /// relay whose certificate comes from the province's own CA.
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".to_string(),
            port: None,
            security: Security::Starttls,
            username: None,
            password: None,
            timeout_seconds: 30,
            hello_name: None,
            ca_file: None,
        }
    }
}

impl SmtpSettings {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::None => 25,
            Security::Starttls => 587,
            Security::Tls => 465,
        })
    }
}

// The password must not reach a log line through `{:?}` of the settings.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout_seconds", &self.timeout_seconds)
            .field("hello_name", &self.hello_name)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text; only for a relay on the same machine or a test peer.
    None,
    /// Plain connect, then STARTTLS, which must succeed.
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// A setting that cannot work, named by its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cấu hình thư [mail] {key}: {reason}")]
pub struct SettingsError {
    pub key: &'static str,
    pub reason: String,
}

impl SettingsError {
    pub(crate) fn new(key: &'static str, reason: impl Into<String>) -> Self {
        Self {
            key,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_write_to_the_outbox_under_the_data_dir() {
        let s = MailSettings::default();
        assert_eq!(s.transport, TransportKind::File);
        assert_eq!(
            s.outbox_dir(Path::new("data")),
            Path::new("data").join("outbox")
        );
        assert_eq!(s.smtp.port(), 587);
    }

    #[test]
    fn ports_follow_security_unless_given() {
        let mut s = SmtpSettings {
            security: Security::Tls,
            ..SmtpSettings::default()
        };
        assert_eq!(s.port(), 465);
        s.security = Security::None;
        assert_eq!(s.port(), 25);
        s.port = Some(2525);
        assert_eq!(s.port(), 2525);
    }

    #[test]
    fn a_misspelt_key_is_refused_and_the_password_is_not_printed() {
        let bad: Result<MailSettings, _> =
            toml::from_str("transport = \"smtp\"\nfrom_adress = \"a@b.vn\"\n");
        assert!(bad.unwrap_err().to_string().contains("from_adress"));
        let bad: Result<MailSettings, _> = toml::from_str("[smtp]\nsecurity = \"ssl\"\n");
        assert!(bad.is_err());
        let ok: MailSettings = toml::from_str(
            "transport = \"smtp\"\n[smtp]\nhost = \"mail.snv.vn\"\nsecurity = \"tls\"\nusername = \"u\"\npassword = \"bí-mật\"\n",
        )
        .unwrap();
        assert_eq!(ok.smtp.port(), 465);
        assert!(!format!("{ok:?}").contains("bí-mật"));
    }
}
