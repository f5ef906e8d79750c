//! The substring index: for each app field a view filters with `contains`, the field's distinct
//! text values, kept by triggers on `records` in every write's own transaction and searched by
//! trigram (SQLite FTS5 `trigram`; PostgreSQL `pg_trgm`, whose GIN index is created at publish
//! when the extension is available). See `server/src/store/texts.rs`. Derived data: left out of
//! backups and rebuilt from the records.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE text_index_fields (\
       app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, \
       field TEXT NOT NULL, \
       PRIMARY KEY (app_id, field))",
    "CREATE TABLE record_texts (\
       id INTEGER PRIMARY KEY AUTOINCREMENT, \
       app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, \
       field TEXT NOT NULL, \
       value TEXT NOT NULL, \
       UNIQUE (app_id, field, value))",
    // External content: the trigram index holds no second copy of the values.
    "CREATE VIRTUAL TABLE record_texts_fts USING fts5(value, content='record_texts', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER record_texts_added AFTER INSERT ON record_texts BEGIN \
       INSERT INTO record_texts_fts (rowid, value) VALUES (NEW.id, NEW.value); END",
    "CREATE TRIGGER record_texts_removed AFTER DELETE ON record_texts BEGIN \
       INSERT INTO record_texts_fts (record_texts_fts, rowid, value) VALUES ('delete', OLD.id, OLD.value); END",
    // Field names are identifiers (`[a-z][a-z0-9_]*`), so `$.` || field is a plain path.
    "CREATE TRIGGER records_texts_inserted AFTER INSERT ON records BEGIN \
       INSERT OR IGNORE INTO record_texts (app_id, field, value) \
       SELECT NEW.app_id, f.field, json_extract(NEW.data, '$.' || f.field) FROM text_index_fields f \
       WHERE f.app_id = NEW.app_id AND json_type(NEW.data, '$.' || f.field) = 'text'; END",
    "CREATE TRIGGER records_texts_updated AFTER UPDATE OF data ON records BEGIN \
       INSERT OR IGNORE INTO record_texts (app_id, field, value) \
       SELECT NEW.app_id, f.field, json_extract(NEW.data, '$.' || f.field) FROM text_index_fields f \
       WHERE f.app_id = NEW.app_id AND json_type(NEW.data, '$.' || f.field) = 'text'; END",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE text_index_fields (\
       app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, \
       field TEXT NOT NULL, \
       PRIMARY KEY (app_id, field))",
    "CREATE TABLE record_texts (\
       id BIGSERIAL PRIMARY KEY, \
       app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, \
       field TEXT NOT NULL, \
       value TEXT NOT NULL)",
    // By hash: a long text value would pass a B-tree entry's size limit.
    "CREATE UNIQUE INDEX record_texts_key ON record_texts (app_id, field, md5(value))",
    "CREATE FUNCTION record_texts_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       INSERT INTO record_texts (app_id, field, value) \
       SELECT NEW.app_id, f.field, NEW.data->>f.field FROM text_index_fields f \
       WHERE f.app_id = NEW.app_id AND jsonb_typeof(NEW.data->f.field) = 'string' \
       ON CONFLICT (app_id, field, md5(value)) DO NOTHING; \
       RETURN NULL; END $$",
    "CREATE TRIGGER records_texts AFTER INSERT OR UPDATE OF data ON records \
       FOR EACH ROW EXECUTE FUNCTION record_texts_keep()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let statements = match m.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        let c = m.get_connection();
        for s in statements {
            c.execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let pg = m.get_database_backend() == DatabaseBackend::Postgres;
        let c = m.get_connection();
        if pg {
            c.execute_unprepared("DROP TRIGGER records_texts ON records")
                .await?;
            c.execute_unprepared("DROP FUNCTION record_texts_keep()")
                .await?;
        } else {
            for t in ["records_texts_inserted", "records_texts_updated"] {
                c.execute_unprepared(&format!("DROP TRIGGER {t}")).await?;
            }
            c.execute_unprepared("DROP TABLE record_texts_fts").await?;
        }
        c.execute_unprepared("DROP TABLE record_texts").await?;
        c.execute_unprepared("DROP TABLE text_index_fields").await?;
        Ok(())
    }
}
