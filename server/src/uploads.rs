//! Uploads as both surfaces take them: bytes checked and processed by `receipts`, then stored
//! through the engine. The web form and the MCP "Upload receipt" tool both come through here, so
//! both enforce the same limits.
use crate::engine::{Actor, Engine, EngineError, NewFile, OperationRequest, Raw, StoredFile};
use crate::receipts::{self, Limits, PdfWorker, ReceiptError};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// Upload settings shared by the surfaces.
#[derive(Clone)]
pub struct Uploads {
    pub limits: Limits,
    pub worker: PdfWorker,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    Receipt(#[from] ReceiptError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// A stored, processed upload.
pub struct Uploaded {
    pub stored: StoredFile,
    pub content_type: String,
    pub size: u64,
    pub suggestions: serde_json::Value,
}

impl Uploads {
    /// Defaults, with the PDF worker run from this very binary.
    pub fn new(max_bytes: usize) -> Uploads {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("formwork"));
        Uploads {
            limits: Limits {
                max_bytes,
                ..Limits::default()
            },
            worker: PdfWorker {
                exe,
                args: vec!["internal".into(), "pdf-worker".into()],
            },
        }
    }

    /// Checks, processes and stores one file for `field` of app `slug`; counted by outcome.
    pub async fn upload(
        &self,
        engine: &Engine,
        actor: &Actor,
        slug: &str,
        field: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<Uploaded, UploadError> {
        let result = self
            .upload_checked(engine, actor, slug, field, filename, bytes)
            .await;
        crate::operate::metrics::upload(match &result {
            Ok(_) => "stored",
            Err(UploadError::Receipt(e)) => e.code(),
            Err(UploadError::Engine(_)) => "refused",
        });
        result
    }

    async fn upload_checked(
        &self,
        engine: &Engine,
        actor: &Actor,
        slug: &str,
        field: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<Uploaded, UploadError> {
        let p = receipts::process(&bytes, &self.limits, &self.worker).await?;
        let mut derivatives = vec![("thumb".to_string(), p.thumbnail.clone())];
        if let Some(m) = &p.mcp_image {
            derivatives.push(("mcp".into(), m.clone()));
        }
        for (i, img) in p.page_images.iter().enumerate() {
            derivatives.push((format!("page{}", i + 1), img.clone()));
        }
        let suggestions = serde_json::to_value(&p.suggestions).unwrap_or(json!({}));
        let meta = json!({
            "width": p.width,
            "height": p.height,
            "pdf_pages": p.pdf_pages,
            "pdf_text": p.pdf_text,
            "ocr_text": p.ocr_text,
            "page_images": p.page_images.len(),
            "suggestions": suggestions,
            "notes": p.notes,
        });
        let clean_name: String = filename
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("receipt")
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect();
        let stored = engine
            .store_file(
                actor,
                slug,
                field,
                NewFile {
                    filename: if clean_name.is_empty() {
                        "receipt".into()
                    } else {
                        clean_name
                    },
                    content_type: p.kind.content_type().to_string(),
                    bytes,
                    derivatives,
                    meta,
                },
            )
            .await?;
        Ok(Uploaded {
            stored,
            content_type: p.kind.content_type().into(),
            size: p.size,
            suggestions,
        })
    }
}

/// A file being received from a form, written to a temporary file in the data directory as it
/// arrives rather than held in memory; the temporary file is removed when this is dropped. Its
/// name ends in `.tmp` under `blobs/`, so the blob store's sweep removes one a crash left behind.
pub struct SpooledFile {
    path: PathBuf,
    file: Option<tokio::fs::File>,
    len: usize,
}

impl SpooledFile {
    /// An empty temporary file under `data_dir`.
    pub async fn create(data_dir: &Path) -> std::io::Result<SpooledFile> {
        let dir = data_dir.join("blobs").join("incoming");
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join(format!("{}.upload.tmp", uuid::Uuid::new_v4().simple()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(SpooledFile {
            path,
            file: Some(file),
            len: 0,
        })
    }

    /// Appends a chunk.
    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Err(std::io::Error::other("the file was already finished"));
        };
        file.write_all(chunk).await?;
        self.len += chunk.len();
        Ok(())
    }

    /// Flushes and closes the temporary file: every byte written is readable after this.
    pub async fn finish(&mut self) -> std::io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush().await?;
        }
        Ok(())
    }

    /// How many bytes were written.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The whole file in memory: receipt processing (type sniffing, image decoding, the PDF
    /// worker's input) and the blob store take the bytes at once, so a form's files are read
    /// back one at a time, each as it is processed.
    pub async fn bytes(&self) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(&self.path).await
    }
}

impl Drop for SpooledFile {
    fn drop(&mut self) {
        drop(self.file.take());
        // Best effort: a leftover is swept with the blob store's other temporary files.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Where the sample receipts live: `FORMWORK_SEED_DIR`, or `seed-data/` beside the working directory.
fn seed_dir() -> PathBuf {
    std::env::var_os("FORMWORK_SEED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("seed-data"))
}

/// Uploads the sample receipt `name` (from `seed-data/receipts`) for `field` of app `slug` (a
/// file field or a line's file column, `costs.receipt`); `None` when the samples are not present.
pub async fn upload_sample(
    engine: &Engine,
    uploads: &Uploads,
    actor: &Actor,
    slug: &str,
    field: &str,
    name: &str,
) -> Result<Option<i64>, String> {
    let Ok(bytes) = std::fs::read(seed_dir().join("receipts").join(name)) else {
        return Ok(None);
    };
    let up = uploads
        .upload(engine, actor, slug, field, name, bytes)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    Ok(Some(up.stored.attachment_id))
}

/// Attaches the `i`-th sample receipt to a demo claim; `None` when no samples are present.
pub async fn attach_sample(
    engine: &Engine,
    uploads: &Uploads,
    actor: &Actor,
    record_id: Option<i64>,
    i: usize,
) -> Result<Option<i64>, String> {
    let dir = seed_dir().join("receipts");
    let Ok(manifest) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return Ok(None);
    };
    let manifest: serde_json::Value = serde_json::from_str(&manifest).map_err(|e| e.to_string())?;
    let files: Vec<String> = match manifest
        .as_array()
        .or_else(|| manifest["receipts"].as_array())
    {
        Some(a) => a
            .iter()
            .filter_map(|r| r["file"].as_str().map(String::from))
            .collect(),
        None => manifest
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default(),
    };
    if files.is_empty() {
        return Ok(None);
    }
    let name = &files[i % files.len()];
    let bytes = std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
    let up = uploads
        .upload(engine, actor, "expense_claims", "receipt", name, bytes)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    let req = OperationRequest {
        record_id,
        inputs: BTreeMap::from([("receipt".into(), Raw::Json(up.stored.attachment_id.into()))]),
        ..Default::default()
    };
    engine
        .run_operation(actor, "expense_claims", "upload_receipt", &req, true)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(up.stored.attachment_id))
}
