//! Operation forms: inputs with per-field errors, file upload, and the same engine call as MCP.
use super::layout::Layout;
use super::{redirect, render, AppState, Signed, WebError};
use crate::engine::definition::{AppDef, FieldType, OperationDef, OperationKind};
use crate::engine::value::display_value;
use crate::engine::{EngineError, FieldError, OperationRequest, Raw};
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

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
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                help: f.help.clone(),
                accept: f.accept.join(","),
            }
        })
        .collect();
    let mut general = general;
    general.extend(
        errors
            .iter()
            .filter(|e| !op.inputs.contains(&e.field))
            .map(|e| e.to_string()),
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

/// The parts of a submitted operation form.
struct Submitted {
    csrf: String,
    version: Option<i64>,
    record: Option<i64>,
    text: HashMap<String, String>,
    files: Vec<(String, String, Vec<u8>)>,
    too_large: Option<String>,
}

async fn read_form(mut mp: Multipart, max_file: usize) -> Result<Submitted, WebError> {
    let mut s = Submitted {
        csrf: String::new(),
        version: None,
        record: None,
        text: HashMap::new(),
        files: vec![],
        too_large: None,
    };
    let mut total_text = 0usize;
    while let Some(item) = mp.next().await {
        let mut field =
            item.map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(String::from));
        let mut buf = Vec::new();
        let limit = if filename.is_some() {
            max_file
        } else {
            64 * 1024
        };
        let mut over = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| WebError::BadRequest(format!("the upload was interrupted: {e}")))?;
            if buf.len() + chunk.len() > limit {
                over = true;
                continue; // drain the rest without keeping it
            }
            buf.extend_from_slice(&chunk);
        }
        match filename {
            Some(f) if over => {
                s.too_large = Some(format!(
                    "the file is larger than {}; receipts may be at most {}",
                    super::records::human_size(limit as i64),
                    super::records::human_size(limit as i64)
                ));
                s.text.insert(name, String::new());
                let _ = f;
            }
            Some(f) if !buf.is_empty() => s.files.push((name, f, buf)),
            Some(_) => {}
            None => {
                if over {
                    return Err(WebError::BadRequest(format!(
                        "the value of `{name}` is too long"
                    )));
                }
                total_text += buf.len();
                if total_text > 1024 * 1024 {
                    return Err(WebError::BadRequest("the form is too large".into()));
                }
                let v = String::from_utf8(buf)
                    .map_err(|_| WebError::BadRequest(format!("`{name}` is not valid text")))?;
                match name.as_str() {
                    "csrf" => s.csrf = v,
                    "_version" => s.version = v.parse().ok(),
                    "_record" => s.record = v.parse().ok(),
                    _ => {
                        s.text.insert(name, v);
                    }
                }
            }
        }
    }
    Ok(s)
}

pub async fn submit(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    mp: Multipart,
) -> Result<HttpResponse, WebError> {
    let (slug, op_name) = path.into_inner();
    let form = read_form(mp, state.config.max_upload_bytes).await?;
    signed.check_csrf(&form.csrf)?;
    let actor = signed.actor();
    let app = state.engine.app(&slug).await?;
    let op = app
        .def
        .operations
        .get(&op_name)
        .filter(|o| actor.has_any(&o.roles))
        .ok_or_else(|| WebError::NotFound(format!("no operation `{op_name}` available to you")))?;
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
    if let Some(msg) = &form.too_large {
        if let Some(f) = op
            .inputs
            .iter()
            .find(|i| app.def.fields[i.as_str()].kind == FieldType::File)
        {
            upload_errors.push(FieldError {
                field: f.clone(),
                label: app.def.fields[f.as_str()].label.clone(),
                message: msg.clone(),
            });
        }
    }
    let mut notes = Vec::new();
    for (name, filename, bytes) in form.files {
        if !op.inputs.contains(&name) {
            continue;
        }
        match state
            .uploads
            .upload(&state.engine, &actor, &slug, &name, &filename, bytes)
            .await
        {
            Ok(up) => {
                let others: Vec<String> = up
                    .stored
                    .duplicate_of
                    .iter()
                    .filter(|d| Some(**d) != form.record)
                    .map(|d| format!("#{d}"))
                    .collect();
                if !others.is_empty() {
                    notes.push(format!(
                        "Note: the same receipt is already attached to claim {}.",
                        others.join(", ")
                    ));
                }
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
                Some(v) => format!("/apps/{slug}/views/{v}"),
                None => format!("/apps/{slug}"),
            }))
        }
        Ok(out) => {
            let id = out.record_id.unwrap_or_default();
            if notes.is_empty() {
                Ok(redirect(&format!("/apps/{slug}/records/{id}")))
            } else {
                Ok(redirect(&format!(
                    "/apps/{slug}/records/{id}?note=duplicate"
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
