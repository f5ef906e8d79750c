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
}

/// One published version of an app.
#[derive(Debug, Clone)]
pub struct AppVersionRow {
    pub app_id: i64,
    pub version: i64,
    pub definition: String,
    pub published_at: DateTime<Utc>,
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
        })
    }
}

const APP_COLS: &str = "id, slug, name, draft_definition, published_version, updated_at";

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
                "UPDATE apps SET name = ?, draft_definition = ?, updated_at = ? WHERE slug = ? RETURNING id",
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

    /// Freezes the current draft as the next published version.
    pub async fn publish(&self, app_id: i64, by: Option<i64>, now: DateTime<Utc>) -> Result<i64> {
        let tx = self.begin().await?;
        let draft = self
            .tx_one(
                &tx,
                "SELECT draft_definition FROM apps WHERE id = ?",
                vec![app_id.into()],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let definition: String = get(&draft, "draft_definition")?;
        let next = self
            .tx_one(
                &tx,
                "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM app_versions WHERE app_id = ?",
                vec![app_id.into()],
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        let version: i64 = get(&next, "next")?;
        self.tx_exec(
            &tx,
            "INSERT INTO app_versions (app_id, version, definition, published_by, published_at) VALUES (?, ?, ?, ?, ?)",
            vec![app_id.into(), version.into(), definition.into(), by.into(), now.into()],
        )
        .await?;
        self.tx_exec(
            &tx,
            "UPDATE apps SET published_version = ?, updated_at = ? WHERE id = ?",
            vec![version.into(), now.into(), app_id.into()],
        )
        .await?;
        tx.commit().await?;
        Ok(version)
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
