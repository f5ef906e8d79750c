//! Totals of a money column of line items per currency: `sum_by_currency(items.net)`, a
//! computed field whose lines may be in several currencies (a travel report's costs abroad),
//! where `sum(items.net)` refuses to add them up.
//!
//! Stored form: a JSON object from currency code to the sum of that currency's lines, a decimal
//! string with the currency's minor units — `{"CHF": "33.00", "EUR": "120.50"}` — its keys in
//! code order (JSON objects keep no other order in either database); `null` when no line has both
//! an amount and a currency. A line with an amount but no currency is in no total (give the
//! currency column `required = true` or a `default`). People read it as
//! "CHF 33.00 · EUR 120.50"; the value is never filtered, sorted or summarised across records.
use super::definition::{FieldDef, FieldType};
use super::lines::{parse_aggregate, AggFn};
use super::rates::round_to;
use super::value::{stored_decimal, CurrencyCode};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Whether a field is a computed `sum_by_currency(…)`.
pub fn is_totals(f: &FieldDef) -> bool {
    f.kind == FieldType::Computed
        && f.expr
            .as_deref()
            .and_then(parse_aggregate)
            .is_some_and(|a| a.func == AggFn::SumByCurrency)
}

/// Checks `sum_by_currency(field.col)` against the column `c` of the lines field `lines`.
pub fn check(field: &str, col: &str, lines: &FieldDef, c: &FieldDef) -> Result<(), String> {
    let has_currency = c
        .currency_field
        .as_ref()
        .is_some_and(|cf| lines.columns.get(cf).map(|d| d.kind) == Some(FieldType::Currency));
    if super::lines::is_amount(c) && has_currency {
        Ok(())
    } else {
        Err(format!(
            "`{field}.{col}` is not a money column with a `currency_field`; totals per currency need each line's currency"
        ))
    }
}

/// The totals per currency of the lines' `col` (a money column `c`), as stored.
pub fn totals(lines: &[&Map<String, Value>], col: &str, c: &FieldDef) -> Value {
    let Some(cf) = &c.currency_field else {
        return Value::Null;
    };
    let mut sums: BTreeMap<&'static str, (CurrencyCode, Decimal)> = BTreeMap::new();
    for l in lines {
        let (Some(amount), Some(cur)) = (
            l.get(col).and_then(stored_decimal),
            l.get(cf)
                .and_then(Value::as_str)
                .and_then(|s| CurrencyCode::parse(s).ok()),
        ) else {
            continue;
        };
        let (_, sum) = sums.entry(cur.code()).or_insert((cur, Decimal::ZERO));
        match sum.checked_add(amount) {
            Some(s) => *sum = s,
            // Past what a decimal holds no total is right: none is stored.
            None => return Value::Null,
        }
    }
    if sums.is_empty() {
        return Value::Null;
    }
    Value::Object(
        sums.into_iter()
            .map(|(code, (cur, sum))| {
                (
                    code.to_string(),
                    Value::String(round_to(sum, cur).to_string()),
                )
            })
            .collect(),
    )
}

/// The stored totals as (currency code, amount) pairs in code order; none for anything else.
pub fn parts(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The totals as MCP results and CSV exports show them: "CHF 33.00 · EUR 120.50" ("" for none).
pub fn display(v: &Value) -> String {
    parts(v)
        .iter()
        .map(|(code, amount)| format!("{code} {amount}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
#[path = "line_totals_tests.rs"]
mod tests;
