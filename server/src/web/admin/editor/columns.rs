//! The columns of a `lines` field in the App Editor: listed in order on the field's page, added
//! (name, label, type), edited with every setting their type has (the field form's controls,
//! read by the same `field_from`), renamed, moved up or down and removed. Each is one
//! `edit_draft`, so a change that stored lines would not survive — a removed or renamed column
//! that lines have values in, a retype or a dropped option they do not fit — is refused with
//! its count (`engine::line_evolution`), shown on the form.
use super::fields::{self, blank_field, refused, type_of, Control, LINES, TYPES};
use super::{message_for, refusal, saved_flash, Header, Posted, Problem};
use crate::engine::definition::{AppDef, FieldDef, FieldType};
use crate::engine::lines::{write_aggregate, COLUMN_TYPES};
use crate::engine::{Draft, EngineError};
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use std::collections::HashMap;

/// One column as the field's page lists it.
pub struct ColumnRow {
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
}

/// The columns of a lines field, in order (none for another field).
pub(super) fn rows(f: &FieldDef) -> Vec<ColumnRow> {
    f.columns
        .iter()
        .map(|(n, c)| ColumnRow {
            name: n.clone(),
            label: c.label.clone(),
            kind: type_label(c.kind),
            required: c.required,
        })
        .collect()
}

/// The types a column may have, as (key, label) for a select.
pub(super) fn types() -> Vec<(&'static str, &'static str)> {
    TYPES
        .iter()
        .filter(|t| COLUMN_TYPES.contains(&t.0))
        .map(|t| (t.1, t.2))
        .collect()
}

fn type_label(kind: FieldType) -> &'static str {
    TYPES
        .iter()
        .chain([&LINES])
        .find(|t| t.0 == kind)
        .map(|t| t.2)
        .unwrap_or("")
}

/// The draft's lines field `field`, to change.
fn lines_field<'a>(def: &'a mut AppDef, field: &str) -> Result<&'a mut FieldDef, EngineError> {
    def.fields
        .get_mut(field)
        .filter(|f| f.kind == FieldType::Lines)
        .ok_or_else(|| refused("fields", format!("no lines field `{field}`")))
}

/// The draft's column `column` of the lines field `field`, or 404.
fn column_of(d: &Draft, field: &str, column: &str) -> Result<(FieldDef, FieldDef), WebError> {
    let f = d
        .def
        .fields
        .get(field)
        .filter(|f| f.kind == FieldType::Lines)
        .ok_or_else(|| WebError::NotFound(format!("no lines field `{field}` in the draft")))?;
    let c = f
        .columns
        .get(column)
        .ok_or_else(|| WebError::NotFound(format!("no column `{column}` in `{field}`")))?;
    Ok((f.clone(), c.clone()))
}

/// Renames a column in place, with what names it inside the app: the currency column of its
/// money columns, the aggregates of computed fields (`sum(items.net)`) and the view filters and
/// parameters on `items.net`.
fn rename_column(def: &mut AppDef, field: &str, old: &str, new: &str) -> Result<(), EngineError> {
    let path = format!("fields.{field}.columns.{new}.name");
    let f = lines_field(def, field)?;
    if f.columns.contains_key(new) {
        return Err(refused(&path, format!("there is already a column `{new}`")));
    }
    let idx = f
        .columns
        .get_index_of(old)
        .ok_or_else(|| refused(&path, format!("no column `{old}`")))?;
    let Some((_, c)) = f.columns.shift_remove_index(idx) else {
        return Err(refused(&path, format!("no column `{old}`")));
    };
    f.columns.insert(new.to_string(), c);
    let last = f.columns.len() - 1;
    f.columns.move_index(last, idx);
    for c in f.columns.values_mut() {
        if c.currency_field.as_deref() == Some(old) {
            c.currency_field = Some(new.to_string());
        }
    }
    for other in def.fields.values_mut() {
        let Some(e) = other.expr.as_mut() else {
            continue;
        };
        if let Some(mut agg) = crate::engine::lines::parse_aggregate(e)
            .filter(|a| a.field == field && a.column.as_deref() == Some(old))
        {
            agg.column = Some(new.to_string());
            *e = write_aggregate(&agg, field);
        }
    }
    let (was, now) = (format!("{field}.{old}"), format!("{field}.{new}"));
    for v in def.views.values_mut() {
        let named = v
            .filters
            .iter_mut()
            .map(|f| &mut f.field)
            .chain(v.parameters.values_mut().map(|p| &mut p.field));
        for name in named.filter(|n| **n == was) {
            *name = now.clone();
        }
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "admin/editor/column.html")]
struct ColumnPage {
    layout: Layout,
    h: Header,
    problems: Vec<Problem>,
    field: String,
    field_label: String,
    original: String,
    controls: Vec<Control>,
    misfit_links: Vec<i64>,
}

/// What a column's default may be, as its help says.
const DEFAULT_HELP: &str = "Given to a new line that leaves the column empty: a value, or a placeholder worked out when the line is added: $me, $me.name, $me.department (text columns), $today, $today+14d, $today-1w (date columns).";

/// The field form's controls for a column: its type among the column types, its currency among
/// the currency columns of its line, no conditions.
fn column_controls(
    def: &AppDef,
    lines: &FieldDef,
    name: &str,
    c: &FieldDef,
    problems: &[Problem],
    targets: &[(String, String)],
) -> Vec<Control> {
    let mut out = fields::controls(def, name, c, problems, targets);
    out.retain(|ctl| !matches!(ctl.name, "visible_when" | "required_when"));
    for ctl in &mut out {
        match ctl.name {
            "name" => ctl.help = "Used in the stored lines, computed fields (sum(items.net)), view filters and MCP. A column that stored lines have values in keeps its name: add a new column instead.",
            "type" => {
                ctl.options = types()
                    .into_iter()
                    .map(|(k, l)| (k.to_string(), l.to_string()))
                    .collect();
                ctl.help = "A type change is checked against the stored lines; it is refused, with their count, when some values do not fit.";
            }
            "help" => ctl.help = "Shown under the table, and given to AI assistants.",
            "required" => ctl.label = "Required on every line",
            "default" if ctl.kind == "text" => ctl.help = DEFAULT_HELP,
            "currency_field" => {
                ctl.label = "Currency column";
                ctl.help = "A currency column of the same line; fixes the amount's decimal places.";
                ctl.options = std::iter::once((String::new(), "— none —".to_string()))
                    .chain(
                        lines
                            .columns
                            .iter()
                            .filter(|(_, c)| c.kind == FieldType::Currency)
                            .map(|(n, c)| (n.clone(), format!("{} ({n})", c.label))),
                    )
                    .collect();
            }
            "options" => ctl.help = "Dropping an option that stored lines use is refused, with their count.",
            "expr" => ctl.help = "Money or number columns of the same line joined by + or -, e.g. net + tax; worked out whenever a line is saved.",
            // A converted column converts an amount of its own line at the rate of its day.
            "source" => {
                ctl.label = "Amount column to convert";
                ctl.help = "A money column of the same line with a currency column.";
                ctl.options = lines
                    .columns
                    .iter()
                    .filter(|(_, c)| crate::engine::lines::is_amount(c))
                    .map(|(n, c)| (n.clone(), format!("{} ({n})", c.label)))
                    .collect();
            }
            "date_field" => {
                ctl.label = "Date column of the rate";
                ctl.help = "The latest exchange rate on or before the line's date is used (Configure > Exchange rates).";
                ctl.options = lines
                    .columns
                    .iter()
                    .filter(|(_, c)| c.kind == FieldType::Date)
                    .map(|(n, c)| (n.clone(), format!("{} ({n})", c.label)))
                    .collect();
            }
            _ => {}
        }
    }
    out
}

#[allow(clippy::too_many_arguments)] // one page, many independent inputs; a struct would only rename them
async fn column_page(
    state: &AppState,
    admin: &Admin,
    d: &Draft,
    field: &str,
    original: &str,
    name: &str,
    c: &FieldDef,
    problems: Vec<Problem>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let lines = d
        .def
        .fields
        .get(field)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no field `{field}` in the draft")))?;
    // The records a refused change concerns, for links beside the form.
    let misfit_links = if problems.is_empty() {
        vec![]
    } else {
        let mut candidate = d.def.clone();
        if let Some(f) = candidate.fields.get_mut(field) {
            if original != name {
                f.columns.shift_remove(original);
            }
            f.columns.insert(name.to_string(), c.clone());
        }
        state
            .engine
            .check_stored_values(d.row.id, d.published_def(), &candidate, &d.changes)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.field == field && m.column.is_some())
            .flat_map(|m| m.sample_ids)
            .collect()
    };
    let refused = !problems.is_empty();
    super::respond(
        &ColumnPage {
            layout: Layout::new(
                format!("{} — column {} of {}", d.def.name, c.label, lines.label),
                &admin.0,
            )
            .with_flash(flash),
            h: Header::new(d, "fields"),
            controls: column_controls(
                &d.def,
                &lines,
                name,
                c,
                &problems,
                &fields::lookup_targets(state, &d.row.slug).await?,
            ),
            problems,
            field: field.to_string(),
            field_label: lines.label,
            original: original.to_string(),
            misfit_links,
        },
        refused,
        422,
    )
}

pub async fn form(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, field, column) = path.into_inner();
    let d = state.engine.editor_draft(&slug).await?;
    let (_, c) = column_of(&d, &field, &column)?;
    column_page(
        &state,
        &admin,
        &d,
        &field,
        &column,
        &column,
        &c,
        vec![],
        saved_flash(&q),
    )
    .await
}

/// The field's page again, showing why a change to its columns was refused.
async fn refused_on_field_page(
    state: &AppState,
    admin: &Admin,
    slug: &str,
    field: &str,
    e: EngineError,
) -> Result<HttpResponse, WebError> {
    let problems = refusal(e, &format!("fields.{field}"))?;
    let d = state.engine.editor_draft(slug).await?;
    let f = d
        .def
        .fields
        .get(field)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no field `{field}` in the draft")))?;
    fields::field_page(
        state,
        admin,
        &d,
        field,
        field,
        &f,
        &HashMap::new(),
        problems,
        None,
    )
    .await
}

/// Adds a column (label, optional name, type) at the end, then opens its page.
pub async fn add(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, field) = path.into_inner();
    let label = form.trimmed("column_label");
    let name = form
        .opt("column_name")
        .unwrap_or_else(|| crate::engine::slug_from(&label));
    let kind = type_of(form.get("column_type")).filter(|k| COLUMN_TYPES.contains(k));
    let at = format!("fields.{field}.columns");
    let targets = fields::lookup_targets(&state, &slug).await?;
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            let own = def.slug.clone();
            let f = lines_field(def, &field)?;
            if label.is_empty() {
                return Err(refused(&at, "give the column a label"));
            }
            let kind = kind.ok_or_else(|| refused(&at, "choose a column type"))?;
            if f.columns.contains_key(&name) {
                return Err(refused(&at, format!("there is already a column `{name}`")));
            }
            let mut c = blank_field(kind, &label);
            if matches!(kind, FieldType::Choice | FieldType::MultiChoice) {
                c.options = vec!["Option 1".into(), "Option 2".into()];
            }
            if kind == FieldType::Lookup {
                // The first other published app, else this one; changed on the column's page.
                c.app = targets
                    .iter()
                    .map(|t| t.0.clone())
                    .find(|t| *t != own)
                    .or_else(|| Some(own.clone()));
            }
            if kind == FieldType::Computed {
                // The line's first two amounts (money with money, else numbers); changed on the
                // column's page.
                let money: Vec<&String> = f
                    .columns
                    .iter()
                    .filter(|(_, c)| c.kind == FieldType::Money)
                    .map(|(n, _)| n)
                    .collect();
                let numbers: Vec<&String> = f
                    .columns
                    .iter()
                    .filter(|(_, c)| matches!(c.kind, FieldType::Number | FieldType::Integer))
                    .map(|(n, _)| n)
                    .collect();
                let terms = if money.is_empty() { numbers } else { money };
                if terms.is_empty() {
                    return Err(refused(
                        &at,
                        "a computed column adds up money or number columns of the line; add one of those first",
                    ));
                }
                c.expr = Some(
                    terms
                        .iter()
                        .take(2)
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" + "),
                );
                c.currency_field = crate::engine::lines::computed_currency(f, &c);
            }
            if kind == FieldType::Converted {
                // The line's first amount at the rate of its first date; changed on its page.
                c.source = f
                    .columns
                    .iter()
                    .find(|(_, c)| crate::engine::lines::is_amount(c))
                    .map(|(n, _)| n.clone());
                c.date_field = f
                    .columns
                    .iter()
                    .find(|(_, c)| c.kind == FieldType::Date)
                    .map(|(n, _)| n.clone());
                if c.source.is_none() || c.date_field.is_none() {
                    return Err(refused(
                        &at,
                        "a converted column converts a money column of the line at the rate of a date column of the line; add those first",
                    ));
                }
            }
            if kind == FieldType::Money {
                // The line's first currency column fixes the amount's decimals.
                c.currency_field = f
                    .columns
                    .iter()
                    .find(|(_, c)| c.kind == FieldType::Currency)
                    .map(|(n, _)| n.clone());
            }
            f.columns.insert(name.clone(), c);
            Ok(())
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!(
            "/admin/apps/{slug}/fields/{field}/columns/{name}?saved=1"
        ))),
        Err(e) => refused_on_field_page(&state, &admin, &slug, &field, e).await,
    }
}

/// Saves a column's form: its settings, and a new name in place.
pub async fn save(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, field, original) = path.into_inner();
    let d = state.engine.editor_draft(&slug).await?;
    let (_, before) = column_of(&d, &field, &original)?;
    let (mut column, form_errs) = fields::field_from(&form, &before);
    (column.visible_when, column.required_when) = (None, None);
    if column.kind == FieldType::Computed {
        // Its currency is that of the money columns it adds up, never set by hand.
        if let Some(lines) = d.def.fields.get(&field) {
            column.currency_field = crate::engine::lines::computed_currency(lines, &column);
        }
    }
    let new_name = form.opt("name").unwrap_or_else(|| original.clone());
    let prefix = format!("fields.{field}.columns.{new_name}");
    let result = super::save_item(&state, &slug, &prefix, form_errs, |def, _, _| {
        if new_name != original {
            rename_column(def, &field, &original, &new_name)?;
        }
        lines_field(def, &field)?
            .columns
            .insert(new_name.clone(), column.clone());
        Ok(())
    })
    .await;
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/apps/{slug}/fields/{field}/columns/{new_name}?saved=1"
        ))),
        Err(e) => {
            let mut problems = refusal(e, &prefix)?;
            // A rename refused for the values stored under the old name belongs to the name.
            let old = format!("fields.{field}.columns.{original}");
            for p in problems.iter_mut().filter(|p| p.control.is_empty()) {
                if p.path == old {
                    p.control = "name".into();
                } else if let Some(rest) = p.path.strip_prefix(&format!("{old}.")) {
                    p.control = rest.split(['.', '[']).next().unwrap_or_default().into();
                }
            }
            column_page(
                &state, &admin, &d, &field, &original, &new_name, &column, problems, None,
            )
            .await
        }
    }
}

/// Moves a column one place up or down.
pub async fn reorder(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, field, column) = path.into_inner();
    let up = form.get("to") == "up";
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            let f = lines_field(def, &field)?;
            let i = f.columns.get_index_of(&column).ok_or_else(|| {
                refused(
                    &format!("fields.{field}.columns"),
                    format!("no column `{column}`"),
                )
            })?;
            let j = if up {
                i.checked_sub(1)
            } else {
                Some(i + 1).filter(|j| *j < f.columns.len())
            };
            if let Some(j) = j {
                f.columns.swap_indices(i, j);
            }
            Ok(())
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!(
            "/admin/apps/{slug}/fields/{field}?saved=1"
        ))),
        Err(e) => refused_on_field_page(&state, &admin, &slug, &field, e).await,
    }
}

/// Removes a column: refused while it is the only one, while something names it, or while
/// stored lines have values in it (with their count).
pub async fn remove(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, field, column) = path.into_inner();
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            let f = lines_field(def, &field)?;
            f.columns.shift_remove(&column).ok_or_else(|| {
                refused(
                    &format!("fields.{field}.columns"),
                    format!("no column `{column}`"),
                )
            })?;
            Ok(())
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!(
            "/admin/apps/{slug}/fields/{field}?saved=1"
        ))),
        Err(e) => refused_on_field_page(&state, &admin, &slug, &field, e).await,
    }
}

/// A control's message on the field page's "Add a column" form.
pub(super) fn add_error(problems: &[Problem]) -> String {
    message_for(problems, "columns")
}
