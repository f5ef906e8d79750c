//! Dynamic client registration (RFC 7591), off unless an administrator turns it on. Such
//! clients are listed with the others and can be deactivated like them.
use super::clients::ClientType;
use super::redirect::RedirectUri;
use super::OAuthError;
use crate::auth::Auth;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Settings key of the administrator's switch.
pub const DCR_ENABLED_KEY: &str = "oauth.dynamic_registration";

/// The client metadata a registering client sends; other metadata is ignored (§2).
#[derive(Debug, Deserialize)]
pub struct RegistrationRequest {
    pub redirect_uris: Option<Vec<String>>,
    pub client_name: Option<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
}

/// The registration response (§3.2.1).
#[derive(Debug, Serialize)]
pub struct RegistrationResponse {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<&'static str>,
    pub response_types: Vec<&'static str>,
}

impl Auth {
    /// Whether the administrator allows dynamic client registration.
    pub async fn dynamic_registration_enabled(&self) -> Result<bool, OAuthError> {
        Ok(self.store().setting(DCR_ENABLED_KEY).await?.as_deref() == Some("true"))
    }

    /// Registers a client from its metadata.
    pub async fn register_dynamic(
        &self,
        req: RegistrationRequest,
        now: DateTime<Utc>,
    ) -> Result<RegistrationResponse, OAuthError> {
        let uris = req.redirect_uris.unwrap_or_default();
        if uris.is_empty() {
            return Err(OAuthError::InvalidRedirectUri(
                "redirect_uris is required: at least one https URI, or an http URI on loopback"
                    .into(),
            ));
        }
        let uris = uris
            .iter()
            .map(|u| RedirectUri::parse(u))
            .collect::<Result<Vec<_>, _>>()
            .map_err(OAuthError::InvalidRedirectUri)?;
        if uris.len() > 20 {
            return Err(OAuthError::InvalidRedirectUri(
                "at most 20 redirect URIs".into(),
            ));
        }
        let method = req
            .token_endpoint_auth_method
            .unwrap_or_else(|| "client_secret_basic".into());
        let kind = match method.as_str() {
            "none" => ClientType::Public,
            "client_secret_basic" | "client_secret_post" => ClientType::Generic,
            other => {
                return Err(OAuthError::InvalidClientMetadata(format!(
                    "token_endpoint_auth_method {other} is not supported: use client_secret_basic, client_secret_post or none"
                )))
            }
        };
        let grants = req
            .grant_types
            .unwrap_or_else(|| vec!["authorization_code".into()]);
        if let Some(g) = grants
            .iter()
            .find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
        {
            return Err(OAuthError::InvalidClientMetadata(format!(
                "grant type {g} is not supported: use authorization_code and refresh_token"
            )));
        }
        if let Some(r) = req
            .response_types
            .unwrap_or_default()
            .iter()
            .find(|r| r.as_str() != "code")
        {
            return Err(OAuthError::InvalidClientMetadata(format!(
                "response type {r} is not supported: use code"
            )));
        }
        let name = req
            .client_name
            .map(|n| n.trim().chars().take(80).collect::<String>())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Unnamed client".into());
        let (client, secret) = self.register_client(&name, kind, &uris, true, now).await?;
        Ok(RegistrationResponse {
            client_id: client.client_id,
            client_secret_expires_at: secret.as_ref().map(|_| 0),
            client_secret: secret,
            client_id_issued_at: now.timestamp(),
            client_name: client.name,
            redirect_uris: client.redirect_uris,
            token_endpoint_auth_method: method,
            grant_types: vec!["authorization_code", "refresh_token"],
            response_types: vec!["code"],
        })
    }
}
