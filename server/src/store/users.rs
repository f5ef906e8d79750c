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
    /// Set when an administrator chose the password: the user must choose a new one.
    pub must_change_password: bool,
    /// Whose report this user is (routing: "records owned by my reports").
    pub manager_id: Option<i64>,
    /// The IANA time zone dates and times are shown in on the web; `None`: UTC.
    pub time_zone: Option<String>,
    /// The department an administrator set; a field's default may copy it (`$me.department`).
    pub department: Option<String>,
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
            must_change_password: get(r, "must_change_password")?,
            manager_id: get(r, "manager_id")?,
            time_zone: get(r, "time_zone")?,
            department: get(r, "department")?,
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
    "id, username, display_name, password_hash, roles, disabled, failed_logins, locked_until, created_at, must_change_password, manager_id, time_zone, department";

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

    /// Users whose email address is `email` (ASCII case-insensitive); addresses need not be
    /// unique, so several may come back.
    pub async fn users_by_email(&self, email: &str) -> Result<Vec<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE LOWER(email) = LOWER(?)");
        self.all(&sql, vec![email.into()])
            .await?
            .iter()
            .map(UserRow::from_row)
            .collect()
    }

    /// Sets (or with `None`, clears) a user's department.
    pub async fn set_user_department(&self, id: i64, department: Option<&str>) -> Result<()> {
        let n = self
            .exec(
                "UPDATE users SET department = ? WHERE id = ?",
                vec![department.map(str::to_string).into(), id.into()],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Sets (or with `None`, clears) the time zone a user's dates and times are shown in.
    pub async fn set_user_time_zone(&self, id: i64, time_zone: Option<&str>) -> Result<()> {
        let n = self
            .exec(
                "UPDATE users SET time_zone = ? WHERE id = ?",
                vec![time_zone.map(str::to_string).into(), id.into()],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
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

    /// Replaces a password hash, sets or clears the must-change flag and lifts any lockout.
    /// `Ok(false)` when no such user exists.
    pub async fn set_password_hash(&self, id: i64, hash: &str, must_change: bool) -> Result<bool> {
        let n = self
            .exec(
                "UPDATE users SET password_hash = ?, must_change_password = ?, failed_logins = 0, locked_until = NULL WHERE id = ?",
                vec![hash.into(), must_change.into(), id.into()],
            )
            .await?;
        self.auth_changed();
        Ok(n > 0)
    }

    /// Sets or clears the flag that sends a user to the change-password page.
    pub async fn set_must_change_password(&self, id: i64, must_change: bool) -> Result<()> {
        self.exec(
            "UPDATE users SET must_change_password = ? WHERE id = ?",
            vec![must_change.into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// Deletes a user who owns no records (their sessions and tokens go with them; history
    /// keeps the name it stored). One statement, so a record created meanwhile still blocks it.
    /// `None` once deleted, `Some(n)` when the user still owns `n` records.
    pub async fn delete_user(&self, id: i64) -> Result<Option<i64>> {
        let n = self
            .exec(
                "DELETE FROM users WHERE id = ? AND NOT EXISTS (SELECT 1 FROM records WHERE owner_id = ?)",
                vec![id.into(), id.into()],
            )
            .await?;
        if n > 0 {
            self.exec("DELETE FROM oauth_codes WHERE user_id = ?", vec![id.into()])
                .await?;
            self.auth_changed();
            return Ok(None);
        }
        if self.user_by_id(id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let row = self
            .one(
                "SELECT COUNT(*) AS n FROM records WHERE owner_id = ?",
                vec![id.into()],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Some(get(&row, "n")?))
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

    /// A user's live sessions, newest first: each one's key (the cookie's hash), creation and
    /// expiry.
    pub async fn user_sessions(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>, DateTime<Utc>)>> {
        let rows = self
            .all(
                "SELECT id, created_at, expires_at FROM web_sessions WHERE user_id = ? AND expires_at >= ? ORDER BY created_at DESC",
                vec![user_id.into(), now.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "id")?, get(r, "created_at")?, get(r, "expires_at")?)))
            .collect()
    }

    /// Ends every session of a user except `keep` (a session key); all of them when `None`.
    pub async fn delete_user_sessions(&self, user_id: i64, keep: Option<&str>) -> Result<u64> {
        match keep {
            Some(k) => {
                self.exec(
                    "DELETE FROM web_sessions WHERE user_id = ? AND id <> ?",
                    vec![user_id.into(), k.into()],
                )
                .await
            }
            None => {
                self.exec(
                    "DELETE FROM web_sessions WHERE user_id = ?",
                    vec![user_id.into()],
                )
                .await
            }
        }
    }

    /// The MCP clients a user allowed through OAuth and still holds live tokens of: client row
    /// id, name, when first allowed, when last used.
    pub async fn user_clients(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String, DateTime<Utc>, Option<DateTime<Utc>>)>> {
        let rows = self
            .all(
                "SELECT c.id, c.name, MIN(t.created_at) AS first_allowed, MAX(t.last_used_at) AS last_used FROM tokens t JOIN mcp_clients c ON c.id = t.client_id WHERE t.user_id = ? AND t.kind IN ('access', 'refresh') GROUP BY c.id, c.name HAVING SUM(CASE WHEN t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?) THEN 1 ELSE 0 END) > 0 ORDER BY c.name",
                vec![user_id.into(), now.into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get(r, "id")?,
                    get(r, "name")?,
                    get(r, "first_allowed")?,
                    get(r, "last_used")?,
                ))
            })
            .collect()
    }

    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.exec(
            "DELETE FROM web_sessions WHERE expires_at < ?",
            vec![now.into()],
        )
        .await
    }
}
