//! The line index behind "has a line whose column equals" filters on SQLite: for each line column
//! an app's views filter on (`line_index_columns`), the values its records' lines hold
//! (`record_line_values`, one row per value and record), kept by triggers on `records`
//! (migration m0013) in every write's own transaction, whichever process or path writes. A filter
//! then reads one range of that table's primary key instead of walking every record's lines.
//! Publishing registers the columns its views need and fills them from the records in the
//! publication's transaction; a column stays registered while the definition still has it as a
//! filterable column, so a process serving the previous definition for a moment reads complete
//! values. PostgreSQL answers the same filters from a GIN index over the lines and keeps nothing
//! here. Derived data: left out of backups, rebuilt at start.
use super::ahead::{Probe, Reads};
use super::query::{Predicate, PredicateOp};
use super::{get, plain, Dialect, Result, Store};
use sea_orm::{DatabaseTransaction, Value};

/// Tables a backup leaves out: derived from the records and published definitions, and built
/// again when the server starts.
pub fn is_derived_table(name: &str) -> bool {
    name == "line_index_columns" || name == "record_line_values"
}

/// `<lines>.<column>` as its two names, when both are plain.
fn parts(path: &str) -> Option<(&str, &str)> {
    path.split_once('.').filter(|(f, c)| plain(f) && plain(c))
}

/// Whether a `HasLine` is answered from the line index (SQLite, a registered column).
pub(super) fn uses_line_index(d: Dialect, p: &Predicate) -> bool {
    d == Dialect::Sqlite
        && p.op == PredicateOp::HasLine
        && p.indexed
        && p.via.is_none()
        && parts(&p.field).is_some()
}

/// How many records may hold a value before a filter on it is tested record by record
/// ([`Ahead::Common`](super::query::Ahead::Common)) rather than answered with the list of those records: below it the list is
/// short and the page reads just those records; above it the page walks its own order (and the
/// count ahead at most `COUNT_AHEAD` matches past it), finding a match every few records.
pub(super) const COMMON_VALUE_RECORDS: usize = 2_000;

/// "Some line of the record holds the value in the column", from the line index. For a value
/// `common` (many records hold it) a probe of the index's primary key per record walked;
/// otherwise the records that hold it, one range of that key.
pub(super) fn has_line_sql(
    app_id: i64,
    p: &Predicate,
    common: bool,
    values: &mut Vec<Value>,
) -> Option<String> {
    let (field, col) = parts(&p.field)?;
    values.push(app_id.into());
    values.push(field.to_string().into());
    values.push(col.to_string().into());
    values.push(p.value.clone().into());
    let rows = "FROM record_line_values WHERE app_id = ? AND field = ? AND col = ? AND value = json_extract(?, '$')";
    Some(if common {
        format!("EXISTS (SELECT 1 {rows} AND record_id = records.id)")
    } else {
        format!("id IN (SELECT record_id {rows})")
    })
}

/// The probe of a line-index predicate: whether many records hold the value (more than
/// [`COMMON_VALUE_RECORDS`]), counted in the index's primary key and never past that.
pub(super) fn line_value_probe(app_id: i64, p: &Predicate) -> Option<Probe> {
    let (field, col) = parts(&p.field)?;
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM record_line_values WHERE app_id = ? AND field = ? AND col = ? AND value = json_extract(?, '$') LIMIT {}) AS holding",
        COMMON_VALUE_RECORDS + 1
    );
    let values = vec![
        app_id.into(),
        field.to_string().into(),
        col.to_string().into(),
        p.value.clone().into(),
    ];
    Some(Probe {
        sql,
        values,
        reads: Reads::CommonAbove(COMMON_VALUE_RECORDS as i64),
    })
}

impl Store {
    async fn tx_line_columns(&self, tx: &DatabaseTransaction, app_id: i64) -> Result<Vec<String>> {
        use sea_orm::ConnectionTrait;
        let rows = tx
            .query_all(self.stmt(
                "SELECT field, col FROM line_index_columns WHERE app_id = ? ORDER BY field, col",
                vec![app_id.into()],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok(format!(
                    "{}.{}",
                    get::<String>(r, "field")?,
                    get::<String>(r, "col")?
                ))
            })
            .collect()
    }

    /// Makes the line index hold `wanted` (the line columns the app's views filter on, as
    /// `lines.column`): each new one is registered and filled from the records. One stays
    /// registered while it is one of `kept` (the definition's filterable line columns); one the
    /// definition no longer has (removed, renamed, retyped) is dropped with its values. Inside the
    /// caller's transaction (the publication's). Returns how many columns were filled. Nothing
    /// to do on PostgreSQL.
    pub(super) async fn tx_sync_line_index(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        wanted: &[String],
        kept: &[String],
    ) -> Result<usize> {
        if self.dialect != Dialect::Sqlite {
            return Ok(0);
        }
        let have = self.tx_line_columns(tx, app_id).await?;
        for path in have.iter().filter(|p| !kept.contains(p)) {
            let Some((field, col)) = path.split_once('.') else {
                continue;
            };
            for table in ["record_line_values", "line_index_columns"] {
                self.tx_exec(
                    tx,
                    &format!("DELETE FROM {table} WHERE app_id = ? AND field = ? AND col = ?"),
                    vec![
                        app_id.into(),
                        field.to_string().into(),
                        col.to_string().into(),
                    ],
                )
                .await?;
            }
        }
        let mut filled = 0;
        for path in wanted
            .iter()
            .filter(|p| !have.contains(p) && kept.contains(p))
        {
            let Some((field, col)) = parts(path) else {
                continue;
            };
            let names = vec![
                app_id.into(),
                field.to_string().into(),
                col.to_string().into(),
            ];
            self.tx_exec(
                tx,
                "INSERT INTO line_index_columns (app_id, field, col) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                names.clone(),
            )
            .await?;
            self.tx_exec(
                tx,
                &format!(
                    "INSERT OR IGNORE INTO record_line_values (app_id, field, col, value, record_id) \
                     SELECT r.app_id, ?, ?, json_extract(l.value, '$.{col}'), r.id \
                     FROM records r, json_each(r.data, '$.{field}') l \
                     WHERE r.app_id = ? AND json_type(r.data, '$.{field}') = 'array' \
                     AND json_extract(l.value, '$.{col}') IS NOT NULL"
                ),
                vec![field.to_string().into(), col.to_string().into(), app_id.into()],
            )
            .await?;
            filled += 1;
        }
        Ok(filled)
    }

    /// [`Store::tx_sync_line_index`] in a transaction of its own, when something is to do (at
    /// start-up, for the apps as published: a restored backup or an upgraded database).
    pub async fn sync_line_index(
        &self,
        app_id: i64,
        wanted: &[String],
        kept: &[String],
    ) -> Result<usize> {
        if self.dialect != Dialect::Sqlite {
            return Ok(0);
        }
        let tx = self.begin().await?;
        let have = self.tx_line_columns(&tx, app_id).await?;
        let missing = wanted.iter().any(|p| !have.contains(p) && kept.contains(p));
        let stale = have.iter().any(|p| !kept.contains(p));
        if !missing && !stale {
            return Ok(0);
        }
        self.tx_write_first(&tx).await?;
        let filled = self.tx_sync_line_index(&tx, app_id, wanted, kept).await?;
        tx.commit().await?;
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ValueKind;

    fn has_line(field: &str, indexed: bool) -> Predicate {
        Predicate {
            field: field.into(),
            kind: ValueKind::Text,
            op: PredicateOp::HasLine,
            value: "\"Lodging\"".into(),
            via: None,
            indexed,
            key: None,
        }
    }

    #[test]
    fn only_registered_plain_paths_on_sqlite_use_the_index() {
        assert!(uses_line_index(
            Dialect::Sqlite,
            &has_line("items.category", true)
        ));
        assert!(!uses_line_index(
            Dialect::Sqlite,
            &has_line("items.category", false)
        ));
        assert!(!uses_line_index(
            Dialect::Postgres,
            &has_line("items.category", true)
        ));
        for odd in [
            "items",
            "items.Category",
            "items.cat'egory",
            ".category",
            "items.",
        ] {
            assert!(
                !uses_line_index(Dialect::Sqlite, &has_line(odd, true)),
                "{odd}"
            );
        }
    }

    #[test]
    fn a_rare_value_reads_one_range_of_the_index_and_a_common_one_probes_it_per_record() {
        let mut values = Vec::new();
        let sql = has_line_sql(7, &has_line("items.category", true), false, &mut values);
        assert!(
            sql.is_some_and(|s| s.starts_with("id IN (SELECT record_id FROM record_line_values"))
        );
        assert_eq!(values.len(), 4);
        let mut values = Vec::new();
        let sql = has_line_sql(7, &has_line("items.category", true), true, &mut values);
        assert!(sql.is_some_and(
            |s| s.starts_with("EXISTS (SELECT 1 FROM record_line_values")
                && s.ends_with("AND record_id = records.id)")
        ));
        assert_eq!(values.len(), 4);
    }

    #[test]
    fn the_index_tables_are_derived_and_others_are_not() {
        assert!(is_derived_table("line_index_columns"));
        assert!(is_derived_table("record_line_values"));
        assert!(!is_derived_table("records"));
    }
}
