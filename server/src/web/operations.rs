//! Operation forms: inputs with per-field errors, file upload, and the same engine call as MCP.
use super::amounts::display_value;
use super::layout::Layout;
use super::wording::{self, Names};
use super::{redirect, render, AppState, Signed, WebError};
use crate::engine::default_values::Creation;
use crate::engine::definition::{AppDef, FieldType, OperationDef, OperationKind};
use crate::engine::{EngineError, FieldError, OperationRequest, Raw};
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use kept::KeptFile;
use readiness::MissingView;
use receipt::{ReceiptView, SuggestionView};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use submission::{payload_too_large, read_form, spool_error, FormRules, ReceivedFile, Refusal};

mod kept;
mod lines;
mod readiness;
mod receipt;
mod sections;
mod submission;

pub(crate) use receipt::current_files;

/// What an operation's page shows besides its inputs.
#[derive(Default)]
struct Extras {
    receipts: Vec<ReceiptView>,
    read: Vec<SuggestionView>,
    /// The inputs hold the values read from the file (`?use=suggestions`).
    using_read: bool,
    missing: Vec<MissingView>,
    summary: Vec<(String, String)>,
    kept: Vec<KeptFile>,
    /// Each lookup input's search text and the records offered: (id, title).
    lookups: HashMap<String, (String, Vec<(String, String)>)>,
}

pub(crate) struct InputView {
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<String>,
    pub required: bool,
    pub error: String,
    pub help: String,
    pub accept: String,
    /// Shown after an integer's input ("nights").
    pub unit: String,
    /// The field's rules in words ("only when Category is Lodging"), when the form needs them.
    pub note: String,
    /// The `visible_when` rule as JSON, for the script that shows and hides it live.
    pub rule: String,
    /// A lookup's search text (`?find_<name>=`) and the records it offers: (id, title).
    pub search: String,
    pub choices: Vec<(String, String)>,
    /// A lines input's table of line items.
    pub lines: Option<lines::LinesView>,
}

impl InputView {
    /// Whether a multichoice input's option is among its chosen ones.
    pub fn chosen(&self, option: &str) -> bool {
        self.value.lines().any(|l| l.trim() == option)
    }
}

#[derive(Template)]
#[template(path = "operation.html")]
struct OperationPage {
    layout: Layout,
    app_slug: String,
    app_name: String,
    op_name: String,
    title: String,
    description: String,
    record_id: Option<i64>,
    record_title: String,
    version: i64,
    groups: Vec<sections::GroupView>,
    /// Some input shows or hides with another (`conditions.js` is sent only then).
    live_rules: bool,
    /// Some input takes a place (`geolocation.js`, the "Use my location" button, only then).
    locates: bool,
    general_errors: Vec<String>,
    danger: bool,
    /// The operation's `show` fields with a value on the record: (label, value), read-only.
    context: Vec<(String, String)>,
    receipts: Vec<ReceiptView>,
    read: Vec<SuggestionView>,
    any_unsure: bool,
    using_read: bool,
    missing: Vec<MissingView>,
    summary: Vec<(String, String)>,
    kept: Vec<KeptFile>,
}

#[derive(Deserialize)]
pub struct OpQuery {
    record: Option<i64>,
    /// `suggestions`: fill the inputs with the values read from the record's file.
    #[serde(rename = "use")]
    use_: Option<String>,
}

/// The most files of the largest size one form may carry when its lines take a file each (the
/// body bound is this many times the upload limit; each file is still bounded by the limit).
const LINE_FILES_PER_FORM: usize = 8;

pub(crate) fn input_kind(kind: FieldType) -> &'static str {
    if let Some(k) = super::field_types::input_kind(kind) {
        return k;
    }
    match kind {
        FieldType::LongText => "textarea",
        FieldType::Choice => "select",
        FieldType::Date => "date",
        FieldType::Money => "decimal",
        FieldType::Number => "number",
        FieldType::File => "file",
        FieldType::Currency => "currency",
        FieldType::Lookup => "lookup",
        FieldType::Lines => "lines",
        // Only a line's column is computed on a form: shown, never typed.
        FieldType::Computed | FieldType::Converted => "computed",
        _ => "text",
    }
}

/// Who fills the form in, and when: what calculated defaults are worked out from.
fn creation<'a>(
    signed: &'a Signed,
    actor: &'a crate::engine::Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Creation<'a> {
    Creation {
        username: &actor.username,
        name: &actor.display_name,
        department: signed.user.department.as_deref(),
        now,
    }
}

#[allow(clippy::too_many_arguments)]
fn page(
    signed: &Signed,
    def: &AppDef,
    op_name: &str,
    op: &OperationDef,
    record: Option<(i64, i64, &serde_json::Value)>,
    entered: &HashMap<String, String>,
    errors: &[FieldError],
    general: Vec<String>,
    extras: Extras,
) -> OperationPage {
    let names = Names::of(def, None);
    let local = super::local_time::LocalTime::of(&signed.user);
    let actor = signed.actor();
    let now = chrono::Utc::now();
    let by = creation(signed, &actor, now);
    let start = match record {
        Some((_, _, d)) => d.as_object().cloned().unwrap_or_default(),
        None => {
            crate::engine::operations::defaults(def, &actor, signed.user.department.as_deref(), now)
        }
    };
    // A new record's form starts from the fields' defaults ("EUR", today, the person).
    let defaults = serde_json::Value::Object(start.clone());
    let inputs: Vec<InputView> = op
        .inputs
        .iter()
        .map(|n| {
            let f = &def.fields[n.as_str()];
            let value = entered
                .get(n)
                .cloned()
                .or_else(|| record.map(|(_, _, d)| form_value(def, d, n, local)))
                .or_else(|| {
                    (record.is_none() && start.contains_key(n))
                        .then(|| form_value(def, &defaults, n, local))
                })
                .unwrap_or_default();
            let mut mine: Vec<FieldError> =
                errors.iter().filter(|e| &e.field == n).cloned().collect();
            let table = (f.kind == FieldType::Lines).then(|| {
                let stored = record
                    .and_then(|(_, _, d)| d.get(n))
                    .unwrap_or(&serde_json::Value::Null);
                let messages: Vec<String> = mine.iter().map(|e| e.message.clone()).collect();
                let (table, rest) = lines::view(
                    f,
                    n,
                    stored,
                    entered,
                    &messages,
                    &lines::new_row(f, &by, local),
                    local,
                    &extras.lookups,
                );
                if rest.len() < messages.len() {
                    mine.retain(|e| rest.contains(&e.message));
                    mine.push(FieldError {
                        field: n.clone(),
                        label: f.label.clone(),
                        message: "some lines have problems, shown in the table".into(),
                    });
                }
                table
            });
            InputView {
                name: n.clone(),
                label: f.label.clone(),
                kind: input_kind(f.kind),
                value,
                options: f.options.clone(),
                required: op.required.contains(n)
                    || (f.required && op.kind == OperationKind::Create),
                error: mine
                    .iter()
                    .map(|e| wording::field_error(&names, e))
                    .collect::<Vec<_>>()
                    .join(" "),
                lines: table,
                help: match crate::engine::lookup_paths::copied_default_note(def, f) {
                    Some(copied) if op.kind == OperationKind::Create => {
                        let sep = if f.help.is_empty() { "" } else { " " };
                        let mut c = copied;
                        if let Some(first) = c.get(..1) {
                            c = format!("{}{}", first.to_uppercase(), &c[1..]);
                        }
                        format!("{}{sep}{c}.", f.help)
                    }
                    _ => f.help.clone(),
                },
                accept: f.accept.join(","),
                unit: f.unit.clone().unwrap_or_default(),
                note: String::new(),
                rule: String::new(),
                search: extras
                    .lookups
                    .get(n)
                    .map(|l| l.0.clone())
                    .unwrap_or_default(),
                choices: extras
                    .lookups
                    .get(n)
                    .map(|l| l.1.clone())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let prospective = crate::engine::field_rules::prospective(def, op, start);
    let groups = sections::groups(def, op, inputs, &prospective);
    let mut general: Vec<String> = general
        .iter()
        .map(|m| wording::sentence(&wording::plain(&names, m)))
        .collect();
    general.extend(
        errors
            .iter()
            .filter(|e| !op.inputs.contains(&e.field))
            .map(|e| wording::field_error(&names, e)),
    );
    OperationPage {
        layout: Layout::new(op.title.clone(), signed),
        app_slug: def.slug.clone(),
        app_name: def.name.clone(),
        op_name: op_name.to_string(),
        title: op.title.clone(),
        description: op.description.clone(),
        record_id: record.map(|r| r.0),
        record_title: record
            .and_then(|(_, _, d)| def.title_field.as_ref().map(|t| display_value(def, t, d)))
            .unwrap_or_default(),
        version: record.map(|r| r.1).unwrap_or(0),
        live_rules: groups
            .iter()
            .flat_map(|g| &g.items)
            .any(|i| i.input.as_ref().is_some_and(|x| !x.rule.is_empty())),
        locates: groups
            .iter()
            .flat_map(|g| &g.items)
            .any(|i| i.input.as_ref().is_some_and(|x| x.kind == "geolocation")),
        groups,
        general_errors: general,
        danger: op.kind == OperationKind::Delete,
        any_unsure: extras.read.iter().any(|r| r.unsure),
        receipts: extras.receipts,
        read: extras.read,
        using_read: extras.using_read,
        missing: extras.missing,
        summary: extras.summary,
        kept: extras.kept,
        context: record
            .map(|(_, _, d)| {
                op.show
                    .iter()
                    .filter_map(|f| {
                        let label = def.fields.get(f)?.label.clone();
                        let value = display_value(def, f, d);
                        (!value.is_empty()).then_some((label, value))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The success message for `?done=<operation>` on the page an operation leads to, if that names
/// an operation of the app.
pub(crate) fn done_flash(def: &AppDef, q: Option<&str>) -> Option<String> {
    def.operations.get(q?).map(wording::done)
}

/// A stored value as a form shows it: money with the currency's minor units ("20.00"), in the
/// machine form the form takes back (no thousands separators, no currency).
fn form_value(
    def: &AppDef,
    data: &serde_json::Value,
    field: &str,
    local: super::local_time::LocalTime,
) -> String {
    let kind = def.fields.get(field).map(|f| f.kind);
    let stored = data.get(field).unwrap_or(&serde_json::Value::Null);
    if let Some(v) = kind.and_then(|k| super::field_types::form_value(k, stored, local)) {
        return v;
    }
    match kind {
        Some(FieldType::Money) => crate::engine::value::display_value(def, field, data),
        _ => raw_value(data, field),
    }
}

fn raw_value(data: &serde_json::Value, field: &str) -> String {
    match data.get(field) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

pub async fn form(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    q: web::Query<OpQuery>,
    all: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, op_name) = path.into_inner();
    let actor = signed.actor();
    let app = state.engine.app(&slug).await?;
    let op = app
        .def
        .operations
        .get(&op_name)
        .filter(|o| actor.has_any(&o.roles))
        .ok_or_else(|| WebError::NotFound(format!("no operation `{op_name}` available to you")))?;
    let record = match (op.needs_record(), q.record) {
        (true, Some(id)) => {
            let access = state.engine.record(&actor, &slug, id).await?;
            let reach = state.engine.reach_for(&app.def, &actor).await?;
            if let Some(refusal) =
                state
                    .engine
                    .operation_refusal(&app, &actor, op, Some(&access.record), &reach)
            {
                return Err(refusal.into());
            }
            Some(access.record)
        }
        (true, None) => return Err(WebError::BadRequest("choose a record first".into())),
        (false, _) => None,
    };
    let mut extras = match &record {
        Some(r) => extras_for(&state, &actor, &app, op, r).await?,
        None => Extras::default(),
    };
    let mut entered = HashMap::new();
    if q.use_.as_deref() == Some("suggestions") && !extras.read.is_empty() {
        for r in &extras.read {
            entered.insert(r.field.clone(), r.value.clone());
        }
        extras.using_read = true;
    }
    let current = record.as_ref().map(|r| r.data.clone()).unwrap_or_default();
    extras.lookups = lookup_pickers(&state, &actor, &app.def, op, &all, &current).await?;
    let rec = record.as_ref().map(|r| (r.id, r.version, &r.data));
    render(&page(
        &signed,
        &app.def,
        &op_name,
        op,
        rec,
        &entered,
        &[],
        vec![],
        extras,
    ))
}

/// The records each lookup input offers: those the person may choose whose title contains the
/// search text (`?find_<field>=`, a plain GET form, so no script is needed), with the current
/// choice first when the search leaves it out.
async fn lookup_pickers(
    state: &AppState,
    actor: &crate::engine::Actor,
    def: &AppDef,
    op: &OperationDef,
    query: &HashMap<String, String>,
    current: &serde_json::Value,
) -> Result<HashMap<String, (String, Vec<(String, String)>)>, WebError> {
    let mut out = HashMap::new();
    let titles = state
        .engine
        .lookup_titles(actor, def, std::iter::once(current))
        .await?;
    for n in &op.inputs {
        let Some(f) = def.fields.get(n).filter(|f| f.kind == FieldType::Lookup) else {
            continue;
        };
        let search = query.get(&format!("find_{n}")).cloned().unwrap_or_default();
        let found = match state.engine.find_lookup(actor, &def.slug, n, &search).await {
            Ok(found) => found,
            Err(e @ EngineError::Store(_)) => return Err(e.into()),
            // The target app unpublished since: nothing to offer, and the form still works.
            Err(_) => vec![],
        };
        let mut choices: Vec<(String, String)> = found
            .into_iter()
            .map(|c| (c.id.to_string(), c.title))
            .collect();
        if let Some(id) = current.get(n).and_then(|v| v.as_i64()) {
            if !choices.iter().any(|c| c.0 == id.to_string()) {
                let shown = titles
                    .show(f, &serde_json::Value::from(id))
                    .unwrap_or_default();
                choices.insert(0, (id.to_string(), shown));
            }
        }
        out.insert(n.clone(), (search, choices));
    }
    // A lines input's lookup columns: one search for all rows; each row's list offers what it
    // found and every record the rows hold now (stored, or chosen on the form).
    for n in &op.inputs {
        let Some(f) = def.fields.get(n).filter(|f| f.kind == FieldType::Lines) else {
            continue;
        };
        for (col, c) in crate::engine::lines::lookup_columns(f) {
            let path = crate::engine::lines::column_path(n, col);
            let search = query
                .get(&format!("find_{path}"))
                .cloned()
                .unwrap_or_default();
            let found = match state
                .engine
                .find_lookup(actor, &def.slug, &path, &search)
                .await
            {
                Ok(found) => found,
                Err(e @ EngineError::Store(_)) => return Err(e.into()),
                Err(_) => vec![],
            };
            let mut choices: Vec<(String, String)> = found
                .into_iter()
                .map(|c| (c.id.to_string(), c.title))
                .collect();
            let held = lines::held_lookups(n, col, current.get(n), query);
            let lines_held = serde_json::json!({
                n.clone(): held.iter().map(|id| serde_json::json!({ col.clone(): id })).collect::<Vec<_>>()
            });
            let titles = state
                .engine
                .lookup_titles(actor, def, std::iter::once(&lines_held))
                .await?;
            for id in held.into_iter().rev() {
                if !choices.iter().any(|ch| ch.0 == id.to_string()) {
                    let shown = titles
                        .show(c, &serde_json::Value::from(id))
                        .unwrap_or_default();
                    choices.insert(0, (id.to_string(), shown));
                }
            }
            out.insert(path, (search, choices));
        }
    }
    Ok(out)
}

/// The name of an operation form's Search button (its value: the lookup input searched).
const FIND: &str = "_find";

/// The record's lookup choices with those entered on the form over them: what the pickers show
/// as chosen (an id entered that is not a whole number is left out).
fn chosen(
    op: &OperationDef,
    record: Option<&serde_json::Value>,
    entered: &HashMap<String, String>,
    def: &AppDef,
) -> serde_json::Value {
    let mut current = record
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    for n in &op.inputs {
        if def
            .fields
            .get(n)
            .is_none_or(|f| f.kind != FieldType::Lookup)
        {
            continue;
        }
        if let Some(v) = entered.get(n) {
            match v.trim().parse::<i64>() {
                Ok(id) => current.insert(n.clone(), id.into()),
                Err(_) => current.remove(n),
            };
        }
    }
    serde_json::Value::Object(current)
}

/// The operation's form again after its Search button or "Add rows": the values entered kept
/// (the rows of a table of lines too), each lookup's search run, nothing saved.
async fn searched(
    state: &AppState,
    signed: &Signed,
    app: &crate::engine::PublishedApp,
    op_name: &str,
    op: &OperationDef,
    form: submission::Submitted,
) -> Result<HttpResponse, WebError> {
    let actor = signed.actor();
    // The same checks as opening the form: a record the person may read and run this on.
    let record = match (op.needs_record(), form.record) {
        (true, Some(id)) => {
            let access = state.engine.record(&actor, &app.def.slug, id).await?;
            let reach = state.engine.reach_for(&app.def, &actor).await?;
            if let Some(refusal) =
                state
                    .engine
                    .operation_refusal(app, &actor, op, Some(&access.record), &reach)
            {
                return Err(refusal.into());
            }
            Some(access.record)
        }
        (true, None) => return Err(WebError::BadRequest("choose a record first".into())),
        (false, _) => None,
    };
    let mut extras = match &record {
        Some(r) => extras_for(state, &actor, app, op, r).await?,
        None => Extras::default(),
    };
    let current = chosen(op, record.as_ref().map(|r| &r.data), &form.text, &app.def);
    extras.lookups = lookup_pickers(state, &actor, &app.def, op, &form.text, &current).await?;
    let rec = record
        .as_ref()
        .map(|r| (r.id, form.version.unwrap_or(r.version), &r.data));
    let entered: HashMap<String, String> = form
        .text
        .into_iter()
        .filter(|(k, _)| op.inputs.contains(k) || lines::of_table(&app.def, op, k))
        .collect();
    render(&page(
        signed,
        &app.def,
        op_name,
        op,
        rec,
        &entered,
        &[],
        vec![],
        extras,
    ))
}

/// The file beside the form, the missing required fields and, for a transition, the summary.
async fn extras_for(
    state: &AppState,
    actor: &crate::engine::Actor,
    app: &crate::engine::PublishedApp,
    op: &OperationDef,
    record: &crate::store::RecordRow,
) -> Result<Extras, WebError> {
    let (receipts, read) = receipt::panel(state, &app.def, op, record).await;
    let files = state.engine.attachments(record).await?;
    Ok(Extras {
        receipts,
        read,
        using_read: false,
        missing: readiness::missing(state, actor, app, op, record).await,
        summary: readiness::summary(&app.def, op, record, &files),
        kept: vec![],
        lookups: HashMap::new(),
    })
}

pub async fn submit(
    state: web::Data<AppState>,
    signed: Signed,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    mp: Multipart,
) -> Result<HttpResponse, WebError> {
    let (slug, op_name) = path.into_inner();
    let actor = signed.actor();
    // The session (the `Signed` extractor) and the operation are settled before the body is read.
    let app = state.engine.app(&slug).await?;
    let op = app
        .def
        .operations
        .get(&op_name)
        .filter(|o| actor.has_any(&o.roles))
        .ok_or_else(|| WebError::NotFound(format!("no operation `{op_name}` available to you")))?;
    let rules = FormRules {
        signed: &signed,
        file_inputs: op
            .inputs
            .iter()
            .filter(|i| {
                app.def
                    .fields
                    .get(i.as_str())
                    .is_some_and(|f| f.kind.is_file())
            })
            .map(|i| i.as_str())
            .collect(),
        max_file: state.config.max_upload_bytes,
        data_dir: &state.config.data_dir,
        extra_parts: lines::extra_parts(&app.def, op),
        line_file: &|part: &str| lines::file_cell(&app.def, op, part).is_some(),
        file_slots: if lines::takes_line_files(&app.def, op) {
            LINE_FILES_PER_FORM
        } else {
            1
        },
    };
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = declared.filter(|n| *n > rules.max_body() as u64) {
        if let Refusal::TooLarge(m) = rules.too_large(usize::try_from(n).unwrap_or(usize::MAX)) {
            return Ok(payload_too_large(m));
        }
    }
    let mut form = match read_form(mp, &rules).await {
        Ok(f) => f,
        Err(Refusal::TooLarge(m)) => return Ok(payload_too_large(m)),
        Err(Refusal::Web(e)) => return Err(e),
    };
    // The picker's Search button, or "Add rows" or a line's "Move up"/"Move down" in a table of
    // lines: the same form comes back with what was entered (and the records found, more blank
    // rows, or the lines in their new order), and nothing is saved (a file chosen is not kept:
    // nothing was uploaded).
    if form.text.contains_key(FIND)
        || lines::wants_more_rows(&app.def, op, &form.text)
        || lines::wants_move(&app.def, op, &form.text)
    {
        return searched(&state, &signed, &app, &op_name, op, form).await;
    }
    // Files chosen in the cells of lines (`items[3][receipt]`) are uploaded first; the cell then
    // holds the attachment id, as a kept line's does. A refused form shows them again kept.
    let mut line_uploaded = Vec::new();
    let mut line_upload_errors = Vec::new();
    let (line_files, other_files): (Vec<ReceivedFile>, Vec<ReceivedFile>) =
        std::mem::take(&mut form.files)
            .into_iter()
            .partition(|f| lines::file_cell(&app.def, op, &f.field).is_some());
    form.files = other_files;
    for ReceivedFile {
        field: cell,
        filename,
        file,
    } in line_files
    {
        let Some((field, column)) = lines::file_cell(&app.def, op, &cell) else {
            continue;
        };
        let bytes = file.bytes().await.map_err(spool_error)?;
        drop(file);
        let path = crate::engine::lines::column_path(field, column);
        let at = lines::cell_path(&cell);
        match state
            .uploads
            .upload(&state.engine, &actor, &slug, &path, &filename, bytes)
            .await
        {
            Ok(up) => {
                form.text
                    .insert(cell.clone(), up.stored.attachment_id.to_string());
                line_uploaded.push((up.stored.attachment_id, up.stored.sha256));
            }
            Err(crate::uploads::UploadError::Receipt(e @ crate::receipts::ReceiptError::Busy)) => {
                let ids: Vec<i64> = line_uploaded.iter().map(|(id, _)| *id).collect();
                state.engine.discard_uploads(&actor, &ids).await;
                return Err(WebError::Unavailable(e.to_string()));
            }
            Err(crate::uploads::UploadError::Engine(EngineError::Store(e))) => return Err(e.into()),
            Err(crate::uploads::UploadError::Engine(EngineError::Invalid(errs))) => {
                line_upload_errors.extend(errs.into_iter().map(|e| FieldError {
                    field: field.to_string(),
                    label: e.label,
                    message: format!("{at}: {}", e.message),
                }))
            }
            Err(e) => line_upload_errors.push(FieldError {
                field: field.to_string(),
                label: field.to_string(),
                message: format!("{at}: {e}"),
            }),
        }
    }
    if let Some((cell, message)) = form.too_large.take() {
        match lines::file_cell(&app.def, op, &cell) {
            Some((field, _)) => line_upload_errors.push(FieldError {
                field: field.to_string(),
                label: field.to_string(),
                message: format!("{}: {message}", lines::cell_path(&cell)),
            }),
            None => form.too_large = Some((cell, message)),
        }
    }
    let mut inputs: BTreeMap<String, Raw> = BTreeMap::new();
    let mut line_rows: Vec<(String, Vec<usize>)> = Vec::new();
    let by = creation(&signed, &actor, chrono::Utc::now());
    let local = super::local_time::LocalTime::of(&signed.user);
    for n in &op.inputs {
        let Some(f) = app.def.fields.get(n).filter(|f| f.kind == FieldType::Lines) else {
            continue;
        };
        if lines::on_form(n, &form.text) {
            let (list, rows) =
                lines::from_form(f, n, &form.text, &lines::new_row(f, &by, local), local);
            inputs.insert(n.clone(), Raw::Json(list));
            line_rows.push((n.clone(), rows));
        }
    }
    let mut upload_errors = Vec::new();
    for (name, value) in &form.text {
        let is_file = app.def.fields.get(name).is_some_and(|f| f.kind.is_file());
        if op.inputs.contains(name) && !is_file {
            let kind = app.def.fields.get(name).map(|f| f.kind);
            match kind.map(|k| super::field_types::from_form(k, value, local)) {
                Some(Err(message)) => upload_errors.push(FieldError {
                    field: name.clone(),
                    label: app
                        .def
                        .fields
                        .get(name)
                        .map(|f| f.label.clone())
                        .unwrap_or_default(),
                    message,
                }),
                Some(Ok(v)) => {
                    inputs.insert(name.clone(), Raw::Text(v));
                }
                None => {
                    inputs.insert(name.clone(), Raw::Text(value.clone()));
                }
            }
        }
        // A field of the app that is not an input here (read-only, or not on this form at all)
        // goes to the engine, which refuses it by name: a tampered form is never half-applied.
        if !op.inputs.contains(name) && app.def.fields.contains_key(name) {
            inputs.insert(name.clone(), Raw::Text(value.clone()));
        }
        if let Some((field, id)) = kept::kept_input(&app.def, op, name, value) {
            inputs.insert(field, Raw::Json(id.into()));
        }
    }
    if let Some((field, message)) = &form.too_large {
        upload_errors.push(FieldError {
            field: field.clone(),
            label: app
                .def
                .fields
                .get(field)
                .map(|f| f.label.clone())
                .unwrap_or_else(|| field.clone()),
            message: message.clone(),
        });
    }
    let mut uploaded = Vec::new();
    let mut uploaded_ids = Vec::new();
    // One file at a time in memory: read back from its temporary file, processed, stored.
    for ReceivedFile {
        field: name,
        filename,
        file,
    } in form.files
    {
        let bytes = file.bytes().await.map_err(spool_error)?;
        drop(file);
        match state
            .uploads
            .upload(&state.engine, &actor, &slug, &name, &filename, bytes)
            .await
        {
            Ok(up) => {
                uploaded.push(up.stored.sha256);
                uploaded_ids.push(up.stored.attachment_id);
                inputs.insert(name, Raw::Json(up.stored.attachment_id.into()));
            }
            Err(crate::uploads::UploadError::Receipt(e @ crate::receipts::ReceiptError::Busy)) => {
                // The server, not the file: a 503 page saying to send the form again shortly.
                state.engine.discard_uploads(&actor, &uploaded_ids).await;
                return Err(WebError::Unavailable(e.to_string()));
            }
            Err(crate::uploads::UploadError::Engine(EngineError::Store(e))) => {
                // The server's storage, not the file: say so plainly (503 when the disk is full).
                return Err(e.into());
            }
            // Refused for its field (a PDF for a photo): the engine's words, beside the input.
            Err(crate::uploads::UploadError::Engine(EngineError::Invalid(errs))) => {
                upload_errors.extend(errs)
            }
            Err(e) => upload_errors.push(FieldError {
                field: name.clone(),
                label: app
                    .def
                    .fields
                    .get(&name)
                    .map(|f| f.label.clone())
                    .unwrap_or(name.clone()),
                message: e.to_string(),
            }),
        }
    }
    let req = OperationRequest {
        record_id: form.record,
        expected_version: form.version,
        inputs,
    };
    let result = if upload_errors.is_empty() && line_upload_errors.is_empty() {
        state
            .engine
            .run_operation(&actor, &slug, &op_name, &req, true)
            .await
    } else {
        Err(EngineError::Invalid(upload_errors))
    };
    uploaded.extend(line_uploaded.iter().map(|(_, sha)| sha.clone()));
    match result {
        Ok(out) if out.deleted => {
            let first_view = state
                .engine
                .views_for(&app, &actor)
                .first()
                .map(|(n, _)| n.to_string());
            Ok(redirect(&match first_view {
                Some(v) => format!("/apps/{slug}/views/{v}?done={op_name}"),
                None => format!("/apps/{slug}?done={op_name}"),
            }))
        }
        Ok(out) => {
            let id = out.record_id.unwrap_or_default();
            // A decision can take the record out of everything this person may see (a manager
            // approving a claim): then back to their first view, not to a page they cannot open.
            if let Err(EngineError::RecordNotFound(_)) =
                state.engine.record(&actor, &slug, id).await
            {
                let first_view = state
                    .engine
                    .views_for(&app, &actor)
                    .first()
                    .map(|(n, _)| n.to_string());
                return Ok(redirect(&match first_view {
                    Some(v) => format!("/apps/{slug}/views/{v}?done={op_name}"),
                    None => format!("/apps/{slug}?done={op_name}"),
                }));
            }
            let mut duplicate = false;
            for sha256 in &uploaded {
                duplicate |= !state
                    .engine
                    .duplicates(&app, &actor, sha256, Some(id))
                    .await?
                    .is_empty();
            }
            // The record page says what was done (`done`, the operation's name: its title is
            // looked up there, never echoed from the URL).
            if !duplicate {
                Ok(redirect(&format!(
                    "/apps/{slug}/records/{id}?done={op_name}"
                )))
            } else {
                Ok(redirect(&format!(
                    "/apps/{slug}/records/{id}?done={op_name}&note=duplicate"
                )))
            }
        }
        Err(e) => {
            let stale = matches!(e, EngineError::Stale { .. });
            // A file is kept for sending the form again only when that can succeed: not when
            // the record's state or the person's rights refuse the operation itself.
            let keep_files = !matches!(e, EngineError::Precondition(_) | EngineError::Forbidden(_));
            let (errors, general, status) = match e {
                EngineError::Invalid(mut errs) => {
                    for (n, rows) in &line_rows {
                        lines::to_form_rows(&mut errs, n, rows);
                    }
                    // Named by their form rows already.
                    errs.append(&mut line_upload_errors);
                    (errs, vec![], 422)
                }
                e @ (EngineError::Stale { .. }
                | EngineError::Precondition(_)
                | EngineError::Forbidden(_)) => (vec![], vec![e.to_string()], 409),
                e => {
                    uploaded_ids.extend(line_uploaded.iter().map(|(id, _)| *id));
                    state.engine.discard_uploads(&actor, &uploaded_ids).await;
                    return Err(e.into());
                }
            };
            // The files of lines stay in their cells when the form comes back to be sent again,
            // unless the refusal is one sending again cannot mend.
            if !keep_files {
                uploaded_ids.extend(line_uploaded.iter().map(|(id, _)| *id));
            }
            let record = match form.record {
                Some(id) => Some(state.engine.record(&actor, &slug, id).await?.record),
                None => None,
            };
            // After a stale refusal the form carries the current version: the user has seen the message.
            let rec = record.as_ref().map(|r| {
                (
                    r.id,
                    if stale {
                        r.version
                    } else {
                        form.version.unwrap_or(r.version)
                    },
                    &r.data,
                )
            });
            let mut extras = match &record {
                Some(r) => extras_for(&state, &actor, &app, op, r).await?,
                None => Extras::default(),
            };
            if keep_files {
                extras.kept =
                    kept::kept_files(&state, &actor, &app.def, op, &req.inputs, &errors).await;
            }
            // What the form offers back is kept on purpose; any other upload of this refused
            // submission (a file the refusal objected to) is taken back.
            uploaded_ids.retain(|id| !extras.kept.iter().any(|k| k.id == *id));
            let current = chosen(op, record.as_ref().map(|r| &r.data), &form.text, &app.def);
            extras.lookups =
                lookup_pickers(&state, &actor, &app.def, op, &form.text, &current).await?;
            state.engine.discard_uploads(&actor, &uploaded_ids).await;
            let mut resp = render(&page(
                &signed, &app.def, &op_name, op, rec, &form.text, &errors, general, extras,
            ))?;
            *resp.status_mut() = actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
            Ok(resp)
        }
    }
}
