//! Rate limits on failures, per network address: sign-ins (on top of the per-account lockout),
//! client authentications at the token endpoint, and dynamic client registrations.
use super::{Auth, AuthError, LOCKOUT_MINUTES, LOCKOUT_THRESHOLD};
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

/// Sign-in attempts at a username no account has: counted and locked exactly like an account's
/// (`max` attempts, then locked for the window), so the answers do not tell which names exist.
const UNKNOWN_ACCOUNT: Limit = Limit {
    scope: "account",
    max: LOCKOUT_THRESHOLD as i64,
    window_minutes: LOCKOUT_MINUTES,
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

    /// Takes one attempt against `limit` for `who` before it is made, refusing with
    /// [`AuthError::TooManyAttempts`] once the window's attempts are all taken.
    pub async fn take_attempt(
        &self,
        limit: &Limit,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<Attempt, AuthError> {
        let key = limit.key(who);
        let (taken, window_start) = self
            .store()
            .claim_throttle_slot(&key, limit.max, limit.window(), now)
            .await?;
        if !taken {
            let minutes = (window_start + limit.window() - now).num_minutes() + 1;
            return Err(AuthError::TooManyAttempts(minutes.max(1)));
        }
        Ok(Attempt { key, window_start })
    }

    /// Gives back an attempt that turned out not to be a failure.
    pub async fn give_back(&self, attempt: Attempt) -> Result<(), AuthError> {
        Ok(self
            .store()
            .release_throttle_slot(&attempt.key, attempt.window_start)
            .await?)
    }

    /// Takes a sign-in attempt at a username no account has (see [`UNKNOWN_ACCOUNT`]):
    /// `Some(until)` while that name is locked.
    pub(super) async fn claim_unknown_account(
        &self,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, AuthError> {
        Ok(self
            .store()
            .claim_lockout_slot(
                &UNKNOWN_ACCOUNT.key(username),
                UNKNOWN_ACCOUNT.max,
                UNKNOWN_ACCOUNT.window(),
                now,
            )
            .await?)
    }

    /// Signs in with the per-account lockout and, on top of it, the per-address limit. The
    /// attempt is counted against the address before the password is checked, and given back
    /// when it was not a failure.
    pub async fn sign_in_from(
        &self,
        address: &str,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::store::UserRow, AuthError> {
        let attempt = self
            .take_attempt(&SIGN_IN_PER_ADDRESS, address, now)
            .await?;
        let result = self.sign_in(username, password, now).await;
        if matches!(result, Ok(_) | Err(AuthError::Disabled)) {
            self.give_back(attempt).await?;
        }
        result
    }
}

/// One attempt taken against a [`Limit`], in the window it was counted in.
pub struct Attempt {
    key: String,
    window_start: DateTime<Utc>,
}
