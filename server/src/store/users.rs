//! Users and web sessions.
use super::{get, is_unique_violation, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::QueryResult;

/// A user account as stored.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    fn from_row(r: &QueryResult) -> Result<UserRow> {
        let roles: String = get(r, "roles")?;
        Ok(UserRow {
            id: get(r, "id")?,
            username: get(r, "username")?,
            display_name: get(r, "display_name")?,
            password_hash: get(r, "password_hash")?,
            roles: roles
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            disabled: get(r, "disabled")?,
            failed_logins: get(r, "failed_logins")?,
            locked_until: get(r, "locked_until")?,
            created_at: get(r, "created_at")?,
        })
    }
}

/// A signed-in browser session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

const USER_COLS: &str =
    "id, username, display_name, password_hash, roles, disabled, failed_logins, locked_until, created_at";

impl Store {
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        roles: &[String],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let row = self
            .write_returning(
                "INSERT INTO users (username, display_name, password_hash, roles, disabled, failed_logins, created_at) VALUES (?, ?, ?, ?, ?, 0, ?) RETURNING id",
                vec![
                    username.into(),
                    display_name.into(),
                    password_hash.into(),
                    roles.join(",").into(),
                    false.into(),
                    now.into(),
                ],
            )
            .await
            .map_err(|e| match e {
                StoreError::Db(ref d) if is_unique_violation(d) => StoreError::Conflict,
                e => e,
            })?
            .ok_or(StoreError::NotFound)?;
        get(&row, "id")
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE username = ?");
        self.one(&sql, vec![username.into()])
            .await?
            .map(|r| UserRow::from_row(&r))
            .transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = ?");
        self.one(&sql, vec![id.into()])
            .await?
            .map(|r| UserRow::from_row(&r))
            .transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users ORDER BY username");
        self.all(&sql, vec![])
            .await?
            .iter()
            .map(UserRow::from_row)
            .collect()
    }

    pub async fn update_user(
        &self,
        id: i64,
        display_name: &str,
        roles: &[String],
        disabled: bool,
    ) -> Result<()> {
        self.exec(
            "UPDATE users SET display_name = ?, roles = ?, disabled = ? WHERE id = ?",
            vec![
                display_name.into(),
                roles.join(",").into(),
                disabled.into(),
                id.into(),
            ],
        )
        .await?;
        self.auth_changed();
        if disabled {
            self.exec(
                "DELETE FROM web_sessions WHERE user_id = ?",
                vec![id.into()],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn set_password_hash(&self, id: i64, hash: &str) -> Result<()> {
        self.exec(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            vec![hash.into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// Takes one sign-in attempt for an account before its password is checked: counts it and,
    /// once the count reaches `threshold`, locks the account until `lock_until`. One statement,
    /// so however many attempts arrive at once none passes a check that another has not yet
    /// counted. `None` when the attempt may go ahead, `Some(until)` while the account is locked.
    pub async fn claim_sign_in_attempt(
        &self,
        id: i64,
        threshold: i32,
        now: DateTime<Utc>,
        lock_until: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        // Retried when the lock is lifted between the two statements (a success, an admin).
        for _ in 0..3 {
            let claimed = self
                .write_returning(
                    "UPDATE users SET failed_logins = failed_logins + 1, locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) RETURNING id",
                    vec![threshold.into(), lock_until.into(), id.into(), now.into()],
                )
                .await?;
            if claimed.is_some() {
                return Ok(None);
            }
            let row = self
                .one(
                    "SELECT locked_until FROM users WHERE id = ?",
                    vec![id.into()],
                )
                .await?
                .ok_or(StoreError::NotFound)?;
            let until: Option<DateTime<Utc>> = get(&row, "locked_until")?;
            if let Some(until) = until.filter(|u| *u > now) {
                return Ok(Some(until));
            }
        }
        Ok(Some(now))
    }

    pub async fn clear_failed_logins(&self, id: i64) -> Result<()> {
        self.exec(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?",
            vec![id.into()],
        )
        .await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO web_sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            vec![id_hash.into(), user_id.into(), csrf.into(), now.into(), expires_at.into()],
        )
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row = self
            .one(
                "SELECT user_id, csrf_token, expires_at FROM web_sessions WHERE id = ?",
                vec![id_hash.into()],
            )
            .await?;
        row.map(|r| {
            Ok(SessionRow {
                user_id: get(&r, "user_id")?,
                csrf_token: get(&r, "csrf_token")?,
                expires_at: get(&r, "expires_at")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.exec(
            "DELETE FROM web_sessions WHERE id = ?",
            vec![id_hash.into()],
        )
        .await?;
        Ok(())
    }

    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.exec(
            "DELETE FROM web_sessions WHERE expires_at < ?",
            vec![now.into()],
        )
        .await
    }
}
