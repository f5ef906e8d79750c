//! Converted fields: a money amount in the site's home currency, computed by the engine with the
//! exchange rate of the record's date field (see `engine::rates`).
//!
//! Stored format, in the record's `data`:
//! - under the field's name, the amount as a decimal string in the home currency's minor units
//!   (`"123.45"`, `"16124"` for JPY), or `null` when it cannot be computed — so filtering,
//!   sorting, expression indexes and summaries treat it as any number;
//! - under `"<field>:rate"` (a key no field name can take: names are identifiers), the details:
//!   `{"from": "USD", "to": "EUR", "rate": "0.92165899", "day": "2026-03-04"}` (units of `to`
//!   per 1 `from`, the rates' day; no `day` when `from` is the home currency), or
//!   `{"from": "USD", "to": "EUR", "missing": "no USD rate on or before 2026-03-05"}`;
//!   absent when there is nothing to convert (no amount, currency or date).
//!
//! A `source` may also be a money column of line items (`items.net`): the lines are converted
//! one by one and added up (`converted_lines`, which also describes its details).
//!
//! A write that changes the source amount, its currency or the date recomputes the value; rates
//! imported later change stored records only through [`Engine::recompute_converted`], a recorded
//! write with a history entry per record.
use super::definition::{AppDef, DefinitionError, FieldDef, FieldType};
use super::value::{format_money, stored_decimal, CurrencyCode};
use super::{Actor, Engine, EngineError};
use crate::store::{NewHistory, RecordWrite, StoreError};
use chrono::NaiveDate;
use serde_json::{json, Map, Value};

/// The key holding a converted field's rate details.
pub fn rate_key(field: &str) -> String {
    format!("{field}:rate")
}

/// Definition checks of a converted field at `path` (`fields.total_home`).
pub fn check_converted(def: &AppDef, path: &str, f: &FieldDef, errors: &mut Vec<DefinitionError>) {
    let e = |p: String, m: String| DefinitionError {
        path: p,
        message: m,
    };
    if let Some((lines, column)) = f.source.as_deref().and_then(|s| s.split_once('.')) {
        super::converted_lines::check(def, path, f, lines, column, errors);
    } else {
        match f.source.as_deref() {
            None => errors.push(e(
                format!("{path}.source"),
                "a converted field needs `source`: the money field to convert".into(),
            )),
            Some(s) => match def.fields.get(s).map(|d| d.kind) {
                None => errors.push(e(format!("{path}.source"), format!("unknown field `{s}`"))),
                Some(FieldType::Money | FieldType::Computed) if def.currency_of(s).is_some() => {}
                Some(_) => errors.push(e(
                    format!("{path}.source"),
                    format!(
                        "`{s}` is not a money field with a currency field (or a computed sum of them)"
                    ),
                )),
            },
        }
        match f.date_field.as_deref() {
            None => errors.push(e(
                format!("{path}.date_field"),
                "a converted field needs `date_field`: the date whose exchange rate is used".into(),
            )),
            Some(d) => match def.fields.get(d).map(|x| x.kind) {
                Some(FieldType::Date) => {}
                None => errors.push(e(
                    format!("{path}.date_field"),
                    format!("unknown field `{d}`"),
                )),
                Some(_) => errors.push(e(
                    format!("{path}.date_field"),
                    format!("`{d}` is not a date field"),
                )),
            },
        }
    }
    if f.currency_field.is_some() || f.expr.is_some() {
        errors.push(e(
            path.to_string(),
            "a converted field is always in the home currency: give it `source` and `date_field`, not `currency_field` or `expr`".into(),
        ));
    }
}

/// What a converted field is computed from, as stored.
fn inputs(def: &AppDef, f: &FieldDef, data: &Map<String, Value>) -> [Value; 3] {
    let get = |k: Option<&str>| k.and_then(|k| data.get(k)).cloned().unwrap_or(Value::Null);
    let source = f.source.as_deref();
    [
        // Over line items (`items.net`): the whole lines field, whatever in it changes.
        get(source.map(|s| s.split('.').next().unwrap_or(s))),
        get(source.and_then(|s| def.currency_of(s))),
        get(f.date_field.as_deref()),
    ]
}

impl Engine {
    /// Computes the converted fields whose inputs differ between `old` and `new` (all of them
    /// for a new record), into `new`.
    pub(crate) async fn convert_fields(
        &self,
        def: &AppDef,
        old: Option<&Map<String, Value>>,
        new: &mut Map<String, Value>,
    ) -> Result<(), EngineError> {
        for (name, f) in def
            .fields
            .iter()
            .filter(|(_, f)| f.kind == FieldType::Converted)
        {
            let now = inputs(def, f, new);
            if old.is_some_and(|o| inputs(def, f, o) == now) {
                continue;
            }
            let (value, details) = self.converted_of(def, f, new).await?;
            new.insert(name.clone(), value);
            match details {
                Some(d) => new.insert(rate_key(name), d),
                None => new.remove(&rate_key(name)),
            };
        }
        Ok(())
    }

    /// The stored value and details of the converted field `f` of a record's `data`: of one
    /// amount, or of the lines of a lines field (`converted_lines`).
    async fn converted_of(
        &self,
        def: &AppDef,
        f: &FieldDef,
        data: &Map<String, Value>,
    ) -> Result<(Value, Option<Value>), EngineError> {
        match super::converted_lines::LinesSource::of(def, f) {
            Some(source) => self.convert_lines(&source, data).await,
            None => self.converted_value(&inputs(def, f, data)).await,
        }
    }

    /// The stored value and details of one converted field from (amount, currency, date).
    pub(super) async fn converted_value(
        &self,
        inputs: &[Value; 3],
    ) -> Result<(Value, Option<Value>), EngineError> {
        let amount = stored_decimal(&inputs[0]);
        let currency = inputs[1].as_str().and_then(|c| CurrencyCode::parse(c).ok());
        let day = inputs[2]
            .as_str()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let (Some(amount), Some(from), Some(day)) = (amount, currency, day) else {
            return Ok((Value::Null, None));
        };
        let home = self.home_currency().await?;
        Ok(match self.convert(amount, from, day).await? {
            Ok(c) => {
                let mut d =
                    json!({"from": c.from.code(), "to": c.to.code(), "rate": c.rate.to_string()});
                if let Some(day) = c.rate_day {
                    d["day"] = Value::String(day.format("%Y-%m-%d").to_string());
                }
                (Value::String(c.amount.to_string()), Some(d))
            }
            Err(missing) => (
                Value::Null,
                Some(
                    json!({"from": from.code(), "to": home.map(|h| h.code()), "missing": missing}),
                ),
            ),
        })
    }

    /// Recomputes an app's converted fields from the current rates and home currency: only
    /// values that are missing (or never computed), or with `all` every one. Each changed record
    /// is one write with a history entry ("Recompute home-currency amounts"). `by` is the
    /// administrator (`None` from the command line). Returns (records changed, still missing).
    pub async fn recompute_converted(
        &self,
        slug: &str,
        by: Option<&Actor>,
        all: bool,
    ) -> Result<(u64, u64), EngineError> {
        let app = self.app(slug).await?;
        let def = &app.def;
        let fields: Vec<(&String, &FieldDef)> = def
            .fields
            .iter()
            .filter(|(_, f)| f.kind == FieldType::Converted)
            .collect();
        let in_lines = super::line_converted::any(def);
        if fields.is_empty() && !in_lines {
            return Err(EngineError::Precondition(format!(
                "app `{slug}` has no converted fields"
            )));
        }
        let (mut changed, mut missing) = (0u64, 0u64);
        let mut after = 0;
        loop {
            let page = self.store().record_data_page(app.id, after, 200).await?;
            for (id, _, data) in &page {
                let Some(old) = data.as_object() else {
                    continue;
                };
                let mut new = old.clone();
                for (name, f) in &fields {
                    let needs = all
                        || new.get(*name).is_none_or(Value::is_null)
                        || !new.contains_key(&rate_key(name));
                    if !needs {
                        continue;
                    }
                    let (value, details) = self.converted_of(def, f, &new).await?;
                    new.insert((*name).clone(), value);
                    match details {
                        Some(d) => new.insert(rate_key(name), d),
                        None => new.remove(&rate_key(name)),
                    };
                }
                // The lines' converted columns: every line, or those still without a value.
                if in_lines {
                    let redo = if all {
                        super::line_converted::Redo::All
                    } else {
                        super::line_converted::Redo::Missing
                    };
                    self.convert_line_columns(def, redo, &mut new).await?;
                    missing += super::line_converted::missing_lines(def, &new);
                }
                missing += fields
                    .iter()
                    .filter(|(n, _)| {
                        new.get(&rate_key(n))
                            .is_some_and(|d| d.get("missing").is_some())
                    })
                    .count() as u64;
                if &new != old && self.rewrite_converted(&app, *id, old, new, by).await? {
                    changed += 1;
                }
            }
            match page.last() {
                Some((id, _, _)) if page.len() == 200 => after = *id,
                _ => break,
            }
        }
        Ok((changed, missing))
    }

    /// One recomputed record, written with its history entry; `false` when it changed meanwhile
    /// (the next recompute takes it up).
    async fn rewrite_converted(
        &self,
        app: &super::PublishedApp,
        id: i64,
        old: &Map<String, Value>,
        new: Map<String, Value>,
        by: Option<&Actor>,
    ) -> Result<bool, EngineError> {
        let Some(row) = self.store().record(app.id, id).await? else {
            return Ok(false);
        };
        if row.data.as_object() != Some(old) {
            return Ok(false);
        }
        let changes: Vec<super::Change> = app
            .def
            .fields
            .iter()
            .filter(|(_, f)| {
                f.kind == FieldType::Converted
                    || super::line_converted::converted_columns(f).next().is_some()
            })
            .filter(|(n, _)| old.get(*n) != new.get(*n))
            .map(|(n, f)| super::Change {
                field: n.clone(),
                label: f.label.clone(),
                before: old.get(n).cloned().unwrap_or(Value::Null),
                after: new.get(n).cloned().unwrap_or(Value::Null),
            })
            .collect();
        let now = self.now();
        let history = NewHistory {
            record_id: 0,
            app_id: app.id,
            record_version: 0,
            at: now,
            actor_id: by.map(|a| a.user_id),
            actor_name: by
                .map(|a| a.username.clone())
                .unwrap_or_else(|| "formwork".into()),
            surface: by
                .map(|a| a.surface)
                .unwrap_or(super::Surface::Cli)
                .as_str()
                .into(),
            client_name: None,
            on_behalf_of: None,
            operation: "recompute_converted".into(),
            operation_title: "Recompute home-currency amounts".into(),
            changes: serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into()),
        };
        let write = RecordWrite::Update {
            app_id: row.app_id,
            id,
            expected_version: row.version,
            owner_id: row.owner_id,
            data: Value::Object(new),
            before: row.data.clone(),
        };
        match self
            .store()
            .apply_write(write, history, &[], &[], now)
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::Stale { .. } | StoreError::NotFound) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// A converted field as people read it: "92.17 EUR", the missing-rate message, or "".
pub fn display_converted(field: &str, data: &Value) -> String {
    let details = data.get(rate_key(field));
    let to = details
        .and_then(|d| d.get("to"))
        .and_then(Value::as_str)
        .and_then(|c| CurrencyCode::parse(c).ok());
    match (data.get(field).and_then(stored_decimal), details) {
        (Some(v), _) => match to {
            Some(c) => format!("{} {}", format_money(v, Some(c)), c.code()),
            None => v.to_string(),
        },
        (None, Some(d)) => d
            .get("missing")
            .and_then(Value::as_str)
            .map(|m| format!("— {m}"))
            .unwrap_or_default(),
        (None, None) => String::new(),
    }
}

/// A converted field with the rate it was converted with, for the record page:
/// "92.17 EUR (1 USD = 0.92165899 EUR, rate of 2026-03-04)".
pub fn display_with_rate(field: &str, data: &Value) -> String {
    let shown = display_converted(field, data);
    match rate_note(field, data) {
        n if n.is_empty() || shown.starts_with('—') => shown,
        n => format!("{shown} ({n})"),
    }
}

/// The rate behind a converted value: "1 USD = 0.92165899 EUR, rate of 2026-03-04"; empty
/// when none was used.
pub fn rate_note(field: &str, data: &Value) -> String {
    let Some(d) = data.get(rate_key(field)) else {
        return String::new();
    };
    if d.get("lines").is_some() {
        return super::converted_lines::rate_note(d);
    }
    let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or_default();
    if s("rate").is_empty() || s("day").is_empty() {
        return String::new();
    }
    format!(
        "1 {} = {} {}, rate of {}",
        s("from"),
        s("rate"),
        s("to"),
        s("day")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DEF: &str = r#"
slug = "t"
name = "T"
[fields]
day = { type = "date", label = "Day" }
net = { type = "money", label = "Net", currency_field = "cur" }
cur = { type = "currency", label = "Currency" }
note = { type = "text", label = "Note" }
home = { type = "converted", label = "Home", source = "net", date_field = "day" }
[views.v]
title = "V"
roles = ["r"]
columns = ["home"]
summaries.s = { title = "S", aggregate = "sum", field = "home" }
"#;

    #[test]
    fn a_converted_field_needs_an_amount_with_a_currency_and_a_date() {
        AppDef::parse(DEF).unwrap();
        let e = AppDef::parse(&DEF.replace("source = \"net\"", "source = \"note\"")).unwrap_err();
        assert_eq!(e[0].path, "fields.home.source");
        assert!(e[0].message.contains("not a money field"), "{e:?}");
        let e = AppDef::parse(&DEF.replace("date_field = \"day\"", "date_field = \"cur\""))
            .unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "fields.home.date_field: `cur` is not a date field"
        );
        let e = AppDef::parse(&DEF.replace(", date_field = \"day\"", "")).unwrap_err();
        assert_eq!(e[0].path, "fields.home.date_field");
        let no_currency = DEF.replace(", currency_field = \"cur\"", "");
        assert_eq!(
            AppDef::parse(&no_currency).unwrap_err()[0].path,
            "fields.home.source"
        );
    }

    #[test]
    fn renaming_the_source_or_the_converted_field_follows_every_reference() {
        let mut d = AppDef::parse(DEF).unwrap();
        d.rename_field("net", "amount").unwrap();
        d.rename_field("home", "home_eur").unwrap();
        assert_eq!(d.fields["home_eur"].source.as_deref(), Some("amount"));
        assert_eq!(
            d.views["v"].summaries["s"].field.as_deref(),
            Some("home_eur")
        );
        d.validate().unwrap();
        assert!(d
            .references_to("day")
            .contains(&"fields.home_eur.date_field".to_string()));
    }

    #[test]
    fn a_publication_moves_the_rate_details_with_a_renamed_field() {
        let plan = super::super::evolution::DataPlan {
            renames: vec![("home".into(), "home_eur".into())],
            ..Default::default()
        };
        let data = json!({"home": "1.00", "home:rate": {"rate": "1"}});
        let moved = plan
            .apply(&data, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
            .unwrap();
        assert_eq!(
            moved,
            json!({"home_eur": "1.00", "home_eur:rate": {"rate": "1"}})
        );
    }

    #[test]
    fn a_converted_value_shows_its_currency_or_why_it_is_missing() {
        let data = json!({"t": "92.2", "t:rate": {"from": "USD", "to": "EUR", "rate": "0.92", "day": "2026-03-04"}});
        assert_eq!(display_converted("t", &data), "92.20 EUR");
        assert_eq!(
            display_with_rate("t", &data),
            "92.20 EUR (1 USD = 0.92 EUR, rate of 2026-03-04)"
        );
        let data = json!({"t": null, "t:rate": {"from": "USD", "to": "EUR", "missing": "no USD rate on or before 2026-03-05"}});
        assert_eq!(
            display_converted("t", &data),
            "— no USD rate on or before 2026-03-05"
        );
        assert_eq!(display_converted("t", &json!({})), "");
    }
}
