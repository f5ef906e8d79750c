//! The substring index behind `contains` filters: for each text field an app's views filter
//! with `contains` (`text_index_fields`), the field's distinct values (`record_texts`), searched
//! by trigram — SQLite FTS5 with the `trigram` tokenizer (`record_texts_fts`), PostgreSQL
//! `pg_trgm`'s GIN index when the extension is available. Triggers on `records` (migration
//! m0012) add a write's new values in the write's own transaction, whichever process or path
//! writes; a value no record holds any more stays behind and matches no record. Publishing
//! registers the fields its views need and fills them from the records in the publication's
//! transaction, under the app's exclusive lock on PostgreSQL (writes hold it shared), so no write
//! slips between the fill and the commit. Derived data: left out of backups, rebuilt at start.
use super::{get, Dialect, Result, Store};
use sea_orm::DatabaseTransaction;
use std::sync::atomic::{AtomicBool, Ordering};

/// Tables a backup leaves out: derived from the records and published definitions, and built
/// again when the server starts (the FTS5 table's shadow tables start with its name).
pub fn is_derived_table(name: &str) -> bool {
    name == "text_index_fields" || name.starts_with("record_texts")
}

/// Said once per process when PostgreSQL has no `pg_trgm`.
static NO_TRGM_SAID: AtomicBool = AtomicBool::new(false);

/// A field name fit for a JSON path (the engine checks them; this keeps SQL safe regardless).
fn plain(field: &str) -> bool {
    !field.is_empty()
        && field
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Store {
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
