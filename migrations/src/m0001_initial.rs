//! Users, sessions, apps and their versions, records, history, attachments, tokens, MCP clients.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn ts(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn ts_null(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

fn text(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

fn text_null(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

fn big(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn big_null(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

fn boolean(name: impl IntoIden, default: bool) -> ColumnDef {
    ColumnDef::new(name)
        .boolean()
        .not_null()
        .default(default)
        .to_owned()
}

fn fk(table: &str, col: &str, to: &str, cascade: bool) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(Alias::new(table), Alias::new(col))
        .to(Alias::new(to), Alias::new("id"))
        .to_owned();
    if cascade {
        f.on_delete(ForeignKeyAction::Cascade);
    }
    f
}

fn index(table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create()
        .name(format!("ix_{table}_{}", cols.join("_")))
        .table(Alias::new(table))
        .to_owned();
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i
}

fn a(s: &str) -> Alias {
    Alias::new(s)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables: Vec<TableCreateStatement> = vec![
            Table::create()
                .table(a("users"))
                .col(id(a("id")))
                .col(text(a("username")))
                .col(text(a("display_name")))
                .col(text(a("password_hash")))
                .col(text(a("roles")))
                .col(boolean(a("disabled"), false))
                .col(
                    ColumnDef::new(a("failed_logins"))
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ts_null(a("locked_until")))
                .col(ts(a("created_at")))
                .to_owned(),
            Table::create()
                .table(a("web_sessions"))
                .col(
                    ColumnDef::new(a("id"))
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(big(a("user_id")))
                .col(text(a("csrf_token")))
                .col(ts(a("created_at")))
                .col(ts(a("expires_at")))
                .foreign_key(&mut fk("web_sessions", "user_id", "users", true))
                .to_owned(),
            Table::create()
                .table(a("apps"))
                .col(id(a("id")))
                .col(text(a("slug")))
                .col(text(a("name")))
                .col(text(a("draft_definition")))
                .col(big_null(a("published_version")))
                .col(ts(a("created_at")))
                .col(ts(a("updated_at")))
                .to_owned(),
            Table::create()
                .table(a("app_versions"))
                .col(id(a("id")))
                .col(big(a("app_id")))
                .col(big(a("version")))
                .col(text(a("definition")))
                .col(big_null(a("published_by")))
                .col(ts(a("published_at")))
                .foreign_key(&mut fk("app_versions", "app_id", "apps", true))
                .to_owned(),
            Table::create()
                .table(a("records"))
                .col(id(a("id")))
                .col(big(a("app_id")))
                .col(big(a("owner_id")))
                .col(big(a("version")))
                .col(ColumnDef::new(a("data")).json_binary().not_null())
                .col(ts(a("created_at")))
                .col(ts(a("updated_at")))
                .foreign_key(&mut fk("records", "app_id", "apps", true))
                .to_owned(),
            Table::create()
                .table(a("history"))
                .col(id(a("id")))
                .col(big(a("record_id")))
                .col(big(a("app_id")))
                .col(big(a("record_version")))
                .col(ts(a("at")))
                .col(big_null(a("actor_id")))
                .col(text(a("actor_name")))
                .col(text(a("surface")))
                .col(text_null(a("client_name")))
                .col(text(a("operation")))
                .col(text(a("operation_title")))
                .col(text(a("changes")))
                .to_owned(),
            Table::create()
                .table(a("attachments"))
                .col(id(a("id")))
                .col(big_null(a("record_id")))
                .col(big(a("app_id")))
                .col(text(a("field")))
                .col(text(a("sha256")))
                .col(big(a("size")))
                .col(text(a("content_type")))
                .col(text(a("filename")))
                .col(text(a("meta")))
                .col(big(a("uploaded_by")))
                .col(ts(a("created_at")))
                .to_owned(),
            Table::create()
                .table(a("settings"))
                .col(
                    ColumnDef::new(a("key"))
                        .string_len(100)
                        .not_null()
                        .primary_key(),
                )
                .col(text(a("value")))
                .to_owned(),
            Table::create()
                .table(a("tokens"))
                .col(id(a("id")))
                .col(text(a("kind")))
                .col(text(a("token_hash")))
                .col(text(a("prefix")))
                .col(text(a("name")))
                .col(big(a("user_id")))
                .col(big_null(a("client_id")))
                .col(text_null(a("resource")))
                .col(text_null(a("family")))
                .col(text_null(a("scope")))
                .col(ts(a("created_at")))
                .col(ts_null(a("expires_at")))
                .col(ts_null(a("last_used_at")))
                .col(ts_null(a("revoked_at")))
                .col(ts_null(a("used_at")))
                .foreign_key(&mut fk("tokens", "user_id", "users", true))
                .to_owned(),
            Table::create()
                .table(a("mcp_clients"))
                .col(id(a("id")))
                .col(text(a("client_id")))
                .col(text(a("name")))
                .col(text(a("client_type")))
                .col(text(a("secret_hash")))
                .col(text(a("redirect_uris")))
                .col(boolean(a("active"), true))
                .col(boolean(a("dynamic"), false))
                .col(ts(a("created_at")))
                .col(ts_null(a("last_used_at")))
                .to_owned(),
            Table::create()
                .table(a("oauth_codes"))
                .col(id(a("id")))
                .col(text(a("code_hash")))
                .col(big(a("client_id")))
                .col(big(a("user_id")))
                .col(text(a("redirect_uri")))
                .col(text(a("code_challenge")))
                .col(text(a("resource")))
                .col(text_null(a("scope")))
                .col(text(a("family")))
                .col(ts(a("created_at")))
                .col(ts(a("expires_at")))
                .col(ts_null(a("used_at")))
                .to_owned(),
            Table::create()
                .table(a("mcp_events"))
                .col(id(a("id")))
                .col(ts(a("at")))
                .col(text(a("kind")))
                .col(text_null(a("tool")))
                .col(text_null(a("username")))
                .col(text(a("message")))
                .to_owned(),
        ];
        for mut t in tables {
            m.create_table(t.if_not_exists().to_owned()).await?;
        }
        let indexes = [
            index("users", &["username"], true),
            index("apps", &["slug"], true),
            index("app_versions", &["app_id", "version"], true),
            index("records", &["app_id", "owner_id", "id"], false),
            index("records", &["app_id", "id"], false),
            index("history", &["record_id", "id"], false),
            index("attachments", &["record_id"], false),
            index("attachments", &["app_id", "sha256"], false),
            index("tokens", &["token_hash"], true),
            index("tokens", &["user_id", "kind"], false),
            index("tokens", &["family"], false),
            index("mcp_clients", &["client_id"], true),
            index("oauth_codes", &["code_hash"], true),
            index("mcp_events", &["at"], false),
        ];
        for mut i in indexes {
            m.create_index(i.if_not_exists().to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "mcp_events",
            "oauth_codes",
            "mcp_clients",
            "tokens",
            "settings",
            "attachments",
            "history",
            "records",
            "app_versions",
            "apps",
            "web_sessions",
            "users",
        ] {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
