//! Opening and migrating the database when several processes start at once: every
//! `formwork serve` migrates the database on start, and a deployment starts its processes
//! together.
use super::{Dialect, Result, Store, StoreError, StoreOptions};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::time::Duration;

/// The PostgreSQL advisory lock that migrating processes take turns on ("formwork" in ASCII).
const MIGRATION_LOCK: i64 = 0x666f_726d_776f_726b;
/// How many times SQLite work that lost a race with another process is tried again.
const SQLITE_TRIES: u32 = 50;
/// The pause before trying again.
const SQLITE_PAUSE: Duration = Duration::from_millis(100);

impl Store {
    /// Opens the database and runs pending migrations, also while another process does the
    /// same: without this, of two processes started together on a new database the second
    /// stopped with "duplicate key value violates unique constraint" (PostgreSQL) or "database
    /// is locked" (SQLite).
    pub(super) async fn open_and_migrate(url: &str, options: &StoreOptions) -> Result<Store> {
        let store = Store::open_retrying(url, options).await?;
        match store.dialect {
            Dialect::Postgres => store.migrate_postgres().await?,
            Dialect::Sqlite => store.migrate_sqlite().await?,
        }
        Ok(store)
    }

    /// Opens the pool. Two processes opening a new SQLite file switch it to WAL at the same
    /// moment, and the loser is told "database is locked" at once, without waiting: it opens
    /// again.
    async fn open_retrying(url: &str, options: &StoreOptions) -> Result<Store> {
        let mut tries = 0;
        loop {
            match Store::open_unmigrated(url, options).await {
                Err(StoreError::Db(e)) if tries < SQLITE_TRIES && is_sqlite_race(&e) => {
                    tries += 1;
                    tokio::time::sleep(SQLITE_PAUSE).await;
                }
                other => return other,
            }
        }
    }

    /// All pending migrations in one transaction under a transaction-scoped advisory lock: a
    /// second process waits, then finds them applied. The lock ends with the transaction, even
    /// when the process dies.
    async fn migrate_postgres(&self) -> Result<()> {
        let tx = self.db.begin().await?;
        tx.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
        Migrator::up(&tx, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// All pending migrations in one transaction. SQLite has no advisory lock; a transaction
    /// that read the schema before another process's migration committed cannot write, so it
    /// rolls back and starts again from the schema that process left.
    async fn migrate_sqlite(&self) -> Result<()> {
        let mut tries = 0;
        loop {
            let tx = self.db.begin().await?;
            let outcome = match Migrator::up(&tx, None).await {
                Ok(()) => tx.commit().await,
                Err(e) => {
                    if let Err(r) = tx.rollback().await {
                        tracing::warn!("rolling back a failed migration: {r}");
                    }
                    Err(e)
                }
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err(e) if tries < SQLITE_TRIES && is_sqlite_race(&e) => {
                    tries += 1;
                    tokio::time::sleep(SQLITE_PAUSE).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// What another SQLite process doing the same work at the same moment causes.
fn is_sqlite_race(e: &sea_orm::DbErr) -> bool {
    let s = e.to_string();
    s.contains("database is locked") || s.contains("already exists")
}
