//! Hashed bearer tokens (personal access tokens, OAuth access and refresh tokens), registered MCP
//! clients and OAuth authorization codes. Only hashes are stored; `auth` mints and checks them.
use super::{get, Result, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use sea_orm::QueryResult;

/// A stored token, joined with its user's and client's state.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub kind: String,
    pub prefix: String,
    pub name: String,
    pub user_id: i64,
    pub client_id: Option<i64>,
    pub resource: Option<String>,
    pub family: Option<String>,
    pub scope: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
    pub user_disabled: bool,
    pub client_active: Option<bool>,
    pub client_name: Option<String>,
}

/// A registered MCP (OAuth) client.
#[derive(Debug, Clone)]
pub struct ClientRow {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub client_type: String,
    pub secret_hash: String,
    pub redirect_uris: Vec<String>,
    pub active: bool,
    pub dynamic: bool,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A stored authorization code.
#[derive(Debug, Clone)]
pub struct CodeRow {
    pub id: i64,
    pub client_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub scope: Option<String>,
    pub family: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// A token to insert.
pub struct NewToken<'a> {
    pub kind: &'a str,
    pub hash: &'a str,
    pub prefix: &'a str,
    pub name: &'a str,
    pub user_id: i64,
    pub client_id: Option<i64>,
    pub resource: Option<&'a str>,
    pub family: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

const TOKEN_SELECT: &str = "SELECT t.id, t.kind, t.prefix, t.name, t.user_id, t.client_id, t.resource, t.family, t.scope, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.used_at, u.disabled AS user_disabled, c.active AS client_active, c.name AS client_name FROM tokens t JOIN users u ON u.id = t.user_id LEFT JOIN mcp_clients c ON c.id = t.client_id";

impl TokenRow {
    fn from_row(r: &QueryResult) -> Result<TokenRow> {
        Ok(TokenRow {
            id: get(r, "id")?,
            kind: get(r, "kind")?,
            prefix: get(r, "prefix")?,
            name: get(r, "name")?,
            user_id: get(r, "user_id")?,
            client_id: get(r, "client_id")?,
            resource: get(r, "resource")?,
            family: get(r, "family")?,
            scope: get(r, "scope")?,
            created_at: get(r, "created_at")?,
            expires_at: get(r, "expires_at")?,
            last_used_at: get(r, "last_used_at")?,
            revoked_at: get(r, "revoked_at")?,
            used_at: get(r, "used_at")?,
            user_disabled: get(r, "user_disabled")?,
            client_active: get(r, "client_active")?,
            client_name: get(r, "client_name")?,
        })
    }
}

impl ClientRow {
    fn from_row(r: &QueryResult) -> Result<ClientRow> {
        let uris: String = get(r, "redirect_uris")?;
        Ok(ClientRow {
            id: get(r, "id")?,
            client_id: get(r, "client_id")?,
            name: get(r, "name")?,
            client_type: get(r, "client_type")?,
            secret_hash: get(r, "secret_hash")?,
            redirect_uris: serde_json::from_str(&uris).unwrap_or_default(),
            active: get(r, "active")?,
            dynamic: get(r, "dynamic")?,
            created_at: get(r, "created_at")?,
            last_used_at: get(r, "last_used_at")?,
        })
    }
}

const CLIENT_COLS: &str =
    "id, client_id, name, client_type, secret_hash, redirect_uris, active, dynamic, created_at, last_used_at";

impl Store {
    pub async fn insert_token(&self, t: NewToken<'_>, now: DateTime<Utc>) -> Result<i64> {
        let row = self
            .write_returning(
                "INSERT INTO tokens (kind, token_hash, prefix, name, user_id, client_id, resource, family, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                vec![
                    t.kind.into(),
                    t.hash.into(),
                    t.prefix.into(),
                    t.name.into(),
                    t.user_id.into(),
                    t.client_id.into(),
                    t.resource.map(String::from).into(),
                    t.family.map(String::from).into(),
                    t.scope.map(String::from).into(),
                    now.into(),
                    t.expires_at.into(),
                ],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        get(&row, "id")
    }

    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>> {
        let sql = format!("{TOKEN_SELECT} WHERE t.token_hash = ?");
        self.one(&sql, vec![hash.into()])
            .await?
            .map(|r| TokenRow::from_row(&r))
            .transpose()
    }

    /// Notes a token's use, at most once a minute per token to keep reads cheap.
    pub async fn touch_token(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
            vec![now.into(), id.into(), (now - Duration::seconds(60)).into()],
        )
        .await?;
        Ok(())
    }

    pub async fn user_tokens(&self, user_id: i64, kind: &str) -> Result<Vec<TokenRow>> {
        let sql = format!("{TOKEN_SELECT} WHERE t.user_id = ? AND t.kind = ? ORDER BY t.id DESC");
        self.all(&sql, vec![user_id.into(), kind.into()])
            .await?
            .iter()
            .map(TokenRow::from_row)
            .collect()
    }

    /// Revokes one token of a user; false when there was none to revoke.
    pub async fn revoke_user_token(
        &self,
        user_id: i64,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = self
            .exec(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                vec![now.into(), id.into(), user_id.into()],
            )
            .await?;
        self.auth_changed();
        Ok(n > 0)
    }

    pub async fn revoke_token(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            vec![now.into(), id.into()],
        )
        .await?;
        self.auth_changed();
        Ok(())
    }

    /// Revokes every token descended from one authorization (code reuse, refresh reuse).
    pub async fn revoke_family(&self, family: &str, now: DateTime<Utc>) -> Result<u64> {
        let n = self
            .exec(
                "UPDATE tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
                vec![now.into(), family.into()],
            )
            .await?;
        self.auth_changed();
        Ok(n)
    }

    /// Revokes every live token of one kind a user holds (say, outstanding reset links).
    pub async fn revoke_user_tokens_of_kind(
        &self,
        user_id: i64,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let n = self
            .exec(
                "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND kind = ? AND revoked_at IS NULL",
                vec![now.into(), user_id.into(), kind.into()],
            )
            .await?;
        self.auth_changed();
        Ok(n)
    }

    /// Marks a refresh token used; false when it already was (reuse).
    pub async fn mark_token_used(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE tokens SET used_at = ? WHERE id = ? AND used_at IS NULL",
                vec![now.into(), id.into()],
            )
            .await?
            > 0)
    }

    pub async fn revoke_client_tokens(
        &self,
        client_id: i64,
        user_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let n = match user_id {
            Some(u) => {
                self.exec(
                    "UPDATE tokens SET revoked_at = ? WHERE client_id = ? AND user_id = ? AND revoked_at IS NULL",
                    vec![now.into(), client_id.into(), u.into()],
                )
                .await
            }
            None => {
                self.exec(
                    "UPDATE tokens SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL",
                    vec![now.into(), client_id.into()],
                )
                .await
            }
        }?;
        self.auth_changed();
        Ok(n)
    }

    /// Users holding live tokens of a client, with the latest use.
    pub async fn client_users(
        &self,
        client_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String, Option<DateTime<Utc>>)>> {
        let rows = self
            .all(
                "SELECT u.id, u.username, MAX(t.last_used_at) AS last_used FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.client_id = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?) GROUP BY u.id, u.username ORDER BY u.username",
                vec![client_id.into(), now.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "id")?, get(r, "username")?, get(r, "last_used")?)))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_client(
        &self,
        client_id: &str,
        name: &str,
        client_type: &str,
        secret_hash: &str,
        redirect_uris: &[String],
        dynamic: bool,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let uris = serde_json::to_string(redirect_uris).unwrap_or_else(|_| "[]".into());
        let row = self
            .write_returning(
                "INSERT INTO mcp_clients (client_id, name, client_type, secret_hash, redirect_uris, active, dynamic, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                vec![
                    client_id.into(),
                    name.into(),
                    client_type.into(),
                    secret_hash.into(),
                    uris.into(),
                    true.into(),
                    dynamic.into(),
                    now.into(),
                ],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        get(&row, "id")
    }

    pub async fn list_clients(&self) -> Result<Vec<ClientRow>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM mcp_clients ORDER BY name, id");
        self.all(&sql, vec![])
            .await?
            .iter()
            .map(ClientRow::from_row)
            .collect()
    }

    pub async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ClientRow>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM mcp_clients WHERE client_id = ?");
        self.one(&sql, vec![client_id.into()])
            .await?
            .map(|r| ClientRow::from_row(&r))
            .transpose()
    }

    pub async fn client_by_id(&self, id: i64) -> Result<Option<ClientRow>> {
        let sql = format!("SELECT {CLIENT_COLS} FROM mcp_clients WHERE id = ?");
        self.one(&sql, vec![id.into()])
            .await?
            .map(|r| ClientRow::from_row(&r))
            .transpose()
    }

    pub async fn set_client_active(&self, id: i64, active: bool) -> Result<()> {
        self.exec(
            "UPDATE mcp_clients SET active = ? WHERE id = ?",
            vec![active.into(), id.into()],
        )
        .await?;
        self.auth_changed();
        Ok(())
    }

    pub async fn set_client_secret(&self, id: i64, secret_hash: &str) -> Result<()> {
        self.exec(
            "UPDATE mcp_clients SET secret_hash = ? WHERE id = ?",
            vec![secret_hash.into(), id.into()],
        )
        .await?;
        Ok(())
    }

    pub async fn touch_client(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE mcp_clients SET last_used_at = ? WHERE id = ?",
            vec![now.into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// Deletes a client and every token and code it holds.
    pub async fn delete_client(&self, id: i64) -> Result<()> {
        let tx = self.begin().await?;
        self.tx_exec(
            &tx,
            "DELETE FROM tokens WHERE client_id = ?",
            vec![id.into()],
        )
        .await?;
        self.tx_exec(
            &tx,
            "DELETE FROM oauth_codes WHERE client_id = ?",
            vec![id.into()],
        )
        .await?;
        self.tx_exec(&tx, "DELETE FROM mcp_clients WHERE id = ?", vec![id.into()])
            .await?;
        tx.commit().await?;
        self.auth_changed();
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_code(
        &self,
        code_hash: &str,
        client_id: i64,
        user_id: i64,
        redirect_uri: &str,
        code_challenge: &str,
        resource: &str,
        scope: Option<&str>,
        family: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO oauth_codes (code_hash, client_id, user_id, redirect_uri, code_challenge, resource, scope, family, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                code_hash.into(),
                client_id.into(),
                user_id.into(),
                redirect_uri.into(),
                code_challenge.into(),
                resource.into(),
                scope.map(String::from).into(),
                family.into(),
                now.into(),
                expires_at.into(),
            ],
        )
        .await?;
        Ok(())
    }

    /// Marks a code used — only when `client_id` is the client it was issued to — and returns
    /// it with whether this call was that first use. A code presented by another client is
    /// returned untouched, so it stays usable by its own client.
    pub async fn take_code(
        &self,
        code_hash: &str,
        client_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<(CodeRow, bool)>> {
        let first = self
            .exec(
                "UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND client_id = ? AND used_at IS NULL",
                vec![now.into(), code_hash.into(), client_id.into()],
            )
            .await?
            > 0;
        let row = self
            .one(
                "SELECT id, client_id, user_id, redirect_uri, code_challenge, resource, scope, family, expires_at, used_at FROM oauth_codes WHERE code_hash = ?",
                vec![code_hash.into()],
            )
            .await?;
        row.map(|r| {
            Ok((
                CodeRow {
                    id: get(&r, "id")?,
                    client_id: get(&r, "client_id")?,
                    user_id: get(&r, "user_id")?,
                    redirect_uri: get(&r, "redirect_uri")?,
                    code_challenge: get(&r, "code_challenge")?,
                    resource: get(&r, "resource")?,
                    scope: get(&r, "scope")?,
                    family: get(&r, "family")?,
                    expires_at: get(&r, "expires_at")?,
                    used_at: get(&r, "used_at")?,
                },
                first,
            ))
        })
        .transpose()
    }

    /// Notes an MCP event (error or refusal) for the admin's diagnostics; keeps the latest 200.
    pub async fn log_mcp_event(
        &self,
        kind: &str,
        tool: Option<&str>,
        username: Option<&str>,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO mcp_events (at, kind, tool, username, message) VALUES (?, ?, ?, ?, ?)",
            vec![
                now.into(),
                kind.into(),
                tool.map(String::from).into(),
                username.map(String::from).into(),
                message.into(),
            ],
        )
        .await?;
        self.exec(
            "DELETE FROM mcp_events WHERE id <= (SELECT MAX(id) - 200 FROM mcp_events)",
            vec![],
        )
        .await?;
        Ok(())
    }

    /// The latest MCP events, newest first.
    pub async fn mcp_events(
        &self,
        limit: u64,
    ) -> Result<
        Vec<(
            DateTime<Utc>,
            String,
            Option<String>,
            Option<String>,
            String,
        )>,
    > {
        let sql = format!(
            "SELECT at, kind, tool, username, message FROM mcp_events ORDER BY id DESC LIMIT {limit}"
        );
        let rows = self.all(&sql, vec![]).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get(r, "at")?,
                    get(r, "kind")?,
                    get(r, "tool")?,
                    get(r, "username")?,
                    get(r, "message")?,
                ))
            })
            .collect()
    }
}
