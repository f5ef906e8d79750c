//! Rate limits on failures, per network address: sign-ins (on top of the per-account lockout),
//! client authentications at the token endpoint, and dynamic client registrations.
use super::{Auth, AuthError};
use chrono::{DateTime, Duration, Utc};

/// One rate limit: at most `max` counted events per `window` for one key.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// What is limited; prefixes the key.
    pub scope: &'static str,
    pub max: i64,
    pub window_minutes: i64,
}

/// Failed sign-ins from one address (many accounts, or one account past its lockout).
pub const SIGN_IN_PER_ADDRESS: Limit = Limit {
    scope: "sign-in",
    max: 20,
    window_minutes: 15,
};

/// Failed client authentications at the token and revocation endpoints from one address.
pub const CLIENT_AUTH_PER_ADDRESS: Limit = Limit {
    scope: "client-auth",
    max: 20,
    window_minutes: 15,
};

/// Dynamic client registrations from one address.
pub const REGISTRATION_PER_ADDRESS: Limit = Limit {
    scope: "register",
    max: 10,
    window_minutes: 60,
};

impl Limit {
    fn key(&self, who: &str) -> String {
        let who: String = who.chars().take(100).collect();
        format!("{}:{who}", self.scope)
    }

    fn window(&self) -> Duration {
        Duration::minutes(self.window_minutes)
    }
}

impl Auth {
    /// Refuses with [`AuthError::TooManyAttempts`] while `who` is over `limit`.
    pub async fn check_limit(
        &self,
        limit: &Limit,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        if let Some((start, count)) = self.store().throttle(&limit.key(who)).await? {
            let until = start + limit.window();
            if until > now && count >= limit.max {
                let minutes = (until - now).num_minutes() + 1;
                return Err(AuthError::TooManyAttempts(minutes));
            }
        }
        Ok(())
    }

    /// Counts one event against `limit` for `who`.
    pub async fn count_against(
        &self,
        limit: &Limit,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        Ok(self
            .store()
            .note_throttle_failure(&limit.key(who), limit.window(), now)
            .await?)
    }

    /// Signs in with the per-account lockout and, on top of it, the per-address limit.
    pub async fn sign_in_from(
        &self,
        address: &str,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::store::UserRow, AuthError> {
        self.check_limit(&SIGN_IN_PER_ADDRESS, address, now).await?;
        let result = self.sign_in(username, password, now).await;
        if matches!(
            result,
            Err(AuthError::InvalidCredentials | AuthError::Locked(_))
        ) {
            self.count_against(&SIGN_IN_PER_ADDRESS, address, now)
                .await?;
        }
        result
    }
}
