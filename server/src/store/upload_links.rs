//! Upload links (`upload_links`): only the link's SHA-256 is stored; `auth` mints and checks
//! them. A link is claimed by one upload at a time (`used_at`), released if that upload is
//! refused, and keeps the attachment its upload stored.
use super::{get, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::QueryResult;

/// A stored upload link.
#[derive(Debug, Clone)]
pub struct UploadLinkRow {
    pub id: i64,
    pub user_id: i64,
    pub app_id: i64,
    pub record_id: i64,
    /// A file field (`receipt`) or a line's file column (`items.receipt`).
    pub field: String,
    /// The line whose file the link sets; `None` for a new line (or a plain file field).
    pub line_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub attachment_id: Option<i64>,
}

/// An upload link to insert.
pub struct NewUploadLink<'a> {
    pub hash: &'a str,
    pub user_id: i64,
    pub app_id: i64,
    pub record_id: i64,
    pub field: &'a str,
    pub line_id: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

const COLS: &str =
    "id, user_id, app_id, record_id, field, line_id, created_at, expires_at, used_at, attachment_id";

impl UploadLinkRow {
    fn from_row(r: &QueryResult) -> Result<UploadLinkRow> {
        Ok(UploadLinkRow {
            id: get(r, "id")?,
            user_id: get(r, "user_id")?,
            app_id: get(r, "app_id")?,
            record_id: get(r, "record_id")?,
            field: get(r, "field")?,
            line_id: get(r, "line_id")?,
            created_at: get(r, "created_at")?,
            expires_at: get(r, "expires_at")?,
            used_at: get(r, "used_at")?,
            attachment_id: get(r, "attachment_id")?,
        })
    }
}

impl Store {
    pub async fn insert_upload_link(
        &self,
        l: NewUploadLink<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let row = self
            .write_returning(
                "INSERT INTO upload_links (token_hash, user_id, app_id, record_id, field, line_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                vec![
                    l.hash.into(),
                    l.user_id.into(),
                    l.app_id.into(),
                    l.record_id.into(),
                    l.field.into(),
                    l.line_id.map(String::from).into(),
                    now.into(),
                    l.expires_at.into(),
                ],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        get(&row, "id")
    }

    pub async fn upload_link_by_hash(&self, hash: &str) -> Result<Option<UploadLinkRow>> {
        let sql = format!("SELECT {COLS} FROM upload_links WHERE token_hash = ?");
        self.one(&sql, vec![hash.into()])
            .await?
            .map(|r| UploadLinkRow::from_row(&r))
            .transpose()
    }

    /// A link by id, only when it belongs to `user_id`.
    pub async fn user_upload_link(&self, id: i64, user_id: i64) -> Result<Option<UploadLinkRow>> {
        let sql = format!("SELECT {COLS} FROM upload_links WHERE id = ? AND user_id = ?");
        self.one(&sql, vec![id.into(), user_id.into()])
            .await?
            .map(|r| UploadLinkRow::from_row(&r))
            .transpose()
    }

    /// Claims an unused, unexpired link for one upload: false when another got there first or
    /// it has expired.
    pub async fn claim_upload_link(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE upload_links SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?",
                vec![now.into(), id.into(), now.into()],
            )
            .await?
            > 0)
    }

    /// Gives a claim back (its upload was refused), so the link can be tried again.
    pub async fn release_upload_link(&self, id: i64, claimed_at: DateTime<Utc>) -> Result<()> {
        self.exec(
            "UPDATE upload_links SET used_at = NULL WHERE id = ? AND used_at = ? AND attachment_id IS NULL",
            vec![id.into(), claimed_at.into()],
        )
        .await?;
        Ok(())
    }

    /// Notes the attachment a claimed link's upload stored.
    pub async fn finish_upload_link(&self, id: i64, attachment_id: i64) -> Result<()> {
        self.exec(
            "UPDATE upload_links SET attachment_id = ? WHERE id = ?",
            vec![attachment_id.into(), id.into()],
        )
        .await?;
        Ok(())
    }

    /// Withdraws one of `user_id`'s links that nothing was sent through yet (the person said
    /// no): it expires now. False when it was used, had expired, or is not theirs.
    pub async fn withdraw_upload_link(
        &self,
        id: i64,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE upload_links SET expires_at = ? WHERE id = ? AND user_id = ? AND used_at IS NULL AND expires_at > ?",
                vec![now.into(), id.into(), user_id.into(), now.into()],
            )
            .await?
            > 0)
    }

    /// Moves a link's expiry (the CLI's and tests' way to age one).
    pub async fn set_upload_link_expiry(&self, id: i64, expires_at: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .exec(
                "UPDATE upload_links SET expires_at = ? WHERE id = ?",
                vec![expires_at.into(), id.into()],
            )
            .await?
            > 0)
    }
}
