//! The line index on SQLite: for each line column an app's views filter on ("has a line whose
//! category is Lodging"), the values its records' lines hold, one row per value and record, kept
//! by triggers on `records` in every write's own transaction. It turns that filter from a walk
//! over every record's lines (`json_each`) into a range of one index. PostgreSQL answers the same
//! filter from a GIN index over the lines (`jsonb_path_ops`, created at publish) and gets no
//! tables here. See `server/src/store/line_index.rs`. Derived data: left out of backups and
//! rebuilt from the records.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The rows one record's lines give: for each registered column of its app, each line's non-null
/// value. `$.` || name is a plain path: field and column names are identifiers (`[a-z][a-z0-9_]*`).
macro_rules! line_values {
    ($rec:literal) => {
        concat!(
            "INSERT OR IGNORE INTO record_line_values (app_id, field, col, value, record_id) \
             SELECT ",
            $rec,
            ".app_id, f.field, f.col, json_extract(l.value, '$.' || f.col), ",
            $rec,
            ".id \
             FROM line_index_columns f, json_each(",
            $rec,
            ".data, '$.' || f.field) l \
             WHERE f.app_id = ",
            $rec,
            ".app_id AND json_type(",
            $rec,
            ".data, '$.' || f.field) = 'array' \
             AND json_extract(l.value, '$.' || f.col) IS NOT NULL;"
        )
    };
}

const SQLITE: &[&str] = &[
    "CREATE TABLE line_index_columns (\
       app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, \
       field TEXT NOT NULL, \
       col TEXT NOT NULL, \
       PRIMARY KEY (app_id, field, col))",
    // `value` has no declared type, so it keeps what `json_extract` gives (text, integer, real)
    // and compares with the filter's value exactly as the scan over `json_each` does.
    "CREATE TABLE record_line_values (\
       app_id INTEGER NOT NULL, \
       field TEXT NOT NULL, \
       col TEXT NOT NULL, \
       value NOT NULL, \
       record_id INTEGER NOT NULL, \
       PRIMARY KEY (app_id, field, col, value, record_id)) WITHOUT ROWID",
    "CREATE INDEX record_line_values_record ON record_line_values (record_id)",
    concat!(
        "CREATE TRIGGER records_lines_inserted AFTER INSERT ON records \
         WHEN EXISTS (SELECT 1 FROM line_index_columns WHERE app_id = NEW.app_id) BEGIN ",
        line_values!("NEW"),
        " END"
    ),
    concat!(
        "CREATE TRIGGER records_lines_updated AFTER UPDATE OF data ON records \
         WHEN EXISTS (SELECT 1 FROM line_index_columns WHERE app_id = NEW.app_id) BEGIN \
         DELETE FROM record_line_values WHERE record_id = OLD.id; ",
        line_values!("NEW"),
        " END"
    ),
    "CREATE TRIGGER records_lines_deleted AFTER DELETE ON records \
     WHEN EXISTS (SELECT 1 FROM line_index_columns WHERE app_id = OLD.app_id) BEGIN \
     DELETE FROM record_line_values WHERE record_id = OLD.id; END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        let c = m.get_connection();
        for s in SQLITE {
            c.execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DatabaseBackend::Postgres {
            return Ok(());
        }
        let c = m.get_connection();
        for t in [
            "records_lines_inserted",
            "records_lines_updated",
            "records_lines_deleted",
        ] {
            c.execute_unprepared(&format!("DROP TRIGGER {t}")).await?;
        }
        c.execute_unprepared("DROP TABLE record_line_values")
            .await?;
        c.execute_unprepared("DROP TABLE line_index_columns")
            .await?;
        Ok(())
    }
}
