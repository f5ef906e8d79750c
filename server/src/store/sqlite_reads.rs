//! One-hop reads of view pages on SQLite.
//!
//! A view page is the hottest statement of the server (every MCP view call and list page is one).
//! Through sqlx-sqlite it crosses threads several times: the statement is a message to the
//! connection's own worker thread and every row comes back as another message, each a wake-up.
//! Here the whole statement runs on one blocking-pool thread with a `rusqlite` connection from a
//! pool of its own (`r2d2`, no check on checkout) and the rows come back once: one hop there, one
//! back (measured in docs/benchmarks.md, "The hot path"). A page whose filters need statements
//! read ahead (`ahead.rs`: a substring's values, a line value's frequency) runs them on the same
//! connection in the same trip, in one read transaction with the page. Writes and every other
//! read stay on the sea-orm pool; both pools open the same file, and WAL lets readers see every
//! committed write.
use super::ahead::{Found, Probe, Reads};
use super::query::Ahead;
use super::records::RecordRow;
use super::{Result, StoreError};
use chrono::{DateTime, NaiveDateTime, Utc};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::types::Value as SqlValue;
use std::time::Duration;

/// A page's records, each with the page's total (the statement's `total_n`).
type TotalledRows = Vec<(RecordRow, i64)>;

/// A pool of read-only `rusqlite` connections to the store's SQLite file.
#[derive(Clone)]
pub(super) struct SqliteReads {
    pool: r2d2::Pool<SqliteConnectionManager>,
}

impl SqliteReads {
    /// Opens the pool on the database file; `None` for an in-memory database, which another
    /// connection could not see.
    /// `readers`: connections at most, as many as the sea-orm pool's.
    pub(super) fn open(
        path: &std::path::Path,
        mmap_bytes: u64,
        readers: u32,
    ) -> Result<Option<SqliteReads>> {
        let name = path.to_string_lossy();
        if name.is_empty() || name == ":memory:" || name.starts_with("file::memory:") {
            return Ok(None);
        }
        // `query_only`: this pool can never write, whatever statement reaches it.
        let init = format!(
            "PRAGMA busy_timeout = 5000; PRAGMA mmap_size = {mmap_bytes}; PRAGMA query_only = 1;"
        );
        let manager = SqliteConnectionManager::file(path)
            .with_flags(
                rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | rusqlite::OpenFlags::SQLITE_OPEN_URI,
            )
            .with_init(move |c| c.execute_batch(&init));
        let pool = r2d2::Pool::builder()
            .max_size(readers)
            .min_idle(Some(1))
            // The connection is local and checked by its first statement; a test query on
            // every checkout would be a second statement per call.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .idle_timeout(Some(Duration::from_secs(600)))
            .build(manager)
            .map_err(|e| db_error(e.to_string()))?;
        Ok(Some(SqliteReads { pool }))
    }

    /// Runs a page: first its `probes` (see `ahead.rs`), then the `SELECT` that `page` builds
    /// from what they read, whose columns are [`super::records`]'s `REC_COLS` followed by an
    /// integer `total_n`; all on one blocking-pool thread and one connection, in one read
    /// transaction when there are probes, so the page sees the very values its probes read.
    /// With `keep`, only those top-level keys of each record's `data` are decoded (the others
    /// are skipped unparsed): what a page shown as its view's columns reads. Returns the rows
    /// with the total, and what was read ahead (for the count of a page past the end).
    pub(super) async fn page_after_probes<F>(
        &self,
        probes: Vec<Option<Probe>>,
        page: F,
        keep: Option<Vec<String>>,
    ) -> Result<(TotalledRows, Vec<Ahead>)>
    where
        F: FnOnce(&[Ahead]) -> (String, Vec<sea_orm::Value>) + Send + 'static,
    {
        let probes = probes
            .into_iter()
            .map(|p| {
                p.map(|p| -> Result<_> {
                    let params = p.values.into_iter().map(sql_value).collect::<Result<_>>()?;
                    Ok((p.sql, params, p.reads))
                })
                .transpose()
            })
            .collect::<Result<Vec<Option<(String, Vec<SqlValue>, Reads)>>>>()?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || -> Result<(TotalledRows, Vec<Ahead>)> {
            let conn = pool.get().map_err(|e| db_error(e.to_string()))?;
            // Without a probe the page is one statement, its own snapshot. The transaction only
            // reads; dropping it at the end rolls it back.
            let _snapshot = match probes.iter().any(Option::is_some) {
                true => Some(conn.unchecked_transaction().map_err(sqlite_error)?),
                false => None,
            };
            let conn: &rusqlite::Connection = &conn;
            let mut ahead = Vec::with_capacity(probes.len());
            for probe in probes {
                ahead.push(match probe {
                    None => Ahead::Nothing,
                    Some((sql, params, reads)) => {
                        reads.ahead(probe_rows(conn, &sql, &params, reads)?)
                    }
                });
            }
            let (sql, values) = page(&ahead);
            let params = values
                .into_iter()
                .map(sql_value)
                .collect::<Result<Vec<SqlValue>>>()?;
            let rows = page_rows(conn, &sql, &params, keep.as_deref())?;
            Ok((rows, ahead))
        })
        .await
        .map_err(|e| db_error(format!("a read task failed: {e}")))?
    }
}

/// A probe's rows, their first column as `reads` says it is.
fn probe_rows(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[SqlValue],
    reads: Reads,
) -> Result<Found> {
    let mut stmt = conn.prepare_cached(sql).map_err(sqlite_error)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(sqlite_error)?;
    Ok(match reads {
        Reads::Values { .. } => {
            let mut texts = Vec::new();
            while let Some(r) = rows.next().map_err(sqlite_error)? {
                texts.push(r.get::<_, String>(0).map_err(sqlite_error)?);
            }
            Found::Texts(texts)
        }
        Reads::CommonAbove(_) => Found::Count(match rows.next().map_err(sqlite_error)? {
            Some(r) => Some(r.get::<_, i64>(0).map_err(sqlite_error)?),
            None => None,
        }),
    })
}

/// The rows of a page statement with their total (see [`SqliteReads::page_after_probes`]).
fn page_rows(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[SqlValue],
    keep: Option<&[String]>,
) -> Result<TotalledRows> {
    let mut stmt = conn.prepare_cached(sql).map_err(sqlite_error)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(sqlite_error)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sqlite_error)? {
        out.push(record_row(r, keep)?);
    }
    Ok(out)
}

fn record_row(r: &rusqlite::Row<'_>, keep: Option<&[String]>) -> Result<(RecordRow, i64)> {
    // Borrowed from the row: the text is parsed where SQLite holds it, not copied first.
    let data = r
        .get_ref("data")
        .and_then(|v| v.as_str().map_err(Into::into))
        .map_err(sqlite_error)?;
    let data = match keep {
        None => serde_json::from_str(data),
        Some(keys) => super::partial_json::decode_keys(data, keys),
    }
    .map_err(|e| db_error(format!("a record's data is not JSON: {e}")))?;
    let row = RecordRow {
        id: r.get("id").map_err(sqlite_error)?,
        app_id: r.get("app_id").map_err(sqlite_error)?,
        owner_id: r.get("owner_id").map_err(sqlite_error)?,
        version: r.get("version").map_err(sqlite_error)?,
        data,
        created_at: timestamp(&r.get::<_, String>("created_at").map_err(sqlite_error)?)?,
        updated_at: timestamp(&r.get::<_, String>("updated_at").map_err(sqlite_error)?)?,
    };
    let total: i64 = r.get("total_n").map_err(sqlite_error)?;
    Ok((row, total))
}

/// A timestamp as the sea-orm pool writes it (RFC 3339), or SQLite's own `YYYY-MM-DD HH:MM:SS`
/// (UTC) as a column default writes it.
fn timestamp(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%F %T%.f")
        .map(|t| t.and_utc())
        .map_err(|_| db_error(format!("a stored timestamp cannot be read: {text:?}")))
}

/// A bound value of the statements the store builds (integers, text, reals, booleans, JSON).
fn sql_value(v: sea_orm::Value) -> Result<SqlValue> {
    use sea_orm::Value as V;
    Ok(match v {
        V::Bool(b) => b.map_or(SqlValue::Null, |b| SqlValue::Integer(b.into())),
        V::TinyInt(n) => n.map_or(SqlValue::Null, |n| SqlValue::Integer(n.into())),
        V::SmallInt(n) => n.map_or(SqlValue::Null, |n| SqlValue::Integer(n.into())),
        V::Int(n) => n.map_or(SqlValue::Null, |n| SqlValue::Integer(n.into())),
        V::BigInt(n) => n.map_or(SqlValue::Null, SqlValue::Integer),
        V::TinyUnsigned(n) => n.map_or(SqlValue::Null, |n| SqlValue::Integer(n.into())),
        V::SmallUnsigned(n) => n.map_or(SqlValue::Null, |n| SqlValue::Integer(n.into())),
        V::Unsigned(n) => n.map_or(SqlValue::Null, |n| SqlValue::Integer(n.into())),
        V::Float(n) => n.map_or(SqlValue::Null, |n| SqlValue::Real(n.into())),
        V::Double(n) => n.map_or(SqlValue::Null, SqlValue::Real),
        V::String(s) => s.map_or(SqlValue::Null, |s| SqlValue::Text(*s)),
        V::Json(j) => j.map_or(SqlValue::Null, |j| SqlValue::Text(j.to_string())),
        other => {
            return Err(db_error(format!(
                "a value of this kind is not bound by one-hop reads: {other:?}"
            )))
        }
    })
}

fn sqlite_error(e: rusqlite::Error) -> StoreError {
    db_error(e.to_string())
}

fn db_error(message: String) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_in_both_stored_forms() {
        let a = timestamp("2026-11-30T19:39:33.123456+00:00").expect("rfc 3339");
        let b = timestamp("2026-11-30 19:39:33.123456").expect("sqlite default");
        assert_eq!(a, b);
        assert!(timestamp("30/11/2026").is_err());
    }

    #[test]
    fn values_bind_as_sqlite_types() {
        assert_eq!(
            sql_value(sea_orm::Value::BigInt(Some(7))).expect("int"),
            SqlValue::Integer(7)
        );
        assert_eq!(
            sql_value(sea_orm::Value::String(Some(Box::new("x".into())))).expect("text"),
            SqlValue::Text("x".into())
        );
        assert_eq!(
            sql_value(sea_orm::Value::BigInt(None)).expect("null"),
            SqlValue::Null
        );
    }
}
