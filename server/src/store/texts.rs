//! The substring index behind `contains` filters: for each text field an app's views filter
//! with `contains` (`text_index_fields`), the field's distinct values (`record_texts`), searched
//! by trigram — SQLite FTS5 with the `trigram` tokenizer (`record_texts_fts`), PostgreSQL
//! `pg_trgm`'s GIN index when the extension is available. Triggers on `records` (migration
//! m0012) add a write's new values in the write's own transaction, whichever process or path
//! writes; a value no record holds any more stays behind and matches no record. Publishing
//! registers the fields its views need and fills them from the records in the publication's
//! transaction, under the app's exclusive lock on PostgreSQL (writes hold it shared), so no write
//! slips between the fill and the commit. Derived data: left out of backups, rebuilt at start.
use super::ahead::{Probe, Reads};
use super::query::{like_pattern, Predicate, PredicateOp, RecordQuery, TRIGRAM_MIN_CHARS};
use super::{get, plain, Dialect, Result, Store};
use sea_orm::{DatabaseTransaction, Value};
use std::sync::atomic::{AtomicBool, Ordering};

/// How many matching values a page's statement names one by one; with more it reads them in a
/// subquery.
const NAMED_VALUES: usize = 32;

/// Tables a backup leaves out: derived from the records and published definitions, and built
/// again when the server starts (the FTS5 table's shadow tables start with its name).
pub fn is_derived_table(name: &str) -> bool {
    name == "text_index_fields" || name.starts_with("record_texts")
}

/// Said once per process when PostgreSQL has no `pg_trgm`.
static NO_TRGM_SAID: AtomicBool = AtomicBool::new(false);

/// Whether a `Contains` is answered from the substring index: the app keeps the field's values
/// and the needle is long enough to have a trigram (a shorter one is scanned).
pub(super) fn uses_trigrams(p: &Predicate) -> bool {
    p.op == PredicateOp::Contains
        && p.indexed
        && p.via.is_none()
        && p.value.chars().count() >= TRIGRAM_MIN_CHARS
}

/// The field's distinct values that contain the needle: found by trigram, then checked with the
/// very `LIKE`/`ILIKE` the scan uses, so the records they lead to are exactly the scan's
/// (trigrams only narrow the candidates). SQLite finds the candidates in FTS5 (its `trigram`
/// tokenizer folds case, a superset of `LIKE`'s ASCII folding); PostgreSQL's `pg_trgm` GIN index
/// answers the `ILIKE` itself. `+` leaves SQLite's values without the column's text affinity,
/// without which it would not use an expression index for `IN`.
fn values_sql(d: Dialect, app_id: i64, p: &Predicate, values: &mut Vec<Value>) -> &'static str {
    let sql = match d {
        Dialect::Sqlite => {
            values.push(fts_phrase(&p.value).into());
            "SELECT +t.value AS value FROM record_texts t WHERE t.id IN (SELECT rowid FROM record_texts_fts WHERE record_texts_fts MATCH ?) AND t.app_id = ? AND t.field = ? AND t.value LIKE ? ESCAPE '\\'"
        }
        Dialect::Postgres => {
            "SELECT t.value AS value FROM record_texts t WHERE t.app_id = ? AND t.field = ? AND t.value ILIKE ? ESCAPE '\\'"
        }
    };
    values.push(app_id.into());
    values.push(p.field.clone().into());
    values.push(like_pattern(&p.value).into());
    sql
}

/// "The field contains the needle" as "the field's value is one of those that contain it", which
/// the expression indexes publish creates answer like an equality: `found` when the values were
/// read ahead (`= ?` for one, so a page sorted by another field reads just its rows from a
/// composite index), else a subquery.
pub(super) fn substring_sql(
    d: Dialect,
    app_id: i64,
    p: &Predicate,
    expr: &str,
    found: Option<&[String]>,
    values: &mut Vec<Value>,
) -> String {
    match found {
        Some([]) => "1 = 0".into(),
        Some([one]) => {
            values.push(one.clone().into());
            format!("{expr} = ?")
        }
        Some(many) => {
            values.extend(many.iter().map(|v| Value::from(v.clone())));
            format!("{expr} IN ({})", vec!["?"; many.len()].join(", "))
        }
        None => {
            let sub = values_sql(d, app_id, p, values);
            format!("{expr} IN ({sub})")
        }
    }
}

/// The needle as one FTS5 phrase: every character literal, a double quote doubled.
fn fts_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The probe of a substring predicate: the field's values that contain the needle, named in the
/// page when there are at most [`NAMED_VALUES`]. Run just before the page's statement; on the
/// one-hop reader in the page's own read transaction, elsewhere as a statement of its own, where
/// a value first written between the two is not seen, as if its record had been written just
/// after the page was read.
pub(super) fn substring_probe(d: Dialect, app_id: i64, p: &Predicate) -> Probe {
    let mut values = Vec::new();
    let sql = format!(
        "{} LIMIT {}",
        values_sql(d, app_id, p, &mut values),
        NAMED_VALUES + 1
    );
    Probe {
        sql,
        values,
        reads: Reads::Values {
            at_most: NAMED_VALUES,
        },
    }
}

impl Store {
    /// The plans of [`substring_probe`]'s statements (see [`Store::explain_records`]).
    pub(super) async fn explain_substrings(&self, q: &RecordQuery) -> Result<Vec<String>> {
        let mut lines = Vec::new();
        for p in q.predicates.iter().filter(|p| uses_trigrams(p)) {
            let mut values = Vec::new();
            let sql = values_sql(self.dialect, q.app_id, p, &mut values);
            lines.extend(self.plan_lines(sql, values).await?);
        }
        Ok(lines)
    }

    /// The fields the app keeps in the substring index.
    async fn tx_text_fields(&self, tx: &DatabaseTransaction, app_id: i64) -> Result<Vec<String>> {
        use sea_orm::ConnectionTrait;
        let rows = tx
            .query_all(self.stmt(
                "SELECT field FROM text_index_fields WHERE app_id = ? ORDER BY field",
                vec![app_id.into()],
            ))
            .await?;
        rows.iter().map(|r| get(r, "field")).collect()
    }

    /// Makes the substring index hold `wanted` (the text fields the app's views filter with
    /// `contains`): each new one is registered and filled from the records. A field stays
    /// registered while it is one of `text_fields` (the definition's text fields), so a process
    /// still serving the previous definition for a moment reads complete values; one the
    /// definition no longer has as text (removed, renamed, retyped) is dropped with its values.
    /// Inside the caller's transaction, which holds the app's lock exclusively on PostgreSQL.
    /// Returns how many fields were filled.
    pub(super) async fn tx_sync_texts(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        wanted: &[String],
        text_fields: &[String],
    ) -> Result<usize> {
        let have = self.tx_text_fields(tx, app_id).await?;
        for field in have.iter().filter(|f| !text_fields.contains(f)) {
            for table in ["record_texts", "text_index_fields"] {
                self.tx_exec(
                    tx,
                    &format!("DELETE FROM {table} WHERE app_id = ? AND field = ?"),
                    vec![app_id.into(), field.clone().into()],
                )
                .await?;
            }
        }
        let mut filled = 0;
        for field in wanted
            .iter()
            .filter(|f| !have.contains(f) && plain(f) && text_fields.contains(f))
        {
            self.tx_exec(
                tx,
                "INSERT INTO text_index_fields (app_id, field) VALUES (?, ?) ON CONFLICT DO NOTHING",
                vec![app_id.into(), field.clone().into()],
            )
            .await?;
            let fill = match self.dialect {
                Dialect::Sqlite => format!(
                    "INSERT OR IGNORE INTO record_texts (app_id, field, value) SELECT DISTINCT ?, ?, json_extract(data, '$.{field}') FROM records WHERE app_id = ? AND json_type(data, '$.{field}') = 'text'"
                ),
                Dialect::Postgres => format!(
                    "INSERT INTO record_texts (app_id, field, value) SELECT DISTINCT CAST(? AS BIGINT), CAST(? AS TEXT), data->>'{field}' FROM records WHERE app_id = ? AND jsonb_typeof(data->'{field}') = 'string' ON CONFLICT (app_id, field, md5(value)) DO NOTHING"
                ),
            };
            self.tx_exec(
                tx,
                &fill,
                vec![app_id.into(), field.clone().into(), app_id.into()],
            )
            .await?;
            filled += 1;
        }
        Ok(filled)
    }

    /// [`Store::tx_sync_texts`] in a transaction of its own, when something is to do (at
    /// start-up, for the apps as published: a restored backup or an upgraded database).
    pub async fn sync_texts(
        &self,
        app_id: i64,
        wanted: &[String],
        text_fields: &[String],
    ) -> Result<usize> {
        let have: Vec<String> = self
            .all(
                "SELECT field FROM text_index_fields WHERE app_id = ?",
                vec![app_id.into()],
            )
            .await?
            .iter()
            .map(|r| get(r, "field"))
            .collect::<Result<_>>()?;
        let missing = wanted
            .iter()
            .any(|f| !have.contains(f) && plain(f) && text_fields.contains(f));
        let stale = have.iter().any(|f| !text_fields.contains(f));
        if !missing && !stale {
            return Ok(0);
        }
        let tx = self.begin().await?;
        self.tx_write_first(&tx).await?;
        self.tx_lock_rollups(&tx, app_id, true).await?;
        let filled = self.tx_sync_texts(&tx, app_id, wanted, text_fields).await?;
        tx.commit().await?;
        Ok(filled)
    }

    /// On PostgreSQL, the `pg_trgm` GIN index over the substring index's values (created with the
    /// extension when missing; idempotent). Without the extension (not installed on the server,
    /// or no right to create it) publishing goes on and the values are read without it, said
    /// once per process. SQLite's trigram index comes with its schema.
    pub async fn ensure_trigram_index(&self) -> Result<()> {
        if self.dialect != Dialect::Postgres {
            return Ok(());
        }
        if !self.has_pg_trgm().await? {
            let created = self
                .exec("CREATE EXTENSION IF NOT EXISTS pg_trgm", vec![])
                .await;
            // Another process may have created it at the same moment.
            if let Err(e) = created {
                if !self.has_pg_trgm().await? {
                    if !NO_TRGM_SAID.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "PostgreSQL's pg_trgm extension is not available ({e}): `contains` filters read the fields' distinct values without a trigram index"
                        );
                    }
                    return Ok(());
                }
            }
        }
        if let Err(e) = self
            .exec(
                "CREATE INDEX IF NOT EXISTS record_texts_trgm ON record_texts USING gin (value gin_trgm_ops)",
                vec![],
            )
            .await
        {
            tracing::warn!("the trigram index of `contains` filters was not created: {e}");
        }
        Ok(())
    }

    async fn has_pg_trgm(&self) -> Result<bool> {
        Ok(self
            .one(
                "SELECT 1 AS present FROM pg_extension WHERE extname = 'pg_trgm'",
                vec![],
            )
            .await?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_tables_are_derived_and_others_are_not() {
        for t in [
            "text_index_fields",
            "record_texts",
            "record_texts_fts",
            "record_texts_fts_data",
            "record_texts_fts_config",
        ] {
            assert!(is_derived_table(t), "{t}");
        }
        for t in ["records", "apps", "summary_cells"] {
            assert!(!is_derived_table(t), "{t}");
        }
    }
}
