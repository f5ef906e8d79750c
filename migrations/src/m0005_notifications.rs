//! Notifications: users' email addresses, and one row per notice to a user — the in-app list
//! and the email outbox in one table, written in the transaction of the record change it tells of.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(s: &str) -> Alias {
    Alias::new(s)
}

fn text(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).text().not_null().to_owned()
}

fn big(name: &str) -> ColumnDef {
    ColumnDef::new(a(name)).big_integer().not_null().to_owned()
}

fn ts_null(name: &str) -> ColumnDef {
    ColumnDef::new(a(name))
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("users"))
                .add_column(ColumnDef::new(a("email")).text().null().to_owned())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(a("notifications"))
                .col(
                    ColumnDef::new(a("id"))
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                // "record id:record version:recipient id" — a notice is written at most once.
                .col(text("idempotency_key"))
                .col(big("user_id"))
                .col(big("app_id"))
                .col(text("app_slug"))
                .col(text("app_name"))
                .col(big("record_id"))
                .col(big("record_version"))
                .col(text("record_title"))
                .col(text("operation_title"))
                .col(text("actor_name"))
                .col(
                    ColumnDef::new(a("created_at"))
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ts_null("read_at"))
                // The address at the time of the change; NULL: no email for this notice.
                .col(ColumnDef::new(a("email")).text().null())
                // `queued`, `sent`, `failed` or `none` (no address).
                .col(text("email_status"))
                .col(
                    ColumnDef::new(a("attempts"))
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ts_null("next_attempt_at"))
                .col(ColumnDef::new(a("claimed_by")).text().null())
                .col(ts_null("claimed_at"))
                .col(ts_null("sent_at"))
                .col(ColumnDef::new(a("last_error")).text().null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_notifications_user_id")
                        .from(a("notifications"), a("user_id"))
                        .to(a("users"), a("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notifications_idempotency_key")
                .table(a("notifications"))
                .col(a("idempotency_key"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notifications_user_id_id")
                .table(a("notifications"))
                .col(a("user_id"))
                .col(a("id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notifications_email_status_next_attempt_at")
                .table(a("notifications"))
                .col(a("email_status"))
                .col(a("next_attempt_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("notifications")).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(a("users"))
                .drop_column(a("email"))
                .to_owned(),
        )
        .await
    }
}
