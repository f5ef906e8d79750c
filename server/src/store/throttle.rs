//! Failure counters in fixed time windows, keyed by what is being limited (e.g. a network
//! address); shared by every server process through the database.
use super::{get, Result, Store};
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// The current window's start and count for `key`, if any.
    pub async fn throttle(&self, key: &str) -> Result<Option<(DateTime<Utc>, i64)>> {
        let row = self
            .one(
                "SELECT window_start, failures FROM auth_throttle WHERE throttle_key = ?",
                vec![key.into()],
            )
            .await?;
        row.map(|r| Ok((get(&r, "window_start")?, get(&r, "failures")?)))
            .transpose()
    }

    /// Counts one failure for `key`; a window older than `window` starts over at one.
    pub async fn note_throttle_failure(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let stale = now - window;
        self.exec(
            "INSERT INTO auth_throttle (throttle_key, window_start, failures) VALUES (?, ?, 1) ON CONFLICT (throttle_key) DO UPDATE SET failures = CASE WHEN auth_throttle.window_start < ? THEN 1 ELSE auth_throttle.failures + 1 END, window_start = CASE WHEN auth_throttle.window_start < ? THEN excluded.window_start ELSE auth_throttle.window_start END",
            vec![key.into(), now.into(), stale.into(), stale.into()],
        )
        .await?;
        // Counters older than a day can no longer limit anything.
        self.exec(
            "DELETE FROM auth_throttle WHERE window_start < ?",
            vec![(now - Duration::days(1)).into()],
        )
        .await?;
        Ok(())
    }
}
