//! Storage: the only module that speaks SQL or imports sea-orm. SQLite (embedded default) and
//! PostgreSQL run the same code; the few dialect differences live in [`Dialect`].
mod ahead;
mod apps;
mod attachments;
mod backup;
mod blob_refs;
mod blobs;
mod history;
mod keys;
mod line_index;
mod migrate;
mod outbox;
mod partial_json;
pub use partial_json::decode_keys;
mod query;
mod rates;
mod records;
mod rollups;
mod settings;
mod sqlite_reads;
mod summary;
mod team;
mod texts;
mod throttle;
mod tokens;
mod upload_links;
mod users;

pub use apps::{AppRow, AppVersionRow, LineValues, Publication, VersionInfo};
pub use attachments::{AttachmentRow, NewAttachment};
pub use backup::{BackupError, Column, Dump, DumpedTable, Restore};
pub use blobs::{BadStoreUrl, BlobStore, Listed};
pub use history::{HistoryRow, NewHistory};
pub use keys::{slots as key_slots, KEY_SLOTS};
pub use outbox::{NewNotice, NoticeRow, Recipient};
pub use query::{
    Predicate, PredicateOp, RecordQuery, SortKey, TeamFilter, ValueKind, Via, TRIGRAM_MIN_CHARS,
};
pub use rates::{RateRow, RatesExtent};
pub use records::{RecordRow, RecordWrite, Total, COUNT_AHEAD};
pub use rollups::{RollupSpec, MAX_KEYS as ROLLUP_KEYS};
pub use summary::{Aggregate, DateBucket, GroupKey, SummaryQuery, SummaryRow};
pub use team::{DelegationRow, ManagerError, TeamMember};
pub use tokens::{ClientRow, CodeRow, NewToken, TokenRow};
pub use upload_links::{NewUploadLink, UploadLinkRow};
pub use users::{SessionRow, UserRow};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, QueryResult, Statement, TransactionTrait, Value,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A storage failure; carries no user input.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(sea_orm::DbErr),
    /// The database's disk (or its configured size cap) is full: nothing was written.
    #[error("the server's storage is full, so nothing was saved; try again later (an administrator must free disk space)")]
    Full,
    #[error("the record was changed by someone else (now at version {current})")]
    Stale { current: i64 },
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl From<sea_orm::DbErr> for StoreError {
    fn from(e: sea_orm::DbErr) -> Self {
        if is_disk_full(&e) {
            StoreError::Full
        } else {
            StoreError::Db(e)
        }
    }
}

/// SQLITE_FULL ("database or disk is full") or PostgreSQL's `disk_full` (SQLSTATE 53100).
fn is_disk_full(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string();
    s.contains("database or disk is full")
        || s.contains("53100")
        || s.contains("No space left on device")
}

/// Connection settings beyond the URL.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// SQLite only: the database may not grow past this many pages (`PRAGMA max_page_count`);
    /// writes that need more fail as if the disk were full. A size quota, and how the fault
    /// tests fill the "disk" without a special mount.
    pub sqlite_max_pages: Option<u64>,
    /// SQLite only: bytes of the file each read connection memory-maps (`PRAGMA mmap_size`);
    /// [`MMAP_BYTES`] when not set.
    pub sqlite_mmap_bytes: Option<u64>,
    /// Connections the pool opens at most (16 on PostgreSQL, 8 on SQLite when not set; SQLite's
    /// one-hop read pool opens as many again).
    pub max_connections: Option<u32>,
}

/// How much of a SQLite database file is memory-mapped.
const MMAP_BYTES: u64 = 1 << 30;

/// Which SQL dialect the connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The database handle; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    dialect: Dialect,
    /// Bumped by every write that can invalidate a bearer token (revocation, a user disabled or
    /// their roles changed, a client deactivated), so caches of verified tokens in this process
    /// drop at once. Other processes' caches expire on their own (within a second).
    auth_epoch: Arc<AtomicU64>,
    /// Turns for write transactions on SQLite (see [`Store::begin`]).
    writer: Arc<tokio::sync::Mutex<()>>,
    /// SQLite with a database file: the one-hop pool that reads view pages.
    reads: Option<sqlite_reads::SqliteReads>,
}

/// A write transaction; on SQLite it holds this process's writer turn until it ends.
pub(crate) struct WriteTx {
    tx: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }

    /// Ends a transaction that is refused (a stale version): rolled back here, so the pooled
    /// connection comes back clean instead of being closed as one left inside a transaction.
    async fn rollback(self) {
        if let Err(e) = self.tx.rollback().await {
            tracing::warn!("a rollback failed (the connection will be closed): {e}");
        }
    }
}

impl Store {
    /// Connects, enabling WAL and foreign keys on SQLite, and runs pending migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, &StoreOptions::default()).await
    }

    /// [`Store::connect`] with options.
    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Store> {
        Store::open_and_migrate(url, options).await
    }

    /// Connects without running migrations (a restore brings the schema to the backup's).
    async fn open_unmigrated(url: &str, options: &StoreOptions) -> Result<Store> {
        let mut opts = ConnectOptions::new(url.to_string());
        let dialect = if url.starts_with("postgres") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        };
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30))
            // No ping before handing out a pooled connection: it is a round trip on every query
            // (about 55 µs each on SQLite here). A connection that died (PostgreSQL restarted)
            // fails its next query and is dropped from the pool; connections are also recycled.
            .test_before_acquire(false)
            .idle_timeout(Duration::from_secs(600))
            .max_lifetime(Duration::from_secs(1800));
        let (db, reads) = match dialect {
            Dialect::Sqlite => {
                let max = options.max_connections.unwrap_or(8);
                opts.max_connections(max).min_connections(1);
                let (db, file) = sqlite_pool(url, opts, options).await?;
                let reads = match file {
                    Some(file) => sqlite_reads::SqliteReads::open(
                        &file,
                        options.sqlite_mmap_bytes.unwrap_or(MMAP_BYTES),
                        max,
                    )?,
                    None => None,
                };
                (db, reads)
            }
            Dialect::Postgres => {
                let max = options.max_connections.unwrap_or(16);
                opts.max_connections(max).min_connections(2.min(max));
                // Plan each prepared statement once per connection. Left to choose, PostgreSQL
                // planned a view page (its count's two branches, the page) again on every call
                // at 1,000,000 claims, about a millisecond each time; every statement here is
                // written for the indexes publish creates, so the generic plan is the one wanted
                // (docs/benchmarks.md, "Counting from key columns").
                opts.map_sqlx_postgres_opts(|pg| {
                    pg.options([("plan_cache_mode", "force_generic_plan")])
                });
                (Database::connect(opts).await?, None)
            }
        };
        let store = Store {
            db,
            dialect,
            reads,
            auth_epoch: Arc::new(AtomicU64::new(0)),
            writer: Arc::new(tokio::sync::Mutex::new(())),
        };
        Ok(store)
    }

    /// See [`Store::auth_epoch`]'s field: changes whenever verified tokens must be re-checked.
    pub fn auth_epoch(&self) -> u64 {
        self.auth_epoch.load(Ordering::Acquire)
    }

    fn auth_changed(&self) {
        self.auth_epoch.fetch_add(1, Ordering::AcqRel);
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn backend(&self) -> DatabaseBackend {
        match self.dialect {
            Dialect::Sqlite => DatabaseBackend::Sqlite,
            Dialect::Postgres => DatabaseBackend::Postgres,
        }
    }

    /// Builds a statement from SQL written with `?` placeholders.
    fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.backend(), self.placeholders(sql), values)
    }

    fn placeholders(&self, sql: &str) -> String {
        if self.dialect == Dialect::Sqlite {
            return sql.to_string();
        }
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        let mut in_str = false;
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' => {
                    in_str = !in_str;
                    out.push(c)
                }
                // `?|` is PostgreSQL's jsonb "contains any" operator, not a placeholder.
                '?' if chars.peek() == Some(&'|') => out.push(c),
                '?' if !in_str => {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                }
                _ => out.push(c),
            }
        }
        out
    }

    async fn all(&self, sql: &str, values: Vec<Value>) -> Result<Vec<QueryResult>> {
        Ok(self.db.query_all(self.stmt(sql, values)).await?)
    }

    async fn one(&self, sql: &str, values: Vec<Value>) -> Result<Option<QueryResult>> {
        Ok(self.db.query_one(self.stmt(sql, values)).await?)
    }

    /// A write with `RETURNING`, outside an explicit transaction: the first row it returns.
    ///
    /// Read with `query_all`, never `query_one`: SQLite commits a statement's implicit
    /// transaction when the statement runs to its end, after the `RETURNING` rows are produced.
    /// Fetching one row and stopping would report the row (an id) before the commit — a commit
    /// that can still fail (a full disk fails when the WAL is written) with nobody told, and
    /// until the statement is reset its connection holds the write lock and the row is
    /// invisible to everyone else. Running it to the end surfaces the commit's outcome here.
    async fn write_returning(&self, sql: &str, values: Vec<Value>) -> Result<Option<QueryResult>> {
        Ok(self
            .db
            .query_all(self.stmt(sql, values))
            .await?
            .into_iter()
            .next())
    }

    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64> {
        Ok(self
            .db
            .execute(self.stmt(sql, values))
            .await?
            .rows_affected())
    }

    /// Starts a write transaction. On SQLite, writers of this process take turns on an async
    /// lock first: SQLite admits one writer at a time, and a writer that finds the database
    /// locked sleeps in SQLite's busy handler (in steps of up to 100 ms) rather than being woken
    /// when the lock frees, which showed as a 100 ms p99 on concurrent writes.
    async fn begin(&self) -> Result<WriteTx> {
        let turn = match self.dialect {
            Dialect::Sqlite => Some(self.writer.clone().lock_owned().await),
            Dialect::Postgres => None,
        };
        Ok(WriteTx {
            tx: self.db.begin().await?,
            _turn: turn,
        })
    }

    async fn tx_exec(
        &self,
        tx: &DatabaseTransaction,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<u64> {
        Ok(tx.execute(self.stmt(sql, values)).await?.rows_affected())
    }

    /// One row inside a transaction. Read with `query_all` so every statement — a write with
    /// `RETURNING` too — has run to its end before the transaction commits.
    async fn tx_one(
        &self,
        tx: &DatabaseTransaction,
        sql: &str,
        values: Vec<Value>,
    ) -> Result<Option<QueryResult>> {
        Ok(tx
            .query_all(self.stmt(sql, values))
            .await?
            .into_iter()
            .next())
    }

    /// Connections the pool holds: (open, idle); `None` when the driver does not say.
    pub fn pool_status(&self) -> Option<(u32, usize)> {
        match self.dialect {
            Dialect::Sqlite => {
                let p = self.db.get_sqlite_connection_pool();
                Some((p.size(), p.num_idle()))
            }
            Dialect::Postgres => {
                let p = self.db.get_postgres_connection_pool();
                Some((p.size(), p.num_idle()))
            }
        }
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<()> {
        self.one("SELECT 1", vec![]).await.map(|_| ())
    }

    /// Closes the pool (SQLite checkpoints its WAL).
    pub async fn close(self) -> Result<()> {
        // The read pool's connections first: SQLite checkpoints the WAL when the last closes.
        drop(self.reads);
        Ok(self.db.close().await?)
    }
}

/// The SQLite pool. Every pooled connection gets the same settings (a PRAGMA run through the pool
/// would reach one connection only), and a connection is closed instead of reused when it comes
/// back still inside a transaction.
///
/// Why: when a statement fails with SQLITE_FULL (or an I/O error), SQLite may roll the whole
/// transaction back by itself; the `ROLLBACK` that follows then fails ("no transaction is
/// active") and sqlx keeps counting the connection as one transaction deep. Reused, that
/// connection would turn the next `BEGIN` into a `SAVEPOINT` and the next `COMMIT` into a
/// `RELEASE` — and where the failed `ROLLBACK` left a real transaction open, that `RELEASE`
/// commits nothing while the write is reported as done, and the open transaction keeps the
/// database locked for everyone else. Closing the connection rolls back whatever it held.
async fn sqlite_pool(
    url: &str,
    opts: ConnectOptions,
    options: &StoreOptions,
) -> Result<(DatabaseConnection, Option<std::path::PathBuf>)> {
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
    let mut conn_opts: SqliteConnectOptions = url
        .parse()
        .map_err(|e: sea_orm::sqlx::Error| StoreError::Db(sea_orm::DbErr::Custom(e.to_string())))?;
    conn_opts = conn_opts
        .disable_statement_logging()
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // Read pages straight from the OS page cache, shared by every connection, instead of
        // copying them into each connection's 2 MB cache: a view scanning one user's rows
        // touches pages all over the table (measured in docs/benchmarks.md).
        .pragma(
            "mmap_size",
            options.sqlite_mmap_bytes.unwrap_or(MMAP_BYTES).to_string(),
        );
    if let Some(pages) = options.sqlite_max_pages {
        conn_opts = conn_opts.pragma("max_page_count", pages.to_string());
    }
    // The file other connections (the one-hop read pool) can open; none for an in-memory
    // database, which only sqlx's own connections share.
    let file = Some(conn_opts.get_filename().to_path_buf())
        .filter(|_| !url.contains(":memory:") && !url.contains("mode=memory"));
    let pool = opts
        .sqlx_pool_options::<sea_orm::sqlx::Sqlite>()
        .after_release(|conn, _meta| {
            Box::pin(async move {
                let clean = !conn.is_in_transaction();
                if !clean {
                    tracing::warn!(
                        "closing a database connection that came back inside a failed transaction"
                    );
                }
                Ok(clean)
            })
        })
        .connect_with(conn_opts)
        .await
        .map_err(|e| StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))))?;
    Ok((
        sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
        file,
    ))
}

/// A field or column name fit for a JSON path written into SQL (`[a-z0-9_]+`): the engine
/// checks names, and the derived indexes (`texts.rs`, `line_index.rs`, `keys.rs`) check them
/// again before they write one into a statement.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, col: &str) -> Result<T> {
    Ok(row.try_get::<T>("", col)?)
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string();
    s.contains("UNIQUE constraint") || s.contains("duplicate key")
}
