//! Which blobs the database points to: every attachment's file and its derivatives.
use super::{get, Result, Store};
use std::collections::BTreeSet;

impl Store {
    /// The SHA-256 of every blob an attachment row refers to (the original and, in its `meta`,
    /// each derivative). Blobs outside this set are unreferenced: left by an upload whose row
    /// was never written.
    pub async fn referenced_blobs(&self) -> Result<BTreeSet<String>> {
        let rows = self
            .all("SELECT sha256, meta FROM attachments", vec![])
            .await?;
        let mut out = BTreeSet::new();
        for r in &rows {
            let sha: String = get(r, "sha256")?;
            let meta: String = get(r, "meta")?;
            out.insert(sha);
            out.extend(derivative_blobs(&meta));
        }
        Ok(out)
    }
}

/// The derivative hashes in an attachment's `meta` (`{"derivatives": {"thumb": "<sha>", …}}`).
pub(crate) fn derivative_blobs(meta: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(meta)
        .ok()
        .and_then(|m| {
            m.get("derivatives").and_then(|d| d.as_object()).map(|d| {
                d.values()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
        })
        .unwrap_or_default()
}
