//! Layered settings: defaults, then an optional `chiso.toml`, then `CHISO__…`
//! environment variables, then `DATABASE_URL`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::mail::MailSettings;
// Plain data only: the settings say what the service is told, never call it.
use crate::service::accounts::{Limits, PasswordCost};
use crate::service::notices::NoticeOptions;
use crate::service::Options;

/// A misspelt key is an error, not a silently ignored setting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `postgres://…`, `sqlite://path` or a `.db` path; defaults to a file in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub bind: String,
    /// Where links in printed output and e-mails point; defaults to `http://{bind}`.
    pub public_url: Option<String>,
    pub questionnaires_dir: PathBuf,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Largest staff upload (CSV imports, evidence), in bytes; larger ones get 413.
    pub max_upload_bytes: u64,
    pub pool_size: u32,
    /// The server key invitation tokens are derived from (64 hex digits);
    /// without it, `data_dir/secret.key` is made on first use. Every
    /// instance of a deployment needs the same key.
    pub secret_key: Option<String>,
    /// HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub invitations: Invitations,
    /// `[notices]`: the e-mails to staff during the appraisal.
    #[serde(default)]
    pub notices: Notices,
    /// `[mail]`: how invitations leave; by default `.eml` files in `{data_dir}/outbox`.
    #[serde(default)]
    pub mail: MailSettings,
    /// `[exports]`: how many downloads stream at once.
    #[serde(default)]
    pub exports: Exports,
}

/// Streamed downloads (`[exports]`): each holds a thread while it runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Exports {
    /// Downloads one instance streams at once; one more gets 503.
    pub streams: usize,
    /// A download whose client reads nothing for this long is stopped,
    /// so a client that opens exports and never reads them holds no thread.
    pub stall_seconds: u64,
}

impl Default for Exports {
    fn default() -> Self {
        Self {
            streams: 4,
            stall_seconds: 60,
        }
    }
}

/// Limits that keep accounts and tokens from being guessed. Kept in the
/// database, so every instance behind a load balancer counts the same hits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Security {
    /// A staff session ends this many hours after login.
    pub session_hours: i64,
    /// Failed logins per account, and per client address, in one window.
    pub login_failures_per_account: i32,
    pub login_failures_per_client: i32,
    /// Unknown or used survey tokens one client may try in one window.
    pub token_misses_per_client: i32,
    /// Respondent forms one client may start from open links in one window.
    pub open_starts_per_client: i32,
    pub window_minutes: i64,
    /// Reverse proxies (load balancers) in front of the service. A request
    /// from one of them is counted against the address it forwarded
    /// (`X-Forwarded-For`), and its `X-Forwarded-Proto: https` marks
    /// cookies `Secure`; from anyone else those headers are ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `[security.password_hash]`: argon2id's cost for new password hashes.
    /// The default is OWASP's; only tests should lower it.
    pub password_hash: PasswordHash,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordHash {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordHash {
    fn default() -> Self {
        let c = PasswordCost::default();
        Self {
            memory_kib: c.memory_kib,
            iterations: c.iterations,
            parallelism: c.parallelism,
        }
    }
}

/// Staff notices (`[notices]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notices {
    /// Days before the dossier deadline the reminder goes to a unit's
    /// officers. No regulation states a number: a setting, 3 by default.
    pub deadline_days_before: i64,
    /// Seconds between two passes of the notice sender in `serve`.
    pub send_every_seconds: u64,
}

impl Default for Notices {
    fn default() -> Self {
        Self {
            deadline_days_before: 3,
            send_every_seconds: 60,
        }
    }
}

/// How invitations and reminders go out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Invitations {
    /// Messages per second at most (mail servers limit senders).
    pub per_second: f64,
    /// Tries per message on temporary failures before it is marked failed.
    pub max_attempts: i32,
    /// Days after the last message before a reminder.
    pub remind_after_days: i64,
    /// Reminders per person at most.
    pub max_reminders: i32,
    /// How long a sender's claim on a campaign lasts without renewal; a
    /// sender that died is taken over after this. Longer than one SMTP
    /// conversation can take (the timeouts), so a slow one is never doubled.
    pub lease_seconds: u64,
    /// How a drawn person is reached, in order (`email`, `letter`): the
    /// next mode is tried when one cannot reach the person or fails, and a
    /// reserve replaces the person only when none is left. No regulation
    /// states it: a labelled setting, shown on the sample page.
    pub contact_protocol: crate::domain::contact::Protocol,
    /// AAPOR's e: the share of people of unknown eligibility (nothing
    /// returned, undelivered) taken as eligible in RR3. A frame of people
    /// who dealt with the unit lists only eligible people, hence 1; a
    /// province with a reason to think otherwise states its own.
    pub eligible_share: f64,
}

impl Default for Invitations {
    fn default() -> Self {
        Self {
            per_second: 5.0,
            max_attempts: 5,
            remind_after_days: 7,
            max_reminders: 2,
            lease_seconds: 120,
            contact_protocol: crate::domain::contact::Protocol::default(),
            eligible_share: 1.0,
        }
    }
}

impl Default for Security {
    fn default() -> Self {
        let l = Limits::default();
        Self {
            session_hours: l.session_hours,
            login_failures_per_account: l.login_failures_per_account,
            login_failures_per_client: l.login_failures_per_client,
            token_misses_per_client: l.token_misses_per_client,
            open_starts_per_client: l.open_starts_per_client,
            window_minutes: l.window_minutes,
            trusted_proxies: Vec::new(),
            password_hash: PasswordHash::default(),
        }
    }
}

impl Settings {
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        let mut b = config::Config::builder()
            .set_default("data_dir", "data")?
            .set_default("bind", "127.0.0.1:8080")?
            .set_default("questionnaires_dir", "questionnaires")?
            .set_default("max_body_bytes", 256 * 1024)?
            .set_default("max_upload_bytes", 200 * 1024 * 1024)?
            .set_default("pool_size", 8)?;
        b = match file {
            Some(f) => b.add_source(config::File::from(f).required(true)),
            None => b.add_source(config::File::with_name("chiso").required(false)),
        };
        b = b.add_source(
            config::Environment::with_prefix("CHISO")
                .prefix_separator("__")
                .separator("__"),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                b = b.set_override("database_url", url)?;
            }
        }
        b.build()?.try_deserialize()
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("chiso.db").display()))
    }

    /// Province profiles live beside the questionnaires.
    pub fn profiles_dir(&self) -> PathBuf {
        self.questionnaires_dir.join("profiles")
    }

    /// Where uploads wait while they are received and checked.
    pub fn upload_tmp_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }

    /// Where the server key is kept when `secret_key` is not set.
    pub fn secret_key_file(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }

    /// What the service is told once at start.
    pub fn service_options(&self) -> Options {
        let s = &self.security;
        Options {
            pool_size: self.pool_size,
            profiles_dir: self.profiles_dir(),
            limits: Limits {
                session_hours: s.session_hours,
                login_failures_per_account: s.login_failures_per_account,
                login_failures_per_client: s.login_failures_per_client,
                token_misses_per_client: s.token_misses_per_client,
                open_starts_per_client: s.open_starts_per_client,
                window_minutes: s.window_minutes,
            },
            password_cost: PasswordCost {
                memory_kib: s.password_hash.memory_kib,
                iterations: s.password_hash.iterations,
                parallelism: s.password_hash.parallelism,
            },
            notices: NoticeOptions {
                base_url: self.public_url(),
                organization: self.mail.organization.clone(),
                deadline_days_before: self.notices.deadline_days_before,
            },
            contact_protocol: self.invitations.contact_protocol.clone(),
            eligible_share: self.invitations.eligible_share.clamp(0.0, 1.0),
        }
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    /// Why respondents could not open the links chiso prints and mails:
    /// `public_url` unset (links carry the bind address) or on this machine
    /// only (loopback). None when the address is one others can reach.
    pub fn link_address_problem(&self) -> Option<String> {
        let Some(url) = self.public_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Some(format!(
                "Chưa đặt public_url: liên kết gửi cho người trả lời sẽ mang địa chỉ {} mà họ không mở được. \
                 Đặt public_url (tệp cấu hình hoặc biến CHISO__PUBLIC_URL) là địa chỉ công khai của máy chủ, ví dụ https://khaosat.snv.gov.vn.",
                self.public_url()
            ));
        };
        is_loopback_url(url).then(|| {
            format!(
                "public_url = {url} chỉ mở được trên chính máy chủ này: người trả lời không mở được liên kết. \
                 Đặt public_url là địa chỉ công khai của máy chủ, ví dụ https://khaosat.snv.gov.vn."
            )
        })
    }
}

/// Whether a URL's host is this machine only: localhost, 127.0.0.0/8, ::1
/// or the unspecified address.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod link_tests {
    use super::is_loopback_url;

    #[test]
    fn loopback_and_unspecified_hosts_are_recognised() {
        for u in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "https://LOCALHOST:443/x",
            "http://[::1]:8080/",
            "http://0.0.0.0:8080",
            "http://127.1.2.3",
            "http://user@127.0.0.1/",
        ] {
            assert!(is_loopback_url(u), "{u}");
        }
        for u in [
            "https://khaosat.snv.gov.vn",
            "http://10.0.0.5:8080",
            "http://192.168.1.10",
            "https://[2001:db8::1]/",
        ] {
            assert!(!is_loopback_url(u), "{u}");
        }
    }
}
