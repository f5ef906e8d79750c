//! Blobs in S3-compatible object storage (`object_store`'s `aws` client): one object per blob
//! under `<prefix>/<first two>/<sha>`. A PUT is atomic — an object is there whole or not at
//! all — so there are no temporary names to sweep.
use super::{is_sha256, Listed, LocalBlobs};
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// An S3 bucket (and key prefix) holding the blobs.
#[derive(Clone, Debug)]
pub struct ObjectBlobs {
    store: Arc<dyn ObjectStore>,
    /// The data directory's blob folder still holds uploads being received (`incoming/`),
    /// whose leftovers the startup sweep removes.
    spool: LocalBlobs,
    /// `s3://bucket/prefix`, without the query (no secrets ever go in the URL, but no need to
    /// repeat endpoints in every message either).
    label: String,
    prefix: String,
}

/// A `--blob-store` URL that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--blob-store {url}: {reason}")]
pub struct BadStoreUrl {
    url: String,
    reason: String,
}

impl ObjectBlobs {
    /// Parses `s3://bucket[/prefix][?endpoint=…&region=…&allow_http=true]`. Credentials come
    /// from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// and the other `AWS_*` variables `object_store` reads).
    pub fn open(spec: &str, data_dir: &std::path::Path) -> Result<ObjectBlobs, BadStoreUrl> {
        let bad = |reason: &str| BadStoreUrl {
            url: spec.split('?').next().unwrap_or(spec).to_string(),
            reason: reason.to_string(),
        };
        let url = url::Url::parse(spec).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "s3" {
            return Err(bad("only s3:// URLs are object stores"));
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad("the URL names no bucket (s3://BUCKET/…)"))?;
        let prefix = url.path().trim_matches('/').to_string();
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            // Endpoints of S3-compatible servers (MinIO, Garage, moto…) take the bucket in the
            // path; AWS itself accepts both.
            .with_virtual_hosted_style_request(false);
        let mut allow_http = None;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "endpoint" => {
                    if v.starts_with("http://") && allow_http.is_none() {
                        allow_http = Some(true);
                    }
                    builder = builder.with_endpoint(v.as_ref());
                }
                "region" => builder = builder.with_region(v.as_ref()),
                "allow_http" => allow_http = Some(v == "true" || v == "1"),
                other => return Err(bad(&format!("unknown option `{other}`"))),
            }
        }
        // An unreachable store must fail an upload within seconds with a clear message, not
        // hold the request for the client's default of minutes of retries.
        let retry = RetryConfig {
            max_retries: 2,
            retry_timeout: Duration::from_secs(10),
            ..RetryConfig::default()
        };
        // Client options replace the builder's whole set, `allow_http` included: it goes here.
        let allow_http = allow_http.or_else(|| {
            std::env::var("AWS_ALLOW_HTTP")
                .ok()
                .map(|v| v == "true" || v == "1")
        });
        let client = ClientOptions::new()
            .with_allow_http(allow_http.unwrap_or(false))
            .with_connect_timeout(Duration::from_secs(3))
            .with_timeout(Duration::from_secs(60));
        let store = builder
            .with_retry(retry)
            .with_client_options(client)
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        let label = format!(
            "s3://{bucket}{}",
            if prefix.is_empty() {
                String::new()
            } else {
                format!("/{prefix}")
            }
        );
        Ok(ObjectBlobs {
            store: Arc::new(store),
            spool: LocalBlobs::new(data_dir),
            label,
            prefix,
        })
    }

    /// Where the files are, for messages.
    pub fn describe(&self) -> String {
        self.label.clone()
    }

    /// Removes what interrupted uploads left in the data directory (see [`LocalBlobs`]).
    pub fn clean_temporary(&self) -> usize {
        self.spool.clean_temporary()
    }

    fn key(&self, sha: &str) -> Option<Path> {
        if !is_sha256(sha) {
            return None;
        }
        let name = format!("{}/{sha}", &sha[..2]);
        Some(if self.prefix.is_empty() {
            Path::from(name)
        } else {
            Path::from(format!("{}/{name}", self.prefix))
        })
    }

    /// The client's error names endpoints and requests: it goes to the log, and the message
    /// (shown to people on an upload) names only the store.
    fn io(&self, what: &str, e: object_store::Error) -> std::io::Error {
        tracing::warn!(store = %self.label, "the file store could not {what}: {e}");
        std::io::Error::other(format!(
            "the file store {} could not {what}; try again later",
            self.label
        ))
    }

    /// Whether the bucket answers: one listing request.
    pub async fn check_ready(&self) -> std::io::Result<()> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        self.store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map(|_| ())
            .map_err(|e| self.io("be reached", e))
    }

    /// Stores bytes; returns their SHA-256 (hex). Bytes already there are not sent again.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        let Some(key) = self.key(&sha) else {
            return Err(std::io::Error::other("bad hash"));
        };
        match self.store.head(&key).await {
            Ok(_) => return Ok(sha),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.io("be reached", e)),
        }
        self.store
            .put(&key, bytes.to_vec().into())
            .await
            .map_err(|e| self.io("store the file", e))?;
        Ok(sha)
    }

    /// Reads a blob; `None` when absent.
    pub async fn get(&self, sha: &str) -> std::io::Result<Option<Vec<u8>>> {
        let Some(key) = self.key(sha) else {
            return Ok(None);
        };
        match self.store.get(&key).await {
            Ok(r) => Ok(Some(
                r.bytes()
                    .await
                    .map_err(|e| self.io("read the file", e))?
                    .to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.io("read the file", e)),
        }
    }

    /// Every stored blob with its size and age.
    pub async fn list(&self) -> std::io::Result<Vec<Listed>> {
        let prefix = (!self.prefix.is_empty()).then(|| Path::from(self.prefix.as_str()));
        let metas: Vec<_> = self
            .store
            .list(prefix.as_ref())
            .try_collect()
            .await
            .map_err(|e| self.io("list its files", e))?;
        Ok(metas
            .into_iter()
            .filter_map(|m| {
                let sha = m.location.filename()?.to_string();
                is_sha256(&sha).then_some(Listed {
                    sha256: sha,
                    size: m.size,
                    modified: Some(m.last_modified),
                })
            })
            .collect())
    }

    /// Removes a blob; a blob already gone is not an error.
    pub async fn delete(&self, sha: &str) -> std::io::Result<()> {
        let Some(key) = self.key(sha) else {
            return Ok(());
        };
        match self.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.io("delete a file", e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_store_url_names_bucket_prefix_endpoint_and_region() {
        let s = ObjectBlobs::open(
            "s3://forms/site-a/?endpoint=http://127.0.0.1:9000&region=eu-central-1",
            std::path::Path::new("data"),
        )
        .unwrap();
        assert_eq!(s.describe(), "s3://forms/site-a");
        let sha = "ab".repeat(32);
        assert_eq!(
            s.key(&sha).unwrap().as_ref(),
            format!("site-a/ab/{sha}").as_str()
        );
        assert!(s.key("../etc/passwd").is_none());
    }

    #[test]
    fn store_urls_that_cannot_work_are_refused_with_their_reason() {
        let reason = |u: &str| {
            ObjectBlobs::open(u, std::path::Path::new("data"))
                .unwrap_err()
                .to_string()
        };
        assert!(reason("s3://?region=x").contains("no bucket"));
        assert!(reason("https://forms").contains("only s3://"));
        assert!(reason("s3://forms?secret_access_key=x").contains("unknown option"));
        // The query (where an endpoint may carry a user name) is not repeated in messages.
        assert!(!reason("s3://forms?token=x").contains("token=x"));
    }
}
