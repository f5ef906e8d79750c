//! Looked-up fields: a view shows, and filters on, a field of the record that one of its app's
//! lookups refers to, named `lookup.field` (`project.cost_centre`). One step only: the target's
//! field is one of its own stored fields, never a lookup, file or photo.
//!
//! The names are resolved when the catalog loads the published apps (`PublishedApp::paths`), so
//! a page knows each looked-up column's label and type without asking the database. A filter on
//! one becomes a predicate with a [`Via`]: the lookup's id must be among the target records that
//! meet the condition *and* that the reader may list in one of the target app's views, so a
//! filter never tells anything about a record its reader may not read. (A target record someone
//! may only act on through an operation does not count here; the rule errs on the side of less.)
use super::catalog::{value_kind, PublishedApp};
use super::definition::{AppDef, DefinitionError, FieldDef, FieldType, FilterOp};
use super::{Actor, Engine, EngineError};
use crate::store::{Predicate, RecordQuery, Via};
use std::collections::HashMap;

/// The resolved looked-up fields of one app, by name (`PublishedApp::paths`).
pub type Paths = HashMap<String, LookedUp>;

/// The definition of a name a view uses: the app's own field or a resolved looked-up one.
pub fn field_of<'a>(def: &'a AppDef, paths: &'a Paths, name: &str) -> Option<&'a FieldDef> {
    def.fields
        .get(name)
        .or_else(|| super::line_filters::column_of(def, name))
        .or_else(|| paths.get(name).map(|p| &p.def))
}

/// The label of a name a view uses ("Project · Cost centre" for a looked-up field).
pub fn label_of(def: &AppDef, paths: &Paths, name: &str) -> Option<String> {
    def.fields
        .get(name)
        .map(|f| f.label.clone())
        .or_else(|| super::line_filters::label_of(def, name))
        .or_else(|| paths.get(name).map(|p| p.label.clone()))
}

/// `lookup.field` as its two names; `None` for a plain field name.
pub fn split(name: &str) -> Option<(&str, &str)> {
    name.split_once('.')
}

/// A default copied from the looked-up record when a record is created, `$lookup.field`: its
/// two names (`$me…` is the acting user, not a lookup).
pub fn copied_default(default: &str) -> Option<(&str, &str)> {
    split(default.strip_prefix('$')?).filter(|(l, _)| *l != "me")
}

/// Whether a default is evaluated when the record is created from something other than the
/// definition: a looked-up record's field or the person's name or department.
pub fn evaluated_default(default: &str) -> bool {
    copied_default(default).is_some() || default.starts_with("$me.")
}

/// How a field with a copied default is described to people and assistants.
pub fn copied_default_note(def: &AppDef, field: &FieldDef) -> Option<String> {
    match field.default.as_deref()? {
        "$me.name" => {
            return Some(
                "when left empty on a new record, it is the name of the person creating it".into(),
            )
        }
        "$me.department" => {
            return Some(
                "when left empty on a new record, it is the department of the person creating it"
                    .into(),
            )
        }
        _ => {}
    }
    let (lookup, target) = copied_default(field.default.as_deref()?)?;
    let label = def.fields.get(lookup).map(|f| f.label.as_str())?;
    Some(format!(
        "when left empty on a new record, it is copied from the chosen {label}'s `{target}`"
    ))
}

/// Checks a copied default as far as the definition itself can: `$lookup.field` must name one
/// of its lookup fields, and the field must store a value of its own.
pub fn check_copied_default(
    def: &AppDef,
    path: &str,
    f: &FieldDef,
    errors: &mut Vec<DefinitionError>,
) {
    let Some((lookup, target)) = f.default.as_deref().and_then(copied_default) else {
        return;
    };
    let mut err = |message: String| {
        errors.push(DefinitionError {
            path: format!("{path}.default"),
            message,
        })
    };
    if f.kind.is_derived() || !shown_kind(f.kind) {
        err("this type of field cannot take a value copied from a looked-up record".into());
    } else if def.fields.get(lookup).map(|l| l.kind) != Some(FieldType::Lookup) {
        err(format!(
            "`${lookup}.{target}`: `{lookup}` is not a lookup field of this app"
        ));
    } else if !super::definition::is_ident(target) {
        err(format!("`{target}` is not a field name"));
    }
}

/// Whether a value of a `from` field may be copied into a `into` field: the same type, or any
/// value into text (as it is displayed).
fn copies_into(from: FieldType, into: FieldType) -> bool {
    from == into || matches!(into, FieldType::Text | FieldType::LongText)
}

/// A field type's name as definitions write it (`long_text`).
fn type_name(kind: FieldType) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A looked-up field as resolved against the published target app.
#[derive(Debug, Clone)]
pub struct LookedUp {
    /// The lookup field of the app whose view uses the name.
    pub lookup: String,
    /// The target app's field.
    pub field: String,
    pub target_slug: String,
    pub target_id: i64,
    /// The target field's definition (its type decides parsing, comparing and display).
    pub def: FieldDef,
    /// "Project · Cost centre": the lookup's label, then the target field's.
    pub label: String,
}

/// Where a definition's views use a looked-up name: the definition path (for errors), the
/// name, and the filter operator when it filters.
pub fn uses(def: &AppDef) -> Vec<(String, String, Option<FilterOp>)> {
    let mut out = Vec::new();
    for (vn, v) in &def.views {
        for (i, c) in v.columns.iter().enumerate() {
            if split(c).is_some() {
                out.push((format!("views.{vn}.columns[{i}]"), c.clone(), None));
            }
        }
        for (i, f) in v.filters.iter().enumerate() {
            if split(&f.field).is_some() && super::line_filters::split(def, &f.field).is_none() {
                out.push((
                    format!("views.{vn}.filters[{i}]"),
                    f.field.clone(),
                    Some(f.op),
                ));
            }
        }
        for (pn, p) in &v.parameters {
            if split(&p.field).is_some() && super::line_filters::split(def, &p.field).is_none() {
                out.push((
                    format!("views.{vn}.parameters.{pn}"),
                    p.field.clone(),
                    Some(p.op),
                ));
            }
        }
    }
    out
}

/// Resolves every looked-up name `def`'s views use; `target` gives a published app's id and
/// definition by slug. Names that do not resolve (checked at publication, so only a target
/// changed since) are left out: their columns show nothing and their filters match nothing.
pub fn resolve<'a>(
    def: &AppDef,
    target: impl Fn(&str) -> Option<(i64, &'a AppDef)>,
) -> HashMap<String, LookedUp> {
    let mut out = HashMap::new();
    for (_, name, _) in uses(def) {
        if out.contains_key(&name) {
            continue;
        }
        let Some((lookup, field)) = split(&name) else {
            continue;
        };
        let Some(lf) = def
            .fields
            .get(lookup)
            .filter(|f| f.kind == FieldType::Lookup)
        else {
            continue;
        };
        let Some(slug) = lf.app.as_deref() else {
            continue;
        };
        let Some((target_id, tdef)) = target(slug) else {
            continue;
        };
        let Some(tf) = tdef.fields.get(field).filter(|f| shown_kind(f.kind)) else {
            continue;
        };
        out.insert(
            name.clone(),
            LookedUp {
                lookup: lookup.to_string(),
                field: field.to_string(),
                target_slug: slug.to_string(),
                target_id,
                def: tf.clone(),
                label: format!("{} · {}", lf.label, tf.label),
            },
        );
    }
    out
}

/// Whether a target field can be looked up: a stored value that reads as text or a number.
fn shown_kind(kind: FieldType) -> bool {
    !matches!(kind, FieldType::Lookup | FieldType::File | FieldType::Photo)
}

/// Checks `def`'s looked-up names against the definitions of the apps its lookups refer to
/// (`targets`, by slug; a missing target is reported by the lookup's own check).
pub fn check(def: &AppDef, targets: &HashMap<String, AppDef>, errors: &mut Vec<DefinitionError>) {
    for (path, name, op) in uses(def) {
        let Some((lookup, field)) = split(&name) else {
            continue;
        };
        let Some(slug) = def.fields.get(lookup).and_then(|f| f.app.as_deref()) else {
            continue;
        };
        let target = if slug == def.slug {
            def
        } else {
            match targets.get(slug) {
                Some(t) => t,
                None => continue,
            }
        };
        check_one(&path, &name, field, op, target, errors);
    }
    for (name, f) in &def.fields {
        let Some((lookup, field)) = f.default.as_deref().and_then(copied_default) else {
            continue;
        };
        let Some(slug) = def.fields.get(lookup).and_then(|l| l.app.as_deref()) else {
            continue;
        };
        let target = if slug == def.slug {
            def
        } else {
            match targets.get(slug) {
                Some(t) => t,
                None => continue,
            }
        };
        let path = format!("fields.{name}.default");
        match target.fields.get(field) {
            None => errors.push(DefinitionError {
                path,
                message: format!("the app `{slug}` has no field `{field}` to copy"),
            }),
            Some(tf) if !shown_kind(tf.kind) || !copies_into(tf.kind, f.kind) => {
                errors.push(DefinitionError {
                    path,
                    message: format!(
                        "`{field}` of `{slug}` is a {} field; it can be copied into a field of that type or into a text field",
                        type_name(tf.kind)
                    ),
                })
            }
            Some(_) => {}
        }
    }
}

fn check_one(
    path: &str,
    name: &str,
    field: &str,
    op: Option<FilterOp>,
    target: &AppDef,
    errors: &mut Vec<DefinitionError>,
) {
    match target.fields.get(field).map(|f| f.kind) {
        None => errors.push(DefinitionError {
            path: path.to_string(),
            message: format!(
                "`{name}`: the app `{}` has no field `{field}`",
                target.slug
            ),
        }),
        Some(k) if !shown_kind(k) => errors.push(DefinitionError {
            path: path.to_string(),
            message: format!(
                "`{name}`: `{field}` of `{}` is a lookup, file or photo field, which cannot be looked up",
                target.slug
            ),
        }),
        Some(_) => {
            if let Some(op) = op {
                target.check_filter_of(errors, path, field, op);
            }
        }
    }
}

impl Engine {
    /// Fills the fields of a new record whose default is copied from a looked-up record
    /// (`$lookup.field`) and that are still empty, from the target record the lookup holds,
    /// when the actor may read it. Evaluated once, at creation.
    pub(crate) async fn copy_looked_up_defaults(
        &self,
        actor: &Actor,
        def: &AppDef,
        data: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), EngineError> {
        for (name, f) in &def.fields {
            let Some((lookup, field)) = f.default.as_deref().and_then(copied_default) else {
                continue;
            };
            if data.get(name).is_some_and(|v| !v.is_null()) {
                continue;
            }
            let Some(id) = data.get(lookup).and_then(serde_json::Value::as_i64) else {
                continue;
            };
            let Some(slug) = def.fields.get(lookup).and_then(|l| l.app.as_deref()) else {
                continue;
            };
            let Some(target) = self.catalog().app(slug).await? else {
                continue;
            };
            let Some(record) = self.store().record(target.id, id).await? else {
                continue;
            };
            if !self.can_read(&target, actor, &record).await? {
                continue;
            }
            let value = match (record.data.get(field), target.def.fields.get(field)) {
                (Some(v), Some(tf)) if !v.is_null() => {
                    if tf.kind == f.kind {
                        v.clone()
                    } else {
                        serde_json::Value::String(super::value::display_value(
                            &target.def,
                            field,
                            &record.data,
                        ))
                    }
                }
                _ => continue,
            };
            data.insert(name.clone(), value);
        }
        Ok(())
    }

    /// The looked-up names of `def` resolved against the published apps (`own_id` is `def`'s
    /// own app, for a lookup into itself): for a definition that is not the published one,
    /// such as the editor's preview of a draft.
    pub(crate) async fn resolve_lookup_paths(
        &self,
        def: &AppDef,
        own_id: i64,
    ) -> Result<HashMap<String, LookedUp>, EngineError> {
        let apps = self.catalog().apps().await?;
        Ok(resolve(def, |slug| {
            if slug == def.slug {
                return Some((own_id, def));
            }
            apps.iter()
                .find(|a| a.def.slug == slug)
                .map(|a| (a.id, &a.def))
        }))
    }

    /// The problems publishing `def` would cause to other published apps that look up its
    /// fields: each field they show or filter on through a lookup (and each field their lookup
    /// filters name) must still be there, of a type that allows it.
    pub(crate) async fn check_lookup_referrers(
        &self,
        def: &AppDef,
    ) -> Result<Vec<DefinitionError>, EngineError> {
        let mut errors = Vec::new();
        for other in self.catalog().apps().await? {
            if other.def.slug == def.slug {
                continue;
            }
            let mut found = Vec::new();
            for (path, name, op) in uses(&other.def) {
                let Some((lookup, field)) = split(&name) else {
                    continue;
                };
                let into_def = other.def.fields.get(lookup).and_then(|f| f.app.as_deref())
                    == Some(def.slug.as_str());
                if into_def {
                    check_one(&path, &name, field, op, def, &mut found);
                }
            }
            for (fname, f) in other.def.fields.iter().filter(|(_, f)| {
                f.kind == FieldType::Lookup && f.app.as_deref() == Some(def.slug.as_str())
            }) {
                super::lookups::check_target(&format!("fields.{fname}"), f, def, &mut found);
            }
            errors.extend(found.into_iter().map(|e| DefinitionError {
                path: e.path.clone(),
                message: format!(
                    "the published app `{}` ({}) needs this: {}; change that app first",
                    other.def.slug, e.path, e.message
                ),
            }));
        }
        // The path of each problem is the other app's; this definition's editor shows them at
        // the top.
        for e in &mut errors {
            e.path = "fields".into();
        }
        Ok(errors)
    }

    /// Turns the predicates on looked-up fields (`lookup.field`) into predicates through the
    /// lookup: typed as the target field, and limited to the target records the actor may list.
    pub(crate) async fn attach_vias(
        &self,
        app: &PublishedApp,
        actor: &Actor,
        predicates: &mut [Predicate],
    ) -> Result<(), EngineError> {
        for p in predicates.iter_mut() {
            if split(&p.field).is_none() || p.op == crate::store::PredicateOp::HasLine {
                continue;
            }
            let Some(lu) = app.paths.get(&p.field) else {
                // The target changed since publication: the filter matches nothing.
                p.via = Some(Box::new(Via {
                    lookup: String::new(),
                    field: String::new(),
                    readable: Vec::new(),
                }));
                continue;
            };
            p.kind = value_kind(lu.def.kind);
            if lu.def.kind == FieldType::YesNo {
                if let Ok(serde_json::Value::Bool(b)) =
                    super::field_types::parse_yesno(&super::Raw::Text(p.value.clone()))
                {
                    p.value = (if b { "1" } else { "0" }).to_string();
                }
            }
            let readable = match self.catalog().app(&lu.target_slug).await? {
                Some(target) => self.listable_queries(&target, actor).await?,
                None => Vec::new(),
            };
            p.via = Some(Box::new(Via {
                lookup: lu.lookup.clone(),
                field: lu.field.clone(),
                readable,
            }));
        }
        Ok(())
    }

    /// One query per view of `app` the actor may open: its app, row scope and fixed filters
    /// (views that themselves filter through a lookup are left out: one step only).
    async fn listable_queries(
        &self,
        app: &PublishedApp,
        actor: &Actor,
    ) -> Result<Vec<RecordQuery>, EngineError> {
        let mut out: Vec<RecordQuery> = Vec::new();
        for view in app.def.views.values().filter(|v| actor.has_any(&v.roles)) {
            if view.filters.iter().any(|f| split(&f.field).is_some()) {
                continue;
            }
            let (owners, team) = self.scope_rows(view.scope, actor).await?;
            let q = RecordQuery {
                app_id: app.id,
                owners,
                team,
                predicates: super::views::fixed_filter_predicates(&app.def, view, actor),
                ..RecordQuery::default()
            };
            if q.owners.is_none() && q.team.is_none() && q.predicates.is_empty() {
                // Every record: no other query adds anything.
                return Ok(vec![q]);
            }
            if !out.contains(&q) {
                out.push(q);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERRING: &str = r#"
slug = "tasks"
name = "Tasks"
roles = ["staff"]
[fields]
title = { type = "text", label = "Title" }
project = { type = "lookup", label = "Project", app = "projects" }
[views.all]
title = "All"
roles = ["staff"]
columns = ["title", "project", "project.code"]
filters = [{ field = "project.active", op = "eq", value = "yes" }]
parameters.code = { field = "project.code", op = "eq" }
"#;

    const TARGET: &str = r#"
slug = "projects"
name = "Projects"
roles = ["staff"]
[fields]
name = { type = "text", label = "Name" }
code = { type = "text", label = "Code" }
active = { type = "yesno", label = "Active" }
file = { type = "file", label = "Brief" }
[views.all]
title = "All"
roles = ["staff"]
columns = ["name"]
"#;

    fn parse(t: &str) -> AppDef {
        toml::from_str(t).expect("test definition reads")
    }

    #[test]
    fn names_resolve_against_the_target_with_labels_and_types() {
        let (tasks, projects) = (parse(REFERRING), parse(TARGET));
        tasks.validate().expect("valid");
        let paths = resolve(&tasks, |s| (s == "projects").then_some((7, &projects)));
        assert_eq!(paths.len(), 2);
        assert_eq!(paths["project.code"].label, "Project · Code");
        assert_eq!(paths["project.code"].target_id, 7);
        assert_eq!(paths["project.active"].def.kind, FieldType::YesNo);
        let mut errors = Vec::new();
        check(
            &tasks,
            &HashMap::from([("projects".to_string(), projects)]),
            &mut errors,
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn unknown_and_unlookable_target_fields_are_refused_with_their_path() {
        let tasks =
            parse(&REFERRING.replace("\"project.code\"]", "\"project.file\", \"project.nope\"]"));
        let mut errors = Vec::new();
        check(
            &tasks,
            &HashMap::from([("projects".to_string(), parse(TARGET))]),
            &mut errors,
        );
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with("views.all.columns[2]: `project.file`"),
            "{text:?}"
        );
        assert!(text[1].contains("has no field `nope`"), "{text:?}");
    }

    #[test]
    fn definitions_refuse_sorting_by_and_looking_up_through_a_non_lookup() {
        let bad = parse(&REFERRING.replace(
            "parameters.code",
            "sort = [\"project.code\"]\nparameters.code",
        ));
        let e = bad.validate().expect_err("sorting by a looked-up field");
        assert!(
            e[0].to_string().contains("sorts by its app's own fields"),
            "{e:?}"
        );
        let bad = parse(&REFERRING.replace("\"project.code\"]", "\"title.code\"]"));
        let e = bad.validate().expect_err("title is not a lookup");
        assert!(
            e[0].to_string().contains("`title` is not a lookup field"),
            "{e:?}"
        );
    }

    #[test]
    fn renaming_a_lookup_renames_its_looked_up_names() {
        let mut tasks = parse(REFERRING);
        tasks.rename_field("project", "proj").expect("renamed");
        let v = &tasks.views["all"];
        assert_eq!(v.columns[2], "proj.code");
        assert_eq!(v.filters[0].field, "proj.active");
        assert_eq!(v.parameters["code"].field, "proj.code");
    }
}
