//! Routing: a user's manager, stand-ins (delegations) and who a change was made on behalf of.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(s: &str) -> Alias {
    Alias::new(s)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("users"))
                .add_column(
                    ColumnDef::new(a("manager_id"))
                        .big_integer()
                        .null()
                        .to_owned(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("users_manager")
                .table(a("users"))
                .col(a("manager_id"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(a("history"))
                .add_column(ColumnDef::new(a("on_behalf_of")).text().null().to_owned())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(a("delegations"))
                .col(
                    ColumnDef::new(a("id"))
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                // The person away, whose decisions the stand-in may take.
                .col(ColumnDef::new(a("user_id")).big_integer().not_null())
                .col(ColumnDef::new(a("delegate_id")).big_integer().not_null())
                // Inclusive calendar days, 'YYYY-MM-DD'.
                .col(ColumnDef::new(a("starts_on")).text().not_null())
                .col(ColumnDef::new(a("ends_on")).text().not_null())
                .col(
                    ColumnDef::new(a("created_at"))
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("delegations_delegate")
                .table(a("delegations"))
                .col(a("delegate_id"))
                .col(a("ends_on"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("delegations_user")
                .table(a("delegations"))
                .col(a("user_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("delegations")).to_owned())
            .await?;
        m.drop_index(
            Index::drop()
                .name("users_manager")
                .table(a("users"))
                .to_owned(),
        )
        .await
    }
}
