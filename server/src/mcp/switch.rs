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
