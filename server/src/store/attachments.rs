//! Attachment metadata; the bytes live in the content-addressed blob store (by sha256).
use super::{get, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::QueryResult;

/// A new attachment's metadata.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub app_id: i64,
    pub field: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    /// JSON: derivative hashes, PDF text, suggestions.
    pub meta: String,
    pub uploaded_by: i64,
}

/// A stored attachment.
#[derive(Debug, Clone)]
pub struct AttachmentRow {
    pub id: i64,
    pub record_id: Option<i64>,
    pub app_id: i64,
    pub field: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub meta: String,
    pub uploaded_by: i64,
    pub created_at: DateTime<Utc>,
}

impl AttachmentRow {
    fn from_row(r: &QueryResult) -> Result<AttachmentRow> {
        Ok(AttachmentRow {
            id: get(r, "id")?,
            record_id: get(r, "record_id")?,
            app_id: get(r, "app_id")?,
            field: get(r, "field")?,
            sha256: get(r, "sha256")?,
            size: get(r, "size")?,
            content_type: get(r, "content_type")?,
            filename: get(r, "filename")?,
            meta: get(r, "meta")?,
            uploaded_by: get(r, "uploaded_by")?,
            created_at: get(r, "created_at")?,
        })
    }
}

const ATT_COLS: &str =
    "id, record_id, app_id, field, sha256, size, content_type, filename, meta, uploaded_by, created_at";

impl Store {
    pub async fn insert_attachment(&self, a: &NewAttachment, now: DateTime<Utc>) -> Result<i64> {
        let row = self
            .write_returning(
                "INSERT INTO attachments (app_id, field, sha256, size, content_type, filename, meta, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                vec![
                    a.app_id.into(),
                    a.field.clone().into(),
                    a.sha256.clone().into(),
                    a.size.into(),
                    a.content_type.clone().into(),
                    a.filename.clone().into(),
                    a.meta.clone().into(),
                    a.uploaded_by.into(),
                    now.into(),
                ],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        get(&row, "id")
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRow>> {
        let sql = format!("SELECT {ATT_COLS} FROM attachments WHERE id = ?");
        self.one(&sql, vec![id.into()])
            .await?
            .map(|r| AttachmentRow::from_row(&r))
            .transpose()
    }

    pub async fn attachments_of(&self, record_id: i64) -> Result<Vec<AttachmentRow>> {
        let sql = format!("SELECT {ATT_COLS} FROM attachments WHERE record_id = ? ORDER BY id");
        self.all(&sql, vec![record_id.into()])
            .await?
            .iter()
            .map(AttachmentRow::from_row)
            .collect()
    }

    /// Removes an upload that was never attached to a record, when `uploaded_by` sent it; true
    /// when a row was removed. Its blob files are left to `blobs gc` (see `Engine::discard_upload`).
    pub async fn delete_unattached_attachment(&self, id: i64, uploaded_by: i64) -> Result<bool> {
        let n = self
            .exec(
                "DELETE FROM attachments WHERE id = ? AND uploaded_by = ? AND record_id IS NULL",
                vec![id.into(), uploaded_by.into()],
            )
            .await?;
        Ok(n > 0)
    }

    /// Other records of the same app holding a file with this content.
    pub async fn records_with_sha(&self, app_id: i64, sha256: &str) -> Result<Vec<i64>> {
        let rows = self
            .all(
                "SELECT DISTINCT record_id FROM attachments WHERE app_id = ? AND sha256 = ? AND record_id IS NOT NULL",
                vec![app_id.into(), sha256.into()],
            )
            .await?;
        rows.iter().map(|r| get::<i64>(r, "record_id")).collect()
    }
}
