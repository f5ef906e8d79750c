//! The site-level switch "Allow external MCP clients to access your apps", read through a
//! one-second cache so the hot path does not query it on every call.
use crate::store::Store;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Settings key of the switch.
pub const MCP_ENABLED_KEY: &str = "mcp.enabled";

/// Cached view of the switch.
#[derive(Default)]
pub struct SiteSwitch {
    cache: RwLock<Option<(Instant, bool)>>,
}

impl SiteSwitch {
    pub async fn enabled(&self, store: &Store) -> bool {
        if let Ok(g) = self.cache.read() {
            if let Some((at, v)) = *g {
                if at.elapsed() < Duration::from_secs(1) {
                    return v;
                }
            }
        }
        let v = matches!(store.setting(MCP_ENABLED_KEY).await, Ok(Some(s)) if s == "true");
        if let Ok(mut g) = self.cache.write() {
            *g = Some((Instant::now(), v));
        }
        v
    }

    /// Forgets the cached value (after the admin saves the switch).
    pub fn invalidate(&self) {
        if let Ok(mut g) = self.cache.write() {
            *g = None;
        }
    }
}

/// Settings key of where view tools put their rows (Configure > Integration > MCP).
pub const MCP_VIEW_ROWS_KEY: &str = "mcp.view_rows";

/// Where a view tool's result carries its rows.
///
/// Clients differ in what they hand the model: some pass only the text content (Claude.ai,
/// Claude Desktop, Open WebUI), some only `structuredContent` when there is one (Claude Code,
/// Cursor). Sending both reaches every model; sending the rows once is smaller, but only for the
/// clients that read `structuredContent`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ViewRows {
    /// A text table and `structuredContent` (the default: no client loses the rows).
    #[default]
    TextAndStructured,
    /// Only `structuredContent`, with a one-line text.
    StructuredOnly,
}

impl ViewRows {
    /// The stored setting (anything unknown is the default).
    pub fn parse(s: &str) -> Self {
        match s {
            "structured" => ViewRows::StructuredOnly,
            _ => ViewRows::TextAndStructured,
        }
    }

    /// The value stored in the settings.
    pub fn as_str(self) -> &'static str {
        match self {
            ViewRows::TextAndStructured => "both",
            ViewRows::StructuredOnly => "structured",
        }
    }
}

/// [`ViewRows`] read through a one-second cache, like the switch.
#[derive(Default)]
pub struct ViewRowsSetting {
    cache: RwLock<Option<(Instant, ViewRows)>>,
}

impl ViewRowsSetting {
    pub async fn get(&self, store: &Store) -> ViewRows {
        if let Ok(g) = self.cache.read() {
            if let Some((at, v)) = *g {
                if at.elapsed() < Duration::from_secs(1) {
                    return v;
                }
            }
        }
        let v = match store.setting(MCP_VIEW_ROWS_KEY).await {
            Ok(Some(s)) => ViewRows::parse(&s),
            _ => ViewRows::default(),
        };
        if let Ok(mut g) = self.cache.write() {
            *g = Some((Instant::now(), v));
        }
        v
    }
}
