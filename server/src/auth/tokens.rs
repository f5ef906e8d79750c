//! Bearer tokens: personal access tokens (PATs) and, through the OAuth module, access tokens.
//! A token is `<prefix>_<random>`; only its SHA-256 is stored.
use super::{random_secret, secret_hash, Auth, AuthError};
use crate::store::{NewToken, TokenRow, UserRow};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Prefix of personal access tokens (makes leaked tokens easy to spot).
pub const PAT_PREFIX: &str = "fwp";

/// Who a bearer token speaks for.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRow,
    pub token_id: i64,
    pub kind: String,
    /// The token's name (for a PAT: what the user called it).
    pub token_name: String,
    /// The MCP client the token was issued to (OAuth), shown in history.
    pub client_name: Option<String>,
    pub resource: Option<String>,
}

/// How long a verified bearer token is trusted without asking the database again. Changes made
/// in this process (revocation, a user disabled, a client deactivated) drop the cache at once
/// through the store's auth epoch; changes made by another process on the same database take
/// effect within this time, as published apps and the site switch do.
const VERIFIED_FOR: Duration = Duration::from_secs(1);
/// Entries kept at most; the cache is emptied when it fills (tokens re-verify on their next call).
const VERIFIED_MAX: usize = 10_000;

struct Verified {
    principal: Principal,
    expires_at: Option<DateTime<Utc>>,
    checked: Instant,
    epoch: u64,
}

/// Recently verified bearer tokens, by SHA-256 of the token: the hot path of every MCP call
/// would otherwise cost two queries (token, user).
#[derive(Default)]
pub struct VerifiedTokens {
    by_hash: Mutex<HashMap<String, Verified>>,
}

impl VerifiedTokens {
    fn get(&self, hash: &str, epoch: u64, now: DateTime<Utc>) -> Option<Principal> {
        let map = self.by_hash.lock().ok()?;
        let v = map.get(hash)?;
        let fresh = v.epoch == epoch
            && v.checked.elapsed() < VERIFIED_FOR
            && v.expires_at.is_none_or(|e| e > now);
        fresh.then(|| v.principal.clone())
    }

    fn put(&self, hash: String, v: Verified) {
        if let Ok(mut map) = self.by_hash.lock() {
            if map.len() >= VERIFIED_MAX {
                map.clear();
            }
            map.insert(hash, v);
        }
    }
}

impl Auth {
    /// Creates a personal access token; returns (id, the token shown once).
    pub async fn create_pat(
        &self,
        user_id: i64,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(i64, String), AuthError> {
        let token = format!("{PAT_PREFIX}_{}", random_secret(32));
        let prefix: String = token.chars().take(10).collect();
        let id = self
            .store()
            .insert_token(
                NewToken {
                    kind: "pat",
                    hash: &secret_hash(&token),
                    prefix: &prefix,
                    name,
                    user_id,
                    client_id: None,
                    resource: None,
                    family: None,
                    scope: None,
                    expires_at,
                },
                now,
            )
            .await?;
        Ok((id, token))
    }

    pub async fn list_pats(&self, user_id: i64) -> Result<Vec<TokenRow>, AuthError> {
        Ok(self.store().user_tokens(user_id, "pat").await?)
    }

    pub async fn revoke_pat(
        &self,
        user_id: i64,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, AuthError> {
        Ok(self.store().revoke_user_token(user_id, id, now).await?)
    }

    /// Checks a bearer token (PAT or OAuth access token) for `resource`.
    pub async fn verify_bearer(
        &self,
        token: &str,
        resource: &str,
        now: DateTime<Utc>,
    ) -> Result<Principal, AuthError> {
        if token.len() > 200 || token.is_empty() {
            return Err(AuthError::InvalidToken);
        }
        let hash = secret_hash(token);
        // Read before the database, so a revocation racing this call leaves a stale epoch.
        let epoch = self.store().auth_epoch();
        if let Some(p) = self.verified.get(&hash, epoch, now) {
            if p.resource.as_deref().is_none_or(|r| r == resource) {
                return Ok(p);
            }
        }
        let row = self
            .store()
            .token_by_hash(&hash)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let live = row.revoked_at.is_none() && row.expires_at.is_none_or(|e| e > now);
        let usable_kind = row.kind == "pat" || row.kind == "access";
        let client_ok = row.client_id.is_none() || row.client_active == Some(true);
        let resource_ok = row.resource.as_deref().is_none_or(|r| r == resource);
        if !(live && usable_kind && client_ok && resource_ok) {
            return Err(AuthError::InvalidToken);
        }
        if row.user_disabled {
            return Err(AuthError::Disabled);
        }
        let user = self
            .store()
            .user_by_id(row.user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        // Note the use at most once a minute: a write on every call would serialise readers.
        if row
            .last_used_at
            .is_none_or(|t| now - t > chrono::Duration::seconds(60))
        {
            // Best effort: a read must keep working while writes cannot (a full disk).
            if let Err(e) = self.store().touch_token(row.id, now).await {
                tracing::warn!("could not note a token's use: {e}");
            }
        }
        let principal = Principal {
            user,
            token_id: row.id,
            kind: row.kind,
            token_name: row.name,
            client_name: row.client_name,
            resource: row.resource,
        };
        self.verified.put(
            hash,
            Verified {
                principal: principal.clone(),
                expires_at: row.expires_at,
                checked: Instant::now(),
                epoch,
            },
        );
        Ok(principal)
    }
}

/// How long a server-side confirmation token stays valid.
pub const CONFIRMATION_MINUTES: i64 = 10;

/// A consumed, valid confirmation token: what it lets the caller apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    /// The version of the record the change was previewed on (`None` for a change that creates
    /// one): the change may apply to that version only.
    pub record_version: Option<i64>,
}

/// The token's `scope`: the arguments' hash, and the previewed record's version when there is one.
fn confirmation_scope(args_hash: &str, record_version: Option<i64>) -> String {
    match record_version {
        Some(v) => format!("{args_hash}@{v}"),
        None => args_hash.to_string(),
    }
}

impl Auth {
    /// Mints a single-use confirmation token bound to user, tool, arguments and, for a change to
    /// an existing record, the record's version as previewed.
    pub async fn create_confirmation(
        &self,
        user_id: i64,
        tool: &str,
        args_hash: &str,
        record_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let token = format!("fwc_{}", random_secret(24));
        let scope = confirmation_scope(args_hash, record_version);
        self.store()
            .insert_token(
                NewToken {
                    kind: "confirm",
                    hash: &secret_hash(&token),
                    prefix: "fwc_",
                    name: tool,
                    user_id,
                    client_id: None,
                    resource: None,
                    family: None,
                    scope: Some(&scope),
                    expires_at: Some(now + chrono::Duration::minutes(CONFIRMATION_MINUTES)),
                },
                now,
            )
            .await?;
        Ok(token)
    }

    /// Consumes a confirmation token: `None` unless it matches user, tool and arguments, is
    /// unexpired and unused. A valid token comes back with the record version it is bound to.
    pub async fn consume_confirmation(
        &self,
        token: &str,
        user_id: i64,
        tool: &str,
        args_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Confirmed>, AuthError> {
        if token.len() > 100 {
            return Ok(None);
        }
        let Some(row) = self.store().token_by_hash(&secret_hash(token)).await? else {
            return Ok(None);
        };
        let scope = row.scope.as_deref().unwrap_or_default();
        let (hash, record_version) = match scope.split_once('@') {
            Some((h, v)) => match v.parse::<i64>() {
                Ok(v) => (h, Some(v)),
                Err(_) => return Ok(None),
            },
            None => (scope, None),
        };
        let ok = row.kind == "confirm"
            && row.user_id == user_id
            && row.name == tool
            && hash == args_hash
            && row.revoked_at.is_none()
            && row.expires_at.is_some_and(|e| e > now);
        let used = ok && self.store().mark_token_used(row.id, now).await?;
        Ok(used.then_some(Confirmed { record_version }))
    }
}
