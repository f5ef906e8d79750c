//! What an operation's page says before its button: the fields the operation `requires` that
//! the record lacks, each with links to the operations (available to this person, on this
//! record) whose inputs fill it; and, for a transition, a summary of what will be submitted.
use crate::engine::definition::{AppDef, OperationDef, OperationKind};
use crate::engine::{Actor, PublishedApp};
use crate::store::{AttachmentRow, RecordRow};
use crate::web::AppState;

/// A required field the record lacks, and where to fill it.
pub(crate) struct MissingView {
    pub label: String,
    /// (operation title, link to its form on this record).
    pub fill: Vec<(String, String)>,
}

/// The fields `op` requires that `record` has no value for (fields the operation itself takes
/// are not listed: filling them in is the form's job).
pub(super) async fn missing(
    state: &AppState,
    actor: &Actor,
    app: &PublishedApp,
    op: &OperationDef,
    record: &RecordRow,
) -> Vec<MissingView> {
    let def = &app.def;
    let lacking: Vec<&String> = op
        .requires
        .iter()
        .filter(|f| !op.inputs.contains(f))
        .filter(|f| record.data.get(f.as_str()).is_none_or(|v| v.is_null()))
        .collect();
    if lacking.is_empty() {
        return vec![];
    }
    let reach = state.engine.reach_for(def, actor).await.unwrap_or_default();
    lacking
        .into_iter()
        .map(|field| MissingView {
            label: def
                .fields
                .get(field.as_str())
                .map(|f| f.label.clone())
                .unwrap_or_else(|| field.clone()),
            fill: def
                .operations
                .iter()
                .filter(|(_, o)| o.inputs.contains(field) && o.needs_record())
                .filter(|(_, o)| {
                    state
                        .engine
                        .operation_refusal(app, actor, o, Some(record), &reach)
                        .is_none()
                })
                .map(|(name, o)| {
                    (
                        o.title.clone(),
                        format!("/apps/{}/ops/{name}?record={}", def.slug, record.id),
                    )
                })
                .collect(),
        })
        .collect()
}

/// For a transition: every field of the record with a value (files by their file name), in the
/// app's order, except the state and the operation's own inputs and `show` fields (on the page
/// already).
pub(super) fn summary(
    def: &AppDef,
    op: &OperationDef,
    record: &RecordRow,
    files: &[AttachmentRow],
) -> Vec<(String, String)> {
    if op.kind != OperationKind::Transition {
        return vec![];
    }
    def.fields
        .iter()
        .filter(|(n, _)| Some(n.as_str()) != def.state_field.as_deref())
        .filter(|(n, _)| !op.inputs.contains(n) && !op.show.contains(n))
        .filter_map(|(n, f)| {
            let value = if f.kind.is_file() {
                let id = record.data.get(n.as_str())?.as_i64()?;
                files
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| a.filename.clone())
                    .unwrap_or_else(|| "attached".into())
            } else {
                crate::web::amounts::display_value(def, n, &record.data)
            };
            (!value.is_empty()).then(|| (f.label.clone(), value))
        })
        .collect()
}
