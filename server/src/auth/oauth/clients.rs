//! Registered MCP clients: registration (by an administrator, the CLI or RFC 7591), secrets
//! (random, 256 bits, stored only as SHA-256), status, and client authentication at the token
//! and revocation endpoints.
use super::redirect::RedirectUri;
use super::OAuthError;
use crate::auth::{random_secret, same, secret_hash, Auth};
use crate::store::ClientRow;
use chrono::{DateTime, Utc};

/// Claude's OAuth callbacks, registered for a "Claude AI" client.
pub const CLAUDE_REDIRECT_URIS: [&str; 2] = [
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
];

/// What kind of client: decides its default redirect URIs and whether it has a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// Claude's custom connectors (claude.ai, Claude Desktop): confidential, Claude's callbacks.
    Claude,
    /// Any other OAuth client with a secret.
    Generic,
    /// A public client (no secret) that registered itself (RFC 7591, `none` authentication).
    Public,
}

impl ClientType {
    /// Parses the type an administrator chose (`claude` or `generic`).
    pub fn parse(s: &str) -> Result<ClientType, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "claude" | "claude-ai" | "claude_ai" => Ok(ClientType::Claude),
            "generic" => Ok(ClientType::Generic),
            other => Err(format!(
                "unknown client type `{other}`: use claude or generic"
            )),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Claude => "claude",
            ClientType::Generic => "generic",
            ClientType::Public => "public",
        }
    }

    /// Reads a stored name (unknown names count as generic).
    pub fn stored(s: &str) -> ClientType {
        match s {
            "claude" => ClientType::Claude,
            "public" => ClientType::Public,
            _ => ClientType::Generic,
        }
    }

    /// What the admin pages call it.
    pub fn label(self) -> &'static str {
        match self {
            ClientType::Claude => "Claude AI",
            ClientType::Generic => "Generic OAuth client",
            ClientType::Public => "Public client (no secret)",
        }
    }

    /// The redirect URIs a new client of this type gets when none are given.
    pub fn default_redirect_uris(self) -> Vec<RedirectUri> {
        match self {
            ClientType::Claude => CLAUDE_REDIRECT_URIS
                .iter()
                .filter_map(|u| RedirectUri::parse(u).ok())
                .collect(),
            _ => vec![],
        }
    }
}

/// Client credentials as presented at the token or revocation endpoint.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub secret: Option<String>,
}

fn check_name(name: &str) -> Result<String, OAuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(OAuthError::InvalidClientMetadata(
            "give the client a name of 1 to 80 characters".into(),
        ));
    }
    Ok(name.to_string())
}

fn new_secret() -> String {
    format!("fwcs_{}", random_secret(32))
}

impl Auth {
    /// Registers a client; returns it with its secret (shown once; `None` for public clients).
    pub async fn register_client(
        &self,
        name: &str,
        kind: ClientType,
        redirect_uris: &[RedirectUri],
        dynamic: bool,
        now: DateTime<Utc>,
    ) -> Result<(ClientRow, Option<String>), OAuthError> {
        let name = check_name(name)?;
        let mut uris: Vec<String> = redirect_uris
            .iter()
            .map(|u| u.as_str().to_string())
            .collect();
        if uris.is_empty() {
            uris = kind
                .default_redirect_uris()
                .iter()
                .map(|u| u.as_str().to_string())
                .collect();
        }
        if uris.is_empty() {
            return Err(OAuthError::InvalidRedirectUri(
                "give at least one redirect URI".into(),
            ));
        }
        uris.dedup();
        let client_id = format!("fwcl_{}", random_secret(16));
        let secret = (kind != ClientType::Public).then(new_secret);
        let hash = secret.as_deref().map(secret_hash).unwrap_or_default();
        let id = self
            .store()
            .insert_client(&client_id, &name, kind.as_str(), &hash, &uris, dynamic, now)
            .await?;
        let row = self
            .store()
            .client_by_id(id)
            .await?
            .ok_or_else(|| OAuthError::ServerError("the new client was not found".into()))?;
        Ok((row, secret))
    }

    /// Replaces a client's secret; returns the new one (shown once). Tokens already issued stay
    /// valid: a rotation is not a revocation.
    pub async fn rotate_client_secret(&self, id: i64) -> Result<String, OAuthError> {
        let client = self.client(id).await?;
        if ClientType::stored(&client.client_type) == ClientType::Public {
            return Err(OAuthError::InvalidRequest(
                "a public client has no secret to regenerate".into(),
            ));
        }
        let secret = new_secret();
        self.store()
            .set_client_secret(id, &secret_hash(&secret))
            .await?;
        Ok(secret)
    }

    /// Activates or deactivates a client; deactivating revokes every token it holds at once.
    pub async fn set_client_status(
        &self,
        id: i64,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<(), OAuthError> {
        self.client(id).await?;
        self.store().set_client_active(id, active).await?;
        if !active {
            self.store().revoke_client_tokens(id, None, now).await?;
        }
        Ok(())
    }

    /// Deletes a client with its tokens and codes.
    pub async fn delete_client(&self, id: i64) -> Result<(), OAuthError> {
        self.client(id).await?;
        Ok(self.store().delete_client(id).await?)
    }

    /// Revokes one user's access through one client.
    pub async fn revoke_client_user(
        &self,
        id: i64,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, OAuthError> {
        Ok(self
            .store()
            .revoke_client_tokens(id, Some(user_id), now)
            .await?)
    }

    /// A client by its row id.
    pub async fn client(&self, id: i64) -> Result<ClientRow, OAuthError> {
        self.store()
            .client_by_id(id)
            .await?
            .ok_or_else(|| OAuthError::InvalidRequest("no such MCP client".into()))
    }

    /// Authenticates a client by its secret (public clients by their id alone; PKCE binds them).
    pub async fn authenticate_client(
        &self,
        creds: &ClientCredentials,
    ) -> Result<ClientRow, OAuthError> {
        let client = self
            .store()
            .client_by_client_id(&creds.client_id)
            .await?
            .ok_or_else(|| {
                OAuthError::InvalidClient(
                    "no client is registered with this client_id: copy the Client ID again from View Activation Information".into(),
                )
            })?;
        let public = ClientType::stored(&client.client_type) == ClientType::Public;
        match (&creds.secret, public) {
            (None, true) => {}
            (Some(_), true) => {
                return Err(OAuthError::InvalidClient(
                    "this client registered without a secret (token_endpoint_auth_method none): send no client secret".into(),
                ))
            }
            (None, false) => {
                return Err(OAuthError::InvalidClient(
                    "client authentication is required: send the client secret with HTTP Basic (client_secret_basic) or as client_secret in the form (client_secret_post)".into(),
                ))
            }
            (Some(secret), false) => {
                if !same(&secret_hash(secret), &client.secret_hash) {
                    return Err(OAuthError::InvalidClient(
                        "the client secret is wrong (it may have been regenerated): copy it again from View Activation Information".into(),
                    ));
                }
            }
        }
        if !client.active {
            return Err(OAuthError::UnauthorizedClient(format!(
                "the client \"{}\" is deactivated: an administrator can activate it under Configure > Integration > MCP",
                client.name
            )));
        }
        Ok(client)
    }
}
