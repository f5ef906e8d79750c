//! Routing data: who reports to whom, and stand-ins (delegations) for people away.
use super::{get, Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};

/// How deep "reports of my reports" goes; deeper chains are cut (and cycles cannot form).
pub const MAX_DEPTH: i64 = 16;

/// One person within someone's reach: a report (direct or not), or a report of someone whose
/// stand-in they are today.
#[derive(Debug, Clone)]
pub struct TeamMember {
    pub user_id: i64,
    /// 1 for a direct report.
    pub depth: i64,
    /// The person away, when the member is reached as their stand-in.
    pub via: Option<(i64, String)>,
}

/// A stand-in: `delegate` decides for `user` from `starts_on` to `ends_on`, both included.
#[derive(Debug, Clone)]
pub struct DelegationRow {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub delegate_id: i64,
    pub delegate_name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Why a manager cannot be set.
#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("a person cannot be their own manager")]
    OwnManager,
    #[error(
        "{0} already reports to this person, directly or through others; that would make a loop"
    )]
    Loop(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Sets or clears a user's manager, refusing loops. `Ok(false)` when the user does not exist.
    pub async fn set_manager(
        &self,
        user_id: i64,
        manager_id: Option<i64>,
    ) -> std::result::Result<bool, ManagerError> {
        if let Some(m) = manager_id {
            if m == user_id {
                return Err(ManagerError::OwnManager);
            }
            if self.user_by_id(m).await?.is_none() {
                return Err(StoreError::NotFound.into());
            }
            // The manager's own chain upwards must not pass through the user.
            let rows = self
                .all(
                    "WITH RECURSIVE up(id, depth) AS (SELECT CAST(? AS BIGINT), CAST(0 AS BIGINT) UNION ALL SELECT u.manager_id, up.depth + 1 FROM users u JOIN up ON u.id = up.id WHERE u.manager_id IS NOT NULL AND up.depth < 64) SELECT id FROM up",
                    vec![m.into()],
                )
                .await?;
            for r in &rows {
                let id: i64 = get(r, "id")?;
                if id == user_id {
                    let name = self
                        .user_by_id(m)
                        .await?
                        .map(|u| u.display_name)
                        .unwrap_or_default();
                    return Err(ManagerError::Loop(name));
                }
            }
        }
        let n = self
            .exec(
                "UPDATE users SET manager_id = ? WHERE id = ?",
                vec![manager_id.into(), user_id.into()],
            )
            .await?;
        Ok(n > 0)
    }

    /// Everyone `user_id` may act for on `today`: their reports (direct and indirect, up to
    /// `MAX_DEPTH`), and the reports of each person whose stand-in they are that day. A member
    /// reached both ways is listed as the user's own report.
    pub async fn team_of(&self, user_id: i64, today: NaiveDate) -> Result<Vec<TeamMember>> {
        let day = today.format("%Y-%m-%d").to_string();
        let rows = self
            .all(
                "WITH RECURSIVE roots(id, via) AS (\
                   SELECT CAST(? AS BIGINT), CAST(NULL AS BIGINT) \
                   UNION SELECT user_id, user_id FROM delegations WHERE delegate_id = ? AND starts_on <= ? AND ends_on >= ?\
                 ), team(id, via, depth) AS (\
                   SELECT u.id, r.via, CAST(1 AS BIGINT) FROM users u JOIN roots r ON u.manager_id = r.id \
                   UNION ALL SELECT u.id, t.via, t.depth + 1 FROM users u JOIN team t ON u.manager_id = t.id WHERE t.depth < ?\
                 ) SELECT t.id, t.via, t.depth, v.display_name AS via_name FROM team t LEFT JOIN users v ON v.id = t.via \
                 ORDER BY CASE WHEN t.via IS NULL THEN 0 ELSE 1 END, t.depth",
                vec![
                    user_id.into(),
                    user_id.into(),
                    day.clone().into(),
                    day.into(),
                    MAX_DEPTH.into(),
                ],
            )
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for r in &rows {
            let id: i64 = get(r, "id")?;
            if id == user_id || !seen.insert(id) {
                continue;
            }
            let via: Option<i64> = get(r, "via")?;
            let via_name: Option<String> = get(r, "via_name")?;
            out.push(TeamMember {
                user_id: id,
                depth: get(r, "depth")?,
                via: via.map(|v| (v, via_name.unwrap_or_default())),
            });
        }
        Ok(out)
    }

    /// The direct reports of a user.
    pub async fn reports_of(&self, manager_id: i64) -> Result<Vec<i64>> {
        let rows = self
            .all(
                "SELECT id FROM users WHERE manager_id = ? ORDER BY id",
                vec![manager_id.into()],
            )
            .await?;
        rows.iter().map(|r| get(r, "id")).collect()
    }

    pub async fn add_delegation(
        &self,
        user_id: i64,
        delegate_id: i64,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let row = self
            .write_returning(
                "INSERT INTO delegations (user_id, delegate_id, starts_on, ends_on, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                vec![
                    user_id.into(),
                    delegate_id.into(),
                    starts_on.format("%Y-%m-%d").to_string().into(),
                    ends_on.format("%Y-%m-%d").to_string().into(),
                    now.into(),
                ],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        get(&row, "id")
    }

    /// Removes one of `user_id`'s own delegations; `Ok(false)` when it is not theirs.
    pub async fn remove_delegation(&self, user_id: i64, id: i64) -> Result<bool> {
        let n = self
            .exec(
                "DELETE FROM delegations WHERE id = ? AND user_id = ?",
                vec![id.into(), user_id.into()],
            )
            .await?;
        Ok(n > 0)
    }

    /// Delegations a user gave (`as_delegate` false) or holds (true) that have not ended.
    pub async fn delegations(
        &self,
        user_id: i64,
        as_delegate: bool,
        today: NaiveDate,
    ) -> Result<Vec<DelegationRow>> {
        let col = if as_delegate {
            "d.delegate_id"
        } else {
            "d.user_id"
        };
        let sql = format!(
            "SELECT d.id, d.user_id, u.display_name AS user_name, d.delegate_id, s.display_name AS delegate_name, d.starts_on, d.ends_on FROM delegations d JOIN users u ON u.id = d.user_id JOIN users s ON s.id = d.delegate_id WHERE {col} = ? AND d.ends_on >= ? ORDER BY d.starts_on, d.id"
        );
        let rows = self
            .all(
                &sql,
                vec![user_id.into(), today.format("%Y-%m-%d").to_string().into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let starts: String = get(r, "starts_on")?;
                let ends: String = get(r, "ends_on")?;
                Ok(DelegationRow {
                    id: get(r, "id")?,
                    user_id: get(r, "user_id")?,
                    user_name: get(r, "user_name")?,
                    delegate_id: get(r, "delegate_id")?,
                    delegate_name: get(r, "delegate_name")?,
                    starts_on: parse_day(&starts)?,
                    ends_on: parse_day(&ends)?,
                })
            })
            .collect()
    }
}

fn parse_day(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        StoreError::Db(sea_orm::DbErr::Custom(format!(
            "a stored day is not a date: {s}"
        )))
    })
}
