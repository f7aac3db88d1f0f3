//! Sending through an SMTP relay with lettre's blocking, pooled transport:
//! the service sends from blocking threads, and a pool keeps one connection
//! busy for a whole batch of invitations.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport as _};

use super::settings::{Security, SettingsError, SmtpSettings};
use super::MailError;

#[derive(Clone)]
pub struct Smtp {
    transport: SmtpTransport,
    description: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl Smtp {
    pub fn new(s: &SmtpSettings) -> Result<Self, SettingsError> {
        let host = s.host.trim();
        if host.is_empty() {
            return Err(SettingsError::new("smtp.host", "tên máy chủ thư trống"));
        }
        if s.timeout_seconds == 0 {
            return Err(SettingsError::new(
                "smtp.timeout_seconds",
                "phải lớn hơn 0 giây",
            ));
        }
        let extra_roots = match &s.ca_file {
            None => None,
            Some(_) if s.security == Security::None => {
                return Err(SettingsError::new(
                    "smtp.ca_file",
                    "chỉ dùng với security = \"starttls\" hoặc \"tls\"",
                ))
            }
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    SettingsError::new(
                        "smtp.ca_file",
                        format!("không đọc được {}: {e}", path.display()),
                    )
                })?;
                let cert = Certificate::from_pem(&pem)
                    .ok()
                    .filter(|_| pem.windows(11).any(|w| w == b"-----BEGIN "))
                    .ok_or_else(|| {
                        SettingsError::new(
                            "smtp.ca_file",
                            format!("{} không phải là chứng thư PEM", path.display()),
                        )
                    })?;
                Some(cert)
            }
        };
        let tls = || {
            let mut b = TlsParameters::builder(host.to_string());
            if let Some(cert) = &extra_roots {
                b = b.add_root_certificate(cert.clone());
            }
            b.build().map_err(|e| {
                SettingsError::new("smtp.security", format!("không dựng được TLS: {e}"))
            })
        };
        let mut b = SmtpTransport::builder_dangerous(host)
            .port(s.port())
            .timeout(Some(Duration::from_secs(s.timeout_seconds)))
            .tls(match s.security {
                Security::None => Tls::None,
                Security::Starttls => Tls::Required(tls()?),
                Security::Tls => Tls::Wrapper(tls()?),
            });
        match (&s.username, &s.password) {
            (Some(user), Some(password)) => {
                if s.security == Security::None {
                    return Err(SettingsError::new(
                        "smtp.security",
                        "có tên đăng nhập và mật khẩu thì phải là \"starttls\" hoặc \"tls\": mật khẩu không được đi qua mạng mà không mã hoá",
                    ));
                }
                b = b.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            _ => {
                return Err(SettingsError::new(
                    "smtp.username",
                    "tên đăng nhập và mật khẩu phải có cả hai hoặc không có cả hai",
                ))
            }
        }
        if let Some(name) = &s.hello_name {
            b = b.hello_name(ClientId::Domain(name.clone()));
        }
        let security = match s.security {
            Security::None => "none",
            Security::Starttls => "starttls",
            Security::Tls => "tls",
        };
        Ok(Self {
            transport: b.build(),
            description: format!("smtp {host}:{} ({security})", s.port()),
        })
    }

    pub(crate) fn deliver(&self, email: &lettre::Message) -> Result<String, MailError> {
        let reply = self
            .transport
            .send(email)
            .map_err(|e| MailError::from_smtp(&e))?;
        let words: Vec<&str> = reply.message().collect();
        Ok(format!("{} {}", reply.code(), words.join(" ")))
    }

    pub fn describe(&self) -> &str {
        &self.description
    }
}
