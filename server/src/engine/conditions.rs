//! Conditions on a record (an operation's `when`), and the other workflow keys that point into a
//! definition: an operation's `show` fields and a view's `bulk` operations. Conditions are
//! evaluated here, in one place, for the web and MCP alike.
use super::catalog::value_kind;
use super::definition::{AppDef, DefinitionError, FieldType, FilterOp, OperationKind};
use super::value::display_value;
use crate::store::ValueKind;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::str::FromStr;

/// `field op value`: e.g. `{ field = "total_home", op = "gt", value = "1000" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub op: FilterOp,
    pub value: String,
}

impl Condition {
    /// "Total in EUR is more than 1000", for descriptions and refusals.
    pub fn phrase(&self, def: &AppDef) -> String {
        let label = def
            .fields
            .get(&self.field)
            .map(|f| f.label.as_str())
            .unwrap_or(&self.field);
        let op = match self.op {
            FilterOp::Eq => "is",
            FilterOp::Ne => "is not",
            FilterOp::Gt => "is more than",
            FilterOp::Gte => "is at least",
            FilterOp::Lt => "is less than",
            FilterOp::Lte => "is at most",
            FilterOp::Contains => "contains",
            FilterOp::ContainsAny => "includes any of",
        };
        format!("{label} {op} {}", self.value)
    }

    /// Whether the record's data meets the condition; `Err` says why not, with the value it has.
    pub fn check(&self, def: &AppDef, data: &serde_json::Value) -> Result<(), String> {
        let label = def
            .fields
            .get(&self.field)
            .map(|f| f.label.as_str())
            .unwrap_or(&self.field);
        let stored = match data.get(&self.field) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if s.is_empty() => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
        let Some(stored) = stored else {
            // An unknown value meets no condition (never read as zero); say what is missing.
            let why = data
                .get(format!("{}:rate", self.field))
                .and_then(|r| r.get("missing"))
                .and_then(|m| m.as_str())
                .map(|m| format!(" ({m})"))
                .unwrap_or_default();
            return Err(format!(
                "only when {}, and {label} has no value yet{why}",
                self.phrase(def)
            ));
        };
        let kind = def.fields.get(&self.field).map(|f| value_kind(f.kind));
        let met = match self.op {
            FilterOp::Contains => stored.to_lowercase().contains(&self.value.to_lowercase()),
            // The condition's options are written comma-separated.
            FilterOp::ContainsAny => data
                .get(&self.field)
                .and_then(|v| v.as_array())
                .is_some_and(|held| {
                    self.value
                        .split(',')
                        .any(|o| held.iter().any(|h| h.as_str() == Some(o.trim())))
                }),
            op => {
                let ord = if matches!(kind, Some(ValueKind::Number | ValueKind::Integer)) {
                    match (Decimal::from_str(&stored), Decimal::from_str(&self.value)) {
                        (Ok(a), Ok(b)) => a.cmp(&b),
                        _ => return Err(format!("{label} is not a number")),
                    }
                } else {
                    stored.as_str().cmp(self.value.as_str())
                };
                match op {
                    FilterOp::Eq => ord == Ordering::Equal,
                    FilterOp::Ne => ord != Ordering::Equal,
                    FilterOp::Gt => ord == Ordering::Greater,
                    FilterOp::Gte => ord != Ordering::Less,
                    FilterOp::Lt => ord == Ordering::Less,
                    FilterOp::Lte => ord != Ordering::Greater,
                    FilterOp::Contains | FilterOp::ContainsAny => false,
                }
            }
        };
        if met {
            Ok(())
        } else {
            Err(format!(
                "only when {} (it is {})",
                self.phrase(def),
                display_value(def, &self.field, data)
            ))
        }
    }
}

/// Every condition of a list met, or why the first unmet one is not.
pub fn check_all(def: &AppDef, when: &[Condition], data: &serde_json::Value) -> Result<(), String> {
    when.iter().try_for_each(|c| c.check(def, data))
}

/// Checks operations' `when` and `show`, and views' `bulk`.
pub(super) fn check_workflow(def: &AppDef, errors: &mut Vec<DefinitionError>) {
    let mut problem =
        |path: String, message: String| errors.push(DefinitionError { path, message });
    for (name, o) in &def.operations {
        for (i, c) in o.when.iter().enumerate() {
            let p = format!("operations.{name}.when[{i}]");
            if o.kind == OperationKind::Create {
                problem(p.clone(), "a create operation has no record to test".into());
            }
            check_condition(def, c, &p, &mut problem);
        }
        for (i, f) in o.show.iter().enumerate() {
            if !def.fields.contains_key(f) {
                problem(
                    format!("operations.{name}.show[{i}]"),
                    format!("unknown field `{f}`"),
                );
            }
        }
    }
    for (vn, v) in &def.views {
        for (i, op) in v.bulk.iter().enumerate() {
            let p = format!("views.{vn}.bulk[{i}]");
            match def.operations.get(op) {
                None => problem(p, format!("unknown operation `{op}`")),
                Some(o) if !o.needs_record() => problem(
                    p,
                    format!("`{op}` creates records; bulk runs on chosen records"),
                ),
                Some(o) if o.kind == OperationKind::Delete => problem(
                    p,
                    format!("`{op}` deletes; deletions are not offered in bulk"),
                ),
                Some(o)
                    if o.inputs
                        .iter()
                        .any(|f| def.fields.get(f).is_some_and(|d| d.kind.is_file())) =>
                {
                    problem(
                        p,
                        format!("`{op}` takes a file, which cannot be given in bulk"),
                    )
                }
                Some(_) => {}
            }
        }
    }
}

/// Checks one comparison against its field: known, not a file, an operator and a value that fit
/// the field's type. Shared by an operation's `when` and a field's `visible_when`/`required_when`.
pub(super) fn check_condition(
    def: &AppDef,
    c: &Condition,
    p: &str,
    problem: &mut impl FnMut(String, String),
) {
    match def.fields.get(&c.field) {
        None => problem(format!("{p}.field"), format!("unknown field `{}`", c.field)),
        Some(f) => {
            let numeric = matches!(value_kind(f.kind), ValueKind::Number | ValueKind::Integer);
            if f.kind.is_file() {
                problem(
                    format!("{p}.field"),
                    format!("`{}` is a file; test it with `requires`", c.field),
                );
            } else if f.kind == FieldType::Lines {
                problem(
                    format!("{p}.field"),
                    format!(
                        "`{}` is a lines field; compare a computed field over its lines (e.g. `sum({}.amount)`) instead",
                        c.field, c.field
                    ),
                );
            } else if super::line_totals::is_totals(f) {
                problem(
                    format!("{p}.field"),
                    format!(
                        "`{}` holds totals per currency; compare a converted total in the home currency instead",
                        c.field
                    ),
                );
            } else if f.kind == FieldType::Geolocation {
                problem(
                    format!("{p}.field"),
                    format!(
                        "`{}` is a geolocation field; a place cannot be compared with a value",
                        c.field
                    ),
                );
            } else if (f.kind == FieldType::MultiChoice) != (c.op == FilterOp::ContainsAny) {
                problem(
                    format!("{p}.op"),
                    "multichoice fields are tested with `contains_any`, and only they are".into(),
                );
            } else if numeric {
                if c.op == FilterOp::Contains {
                    problem(format!("{p}.op"), "`contains` works on text".into());
                }
                if Decimal::from_str(c.value.trim()).is_err() {
                    problem(
                        format!("{p}.value"),
                        format!("`{}` is not a number", c.value),
                    );
                }
            } else if f.kind == FieldType::Choice
                && matches!(c.op, FilterOp::Eq | FilterOp::Ne)
                && !f.options.contains(&c.value)
            {
                problem(
                    format!("{p}.value"),
                    format!("`{}` is not one of the options", c.value),
                );
            } else if f.kind == FieldType::Date
                && chrono::NaiveDate::parse_from_str(&c.value, "%Y-%m-%d").is_err()
            {
                problem(
                    format!("{p}.value"),
                    format!("`{}` is not a date (YYYY-MM-DD)", c.value),
                );
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn app() -> AppDef {
        AppDef::parse(
            r#"
slug = "t"
name = "T"
state_field = "status"
[fields]
amount = { type = "number", label = "Amount" }
status = { type = "choice", label = "Status", options = ["Open", "Done"] }
[views.all]
title = "All"
roles = ["user"]
scope = "all"
columns = ["amount"]
bulk = ["close"]
[operations.close]
title = "Close"
kind = "transition"
roles = ["user"]
scope = "all"
from = ["Open"]
to = "Done"
when = [{ field = "amount", op = "gt", value = "1000" }]
"#,
        )
        .expect("valid")
    }

    #[test]
    fn a_numeric_condition_compares_numbers_not_text() {
        let def = app();
        let when = &def.operations["close"].when;
        assert!(check_all(&def, when, &serde_json::json!({"amount": "1000.01"})).is_ok());
        let no = check_all(&def, when, &serde_json::json!({"amount": "999"})).unwrap_err();
        assert!(no.contains("Amount is more than 1000"), "{no}");
        assert!(check_all(&def, when, &serde_json::json!({"amount": "20000"})).is_ok());
    }

    #[test]
    fn a_missing_value_meets_no_condition_and_says_why() {
        let def = app();
        let when = &def.operations["close"].when;
        let no = check_all(
            &def,
            when,
            &serde_json::json!({"amount:rate": {"missing": "no USD rate on or before 2026-01-02"}}),
        )
        .unwrap_err();
        assert!(no.contains("has no value yet (no USD rate"), "{no}");
    }

    #[test]
    fn bad_conditions_and_bulk_operations_are_refused_with_their_path() {
        let toml = r#"
slug = "t"
name = "T"
[fields]
amount = { type = "number", label = "Amount" }
file = { type = "file", label = "File" }
[views.all]
title = "All"
roles = ["user"]
columns = ["amount"]
bulk = ["attach", "nope"]
[operations.attach]
title = "Attach"
kind = "update"
roles = ["user"]
inputs = ["file"]
when = [{ field = "amount", op = "gt", value = "ten" }]
"#;
        let errors = AppDef::parse(toml).expect_err("invalid");
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(
            paths.contains(&"operations.attach.when[0].value"),
            "{paths:?}"
        );
        assert!(paths.contains(&"views.all.bulk[0]"), "{paths:?}");
        assert!(paths.contains(&"views.all.bulk[1]"), "{paths:?}");
    }
}
