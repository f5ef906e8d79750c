//! Every table in a portable form, for `formwork backup` and `formwork restore`: read in one
//! consistent snapshot (a PostgreSQL repeatable-read, read-only transaction; on SQLite one read
//! transaction, which WAL keeps at its starting point while writers go on), one JSON object per
//! row with values in a form both databases read back (integers, booleans, RFC 3339 times,
//! JSON), and loaded in one transaction, parents before children.
use super::{get, Dialect, Result, Store, StoreError};
use futures_util::TryStreamExt;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{AccessMode, ConnectionTrait, IsolationLevel, StreamTrait, TransactionTrait, Value};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use std::collections::BTreeSet;

/// How a column's values are written in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Int,
    Bool,
    /// RFC 3339, UTC.
    Time,
    /// A JSON value (the records' `data`).
    Json,
    Text,
}

impl Kind {
    /// From the declared type (SQLite's `pragma_table_info`, PostgreSQL's `data_type`).
    fn of(declared: &str) -> Kind {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") {
            Kind::Int
        } else if t.contains("bool") {
            Kind::Bool
        } else if t.contains("timestamp") {
            Kind::Time
        } else if t.contains("json") {
            Kind::Json
        } else {
            Kind::Text
        }
    }
}

/// A column of a dumped table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

/// A table as written in a backup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpedTable {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: u64,
}

/// What a snapshot held besides the rows themselves.
#[derive(Debug, Clone)]
pub struct Dump {
    /// Applied schema migrations, oldest first.
    pub migrations: Vec<String>,
    /// Tables in load order (a table after those it refers to).
    pub tables: Vec<DumpedTable>,
    /// Every blob the snapshot's attachments refer to.
    pub files: BTreeSet<String>,
}

/// Why a backup could not be written or restored.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the database is not empty ({table} has {rows} rows): a backup is restored only into an empty database")]
    NotEmpty { table: String, rows: u64 },
    #[error("{0}")]
    Incompatible(String),
}

impl From<sea_orm::DbErr> for BackupError {
    fn from(e: sea_orm::DbErr) -> Self {
        BackupError::Store(e.into())
    }
}

/// Names from the database's own catalog still go into SQL only as plain identifiers.
fn ident(name: &str) -> std::result::Result<String, BackupError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(format!("\"{name}\""))
    } else {
        Err(BackupError::Incompatible(format!(
            "unexpected name `{name}` in the schema"
        )))
    }
}

impl Store {
    /// Tables (without the migrations table), their columns, and parents before children.
    async fn tables<C: ConnectionTrait>(&self, c: &C) -> Result<Vec<(String, Vec<Column>)>> {
        let (list, cols, parents) = match self.dialect {
            Dialect::Sqlite => (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations' ORDER BY name",
                "SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
                "SELECT \"table\" AS name FROM pragma_foreign_key_list(?)",
            ),
            Dialect::Postgres => (
                "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'seaql_migrations' ORDER BY table_name",
                "SELECT column_name::text AS name, data_type::text AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
                "SELECT ccu.table_name::text AS name FROM information_schema.table_constraints tc JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() AND tc.table_name = ?",
            ),
        };
        let mut found = Vec::new();
        for r in c.query_all(self.stmt(list, vec![])).await? {
            let name: String = get(&r, "name")?;
            // Summary rollups are derived from the records and rebuilt when the server starts.
            // So are the substring index (its FTS5 table's shadow tables too) and the line index.
            if super::rollups::DERIVED_TABLES.contains(&name.as_str())
                || super::texts::is_derived_table(&name)
                || super::line_index::is_derived_table(&name)
                || super::keys::is_derived_table(&name)
            {
                continue;
            }
            let mut columns = Vec::new();
            for col in c
                .query_all(self.stmt(cols, vec![name.clone().into()]))
                .await?
            {
                let declared: String = get(&col, "type")?;
                let column: String = get(&col, "name")?;
                // Key columns are derived from the records, filled again at start.
                if super::keys::is_derived_column(&name, &column) {
                    continue;
                }
                columns.push(Column {
                    name: column,
                    kind: Kind::of(&declared),
                });
            }
            let mut refs = BTreeSet::new();
            for p in c
                .query_all(self.stmt(parents, vec![name.clone().into()]))
                .await?
            {
                let parent: String = get(&p, "name")?;
                if parent != name {
                    refs.insert(parent);
                }
            }
            found.push((name, columns, refs));
        }
        // Parents first: take every table whose parents are all taken, until none is left (a
        // cycle, which the schema does not have, would keep its tables in name order).
        let mut ordered: Vec<(String, Vec<Column>)> = Vec::new();
        while !found.is_empty() {
            let taken: BTreeSet<String> = ordered.iter().map(|(n, _)| n.clone()).collect();
            let ready = found
                .iter()
                .position(|(_, _, refs)| refs.iter().all(|p| taken.contains(p)))
                .unwrap_or(0);
            let (n, c, _) = found.remove(ready);
            ordered.push((n, c));
        }
        Ok(ordered)
    }

    /// Names of the applied schema migrations, oldest first.
    async fn applied_migrations<C: ConnectionTrait>(&self, c: &C) -> Result<Vec<String>> {
        let rows = c
            .query_all(self.stmt(
                "SELECT version FROM seaql_migrations ORDER BY version",
                vec![],
            ))
            .await?;
        rows.iter().map(|r| get(r, "version")).collect()
    }

    /// Reads every table in one snapshot, handing each row to `row` (table name, row) in load
    /// order; the site goes on serving meanwhile.
    pub async fn dump<F>(&self, mut row: F) -> std::result::Result<Dump, BackupError>
    where
        F: FnMut(&str, &Map<String, serde_json::Value>) -> std::io::Result<()>,
    {
        let tx = match self.dialect {
            Dialect::Postgres => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await?
            }
            Dialect::Sqlite => self.db.begin().await?,
        };
        // SQLite fixes a read transaction's snapshot at its first read: this one.
        let migrations = self.applied_migrations(&tx).await?;
        let mut tables = Vec::new();
        let mut files = BTreeSet::new();
        for (name, columns) in self.tables(&tx).await? {
            let select = columns
                .iter()
                .map(|c| {
                    let q = ident(&c.name)?;
                    // PostgreSQL's `integer` columns are read as the 64-bit integers they hold.
                    Ok(match (self.dialect, c.kind) {
                        (Dialect::Postgres, Kind::Int) => format!("{q}::bigint AS {q}"),
                        _ => q,
                    })
                })
                .collect::<std::result::Result<Vec<_>, BackupError>>()?
                .join(", ");
            let sql = format!("SELECT {select} FROM {} ORDER BY 1", ident(&name)?);
            let mut stream = tx.stream(self.stmt(&sql, vec![])).await?;
            let mut count = 0u64;
            while let Some(r) = stream.try_next().await? {
                let mut obj = Map::new();
                for c in &columns {
                    obj.insert(c.name.clone(), self.read_value(&r, c)?);
                }
                if name == "attachments" {
                    if let Some(s) = obj.get("sha256").and_then(|v| v.as_str()) {
                        files.insert(s.to_string());
                    }
                    if let Some(m) = obj.get("meta").and_then(|v| v.as_str()) {
                        files.extend(super::blob_refs::derivative_blobs(m));
                    }
                }
                row(&name, &obj)?;
                count += 1;
            }
            drop(stream);
            tables.push(DumpedTable {
                name,
                columns,
                rows: count,
            });
        }
        tx.rollback().await?;
        Ok(Dump {
            migrations,
            tables,
            files,
        })
    }

    fn read_value(&self, r: &sea_orm::QueryResult, c: &Column) -> Result<serde_json::Value> {
        use serde_json::Value as J;
        let col = c.name.as_str();
        Ok(match c.kind {
            Kind::Int => get::<Option<i64>>(r, col)?.map_or(J::Null, J::from),
            Kind::Bool => get::<Option<bool>>(r, col)?.map_or(J::Null, J::from),
            Kind::Time => get::<Option<chrono::DateTime<chrono::Utc>>>(r, col)?
                .map_or(J::Null, |t| J::from(t.to_rfc3339())),
            Kind::Json => match self.dialect {
                Dialect::Postgres => get::<Option<J>>(r, col)?.unwrap_or(J::Null),
                Dialect::Sqlite => match get::<Option<String>>(r, col)? {
                    None => J::Null,
                    Some(s) => serde_json::from_str(&s).map_err(|e| {
                        StoreError::Db(sea_orm::DbErr::Custom(format!(
                            "{col} holds text that is not JSON: {e}"
                        )))
                    })?,
                },
            },
            Kind::Text => get::<Option<String>>(r, col)?.map_or(J::Null, J::from),
        })
    }

    /// Prepares this database for a restore of a backup made at schema `migrations`: brings
    /// the schema to that point (a backup from an older Formwork is migrated after loading)
    /// and refuses a database that holds any row.
    pub async fn prepare_restore(
        url: &str,
        migrations: &[String],
    ) -> std::result::Result<Store, BackupError> {
        let known: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        if migrations.len() > known.len() || known[..migrations.len()] != *migrations {
            return Err(BackupError::Incompatible(format!(
                "the backup's schema ({}) is not one this Formwork knows (latest: {}); restore it with the Formwork version that wrote it",
                migrations.last().map_or("none", String::as_str),
                known.last().map_or("none", String::as_str),
            )));
        }
        let store = Store::open_unmigrated(url, &super::StoreOptions::default()).await?;
        let applied = Migrator::get_applied_migrations(&store.db).await?.len();
        if applied > migrations.len() {
            // Rows of an older schema loaded into a newer one would miss what the migrations in
            // between do to existing rows.
            return Err(BackupError::Incompatible(format!(
                "this database's schema ({}) is newer than the backup's ({}): restore into a new database, before any server or `formwork migrate` sets it up",
                known[applied - 1],
                migrations.last().map_or("none", String::as_str),
            )));
        }
        if applied < migrations.len() {
            Migrator::up(&store.db, Some((migrations.len() - applied) as u32)).await?;
        }
        for (name, _) in store.tables(&store.db).await? {
            let sql = format!("SELECT COUNT(*) AS n FROM {}", ident(&name)?);
            let n: i64 = store
                .one(&sql, vec![])
                .await?
                .map(|r| get(&r, "n"))
                .transpose()?
                .unwrap_or(0);
            if n > 0 {
                return Err(BackupError::NotEmpty {
                    table: name,
                    rows: n as u64,
                });
            }
        }
        Ok(store)
    }

    /// Starts loading rows: one transaction for the whole restore.
    pub async fn begin_restore(&self) -> Result<Restore> {
        let tx = self.begin().await?;
        if self.dialect == Dialect::Sqlite {
            // Foreign keys are checked at commit, when every table is in.
            self.tx_exec(&tx, "PRAGMA defer_foreign_keys = ON", vec![])
                .await?;
        }
        Ok(Restore {
            store: self.clone(),
            tx,
        })
    }
}

/// A restore in progress (see [`Store::begin_restore`]).
pub struct Restore {
    store: Store,
    tx: super::WriteTx,
}

impl Restore {
    /// Inserts rows of one table, as a backup wrote them.
    pub async fn insert(
        &self,
        table: &str,
        columns: &[Column],
        rows: &[Map<String, serde_json::Value>],
    ) -> std::result::Result<(), BackupError> {
        if rows.is_empty() || columns.is_empty() {
            return Ok(());
        }
        let names = columns
            .iter()
            .map(|c| ident(&c.name))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let one = format!("({})", vec!["?"; columns.len()].join(", "));
        // Well under both databases' limits on bound parameters per statement.
        let per_statement = (30_000 / columns.len()).clamp(1, 500);
        for chunk in rows.chunks(per_statement) {
            let mut values = Vec::with_capacity(chunk.len() * columns.len());
            for r in chunk {
                for c in columns {
                    values.push(bind(table, c, r.get(&c.name))?);
                }
            }
            let sql = format!(
                "INSERT INTO {} ({}) VALUES {}",
                ident(table)?,
                names.join(", "),
                vec![one.as_str(); chunk.len()].join(", ")
            );
            self.store.tx_exec(&self.tx, &sql, values).await?;
        }
        Ok(())
    }

    /// Commits; on PostgreSQL the id sequences are moved past the restored ids first.
    pub async fn finish(self, tables: &[DumpedTable]) -> std::result::Result<(), BackupError> {
        if self.store.dialect == Dialect::Postgres {
            for t in tables {
                if !t
                    .columns
                    .iter()
                    .any(|c| c.name == "id" && c.kind == Kind::Int)
                {
                    continue;
                }
                let q = ident(&t.name)?;
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{q}', 'id'), MAX(id)) FROM {q} HAVING MAX(id) IS NOT NULL AND pg_get_serial_sequence('{q}', 'id') IS NOT NULL"
                );
                self.store.tx_exec(&self.tx, &sql, vec![]).await?;
            }
        }
        self.tx.commit().await?;
        // A backup from an older schema is brought up to date now that its rows are in.
        Migrator::up(&self.store.db, None).await?;
        Ok(())
    }
}

/// A backup value as a bound parameter of the column's kind.
fn bind(
    table: &str,
    c: &Column,
    v: Option<&serde_json::Value>,
) -> std::result::Result<Value, BackupError> {
    let bad = || {
        BackupError::Incompatible(format!(
            "{table}.{}: a value that is not {:?}",
            c.name, c.kind
        ))
    };
    let v = v.filter(|v| !v.is_null());
    Ok(match c.kind {
        Kind::Int => v.map(|v| v.as_i64().ok_or_else(bad)).transpose()?.into(),
        Kind::Bool => v.map(|v| v.as_bool().ok_or_else(bad)).transpose()?.into(),
        Kind::Time => v
            .map(|v| {
                v.as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .ok_or_else(bad)
            })
            .transpose()?
            .into(),
        Kind::Json => v.cloned().into(),
        Kind::Text => v
            .map(|v| v.as_str().map(String::from).ok_or_else(bad))
            .transpose()?
            .into(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_of_both_databases_map_to_the_same_kinds() {
        for (sqlite, postgres, kind) in [
            ("INTEGER", "bigint", Kind::Int),
            ("bigint", "integer", Kind::Int),
            ("boolean", "boolean", Kind::Bool),
            (
                "timestamp_with_timezone_text",
                "timestamp with time zone",
                Kind::Time,
            ),
            ("jsonb_text", "jsonb", Kind::Json),
            ("varchar(64)", "character varying", Kind::Text),
            ("TEXT", "text", Kind::Text),
        ] {
            assert_eq!(Kind::of(sqlite), kind, "{sqlite}");
            assert_eq!(Kind::of(postgres), kind, "{postgres}");
        }
    }

    #[test]
    fn values_of_the_wrong_kind_are_refused_not_coerced() {
        let col = |kind| Column {
            name: "c".into(),
            kind,
        };
        let v = serde_json::json!("12");
        assert!(bind("t", &col(Kind::Int), Some(&v)).is_err());
        assert!(bind("t", &col(Kind::Time), Some(&v)).is_err());
        assert!(bind("t", &col(Kind::Text), Some(&serde_json::json!(1))).is_err());
        let t = serde_json::json!("2026-11-30T17:07:37.943575+00:00");
        assert!(bind("t", &col(Kind::Time), Some(&t)).is_ok());
        assert!(bind("t", &col(Kind::Int), None).is_ok(), "null stays null");
        assert!(ident("users; DROP TABLE users").is_err());
    }
}
