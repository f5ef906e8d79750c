//! Configuration from flags and environment (`DATABASE_URL`, `FORMWORK_*`).
use std::path::PathBuf;

/// Everything a running server needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free one).
    pub bind: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// Where uploaded files go: `s3://bucket?endpoint=…&region=…`, or `None` for the data
    /// directory.
    pub blob_store: Option<String>,
    /// Public base URL the site is reached under (behind a TLS proxy: `https://forms.example.com`).
    pub public_url: Option<String>,
    /// Seed the demo users, app and claims on start.
    pub demo: bool,
    /// Byte budget of one MCP tool result (≈ 25k tokens by default).
    pub mcp_max_result_bytes: usize,
    /// Largest upload accepted.
    pub max_upload_bytes: usize,
    /// How long an upload link an MCP tool hands out works, in seconds.
    pub upload_link_seconds: i64,
    /// How long the upload link tool waits for the file after the person opened a link it
    /// offered through URL-mode elicitation, in seconds.
    pub upload_link_wait_seconds: u64,
    /// SQLite only: the database's size cap in pages (see `StoreOptions::sqlite_max_pages`).
    pub sqlite_max_pages: Option<u64>,
    /// SQLite only: how much of the database file each connection memory-maps (see
    /// `StoreOptions::sqlite_mmap_bytes`).
    pub sqlite_mmap_bytes: Option<u64>,
    /// Database connections this process keeps at most (see `StoreOptions::max_connections`).
    pub db_max_connections: Option<u32>,
    /// SMTP server for notification emails (`smtp://host:25`, `smtps://user:pass@host:465`,
    /// `smtp://host:587?tls=required`); no email is sent without it.
    pub smtp_url: Option<String>,
    /// The sender of notification emails (`Formwork <forms@example.com>`).
    pub mail_from: Option<String>,
    /// Bearer token that `/metrics` asks for; without one it answers only this machine.
    pub metrics_token: Option<String>,
}

impl Config {
    /// The SQLite URL inside the data directory (the embedded default).
    pub fn default_sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}/formwork.db?mode=rwc", data_dir.display())
    }

    /// The base URL links and the MCP server URL are built from.
    pub fn base_url(&self, actual_bind: &str) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", actual_bind.replace("0.0.0.0", "127.0.0.1")),
        }
    }

    /// Cookies get `Secure` when the public URL is HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}
