//! Content-addressed file storage: bytes by SHA-256, in the data directory (the default) or in
//! S3-compatible object storage (`--blob-store s3://bucket?endpoint=…`). A blob is written
//! before the database row that points to it, so a crash leaves at most an unreferenced blob,
//! which `formwork blobs gc` removes.
use chrono::{DateTime, Utc};
use std::path::Path;

mod local;
mod object;

pub use local::LocalBlobs;
pub use object::{BadStoreUrl, ObjectBlobs};

/// Where uploaded files and their derivatives are kept.
#[derive(Clone, Debug)]
pub enum BlobStore {
    Local(LocalBlobs),
    Object(ObjectBlobs),
}

/// One stored blob, as a listing sees it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub sha256: String,
    pub size: u64,
    /// When it was written; `None` when the store does not say.
    pub modified: Option<DateTime<Utc>>,
}

/// Whether `s` is a SHA-256 in lowercase or uppercase hex: the only names blobs have.
pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl BlobStore {
    /// The data directory's store.
    pub fn new(data_dir: &Path) -> BlobStore {
        BlobStore::Local(LocalBlobs::new(data_dir))
    }

    /// The store a `--blob-store` value names: `s3://…` for object storage; none (or `local`)
    /// for the data directory.
    pub fn open(spec: Option<&str>, data_dir: &Path) -> Result<BlobStore, BadStoreUrl> {
        match spec
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "local")
        {
            None => Ok(BlobStore::new(data_dir)),
            Some(s) => Ok(BlobStore::Object(ObjectBlobs::open(s, data_dir)?)),
        }
    }

    /// Where the files are, for messages (no credentials).
    pub fn describe(&self) -> String {
        match self {
            BlobStore::Local(l) => l.describe(),
            BlobStore::Object(o) => o.describe(),
        }
    }

    /// Whether files can be stored now: the folder takes a file, or the bucket answers.
    pub async fn check_ready(&self) -> std::io::Result<()> {
        match self {
            BlobStore::Local(l) => l.check_ready(),
            BlobStore::Object(o) => o.check_ready().await,
        }
    }

    /// Stores bytes; returns their SHA-256 (hex). The bytes are durable when this returns.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        match self {
            BlobStore::Local(l) => l.put(bytes).await,
            BlobStore::Object(o) => o.put(bytes).await,
        }
    }

    /// Reads a blob; `None` when absent.
    pub async fn get(&self, sha: &str) -> std::io::Result<Option<Vec<u8>>> {
        match self {
            BlobStore::Local(l) => l.get(sha).await,
            BlobStore::Object(o) => o.get(sha).await,
        }
    }

    /// Every stored blob.
    pub async fn list(&self) -> std::io::Result<Vec<Listed>> {
        match self {
            BlobStore::Local(l) => l.list().await,
            BlobStore::Object(o) => o.list().await,
        }
    }

    /// Removes a blob (gone already is fine).
    pub async fn delete(&self, sha: &str) -> std::io::Result<()> {
        match self {
            BlobStore::Local(l) => l.delete(sha).await,
            BlobStore::Object(o) => o.delete(sha).await,
        }
    }

    /// Removes temporary files an interrupted write or upload left in the data directory
    /// (an object store's PUT leaves none). Returns how many were removed.
    pub fn clean_temporary(&self) -> usize {
        match self {
            BlobStore::Local(l) => l.clean_temporary(),
            BlobStore::Object(o) => o.clean_temporary(),
        }
    }
}
