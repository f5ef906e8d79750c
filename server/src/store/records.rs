//! Records and their writes. Every write goes with its history entry in one transaction, and
//! updates are conditional on the version the caller read (optimistic concurrency).
use super::history::NewHistory;
use super::query::{Ahead, RecordQuery};
use super::{get, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::QueryResult;
use serde_json::Value as Json;

/// A stored record.
#[derive(Debug, Clone)]
pub struct RecordRow {
    pub id: i64,
    pub app_id: i64,
    pub owner_id: i64,
    pub version: i64,
    pub data: Json,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RecordRow {
    fn from_row(r: &QueryResult) -> Result<RecordRow> {
        Ok(RecordRow {
            id: get(r, "id")?,
            app_id: get(r, "app_id")?,
            owner_id: get(r, "owner_id")?,
            version: get(r, "version")?,
            data: get(r, "data")?,
            created_at: get(r, "created_at")?,
            updated_at: get(r, "updated_at")?,
        })
    }
}

/// A change to one record, applied with its history entry.
pub enum RecordWrite {
    Create {
        app_id: i64,
        owner_id: i64,
        data: Json,
    },
    /// `before` is the record's data at `expected_version`, as the engine read it: what the
    /// record adds to summary rollups until this write (see `rollups.rs`).
    Update {
        app_id: i64,
        id: i64,
        expected_version: i64,
        owner_id: i64,
        data: Json,
        before: Json,
    },
    Delete {
        app_id: i64,
        id: i64,
        expected_version: i64,
        owner_id: i64,
        before: Json,
    },
}

/// How far past the requested page a total keeps counting (see [`Store::query_records`]).
pub const COUNT_AHEAD: u64 = 1000;

/// How many records match a query: exactly `n`, or at least `n` when counting stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub n: u64,
    pub exact: bool,
}

const REC_COLS: &str = "id, app_id, owner_id, version, data, created_at, updated_at";

impl Store {
    pub async fn record(&self, app_id: i64, id: i64) -> Result<Option<RecordRow>> {
        let sql = format!("SELECT {REC_COLS} FROM records WHERE id = ? AND app_id = ?");
        self.one(&sql, vec![id.into(), app_id.into()])
            .await?
            .map(|r| RecordRow::from_row(&r))
            .transpose()
    }

    /// Whether record `id` matches any of these queries (their app, owner, predicates and search;
    /// sort and paging do not matter). False when there are none.
    pub async fn record_matches_any(&self, id: i64, queries: &[RecordQuery]) -> Result<bool> {
        if queries.is_empty() {
            return Ok(false);
        }
        let mut values = vec![id.into()];
        let mut any = Vec::with_capacity(queries.len());
        for q in queries {
            let (where_sql, v) = q.where_sql(self.dialect);
            any.push(format!("({where_sql})"));
            values.extend(v);
        }
        let sql = format!(
            "SELECT 1 AS hit FROM records WHERE id = ? AND ({})",
            any.join(" OR ")
        );
        Ok(self.one(&sql, values).await?.is_some())
    }

    /// Applies a write and appends its history entry atomically; returns (record id, new version).
    /// `history.record_id`/`record_version` are filled in here. The attachments in `attach` are
    /// linked to the record only if they are unlinked or already its own; otherwise nothing is
    /// written and the error is [`StoreError::Conflict`]. The `notices` are written in the same
    /// transaction, so a change and the notices telling of it are committed (or lost) together.
    pub async fn apply_write(
        &self,
        write: RecordWrite,
        mut history: NewHistory,
        attach: &[i64],
        notices: &[super::NewNotice],
        now: DateTime<Utc>,
    ) -> Result<(i64, i64)> {
        let tx = self.begin().await?;
        self.tx_write_first(&tx).await?;
        let app_id = match &write {
            RecordWrite::Create { app_id, .. }
            | RecordWrite::Update { app_id, .. }
            | RecordWrite::Delete { app_id, .. } => *app_id,
        };
        self.tx_lock_rollups(&tx, app_id, false).await?;
        let (id, version) = match write {
            RecordWrite::Create {
                app_id,
                owner_id,
                data,
            } => {
                let row = self
                    .tx_one(
                        &tx,
                        "INSERT INTO records (app_id, owner_id, version, data, created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?) RETURNING id",
                        vec![app_id.into(), owner_id.into(), data.clone().into(), now.into(), now.into()],
                    )
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let after = super::rollups::Side {
                    owner_id,
                    data: &data,
                };
                self.tx_rollup_write(&tx, app_id, None, Some(after)).await?;
                (get::<i64>(&row, "id")?, 1)
            }
            RecordWrite::Update {
                app_id,
                id,
                expected_version,
                owner_id,
                data,
                before,
            } => {
                let n = self
                    .tx_exec(
                        &tx,
                        "UPDATE records SET data = ?, owner_id = ?, version = version + 1, updated_at = ? WHERE id = ? AND app_id = ? AND version = ?",
                        vec![data.clone().into(), owner_id.into(), now.into(), id.into(), app_id.into(), expected_version.into()],
                    )
                    .await?;
                if n == 0 {
                    let e = self.stale_or_missing(&tx, id).await;
                    tx.rollback().await;
                    return Err(e);
                }
                // The row was at `expected_version`, so `before` is what it held.
                let was = super::rollups::Side {
                    owner_id,
                    data: &before,
                };
                let now_is = super::rollups::Side {
                    owner_id,
                    data: &data,
                };
                self.tx_rollup_write(&tx, app_id, Some(was), Some(now_is))
                    .await?;
                (id, expected_version + 1)
            }
            RecordWrite::Delete {
                app_id,
                id,
                expected_version,
                owner_id,
                before,
            } => {
                let n = self
                    .tx_exec(
                        &tx,
                        "DELETE FROM records WHERE id = ? AND app_id = ? AND version = ?",
                        vec![id.into(), app_id.into(), expected_version.into()],
                    )
                    .await?;
                if n == 0 {
                    let e = self.stale_or_missing(&tx, id).await;
                    tx.rollback().await;
                    return Err(e);
                }
                let was = super::rollups::Side {
                    owner_id,
                    data: &before,
                };
                self.tx_rollup_write(&tx, app_id, Some(was), None).await?;
                self.tx_exec(
                    &tx,
                    "UPDATE attachments SET record_id = NULL WHERE record_id = ?",
                    vec![id.into()],
                )
                .await?;
                (id, expected_version + 1)
            }
        };
        for att in attach {
            // One conditional statement, so two writes racing for the same unlinked upload
            // cannot both take it: the second finds it linked and its whole write is undone.
            let linked = self
                .tx_exec(
                    &tx,
                    "UPDATE attachments SET record_id = ? WHERE id = ? AND (record_id IS NULL OR record_id = ?)",
                    vec![id.into(), (*att).into(), id.into()],
                )
                .await?;
            if linked == 0 {
                // Rolled back here, so the connection goes back to the pool clean.
                tx.tx.rollback().await?;
                return Err(StoreError::Conflict);
            }
        }
        history.record_id = id;
        history.record_version = version;
        self.insert_history(&tx, &history).await?;
        self.insert_notices(&tx, notices, id, version, now).await?;
        tx.commit().await?;
        Ok((id, version))
    }

    async fn stale_or_missing(&self, tx: &sea_orm::DatabaseTransaction, id: i64) -> StoreError {
        match self
            .tx_one(
                tx,
                "SELECT version FROM records WHERE id = ?",
                vec![id.into()],
            )
            .await
        {
            Ok(Some(r)) => match get::<i64>(&r, "version") {
                Ok(current) => StoreError::Stale { current },
                Err(e) => e,
            },
            Ok(None) => StoreError::NotFound,
            Err(e) => e,
        }
    }

    /// One page of records and how many match, in one statement: the count is an uncorrelated
    /// subquery the database evaluates once (one round trip instead of two). The count stops
    /// [`COUNT_AHEAD`] matches past the end of the page, so its cost is bounded however many
    /// records match; beyond that the total is a lower bound (`exact: false`).
    pub async fn query_records(&self, q: &RecordQuery) -> Result<(Vec<RecordRow>, Total)> {
        self.query_records_keeping(q, None).await
    }

    /// [`Store::query_records`] for a reader that needs only the `keep` keys of each record's
    /// data: on SQLite the rest is skipped unparsed, so rows may hold only those keys (on
    /// PostgreSQL they come whole).
    pub async fn query_records_keeping(
        &self,
        q: &RecordQuery,
        keep: Option<Vec<String>>,
    ) -> Result<(Vec<RecordRow>, Total)> {
        let cap = q.offset.saturating_add(q.limit).saturating_add(COUNT_AHEAD);
        let (found, ahead): (Vec<(RecordRow, i64)>, Vec<Ahead>) = match &self.reads {
            Some(reads) => {
                let (dialect, page_q) = (self.dialect, q.clone());
                let page = move |ahead: &[Ahead]| {
                    let s = page_statement(dialect, &page_q, ahead);
                    (s.page, s.page_values)
                };
                reads.page_after_probes(self.probes(q), page, keep).await?
            }
            None => {
                let ahead = self.read_ahead(q).await?;
                let s = page_statement(self.dialect, q, &ahead);
                let found = self
                    .all(&s.page, s.page_values)
                    .await?
                    .iter()
                    .map(|r| Ok((RecordRow::from_row(r)?, get::<i64>(r, "total_n")?)))
                    .collect::<Result<_>>()?;
                (found, ahead)
            }
        };
        let counted = match found.first() {
            Some((_, n)) => (*n).max(0) as u64,
            None if q.offset == 0 => 0,
            // A page past the end: the count alone.
            None => {
                let s = page_statement(self.dialect, q, &ahead);
                let row = self
                    .one(&s.count, s.count_values)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                get::<i64>(&row, "n")?.max(0) as u64
            }
        };
        let total = Total {
            n: counted.min(cap),
            exact: counted <= cap,
        };
        let rows = found.into_iter().map(|(row, _)| row).collect();
        Ok((rows, total))
    }

    /// The database's plans for the statements [`Store::query_records`] runs (`EXPLAIN QUERY
    /// PLAN` on SQLite, `EXPLAIN` on PostgreSQL), one line per step: the substring index's values
    /// first (one statement per `contains` it answers), then the page with its total. What tests
    /// and benchmarks read to see which indexes a view uses.
    pub async fn explain_records(&self, q: &RecordQuery) -> Result<Vec<String>> {
        let mut lines = self.explain_substrings(q).await?;
        let ahead = self.read_ahead(q).await?;
        let s = page_statement(self.dialect, q, &ahead);
        lines.extend(self.plan_lines(&s.page, s.page_values).await?);
        Ok(lines)
    }

    /// One statement's plan, a line per step.
    pub(super) async fn plan_lines(
        &self,
        sql: &str,
        values: Vec<sea_orm::Value>,
    ) -> Result<Vec<String>> {
        let (sql, col) = match self.dialect {
            super::Dialect::Sqlite => (format!("EXPLAIN QUERY PLAN {sql}"), "detail"),
            super::Dialect::Postgres => (format!("EXPLAIN {sql}"), "QUERY PLAN"),
        };
        self.all(&sql, values)
            .await?
            .iter()
            .map(|r| get::<String>(r, col))
            .collect()
    }

    /// Inserts many records at once without history (demo and benchmark data generation).
    pub async fn bulk_insert_records(
        &self,
        app_id: i64,
        rows: &[(i64, Json)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.begin().await?;
        self.tx_write_first(&tx).await?;
        self.tx_lock_rollups(&tx, app_id, false).await?;
        for chunk in rows.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO records (app_id, owner_id, version, data, created_at, updated_at) VALUES ",
            );
            let mut values = Vec::with_capacity(chunk.len() * 5);
            for (i, (owner, data)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str("(?, ?, 1, ?, ?, ?)");
                values.extend([
                    app_id.into(),
                    (*owner).into(),
                    data.clone().into(),
                    now.into(),
                    now.into(),
                ]);
            }
            self.tx_exec(&tx, &sql, values).await?;
            let sides: Vec<(i64, super::rollups::Side)> = chunk
                .iter()
                .map(|(owner_id, data)| {
                    (
                        1,
                        super::rollups::Side {
                            owner_id: *owner_id,
                            data,
                        },
                    )
                })
                .collect();
            self.tx_rollup_sides(&tx, app_id, &sides).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn count_records(&self, app_id: i64) -> Result<u64> {
        let row = self
            .one(
                "SELECT COUNT(*) AS n FROM records WHERE app_id = ?",
                vec![app_id.into()],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(get::<i64>(&row, "n")?.max(0) as u64)
    }

    /// Refreshes planner statistics after bulk loads. On SQLite only the per-index row estimates
    /// (`sqlite_stat1`) are kept: with the value samples of `sqlite_stat4` present, SQLite
    /// re-prepares a statement whenever a bound value might change its plan, which here costs
    /// more on every view call than the better plans it could find (measured with
    /// `tests/bench/run.sh`; see docs/benchmarks.md). On PostgreSQL the tables are vacuumed as
    /// well: until a page is marked all-visible, an index-only scan (a view's bounded count
    /// from the key columns) still reads the table row of every match, and autovacuum may take
    /// minutes to get to freshly loaded rows.
    pub async fn analyze(&self) -> Result<()> {
        let statement = match self.dialect {
            super::Dialect::Postgres => "VACUUM (ANALYZE)",
            _ => "ANALYZE",
        };
        self.exec(statement, vec![]).await?;
        if self.dialect == super::Dialect::Sqlite {
            let stat4 = self
                .one(
                    "SELECT 1 AS present FROM sqlite_master WHERE name = 'sqlite_stat4'",
                    vec![],
                )
                .await?;
            if stat4.is_some() {
                self.exec("DELETE FROM sqlite_stat4", vec![]).await?;
                // Reloads the statistics into the schema of this connection; others re-read
                // them when their schema is next loaded.
                self.exec("ANALYZE sqlite_schema", vec![]).await?;
            }
        }
        Ok(())
    }
}

/// A page's statements: the page with its total (an uncorrelated subquery), and the total alone
/// (for a page past the end), each with its values.
struct PageStatements {
    page: String,
    page_values: Vec<sea_orm::Value>,
    count: String,
    count_values: Vec<sea_orm::Value>,
}

/// The statements of a page with its total; `ahead` as [`Store::read_ahead`] gives it. The total
/// counts at most [`COUNT_AHEAD`] matches past the page. On PostgreSQL, when every filter can be
/// read from the key columns (`keys.rs`), it counts from their indexes alone, provided the
/// database's columns hold the fields named (checked in the same statement); else, and on
/// SQLite, it counts with the page's own conditions.
fn page_statement(d: super::Dialect, q: &RecordQuery, ahead: &[Ahead]) -> PageStatements {
    let (where_sql, values) = q.where_sql_resolved(d, ahead);
    let order = q.order_sql(d);
    let cap = q.offset.saturating_add(q.limit).saturating_add(COUNT_AHEAD);
    let bounded = |w: &str| {
        format!(
            "(SELECT COUNT(*) FROM (SELECT 1 FROM records WHERE {w} LIMIT {}) AS matching)",
            cap.saturating_add(1)
        )
    };
    let mut count_values = Vec::new();
    let count = match q.where_sql_keyed(d, ahead) {
        Some((keyed_sql, keyed_values, named)) => {
            let holds = super::keys::keys_hold_sql(q.app_id, &named, &mut count_values);
            count_values.extend(keyed_values);
            count_values.extend(values.iter().cloned());
            format!(
                "CASE WHEN {holds} THEN {} ELSE {} END",
                bounded(&keyed_sql),
                bounded(&where_sql)
            )
        }
        None => {
            count_values.extend(values.iter().cloned());
            bounded(&where_sql)
        }
    };
    let page = format!(
        "SELECT {REC_COLS}, {count} AS total_n \
         FROM records WHERE {where_sql} ORDER BY {order} LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let mut page_values = count_values.clone();
    page_values.extend(values);
    PageStatements {
        page,
        page_values,
        count: format!("SELECT {count} AS n"),
        count_values,
    }
}
