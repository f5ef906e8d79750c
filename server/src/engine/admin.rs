//! Administering apps: import a definition as a draft, edit the draft, publish it.
use super::definition::AppDef;
use super::{Engine, EngineError};
use crate::store::{AppRow, StoreError};
use chrono::{DateTime, Utc};

impl Engine {
    /// Parses a definition file and stores it as the app's new draft (creating the app).
    pub async fn import_draft(
        &self,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<AppDef, EngineError> {
        let def = AppDef::parse(text).map_err(EngineError::Definition)?;
        self.save_draft(&def, now).await?;
        Ok(def)
    }

    /// Stores an already-valid definition as the draft.
    pub async fn save_draft(&self, def: &AppDef, now: DateTime<Utc>) -> Result<(), EngineError> {
        def.validate().map_err(EngineError::Definition)?;
        self.store()
            .save_draft(&def.slug, &def.name, &def.to_json(), now)
            .await?;
        Ok(())
    }

    /// An app's row and its parsed draft.
    pub async fn draft(&self, slug: &str) -> Result<(AppRow, AppDef), EngineError> {
        let row = self
            .store()
            .app_by_slug(slug)
            .await?
            .ok_or_else(|| EngineError::AppNotFound(slug.into()))?;
        let def = serde_json::from_str::<AppDef>(&row.draft_definition).map_err(|e| {
            EngineError::Definition(vec![super::definition::DefinitionError {
                path: "(stored draft)".into(),
                message: e.to_string(),
            }])
        })?;
        Ok((row, def))
    }

    /// Publishes the draft as the next version; creates the indexes its views need first.
    pub async fn publish(
        &self,
        slug: &str,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64, EngineError> {
        let (row, def) = self.draft(slug).await?;
        def.validate().map_err(EngineError::Definition)?;
        super::catalog::ensure_indexes(self.store(), row.id, &def).await?;
        let v = self
            .store()
            .publish(row.id, by, now)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => EngineError::AppNotFound(slug.into()),
                e => EngineError::Store(e),
            })?;
        self.catalog().invalidate();
        Ok(v)
    }
}
