//! Use cases: domain rules combined with storage, inside transactions.

pub mod accounts;
pub mod appraisal;
pub mod campaigns;
pub mod council;
pub mod dashboard;
pub mod deadlines;
pub mod demo;
pub mod export;
pub mod invitations;
pub mod letters;
pub mod names;
pub mod notices;
pub mod profiles;
pub mod publication;
pub mod questionnaires;
pub mod respond;
pub mod results;
pub mod sampling;
pub mod secret;
pub mod sender;
pub mod staff_accounts;
mod toml_files;
pub mod units;

use crate::domain::ids::CampaignId;
use crate::domain::survey::Scorer;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::questionnaire::{parse_questionnaire, Questionnaire};
use crate::storage::group_commit::GroupCommit;
use crate::storage::tallies::Pending;
use crate::storage::{self, DbConn, DbPool, DbUrl, PoolOptions, PooledConn, StorageError};

/// At most this many writes share one commit.
const GROUP_COMMIT_MAX: usize = 128;
/// Writer threads of the group commit on PostgreSQL.
const PG_WRITER_THREADS: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database cannot be reached now; the same request may succeed later.
    #[error("{0}")]
    Unavailable(String),
    /// A failure inside (a query, a file on disk): logged, never the user's fault.
    #[error("{0}")]
    Internal(String),
    /// Input that cannot be accepted, with every reason.
    #[error("{}", .0.join("\n"))]
    Invalid(Vec<String>),
    #[error("{0}")]
    NotFound(String),
    /// The account may not do this (e.g. a field not assigned to it).
    #[error("{0}")]
    Forbidden(String),
    /// The client tried too many times (unknown tokens, logins, starts).
    #[error("quá nhiều lần thử")]
    Throttled,
    /// Unknown, malformed and used tokens look the same from outside.
    #[error("liên kết không hợp lệ hoặc đã được sử dụng")]
    TokenUnavailable,
    #[error("đợt khảo sát mở từ ngày {opens_on}")]
    CampaignNotYetOpen { name: String, opens_on: NaiveDate },
    #[error("đợt khảo sát đã kết thúc ngày {closes_on}")]
    CampaignClosed { name: String, closes_on: NaiveDate },
    /// The questionnaire exists but its open link is switched off.
    #[error("phiếu {title} không nhận trả lời qua liên kết mở")]
    OpenLinkClosed { campaign: String, title: String },
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        if e.is_unavailable() {
            ServiceError::Unavailable(e.to_string())
        } else {
            ServiceError::Internal(e.to_string())
        }
    }
}

impl From<crate::domain::problems::Problems> for ServiceError {
    fn from(p: crate::domain::problems::Problems) -> Self {
        ServiceError::Invalid(p.0)
    }
}

impl ServiceError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![msg.into()])
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// (campaign id, questionnaire version id).
type CampaignVersion = (i64, i64);

/// What every use case needs: the pool, and parsed questionnaire versions
/// (immutable once frozen, so they are cached for the process's life).
pub struct App {
    pool: DbPool,
    url: String,
    /// SQLite's single writer connection; None on PostgreSQL.
    writer: Option<DbPool>,
    /// Group commit: every write on SQLite (its one writer), the
    /// respondents' writes on PostgreSQL ([`App::write_answers`]).
    group: GroupCommit,
    backend: &'static str,
    versions: RwLock<HashMap<i64, Arc<Questionnaire>>>,
    secret: std::sync::OnceLock<secret::Secret>,
    /// By (campaign, questionnaire version): the campaign's profile says how
    /// answers become points (`survey.scales`).
    scorers: RwLock<HashMap<CampaignVersion, Option<Arc<Scorer>>>>,
    limits: accounts::Limits,
    hasher: accounts::Hasher,
    /// Where profiles of campaigns opened before profiles were frozen are read.
    profiles_dir: std::path::PathBuf,
    /// Campaign id → the profile it follows, parsed once.
    campaign_profiles: RwLock<HashMap<i64, Arc<crate::domain::profile::Profile>>>,
    /// Per campaign, the running sums last parsed and the fingerprint they
    /// were read at (`results::stored`).
    pub(crate) tally_cache: RwLock<HashMap<i64, results::CachedTallies>>,
    /// How staff notices are written and when the deadline one goes out.
    notices: notices::NoticeOptions,
    protocol: crate::domain::contact::Protocol,
    eligible_share: f64,
}

/// What a service instance is told once, at the edge, from the settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub pool_size: u32,
    /// The province profiles (`questionnaires/profiles`).
    pub profiles_dir: std::path::PathBuf,
    pub limits: accounts::Limits,
    pub password_cost: accounts::PasswordCost,
    pub notices: notices::NoticeOptions,
    /// How drawn people are reached, in order (`invitations.contact_protocol`).
    pub contact_protocol: crate::domain::contact::Protocol,
    /// AAPOR's e for RR3 (`invitations.eligible_share`).
    pub eligible_share: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            pool_size: 8,
            profiles_dir: std::path::PathBuf::from("questionnaires/profiles"),
            limits: accounts::Limits::default(),
            password_cost: accounts::PasswordCost::default(),
            notices: notices::NoticeOptions::default(),
            contact_protocol: crate::domain::contact::Protocol::default(),
            eligible_share: 1.0,
        }
    }
}

impl App {
    /// Connects with default options and `pool_size` connections.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self> {
        Self::open(
            url,
            Options {
                pool_size,
                ..Options::default()
            },
        )
    }

    pub fn open(url: &str, options: Options) -> Result<Self> {
        let hasher = accounts::Hasher::new(options.password_cost)?;
        let url_text = url.to_string();
        let url = DbUrl::parse(url)?;
        let opts = PoolOptions {
            max_size: options.pool_size,
            ..PoolOptions::default()
        };
        let pool = storage::pool(&url, &opts)?;
        let writer = storage::writer_pool(&url)?;
        // SQLite has one writer; on PostgreSQL two threads let one batch
        // run its statements while the other waits for its commit.
        let (group_pool, threads) = match &writer {
            Some(w) => (w.clone(), 1),
            None => (pool.clone(), PG_WRITER_THREADS),
        };
        let group = GroupCommit::start(group_pool, GROUP_COMMIT_MAX, threads)
            .map_err(|e| ServiceError::Internal(format!("không khởi động được luồng ghi: {e}")))?;
        Ok(Self {
            pool,
            url: url_text,
            writer,
            group,
            backend: url.backend_name(),
            versions: RwLock::new(HashMap::new()),
            secret: std::sync::OnceLock::new(),
            scorers: RwLock::new(HashMap::new()),
            limits: options.limits,
            hasher,
            profiles_dir: options.profiles_dir,
            campaign_profiles: RwLock::new(HashMap::new()),
            tally_cache: RwLock::new(HashMap::new()),
            notices: options.notices,
            protocol: options.contact_protocol,
            eligible_share: options.eligible_share,
        })
    }

    /// "SQLite" or "PostgreSQL", for messages and the health check.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The database it runs on, so tools and tests can open a connection of
    /// their own (`storage::connect`) beside the service's pool.
    pub fn database_url(&self) -> &str {
        &self.url
    }

    /// Whether the database answers now.
    pub fn ping(&self) -> Result<()> {
        Ok(storage::ping(&mut *self.conn()?)?)
    }

    pub(crate) fn conn(&self) -> Result<PooledConn> {
        Ok(self.pool.get().map_err(StorageError::from)?)
    }

    /// A connection for a transaction that writes. On SQLite writers queue
    /// for the one writer connection; reads use `conn()` beside it.
    pub(crate) fn writer(&self) -> Result<PooledConn> {
        let pool = self.writer.as_ref().unwrap_or(&self.pool);
        Ok(pool.get().map_err(StorageError::from)?)
    }

    /// Runs a short write in the next group commit on SQLite, or on its own
    /// connection on PostgreSQL; returns once it is durable. For short writes
    /// on busy paths (throttle counters, leases, publication records).
    pub(crate) fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> std::result::Result<T, StorageError> + Send + 'static,
    {
        Ok(match &self.writer {
            Some(_) => self.group.run(None, move |c, _| f(c))?,
            None => f(&mut *self.writer()?)?,
        })
    }

    /// Runs a respondent's write (opening, drafts, the submission) in the
    /// next group commit on either backend; returns once it is durable.
    /// What it adds to the tallies is applied at the batch's end. Such a
    /// write touches only `respondent`'s rows; a batch locks all its
    /// respondents first and its tallies last, each in one order, so
    /// batches of two threads or two instances never deadlock.
    pub(crate) fn write_answers<T, F>(&self, respondent: i64, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn, &mut Pending) -> std::result::Result<T, StorageError>
            + Send
            + 'static,
    {
        Ok(self.group.run(Some(respondent), f)?)
    }

    /// Sets the server key once; later calls keep the first.
    pub fn set_secret(&self, secret: secret::Secret) {
        let _ = self.secret.set(secret);
    }

    /// AAPOR's e for RR3.
    pub fn eligible_share(&self) -> f64 {
        self.eligible_share
    }

    /// How drawn people are reached, in order.
    pub fn protocol(&self) -> &crate::domain::contact::Protocol {
        &self.protocol
    }

    pub fn secret(&self) -> Result<&secret::Secret> {
        self.secret.get().ok_or_else(|| {
            ServiceError::invalid("chưa có khoá bí mật của máy chủ (secret_key)".to_string())
        })
    }

    pub fn migrate(&self) -> Result<Vec<String>> {
        Ok(storage::migrate(&mut *self.writer()?)?)
    }

    /// The profile a campaign follows: the copy frozen when it opened, parsed
    /// once for the process's life. A campaign opened before profiles were
    /// frozen reads the file of its code from the profiles directory.
    pub fn campaign_profile(
        &self,
        campaign_id: CampaignId,
    ) -> Result<Arc<crate::domain::profile::Profile>> {
        let campaign_id = campaign_id.get();
        if let Some(p) = self
            .campaign_profiles
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&campaign_id)
        {
            return Ok(p.clone());
        }
        let campaign = storage::campaigns::get(&mut *self.conn()?, campaign_id)?
            .ok_or_else(|| ServiceError::NotFound(format!("không có đợt {campaign_id}")))?;
        let profile = match (&campaign.profile_source, &campaign.profile_code) {
            (Some(source), code) => crate::domain::profile::parse_profile(source).map_err(|d| {
                // A frozen profile was valid when stored; failing now means the
                // parser changed incompatibly, which must be loud.
                let code = code.as_deref().unwrap_or("?");
                ServiceError::Invalid(d.iter().map(|d| format!("hồ sơ {code} của đợt {campaign_id}:{d}")).collect())
            })?,
            (None, Some(code)) => profiles::find(&self.profiles_dir, code)?.profile,
            (None, None) => {
                return Err(ServiceError::invalid(format!(
                    "đợt \"{}\" không gắn bộ quy tắc của tỉnh (hồ sơ): chưa tính được điểm khảo sát, chỉ số và xếp hạng",
                    campaign.name
                )))
            }
        };
        let profile = Arc::new(profile);
        self.campaign_profiles
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(campaign_id, profile.clone());
        Ok(profile)
    }

    /// The scorer of a frozen questionnaire version in a campaign, its
    /// answer scales scored as the campaign's profile says; None when it has
    /// no scored question (nothing of it feeds the index).
    pub fn scorer(&self, campaign_id: i64, version_id: i64) -> Result<Option<Arc<Scorer>>> {
        if let Some(s) = self
            .scorers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(campaign_id, version_id))
        {
            return Ok(s.clone());
        }
        let q = self.scored_questionnaire(campaign_id, version_id)?;
        let scorer = Scorer::new(&q).map_err(|e| ServiceError::invalid(e.to_string()))?;
        let scorer = (!scorer.criteria().is_empty()).then(|| Arc::new(scorer));
        self.scorers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((campaign_id, version_id), scorer.clone());
        Ok(scorer)
    }

    /// A questionnaire version with its scales scored as the campaign's
    /// profile says (`survey.scales`); as the file says for a campaign
    /// without a profile.
    pub fn scored_questionnaire(&self, campaign_id: i64, version_id: i64) -> Result<Questionnaire> {
        let q = self.questionnaire_version(version_id)?;
        let scales = match self.campaign_profile(CampaignId(campaign_id)) {
            Ok(p) => p
                .survey
                .as_ref()
                .map(|s| s.scales.clone())
                .unwrap_or_default(),
            Err(ServiceError::Invalid(_)) => Default::default(),
            Err(e) => return Err(e),
        };
        q.with_scale_scores(&scales).map_err(ServiceError::invalid)
    }

    pub fn questionnaire_version(&self, id: i64) -> Result<Arc<Questionnaire>> {
        if let Some(q) = self.cached_version(id) {
            return Ok(q);
        }
        self.questionnaire_version_on(&mut *self.conn()?, id)
    }

    fn cached_version(&self, id: i64) -> Option<Arc<Questionnaire>> {
        self.versions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    /// Like `questionnaire_version`, on a connection the caller already holds.
    pub(crate) fn questionnaire_version_on(
        &self,
        conn: &mut DbConn,
        id: i64,
    ) -> Result<Arc<Questionnaire>> {
        if let Some(q) = self.cached_version(id) {
            return Ok(q);
        }
        let row = storage::questionnaires::get(conn, id)?
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
