//! Failure counters for rate limiting (sign-ins and client authentications per network address,
//! dynamic client registrations), shared by every server process through the database.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("auth_throttle"))
                .if_not_exists()
                .col(
                    ColumnDef::new(Alias::new("throttle_key"))
                        .string_len(200)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Alias::new("window_start"))
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Alias::new("failures"))
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(Alias::new("auth_throttle"))
                .if_exists()
                .to_owned(),
        )
        .await
    }
}
