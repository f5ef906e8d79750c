//! Administering apps: create one (blank or from a sample), edit its draft through the same
//! validation as an imported file, check edits against stored records, publish with a note,
//! list versions, roll back, export.
use super::catalog::PublishedApp;
use super::definition::{AppDef, DefinitionError};
use super::evolution::{self, DraftChanges, Misfit, MisfitTally};
use super::line_evolution;
use super::{Engine, EngineError};
use crate::store::{AppRow, Publication, StoreError, VersionInfo};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// An app's draft as the editor works on it.
pub struct Draft {
    pub row: AppRow,
    pub def: AppDef,
    pub changes: DraftChanges,
    pub published: Option<Arc<PublishedApp>>,
}

impl Draft {
    /// Whether publishing would change anything.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
            || self
                .published
                .as_ref()
                .is_none_or(|p| p.def.to_json() != self.def.to_json())
    }

    pub fn published_def(&self) -> Option<&AppDef> {
        self.published.as_ref().map(|p| &p.def)
    }
}

/// Records are checked and rewritten this many at a time.
const PAGE: u64 = 2000;

fn definition_error(path: &str, message: impl Into<String>) -> EngineError {
    EngineError::Definition(vec![DefinitionError {
        path: path.into(),
        message: message.into(),
    }])
}

fn misfit_errors(misfits: &[Misfit]) -> EngineError {
    EngineError::Definition(
        misfits
            .iter()
            .map(|m| DefinitionError {
                path: m.path(),
                message: m.message(),
            })
            .collect(),
    )
}

/// A slug from a name: lowercase letters, digits and `_`, starting with a letter.
pub fn slug_from(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    // "Ünïcode" → "unicode": decompose, then keep the base letters.
    let plain: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect();
    let mut out = String::new();
    for c in plain.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_');
    let out = if out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.to_string()
    } else {
        format!("app_{out}")
    };
    out.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('_')
        .to_string()
}

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
            EngineError::Definition(vec![DefinitionError {
                path: "(stored draft)".into(),
                message: e.to_string(),
            }])
        })?;
        Ok((row, def))
    }

    /// The draft with its pending data changes and the published version (read fresh).
    pub async fn editor_draft(&self, slug: &str) -> Result<Draft, EngineError> {
        let (row, def) = self.draft(slug).await?;
        let changes = DraftChanges::parse(&row.draft_changes);
        let published = match row.published_version {
            Some(v) => {
                let text = self.store().app_version(row.id, v).await?;
                text.and_then(|t| serde_json::from_str::<AppDef>(&t).ok())
                    .map(|def| Arc::new(PublishedApp::new(row.id, v, def)))
            }
            None => None,
        };
        Ok(Draft {
            row,
            def,
            changes,
            published,
        })
    }

    /// Creates an app: blank (one text field, the title) or from a sample definition, renamed.
    pub async fn create_app(
        &self,
        name: &str,
        slug: &str,
        description: &str,
        template: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, EngineError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(definition_error("name", "give the app a name"));
        }
        let slug = if slug.trim().is_empty() {
            slug_from(name)
        } else {
            slug.trim().to_string()
        };
        let mut def = match template {
            Some(text) => AppDef::parse(text).map_err(EngineError::Definition)?,
            None => AppDef::parse(
                "slug = \"x\"\nname = \"x\"\ntitle_field = \"title\"\nroles = [\"admin\"]\n[fields]\ntitle = { type = \"text\", label = \"Title\", required = true }\n",
            )
            .map_err(EngineError::Definition)?,
        };
        def.slug = slug.clone();
        def.name = name.to_string();
        if !description.trim().is_empty() || template.is_none() {
            def.description = description.trim().to_string();
        }
        if def.roles.is_empty() {
            def.roles = def.used_roles();
        }
        def.validate().map_err(EngineError::Definition)?;
        if self.store().app_by_slug(&slug).await?.is_some() {
            return Err(definition_error(
                "slug",
                format!("there is already an app `{slug}`; choose another slug"),
            ));
        }
        self.store()
            .save_draft(&slug, &def.name, &def.to_json(), now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict => definition_error("slug", "that slug is taken"),
                e => EngineError::Store(e),
            })?;
        Ok(slug)
    }

    /// Applies one edit to the draft: the edit, then the same validation as an import, then the
    /// check against stored records; saved only when all pass. Returns the saved draft.
    pub async fn edit_draft<F>(
        &self,
        slug: &str,
        now: DateTime<Utc>,
        edit: F,
    ) -> Result<Draft, EngineError>
    where
        F: FnOnce(&mut AppDef, &mut DraftChanges, Option<&AppDef>) -> Result<(), EngineError>,
    {
        let mut d = self.editor_draft(slug).await?;
        let published = d.published.clone();
        edit(
            &mut d.def,
            &mut d.changes,
            published.as_ref().map(|p| &p.def),
        )?;
        if d.def.slug != d.row.slug && d.row.published_version.is_some() {
            return Err(definition_error(
                "slug",
                "the slug cannot change once the app is published (links and MCP tool names use it)",
            ));
        }
        d.def.validate().map_err(EngineError::Definition)?;
        let misfits = self
            .check_stored_values(
                d.row.id,
                published.as_ref().map(|p| &p.def),
                &d.def,
                &d.changes,
            )
            .await?;
        if !misfits.is_empty() {
            return Err(misfit_errors(&misfits));
        }
        self.store()
            .update_draft(
                d.row.id,
                &d.def.slug,
                &d.def.name,
                &d.def.to_json(),
                &d.changes.to_json(),
                now,
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict => definition_error("slug", "that slug is taken"),
                e => EngineError::Store(e),
            })?;
        d.row.slug = d.def.slug.clone();
        Ok(d)
    }

    /// Stored values that the draft would no longer accept (retyped fields, dropped options).
    pub async fn check_stored_values(
        &self,
        app_id: i64,
        published: Option<&AppDef>,
        draft: &AppDef,
        changes: &DraftChanges,
    ) -> Result<Vec<Misfit>, EngineError> {
        let mut checks = evolution::fields_to_check(published, draft, changes);
        let mut columns = line_evolution::column_checks(published, draft, changes);
        let keys: Vec<String> = checks
            .iter()
            .map(|(_, k, _)| k.clone())
            .chain(columns.iter().map(|c| c.key.clone()))
            .collect();
        let used = self.store().keys_in_use(app_id, &keys).await?;
        checks.retain(|(_, k, _)| used.contains(k));
        columns.retain(|c| used.contains(&c.key));
        // A removed column is counted in the database; its lines need no pass here.
        let mut found = Vec::new();
        for c in &columns {
            for col in &c.removed {
                let n = self.store().line_values_in_use(app_id, &c.key, col).await?;
                if n.lines > 0 {
                    found.push(line_evolution::removed_in_use(
                        &c.field,
                        col,
                        n.lines,
                        n.records,
                        n.sample_ids,
                    ));
                }
            }
        }
        columns.retain(|c| !c.reread.is_empty());
        if checks.is_empty() && columns.is_empty() {
            return Ok(found);
        }
        let today = self.now().date_naive();
        let mut tally = MisfitTally::default();
        let mut column_tally = line_evolution::ColumnTally::default();
        let mut after = 0;
        loop {
            let page = self.store().record_data_page(app_id, after, PAGE).await?;
            for (id, _, data) in &page {
                tally.add(&checks, changes, *id, data, today);
                column_tally.add(&columns, *id, data, today);
            }
            match page.last() {
                Some((id, _, _)) if page.len() as u64 == PAGE => after = *id,
                _ => break,
            }
        }
        found.extend(tally.finish());
        found.extend(column_tally.finish());
        Ok(found)
    }

    /// Publishes the draft as the next version, with a note. Refuses an unchanged draft and a
    /// draft that stored values do not fit; moves values of renamed fields, maps dropped
    /// options and converts retyped values in the same transaction; keeps the expression
    /// indexes in step with the views.
    pub async fn publish(
        &self,
        slug: &str,
        by: Option<i64>,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<i64, EngineError> {
        let d = self.editor_draft(slug).await?;
        if !d.has_changes() {
            let v = d.published.as_ref().map(|p| p.version).unwrap_or_default();
            return Err(EngineError::Conflict(format!(
                "nothing to publish: the draft is the same as the published version {v}"
            )));
        }
        d.def.validate().map_err(EngineError::Definition)?;
        let mut unknown_targets = self.check_lookup_targets(&d.def).await?;
        unknown_targets.extend(self.check_lookup_referrers(&d.def).await?);
        if !unknown_targets.is_empty() {
            return Err(EngineError::Definition(unknown_targets));
        }
        let published = d.published_def();
        let misfits = self
            .check_stored_values(d.row.id, published, &d.def, &d.changes)
            .await?;
        if !misfits.is_empty() {
            return Err(misfit_errors(&misfits));
        }
        let planned = evolution::plan(published, &d.def, &d.changes);
        let mut plan = planned.clone();
        // Only keys some record holds a value for need a pass over the records.
        let keys: Vec<String> = plan
            .renames
            .iter()
            .map(|(from, _)| from.clone())
            .chain(
                plan.option_maps
                    .iter()
                    .map(|(f, _)| d.changes.source_key(f).to_string()),
            )
            .chain(
                plan.retypes
                    .iter()
                    .map(|(f, _)| d.changes.source_key(f).to_string()),
            )
            .chain(
                plan.column_retypes
                    .iter()
                    .map(|(f, _, _)| d.changes.source_key(f).to_string()),
            )
            .collect();
        let used = self.store().keys_in_use(d.row.id, &keys).await?;
        plan.renames.retain(|(from, _)| used.contains(from));
        plan.option_maps
            .retain(|(f, _)| used.contains(&d.changes.source_key(f).to_string()));
        plan.retypes
            .retain(|(f, _)| used.contains(&d.changes.source_key(f).to_string()));
        plan.column_retypes
            .retain(|(f, _, _)| used.contains(&d.changes.source_key(f).to_string()));
        let today = now.date_naive();
        let mut rewrites = Vec::new();
        if !plan.is_empty() {
            let mut after = 0;
            loop {
                let page = self.store().record_data_page(d.row.id, after, PAGE).await?;
                for (id, version, data) in &page {
                    if let Some(new) = plan.apply(data, today) {
                        rewrites.push((*id, *version, new));
                    }
                }
                match page.last() {
                    Some((id, _, _)) if page.len() as u64 == PAGE => after = *id,
                    _ => break,
                }
            }
        }
        let paths = self.resolve_lookup_paths(&d.def, d.row.id).await?;
        let keep = super::catalog::ensure_indexes(self.store(), d.row.id, &d.def, &paths).await?;
        // The version records every rename (a rollback renames back), also of keys no record
        // held a value for yet.
        let applied = serde_json::json!({
            "renames": planned.renames,
            "option_maps": plan.option_maps,
            "retyped": plan.retypes.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "retyped_columns": plan.column_retypes.iter().map(|(f, c, _)| format!("{f}.{c}")).collect::<Vec<_>>(),
            "records_rewritten": rewrites.len(),
        })
        .to_string();
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let definition = d.def.to_json();
        let rollups = super::summaries::rollup_specs(&d.def);
        let substring_fields = super::catalog::substring_fields(&d.def);
        let text_fields = super::catalog::text_fields(&d.def);
        let line_filter_columns = super::line_filters::filtered_columns(&d.def);
        let line_columns = super::line_filters::filterable_columns(&d.def);
        let key_fields = super::catalog::key_fields(&d.def);
        let v = self
            .store()
            .publish(
                &Publication {
                    app_id: d.row.id,
                    by,
                    note,
                    changes: Some(&applied),
                    definition: &definition,
                    rewrites: &rewrites,
                    rollups: &rollups,
                    substring_fields: &substring_fields,
                    text_fields: &text_fields,
                    line_filter_columns: &line_filter_columns,
                    line_columns: &line_columns,
                    key_fields: &key_fields,
                },
                now,
            )
            .await
            .map_err(|e| match e {
                StoreError::NotFound => EngineError::AppNotFound(slug.into()),
                StoreError::Stale { current } => EngineError::Conflict(format!(
                    "record {current} changed while publishing; nothing was published, publish again"
                )),
                e => EngineError::Store(e),
            })?;
        let dropped = self
            .store()
            .drop_app_indexes_except(d.row.id, &keep)
            .await?;
        if !dropped.is_empty() {
            tracing::info!(
                app = slug,
                "dropped indexes no view uses: {}",
                dropped.join(", ")
            );
        }
        self.store().fill_keys_in_background(d.row.id);
        self.catalog().invalidate();
        Ok(v)
    }

    /// An app's published versions, newest first.
    pub async fn versions(&self, slug: &str) -> Result<Vec<VersionInfo>, EngineError> {
        let (row, _) = self.draft(slug).await?;
        Ok(self.store().app_versions(row.id).await?)
    }

    /// One published version's definition.
    pub async fn version_definition(
        &self,
        slug: &str,
        version: i64,
    ) -> Result<AppDef, EngineError> {
        let (row, _) = self.draft(slug).await?;
        let text = self
            .store()
            .app_version(row.id, version)
            .await?
            .ok_or_else(|| {
                definition_error("version", format!("`{slug}` has no version {version}"))
            })?;
        serde_json::from_str(&text).map_err(|e| definition_error("(stored version)", e.to_string()))
    }

    /// Makes an earlier version the draft (publish it to put it in force). Fields renamed since
    /// that version are renamed back when it is published, so their values follow.
    pub async fn rollback(
        &self,
        slug: &str,
        to: i64,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let mut target = self.version_definition(slug, to).await?;
        let versions = self.versions(slug).await?;
        // Where each field of the target version's data lives now: follow the renames that
        // later publications applied, oldest first.
        let mut now_at: indexmap::IndexMap<String, String> = target
            .fields
            .keys()
            .map(|k| (k.clone(), k.clone()))
            .collect();
        for v in versions.iter().rev().filter(|v| v.version > to) {
            let renames: Vec<(String, String)> = v
                .changes
                .as_deref()
                .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
                .and_then(|c| serde_json::from_value(c["renames"].clone()).ok())
                .unwrap_or_default();
            for cur in now_at.values_mut() {
                if let Some((_, to)) = renames.iter().find(|(from, _)| from == cur) {
                    *cur = to.clone();
                }
            }
        }
        let mut changes = DraftChanges::default();
        for (field, cur) in now_at {
            if field != cur {
                changes.renames.insert(field, cur);
            }
        }
        self.edit_draft(slug, now, move |def, ch, _| {
            target.slug = def.slug.clone();
            *def = target;
            *ch = changes;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// A definition as TOML: the draft, or a published version. Importing it gives the same app.
    pub async fn export_toml(
        &self,
        slug: &str,
        version: Option<i64>,
    ) -> Result<String, EngineError> {
        let def = match version {
            Some(v) => self.version_definition(slug, v).await?,
            None => self.draft(slug).await?.1,
        };
        toml::to_string_pretty(&def).map_err(|e| definition_error("(export)", e.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slug_from("Equipment Requests"), "equipment_requests");
        assert_eq!(slug_from("2026 Budget!"), "app_2026_budget");
        assert_eq!(slug_from("Café — visits"), "cafe_visits");
        assert_eq!(slug_from("Ünïcode Label"), "unicode_label");
    }

    #[test]
    fn a_definition_exports_to_toml_and_imports_back_unchanged() {
        let def = AppDef::parse(crate::demo::EXPENSE_CLAIMS).unwrap();
        let text = toml::to_string_pretty(&def).unwrap();
        let back = AppDef::parse(&text).unwrap();
        assert_eq!(back.to_json(), def.to_json());
    }
}
