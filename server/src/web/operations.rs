//! Operation forms: inputs with per-field errors, file upload, and the same engine call as MCP.
use super::layout::Layout;
use super::wording::{self, Names};
use super::{redirect, render, AppState, Signed, WebError};
use crate::engine::definition::{AppDef, FieldType, OperationDef, OperationKind};
use crate::engine::value::display_value;
use crate::engine::{EngineError, FieldError, OperationRequest, Raw};
use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use submission::{payload_too_large, read_form, spool_error, FormRules, ReceivedFile, Refusal};

mod submission;

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
    inputs: Vec<InputView>,
    general_errors: Vec<String>,
    danger: bool,
    suggestions: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub struct OpQuery {
    record: Option<i64>,
}

pub(crate) fn input_kind(kind: FieldType) -> &'static str {
    match kind {
        FieldType::LongText => "textarea",
        FieldType::Choice => "select",
        FieldType::Date => "date",
        FieldType::Money => "decimal",
        FieldType::Number => "number",
        FieldType::File => "file",
        FieldType::Currency => "currency",
        _ => "text",
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
    suggestions: Vec<(String, String)>,
) -> OperationPage {
    let names = Names::of(def, None);
    let inputs = op
        .inputs
        .iter()
        .map(|n| {
            let f = &def.fields[n.as_str()];
            let value = entered
                .get(n)
                .cloned()
                .or_else(|| record.map(|(_, _, d)| form_value(def, d, n)))
                .unwrap_or_default();
            InputView {
                name: n.clone(),
                label: f.label.clone(),
                kind: input_kind(f.kind),
                value,
                options: f.options.clone(),
                required: op.required.contains(n)
                    || (f.required && op.kind == OperationKind::Create),
                error: errors
                    .iter()
                    .filter(|e| &e.field == n)
                    .map(|e| wording::field_error(&names, e))
                    .collect::<Vec<_>>()
                    .join(" "),
                help: f.help.clone(),
                accept: f.accept.join(","),
            }
        })
        .collect();
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
        inputs,
        general_errors: general,
        danger: op.kind == OperationKind::Delete,
        suggestions,
    }
}

/// The success message for `?done=<operation>` on the page an operation leads to, if that names
/// an operation of the app.
pub(crate) fn done_flash(def: &AppDef, q: Option<&str>) -> Option<String> {
    def.operations.get(q?).map(wording::done)
}

/// A stored value as a form shows it: money with the currency's minor units ("20.00").
fn form_value(def: &AppDef, data: &serde_json::Value, field: &str) -> String {
    match def.fields.get(field).map(|f| f.kind) {
        Some(FieldType::Money) => display_value(def, field, data),
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

/// Suggested values (read from the record's latest attachment) for this operation's inputs, by label.
async fn suggestions(
    state: &AppState,
    def: &AppDef,
    op: &OperationDef,
    record: &crate::store::RecordRow,
) -> Vec<(String, String)> {
    let Ok(atts) = state.engine.attachments(record).await else {
        return vec![];
    };
    let Some(a) = atts.last() else { return vec![] };
    let meta: serde_json::Value = serde_json::from_str(&a.meta).unwrap_or_default();
    meta["suggestions"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| op.inputs.contains(k))
                .filter_map(|(k, v)| {
                    let val = v.get("value")?;
                    let label = def
                        .fields
                        .get(k)
                        .map(|f| f.label.clone())
                        .unwrap_or_else(|| k.clone());
                    Some((
                        label,
                        val.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| val.to_string()),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub async fn form(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    q: web::Query<OpQuery>,
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
    let (record, sugg) = match (op.needs_record(), q.record) {
        (true, Some(id)) => {
            let access = state.engine.record(&actor, &slug, id).await?;
            if let Some(refusal) =
                state
                    .engine
                    .operation_refusal(&app, &actor, op, Some(&access.record))
            {
                return Err(refusal.into());
            }
            let s = suggestions(&state, &app.def, op, &access.record).await;
            (Some(access.record), s)
        }
        (true, None) => return Err(WebError::BadRequest("choose a record first".into())),
        (false, _) => (None, vec![]),
    };
    let rec = record.as_ref().map(|r| (r.id, r.version, &r.data));
    render(&page(
        &signed,
        &app.def,
        &op_name,
        op,
        rec,
        &HashMap::new(),
        &[],
        vec![],
        sugg,
    ))
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
                    .is_some_and(|f| f.kind == FieldType::File)
            })
            .map(|i| i.as_str())
            .collect(),
        max_file: state.config.max_upload_bytes,
        data_dir: &state.config.data_dir,
    };
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > rules.max_body() as u64) {
        if let Refusal::TooLarge(m) = rules.too_large() {
            return Ok(payload_too_large(m));
        }
    }
    let form = match read_form(mp, &rules).await {
        Ok(f) => f,
        Err(Refusal::TooLarge(m)) => return Ok(payload_too_large(m)),
        Err(Refusal::Web(e)) => return Err(e),
    };
    let mut inputs: BTreeMap<String, Raw> = BTreeMap::new();
    let mut upload_errors = Vec::new();
    for (name, value) in &form.text {
        let is_file = app
            .def
            .fields
            .get(name)
            .is_some_and(|f| f.kind == FieldType::File);
        if op.inputs.contains(name) && !is_file {
            inputs.insert(name.clone(), Raw::Text(value.clone()));
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
                inputs.insert(name, Raw::Json(up.stored.attachment_id.into()));
            }
            Err(crate::uploads::UploadError::Engine(EngineError::Store(e))) => {
                // The server's storage, not the file: say so plainly (503 when the disk is full).
                return Err(e.into());
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
    let result = if upload_errors.is_empty() {
        state
            .engine
            .run_operation(&actor, &slug, &op_name, &req, true)
            .await
    } else {
        Err(EngineError::Invalid(upload_errors))
    };
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
            let (errors, general, status) = match e {
                EngineError::Invalid(errs) => (errs, vec![], 422),
                e @ (EngineError::Stale { .. }
                | EngineError::Precondition(_)
                | EngineError::Forbidden(_)) => (vec![], vec![e.to_string()], 409),
                e => return Err(e.into()),
            };
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
            let mut resp = render(&page(
                &signed,
                &app.def,
                &op_name,
                op,
                rec,
                &form.text,
                &errors,
                general,
                vec![],
            ))?;
            *resp.status_mut() = actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
            Ok(resp)
        }
    }
}
