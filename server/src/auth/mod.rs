//! Users, password hashing (argon2id), web sessions and bearer tokens. The only module that mints
//! or checks secrets; everything secret is stored as a hash.
mod accounts;
pub mod oauth;
mod password;
mod rejected;
mod reset;
mod sessions;
pub mod throttle;
mod tokens;
mod upload_links;

pub use accounts::PasswordChangeError;
pub use password::{
    check_new_password, hash_password, verify_password, PasswordRule, MIN_PASSWORD_CHARS,
};
pub use rejected::RejectedFrom;
pub use reset::{ResetError, ResetLink, RESET_MINUTES};
pub use sessions::{SessionSummary, WebSession};
pub use tokens::{Principal, PAT_PREFIX};
pub use upload_links::{MintedUploadLink, UploadLinkFor, UploadLinkState, UPLOAD_LINK_PREFIX};

use crate::store::{Store, StoreError, UserRow};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Failed sign-ins before an account locks.
pub const LOCKOUT_THRESHOLD: i32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_MINUTES: i64 = 15;

/// Why authentication failed. Messages never say which of username or password was wrong.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the username or password is incorrect")]
    InvalidCredentials,
    #[error("too many failed sign-ins: the account is locked until {0} UTC")]
    Locked(String),
    #[error("the account is disabled")]
    Disabled,
    #[error("the token is invalid, expired or revoked")]
    InvalidToken,
    #[error("too many failed attempts from your network address: try again in {0} minutes")]
    TooManyAttempts(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Random secret of `bytes` bytes from the OS CSPRNG, base64url without padding.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a high-entropy secret, hex. (Passwords use argon2id instead.)
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of two strings.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Authentication service over the store.
#[derive(Clone)]
pub struct Auth {
    store: Store,
    verified: std::sync::Arc<tokens::VerifiedTokens>,
    rejected: std::sync::Arc<rejected::RejectedBearers>,
}

impl Auth {
    pub fn new(store: Store) -> Auth {
        Auth {
            store,
            verified: Default::default(),
            rejected: Default::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Checks a username and password, with lockout after repeated failures. Each attempt is
    /// counted before its password is checked, so however many arrive at once no more than
    /// [`LOCKOUT_THRESHOLD`] are checked before the account locks; a success resets the count.
    /// A username no account has is counted, locked and answered the same way, with the same
    /// work, so neither the answer nor its timing tells which usernames exist.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<UserRow, AuthError> {
        let username = username.trim();
        let user = self.store.user_by_name(username).await?;
        let locked = match &user {
            Some(u) => {
                let lock_until = now + Duration::minutes(LOCKOUT_MINUTES);
                match self
                    .store
                    .claim_sign_in_attempt(u.id, LOCKOUT_THRESHOLD, now, lock_until)
                    .await
                {
                    Err(StoreError::NotFound) => return Err(AuthError::InvalidCredentials),
                    other => other?,
                }
            }
            None => self.claim_unknown_account(username, now).await?,
        };
        if let Some(until) = locked {
            return Err(AuthError::Locked(
                until.format("%Y-%m-%d %H:%M").to_string(),
            ));
        }
        let hash = user.as_ref().map_or_else(
            || password::DUMMY_HASH.to_string(),
            |u| u.password_hash.clone(),
        );
        let pw = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &pw))
            .await
            .unwrap_or(false);
        let Some(user) = user.filter(|_| ok) else {
            return Err(AuthError::InvalidCredentials);
        };
        if user.disabled {
            return Err(AuthError::Disabled);
        }
        self.store.clear_failed_logins(user.id).await?;
        Ok(user)
    }

    /// Creates a user with an argon2id password hash.
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        roles: &[String],
        now: DateTime<Utc>,
    ) -> Result<i64, AuthError> {
        let pw = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|_| AuthError::InvalidCredentials)?
            .map_err(|_| AuthError::InvalidCredentials)?;
        Ok(self
            .store
            .create_user(username, display_name, &hash, roles, now)
            .await?)
    }
}
