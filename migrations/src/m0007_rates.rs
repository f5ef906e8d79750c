//! Exchange rates for home-currency amounts: one row per (base, currency, day), the rate as
//! decimal text (units of `currency` per 1 `base`), the day as 'YYYY-MM-DD' text so that text
//! order is date order on both databases. The home currency and the rates' base live in
//! `settings` (`home_currency`, `rates_base`).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(s: &str) -> Alias {
    Alias::new(s)
}

fn text(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).text().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("exchange_rates"))
                .col(
                    ColumnDef::new(a("id"))
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(text("base"))
                .col(text("currency"))
                .col(text("day"))
                .col(text("rate"))
                .to_owned(),
        )
        .await?;
        // Unique per day, and the index "the latest day on or before d" reads backwards.
        m.create_index(
            Index::create()
                .name("exchange_rates_base_currency_day")
                .table(a("exchange_rates"))
                .col(a("base"))
                .col(a("currency"))
                .col(a("day"))
                .unique()
                .to_owned(),
        )
        .await?;
        // The admin page lists the newest days first.
        m.create_index(
            Index::create()
                .name("exchange_rates_day")
                .table(a("exchange_rates"))
                .col(a("day"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("exchange_rates")).to_owned())
            .await
    }
}
