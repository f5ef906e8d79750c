//! Password resets by email: a single-use link that lives [`RESET_MINUTES`] minutes. Only the
//! link's SHA-256 is stored (a `tokens` row of kind `reset`). Requests are answered the same
//! whether or not an account matches; the caller sends the links this returns.
use super::password::check_new_password;
use super::throttle::Limit;
use super::{random_secret, secret_hash, Auth, AuthError, PasswordChangeError};
use crate::store::{NewToken, UserRow};
use chrono::{DateTime, Duration, Utc};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;
/// The `tokens.kind` of reset links.
const KIND: &str = "reset";

/// Reset requests from one network address, whatever they name (as sign-ins are limited).
pub const RESET_PER_ADDRESS: Limit = Limit {
    scope: "reset",
    max: 10,
    window_minutes: 15,
};

/// Reset emails to one account: nobody can fill a mailbox by asking again and again. Requests
/// past it are answered as usual and send nothing.
const RESET_PER_ACCOUNT: Limit = Limit {
    scope: "reset-account",
    max: 3,
    window_minutes: 60,
};

/// A reset link to send.
#[derive(Debug)]
pub struct ResetLink {
    pub user: UserRow,
    pub email: String,
    /// The secret that goes into the link; shown nowhere else.
    pub token: String,
}

impl Auth {
    /// Starts a reset for `who`, a username or an email address. Every request is counted
    /// against `address` ([`RESET_PER_ADDRESS`], refused with [`AuthError::TooManyAttempts`]).
    /// Returns the links to email: none when no enabled account with an address matches or the
    /// account had its share of emails this hour.
    pub async fn request_password_reset(
        &self,
        address: &str,
        who: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<ResetLink>, AuthError> {
        self.take_attempt(&RESET_PER_ADDRESS, address, now).await?;
        let who = who.trim();
        if who.is_empty() || who.chars().count() > 254 {
            return Ok(Vec::new());
        }
        let users = if who.contains('@') {
            self.store().users_by_email(who).await?
        } else {
            self.store().user_by_name(who).await?.into_iter().collect()
        };
        if users.is_empty() {
            // The same kind of work as for an account, so the answer's timing says less about
            // which names exist.
            match self
                .take_attempt(
                    &RESET_PER_ACCOUNT,
                    &format!("name:{}", who.to_lowercase()),
                    now,
                )
                .await
            {
                Ok(_) | Err(AuthError::TooManyAttempts(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let mut links = Vec::new();
        for user in users.into_iter().filter(|u| !u.disabled) {
            let Some(email) = self.store().user_email(user.id).await? else {
                continue;
            };
            match self
                .take_attempt(&RESET_PER_ACCOUNT, &format!("user:{}", user.id), now)
                .await
            {
                Ok(_) => {}
                Err(AuthError::TooManyAttempts(_)) => continue,
                Err(e) => return Err(e),
            }
            let token = format!("fwr_{}", random_secret(32));
            self.store()
                .insert_token(
                    NewToken {
                        kind: KIND,
                        hash: &secret_hash(&token),
                        prefix: "fwr_",
                        name: "password reset",
                        user_id: user.id,
                        client_id: None,
                        resource: None,
                        family: None,
                        scope: None,
                        expires_at: Some(now + Duration::minutes(RESET_MINUTES)),
                    },
                    now,
                )
                .await?;
            links.push(ResetLink { user, email, token });
        }
        Ok(links)
    }

    /// The account a reset link is for, while the link is unused and unexpired.
    pub async fn reset_link_user(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRow>, AuthError> {
        Ok(self.live_reset(token, now).await?.map(|(_, user)| user))
    }

    async fn live_reset(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(i64, UserRow)>, AuthError> {
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let Some(row) = self.store().token_by_hash(&secret_hash(token)).await? else {
            return Ok(None);
        };
        let live = row.kind == KIND
            && row.revoked_at.is_none()
            && row.used_at.is_none()
            && row.expires_at.is_some_and(|e| e > now)
            && !row.user_disabled;
        if !live {
            return Ok(None);
        }
        Ok(self
            .store()
            .user_by_id(row.user_id)
            .await?
            .map(|u| (row.id, u)))
    }

    /// Sets a new password through a reset link: the link must be live, the password typed
    /// twice and follow the rules of a change. The link is used up (so are the user's other
    /// reset links), any lockout lifts and every web session of the user ends.
    pub async fn complete_password_reset(
        &self,
        token: &str,
        new: &str,
        repeat: &str,
        now: DateTime<Utc>,
    ) -> Result<UserRow, ResetError> {
        let (token_id, user) = self
            .live_reset(token, now)
            .await?
            .ok_or(ResetError::InvalidLink)?;
        if new != repeat {
            return Err(PasswordChangeError::Mismatch.into());
        }
        check_new_password(&user.username, new).map_err(PasswordChangeError::from)?;
        // Used up before the password changes: of two submissions at once only one gets here.
        if !self.store().mark_token_used(token_id, now).await? {
            return Err(ResetError::InvalidLink);
        }
        self.store()
            .revoke_user_tokens_of_kind(user.id, KIND, now)
            .await?;
        self.set_password(user.id, new, false).await?;
        Ok(user)
    }
}

/// Why a reset did not set the password.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("this reset link is invalid, used or expired")]
    InvalidLink,
    #[error(transparent)]
    Password(#[from] PasswordChangeError),
}

impl From<AuthError> for ResetError {
    fn from(e: AuthError) -> Self {
        ResetError::Password(PasswordChangeError::Auth(e))
    }
}

impl From<crate::store::StoreError> for ResetError {
    fn from(e: crate::store::StoreError) -> Self {
        ResetError::Password(e.into())
    }
}
