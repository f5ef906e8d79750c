//! Key columns for counting on PostgreSQL (migration m0014): up to [`KEY_SLOTS`] of an app's text
//! fields its views filter on by equality are copied into the plain columns `key1`…`key4` of
//! `records` by a trigger, with an index per column on (app, key, owner). A page's bounded count
//! over such filters then reads those indexes alone (an index-only scan) instead of one table row
//! per match, which is what PostgreSQL does with an expression index over `data`.
//!
//! Which field a column holds is `record_key_fields`, set at publish in the publication's
//! transaction (under the app's exclusive lock, so no write slips between the fill and the
//! commit). The slot of each field follows from the definition ([`slots`]), so every process
//! serving a definition names the same columns; a count also checks, in its own statement, that
//! the database's columns hold the fields it names, and counts from the data when they do not (a
//! process still serving the previous definition for a moment). SQLite counts from its
//! expression indexes and has no such columns. Derived data: left out of backups, rebuilt at
//! start.
use super::{get, Dialect, Result, Store};
use sea_orm::{DatabaseTransaction, Value};

/// How many key columns `records` has (`key1`…`key4`).
pub const KEY_SLOTS: usize = 4;

/// Values longer than this (in characters) are left out of the key columns, which keeps every
/// entry under a B-tree entry's size limit; a filter on such a value is counted from the data.
pub const KEY_MAX_CHARS: usize = 512;

/// Tables a backup leaves out: derived from the published definitions.
pub fn is_derived_table(name: &str) -> bool {
    name == "record_key_fields"
}

/// Columns a backup leaves out: derived from the records and the published definitions.
pub fn is_derived_column(table: &str, column: &str) -> bool {
    table == "records" && matches!(column, "key1" | "key2" | "key3" | "key4")
}

/// The key column of each field, 1-based, for the fields in the order given (the engine lists
/// the most used first); those past [`KEY_SLOTS`] get none.
pub fn slots(fields: &[String]) -> Vec<(String, u8)> {
    fields
        .iter()
        .take(KEY_SLOTS)
        .zip(1u8..)
        .map(|(f, slot)| (f.clone(), slot))
        .collect()
}

/// A field name fit for a JSON path (the engine checks them; this keeps SQL safe regardless).
fn plain(field: &str) -> bool {
    !field.is_empty()
        && field
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Store {
    /// The database's key columns for the app: (slot, field).
    async fn key_fields_in<C: sea_orm::ConnectionTrait>(
        &self,
        c: &C,
        app_id: i64,
    ) -> Result<Vec<(u8, String)>> {
        let rows = c
            .query_all(self.stmt(
                "SELECT slot, field FROM record_key_fields WHERE app_id = ? ORDER BY slot",
                vec![app_id.into()],
            ))
            .await?;
        rows.iter()
            .map(|r| Ok((get::<i16>(r, "slot")? as u8, get::<String>(r, "field")?)))
            .collect()
    }

    /// Makes the app's key columns hold `fields` ([`slots`] of them): each column whose field
    /// changes is registered and filled from the records; a column no longer used is
    /// unregistered (its values stay until each record's next write empties them, and no count
    /// reads them). Inside the caller's transaction, which holds the app's lock exclusively.
    /// Returns how many columns were filled. Nothing to do on SQLite.
    pub(super) async fn tx_sync_keys(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        fields: &[String],
    ) -> Result<usize> {
        if self.dialect != Dialect::Postgres {
            return Ok(0);
        }
        let have = self.key_fields_in(tx, app_id).await?;
        let want: Vec<(String, u8)> = slots(fields)
            .into_iter()
            .filter(|(f, _)| plain(f))
            .collect();
        for (slot, field) in &have {
            if !want.iter().any(|(f, s)| f == field && s == slot) {
                self.tx_exec(
                    tx,
                    "DELETE FROM record_key_fields WHERE app_id = ? AND slot = ?",
                    vec![app_id.into(), i16::from(*slot).into()],
                )
                .await?;
            }
        }
        let mut filled = 0;
        for (field, slot) in &want {
            if have.iter().any(|(s, f)| f == field && s == slot) {
                continue;
            }
            self.tx_exec(
                tx,
                "INSERT INTO record_key_fields (app_id, slot, field) VALUES (?, ?, ?)",
                vec![app_id.into(), i16::from(*slot).into(), field.clone().into()],
            )
            .await?;
            // `UPDATE OF key…` does not fire the trigger (it watches `data`).
            self.tx_exec(
                tx,
                &format!(
                    "UPDATE records SET key{slot} = CASE WHEN char_length(data->>'{field}') <= {KEY_MAX_CHARS} THEN data->>'{field}' END WHERE app_id = ?"
                ),
                vec![app_id.into()],
            )
            .await?;
            filled += 1;
        }
        Ok(filled)
    }

    /// [`Store::tx_sync_keys`] in a transaction of its own, when something is to do (at start-up,
    /// for the apps as published: a restored backup or an upgraded database).
    pub async fn sync_keys(&self, app_id: i64, fields: &[String]) -> Result<usize> {
        if self.dialect != Dialect::Postgres {
            return Ok(0);
        }
        let have = self.key_fields_in(&self.db, app_id).await?;
        let want: Vec<(u8, String)> = slots(fields)
            .into_iter()
            .filter(|(f, _)| plain(f))
            .map(|(f, s)| (s, f))
            .collect();
        if have == want {
            return Ok(0);
        }
        let tx = self.begin().await?;
        self.tx_write_first(&tx).await?;
        self.tx_lock_rollups(&tx, app_id, true).await?;
        let filled = self.tx_sync_keys(&tx, app_id, fields).await?;
        tx.commit().await?;
        Ok(filled)
    }
}

/// A count's test that the database's key columns hold the fields it names: `(slot, field)`
/// pairs, all of which must be registered for the app. The SQL and its values.
pub(super) fn keys_hold_sql(
    app_id: i64,
    named: &[(u8, String)],
    values: &mut Vec<Value>,
) -> String {
    values.push(app_id.into());
    let pairs: Vec<&str> = named
        .iter()
        .map(|(slot, field)| {
            values.push(i16::from(*slot).into());
            values.push(field.clone().into());
            "(slot = ? AND field = ?)"
        })
        .collect();
    format!(
        "(SELECT COUNT(*) FROM record_key_fields WHERE app_id = ? AND ({})) = {}",
        pairs.join(" OR "),
        named.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_take_the_columns_in_order_and_the_rest_get_none() {
        let fields: Vec<String> = ["status", "supplier", "category", "city", "project"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let s = slots(&fields);
        assert_eq!(s.len(), KEY_SLOTS);
        assert_eq!(s[0], ("status".to_string(), 1));
        assert_eq!(s[3], ("city".to_string(), 4));
    }

    #[test]
    fn the_key_columns_and_their_fields_are_derived() {
        assert!(is_derived_table("record_key_fields"));
        assert!(is_derived_column("records", "key3"));
        assert!(!is_derived_column("records", "data"));
        assert!(!is_derived_column("apps", "key1"));
    }

    #[test]
    fn the_test_of_the_columns_binds_every_pair() {
        let mut values = Vec::new();
        let sql = keys_hold_sql(
            7,
            &[(1, "status".into()), (2, "supplier".into())],
            &mut values,
        );
        assert_eq!(
            sql,
            "(SELECT COUNT(*) FROM record_key_fields WHERE app_id = ? AND ((slot = ? AND field = ?) OR (slot = ? AND field = ?))) = 2"
        );
        assert_eq!(values.len(), 5);
    }
}
