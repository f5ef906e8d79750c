//! Summary rollups: per view summary, per record owner and per group, how many records and the
//! sum of the summed field, kept up to date by every write in the write's own transaction (see
//! `server/src/store/rollups.rs`). Derived data: left out of backups and rebuilt from the records.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let pg = m.get_database_backend() == DatabaseBackend::Postgres;
        let (id, total) = if pg {
            ("BIGSERIAL PRIMARY KEY", "NUMERIC NOT NULL DEFAULT 0")
        } else {
            // SQLite keeps the sum as an integer count of millionths: exact under any number
            // of additions and subtractions, where a float would drift.
            (
                "INTEGER PRIMARY KEY AUTOINCREMENT",
                "INTEGER NOT NULL DEFAULT 0",
            )
        };
        let c = m.get_connection();
        c.execute_unprepared(&format!(
            "CREATE TABLE summary_rollups (\
               id {id}, \
               app_id BIGINT NOT NULL REFERENCES apps(id) ON DELETE CASCADE, \
               view TEXT NOT NULL, \
               summary TEXT NOT NULL, \
               spec TEXT NOT NULL)"
        ))
        .await?;
        c.execute_unprepared(
            "CREATE UNIQUE INDEX summary_rollups_app_view_summary ON summary_rollups (app_id, view, summary)",
        )
        .await?;
        c.execute_unprepared(&format!(
            "CREATE TABLE summary_cells (\
               rollup_id BIGINT NOT NULL REFERENCES summary_rollups(id) ON DELETE CASCADE, \
               app_id BIGINT NOT NULL, \
               owner_id BIGINT NOT NULL, \
               k0 TEXT NOT NULL, \
               k1 TEXT NOT NULL, \
               k2 TEXT NOT NULL, \
               n BIGINT NOT NULL DEFAULT 0, \
               nv BIGINT NOT NULL DEFAULT 0, \
               total {total}, \
               PRIMARY KEY (rollup_id, owner_id, k0, k1, k2))"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let c = m.get_connection();
        c.execute_unprepared("DROP TABLE summary_cells").await?;
        c.execute_unprepared("DROP TABLE summary_rollups").await?;
        Ok(())
    }
}
