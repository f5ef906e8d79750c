//! Changing passwords: one's own (current password required, other sessions end), an
//! administrator's temporary password (must be changed at next sign-in), and the demo's
//! well-known password check.
use super::password::{check_new_password, hash_password, verify_password, PasswordRule};
use super::{secret_hash, Auth, AuthError};
use crate::store::{StoreError, UserRow};

/// Why a password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    #[error("the current password is incorrect")]
    WrongCurrent,
    #[error("the two new passwords differ")]
    Mismatch,
    #[error("the new password must differ from the current one")]
    Unchanged,
    #[error(transparent)]
    Rule(#[from] PasswordRule),
    #[error("no such user")]
    NoSuchUser,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("the password could not be hashed: {0}")]
    Internal(String),
}

impl From<StoreError> for PasswordChangeError {
    fn from(e: StoreError) -> Self {
        PasswordChangeError::Auth(AuthError::Store(e))
    }
}

/// Hashes off the async workers.
async fn hash(password: &str) -> Result<String, PasswordChangeError> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(|e| PasswordChangeError::Internal(format!("password task: {e}")))?
        .map_err(|e| PasswordChangeError::Internal(format!("password hash: {e}")))
}

/// Verifies off the async workers; a verification that could not run does not verify.
async fn verifies(hash: &str, password: &str) -> bool {
    let (h, pw) = (hash.to_string(), password.to_string());
    tokio::task::spawn_blocking(move || verify_password(&h, &pw))
        .await
        .unwrap_or(false)
}

impl Auth {
    /// Changes a signed-in user's own password: the current one must verify, the new one is
    /// typed twice and follows the rules. Every other web session of the user ends (the one
    /// whose cookie is `keep_cookie` stays); personal access tokens and OAuth grants stay valid.
    pub async fn change_own_password(
        &self,
        user: &UserRow,
        current: &str,
        new: &str,
        repeat: &str,
        keep_cookie: Option<&str>,
    ) -> Result<(), PasswordChangeError> {
        if !verifies(&user.password_hash, current).await {
            return Err(PasswordChangeError::WrongCurrent);
        }
        if new != repeat {
            return Err(PasswordChangeError::Mismatch);
        }
        check_new_password(&user.username, new)?;
        if new == current {
            return Err(PasswordChangeError::Unchanged);
        }
        let h = hash(new).await?;
        if !self.store().set_password_hash(user.id, &h, false).await? {
            return Err(PasswordChangeError::NoSuchUser);
        }
        let keep = keep_cookie.map(secret_hash);
        self.store()
            .delete_user_sessions(user.id, keep.as_deref())
            .await?;
        Ok(())
    }

    /// Sets a user's password for them (an administrator, the CLI). With `temporary` the user
    /// must choose a new one at next sign-in. Every web session of the user ends.
    pub async fn set_password(
        &self,
        user_id: i64,
        new: &str,
        temporary: bool,
    ) -> Result<(), PasswordChangeError> {
        let user = self
            .store()
            .user_by_id(user_id)
            .await?
            .ok_or(PasswordChangeError::NoSuchUser)?;
        check_new_password(&user.username, new)?;
        let h = hash(new).await?;
        if !self
            .store()
            .set_password_hash(user.id, &h, temporary)
            .await?
        {
            return Err(PasswordChangeError::NoSuchUser);
        }
        self.store().delete_user_sessions(user.id, None).await?;
        Ok(())
    }

    /// The demo users (by username) who still have the demo's well-known password: one
    /// argon2 verification per demo user that exists.
    pub async fn users_with_password(
        &self,
        usernames: &[&str],
        password: &str,
    ) -> Result<Vec<String>, AuthError> {
        let mut found = Vec::new();
        for name in usernames {
            if let Some(u) = self.store().user_by_name(name).await? {
                if verifies(&u.password_hash, password).await {
                    found.push(u.username);
                }
            }
        }
        Ok(found)
    }
}
