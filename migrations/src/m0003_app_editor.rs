//! The App Editor: a draft's pending data changes (field renames, option mappings) and, per
//! published version, its note and the data changes its publication applied.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn add(table: &str, col: ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(Alias::new(table))
        .add_column(col)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        m.alter_table(add(
            "apps",
            ColumnDef::new(Alias::new("draft_changes"))
                .text()
                .not_null()
                .default("{}")
                .to_owned(),
        ))
        .await?;
        m.alter_table(add(
            "app_versions",
            ColumnDef::new(Alias::new("note")).text().null().to_owned(),
        ))
        .await?;
        m.alter_table(add(
            "app_versions",
            ColumnDef::new(Alias::new("changes"))
                .text()
                .null()
                .to_owned(),
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, col) in [
            ("app_versions", "changes"),
            ("app_versions", "note"),
            ("apps", "draft_changes"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new(table))
                    .drop_column(Alias::new(col))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
