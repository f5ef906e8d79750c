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
        self.forget_old_throttles(now).await
    }

    /// Takes one of `max` slots in `key`'s current window (a window older than `window` starts
    /// over at this one), in one statement, so concurrent claims never take more than `max`.
    /// Returns whether a slot was taken, and the window's start.
    pub async fn claim_throttle_slot(
        &self,
        key: &str,
        max: i64,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<(bool, DateTime<Utc>)> {
        let stale = now - window;
        let claimed = self
            .write_returning(
                "INSERT INTO auth_throttle (throttle_key, window_start, failures) VALUES (?, ?, 1) ON CONFLICT (throttle_key) DO UPDATE SET failures = CASE WHEN auth_throttle.window_start < ? THEN 1 ELSE auth_throttle.failures + 1 END, window_start = CASE WHEN auth_throttle.window_start < ? THEN excluded.window_start ELSE auth_throttle.window_start END WHERE auth_throttle.window_start < ? OR auth_throttle.failures < ? RETURNING window_start",
                vec![
                    key.into(),
                    now.into(),
                    stale.into(),
                    stale.into(),
                    stale.into(),
                    max.into(),
                ],
            )
            .await?;
        if let Some(row) = claimed {
            self.forget_old_throttles(now).await?;
            return Ok((true, get(&row, "window_start")?));
        }
        let start = self.throttle(key).await?.map_or(now, |(start, _)| start);
        Ok((false, start))
    }

    /// Gives back a slot [`Store::claim_throttle_slot`] took in the window that began at
    /// `window_start` (a later window keeps its count).
    pub async fn release_throttle_slot(
        &self,
        key: &str,
        window_start: DateTime<Utc>,
    ) -> Result<()> {
        self.exec(
            "UPDATE auth_throttle SET failures = failures - 1 WHERE throttle_key = ? AND window_start = ? AND failures > 0",
            vec![key.into(), window_start.into()],
        )
        .await?;
        Ok(())
    }

    /// [`Store::claim_sign_in_attempt`] for a username no account has, counted under `key` the
    /// same way: `failures` counts attempts and `window_start` holds the last one taken, so the
    /// name locks for `lock` once `threshold` attempts are taken, and again on each attempt after
    /// a lock ends. `None` when the attempt may go ahead, `Some(until)` while locked.
    pub async fn claim_lockout_slot(
        &self,
        key: &str,
        threshold: i64,
        lock: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        for _ in 0..3 {
            let claimed = self
                .write_returning(
                    "INSERT INTO auth_throttle (throttle_key, window_start, failures) VALUES (?, ?, 1) ON CONFLICT (throttle_key) DO UPDATE SET failures = auth_throttle.failures + 1, window_start = excluded.window_start WHERE auth_throttle.failures < ? OR auth_throttle.window_start <= ? RETURNING failures",
                    vec![key.into(), now.into(), threshold.into(), (now - lock).into()],
                )
                .await?;
            if claimed.is_some() {
                return Ok(None);
            }
            if let Some(until) = self
                .throttle(key)
                .await?
                .map(|(last, _)| last + lock)
                .filter(|until| *until > now)
            {
                return Ok(Some(until));
            }
        }
        Ok(Some(now))
    }

    /// Counters older than a day can no longer limit anything.
    async fn forget_old_throttles(&self, now: DateTime<Utc>) -> Result<()> {
        self.exec(
            "DELETE FROM auth_throttle WHERE window_start < ?",
            vec![(now - Duration::days(1)).into()],
        )
        .await?;
        Ok(())
    }
}
