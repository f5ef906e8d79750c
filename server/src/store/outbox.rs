//! Notifications: one row per notice to a user, written in the transaction of the change it
//! tells of. The same row is the user's in-app notice and, when the user has an address, the
//! email outbox entry that a worker claims, sends and marks.
use super::{get, Dialect, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseTransaction, QueryResult};

/// A notice to write with a record change; the record's id and version are filled in by the
/// write (see [`Store::apply_write`]).
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub user_id: i64,
    /// The recipient's address now; `None`: in-app only.
    pub email: Option<String>,
    pub app_id: i64,
    pub app_slug: String,
    pub app_name: String,
    pub record_title: String,
    pub operation_title: String,
    pub actor_name: String,
}

/// A stored notice.
#[derive(Debug, Clone)]
pub struct NoticeRow {
    pub id: i64,
    pub user_id: i64,
    pub app_slug: String,
    pub app_name: String,
    pub record_id: i64,
    pub record_version: i64,
    pub record_title: String,
    pub operation_title: String,
    pub actor_name: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub email: Option<String>,
    /// `queued`, `sent`, `failed` or `none`.
    pub email_status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub idempotency_key: String,
}

impl NoticeRow {
    fn from_row(r: &QueryResult) -> Result<NoticeRow> {
        Ok(NoticeRow {
            id: get(r, "id")?,
            user_id: get(r, "user_id")?,
            app_slug: get(r, "app_slug")?,
            app_name: get(r, "app_name")?,
            record_id: get(r, "record_id")?,
            record_version: get(r, "record_version")?,
            record_title: get(r, "record_title")?,
            operation_title: get(r, "operation_title")?,
            actor_name: get(r, "actor_name")?,
            created_at: get(r, "created_at")?,
            read_at: get(r, "read_at")?,
            email: get(r, "email")?,
            email_status: get(r, "email_status")?,
            attempts: get(r, "attempts")?,
            next_attempt_at: get(r, "next_attempt_at")?,
            sent_at: get(r, "sent_at")?,
            last_error: get(r, "last_error")?,
            idempotency_key: get(r, "idempotency_key")?,
        })
    }
}

/// A user as a possible recipient.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    pub email: Option<String>,
}

const NOTICE_COLS: &str = "id, user_id, app_slug, app_name, record_id, record_version, record_title, operation_title, actor_name, created_at, read_at, email, email_status, attempts, next_attempt_at, sent_at, last_error, idempotency_key";

/// Emails a worker claims at a time.
const CLAIM_BATCH: i64 = 10;

impl Store {
    /// Writes the notices of a change inside its transaction. The idempotency key (record,
    /// version, recipient) makes a notice unique: writing it again changes nothing.
    pub(super) async fn insert_notices(
        &self,
        tx: &DatabaseTransaction,
        notices: &[NewNotice],
        record_id: i64,
        record_version: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        for n in notices {
            let key = format!("{record_id}:{record_version}:{}", n.user_id);
            let status = if n.email.is_some() { "queued" } else { "none" };
            self.tx_exec(
                tx,
                "INSERT INTO notifications (idempotency_key, user_id, app_id, app_slug, app_name, record_id, record_version, record_title, operation_title, actor_name, created_at, email, email_status, attempts, next_attempt_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT (idempotency_key) DO NOTHING",
                vec![
                    key.into(),
                    n.user_id.into(),
                    n.app_id.into(),
                    n.app_slug.clone().into(),
                    n.app_name.clone().into(),
                    record_id.into(),
                    record_version.into(),
                    n.record_title.clone().into(),
                    n.operation_title.clone().into(),
                    n.actor_name.clone().into(),
                    now.into(),
                    n.email.clone().into(),
                    status.into(),
                    now.into(),
                ],
            )
            .await?;
        }
        Ok(())
    }

    /// Every user with their address and roles (recipients of `role` and `field` entries).
    pub async fn list_users_with_email(&self) -> Result<Vec<Recipient>> {
        let rows = self
            .all(
                "SELECT id, username, display_name, roles, disabled, email FROM users ORDER BY id",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let roles: String = get(r, "roles")?;
                Ok(Recipient {
                    id: get(r, "id")?,
                    username: get(r, "username")?,
                    display_name: get(r, "display_name")?,
                    roles: roles
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    disabled: get(r, "disabled")?,
                    email: get(r, "email")?,
                })
            })
            .collect()
    }

    /// Sets (or with `None`, clears) a user's email address.
    pub async fn set_user_email(&self, user_id: i64, email: Option<&str>) -> Result<()> {
        let n = self
            .exec(
                "UPDATE users SET email = ? WHERE id = ?",
                vec![email.map(str::to_string).into(), user_id.into()],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// A user's email address.
    pub async fn user_email(&self, user_id: i64) -> Result<Option<String>> {
        let row = self
            .one("SELECT email FROM users WHERE id = ?", vec![user_id.into()])
            .await?;
        Ok(row
            .map(|r| get::<Option<String>>(&r, "email"))
            .transpose()?
            .flatten())
    }

    /// A user's notices, newest first.
    pub async fn notices_for(&self, user_id: i64, limit: u64) -> Result<Vec<NoticeRow>> {
        let sql = format!(
            "SELECT {NOTICE_COLS} FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT {limit}"
        );
        self.all(&sql, vec![user_id.into()])
            .await?
            .iter()
            .map(NoticeRow::from_row)
            .collect()
    }

    /// How many of a user's notices are unread.
    pub async fn unread_notices(&self, user_id: i64) -> Result<u64> {
        let row = self
            .one(
                "SELECT COUNT(*) AS n FROM notifications WHERE user_id = ? AND read_at IS NULL",
                vec![user_id.into()],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(get::<i64>(&row, "n")?.max(0) as u64)
    }

    /// Marks one of the user's notices read (`Some(id)`) or all of them; another user's notice
    /// is never touched. Returns how many changed.
    pub async fn mark_notices_read(
        &self,
        user_id: i64,
        id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        match id {
            Some(id) => {
                self.exec(
                    "UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
                    vec![now.into(), id.into(), user_id.into()],
                )
                .await
            }
            None => {
                self.exec(
                    "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                    vec![now.into(), user_id.into()],
                )
                .await
            }
        }
    }

    /// How many emails the outbox holds in each status (queued, sending, sent, failed).
    pub async fn email_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = self
            .all(
                "SELECT email_status, COUNT(*) AS n FROM notifications WHERE email_status <> 'none' GROUP BY email_status",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "email_status")?, get(r, "n")?)))
            .collect()
    }

    /// The outbox for administrators: emails in one status (or every email), newest first.
    pub async fn outbox(&self, status: Option<&str>, limit: u64) -> Result<Vec<NoticeRow>> {
        let (filter, values) = match status {
            Some(s) => ("email_status = ?", vec![s.into()]),
            None => ("email_status <> 'none'", vec![]),
        };
        let sql = format!(
            "SELECT {NOTICE_COLS} FROM notifications WHERE {filter} ORDER BY id DESC LIMIT {limit}"
        );
        self.all(&sql, values)
            .await?
            .iter()
            .map(NoticeRow::from_row)
            .collect()
    }

    /// How many emails are in each status: (queued, sent, failed).
    pub async fn outbox_counts(&self) -> Result<(u64, u64, u64)> {
        let rows = self
            .all(
                "SELECT email_status, COUNT(*) AS n FROM notifications GROUP BY email_status",
                vec![],
            )
            .await?;
        let mut out = (0, 0, 0);
        for r in rows {
            let n = get::<i64>(&r, "n")?.max(0) as u64;
            match get::<String>(&r, "email_status")?.as_str() {
                "queued" => out.0 = n,
                "sent" => out.1 = n,
                "failed" => out.2 = n,
                _ => {}
            }
        }
        Ok(out)
    }

    /// Puts a failed (or queued) email back in the queue, due now.
    pub async fn retry_email(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let n = self
            .exec(
                "UPDATE notifications SET email_status = 'queued', attempts = 0, next_attempt_at = ?, last_error = NULL, claimed_by = NULL, claimed_at = NULL \
                 WHERE id = ? AND email_status IN ('failed', 'queued')",
                vec![now.into(), id.into()],
            )
            .await?;
        Ok(n > 0)
    }

    /// Claims up to a batch of due emails for `worker`. A claim older than `stale_before` (its
    /// process died mid-send) may be taken over. On PostgreSQL the rows are locked with
    /// `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches; on SQLite each row
    /// is claimed by one conditional `UPDATE`, which only one worker can win.
    pub async fn claim_emails(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Vec<NoticeRow>> {
        let due = "email_status = 'queued' AND next_attempt_at <= ? AND (claimed_by IS NULL OR claimed_at < ?)";
        match self.dialect {
            Dialect::Postgres => {
                let sql = format!(
                    "UPDATE notifications SET claimed_by = ?, claimed_at = ? WHERE id IN \
                     (SELECT id FROM notifications WHERE {due} ORDER BY id LIMIT {CLAIM_BATCH} FOR UPDATE SKIP LOCKED) \
                     RETURNING {NOTICE_COLS}"
                );
                let rows = self
                    .all(
                        &sql,
                        vec![worker.into(), now.into(), now.into(), stale_before.into()],
                    )
                    .await?;
                let mut out: Vec<NoticeRow> = rows
                    .iter()
                    .map(NoticeRow::from_row)
                    .collect::<Result<_>>()?;
                out.sort_by_key(|n| n.id);
                Ok(out)
            }
            Dialect::Sqlite => {
                let sql = format!(
                    "SELECT {NOTICE_COLS} FROM notifications WHERE {due} ORDER BY id LIMIT {CLAIM_BATCH}"
                );
                let candidates = self
                    .all(&sql, vec![now.into(), stale_before.into()])
                    .await?;
                let mut out = Vec::new();
                for c in candidates.iter().map(NoticeRow::from_row) {
                    let c = c?;
                    let won = self
                        .exec(
                            &format!(
                                "UPDATE notifications SET claimed_by = ?, claimed_at = ? WHERE id = ? AND {due}"
                            ),
                            vec![
                                worker.into(),
                                now.into(),
                                c.id.into(),
                                now.into(),
                                stale_before.into(),
                            ],
                        )
                        .await?;
                    if won == 1 {
                        out.push(c);
                    }
                }
                Ok(out)
            }
        }
    }

    /// Records a sent email; only the worker holding the claim can.
    pub async fn email_sent(&self, id: i64, worker: &str, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE notifications SET email_status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL, claimed_by = NULL, claimed_at = NULL \
             WHERE id = ? AND claimed_by = ?",
            vec![now.into(), id.into(), worker.into()],
        )
        .await?;
        Ok(())
    }

    /// Records a failed attempt: queued again for `next` or, with `next = None`, failed for good.
    pub async fn email_attempt_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        next: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let status = if next.is_some() { "queued" } else { "failed" };
        self.exec(
            "UPDATE notifications SET email_status = ?, next_attempt_at = ?, attempts = attempts + 1, last_error = ?, claimed_by = NULL, claimed_at = NULL \
             WHERE id = ? AND claimed_by = ?",
            vec![
                status.into(),
                next.into(),
                error.into(),
                id.into(),
                worker.into(),
            ],
        )
        .await?;
        Ok(())
    }
}
