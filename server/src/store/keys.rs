//! Key columns for counting on PostgreSQL (migration m0014): up to [`KEY_SLOTS`] of an app's text
//! fields its views filter on by equality are copied into the plain columns `key1`…`key4` of
//! `records` by a trigger, with an index per column on (app, key, owner). A page's bounded count
//! over such filters then reads those indexes alone (an index-only scan) instead of one table row
//! per match, which is what PostgreSQL does with an expression index over `data`.
//!
//! Which field a column holds is `record_key_fields`. The publishing transaction registers a
//! column whose field changes (under the app's exclusive lock, which writes hold shared, so
//! every write after its commit keeps the column through the trigger); the records written
//! before are filled afterwards, a range of ids per statement, each under the app's lock held
//! shared as a write holds it ([`Store::fill_keys`]), and only then is the column `ready`. The
//! slot of each field follows from the definition ([`slots`]), so every process serving a
//! definition names the same columns; a count also checks, in its own statement, that the
//! database's map holds the fields it names and that they are ready, and counts from the data
//! when they are not (a column still being filled, or a process serving the previous definition
//! for a moment). SQLite counts from its expression indexes and has no such columns. Derived
//! data: left out of backups, registered again and filled at start.
use super::{get, plain, Dialect, Result, Store};
use sea_orm::{DatabaseTransaction, Value};

/// How many key columns `records` has (`key1`…`key4`).
pub const KEY_SLOTS: usize = 4;

/// Values longer than this (in characters) are left out of the key columns, which keeps every
/// entry under a B-tree entry's size limit; a filter on such a value is counted from the data.
pub const KEY_MAX_CHARS: usize = 512;

/// How many ids one statement of a fill covers: a short statement, so a write to a record in
/// the range waits for it briefly at most.
const FILL_IDS: i64 = 5_000;

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

    /// Makes the app's key columns name `fields` ([`slots`] of them): a column whose field
    /// changes is registered anew, not ready, for [`Store::fill_keys`] to fill once the caller's
    /// transaction (which holds the app's lock exclusively) has committed; a column no longer
    /// used is unregistered (its values stay until each record's next write empties them, and
    /// no count reads them). Returns how many columns were registered. Nothing to do on SQLite.
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
        let want = wanted(fields);
        for (slot, field) in &have {
            if !want.contains(&(*slot, field.clone())) {
                self.tx_exec(
                    tx,
                    "DELETE FROM record_key_fields WHERE app_id = ? AND slot = ?",
                    vec![app_id.into(), i16::from(*slot).into()],
                )
                .await?;
            }
        }
        let mut registered = 0;
        for (slot, field) in want.iter().filter(|w| !have.contains(w)) {
            self.tx_exec(
                tx,
                "INSERT INTO record_key_fields (app_id, slot, field, ready) VALUES (?, ?, ?, FALSE)",
                vec![app_id.into(), i16::from(*slot).into(), field.clone().into()],
            )
            .await?;
            registered += 1;
        }
        Ok(registered)
    }

    /// [`Store::tx_sync_keys`] in a transaction of its own, when something is to do (at start-up,
    /// for the apps as published: a restored backup or an upgraded database).
    pub async fn sync_keys(&self, app_id: i64, fields: &[String]) -> Result<usize> {
        if self.dialect != Dialect::Postgres {
            return Ok(0);
        }
        if self.key_fields_in(&self.db, app_id).await? == wanted(fields) {
            return Ok(0);
        }
        let tx = self.begin().await?;
        self.tx_write_first(&tx).await?;
        self.tx_lock_rollups(&tx, app_id, true).await?;
        let registered = self.tx_sync_keys(&tx, app_id, fields).await?;
        tx.commit().await?;
        Ok(registered)
    }

    /// Fills the app's key columns that are registered but not ready: for the records written
    /// before they were registered (every later write keeps them through the trigger), a range of
    /// ids per statement, each committed on its own; then marks each column ready, unless a
    /// publication has named another field for it meanwhile. Safe to run in several processes at
    /// once (each statement sets the values the data gives). Returns how many columns it made
    /// ready. Nothing to do on SQLite.
    pub async fn fill_keys(&self, app_id: i64) -> Result<usize> {
        if self.dialect != Dialect::Postgres {
            return Ok(0);
        }
        let pending = self
            .all(
                "SELECT slot, field FROM record_key_fields WHERE app_id = ? AND NOT ready ORDER BY slot",
                vec![app_id.into()],
            )
            .await?;
        if pending.is_empty() {
            return Ok(0);
        }
        // Every record written after the columns were registered is kept by the trigger; those
        // before have ids up to the largest now.
        let span = self
            .one(
                "SELECT COALESCE(MIN(id), 0) AS low, COALESCE(MAX(id), 0) AS high FROM records WHERE app_id = ?",
                vec![app_id.into()],
            )
            .await?;
        let (low, high): (i64, i64) = match &span {
            Some(r) => (get(r, "low")?, get(r, "high")?),
            None => (0, 0),
        };
        let mut ready = 0;
        for row in &pending {
            let slot = get::<i16>(row, "slot")?;
            let field: String = get(row, "field")?;
            if !plain(&field) || !(1..=KEY_SLOTS as i16).contains(&slot) {
                continue;
            }
            // Each range under the app's lock held shared, as a write holds it, and only while
            // the map still names this field: a publication that gives the column another field
            // (it holds the lock exclusively) comes wholly before or after a range, and a fill
            // of the column's new field started after it overwrites what this one wrote.
            let fill = format!(
                "UPDATE records SET key{slot} = CASE WHEN char_length(data->>'{field}') <= {KEY_MAX_CHARS} THEN data->>'{field}' END \
                 WHERE app_id = ? AND id BETWEEN ? AND ? \
                 AND EXISTS (SELECT 1 FROM record_key_fields WHERE app_id = ? AND slot = ? AND field = ?)"
            );
            let mut from = low;
            while from <= high {
                let to = from.saturating_add(FILL_IDS - 1);
                let tx = self.begin().await?;
                self.tx_lock_rollups(&tx, app_id, false).await?;
                self.tx_exec(
                    &tx,
                    &fill,
                    vec![
                        app_id.into(),
                        from.into(),
                        to.into(),
                        app_id.into(),
                        slot.into(),
                        field.clone().into(),
                    ],
                )
                .await?;
                tx.commit().await?;
                from = to.saturating_add(1);
            }
            ready += self
                .exec(
                    "UPDATE record_key_fields SET ready = TRUE WHERE app_id = ? AND slot = ? AND field = ?",
                    vec![app_id.into(), slot.into(), field.into()],
                )
                .await? as usize;
        }
        Ok(ready)
    }
}

impl Store {
    /// [`Store::fill_keys`] on a task of its own, when the database is PostgreSQL: a column is
    /// filled while the server serves, and counts read the data until it is ready. A failure is
    /// logged; the next start fills what is left.
    pub fn fill_keys_in_background(&self, app_id: i64) {
        if self.dialect != Dialect::Postgres {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            match store.fill_keys(app_id).await {
                Ok(0) => {}
                Ok(ready) => tracing::info!(
                    app_id,
                    ready,
                    ms = started.elapsed().as_millis() as u64,
                    "filled key columns"
                ),
                Err(e) => tracing::warn!(app_id, "key columns not filled: {e}"),
            }
        });
    }
}

/// The (slot, field) pairs the map should hold for `fields`.
fn wanted(fields: &[String]) -> Vec<(u8, String)> {
    slots(fields)
        .into_iter()
        .filter(|(f, _)| plain(f))
        .map(|(f, s)| (s, f))
        .collect()
}

/// A count's test that the database's key columns hold the fields it names, filled: `(slot,
/// field)` pairs, all of which must be registered and ready for the app. The SQL and its values.
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
        "(SELECT COUNT(*) FROM record_key_fields WHERE app_id = ? AND ready AND ({})) = {}",
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
            "(SELECT COUNT(*) FROM record_key_fields WHERE app_id = ? AND ready AND ((slot = ? AND field = ?) OR (slot = ? AND field = ?))) = 2"
        );
        assert_eq!(values.len(), 5);
    }
}
