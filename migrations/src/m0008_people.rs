//! People's preferences: the time zone dates and times are shown in on the web. (Password-reset
//! links are rows of `tokens`, kind `reset`, stored hashed like every other token.)
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // An IANA name (`Europe/Berlin`); NULL: UTC.
        m.alter_table(
            Table::alter()
                .table(Alias::new("users"))
                .add_column(
                    ColumnDef::new(Alias::new("time_zone"))
                        .text()
                        .null()
                        .to_owned(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("users"))
                .drop_column(Alias::new("time_zone"))
                .to_owned(),
        )
        .await
    }
}
