//! Deleting a record that `lookup` fields refer to: refused with a count (`on_delete =
//! "refuse"`), or the references emptied first, each as a write with its history entry
//! (`"clear"`), so that nothing is left pointing at a record that is gone.
use super::catalog::value_kind;
use super::definition::{FieldType, OnDelete};
use super::lookups::record_title;
use super::operations::Change;
use super::{Actor, Engine, EngineError, PublishedApp};
use crate::store::StoreError;
use crate::store::{NewHistory, Predicate, PredicateOp, RecordQuery, RecordRow, RecordWrite};
use serde_json::Value;
use std::sync::Arc;

/// How many passes in a row may fail to empty any reference before a delete gives up.
const CLEAR_PASSES: usize = 5;

/// The lookup fields of `def` that refer to the app `target`, and the lookup columns of its
/// lines fields that do: (field, column, the lookup's definition).
fn referring_fields<'a>(
    def: &'a super::definition::AppDef,
    target: &str,
) -> Vec<(
    &'a String,
    Option<&'a String>,
    &'a super::definition::FieldDef,
)> {
    let mut out: Vec<_> = def
        .fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Lookup && f.app.as_deref() == Some(target))
        .map(|(name, f)| (name, None, f))
        .collect();
    for (name, f) in &def.fields {
        for (col, c) in super::lines::lookup_columns(f) {
            if c.app.as_deref() == Some(target) {
                out.push((name, Some(col), c));
            }
        }
    }
    out
}

impl Engine {
    /// Records of published apps whose lookup fields refer to `record` of `app`, by app and
    /// field, with what deleting it does.
    async fn references_to(
        &self,
        app: &PublishedApp,
        record: &RecordRow,
    ) -> Result<Vec<Reference>, EngineError> {
        let mut refs = Vec::new();
        for other in self.catalog().apps().await? {
            for (name, column, f) in referring_fields(&other.def, &app.def.slug) {
                // A lookup column refers through any line that holds the record's id.
                let (field, op) = match column {
                    Some(col) => (super::lines::column_path(name, col), PredicateOp::HasLine),
                    None => (name.clone(), PredicateOp::Eq),
                };
                let q = RecordQuery {
                    app_id: other.id,
                    predicates: vec![Predicate {
                        field,
                        kind: value_kind(FieldType::Lookup),
                        op,
                        value: record.id.to_string(),
                        via: None,
                        indexed: false,
                        key: None,
                    }],
                    limit: super::views::MAX_LIMIT,
                    ..RecordQuery::default()
                };
                let (rows, total) = self.store().query_records(&q).await?;
                if !rows.is_empty() {
                    refs.push(Reference {
                        app: other.clone(),
                        field: name.clone(),
                        column: column.cloned(),
                        on_delete: f.on_delete.unwrap_or_default(),
                        rows,
                        total: total.n,
                        exact: total.exact,
                    });
                }
            }
        }
        Ok(refs)
    }

    /// Why deleting `record` is refused, if it is: records refer to it through a lookup field
    /// whose `on_delete` is `refuse`. Says how many, and from which apps.
    pub(super) async fn delete_refusal(
        &self,
        app: &PublishedApp,
        record: &RecordRow,
    ) -> Result<Option<EngineError>, EngineError> {
        let refusing: Vec<String> = self
            .references_to(app, record)
            .await?
            .iter()
            .filter(|r| r.on_delete == OnDelete::Refuse)
            .map(|r| {
                let n = format!("{}{}", r.total, if r.exact { "" } else { "+" });
                let noun = if r.total == 1 { "record" } else { "records" };
                let verb = if r.total == 1 { "refers" } else { "refer" };
                format!("{n} {noun} of {} {verb} to it", r.app.def.name)
            })
            .collect();
        Ok((!refusing.is_empty()).then(|| {
            EngineError::Precondition(format!(
                "{} cannot be deleted: {}; change or delete those first",
                record_title(&app.def, record),
                refusing.join(", ")
            ))
        }))
    }

    /// Before `record` is deleted: empties every lookup with `on_delete = "clear"` that refers
    /// to it, one write with its history entry per referring record (titled after the delete
    /// and the app, "Delete project (Projects)"), so
    /// that once the record is gone nothing points at it. A referring record changed meanwhile
    /// is read again and cleared at its new version.
    pub(super) async fn clear_references(
        &self,
        actor: &Actor,
        app: &PublishedApp,
        record: &RecordRow,
        op_name: &str,
        op_title: &str,
    ) -> Result<(), EngineError> {
        // Each pass empties what it read (a page at a time); a pass that empties nothing because
        // every write lost a race is retried a few times, never forever.
        let mut idle = 0;
        while idle < CLEAR_PASSES {
            let mut progressed = false;
            let refs = self.references_to(app, record).await?;
            let clearing: Vec<&Reference> = refs
                .iter()
                .filter(|r| r.on_delete == OnDelete::Clear)
                .collect();
            if clearing.is_empty() {
                return Ok(());
            }
            for r in clearing {
                for row in &r.rows {
                    let mut data = row.data.clone();
                    let Some(obj) = data.as_object_mut() else {
                        return Err(EngineError::Conflict(format!(
                            "record {} of {} is not readable as fields",
                            row.id, r.app.def.name
                        )));
                    };
                    let emptied = match &r.column {
                        Some(col) => cleared_lines(obj.get(&r.field), col, record.id),
                        None => Value::Null,
                    };
                    let before = obj.insert(r.field.clone(), emptied.clone());
                    let label = r
                        .app
                        .def
                        .fields
                        .get(&r.field)
                        .map(|f| f.label.clone())
                        .unwrap_or_default();
                    let changes = vec![Change {
                        field: r.field.clone(),
                        label,
                        before: before.unwrap_or(Value::Null),
                        after: emptied,
                    }];
                    let now = self.now();
                    let history = NewHistory {
                        record_id: 0,
                        app_id: r.app.id,
                        record_version: 0,
                        at: now,
                        actor_id: Some(actor.user_id),
                        actor_name: actor.username.clone(),
                        surface: actor.surface.as_str().into(),
                        client_name: actor.client_name.clone(),
                        operation: op_name.to_string(),
                        // Not the deleted record's title: who reads this history may not have
                        // been allowed to read that record.
                        operation_title: format!("{op_title} ({})", app.def.name),
                        changes: serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into()),
                        on_behalf_of: None,
                    };
                    let write = RecordWrite::Update {
                        app_id: r.app.id,
                        id: row.id,
                        expected_version: row.version,
                        owner_id: row.owner_id,
                        data,
                        before: row.data.clone(),
                    };
                    match self
                        .store()
                        .apply_write(write, history, &[], &[], now)
                        .await
                    {
                        Ok(_) => progressed = true,
                        // Changed or deleted meanwhile: the next pass reads what is there now.
                        Err(StoreError::Stale { .. } | StoreError::NotFound) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            idle = if progressed { 0 } else { idle + 1 };
        }
        Err(EngineError::Conflict(format!(
            "records referring to {} keep changing; it was not deleted, try again",
            record_title(&app.def, record)
        )))
    }
}

/// A lines value with the column `col` emptied in every line that refers to record `id`.
fn cleared_lines(lines: Option<&Value>, col: &str, id: i64) -> Value {
    let mut lines = lines.cloned().unwrap_or(Value::Null);
    if let Some(items) = lines.as_array_mut() {
        for line in items.iter_mut().filter_map(Value::as_object_mut) {
            if line.get(col).and_then(Value::as_i64) == Some(id) {
                line.insert(col.to_string(), Value::Null);
            }
        }
    }
    lines
}

/// The records of one app that refer to a record through one lookup field (or one lookup
/// column of a lines field).
struct Reference {
    app: Arc<PublishedApp>,
    field: String,
    column: Option<String>,
    on_delete: OnDelete,
    rows: Vec<RecordRow>,
    total: u64,
    exact: bool,
}
