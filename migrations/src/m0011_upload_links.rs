//! Upload links: a short-lived, single-use link (only its SHA-256 stored) that lets one person
//! attach one file to one record's file input from a phone, bound to that person, record, field
//! and, for a file column of line items, the line (none: the file adds a line).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(s: &str) -> Alias {
    Alias::new(s)
}

fn fk(col: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_upload_links_{col}"))
        .from(a("upload_links"), a(col))
        .to(a(to), a("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("upload_links"))
                .col(
                    ColumnDef::new(a("id"))
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(a("token_hash")).text().not_null())
                .col(ColumnDef::new(a("user_id")).big_integer().not_null())
                .col(ColumnDef::new(a("app_id")).big_integer().not_null())
                .col(ColumnDef::new(a("record_id")).big_integer().not_null())
                // A file field (`receipt`) or a line's file column (`items.receipt`).
                .col(ColumnDef::new(a("field")).text().not_null())
                // The line whose file the link sets; NULL: the file adds a line (or the field
                // is not a column of line items).
                .col(ColumnDef::new(a("line_id")).text().null())
                .col(
                    ColumnDef::new(a("created_at"))
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(a("expires_at"))
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                // Set when an upload claims the link; cleared again if that upload is refused.
                .col(
                    ColumnDef::new(a("used_at"))
                        .timestamp_with_time_zone()
                        .null(),
                )
                // The attachment the link's upload stored, once its operation was applied.
                .col(ColumnDef::new(a("attachment_id")).big_integer().null())
                .foreign_key(&mut fk("user_id", "users"))
                .foreign_key(&mut fk("app_id", "apps"))
                .foreign_key(&mut fk("record_id", "records"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_upload_links_token_hash")
                .table(a("upload_links"))
                .col(a("token_hash"))
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_upload_links_record_id")
                .table(a("upload_links"))
                .col(a("record_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("upload_links")).to_owned())
            .await
    }
}
