//! Where a file sent through an upload link goes: the record's file input (a file field, or a
//! line's file column `items.receipt`), set by an operation the person may run on that record
//! now. Used both when the link is made (refused up front if nothing could take the file) and
//! when the file arrives (the same check again, then the operation with history).
use super::definition::{FieldDef, FieldType, OperationKind};
use super::{Actor, Engine, EngineError, FieldError, OperationOutcome, OperationRequest, Raw};
use super::{PublishedApp, RecordAccess};
use crate::store::RecordRow;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A record's file input that the actor may set now, and the operation that sets it.
pub struct UploadTarget {
    pub app: Arc<PublishedApp>,
    pub record: RecordRow,
    /// The attachment path: `receipt`, or `items.receipt` for a line's file column.
    pub field: String,
    /// The line whose file is set; `None` for a plain file field or a new line.
    pub line_id: Option<String>,
    /// The operation that sets it (its name).
    pub operation: String,
    /// "Receipt", or "Lines · Receipt".
    pub label: String,
    /// The input's own label ("Receipt"), without its lines field's.
    pub noun: String,
    /// Whether the input takes only images (a photo, or a file field that accepts no PDF).
    pub photo_only: bool,
}

/// The file inputs of an app an upload link can name: file fields and the file columns of line
/// items (`items.receipt`), each with the input an operation takes for it.
pub fn file_inputs(def: &super::definition::AppDef) -> Vec<(String, &str, &FieldDef)> {
    let mut out = Vec::new();
    for (name, f) in &def.fields {
        if f.kind.is_file() {
            out.push((name.clone(), name.as_str(), f));
        } else if f.kind == FieldType::Lines {
            for (c, cf) in super::lines::file_columns(f) {
                out.push((super::lines::column_path(name, c), name.as_str(), cf));
            }
        }
    }
    out
}

fn invalid(field: &str, message: String) -> EngineError {
    EngineError::Invalid(vec![FieldError {
        field: field.to_string(),
        label: field.to_string(),
        message,
    }])
}

impl Engine {
    /// The operation through which the actor may set `field` of record `record_id` now (for a
    /// line's file column: of line `line_id`, or of a new line when `None`). The same rule as an
    /// upload (`store_file`: a file input an operation granted to the actor takes), and that
    /// operation must be available on this record now (role, scope, state, conditions).
    pub async fn upload_target(
        &self,
        actor: &Actor,
        slug: &str,
        record_id: i64,
        field: &str,
        line_id: Option<&str>,
    ) -> Result<UploadTarget, EngineError> {
        let app = self.app(slug).await?;
        let def = &app.def;
        let inputs = file_inputs(def);
        let Some((path, input, target)) = inputs.iter().find(|(p, _, _)| p == field) else {
            let names: Vec<&str> = inputs.iter().map(|(p, _, _)| p.as_str()).collect();
            return Err(invalid(
                "field",
                format!(
                    "`{}` is not a file input of {}; its file inputs are: {}",
                    field.chars().take(60).collect::<String>(),
                    def.name,
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        };
        let is_column = path.contains('.');
        if !is_column && line_id.is_some() {
            return Err(invalid(
                "line_id",
                format!("`{field}` is not a column of line items: leave `line_id` out"),
            ));
        }
        let RecordAccess { record, .. } = self.record(actor, slug, record_id).await?;
        if let (true, Some(l)) = (is_column, line_id) {
            let lines = record.data.get(*input).unwrap_or(&Value::Null);
            if super::lines::line_by_id(lines, l).is_none() {
                return Err(invalid(
                    "line_id",
                    format!(
                        "record {record_id} has no line `{}` in `{input}`; leave `line_id` out to add a line",
                        l.chars().take(40).collect::<String>()
                    ),
                ));
            }
        }
        let reach = self.reach_for(def, actor).await?;
        let mut candidates: Vec<(&String, &super::definition::OperationDef)> = def
            .operations
            .iter()
            .filter(|(_, o)| {
                o.needs_record()
                    && o.kind != OperationKind::Delete
                    && o.inputs.iter().any(|i| i == input)
                    && !o.read_only.iter().any(|i| i == input)
                    && actor.has_any(&o.roles)
            })
            .collect();
        if candidates.is_empty() {
            return Err(EngineError::Forbidden(format!(
                "you cannot upload files to `{field}` of {}",
                def.name
            )));
        }
        // The operation that changes least: one that takes only this input, if there is one.
        candidates.sort_by_key(|(_, o)| o.inputs.len());
        let mut first_refusal = None;
        for (name, o) in &candidates {
            match self.operation_refusal(&app, actor, o, Some(&record), &reach) {
                None => {
                    let label = match super::lines::split_column_path(def, path) {
                        Some((_, lf, c)) => format!("{} · {}", lf.label, c.label),
                        None => target.label.clone(),
                    };
                    return Ok(UploadTarget {
                        noun: target.label.clone(),
                        photo_only: target.kind == FieldType::Photo
                            || (!target.accept.is_empty()
                                && !target.accept.iter().any(|a| a.contains("pdf"))),
                        field: path.clone(),
                        line_id: line_id.map(String::from),
                        operation: (*name).clone(),
                        label,
                        record,
                        app: app.clone(),
                    });
                }
                Some(refusal) => {
                    first_refusal.get_or_insert(refusal);
                }
            }
        }
        Err(first_refusal.unwrap_or_else(|| {
            EngineError::Forbidden(format!("you cannot upload files to `{field}` now"))
        }))
    }

    /// Sets the target's file input to the stored upload `attachment_id` by running its
    /// operation on the record as read (a line's column: that line, or a new line, every other
    /// line kept as it is), with history like any change.
    pub async fn attach_upload(
        &self,
        actor: &Actor,
        target: &UploadTarget,
        attachment_id: i64,
    ) -> Result<OperationOutcome, EngineError> {
        let (name, value) = match target.field.split_once('.') {
            None => (target.field.clone(), Value::from(attachment_id)),
            Some((lines, column)) => {
                let stored = target.record.data.get(lines).unwrap_or(&Value::Null);
                let mut sent: Vec<Value> = Vec::new();
                for line in super::lines::stored_lines(stored) {
                    let Some(id) = line.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    // A line kept with its `id` alone keeps every column it has.
                    let mut obj = Map::new();
                    obj.insert("id".into(), Value::String(id.to_string()));
                    if target.line_id.as_deref() == Some(id) {
                        obj.insert(column.to_string(), Value::from(attachment_id));
                    }
                    sent.push(Value::Object(obj));
                }
                if target.line_id.is_none() {
                    let mut obj = Map::new();
                    obj.insert(column.to_string(), Value::from(attachment_id));
                    sent.push(Value::Object(obj));
                }
                (lines.to_string(), Value::Array(sent))
            }
        };
        let req = OperationRequest {
            record_id: Some(target.record.id),
            expected_version: Some(target.record.version),
            inputs: BTreeMap::from([(name, Raw::Json(value))]),
        };
        self.run_operation(actor, &target.app.def.slug, &target.operation, &req, true)
            .await
    }
}
