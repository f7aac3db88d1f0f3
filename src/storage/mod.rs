//! The only module that imports diesel. One connection enum over PostgreSQL
//! and SQLite; the backend is chosen by the URL's scheme, never guessed.

pub mod api_tokens;
pub mod assignments;
pub mod audit;
pub mod campaigns;
pub mod council;
pub mod deadlines;
pub mod dossiers;
pub mod draws;
pub mod explanations;
pub mod frames;
pub mod group_commit;
pub mod invitations;
pub mod letters;
pub mod notices;
pub mod publication;
pub mod questionnaires;
pub mod rate_limits;
pub mod respondents;
pub mod responses;
pub mod schema;
pub mod sessions;
pub mod tallies;
pub mod units;
pub mod users;

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$conn` bound to the concrete connection, for the few
/// queries whose SQL differs between backends (upserts, RETURNING, multi-row
/// inserts). The body is compiled once per backend.
#[macro_export]
macro_rules! per_backend {
    ($conn:ident => $body:expr) => {
        match $conn {
            $crate::storage::DbConn::Pg($conn) => $body,
            $crate::storage::DbConn::Sqlite($conn) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("DATABASE_URL \"{0}\" không được hỗ trợ: dùng postgres://…, sqlite://… hoặc đường dẫn tệp .db")]
    UnsupportedUrl(String),
    #[error("không kết nối được cơ sở dữ liệu: {0}")]
    Unavailable(String),
    #[error("lỗi cơ sở dữ liệu: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("lỗi khi nâng cấp cấu trúc cơ sở dữ liệu: {0}")]
    Migration(String),
}

impl From<r2d2::PoolError> for StorageError {
    fn from(e: r2d2::PoolError) -> Self {
        StorageError::Unavailable(e.to_string())
    }
}

impl StorageError {
    /// True when the database could not be reached or was too busy, as opposed
    /// to a query that is wrong: the first deserves "try again shortly".
    pub fn is_unavailable(&self) -> bool {
        match self {
            StorageError::Unavailable(_) => true,
            StorageError::Query(e) => lost_database(e),
            _ => false,
        }
    }

    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StorageError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// What libpq and SQLite say when the server went away, is shutting down or
/// starting up, or the file is locked: diesel gives these no kind of their own.
const LOST_DATABASE: &[&str] = &[
    "database is locked",
    "server closed the connection",
    "no connection to the server",
    "terminating connection",
    "the database system is",
    "could not receive data from server",
    "could not send data to server",
    "connection to server",
];

/// Whether a failed query failed because the database was gone. The
/// transaction machinery wraps such a failure: a commit whose rollback also
/// failed, or a transaction manager left broken by the lost connection.
fn lost_database(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            LOST_DATABASE.iter().any(|p| m.contains(p))
        }
        Error::RollbackErrorOnCommit {
            rollback_error,
            commit_error,
        } => lost_database(commit_error) || lost_database(rollback_error),
        Error::BrokenTransactionManager => true,
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<Self, StorageError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DbUrl::Postgres(url.to_string()))
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StorageError::UnsupportedUrl(url.to_string()));
            }
            Ok(DbUrl::Sqlite(PathBuf::from(path)))
        } else if !url.contains("://") && (url.ends_with(".db") || url.ends_with(".sqlite")) {
            Ok(DbUrl::Sqlite(PathBuf::from(url)))
        } else {
            Err(StorageError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbUrl::Postgres(_) => "PostgreSQL",
            DbUrl::Sqlite(_) => "SQLite",
        }
    }
}

/// Opens connections of the one backend the URL names. diesel's own manager
/// would try each backend in turn, and a PostgreSQL URL that fails to connect
/// would then be opened as an SQLite file of that name.
#[derive(Debug)]
pub struct Manager {
    url: DbUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DbUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Pg)
                .map_err(r2d2::Error::ConnectionError),
            DbUrl::Sqlite(path) => {
                let mut c = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the writer; FULL sync makes a
                // success page mean the answer is on disk; the busy timeout
                // queues writers instead of failing them; secure_delete
                // zeroes deleted rows, so the drafts of an anonymous
                // response do not linger in the file's free pages; statement
                // journals (a multi-row INSERT's undo) stay in memory instead
                // of a temporary file.
                c.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA secure_delete = ON; PRAGMA mmap_size = 268435456; \
                     PRAGMA temp_store = MEMORY;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        // A connection left inside a transaction (by a panic) is not reused.
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

pub type DbPool = Pool<Manager>;
pub type PooledConn = PooledConnection<Manager>;

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 8,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// SQLite's process-wide settings, once, before its first connection: no
/// per-connection mutexes (a pooled connection is used by one thread at a
/// time, which diesel's `!Sync` connection already guarantees) and no
/// global memory statistics (a lock taken on every allocation).
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config must run before sqlite3_initialize and
        // while no other thread uses SQLite; `Once` runs it before this
        // process opens its first SQLite connection. Called later (SQLite
        // already initialised) it only returns SQLITE_MISUSE.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD);
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0);
        }
    });
}

/// Builds the pool without requiring the database to be up, so a service that
/// starts while PostgreSQL restarts recovers by itself.
pub fn pool(url: &DbUrl, opts: &PoolOptions) -> Result<DbPool, StorageError> {
    if let DbUrl::Sqlite(path) = url {
        configure_sqlite();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StorageError::Unavailable(format!("không tạo được thư mục {}: {e}", dir.display()))
            })?;
        }
    }
    let size = match url {
        // One writer at a time anyway; a few readers beside it.
        DbUrl::Sqlite(_) => opts.max_size.clamp(1, 8),
        DbUrl::Postgres(_) => opts.max_size.max(1),
    };
    Ok(Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(opts.connect_timeout)
        // A PostgreSQL connection may have died with a server restart; an
        // SQLite file cannot go away under an open connection.
        .test_on_check_out(matches!(url, DbUrl::Postgres(_)))
        .build_unchecked(Manager { url: url.clone() }))
}

/// SQLite admits one writer at a time and makes the others poll with sleeps
/// (busy_timeout), which under load wastes the CPU and gives second-long
/// tails. One dedicated writer connection queues them in the process
/// instead, first come first served. PostgreSQL needs none: its writers wait
/// on row locks.
pub fn writer_pool(url: &DbUrl) -> Result<Option<DbPool>, StorageError> {
    match url {
        DbUrl::Postgres(_) => Ok(None),
        DbUrl::Sqlite(_) => pool(
            url,
            &PoolOptions {
                max_size: 1,
                // Writers queue here rather than in SQLite; as long a wait as
                // SQLite's busy timeout.
                connect_timeout: Duration::from_secs(10),
            },
        )
        .map(Some),
    }
}

/// One connection of its own, with the pool's settings: for tests, benches
/// and tools that read or load the database beside a running service.
pub fn connect(url: &str) -> Result<DbConn, StorageError> {
    let url = DbUrl::parse(url)?;
    if matches!(url, DbUrl::Sqlite(_)) {
        configure_sqlite();
    }
    Manager { url }
        .connect()
        .map_err(|e| StorageError::Unavailable(e.to_string()))
}

/// A cheap round trip, for health checks.
pub fn ping(conn: &mut DbConn) -> Result<(), StorageError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// Applies pending migrations; safe to run on every start and from several
/// instances at once on PostgreSQL (diesel takes a lock table row per version).
pub fn migrate(conn: &mut DbConn) -> Result<Vec<String>, StorageError> {
    let applied = match conn {
        DbConn::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    applied.map_err(|e| StorageError::Migration(e.to_string()))
}

/// The database's own consistency check: `PRAGMA integrity_check` on
/// SQLite; on PostgreSQL, `amcheck`'s `bt_index_check` with `heapallindexed`
/// on every B-tree index of the schema (each index agrees with its table and
/// every row is indexed). Creating the extension needs a superuser once.
pub fn integrity_check(conn: &mut DbConn) -> Result<bool, StorageError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    #[derive(QueryableByName)]
    struct Checked {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        checked: i64,
    }
    match conn {
        DbConn::Sqlite(c) => {
            let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check").load(c)?;
            Ok(rows.len() == 1 && rows[0].integrity_check == "ok")
        }
        DbConn::Pg(c) => {
            c.batch_execute("CREATE EXTENSION IF NOT EXISTS amcheck")?;
            // bt_index_check raises an error on the first corrupt index.
            let r: Checked = diesel::sql_query(
                "SELECT count(*) AS checked FROM ( \
                   SELECT bt_index_check(c.oid, true) \
                   FROM pg_index i \
                   JOIN pg_class c ON c.oid = i.indexrelid \
                   JOIN pg_am a ON a.oid = c.relam \
                   JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE a.amname = 'btree' AND n.nspname = current_schema() \
                     AND i.indisready AND i.indisvalid) s",
            )
            .get_result(c)?;
            Ok(r.checked > 0)
        }
    }
}
