//! Layered settings: defaults, then an optional `chiso.toml`, then `CHISO__…`
//! environment variables, then `DATABASE_URL`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    pub pool_size: u32,
    /// HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    #[serde(default)]
    pub security: Security,
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
    pub window_minutes: i64,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            session_hours: 8,
            login_failures_per_account: 5,
            login_failures_per_client: 20,
            token_misses_per_client: 30,
            window_minutes: 15,
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

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }
}
