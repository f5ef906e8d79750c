//! The data directory's blobs: bytes by SHA-256 under `<data dir>/blobs/<first two>/<sha>`.
//! Writes go to a temporary file first and are renamed into place, so a crash never leaves a
//! partial blob.
use super::{is_sha256, Listed};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Local blob store.
#[derive(Clone, Debug)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn new(data_dir: &Path) -> LocalBlobs {
        LocalBlobs {
            root: data_dir.join("blobs"),
        }
    }

    /// Where the files are, for messages.
    pub fn describe(&self) -> String {
        self.root.display().to_string()
    }

    /// Whether files can be stored now: the folder exists (or can be made) and takes a file.
    pub fn check_ready(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        let probe = self.root.join(format!(".ready-{}", std::process::id()));
        std::fs::write(&probe, b"ok")?;
        std::fs::remove_file(&probe)
    }

    fn path(&self, sha: &str) -> Option<PathBuf> {
        if !is_sha256(sha) {
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
        // A name of its own per write: concurrent writes of the same bytes (in this process or
        // another sharing the directory) must not share a temporary file.
        let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            tokio::io::AsyncWriteExt::write_all(&mut f, bytes).await?;
            // On disk before the database refers to it.
            f.sync_all().await?;
            drop(f);
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if let Err(e) = written {
            // A full disk must not leave partial temporary files behind.
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok(sha)
    }

    /// Removes temporary files that a write interrupted by a crash left behind (older than an
    /// hour, so writes in flight in another process sharing the directory are left alone).
    /// Returns how many were removed.
    pub fn clean_temporary(&self) -> usize {
        let cutoff = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let Ok(dirs) = std::fs::read_dir(&self.root) else {
            return 0;
        };
        let mut removed = 0;
        for dir in dirs.flatten() {
            let Ok(files) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name();
                // `<sha>.<uuid>.tmp`, and `<sha>.tmp<pid>` from earlier versions.
                let is_tmp = name.to_string_lossy().contains(".tmp");
                let old = f
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t < cutoff);
                if is_tmp && old && std::fs::remove_file(f.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
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

    /// Every stored blob with its size and age; temporary files and the uploads being received
    /// (`incoming/`) are not blobs.
    pub async fn list(&self) -> std::io::Result<Vec<Listed>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let dirs = match std::fs::read_dir(&root) {
                Ok(d) => d,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                Err(e) => return Err(e),
            };
            for dir in dirs {
                let dir = dir?;
                let name = dir.file_name().to_string_lossy().to_string();
                if name.len() != 2 || !dir.file_type()?.is_dir() {
                    continue;
                }
                for f in std::fs::read_dir(dir.path())? {
                    let f = f?;
                    let sha = f.file_name().to_string_lossy().to_string();
                    if !is_sha256(&sha) || !sha.starts_with(&name) {
                        continue;
                    }
                    let meta = f.metadata()?;
                    out.push(Listed {
                        sha256: sha,
                        size: meta.len(),
                        modified: meta.modified().ok().map(chrono::DateTime::from),
                    });
                }
            }
            Ok(out)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Removes a blob; a blob already gone is not an error.
    pub async fn delete(&self, sha: &str) -> std::io::Result<()> {
        let Some(path) = self.path(sha) else {
            return Ok(());
        };
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_writes_of_the_same_bytes_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobs::new(dir.path());
        let bytes = vec![42u8; 256 * 1024];
        let writes: Vec<_> = (0..16)
            .map(|_| {
                let (s, b) = (store.clone(), bytes.clone());
                tokio::spawn(async move { s.put(&b).await })
            })
            .collect();
        let mut shas = Vec::new();
        for w in writes {
            shas.push(w.await.unwrap().unwrap());
        }
        assert!(shas.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(store.get(&shas[0]).await.unwrap().unwrap(), bytes);
    }

    #[test]
    fn temporary_files_left_by_a_crash_are_removed_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("blobs").join("ab");
        std::fs::create_dir_all(&sub).unwrap();
        let old = sub.join("ab12.0123456789abcdef.tmp");
        let fresh = sub.join("ab34.fedcba9876543210.tmp");
        let blob = sub.join("ab".repeat(32));
        for p in [&old, &fresh, &blob] {
            std::fs::write(p, b"x").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        assert_eq!(LocalBlobs::new(dir.path()).clean_temporary(), 1);
        assert!(!old.exists() && fresh.exists() && blob.exists());
    }
}
