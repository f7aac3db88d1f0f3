//! Use cases: domain rules combined with storage, inside transactions.

pub mod accounts;
pub mod campaigns;
pub mod demo;
pub mod questionnaires;
pub mod respond;
pub mod units;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::questionnaire::{parse_questionnaire, Questionnaire};
use crate::storage::{self, DbPool, DbUrl, PoolOptions, PooledConn, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Input that cannot be accepted, with every reason.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error("{0}")]
    NotFound(String),
    /// Unknown, malformed and used tokens look the same from outside.
    #[error("liên kết không hợp lệ hoặc đã được sử dụng")]
    TokenUnavailable,
    #[error("đợt khảo sát mở từ ngày {opens_on}")]
    CampaignNotYetOpen { name: String, opens_on: NaiveDate },
    #[error("đợt khảo sát đã kết thúc ngày {closes_on}")]
    CampaignClosed { name: String, closes_on: NaiveDate },
}

impl ServiceError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![msg.into()])
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// What every use case needs: the pool, and parsed questionnaire versions
/// (immutable once frozen, so they are cached for the process's life).
pub struct App {
    pub pool: DbPool,
    pub backend: &'static str,
    versions: RwLock<HashMap<i64, Arc<Questionnaire>>>,
}

impl App {
    pub fn connect(url: &str, pool_size: u32) -> Result<Self> {
        let url = DbUrl::parse(url)?;
        let pool = storage::pool(
            &url,
            &PoolOptions {
                max_size: pool_size,
                ..PoolOptions::default()
            },
        )?;
        Ok(Self {
            pool,
            backend: url.backend_name(),
            versions: RwLock::new(HashMap::new()),
        })
    }

    pub fn conn(&self) -> Result<PooledConn> {
        Ok(self.pool.get().map_err(StorageError::from)?)
    }

    pub fn migrate(&self) -> Result<Vec<String>> {
        Ok(storage::migrate(&mut *self.conn()?)?)
    }

    pub fn questionnaire_version(&self, id: i64) -> Result<Arc<Questionnaire>> {
        if let Some(q) = self
            .versions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            return Ok(q.clone());
        }
        let row = storage::questionnaires::get(&mut *self.conn()?, id)?
            .ok_or_else(|| ServiceError::NotFound(format!("không có phiên bản phiếu {id}")))?;
        // A frozen version was valid when stored; failing now means the parser
        // changed incompatibly, which must be loud.
        let q = parse_questionnaire(&row.source).map_err(|d| {
            ServiceError::Invalid(
                d.iter()
                    .map(|d| format!("{} (phiên bản {}): {d}", row.code, &row.content_hash[..12]))
                    .collect(),
            )
        })?;
        let q = Arc::new(q);
        self.versions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, q.clone());
        Ok(q)
    }
}

pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
