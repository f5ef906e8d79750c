//! Bulk decisions: one operation run on several chosen records of a view (its `bulk` list). Each
//! record is its own operation — its own permission and condition checks, version check,
//! transaction and history entry — so one stale or refused record is reported and the rest apply.
use super::{Actor, Engine, EngineError, FieldError, OperationRequest, Raw};
use std::collections::BTreeMap;

/// Most records one bulk request may name.
pub const MAX_BULK: usize = 200;

/// A chosen record and the version the person saw.
#[derive(Debug, Clone, Copy)]
pub struct BulkItem {
    pub record_id: i64,
    pub expected_version: Option<i64>,
}

/// What happened to each chosen record, in the order given.
#[derive(Debug, Default)]
pub struct BulkOutcome {
    /// Records changed: (id, new version).
    pub applied: Vec<(i64, i64)>,
    /// Records left as they were, with the reason.
    pub failed: Vec<(i64, EngineError)>,
}

impl Engine {
    /// Runs `op_name` on each item, as offered by view `view_name` (the operation must be in
    /// the view's `bulk` list and the actor must see the view). Inputs the operation requires
    /// are checked once, before any record is touched.
    pub async fn run_bulk(
        &self,
        actor: &Actor,
        slug: &str,
        view_name: &str,
        op_name: &str,
        items: &[BulkItem],
        inputs: &BTreeMap<String, Raw>,
    ) -> Result<BulkOutcome, EngineError> {
        let app = self.view_for(actor, slug, view_name).await?;
        let view = &app.def.views[view_name];
        let op = app
            .def
            .operations
            .get(op_name)
            .filter(|o| view.bulk.iter().any(|b| b == op_name) && actor.has_any(&o.roles))
            .ok_or_else(|| EngineError::OperationNotFound {
                app: slug.into(),
                operation: op_name.into(),
            })?;
        if items.is_empty() {
            return Err(EngineError::Precondition(
                "choose at least one record".into(),
            ));
        }
        if items.len() > MAX_BULK {
            return Err(EngineError::Precondition(format!(
                "choose at most {MAX_BULK} records at a time"
            )));
        }
        let missing: Vec<FieldError> = op
            .required
            .iter()
            .filter(|f| match inputs.get(*f) {
                None => true,
                Some(Raw::Text(t)) => t.trim().is_empty(),
                Some(Raw::Json(v)) => v.is_null(),
            })
            .map(|f| FieldError {
                field: f.clone(),
                label: app
                    .def
                    .fields
                    .get(f)
                    .map(|d| d.label.clone())
                    .unwrap_or_else(|| f.clone()),
                message: "is required".into(),
            })
            .collect();
        if !missing.is_empty() {
            return Err(EngineError::Invalid(missing));
        }
        let mut out = BulkOutcome::default();
        let mut seen = std::collections::HashSet::new();
        for item in items.iter().filter(|i| seen.insert(i.record_id)) {
            let req = OperationRequest {
                record_id: Some(item.record_id),
                expected_version: item.expected_version,
                inputs: inputs.clone(),
            };
            match self.run_operation(actor, slug, op_name, &req, true).await {
                Ok(done) => out.applied.push((item.record_id, done.version)),
                // Listed with the rest (a server fault too): what was applied stays reported.
                Err(e) => out.failed.push((item.record_id, e)),
            }
        }
        Ok(out)
    }
}
