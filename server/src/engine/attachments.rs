//! Files attached to records: checked against the app's file fields and the actor's operations,
//! stored by content hash, linked to a record when an operation sets the field.
use super::definition::FieldType;
use super::{Actor, Engine, EngineError};
use crate::store::NewAttachment;

/// A processed upload, ready to store: the original and its derivatives (thumbnail, MCP rendition).
pub struct NewFile {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// (kind, bytes) such as ("thumb", …), ("mcp", …), ("page1", …).
    pub derivatives: Vec<(String, Vec<u8>)>,
    /// Extra facts kept with the file (PDF text, suggestions, dimensions).
    pub meta: serde_json::Value,
}

/// A stored upload.
pub struct StoredFile {
    pub attachment_id: i64,
    pub sha256: String,
}

impl Engine {
    /// Stores an upload for a file field the actor may set through some operation.
    pub async fn store_file(
        &self,
        actor: &Actor,
        slug: &str,
        field: &str,
        file: NewFile,
    ) -> Result<StoredFile, EngineError> {
        let app = self.app(slug).await?;
        // A file field, or a file column of a lines field (`items.receipt`), set through the
        // lines field.
        let (input, target) = match super::lines::split_column_path(&app.def, field) {
            Some((lines, _, column)) => (lines, Some(column)),
            None => (field, app.def.fields.get(field)),
        };
        let kind = target.map(|f| f.kind);
        let label = target.map(|f| f.label.clone()).unwrap_or_default();
        let is_file = kind.is_some_and(|k| k.is_file());
        let settable = app
            .def
            .operations
            .values()
            .any(|o| o.inputs.iter().any(|i| i == input) && actor.has_any(&o.roles));
        if !is_file || !settable {
            return Err(EngineError::Forbidden(format!(
                "you cannot upload files to `{field}` of {}",
                app.def.name
            )));
        }
        // A photo field shows an image on the record; a PDF has no place there.
        if kind == Some(FieldType::Photo) && !file.content_type.starts_with("image/") {
            return Err(EngineError::Invalid(vec![super::FieldError {
                field: field.to_string(),
                label,
                message: format!(
                    "takes a photo (JPEG, PNG or WebP); this file is {}",
                    file.content_type
                ),
            }]));
        }
        let io = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                EngineError::Store(crate::store::StoreError::Full)
            }
            _ => EngineError::Conflict(format!("the file could not be stored: {e}")),
        };
        let sha256 = self.blobs().put(&file.bytes).await.map_err(io)?;
        let mut derivatives = serde_json::Map::new();
        for (kind, bytes) in &file.derivatives {
            let sha = self.blobs().put(bytes).await.map_err(io)?;
            derivatives.insert(kind.clone(), serde_json::Value::String(sha));
        }
        let mut meta = file.meta;
        if let Some(m) = meta.as_object_mut() {
            m.insert("derivatives".into(), serde_json::Value::Object(derivatives));
        }
        let attachment_id = self
            .store()
            .insert_attachment(
                &NewAttachment {
                    app_id: app.id,
                    field: field.to_string(),
                    sha256: sha256.clone(),
                    size: file.bytes.len() as i64,
                    content_type: file.content_type,
                    filename: file.filename,
                    meta: meta.to_string(),
                    uploaded_by: actor.user_id,
                },
                self.now(),
            )
            .await?;
        Ok(StoredFile {
            attachment_id,
            sha256,
        })
    }

    /// Takes back uploads stored for an operation that was then refused or only previewed, so a
    /// refusal leaves no attachment row behind. Only the actor's own uploads not attached to a
    /// record are removed. Their blob files stay until `blobs gc`: the store is shared by content,
    /// so another upload of the same bytes may have written (or found) the file and be about to
    /// insert its row; removing the file now could leave that row pointing at nothing, while gc
    /// removes only unreferenced files older than its age limit. Best effort: a failure here
    /// leaves an unattached upload, which is what every upload is until its operation runs.
    pub async fn discard_uploads(&self, actor: &Actor, ids: &[i64]) -> usize {
        let mut removed = 0;
        for &id in ids {
            match self
                .store()
                .delete_unattached_attachment(id, actor.user_id)
                .await
            {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(attachment = id, error = %e, "an upload of a refused operation could not be removed")
                }
            }
        }
        removed
    }

    /// Bytes of an attachment the actor may read: the original, or a derivative by kind.
    pub async fn file_bytes(
        &self,
        actor: &Actor,
        id: i64,
        kind: Option<&str>,
    ) -> Result<(crate::store::AttachmentRow, Vec<u8>), EngineError> {
        let att = self.attachment(actor, id).await?;
        let sha = match kind {
            None => Some(att.sha256.clone()),
            Some(k) => serde_json::from_str::<serde_json::Value>(&att.meta)
                .ok()
                .and_then(|m| m["derivatives"][k].as_str().map(String::from)),
        };
        let Some(sha) = sha else {
            return Err(EngineError::RecordNotFound(id));
        };
        let bytes = self
            .blobs()
            .get(&sha)
            .await
            .map_err(|e| EngineError::Conflict(format!("the file could not be read: {e}")))?
            .ok_or(EngineError::RecordNotFound(id))?;
        Ok((att, bytes))
    }
}
