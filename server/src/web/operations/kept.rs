//! A file sent with a submission that was refused for another field is kept: the form comes back
//! with a hidden `_kept_<field>` naming the stored upload, so sending it again does not need the
//! file again. The engine accepts the id only as this person's own upload, not yet attached, for
//! that very field of that app (`Engine::check_attachment`), so the hidden field grants nothing.
use crate::engine::definition::{AppDef, OperationDef};
use crate::engine::{FieldError, Raw};
use crate::web::AppState;
use std::collections::BTreeMap;

/// The hidden field that carries a file already stored for `<field>` after a refused
/// submission, so the form can be sent again without choosing the file again.
pub(super) const KEPT_PREFIX: &str = "_kept_";

/// A file received with a refused submission and kept for the next one.
pub(crate) struct KeptFile {
    pub field: String,
    pub id: i64,
    pub filename: String,
}

/// A `_kept_<field>` form value as (field, attachment id), when `field` is a file input of `op`.
pub(super) fn kept_input(
    def: &AppDef,
    op: &OperationDef,
    name: &str,
    value: &str,
) -> Option<(String, i64)> {
    let field = name.strip_prefix(KEPT_PREFIX)?;
    let is_file_input = op.inputs.iter().any(|i| i == field)
        && def.fields.get(field).is_some_and(|f| f.kind.is_file());
    let id = value.trim().parse::<i64>().ok()?;
    is_file_input.then(|| (field.to_string(), id))
}

/// The files of a refused submission worth keeping: stored uploads of this person, not yet
/// attached, for a file input the refusal did not object to.
pub(super) async fn kept_files(
    state: &AppState,
    actor: &crate::engine::Actor,
    def: &AppDef,
    op: &OperationDef,
    inputs: &BTreeMap<String, Raw>,
    errors: &[FieldError],
) -> Vec<KeptFile> {
    let mut kept = Vec::new();
    for field in &op.inputs {
        if def.fields.get(field).is_none_or(|f| !f.kind.is_file())
            || errors.iter().any(|e| &e.field == field)
        {
            continue;
        }
        let Some(Raw::Json(serde_json::Value::Number(n))) = inputs.get(field) else {
            continue;
        };
        let Some(id) = n.as_i64() else { continue };
        match state.engine.store().attachment(id).await {
            Ok(Some(att))
                if att.uploaded_by == actor.user_id
                    && att.record_id.is_none()
                    && &att.field == field =>
            {
                kept.push(KeptFile {
                    field: field.clone(),
                    id,
                    filename: att.filename,
                })
            }
            _ => {}
        }
    }
    kept
}
