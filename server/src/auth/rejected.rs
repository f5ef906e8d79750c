//! Rejected bearer tokens, counted in memory only: a request that did not authenticate must not
//! make the database write (a flood of them would slow every real write and push the real
//! events out of the administrator's diagnostics). Per process: a total, and the latest
//! addresses that sent one, each with its own count.
use super::Auth;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Addresses remembered at most; the one that failed least recently goes first.
const RECENT_ADDRESSES: usize = 16;

/// An address that recently sent a rejected bearer token.
#[derive(Debug, Clone)]
pub struct RejectedFrom {
    pub address: String,
    /// Rejections from this address since it entered the list.
    pub count: u64,
    pub last_at: DateTime<Utc>,
    /// Why the latest one was rejected.
    pub reason: &'static str,
}

/// The count and the ring of recent addresses.
#[derive(Default)]
pub struct RejectedBearers {
    inner: Mutex<Rejections>,
}

#[derive(Default)]
struct Rejections {
    total: u64,
    recent: VecDeque<RejectedFrom>,
}

impl RejectedBearers {
    fn note(&self, address: &str, reason: &'static str, now: DateTime<Utc>) {
        let Ok(mut r) = self.inner.lock() else {
            return;
        };
        r.total = r.total.saturating_add(1);
        let mut entry = r
            .recent
            .iter()
            .position(|e| e.address == address)
            .and_then(|i| r.recent.remove(i))
            .unwrap_or_else(|| RejectedFrom {
                address: address.to_string(),
                count: 0,
                last_at: now,
                reason,
            });
        entry.count = entry.count.saturating_add(1);
        entry.last_at = now;
        entry.reason = reason;
        r.recent.push_front(entry);
        r.recent.truncate(RECENT_ADDRESSES);
    }

    fn snapshot(&self) -> (u64, Vec<RejectedFrom>) {
        match self.inner.lock() {
            Ok(r) => (r.total, r.recent.iter().cloned().collect()),
            Err(_) => (0, Vec::new()),
        }
    }
}

impl Auth {
    /// Counts a request whose bearer token was refused (in memory: nothing is written).
    pub fn note_rejected_bearer(&self, address: &str, reason: &'static str, now: DateTime<Utc>) {
        self.rejected.note(address, reason, now);
    }

    /// Bearer tokens refused by this process since it started, and the latest addresses that
    /// sent them (most recent first).
    pub fn rejected_bearers(&self) -> (u64, Vec<RejectedFrom>) {
        self.rejected.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_from_one_address_is_one_entry_and_the_ring_stays_small() {
        let r = RejectedBearers::default();
        let now = Utc::now();
        for _ in 0..500 {
            r.note("203.0.113.9", "invalid", now);
        }
        for i in 0..40 {
            r.note(&format!("198.51.100.{i}"), "invalid", now);
        }
        r.note("203.0.113.9", "disabled", now);
        let (total, recent) = r.snapshot();
        assert_eq!(total, 541);
        assert_eq!(recent.len(), RECENT_ADDRESSES);
        assert_eq!(recent[0].address, "203.0.113.9");
        assert_eq!(
            recent[0].count, 1,
            "it had left the ring, so it starts again"
        );
        assert_eq!(recent[0].reason, "disabled");
        assert_eq!(recent[1].address, "198.51.100.39");
    }
}
