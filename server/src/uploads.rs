//! Uploads as both surfaces take them: bytes checked and processed by `receipts`, then stored
//! through the engine. The web form and the MCP "Upload receipt" tool both come through here, so
//! both enforce the same limits.
use crate::engine::{Actor, Engine, EngineError, NewFile, OperationRequest, Raw, StoredFile};
use crate::receipts::{self, Limits, PdfWorker, ReceiptError};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;

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

    /// Checks, processes and stores one file for `field` of app `slug`.
    pub async fn upload(
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

/// Where the sample receipts live: `FORMWORK_SEED_DIR`, or `seed-data/` beside the working directory.
fn seed_dir() -> PathBuf {
    std::env::var_os("FORMWORK_SEED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("seed-data"))
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
