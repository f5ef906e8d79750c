//! Web sessions: a random cookie value whose hash is the session's key, with a CSRF token.
use super::{random_secret, secret_hash, Auth, AuthError};
use crate::store::UserRow;
use chrono::{DateTime, Duration, Utc};

/// How long a web session lasts.
pub const SESSION_HOURS: i64 = 12;

/// One of a user's sessions as listed to them.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Whether this is the session of the cookie the list was asked with.
    pub current: bool,
}

/// A live web session.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub user: UserRow,
    pub csrf_token: String,
}

impl Auth {
    /// Starts a session; returns the cookie value (shown to the browser only).
    pub async fn start_session(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<String, AuthError> {
        let cookie = random_secret(32);
        let csrf = random_secret(24);
        self.store()
            .create_session(
                &secret_hash(&cookie),
                user_id,
                &csrf,
                now,
                now + Duration::hours(SESSION_HOURS),
            )
            .await?;
        Ok(cookie)
    }

    /// The session behind a cookie value, if live and its user enabled.
    pub async fn session(
        &self,
        cookie: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebSession>, AuthError> {
        let Some(s) = self.store().session(&secret_hash(cookie)).await? else {
            return Ok(None);
        };
        if s.expires_at < now {
            self.store().delete_session(&secret_hash(cookie)).await?;
            return Ok(None);
        }
        match self.store().user_by_id(s.user_id).await? {
            Some(user) if !user.disabled => Ok(Some(WebSession {
                user,
                csrf_token: s.csrf_token,
            })),
            _ => Ok(None),
        }
    }

    /// A user's live sessions, newest first, the one behind `cookie` marked current.
    pub async fn user_sessions(
        &self,
        user_id: i64,
        cookie: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionSummary>, AuthError> {
        let mine = cookie.map(secret_hash);
        Ok(self
            .store()
            .user_sessions(user_id, now)
            .await?
            .into_iter()
            .map(|(id, created_at, expires_at)| SessionSummary {
                created_at,
                expires_at,
                current: mine.as_deref().is_some_and(|m| super::same(m, &id)),
            })
            .collect())
    }

    /// Ends every session of a user but the one behind `cookie`; returns how many ended.
    pub async fn end_other_sessions(&self, user_id: i64, cookie: &str) -> Result<u64, AuthError> {
        Ok(self
            .store()
            .delete_user_sessions(user_id, Some(&secret_hash(cookie)))
            .await?)
    }

    pub async fn end_session(&self, cookie: &str) -> Result<(), AuthError> {
        Ok(self.store().delete_session(&secret_hash(cookie)).await?)
    }
}
