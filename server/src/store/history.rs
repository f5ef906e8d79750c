//! The append-only record modification history.
use super::{get, Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

/// A history entry to append. `record_id`/`record_version` are set by the write that makes it.
#[derive(Debug, Clone)]
pub struct NewHistory {
    pub record_id: i64,
    pub app_id: i64,
    pub record_version: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub surface: String,
    pub client_name: Option<String>,
    pub operation: String,
    pub operation_title: String,
    /// JSON array of `{field, label, before, after}`.
    pub changes: String,
    /// The person away whose decision a stand-in took.
    pub on_behalf_of: Option<String>,
}

/// A stored history entry.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub id: i64,
    pub record_id: i64,
    pub record_version: i64,
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub surface: String,
    pub client_name: Option<String>,
    pub operation: String,
    pub operation_title: String,
    pub changes: String,
    pub on_behalf_of: Option<String>,
}

impl Store {
    pub(super) async fn insert_history(
        &self,
        tx: &DatabaseTransaction,
        h: &NewHistory,
    ) -> Result<()> {
        self.tx_exec(
            tx,
            "INSERT INTO history (record_id, app_id, record_version, at, actor_id, actor_name, surface, client_name, operation, operation_title, changes, on_behalf_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                h.record_id.into(),
                h.app_id.into(),
                h.record_version.into(),
                h.at.into(),
                h.actor_id.into(),
                h.actor_name.clone().into(),
                h.surface.clone().into(),
                h.client_name.clone().into(),
                h.operation.clone().into(),
                h.operation_title.clone().into(),
                h.changes.clone().into(),
                h.on_behalf_of.clone().into(),
            ],
        )
        .await?;
        Ok(())
    }

    /// A record's history, newest first; `surface` narrows it (e.g. to "mcp").
    pub async fn history(&self, record_id: i64, surface: Option<&str>) -> Result<Vec<HistoryRow>> {
        let mut sql = String::from(
            "SELECT id, record_id, record_version, at, actor_name, surface, client_name, operation, operation_title, changes, on_behalf_of FROM history WHERE record_id = ?",
        );
        let mut values = vec![record_id.into()];
        if let Some(s) = surface {
            sql.push_str(" AND surface = ?");
            values.push(s.into());
        }
        sql.push_str(" ORDER BY id DESC");
        let rows = self.all(&sql, values).await?;
        rows.iter()
            .map(|r| {
                Ok(HistoryRow {
                    id: get(r, "id")?,
                    record_id: get(r, "record_id")?,
                    record_version: get(r, "record_version")?,
                    at: get(r, "at")?,
                    actor_name: get(r, "actor_name")?,
                    surface: get(r, "surface")?,
                    client_name: get(r, "client_name")?,
                    operation: get(r, "operation")?,
                    operation_title: get(r, "operation_title")?,
                    changes: get(r, "changes")?,
                    on_behalf_of: get(r, "on_behalf_of")?,
                })
            })
            .collect()
    }
}
