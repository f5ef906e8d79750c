//! Running an operation: permission and precondition checks, typed input parsing, cross-field
//! rules, computed fields, the diff, and one atomic write with its history entry.
use super::definition::{parse_expr, AppDef, FieldDef, FieldType, OperationKind};
use super::field_rules as rules;
use super::value::{parse_field, stored_decimal, CurrencyCode, Raw};
use super::{Actor, Engine, EngineError, FieldError, PublishedApp};
use crate::store::{NewHistory, RecordRow, RecordWrite, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What a surface asks an operation to do.
#[derive(Debug, Clone, Default)]
pub struct OperationRequest {
    pub record_id: Option<i64>,
    /// The version the caller read; a different current version is refused as stale.
    pub expected_version: Option<i64>,
    pub inputs: BTreeMap<String, Raw>,
}

/// One field's change.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Change {
    pub field: String,
    pub label: String,
    pub before: Value,
    pub after: Value,
}

/// The result of an operation (or of its preview when `applied` is false).
#[derive(Debug, Clone)]
pub struct OperationOutcome {
    pub record_id: Option<i64>,
    pub version: i64,
    pub changes: Vec<Change>,
    pub deleted: bool,
    pub applied: bool,
    /// The record after the change (absent after a delete).
    pub data: Option<Value>,
}

impl Engine {
    /// Runs (or with `apply = false`, previews) an operation for the actor.
    pub async fn run_operation(
        &self,
        actor: &Actor,
        slug: &str,
        op_name: &str,
        req: &OperationRequest,
        apply: bool,
    ) -> Result<OperationOutcome, EngineError> {
        let app = self.app(slug).await?;
        let op = app
            .def
            .operations
            .get(op_name)
            .filter(|o| actor.has_any(&o.roles))
            .ok_or_else(|| EngineError::OperationNotFound {
                app: slug.into(),
                operation: op_name.into(),
            })?;
        let record = match (op.needs_record(), req.record_id) {
            (false, _) => None,
            (true, None) => {
                return Err(EngineError::Invalid(vec![FieldError {
                    field: "record_id".into(),
                    label: "Record".into(),
                    message: format!("\"{}\" needs the id of the record to act on", op.title),
                }]))
            }
            (true, Some(id)) => Some(self.readable_record(&app, actor, id).await?),
        };
        // A caller who read an older version learns that first: whatever else now stands in the
        // way, it comes from a change they have not seen.
        if let (Some(r), Some(expected)) = (&record, req.expected_version) {
            if r.version != expected {
                return Err(EngineError::Stale {
                    id: r.id,
                    expected,
                    current: r.version,
                });
            }
        }
        let reach = self.reach_for(&app.def, actor).await?;
        if let Some(refusal) = self.operation_refusal(&app, actor, op, record.as_ref(), &reach) {
            return Err(refusal);
        }
        // A stand-in's decision is recorded as taken on behalf of the person away.
        let on_behalf_of = match &record {
            Some(r) if op.scope.is_team() => reach.on_behalf_of(r.owner_id).map(String::from),
            _ => None,
        };
        let now = self.now();
        let today = now.date_naive();
        let def = &app.def;
        let mut errors = Vec::new();
        for name in req.inputs.keys() {
            if op.read_only.contains(name) {
                errors.push(fe(
                    def,
                    name,
                    format!(
                        "is read-only in \"{}\" and cannot be changed by it",
                        op.title
                    ),
                ));
            } else if !op.inputs.contains(name) && !op.verify.contains(name) {
                errors.push(FieldError {
                    field: name.clone(),
                    label: name.clone(),
                    message: if op.inputs.is_empty() {
                        format!("\"{}\" takes no inputs", op.title)
                    } else {
                        format!(
                            "not an input of \"{}\"; it takes: {}",
                            op.title,
                            op.inputs.join(", ")
                        )
                    },
                });
            }
        }
        // The person's department, when a default of the new record or of a line this
        // operation may add copies it.
        let by_department = |f: &FieldDef| f.default.as_deref() == Some("$me.department");
        let department = if (record.is_none() && def.fields.values().any(by_department))
            || op
                .inputs
                .iter()
                .filter_map(|n| def.fields.get(n))
                .any(|f| f.columns.values().any(by_department))
        {
            self.store()
                .user_by_id(actor.user_id)
                .await?
                .and_then(|u| u.department)
        } else {
            None
        };
        let creation = super::default_values::Creation {
            username: &actor.username,
            name: &actor.display_name,
            department: department.as_deref(),
            now,
        };
        let old: Map<String, Value> = match &record {
            Some(r) => r.data.as_object().cloned().unwrap_or_default(),
            None => defaults(def, actor, department.as_deref(), now),
        };
        let mut new = old.clone();
        let mut attach = Vec::new();
        let mut looked_up = Vec::new();
        for name in &op.inputs {
            let field = &def.fields[name.as_str()];
            let raw = req.inputs.get(name);
            let value = match raw {
                Some(raw) if field.kind == FieldType::Lines => {
                    let key = super::lines::next_key(name);
                    let next = old.get(&key).and_then(Value::as_u64).unwrap_or(0);
                    let before = old.get(name).unwrap_or(&Value::Null);
                    let added = super::lines::new_line_values(field, today, Some(&creation));
                    match super::lines::parse_lines(field, name, raw, before, next, today, &added) {
                        Ok(parsed) => {
                            if parsed.next > next {
                                new.insert(key, Value::from(parsed.next));
                            }
                            // Each line's new file: the caller's own upload for that column,
                            // or one already on this record.
                            for (i, col, id) in
                                super::lines::new_files(field, before, &parsed.value)
                            {
                                let path = super::lines::column_path(name, col);
                                match self
                                    .check_attachment(actor, &app, &path, id, record.as_ref())
                                    .await
                                {
                                    Ok(()) => attach.push((name.clone(), id)),
                                    Err(m) => errors.push(fe(
                                        def,
                                        name,
                                        format!("{name}[{i}].{col}: {m}"),
                                    )),
                                }
                            }
                            // Each record a line newly chooses: one the caller may read
                            // and the column's filter admits.
                            for (i, col, id) in
                                super::lines::new_lookups(field, before, &parsed.value)
                            {
                                let Some(c) = field.columns.get(col) else {
                                    continue;
                                };
                                if let Some(m) = self.lookup_refusal(actor, c, id).await? {
                                    errors.push(fe(def, name, format!("{name}[{i}].{col}: {m}")));
                                }
                            }
                            parsed.value
                        }
                        Err(problems) => {
                            errors.extend(problems.into_iter().map(|m| fe(def, name, m)));
                            continue;
                        }
                    }
                }
                Some(raw) => match parse_field(field, raw, today) {
                    Ok(v) => v,
                    Err(message) => {
                        errors.push(fe(def, name, message));
                        continue;
                    }
                },
                None => new.get(name).cloned().unwrap_or(Value::Null),
            };
            if field.kind.is_file() && raw.is_some() {
                if let Some(att_id) = value.as_i64() {
                    match self
                        .check_attachment(actor, &app, name, att_id, record.as_ref())
                        .await
                    {
                        Ok(()) => attach.push((name.clone(), att_id)),
                        Err(message) => {
                            errors.push(fe(def, name, message));
                            continue;
                        }
                    }
                }
            }
            if field.kind == FieldType::Lookup && raw.is_some() {
                // Only a changed choice is checked: keeping a target that has since moved out
                // of the reader's sight is no new disclosure.
                if let Some(id) = value.as_i64().filter(|_| old.get(name) != Some(&value)) {
                    looked_up.push((name.clone(), id));
                }
            }
            new.insert(name.clone(), value);
        }
        errors.extend(self.check_lookups(actor, def, &looked_up).await?);
        if record.is_none() && errors.is_empty() {
            // Defaults copied from a looked-up record, once the lookup is known and allowed.
            self.copy_looked_up_defaults(actor, def, &mut new).await?;
        }
        if op.kind == OperationKind::Transition {
            if let (Some(sf), Some(to)) = (&def.state_field, &op.to) {
                new.insert(sf.clone(), Value::String(to.clone()));
            }
        }
        check_money(def, &mut new, &mut errors);
        if errors.is_empty() && op.kind != OperationKind::Delete {
            // Lines' home-currency amounts first: computed fields may add them up.
            let before = record.as_ref().map(|_| &old);
            self.convert_line_columns(def, super::line_converted::Redo::Changed(before), &mut new)
                .await?;
        }
        compute(def, &mut new, &mut errors);
        if errors.is_empty() && op.kind != OperationKind::Delete {
            self.convert_fields(def, record.as_ref().map(|_| &old), &mut new)
                .await?;
        }
        let tip = if op.verify.iter().any(|v| req.inputs.contains_key(v)) {
            super::checks::tip_of(self, def, op, &new).await
        } else {
            None
        };
        super::checks::verify_computed(def, op, &req.inputs, &new, tip, &mut errors);
        if let Some(cc) = &op.cross_check {
            let note = super::checks::cross_check(self, def, op, &new).await;
            new.insert(
                cc.into.clone(),
                note.map(Value::String).unwrap_or(Value::Null),
            );
        }
        let failed: BTreeSet<String> = errors.iter().map(|e| e.field.clone()).collect();
        let shaped = Value::Object(new.clone());
        let hidden = rules::hidden_fields(def, &shaped);
        for name in &op.inputs {
            let value = new.get(name).unwrap_or(&Value::Null);
            if hidden.contains(name) {
                // A hidden field keeps its value: a different one sent for it is refused.
                let before = old.get(name).unwrap_or(&Value::Null);
                if req.inputs.contains_key(name) && value != before && !failed.contains(name) {
                    errors.push(fe(def, name, rules::hidden_refusal(def, name)));
                }
                continue;
            }
            if !value.is_null() || failed.contains(name) {
                continue;
            }
            let field = &def.fields[name.as_str()];
            if op.required.contains(name) || (field.required && op.kind == OperationKind::Create) {
                errors.push(fe(def, name, "is required".into()));
            } else if rules::required_by_rule(def, name, &shaped, &hidden) {
                let when = field
                    .required_when
                    .as_ref()
                    .map(|r| r.phrase(def))
                    .unwrap_or_default();
                errors.push(fe(def, name, format!("is required when {when}")));
            }
        }
        for name in op.requires.iter().filter(|n| !hidden.contains(*n)) {
            if new.get(name).is_none_or(|v| v.is_null()) {
                errors.push(fe(
                    def,
                    name,
                    format!("must be filled in before \"{}\"", op.title),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(EngineError::Invalid(errors));
        }
        let deleted = op.kind == OperationKind::Delete;
        if let (true, Some(r)) = (deleted, &record) {
            if let Some(refusal) = self.delete_refusal(&app, r).await? {
                return Err(refusal);
            }
        }
        let empty = Map::new();
        let changes = diff(
            def,
            &old,
            if deleted { &empty } else { &new },
            record.is_none(),
        );
        let data = Value::Object(new);
        if !apply {
            return Ok(OperationOutcome {
                record_id: record.as_ref().map(|r| r.id),
                version: record.as_ref().map(|r| r.version).unwrap_or(0),
                changes,
                deleted,
                applied: false,
                data: (!deleted).then_some(data),
            });
        }
        let write = match (&record, op.kind) {
            (None, _) => RecordWrite::Create {
                app_id: app.id,
                owner_id: actor.user_id,
                data: data.clone(),
            },
            (Some(r), OperationKind::Delete) => RecordWrite::Delete {
                app_id: app.id,
                id: r.id,
                expected_version: r.version,
                owner_id: r.owner_id,
                before: r.data.clone(),
            },
            (Some(r), _) => RecordWrite::Update {
                app_id: app.id,
                id: r.id,
                expected_version: r.version,
                owner_id: r.owner_id,
                data: data.clone(),
                before: r.data.clone(),
            },
        };
        let history = NewHistory {
            record_id: 0,
            app_id: app.id,
            record_version: 0,
            at: now,
            actor_id: Some(actor.user_id),
            actor_name: actor.username.clone(),
            surface: actor.surface.as_str().into(),
            client_name: actor.client_name.clone(),
            operation: op_name.into(),
            operation_title: op.title.clone(),
            changes: serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into()),
            on_behalf_of,
        };
        let attach_ids: Vec<i64> = attach.iter().map(|(_, id)| *id).collect();
        // The record as it will be, for whom to tell and what they may read.
        let after = RecordRow {
            id: record.as_ref().map(|r| r.id).unwrap_or(0),
            app_id: app.id,
            owner_id: record.as_ref().map(|r| r.owner_id).unwrap_or(actor.user_id),
            version: record.as_ref().map(|r| r.version + 1).unwrap_or(1),
            data: data.clone(),
            created_at: now,
            updated_at: now,
        };
        let record_title = def
            .title_field
            .as_ref()
            .and_then(|t| data.get(t))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let text = super::notify::NoticeText {
            record_title,
            operation_title: &op.title,
        };
        let notices = self.notices(&app, op, actor, &after, text).await?;
        if let (true, Some(r)) = (deleted, &record) {
            // Emptied first, so that no record is left pointing at one that is gone.
            self.clear_references(actor, &app, r, op_name, &op.title)
                .await?;
        }
        let (id, version) = self
            .store()
            .apply_write(write, history, &attach_ids, &notices, now)
            .await
            .map_err(|e| match (e, &record) {
                // Another write linked one of these uploads first (see `Store::apply_write`).
                (StoreError::Conflict, _) => EngineError::Invalid(
                    attach
                        .iter()
                        .map(|(field, _)| {
                            fe(
                                def,
                                field,
                                "this file is already attached to another record; upload it again"
                                    .into(),
                            )
                        })
                        .collect(),
                ),
                (StoreError::Stale { current }, Some(r)) => EngineError::Stale {
                    id: r.id,
                    expected: r.version,
                    current,
                },
                (StoreError::NotFound, Some(r)) => EngineError::RecordNotFound(r.id),
                (e, _) => EngineError::Store(e),
            })?;
        Ok(OperationOutcome {
            record_id: Some(id),
            version,
            changes,
            deleted,
            applied: true,
            data: (!deleted).then_some(data),
        })
    }

    async fn check_attachment(
        &self,
        actor: &Actor,
        app: &PublishedApp,
        field: &str,
        id: i64,
        record: Option<&RecordRow>,
    ) -> Result<(), String> {
        let att = self
            .store()
            .attachment(id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("attachment {id} does not exist; upload the file first"))?;
        let mine = att.uploaded_by == actor.user_id && att.record_id.is_none();
        let here = record.is_some_and(|r| att.record_id == Some(r.id));
        if att.app_id != app.id || att.field != field || !(mine || here) {
            return Err(format!(
                "attachment {id} is not one of your uploads for this field"
            ));
        }
        Ok(())
    }
}

fn fe(def: &AppDef, field: &str, message: String) -> FieldError {
    FieldError {
        field: field.to_string(),
        label: def
            .fields
            .get(field)
            .map(|f| f.label.clone())
            .unwrap_or_else(|| field.to_string()),
        message,
    }
}

/// Field defaults for a new record: literals, and the placeholders `$me`, `$today`,
/// `$today+14d`, `$now` worked out once, at `now` (see `default_values`), and the person's
/// `$me.name` and `$me.department` (a default copied from a looked-up record comes later, once
/// the lookup is chosen).
pub fn defaults(
    def: &AppDef,
    actor: &Actor,
    department: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Map<String, Value> {
    let mut m = Map::new();
    for (name, f) in &def.fields {
        let v = match f.default.as_deref() {
            // Copied from the looked-up record once it is chosen (`copy_looked_up_defaults`).
            Some(d) if super::lookup_paths::copied_default(d).is_some() => continue,
            Some("$me.name") => Value::String(actor.display_name.clone()),
            Some("$me.department") => match department {
                Some(d) => Value::String(d.to_string()),
                None => continue,
            },
            Some(p) if super::default_values::placeholder(p).is_some() => {
                super::default_values::placeholder_value(p, &actor.username, now)
                    .unwrap_or(Value::Null)
            }
            // The new types store booleans, arrays and numbers: their literal is parsed
            // (checked when the definition was).
            Some(lit) => super::field_types::parse(f, &super::Raw::Text(lit.to_string()))
                .and_then(Result::ok)
                .unwrap_or_else(|| Value::String(lit.to_string())),
            None => continue,
        };
        m.insert(name.clone(), v);
    }
    m
}

/// Money amounts may not have more decimals than their currency's minor units.
fn check_money(def: &AppDef, data: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
    for (name, f) in &def.fields {
        if f.kind != FieldType::Money {
            continue;
        }
        let Some(amount) = data.get(name).and_then(stored_decimal) else {
            continue;
        };
        let currency = f
            .currency_field
            .as_ref()
            .and_then(|c| data.get(c))
            .and_then(|v| v.as_str())
            .and_then(|c| CurrencyCode::parse(c).ok());
        if let Some(c) = currency {
            if amount.normalize().scale() > c.minor_units() {
                errors.push(fe(
                    def,
                    name,
                    format!(
                        "{} has {} decimal places; {} amounts have at most {}",
                        amount,
                        amount.normalize().scale(),
                        c.code(),
                        c.minor_units()
                    ),
                ));
            }
        }
    }
}

/// Recomputes computed fields (`net + tax`); empty when any term is empty, except that an empty
/// term whose field has a literal number as its `default` counts as that number (a tip left
/// blank is a tip of 0, also on records written before the field existed).
pub(crate) fn compute(def: &AppDef, data: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
    for (name, f) in &def.fields {
        let Some(expr) = f.expr.as_deref().filter(|_| f.kind == FieldType::Computed) else {
            continue;
        };
        if let Some(agg) = super::lines::parse_aggregate(expr) {
            data.insert(name.clone(), super::lines::aggregate(def, &agg, data));
            continue;
        }
        let Ok(terms) = parse_expr(expr) else {
            continue;
        };
        let mut sum = Some(Decimal::ZERO);
        for (sign, t) in &terms {
            let value = data
                .get(t)
                .and_then(stored_decimal)
                .or_else(|| blank_counts_as(def, t));
            sum = match (sum, value) {
                (Some(s), Some(v)) if *sign < 0 => s.checked_sub(v),
                (Some(s), Some(v)) => s.checked_add(v),
                _ => None,
            };
        }
        match sum {
            Some(s) if s.is_sign_negative() && !s.is_zero() => {
                errors.push(fe(def, name, format!("would be negative ({s})")))
            }
            Some(s) => {
                data.insert(name.clone(), Value::String(s.normalize().to_string()));
            }
            None => {
                data.insert(name.clone(), Value::Null);
            }
        }
    }
}

/// What an empty field counts as in a computed sum: its literal number default, if it has one.
fn blank_counts_as(def: &AppDef, field: &str) -> Option<Decimal> {
    let f = def.fields.get(field)?;
    matches!(f.kind, FieldType::Money | FieldType::Number)
        .then(|| f.default.as_deref()?.trim().parse::<Decimal>().ok())
        .flatten()
}

/// Field-by-field differences, in definition order.
fn diff(
    def: &AppDef,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    created: bool,
) -> Vec<Change> {
    let mut out = Vec::new();
    for (name, f) in &def.fields {
        let before = if created {
            Value::Null
        } else {
            old.get(name).cloned().unwrap_or(Value::Null)
        };
        let after = new.get(name).cloned().unwrap_or(Value::Null);
        if before != after {
            out.push(Change {
                field: name.clone(),
                label: f.label.clone(),
                before,
                after,
            });
        }
    }
    out
}
