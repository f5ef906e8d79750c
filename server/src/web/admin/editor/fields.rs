//! Fields tab: list (with each input as the user sees it), add, edit (every type's settings,
//! renaming, option mappings), reorder, remove.
use super::columns::ColumnRow;
use super::{message_for, refusal, saved_flash, Header, Posted, Problem};
use crate::engine::definition::{AppDef, DefinitionError, FieldDef, FieldType, OnDelete};
use crate::engine::field_rules::FieldRule;
use crate::engine::{Draft, EngineError};
use crate::web::layout::Layout;
use crate::web::operations::{input_kind, InputView};
use crate::web::session::Admin;
use crate::web::{redirect, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use std::collections::HashMap;

/// Every field type, with the name an administrator reads.
pub const TYPES: &[(FieldType, &str, &str)] = &[
    (FieldType::Text, "text", "Text (one line)"),
    (FieldType::LongText, "long_text", "Long text"),
    (FieldType::Number, "number", "Number"),
    (FieldType::Money, "money", "Money (with a currency field)"),
    (FieldType::Date, "date", "Date"),
    (FieldType::Currency, "currency", "Currency (ISO 4217 code)"),
    (FieldType::Choice, "choice", "Choice (one of a list)"),
    (FieldType::User, "user", "User"),
    (FieldType::File, "file", "File"),
    (FieldType::YesNo, "yesno", "Yes/no"),
    (
        FieldType::MultiChoice,
        "multichoice",
        "Multi-select (any of a list)",
    ),
    (FieldType::Email, "email", "Email address"),
    (FieldType::Phone, "phone", "Phone number"),
    (FieldType::Url, "url", "Web address (URL)"),
    (FieldType::Integer, "integer", "Whole number (with a unit)"),
    (FieldType::DateTime, "datetime", "Date and time"),
    (FieldType::Photo, "photo", "Photo (camera on phones)"),
    (
        FieldType::Geolocation,
        "geolocation",
        "Location (latitude, longitude)",
    ),
    (
        FieldType::Lookup,
        "lookup",
        "Lookup (a record of another app)",
    ),
    (FieldType::Computed, "computed", "Computed (sum of fields)"),
    (
        FieldType::Converted,
        "converted",
        "Converted (an amount in the home currency)",
    ),
];

/// Line items: a table of columns, edited on the field's page (`columns.rs`).
pub(super) const LINES: (FieldType, &str, &str) =
    (FieldType::Lines, "lines", "Line items (a table of columns)");

pub(super) fn type_key(kind: FieldType) -> &'static str {
    TYPES
        .iter()
        .chain([&LINES])
        .find(|t| t.0 == kind)
        .map(|t| t.1)
        .unwrap_or("text")
}

pub(super) fn type_of(key: &str) -> Option<FieldType> {
    TYPES
        .iter()
        .chain([&LINES])
        .find(|t| t.1 == key)
        .map(|t| t.0)
}

/// A field's input, rendered as the operation form renders it (no value, no error).
pub fn preview(name: &str, f: &FieldDef) -> InputView {
    InputView {
        name: format!("preview_{name}"),
        label: f.label.clone(),
        kind: input_kind(f.kind),
        value: if f.kind == FieldType::Computed {
            format!("= {}", f.expr.clone().unwrap_or_default())
        } else if f.kind == FieldType::Converted {
            format!(
                "= {} in the home currency",
                f.source.clone().unwrap_or_default()
            )
        } else {
            f.default.clone().unwrap_or_default()
        },
        options: f.options.clone(),
        required: f.required,
        error: String::new(),
        help: f.help.clone(),
        accept: f.accept.join(","),
        unit: f.unit.clone().unwrap_or_default(),
        note: String::new(),
        rule: String::new(),
        search: String::new(),
        choices: vec![],
        lines: None,
    }
}

struct FieldRow {
    name: String,
    label: String,
    kind: &'static str,
    required: bool,
    note: String,
    input: InputView,
}

#[derive(Template)]
#[template(path = "admin/editor/fields.html")]
struct FieldsPage {
    layout: Layout,
    h: Header,
    problems: Vec<Problem>,
    rows: Vec<FieldRow>,
    hidden: Vec<String>,
    types: Vec<(&'static str, &'static str)>,
    new_label: String,
    new_name: String,
}

impl FieldsPage {
    fn err(&self, control: &str) -> String {
        message_for(&self.problems, control)
    }
}

fn list_page(
    admin: &Admin,
    d: &Draft,
    problems: Vec<Problem>,
    form: Option<&Posted>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let rows = d
        .def
        .fields
        .iter()
        .map(|(n, f)| FieldRow {
            name: n.clone(),
            label: f.label.clone(),
            kind: TYPES
                .iter()
                .chain([&LINES])
                .find(|t| t.0 == f.kind)
                .map(|t| t.2)
                .unwrap_or(""),
            required: f.required,
            note: match d.changes.renames.get(n) {
                Some(from) => format!("renamed from {from}; stored values move when published"),
                None => String::new(),
            },
            input: preview(n, f),
        })
        .collect();
    let hidden = d
        .published_def()
        .map(|p| {
            p.fields
                .keys()
                .filter(|k| {
                    !d.def.fields.contains_key(*k) && !d.changes.renames.values().any(|v| v == *k)
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let refused = !problems.is_empty();
    super::respond(
        &FieldsPage {
            layout: Layout::new(format!("{} — Fields", d.def.name), &admin.0).with_flash(flash),
            h: Header::new(d, "fields"),
            problems,
            rows,
            hidden,
            types: TYPES.iter().chain([&LINES]).map(|t| (t.1, t.2)).collect(),
            new_label: form.map(|f| f.trimmed("label")).unwrap_or_default(),
            new_name: form.map(|f| f.trimmed("name")).unwrap_or_default(),
        },
        refused,
        422,
    )
}

pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let d = state.engine.editor_draft(&path).await?;
    list_page(&admin, &d, vec![], None, saved_flash(&q))
}

pub(super) fn refused(path: &str, message: impl Into<String>) -> EngineError {
    EngineError::Definition(vec![DefinitionError {
        path: path.into(),
        message: message.into(),
    }])
}

pub async fn add(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let slug = path.into_inner();
    let label = form.trimmed("label");
    let name = form
        .opt("name")
        .unwrap_or_else(|| crate::engine::slug_from(&label));
    let kind = type_of(form.get("type"));
    let added = name.clone();
    let targets = lookup_targets(&state, &slug).await?;
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            if label.is_empty() {
                return Err(refused("label", "give the field a label"));
            }
            let kind = kind.ok_or_else(|| refused("type", "choose a type"))?;
            if def.fields.contains_key(&name) {
                return Err(refused(
                    "name",
                    format!("there is already a field `{name}`"),
                ));
            }
            let mut f = blank_field(kind, &label);
            if matches!(kind, FieldType::Choice | FieldType::MultiChoice) {
                f.options = vec!["Option 1".into(), "Option 2".into()];
            }
            if kind == FieldType::Computed {
                let terms: Vec<&String> = def
                    .fields
                    .iter()
                    .filter(|(_, f)| matches!(f.kind, FieldType::Money | FieldType::Number))
                    .map(|(n, _)| n)
                    .take(2)
                    .collect();
                if terms.is_empty() {
                    return Err(refused(
                        "type",
                        "a computed field adds up number or money fields; add one of those first",
                    ));
                }
                f.expr = Some(
                    terms
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" + "),
                );
            }
            if kind == FieldType::Converted {
                converted_defaults(def, &mut f)?;
            }
            if kind == FieldType::Lines {
                // A table needs a column; the first is renamed, retyped or replaced on its page.
                f.columns.insert(
                    "description".into(),
                    blank_field(FieldType::Text, "Description"),
                );
            }
            if kind == FieldType::Lookup {
                // The first other published app, else this one; changed on the field's page.
                f.app = targets
                    .iter()
                    .map(|t| t.0.clone())
                    .find(|t| *t != def.slug)
                    .or_else(|| Some(def.slug.clone()));
            }
            def.fields.insert(name.clone(), f);
            Ok(())
        })
        .await;
    match result {
        Ok(d) => Ok(redirect(&format!(
            "/admin/apps/{}/fields/{added}?saved=1",
            d.row.slug
        ))),
        Err(e) => {
            let problems = refusal(e, "")?;
            let d = state.engine.editor_draft(&slug).await?;
            list_page(&admin, &d, problems, Some(&form), None)
        }
    }
}

/// The apps a lookup may refer to: the published ones and this one, as (slug, name).
pub(super) async fn lookup_targets(
    state: &AppState,
    slug: &str,
) -> Result<Vec<(String, String)>, WebError> {
    let mut out: Vec<(String, String)> = state
        .engine
        .catalog()
        .apps()
        .await
        .map_err(EngineError::from)?
        .iter()
        .map(|a| {
            (
                a.def.slug.clone(),
                format!("{} ({})", a.def.name, a.def.slug),
            )
        })
        .collect();
    if !out.iter().any(|t| t.0 == slug) {
        out.push((slug.to_string(), format!("this app ({slug})")));
    }
    Ok(out)
}

/// A new converted field starts from the first amount with a currency and the first date.
fn converted_defaults(def: &AppDef, f: &mut FieldDef) -> Result<(), EngineError> {
    let (amounts, dates) = (amount_fields(def), date_fields(def));
    match (amounts.first(), dates.first()) {
        (Some((a, _)), Some((d, _))) => {
            f.source = Some(a.clone());
            f.date_field = Some(d.clone());
            Ok(())
        }
        _ => Err(refused(
            "type",
            "a converted field needs a money field with a currency field and a date field; add those first",
        )),
    }
}

/// Fields a converted field can convert: money (or computed money) with a currency.
fn amount_fields(def: &AppDef) -> Vec<(String, String)> {
    def.fields
        .iter()
        .filter(|(n, f)| {
            matches!(f.kind, FieldType::Money | FieldType::Computed) && def.currency_of(n).is_some()
        })
        .map(|(n, f)| (n.clone(), format!("{} ({n})", f.label)))
        .chain(line_columns(def, |c| {
            c.kind == FieldType::Money && c.currency_field.is_some()
        }))
        .collect()
}

fn date_fields(def: &AppDef) -> Vec<(String, String)> {
    def.fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Date)
        .map(|(n, f)| (n.clone(), format!("{} ({n})", f.label)))
        .chain(line_columns(def, |c| c.kind == FieldType::Date))
        .collect()
}

/// The columns of lines fields a converted field may name (`items.net`, `items.date`).
fn line_columns(def: &AppDef, fits: impl Fn(&FieldDef) -> bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (n, f) in def
        .fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Lines)
    {
        for (c, col) in f.columns.iter().filter(|(_, c)| fits(c)) {
            out.push((
                format!("{n}.{c}"),
                format!("{} › {} ({n}.{c})", f.label, col.label),
            ));
        }
    }
    out
}

pub(super) fn blank_field(kind: FieldType, label: &str) -> FieldDef {
    FieldDef {
        kind,
        label: label.into(),
        help: String::new(),
        required: false,
        max_len: None,
        options: vec![],
        default: None,
        currency_field: None,
        expr: None,
        accept: vec![],
        min: None,
        max: None,
        source: None,
        date_field: None,
        unit: None,
        visible_when: None,
        required_when: None,
        app: None,
        filter: vec![],
        on_delete: None,
        columns: Default::default(),
        min_rows: None,
        max_rows: None,
    }
}

/// One control of the field form.
pub(super) struct Control {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    pub help: &'static str,
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin/editor/field.html")]
struct FieldPage {
    layout: Layout,
    h: Header,
    problems: Vec<Problem>,
    original: String,
    controls: Vec<Control>,
    /// (dropped option, option it maps to).
    mappings: Vec<(String, String)>,
    options_now: Vec<String>,
    misfit_links: Vec<i64>,
    preview: InputView,
    /// A lines field's columns, in order, and the types a column may have.
    columns: Vec<ColumnRow>,
    column_types: Vec<(&'static str, &'static str)>,
    /// Why adding, moving or removing a column was refused.
    column_error: String,
}

pub(super) fn controls(
    def: &AppDef,
    name: &str,
    f: &FieldDef,
    problems: &[Problem],
    targets: &[(String, String)],
) -> Vec<Control> {
    let c = |name: &'static str,
             label: &'static str,
             kind: &'static str,
             value: String,
             help: &'static str| Control {
        name,
        label,
        kind,
        value,
        options: vec![],
        help,
        error: message_for(problems, name),
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let mut out = vec![
        c("label", "Label", "text", f.label.clone(), ""),
        c("name", "Name", "text", name.to_string(), "Renaming keeps every record's value and its history: the values move to the new name when you publish."),
        {
            let mut t = c("type", "Type", "select", type_key(f.kind).into(), "A type change is checked against the stored values; it is refused, with the records concerned, when some do not fit.");
            t.options = if f.kind == FieldType::Lines {
                vec![(LINES.1.to_string(), LINES.2.to_string())]
            } else {
                TYPES.iter().map(|t| (t.1.to_string(), t.2.to_string())).collect()
            };
            t
        },
        c("help", "Help text", "textarea", f.help.clone(), "Shown under the input, and given to AI assistants."),
    ];
    if f.kind == FieldType::Lookup {
        let mut app = c(
            "app",
            "Refers to records of",
            "select",
            opt(&f.app),
            "A published app (or this one); people see its records' titles when they may read them.",
        );
        app.options = targets.to_vec();
        if !f
            .app
            .as_ref()
            .is_none_or(|a| targets.iter().any(|t| &t.0 == a))
        {
            app.options
                .push((opt(&f.app), format!("{} (not published)", opt(&f.app))));
        }
        out.push(app);
        let mut on_delete = c(
            "on_delete",
            "When a referred record is deleted",
            "select",
            match f.on_delete.unwrap_or_default() {
                OnDelete::Refuse => "refuse".into(),
                OnDelete::Clear => "clear".into(),
            },
            "Refuse: the delete is refused while records refer to it. Clear: their field is emptied, with a history entry each.",
        );
        on_delete.options = [
            ("refuse", "Refuse the delete"),
            ("clear", "Empty this field"),
        ]
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .to_vec();
        out.push(on_delete);
    }
    out.push(c(
        "visible_when",
        "Shown only when",
        "textarea",
        rule_text(&f.visible_when),
        "Empty: always shown. Conditions on other fields, as in a definition file: {\"field\": \"category\", \"op\": \"eq\", \"value\": \"Lodging\"}, or {\"any\": [ … ]} / {\"all\": [ … ]}. While hidden, a field is never required and keeps its value.",
    ));
    out.push(c(
        "required_when",
        "Required when",
        "textarea",
        rule_text(&f.required_when),
        "Empty: as above. The same form of conditions; applies while the field is shown.",
    ));
    if !f.kind.is_derived() {
        out.push(c(
            "required",
            "Required when creating a record",
            "check",
            if f.required {
                "on".into()
            } else {
                String::new()
            },
            "",
        ));
        let mut default = c(
            "default",
            "Default",
            "text",
            opt(&f.default),
            "A value, or a placeholder worked out once, when the record is created: $me (the person creating it; user and text fields), $me.name and $me.department (their name and department; text fields), $today (dates), $today+14d, $today-1w, $today+3m, $today+1y (dates: days, weeks, months, years from today), $now (date and time fields), or $lookup.field to copy a field of the record a lookup of this app refers to (e.g. $project.cost_centre).",
        );
        if f.kind == FieldType::YesNo {
            default.kind = "select";
            default.help = "";
            default.options = [("", "— none —"), ("yes", "Yes"), ("no", "No")]
                .map(|(v, l)| (v.to_string(), l.to_string()))
                .to_vec();
        }
        if f.kind == FieldType::Choice {
            default.kind = "select";
            default.help = "";
            default.options = std::iter::once((String::new(), "— none —".to_string()))
                .chain(f.options.iter().map(|o| (o.clone(), o.clone())))
                .collect();
        }
        // A lookup has no default: a record to refer to is chosen each time; nor has a place,
        // nor a table of lines (its columns may have one).
        if !matches!(
            f.kind,
            FieldType::Lookup | FieldType::Geolocation | FieldType::Lines
        ) {
            out.push(default);
        }
    }
    match f.kind {
        FieldType::Text | FieldType::LongText => out.push(c(
            "max_len",
            "Maximum length (characters)",
            "text",
            f.max_len.map(|m| m.to_string()).unwrap_or_default(),
            "Empty: 500 for text, 20,000 for long text.",
        )),
        FieldType::Number | FieldType::Money => {
            out.push(c("min", "Minimum", "text", opt(&f.min), ""));
            out.push(c("max", "Maximum", "text", opt(&f.max), ""));
        }
        FieldType::Date => {
            out.push(c(
                "min",
                "Earliest date",
                "text",
                opt(&f.min),
                "YYYY-MM-DD, or $today-10y (ten years before today).",
            ));
            out.push(c(
                "max",
                "Latest date",
                "text",
                opt(&f.max),
                "YYYY-MM-DD, or $today.",
            ));
        }
        FieldType::Integer => {
            out.push(c("min", "Minimum", "text", opt(&f.min), "A whole number."));
            out.push(c("max", "Maximum", "text", opt(&f.max), "A whole number."));
            out.push(c(
                "unit",
                "Unit",
                "text",
                opt(&f.unit),
                "Shown after the value, e.g. km or nights.",
            ));
        }
        FieldType::Choice | FieldType::MultiChoice => out.push(c(
            "options",
            "Options (one per line)",
            "textarea",
            f.options.join("\n"),
            "Dropping an option that records use needs a mapping to a remaining option.",
        )),
        FieldType::File => out.push(c(
            "accept",
            "Accepted types",
            "text",
            f.accept.join(", "),
            "Content types separated by commas, e.g. image/jpeg, image/png, application/pdf.",
        )),
        FieldType::Computed => out.push(c(
            "expr",
            "Expression",
            "text",
            opt(&f.expr),
            "Number or money fields joined by + or -, e.g. net + tax.",
        )),
        FieldType::Converted => {
            let mut source = c(
                "source",
                "Amount to convert",
                "select",
                opt(&f.source),
                "A money field with a currency field (or a computed sum of them).",
            );
            source.options = amount_fields(def);
            out.push(source);
            let mut date = c(
                "date_field",
                "Date of the rate",
                "select",
                opt(&f.date_field),
                "The latest exchange rate on or before this date is used (Configure > Exchange rates).",
            );
            date.options = date_fields(def);
            out.push(date);
        }
        _ => {}
    }
    if f.kind == FieldType::Lines {
        let rows = |o: Option<u32>| o.map(|n| n.to_string()).unwrap_or_default();
        out.push(c(
            "min_rows",
            "Fewest lines",
            "text",
            rows(f.min_rows),
            "Empty: 0. A record must be given at least this many lines.",
        ));
        out.push(c(
            "max_rows",
            "Most lines",
            "text",
            rows(f.max_rows),
            "Empty: 200 (at most 1000).",
        ));
    }
    if f.kind == FieldType::Money {
        let mut cur = c(
            "currency_field",
            "Currency field",
            "select",
            opt(&f.currency_field),
            "Fixes the amount's decimal places (2 for EUR, 0 for JPY).",
        );
        cur.options = std::iter::once((String::new(), "— none —".to_string()))
            .chain(
                def.fields
                    .iter()
                    .filter(|(_, f)| f.kind == FieldType::Currency)
                    .map(|(n, f)| (n.clone(), format!("{} ({n})", f.label))),
            )
            .collect();
        out.push(cur);
    }
    out
}

#[allow(clippy::too_many_arguments)] // one page, many independent inputs; a struct would only rename them
pub(super) async fn field_page(
    state: &AppState,
    admin: &Admin,
    d: &Draft,
    original: &str,
    name: &str,
    f: &FieldDef,
    mappings_posted: &HashMap<String, String>,
    problems: Vec<Problem>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    // Options dropped since the published version, which may need a mapping.
    let source = d.changes.source_key(original).to_string();
    let dropped: Vec<(String, String)> = d
        .published_def()
        .and_then(|p| p.fields.get(&source))
        .filter(|p| p.kind == FieldType::Choice && f.kind == FieldType::Choice)
        .map(|p| {
            p.options
                .iter()
                .filter(|o| !f.options.contains(o))
                .map(|o| {
                    let to = mappings_posted
                        .get(o)
                        .cloned()
                        .or_else(|| {
                            d.changes
                                .option_maps
                                .get(original)
                                .and_then(|m| m.get(o).cloned())
                        })
                        .unwrap_or_default();
                    (o.clone(), to)
                })
                .collect()
        })
        .unwrap_or_default();
    let misfit_links = if problems
        .iter()
        .any(|p| p.control == "type" || p.control == "options")
    {
        let misfits = state
            .engine
            .check_stored_values(
                d.row.id,
                d.published_def(),
                &candidate_def(d, original, name, f),
                &d.changes,
            )
            .await
            .unwrap_or_default();
        misfits.into_iter().flat_map(|m| m.sample_ids).collect()
    } else {
        vec![]
    };
    let column_error = super::columns::add_error(&problems);
    let refused = !problems.is_empty();
    super::respond(
        &FieldPage {
            layout: Layout::new(format!("{} — field {}", d.def.name, f.label), &admin.0)
                .with_flash(flash),
            h: Header::new(d, "fields"),
            controls: controls(
                &d.def,
                name,
                f,
                &problems,
                &lookup_targets(state, &d.row.slug).await?,
            ),
            problems,
            original: original.to_string(),
            mappings: dropped,
            options_now: f.options.clone(),
            misfit_links,
            preview: preview(name, f),
            columns: super::columns::rows(f),
            column_error,
            column_types: super::columns::types(),
        },
        refused,
        422,
    )
}

/// The draft with one field replaced (for listing the records a refused change concerns).
fn candidate_def(d: &Draft, original: &str, name: &str, f: &FieldDef) -> AppDef {
    let mut def = d.def.clone();
    if original != name {
        let _ = def.rename_field(original, name);
    }
    def.fields.insert(name.to_string(), f.clone());
    def
}

pub async fn form(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, name) = path.into_inner();
    let d = state.engine.editor_draft(&slug).await?;
    let f = d
        .def
        .fields
        .get(&name)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no field `{name}` in the draft")))?;
    field_page(
        &state,
        &admin,
        &d,
        &name,
        &name,
        &f,
        &HashMap::new(),
        vec![],
        saved_flash(&q),
    )
    .await
}

/// The field as the form describes it; `Err` carries problems for controls that do not parse.
pub(super) fn field_from(form: &Posted, before: &FieldDef) -> (FieldDef, Vec<DefinitionError>) {
    let mut errs = Vec::new();
    let kind = type_of(form.get("type")).unwrap_or(before.kind);
    let mut f = blank_field(kind, &form.trimmed("label"));
    f.help = form.trimmed("help");
    f.required = form.on("required");
    f.default = form.opt("default");
    f.min = form.opt("min");
    f.max = form.opt("max");
    f.expr = form.opt("expr");
    f.currency_field = form.opt("currency_field");
    f.accept = form.list("accept");
    if kind == FieldType::Lines {
        // Columns are edited on their own pages; the bounds on this form.
        f.columns = before.columns.clone();
        for (key, slot, was) in [
            ("min_rows", &mut f.min_rows, before.min_rows),
            ("max_rows", &mut f.max_rows, before.max_rows),
        ] {
            *slot = match form.opt(key) {
                None if form.0.iter().any(|(k, _)| k == key) => None,
                None => was,
                Some(n) => match n.parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errs.push(DefinitionError {
                            path: key.into(),
                            message: format!("`{n}` is not a whole number of lines"),
                        });
                        was
                    }
                },
            };
        }
    }
    // Settings of another type are kept when the form does not show them (a type change
    // round trip must not lose them).
    if !form.0.iter().any(|(k, _)| k == "options") {
        f.options = before.options.clone();
    } else {
        f.options = form.lines("options");
    }
    if !form.0.iter().any(|(k, _)| k == "expr") {
        f.expr = before.expr.clone();
    }
    if !form.0.iter().any(|(k, _)| k == "currency_field") {
        f.currency_field = before.currency_field.clone();
    }
    if !form.0.iter().any(|(k, _)| k == "accept") {
        f.accept = before.accept.clone();
    }
    f.unit = match form.0.iter().any(|(k, _)| k == "unit") {
        true => form.opt("unit"),
        false => before.unit.clone(),
    };
    // A unit belongs to whole numbers; it stays in the form's memory only while it is one.
    if kind != FieldType::Integer {
        f.unit = None;
    }
    f.app = form.opt("app").or_else(|| before.app.clone());
    f.filter = before.filter.clone();
    f.on_delete = match form.opt("on_delete").as_deref() {
        None => before.on_delete,
        Some("refuse") => Some(OnDelete::Refuse),
        Some("clear") => Some(OnDelete::Clear),
        Some(other) => {
            errs.push(DefinitionError {
                path: "on_delete".into(),
                message: format!("`{other}` is neither refuse nor clear"),
            });
            before.on_delete
        }
    };
    if kind != FieldType::Lookup {
        (f.app, f.filter, f.on_delete) = (None, vec![], None);
    }
    f.source = form.opt("source").or_else(|| before.source.clone());
    f.date_field = form.opt("date_field").or_else(|| before.date_field.clone());
    f.max_len = match form.opt("max_len") {
        None => None,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errs.push(DefinitionError {
                    path: "max_len".into(),
                    message: format!("`{s}` is not a positive whole number"),
                });
                before.max_len
            }
        },
    };
    for (key, slot) in [
        ("visible_when", &mut f.visible_when),
        ("required_when", &mut f.required_when),
    ] {
        // A form from before these controls existed keeps the field's rules.
        if !form.0.iter().any(|(k, _)| k == key) {
            *slot = match key {
                "visible_when" => before.visible_when.clone(),
                _ => before.required_when.clone(),
            };
            continue;
        }
        match rule_from(form.get(key)) {
            Ok(rule) => *slot = rule,
            Err(message) => errs.push(DefinitionError {
                path: key.into(),
                message,
            }),
        }
    }
    if f.label.is_empty() {
        errs.push(DefinitionError {
            path: "label".into(),
            message: "give the field a label".into(),
        });
    }
    if f.kind.is_derived() {
        f.required = false;
        f.default = None;
    }
    (f, errs)
}

pub async fn save(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, original) = path.into_inner();
    let d = state.engine.editor_draft(&slug).await?;
    let before = d
        .def
        .fields
        .get(&original)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no field `{original}` in the draft")))?;
    let (field, mut form_errs) = field_from(&form, &before);
    if let Some(target) = field
        .app
        .as_ref()
        .filter(|_| field.kind == FieldType::Lookup)
    {
        let targets = lookup_targets(&state, &slug).await?;
        if !targets.iter().any(|t| &t.0 == target) {
            form_errs.push(DefinitionError {
                path: "app".into(),
                message: format!("there is no published app `{target}`; publish it first"),
            });
        }
    }
    let new_name = form.opt("name").unwrap_or_else(|| original.clone());
    let mappings: HashMap<String, String> = form
        .all("map_from")
        .into_iter()
        .zip(
            form.0
                .iter()
                .filter(|(k, _)| k == "map_to")
                .map(|(_, v)| v.trim().to_string()),
        )
        .collect();
    let prefix = format!("fields.{new_name}");
    let result = super::save_item(
        &state,
        &slug,
        &prefix,
        form_errs,
        |def, changes, published| {
            if new_name != original {
                def.rename_field(&original, &new_name).map_err(|e| {
                    EngineError::Definition(vec![DefinitionError {
                        path: format!("fields.{new_name}.name"),
                        message: e.message,
                    }])
                })?;
                changes.note_rename(&original, &new_name, published);
            }
            def.fields.insert(new_name.clone(), field.clone());
            let maps: indexmap::IndexMap<String, String> = mappings
                .clone()
                .into_iter()
                .filter(|(_, to)| !to.is_empty())
                .collect();
            if maps.is_empty() {
                changes.option_maps.shift_remove(&new_name);
            } else {
                changes.option_maps.insert(new_name.clone(), maps);
            }
            Ok(())
        },
    )
    .await;
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/apps/{slug}/fields/{new_name}?saved=1"
        ))),
        Err(e) => {
            let mut problems = refusal(e, &prefix)?;
            // Errors reported against the old name belong to this form too.
            for p in problems.iter_mut().filter(|p| p.control.is_empty()) {
                if let Some(rest) = p.path.strip_prefix(&format!("fields.{original}.")) {
                    p.control = rest.split(['.', '[']).next().unwrap_or_default().into();
                }
            }
            field_page(
                &state, &admin, &d, &original, &new_name, &field, &mappings, problems, None,
            )
            .await
        }
    }
}

pub async fn reorder(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, name) = path.into_inner();
    let up = form.get("to") == "up";
    state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            let i = def
                .fields
                .get_index_of(&name)
                .ok_or_else(|| refused("fields", format!("no field `{name}`")))?;
            let j = if up {
                i.checked_sub(1)
            } else {
                Some(i + 1).filter(|j| *j < def.fields.len())
            };
            if let Some(j) = j {
                def.fields.swap_indices(i, j);
            }
            Ok(())
        })
        .await?;
    Ok(redirect(&format!("/admin/apps/{slug}/fields?saved=1")))
}

pub async fn remove(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, name) = path.into_inner();
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, changes, _| {
            let uses = def.references_to(&name);
            if !uses.is_empty() {
                return Err(refused(
                    &format!("fields.{name}"),
                    format!(
                        "`{name}` is still used by {}; remove it there first",
                        uses.join(", ")
                    ),
                ));
            }
            def.fields
                .shift_remove(&name)
                .ok_or_else(|| refused("fields", format!("no field `{name}`")))?;
            changes.note_removal(&name);
            Ok(())
        })
        .await;
    match result {
        Ok(_) => Ok(redirect(&format!("/admin/apps/{slug}/fields?saved=1"))),
        Err(e) => {
            let problems = refusal(e, "")?;
            let d = state.engine.editor_draft(&slug).await?;
            list_page(&admin, &d, problems, None, None)
        }
    }
}

/// A rule as the editor shows it: the JSON of a definition file.
fn rule_text(rule: &Option<FieldRule>) -> String {
    rule.as_ref()
        .and_then(|r| serde_json::to_string(r).ok())
        .unwrap_or_default()
}

/// A rule from the editor's text: JSON, or a TOML inline table or array as in a definition file.
fn rule_from(text: &str) -> Result<Option<FieldRule>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(rule) = serde_json::from_str::<FieldRule>(text) {
        return Ok(Some(rule));
    }
    #[derive(serde::Deserialize)]
    struct Wrapped {
        rule: FieldRule,
    }
    toml::from_str::<Wrapped>(&format!("rule = {text}"))
        .map(|w| Some(w.rule))
        .map_err(|_| {
            "write conditions as {\"field\": …, \"op\": …, \"value\": …}, a list of them, or {\"any\": [ … ]} / {\"all\": [ … ]}".into()
        })
}
