//! Apps: a draft definition and immutable published versions.
use super::{get, is_unique_violation, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::QueryResult;

/// An app with its draft.
#[derive(Debug, Clone)]
pub struct AppRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub draft_definition: String,
    pub published_version: Option<i64>,
    pub updated_at: DateTime<Utc>,
    /// Data changes the draft carries until it is published (JSON, see `engine::evolution`).
    pub draft_changes: String,
}

/// The stored lines that have a value in one column (see [`Store::line_values_in_use`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineValues {
    pub lines: u64,
    pub records: u64,
    /// Up to ten of the records, in id order.
    pub sample_ids: Vec<i64>,
}

/// One published version of an app.
#[derive(Debug, Clone)]
pub struct AppVersionRow {
    pub app_id: i64,
    pub version: i64,
    pub definition: String,
    pub published_at: DateTime<Utc>,
}

/// A version in an app's version list.
#[derive(Debug, Clone)]
pub struct VersionInfo {
    pub version: i64,
    pub published_at: DateTime<Utc>,
    pub published_by: Option<String>,
    pub note: Option<String>,
    /// The data changes its publication applied (JSON), if any.
    pub changes: Option<String>,
}

/// What a publication writes besides the version: the records whose data it changes, each with
/// the version it was read at.
pub struct Publication<'a> {
    pub app_id: i64,
    pub by: Option<i64>,
    pub note: Option<&'a str>,
    pub changes: Option<&'a str>,
    pub definition: &'a str,
    pub rewrites: &'a [(i64, i64, serde_json::Value)],
    /// The summary rollups the published definition keeps (see `rollups.rs`).
    pub rollups: &'a [super::RollupSpec],
    /// The text fields its views filter with `contains`, and all its text fields (see
    /// `texts.rs`).
    pub substring_fields: &'a [String],
    pub text_fields: &'a [String],
    /// The line columns its views filter on, and all its filterable line columns, as
    /// `lines.column` (see `line_index.rs`).
    pub line_filter_columns: &'a [String],
    pub line_columns: &'a [String],
    /// The text fields kept in key columns, most used first (see `keys.rs`; PostgreSQL).
    pub key_fields: &'a [String],
}

impl AppRow {
    fn from_row(r: &QueryResult) -> Result<AppRow> {
        Ok(AppRow {
            id: get(r, "id")?,
            slug: get(r, "slug")?,
            name: get(r, "name")?,
            draft_definition: get(r, "draft_definition")?,
            published_version: get(r, "published_version")?,
            updated_at: get(r, "updated_at")?,
            draft_changes: get(r, "draft_changes")?,
        })
    }
}

const APP_COLS: &str =
    "id, slug, name, draft_definition, published_version, updated_at, draft_changes";

impl Store {
    /// Creates the app or replaces its draft; returns the app id.
    pub async fn save_draft(
        &self,
        slug: &str,
        name: &str,
        definition: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let updated = self
            .write_returning(
                "UPDATE apps SET name = ?, draft_definition = ?, draft_changes = '{}', updated_at = ? WHERE slug = ? RETURNING id",
                vec![name.into(), definition.into(), now.into(), slug.into()],
            )
            .await?;
        if let Some(r) = updated {
            return get(&r, "id");
        }
        let row = self
            .write_returning(
                "INSERT INTO apps (slug, name, draft_definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                vec![slug.into(), name.into(), definition.into(), now.into(), now.into()],
            )
            .await
            .map_err(|e| match e {
                StoreError::Db(ref d) if is_unique_violation(d) => StoreError::Conflict,
                e => e,
            })?
            .ok_or(StoreError::NotFound)?;
        get(&row, "id")
    }

    pub async fn list_apps(&self) -> Result<Vec<AppRow>> {
        let sql = format!("SELECT {APP_COLS} FROM apps ORDER BY name");
        self.all(&sql, vec![])
            .await?
            .iter()
            .map(AppRow::from_row)
            .collect()
    }

    pub async fn app_by_slug(&self, slug: &str) -> Result<Option<AppRow>> {
        let sql = format!("SELECT {APP_COLS} FROM apps WHERE slug = ?");
        self.one(&sql, vec![slug.into()])
            .await?
            .map(|r| AppRow::from_row(&r))
            .transpose()
    }

    /// Replaces an app's draft (and its slug and name, which the editor may change), with the
    /// data changes it carries. `expected` is the `updated_at` the editor read: a draft changed
    /// since by someone else is not overwritten.
    pub async fn update_draft(
        &self,
        app_id: i64,
        slug: &str,
        name: &str,
        definition: &str,
        changes: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let n = self
            .exec(
                "UPDATE apps SET slug = ?, name = ?, draft_definition = ?, draft_changes = ?, updated_at = ? WHERE id = ?",
                vec![
                    slug.into(),
                    name.into(),
                    definition.into(),
                    changes.into(),
                    now.into(),
                    app_id.into(),
                ],
            )
            .await
            .map_err(|e| match e {
                StoreError::Db(ref d) if is_unique_violation(d) => StoreError::Conflict,
                e => e,
            })?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Freezes the given definition as the next published version, rewrites the records whose
    /// data the publication changes (each only if still at the version read), and clears the
    /// draft's pending changes — all in one transaction.
    pub async fn publish(&self, p: &Publication<'_>, now: DateTime<Utc>) -> Result<i64> {
        let tx = self.begin().await?;
        self.tx_write_first(&tx).await?;
        // Before any record is touched, so writes (which take it shared first) cannot deadlock
        // with the rewrites below.
        self.tx_lock_rollups(&tx, p.app_id, true).await?;
        let next = self
            .tx_one(
                &tx,
                "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM app_versions WHERE app_id = ?",
                vec![p.app_id.into()],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let version: i64 = get(&next, "next")?;
        for (id, at_version, data) in p.rewrites {
            let n = self
                .tx_exec(
                    &tx,
                    "UPDATE records SET data = ? WHERE id = ? AND app_id = ? AND version = ?",
                    vec![
                        data.clone().into(),
                        (*id).into(),
                        p.app_id.into(),
                        (*at_version).into(),
                    ],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::Stale { current: *id });
            }
        }
        // Rewritten records may change any group or sum: then every rollup is built again.
        let built = self
            .tx_sync_rollups(&tx, p.app_id, p.rollups, !p.rewrites.is_empty())
            .await?;
        if built > 0 {
            tracing::info!(
                app_id = p.app_id,
                built,
                "built summary rollups for the publication"
            );
        }
        // After the rewrites, so a renamed field's values are found under its new name.
        let filled = self
            .tx_sync_texts(&tx, p.app_id, p.substring_fields, p.text_fields)
            .await?;
        if filled > 0 {
            tracing::info!(
                app_id = p.app_id,
                filled,
                "filled the substring index for the publication"
            );
        }
        let filled = self
            .tx_sync_line_index(&tx, p.app_id, p.line_filter_columns, p.line_columns)
            .await?;
        if filled > 0 {
            tracing::info!(
                app_id = p.app_id,
                filled,
                "filled the line index for the publication"
            );
        }
        // Registered here, filled after the commit (`Store::fill_keys`).
        let registered = self.tx_sync_keys(&tx, p.app_id, p.key_fields).await?;
        if registered > 0 {
            tracing::info!(
                app_id = p.app_id,
                registered,
                "registered key columns for the publication"
            );
        }
        self.tx_exec(
            &tx,
            "INSERT INTO app_versions (app_id, version, definition, published_by, published_at, note, changes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            vec![
                p.app_id.into(),
                version.into(),
                p.definition.into(),
                p.by.into(),
                now.into(),
                p.note.map(String::from).into(),
                p.changes.map(String::from).into(),
            ],
        )
        .await?;
        self.tx_exec(
            &tx,
            "UPDATE apps SET published_version = ?, draft_definition = ?, draft_changes = '{}', updated_at = ? WHERE id = ?",
            vec![version.into(), p.definition.into(), now.into(), p.app_id.into()],
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// An app's published versions, newest first.
    pub async fn app_versions(&self, app_id: i64) -> Result<Vec<VersionInfo>> {
        let rows = self
            .all(
                "SELECT v.version, v.published_at, u.username, v.note, v.changes FROM app_versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.app_id = ? ORDER BY v.version DESC",
                vec![app_id.into()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(VersionInfo {
                    version: get(r, "version")?,
                    published_at: get(r, "published_at")?,
                    published_by: get(r, "username")?,
                    note: get(r, "note")?,
                    changes: get(r, "changes")?,
                })
            })
            .collect()
    }

    /// One published version's definition.
    pub async fn app_version(&self, app_id: i64, version: i64) -> Result<Option<String>> {
        self.one(
            "SELECT definition FROM app_versions WHERE app_id = ? AND version = ?",
            vec![app_id.into(), version.into()],
        )
        .await?
        .map(|r| get(&r, "definition"))
        .transpose()
    }

    /// Which of `keys` hold a value in at least one of the app's records (one statement per key,
    /// each stopping at the first match), so a change touching fields that no record has a value
    /// for needs no pass over the records.
    pub async fn keys_in_use(&self, app_id: i64, keys: &[String]) -> Result<Vec<String>> {
        let mut used = Vec::new();
        for k in keys {
            if !crate::engine::definition::is_ident(k) {
                continue;
            }
            let expr = self.dialect.field_expr(k, super::ValueKind::Text);
            let sql = format!(
                "SELECT 1 AS one FROM records WHERE app_id = ? AND {expr} IS NOT NULL LIMIT 1"
            );
            if self.one(&sql, vec![app_id.into()]).await?.is_some() {
                used.push(k.clone());
            }
        }
        Ok(used)
    }

    /// How many lines of the lines field stored under `field` have a value in `column`, in how
    /// many records, and up to ten of those records: counted in the database (`json_each` on
    /// SQLite, `jsonb_array_elements` on PostgreSQL), for a column a draft removes.
    pub async fn line_values_in_use(
        &self,
        app_id: i64,
        field: &str,
        column: &str,
    ) -> Result<LineValues> {
        use crate::engine::definition::is_ident;
        if !is_ident(field) || !is_ident(column) {
            return Ok(LineValues::default());
        }
        let from = match self.dialect {
            super::Dialect::Sqlite => format!(
                "FROM records r, json_each(r.data, '$.{field}') AS l WHERE r.app_id = ? AND json_type(r.data, '$.{field}') = 'array' AND json_type(l.value, '$.{column}') <> 'null'"
            ),
            super::Dialect::Postgres => format!(
                "FROM records r CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.data->'{field}') = 'array' THEN r.data->'{field}' ELSE '[]'::jsonb END) AS l(v) WHERE r.app_id = ? AND jsonb_typeof(l.v->'{column}') <> 'null'"
            ),
        };
        let Some(row) = self
            .one(
                &format!("SELECT COUNT(*) AS n, COUNT(DISTINCT r.id) AS recs {from}"),
                vec![app_id.into()],
            )
            .await?
        else {
            return Ok(LineValues::default());
        };
        let (lines, records): (i64, i64) = (get(&row, "n")?, get(&row, "recs")?);
        if lines == 0 {
            return Ok(LineValues::default());
        }
        let ids = self
            .all(
                &format!("SELECT DISTINCT r.id AS id {from} ORDER BY r.id LIMIT 10"),
                vec![app_id.into()],
            )
            .await?
            .iter()
            .map(|r| get(r, "id"))
            .collect::<Result<Vec<i64>>>()?;
        Ok(LineValues {
            lines: u64::try_from(lines).unwrap_or_default(),
            records: u64::try_from(records).unwrap_or_default(),
            sample_ids: ids,
        })
    }

    /// A page of an app's records as (id, version, data), in id order after `after_id`.
    pub async fn record_data_page(
        &self,
        app_id: i64,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<(i64, i64, serde_json::Value)>> {
        let rows = self
            .all(
                &format!("SELECT id, version, data FROM records WHERE app_id = ? AND id > ? ORDER BY id LIMIT {limit}"),
                vec![app_id.into(), after_id.into()],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "id")?, get(r, "version")?, get(r, "data")?)))
            .collect()
    }

    /// The latest published version of every app that has one.
    pub async fn published_versions(&self) -> Result<Vec<AppVersionRow>> {
        let rows = self
            .all(
                "SELECT v.app_id, v.version, v.definition, v.published_at FROM app_versions v JOIN apps a ON a.id = v.app_id AND a.published_version = v.version",
                vec![],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AppVersionRow {
                    app_id: get(r, "app_id")?,
                    version: get(r, "version")?,
                    definition: get(r, "definition")?,
                    published_at: get(r, "published_at")?,
                })
            })
            .collect()
    }

    /// A fingerprint of what is published: changes whenever any app publishes.
    pub async fn publish_stamp(&self) -> Result<String> {
        let row = self
            .one(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(published_version), 0) AS BIGINT) AS s, COALESCE(MAX(published_version), 0) AS m FROM apps",
                vec![],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let n: i64 = get(&row, "n")?;
        let s: i64 = get(&row, "s")?;
        let m: i64 = get(&row, "m")?;
        Ok(format!("{n}:{s}:{m}"))
    }
}
