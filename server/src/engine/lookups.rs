//! The `lookup` field type: a record of one app refers to a record of another (or the same) app
//! by id. Whoever reads the referring record sees the target's title only when they may read the
//! target itself (`Engine::can_read`, the rule every read of that app follows); choosing a target
//! is refused unless the chooser may read it and the field's `filter` admits it; deleting a target
//! is refused while records refer to it, or empties their field (`on_delete`).
use super::definition::{AppDef, FieldDef, FieldType};
use super::value::display_value;
use super::{Actor, Engine, EngineError, PublishedApp};
use crate::store::{RecordQuery, RecordRow};
use crate::store::{SortKey, ValueKind};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// What a lookup shows in place of a title its reader may not see.
pub const HIDDEN: &str = "a record you cannot open";

/// How many records a search for a lookup returns at most.
pub const FIND_LIMIT: usize = 20;

/// How many candidates a search reads before checking who may read them.
const FIND_CANDIDATES: u64 = 200;

/// A target record offered for a lookup: its id and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupChoice {
    pub id: i64,
    pub title: String,
}

/// Looked-up records as one reader may see them, by target app and id (`None`: the reader may
/// not read it, or it no longer exists): their titles, and their data for looked-up fields.
#[derive(Debug, Default, Clone)]
pub struct LookupTitles {
    seen: HashMap<(String, i64), Option<Seen>>,
    targets: HashMap<String, Arc<PublishedApp>>,
}

#[derive(Debug, Clone)]
struct Seen {
    title: String,
    data: Value,
}

impl LookupTitles {
    /// A lookup field's stored value as its reader sees it: the title, [`HIDDEN`], or empty.
    pub fn show(&self, field: &FieldDef, v: &Value) -> Option<String> {
        if field.kind != FieldType::Lookup {
            return None;
        }
        let id = v.as_i64()?;
        let app = field.app.clone().unwrap_or_default();
        Some(match self.seen.get(&(app, id)) {
            Some(Some(t)) => t.title.clone(),
            _ => HIDDEN.to_string(),
        })
    }

    /// Like [`LookupTitles::show`] for one field of a record's data; for a looked-up field
    /// (`lookup.field`), the target field's value as displayed, [`HIDDEN`] when the reader may
    /// not read the target, or empty when the lookup is.
    pub fn shown(&self, def: &AppDef, field: &str, data: &Value) -> Option<String> {
        if let Some((lookup, target_field)) = super::lookup_paths::split(field) {
            let f = def.fields.get(lookup)?;
            let slug = f.app.clone().unwrap_or_default();
            let Some(id) = stored_id(data.get(lookup)) else {
                return Some(String::new());
            };
            return Some(match self.seen.get(&(slug.clone(), id)) {
                Some(Some(seen)) => match self.targets.get(&slug) {
                    Some(t) => display_value(&t.def, target_field, &seen.data),
                    None => String::new(),
                },
                _ => HIDDEN.to_string(),
            });
        }
        let f = def.fields.get(field)?;
        match data.get(field) {
            Some(v) if !v.is_null() => self.show(f, v),
            _ if f.kind == FieldType::Lookup => Some(String::new()),
            _ => None,
        }
    }
}

/// A record's title: its app's `title_field`, else "Record N".
pub fn record_title(def: &AppDef, record: &RecordRow) -> String {
    def.title_field
        .as_ref()
        .map(|t| display_value(def, t, &record.data))
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| format!("Record {}", record.id))
}

/// The lookup that `name` names in `def`, with the input that sets it: a lookup field
/// (`project`), or a lookup column of a lines field (`items.project`, set by `items`).
pub fn lookup_input<'a>(def: &'a AppDef, name: &'a str) -> Option<(&'a str, &'a FieldDef)> {
    match name.split_once('.') {
        Some((field, col)) => def
            .fields
            .get(field)
            .filter(|f| f.kind == FieldType::Lines)
            .and_then(|f| f.columns.get(col))
            .filter(|c| c.kind == FieldType::Lookup)
            .map(|c| (field, c)),
        None => def
            .fields
            .get(name)
            .filter(|f| f.kind == FieldType::Lookup)
            .map(|f| (name, f)),
    }
}

/// The stored id of a lookup (`None` when empty or not an id).
fn stored_id(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// Parses a lookup's input: a record id, as a JSON integer or its digits.
pub fn parse_lookup(def: &FieldDef, raw: &super::Raw) -> Result<Value, String> {
    let target = def.app.as_deref().unwrap_or("the target app");
    let wrong = || format!("expected the id of a record of `{target}` (a whole number)");
    match raw {
        super::Raw::Json(Value::Number(n)) => n.as_i64().map(Value::from).ok_or_else(wrong),
        _ => raw
            .as_text()
            .and_then(|s| s.trim().trim_start_matches('#').parse::<i64>().ok())
            .map(Value::from)
            .ok_or_else(wrong),
    }
}

impl Engine {
    /// The published app a lookup field refers to.
    async fn lookup_target(&self, field: &FieldDef) -> Result<Arc<PublishedApp>, EngineError> {
        let slug = field.app.as_deref().unwrap_or_default();
        self.app(slug).await
    }

    /// The query of the target's records a lookup field offers (its `filter`), for the actor.
    fn offered_query(target: &PublishedApp, field: &FieldDef, actor: &Actor) -> RecordQuery {
        RecordQuery {
            app_id: target.id,
            predicates: super::views::filter_list_predicates(&target.def, &field.filter, actor),
            ..RecordQuery::default()
        }
    }

    /// Why the actor may not choose record `id` for the lookup `field`, if they may not: it does
    /// not exist or they may not read it (one answer, so ids reveal nothing), or the field's
    /// filter leaves it out.
    pub(super) async fn lookup_refusal(
        &self,
        actor: &Actor,
        field: &FieldDef,
        id: i64,
    ) -> Result<Option<String>, EngineError> {
        let target = match self.lookup_target(field).await {
            Ok(t) => t,
            Err(EngineError::AppNotFound(slug)) => {
                return Ok(Some(format!(
                    "the app `{slug}` this field refers to is not published"
                )))
            }
            Err(e) => return Err(e),
        };
        let name = &target.def.name;
        let record = match self.store().record(target.id, id).await? {
            Some(r) if self.can_read(&target, actor, &r).await? => r,
            _ => {
                return Ok(Some(format!(
                    "there is no record {id} of {name} that you can open; choose one you can see"
                )))
            }
        };
        if !field.filter.is_empty() {
            let q = Self::offered_query(&target, field, actor);
            if !self.store().record_matches_any(record.id, &[q]).await? {
                return Ok(Some(format!(
                    "\"{}\" ({name} record {id}) cannot be chosen here",
                    record_title(&target.def, &record)
                )));
            }
        }
        Ok(None)
    }

    /// The records of the target app that the actor may choose for lookup `field` of app `slug`,
    /// whose title contains `query` (or whose id it is), at most [`FIND_LIMIT`], by title.
    /// `field_name` is a lookup field, or a lines field's lookup column (`items.project`). Only
    /// someone who may run an operation that takes the field (or its lines) as an input may
    /// search it.
    pub async fn find_lookup(
        &self,
        actor: &Actor,
        slug: &str,
        field_name: &str,
        query: &str,
    ) -> Result<Vec<LookupChoice>, EngineError> {
        let app = self.app(slug).await?;
        let field = lookup_input(&app.def, field_name)
            .filter(|(input, _)| {
                app.def
                    .operations
                    .values()
                    .any(|o| o.inputs.iter().any(|i| i == input) && actor.has_any(&o.roles))
            })
            .map(|(_, f)| f)
            .ok_or_else(|| {
                EngineError::Forbidden(format!(
                    "app `{slug}` has no lookup field `{field_name}` that you may fill in"
                ))
            })?;
        let target = self.lookup_target(field).await?;
        let query = query.trim();
        let mut found = Vec::new();
        // An id given outright ("12" or "#12") comes first when it may be chosen.
        if let Ok(id) = query.trim_start_matches('#').parse::<i64>() {
            if self.lookup_refusal(actor, field, id).await?.is_none() {
                if let Some(r) = self.store().record(target.id, id).await? {
                    found.push(LookupChoice {
                        id,
                        title: record_title(&target.def, &r),
                    });
                }
            }
        }
        let mut q = Self::offered_query(&target, field, actor);
        if let Some(t) = target.def.title_field.as_ref().filter(|t| {
            target
                .def
                .fields
                .get(*t)
                .is_some_and(|f| matches!(f.kind, FieldType::Text | FieldType::LongText))
        }) {
            if !query.is_empty() {
                q.search = Some((vec![t.clone()], query.to_string()));
            }
            q.sort = vec![SortKey {
                field: t.clone(),
                kind: ValueKind::Text,
                desc: false,
            }];
        } else if !query.is_empty() && found.is_empty() {
            return Ok(found);
        }
        q.limit = FIND_CANDIDATES;
        let (rows, _) = self.store().query_records(&q).await?;
        for r in rows {
            if found.len() >= FIND_LIMIT {
                break;
            }
            if found.iter().any(|c| c.id == r.id) || !self.can_read(&target, actor, &r).await? {
                continue;
            }
            found.push(LookupChoice {
                id: r.id,
                title: record_title(&target.def, &r),
            });
        }
        Ok(found)
    }

    /// The titles the actor may see of every record that the lookup fields of `def`, and the
    /// lookup columns of its lines fields, hold in `records`' data.
    pub async fn lookup_titles<'a>(
        &self,
        actor: &Actor,
        def: &AppDef,
        records: impl IntoIterator<Item = &'a Value>,
    ) -> Result<LookupTitles, EngineError> {
        let fields: Vec<(&String, &FieldDef)> = def
            .fields
            .iter()
            .filter(|(_, f)| f.kind == FieldType::Lookup)
            .collect();
        let lines: Vec<(&String, &FieldDef)> = def
            .fields
            .iter()
            .filter(|(_, f)| super::lines::lookup_columns(f).next().is_some())
            .collect();
        let mut titles = LookupTitles::default();
        if fields.is_empty() && lines.is_empty() {
            return Ok(titles);
        }
        let mut missing: std::collections::HashSet<String> = Default::default();
        for data in records {
            let mut wanted: Vec<(String, i64)> = Vec::new();
            for (name, f) in &fields {
                if let Some(id) = stored_id(data.get(name.as_str())) {
                    wanted.push((f.app.clone().unwrap_or_default(), id));
                }
            }
            for (name, f) in &lines {
                let held =
                    super::lines::stored_lines(data.get(name.as_str()).unwrap_or(&Value::Null));
                for (col, c) in super::lines::lookup_columns(f) {
                    for line in &held {
                        if let Some(id) = stored_id(line.get(col.as_str())) {
                            wanted.push((c.app.clone().unwrap_or_default(), id));
                        }
                    }
                }
            }
            for (slug, id) in wanted {
                if titles.seen.contains_key(&(slug.clone(), id)) {
                    continue;
                }
                if !titles.targets.contains_key(&slug) && !missing.contains(&slug) {
                    match self.catalog().app(&slug).await? {
                        Some(t) => {
                            titles.targets.insert(slug.clone(), t);
                        }
                        None => {
                            missing.insert(slug.clone());
                        }
                    }
                }
                let seen = match titles.targets.get(&slug).cloned() {
                    Some(target) => match self.store().record(target.id, id).await? {
                        Some(r) if self.can_read(&target, actor, &r).await? => Some(Seen {
                            title: record_title(&target.def, &r),
                            data: r.data,
                        }),
                        _ => None,
                    },
                    None => None,
                };
                titles.seen.insert((slug, id), seen);
            }
        }
        Ok(titles)
    }

    /// The problems of `def`'s lookup fields with the apps they refer to: each must be this app
    /// or a published one, whose fields its filter names.
    pub(super) async fn check_lookup_targets(
        &self,
        def: &AppDef,
    ) -> Result<Vec<super::definition::DefinitionError>, EngineError> {
        let mut errors = Vec::new();
        let mut targets = HashMap::new();
        let mut lookups: Vec<(String, &FieldDef)> = def
            .fields
            .iter()
            .filter(|(_, f)| f.kind == FieldType::Lookup)
            .map(|(name, f)| (format!("fields.{name}"), f))
            .collect();
        for (name, f) in &def.fields {
            for (col, c) in super::lines::lookup_columns(f) {
                lookups.push((format!("fields.{name}.columns.{col}"), c));
            }
        }
        for (path, f) in lookups {
            let Some(slug) = f.app.as_deref() else {
                continue;
            };
            if slug == def.slug {
                check_target(&path, f, def, &mut errors);
                continue;
            }
            // Read from the database, not the catalog's cache: the target may have been
            // published a moment ago (the demo publishes its apps one after the other).
            let published = match self.editor_draft(slug).await {
                Ok(d) => d.published,
                Err(EngineError::AppNotFound(_)) => None,
                Err(e) => return Err(e),
            };
            match published {
                Some(target) => {
                    check_target(&path, f, &target.def, &mut errors);
                    targets.insert(slug.to_string(), target.def.clone());
                }
                None => errors.push(super::definition::DefinitionError {
                    path: format!("{path}.app"),
                    message: format!(
                        "there is no published app `{slug}`; import and publish it first"
                    ),
                }),
            }
        }
        super::lookup_paths::check(def, &targets, &mut errors);
        Ok(errors)
    }

    /// Checks every lookup input the request sets; the refusals are field errors.
    pub(super) async fn check_lookups(
        &self,
        actor: &Actor,
        def: &AppDef,
        chosen: &[(String, i64)],
    ) -> Result<Vec<super::FieldError>, EngineError> {
        let mut errors = Vec::new();
        for (name, id) in chosen {
            let Some(field) = def.fields.get(name) else {
                continue;
            };
            if let Some(message) = self.lookup_refusal(actor, field, *id).await? {
                errors.push(super::FieldError {
                    field: name.clone(),
                    label: field.label.clone(),
                    message,
                });
            }
        }
        Ok(errors)
    }
}

/// Checks a lookup field's own settings (the target app itself is checked at publication, when
/// the other apps are known).
pub fn check_definition(
    path: &str,
    f: &FieldDef,
    errors: &mut Vec<super::definition::DefinitionError>,
) {
    if f.kind != FieldType::Lookup {
        return;
    }
    let mut err = |at: &str, message: String| {
        errors.push(super::definition::DefinitionError {
            path: format!("{path}.{at}"),
            message,
        })
    };
    match f.app.as_deref() {
        None => err(
            "app",
            "a lookup field needs `app`, the slug of the app it refers to".into(),
        ),
        Some(a) if !super::definition::is_ident(a) => {
            err("app", format!("`{a}` is not an app slug"))
        }
        Some(_) => {}
    }
    if f.default.is_some() {
        err("default", "a lookup field has no default".into());
    }
    for (i, flt) in f.filter.iter().enumerate() {
        if !super::definition::is_ident(&flt.field) {
            err(
                &format!("filter[{i}].field"),
                format!("`{}` is not a field name", flt.field),
            );
        }
    }
}

/// Checks a lookup field against the app it refers to: its filter's fields and operators.
pub fn check_target(
    path: &str,
    f: &FieldDef,
    target: &AppDef,
    errors: &mut Vec<super::definition::DefinitionError>,
) {
    for (i, flt) in f.filter.iter().enumerate() {
        target.check_filter_of(errors, &format!("{path}.filter[{i}]"), &flt.field, flt.op);
    }
}

#[cfg(test)]
#[path = "lookups_tests.rs"]
mod tests;
