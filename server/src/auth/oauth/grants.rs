//! The token endpoint's grants (RFC 6749 §4.1.3 and §6) and revocation (RFC 7009). Codes are
//! single-use; a reused code revokes everything issued from it. Refresh tokens rotate; a reused
//! refresh token revokes its whole family. Every token is bound to user, client and resource.
use super::pkce::CodeVerifier;
use super::{OAuthError, ACCESS_SECONDS, GRANTED_SCOPE, REFRESH_DAYS};
use crate::auth::{random_secret, secret_hash, Auth};
use crate::store::{ClientRow, NewToken};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
}

/// The parts of a token request for the `authorization_code` grant.
pub struct CodeGrant<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub verifier: &'a CodeVerifier,
    pub resource: Option<&'a str>,
}

fn check_scope(scope: Option<&str>) -> Result<(), OAuthError> {
    match scope {
        Some(s) if s.split_whitespace().any(|t| t != GRANTED_SCOPE) => {
            Err(OAuthError::InvalidScope(format!(
                "the only scope this server grants is `{GRANTED_SCOPE}`; a refresh cannot widen it"
            )))
        }
        _ => Ok(()),
    }
}

impl Auth {
    /// Redeems an authorization code for the (already authenticated) client it was issued to.
    /// A code presented by its client is spent whatever happens next, so a code tried with a
    /// wrong verifier cannot be tried again; a code presented by another client is refused
    /// before it is spent, so that client cannot use it up.
    pub async fn exchange_code(
        &self,
        client: &ClientRow,
        grant: CodeGrant<'_>,
        now: DateTime<Utc>,
    ) -> Result<TokenResponse, OAuthError> {
        let Some((code, first)) = self
            .store()
            .take_code(&secret_hash(grant.code), client.id, now)
            .await?
        else {
            return Err(OAuthError::InvalidGrant(
                "the authorization code is unknown: start the authorization again".into(),
            ));
        };
        if code.client_id != client.id {
            tracing::warn!(
                client = %client.client_id,
                "a client presented an authorization code issued to another client"
            );
            return Err(OAuthError::InvalidGrant(
                "the authorization code was issued to another client".into(),
            ));
        }
        if !first {
            let revoked = self.store().revoke_family(&code.family, now).await?;
            tracing::warn!(
                client = %client.client_id,
                revoked,
                "an authorization code was presented twice; its tokens are revoked"
            );
            return Err(OAuthError::InvalidGrant(
                "the authorization code was already used; every token issued from it has been revoked".into(),
            ));
        }
        if code.expires_at <= now {
            return Err(OAuthError::InvalidGrant(
                "the authorization code has expired (codes last 60 seconds): start the authorization again".into(),
            ));
        }
        match grant.redirect_uri {
            Some(r) if r != code.redirect_uri => {
                return Err(OAuthError::InvalidGrant(
                    "redirect_uri differs from the one in the authorization request".into(),
                ))
            }
            None if client.redirect_uris.len() != 1 => {
                return Err(OAuthError::InvalidRequest(
                    "redirect_uri is required: send the one used in the authorization request"
                        .into(),
                ))
            }
            _ => {}
        }
        if !grant.verifier.verifies(&code.code_challenge) {
            return Err(OAuthError::InvalidGrant(
                "the code_verifier does not match the code_challenge of the authorization request (PKCE)".into(),
            ));
        }
        if let Some(r) = grant.resource {
            if r != code.resource {
                return Err(OAuthError::InvalidTarget(format!(
                    "the code was issued for resource {}",
                    code.resource
                )));
            }
        }
        self.issue_pair(client, code.user_id, &code.resource, &code.family, now)
            .await
    }

    /// Rotates a refresh token: the old one is spent, a new pair is issued in the same family.
    pub async fn refresh(
        &self,
        client: &ClientRow,
        refresh_token: &str,
        scope: Option<&str>,
        resource: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TokenResponse, OAuthError> {
        let unknown = || {
            OAuthError::InvalidGrant(
                "the refresh token is unknown, expired or revoked: authorize again".into(),
            )
        };
        if refresh_token.len() > 200 {
            return Err(unknown());
        }
        let row = self
            .store()
            .token_by_hash(&secret_hash(refresh_token))
            .await?
            .filter(|t| t.kind == "refresh")
            .ok_or_else(unknown)?;
        if row.client_id != Some(client.id) {
            return Err(OAuthError::InvalidGrant(
                "the refresh token was issued to another client".into(),
            ));
        }
        if row.revoked_at.is_some() || row.expires_at.is_some_and(|e| e <= now) {
            return Err(unknown());
        }
        let family = row.family.clone().unwrap_or_default();
        if row.used_at.is_some() {
            return Err(self.refresh_reused(client, &family, now).await);
        }
        check_scope(scope)?;
        let bound = row.resource.clone().unwrap_or_default();
        if let Some(r) = resource {
            if r != bound {
                return Err(OAuthError::InvalidTarget(format!(
                    "the refresh token was issued for resource {bound}"
                )));
            }
        }
        if row.user_disabled {
            return Err(OAuthError::InvalidGrant(
                "the user account is disabled".into(),
            ));
        }
        if !self.store().mark_token_used(row.id, now).await? {
            return Err(self.refresh_reused(client, &family, now).await);
        }
        self.issue_pair(client, row.user_id, &bound, &family, now)
            .await
    }

    /// Revokes a token issued to `client` (RFC 7009). Unknown tokens and tokens of other clients
    /// are answered the same way and left alone. Revoking a refresh token revokes its family.
    pub async fn revoke_for_client(
        &self,
        client: &ClientRow,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), OAuthError> {
        if token.len() > 200 {
            return Ok(());
        }
        let Some(row) = self.store().token_by_hash(&secret_hash(token)).await? else {
            return Ok(());
        };
        if row.client_id != Some(client.id) {
            return Ok(());
        }
        match (row.kind.as_str(), row.family.as_deref()) {
            ("refresh", Some(f)) => {
                self.store().revoke_family(f, now).await?;
            }
            _ => self.store().revoke_token(row.id, now).await?,
        }
        Ok(())
    }

    /// A refresh token came back after it was spent: someone else may hold a copy, so the
    /// whole family goes.
    async fn refresh_reused(
        &self,
        client: &ClientRow,
        family: &str,
        now: DateTime<Utc>,
    ) -> OAuthError {
        match self.store().revoke_family(family, now).await {
            Ok(revoked) => tracing::warn!(
                client = %client.client_id,
                revoked,
                "a refresh token was presented twice; its family is revoked"
            ),
            Err(e) => return e.into(),
        }
        OAuthError::InvalidGrant(
            "the refresh token was already used; as a precaution every token of this authorization has been revoked: authorize again".into(),
        )
    }

    async fn issue_pair(
        &self,
        client: &ClientRow,
        user_id: i64,
        resource: &str,
        family: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenResponse, OAuthError> {
        let user = self.store().user_by_id(user_id).await?;
        if user.as_ref().is_none_or(|u| u.disabled) {
            return Err(OAuthError::InvalidGrant(
                "the user account is disabled".into(),
            ));
        }
        let access = format!("fwa_{}", random_secret(32));
        let refresh = format!("fwr_{}", random_secret(32));
        for (kind, token, expires) in [
            ("access", &access, now + Duration::seconds(ACCESS_SECONDS)),
            ("refresh", &refresh, now + Duration::days(REFRESH_DAYS)),
        ] {
            let prefix: String = token.chars().take(10).collect();
            self.store()
                .insert_token(
                    NewToken {
                        kind,
                        hash: &secret_hash(token),
                        prefix: &prefix,
                        name: &client.name,
                        user_id,
                        client_id: Some(client.id),
                        resource: Some(resource),
                        family: Some(family),
                        scope: Some(GRANTED_SCOPE),
                        expires_at: Some(expires),
                    },
                    now,
                )
                .await?;
        }
        self.store().touch_client(client.id, now).await?;
        Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_SECONDS,
            refresh_token: refresh,
            scope: GRANTED_SCOPE.to_string(),
        })
    }
}
