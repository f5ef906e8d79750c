//! Content-addressed file storage: bytes by SHA-256 under the data directory. Writes go to a
//! temporary file first and are renamed into place, so a crash never leaves a partial blob.
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Local blob store.
#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn new(data_dir: &Path) -> BlobStore {
        BlobStore {
            root: data_dir.join("blobs"),
        }
    }

    fn path(&self, sha: &str) -> Option<PathBuf> {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(&sha[..2]).join(sha))
    }

    /// Stores bytes; returns their SHA-256 (hex).
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        let Some(path) = self.path(&sha) else {
            return Err(std::io::Error::other("bad hash"));
        };
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(sha);
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(sha)
    }

    /// Reads a blob; `None` when absent.
    pub async fn get(&self, sha: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(sha) else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}
