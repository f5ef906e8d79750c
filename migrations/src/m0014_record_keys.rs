//! Key columns on PostgreSQL: up to four of an app's text fields its views filter on by equality
//! (or with `contains`, answered as "one of these values"), copied from each record's data into
//! plain columns `key1`…`key4` by a trigger in every write's own transaction, with an index per
//! column that holds the owner too. PostgreSQL cannot count from an expression index alone (its
//! planner needs the `data` column for an index-only scan), so a view's bounded count read one
//! table row per match; from these indexes it reads none. Which field a column holds, per app,
//! is `record_key_fields`, set at publish: the trigger keeps every column the map names, and a
//! count reads one only once it is `ready` (filled for the records written before). A value longer than 512 characters is left out (its
//! column stays empty), so no index entry passes a B-tree entry's size limit; a filter on such a
//! value is counted from the data. SQLite counts from its expression indexes and gets nothing
//! here. See `server/src/store/keys.rs`. Derived data: left out of backups and rebuilt from the
//! records.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES: &[&str] = &[
    "ALTER TABLE records ADD COLUMN key1 TEXT, ADD COLUMN key2 TEXT, ADD COLUMN key3 TEXT, \
       ADD COLUMN key4 TEXT",
    "CREATE TABLE record_key_fields (\
       app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, \
       slot SMALLINT NOT NULL CHECK (slot BETWEEN 1 AND 4), \
       field TEXT NOT NULL, \
       ready BOOLEAN NOT NULL DEFAULT FALSE, \
       PRIMARY KEY (app_id, slot))",
    "CREATE FUNCTION record_keys_keep() RETURNS trigger LANGUAGE plpgsql AS $$ \
       DECLARE f record; v text; BEGIN \
       NEW.key1 := NULL; NEW.key2 := NULL; NEW.key3 := NULL; NEW.key4 := NULL; \
       FOR f IN SELECT k.slot, k.field FROM record_key_fields k WHERE k.app_id = NEW.app_id LOOP \
         v := NEW.data->>f.field; \
         IF char_length(v) > 512 THEN v := NULL; END IF; \
         CASE f.slot \
           WHEN 1 THEN NEW.key1 := v; WHEN 2 THEN NEW.key2 := v; \
           WHEN 3 THEN NEW.key3 := v; ELSE NEW.key4 := v; \
         END CASE; \
       END LOOP; \
       RETURN NEW; END $$",
    "CREATE TRIGGER records_keys BEFORE INSERT OR UPDATE OF data ON records \
       FOR EACH ROW EXECUTE FUNCTION record_keys_keep()",
    "CREATE INDEX records_key1 ON records (app_id, key1, owner_id) WHERE key1 IS NOT NULL",
    "CREATE INDEX records_key2 ON records (app_id, key2, owner_id) WHERE key2 IS NOT NULL",
    "CREATE INDEX records_key3 ON records (app_id, key3, owner_id) WHERE key3 IS NOT NULL",
    "CREATE INDEX records_key4 ON records (app_id, key4, owner_id) WHERE key4 IS NOT NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let c = m.get_connection();
        for s in POSTGRES {
            c.execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let c = m.get_connection();
        for s in [
            "DROP TRIGGER records_keys ON records",
            "DROP FUNCTION record_keys_keep()",
            "DROP TABLE record_key_fields",
            "ALTER TABLE records DROP COLUMN key1, DROP COLUMN key2, DROP COLUMN key3, \
               DROP COLUMN key4",
        ] {
            c.execute_unprepared(s).await?;
        }
        Ok(())
    }
}
