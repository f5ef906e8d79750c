//! A converted field over line items: `source = "items.net"` names a money column of a lines
//! field (with its `currency_field` column), and `date_field` either a date column of the same
//! lines (`items.date`: each line at the rate of its own day) or a date field of the record (every
//! line at that day's rate). Each line is converted as a converted field converts one amount —
//! the latest rates on or before its day, rounded to the home currency's minor units — and the
//! results are added up: the home-currency total of lines in any currencies.
//!
//! Stored like any converted field: the total as a decimal string under the field's name (or
//! `null`), and under `"<field>:rate"` `{"to": "EUR", "lines": 12, "rates": [{"from": "USD",
//! "rate": "0.92165899", "day": "2026-03-04"}, …]}` — how many lines were converted and the
//! distinct rates used (at most [`MAX_RATES_KEPT`], then `"more_rates": N`) — or, when any line cannot be converted,
//! `{"to": "EUR", "lines": 12, "missing": "no USD rate on or before 2026-03-05 (line 3)"}` with
//! the value empty: a total that leaves lines out would look right and be wrong. No details when
//! no line has an amount.
use super::definition::{AppDef, DefinitionError, FieldDef, FieldType};
use super::lines::stored_lines;
use super::rates::{round_to, DayRates};
use super::value::{stored_decimal, CurrencyCode};
use super::{Engine, EngineError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};

/// The most distinct rates a total keeps beside it (a trip of a few weeks uses a few dozen).
pub const MAX_RATES_KEPT: usize = 20;

/// Where a line's day comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineDay<'a> {
    /// A date column of the lines (`items.date`).
    Column(&'a str),
    /// A date field of the record.
    Record(&'a str),
}

/// A converted field's source over line items, resolved against the definition.
#[derive(Debug, Clone, Copy)]
pub struct LinesSource<'a> {
    /// The lines field.
    pub field: &'a str,
    /// The money column converted.
    pub column: &'a str,
    /// Its currency column.
    pub currency: &'a str,
    pub day: LineDay<'a>,
    day_label: &'a str,
}

impl<'a> LinesSource<'a> {
    /// The source of the converted field `f` when it names a column of a lines field and the
    /// definition holds (checked by [`check`] at import).
    pub fn of(def: &'a AppDef, f: &'a FieldDef) -> Option<Self> {
        let (field, column) = f.source.as_deref()?.split_once('.')?;
        let lines = def
            .fields
            .get(field)
            .filter(|l| l.kind == FieldType::Lines)?;
        let c = lines.columns.get(column)?;
        let currency = c.currency_field.as_deref()?;
        let date = f.date_field.as_deref()?;
        let (day, day_label) = match date.split_once('.') {
            Some((lf, col)) if lf == field => {
                (LineDay::Column(col), &lines.columns.get(col)?.label)
            }
            Some(_) => return None,
            None => (LineDay::Record(date), &def.fields.get(date)?.label),
        };
        Some(LinesSource {
            field,
            column,
            currency,
            day,
            day_label,
        })
    }
}

/// Definition checks of a converted field whose `source` is `lines.column`.
pub fn check(
    def: &AppDef,
    path: &str,
    f: &FieldDef,
    lines: &str,
    column: &str,
    errors: &mut Vec<DefinitionError>,
) {
    let mut e = |p: &str, m: String| {
        errors.push(DefinitionError {
            path: format!("{path}.{p}"),
            message: m,
        })
    };
    let Some(lf) = def.fields.get(lines).filter(|l| l.kind == FieldType::Lines) else {
        e(
            "source",
            format!("`{lines}` is not a lines field; `source` is a money field, or `lines.column` for a money column of line items"),
        );
        return;
    };
    match lf.columns.get(column) {
        Some(c)
            if super::lines::is_amount(c)
                && c.currency_field
                    .as_ref()
                    .and_then(|cf| lf.columns.get(cf))
                    .is_some_and(|cc| cc.kind == FieldType::Currency) => {}
        Some(_) => e(
            "source",
            format!("`{lines}.{column}` is not a money column with a `currency_field`"),
        ),
        None => e("source", format!("`{lines}` has no column `{column}`")),
    }
    match f.date_field.as_deref() {
        None => e(
            "date_field",
            format!("a converted field needs `date_field`: a date column of the lines (`{lines}.date`) or a date field of the record"),
        ),
        Some(d) => match d.split_once('.') {
            Some((l, col)) if l == lines => {
                if lf.columns.get(col).map(|c| c.kind) != Some(FieldType::Date) {
                    e("date_field", format!("`{d}` is not a date column of `{lines}`"));
                }
            }
            Some(_) => e(
                "date_field",
                format!("`{d}` is not a date column of `{lines}`, the lines converted"),
            ),
            None => match def.fields.get(d).map(|x| x.kind) {
                Some(FieldType::Date) => {}
                None => e("date_field", format!("unknown field `{d}`")),
                Some(_) => e("date_field", format!("`{d}` is not a date field")),
            },
        },
    }
}

/// Why lines could not be converted: the first line's reason and how many more there are.
fn missing_phrase(missing: &[(usize, String)]) -> String {
    let Some((line, why)) = missing.first() else {
        return String::new();
    };
    match missing.len() - 1 {
        0 => format!("{why} (line {line})"),
        1 => format!("{why} (line {line}); 1 more line cannot be converted"),
        n => format!("{why} (line {line}); {n} more lines cannot be converted"),
    }
}

impl Engine {
    /// The stored value and details of a converted field over the lines of `data`.
    pub(crate) async fn convert_lines(
        &self,
        source: &LinesSource<'_>,
        data: &Map<String, Value>,
    ) -> Result<(Value, Option<Value>), EngineError> {
        let lines = stored_lines(data.get(source.field).unwrap_or(&Value::Null));
        let home = self.home_currency().await?;
        let mut known: HashMap<(&'static str, NaiveDate), Result<DayRates, String>> =
            HashMap::new();
        let (mut total, mut converted) = (Decimal::ZERO, 0usize);
        let mut missing: Vec<(usize, String)> = Vec::new();
        let mut used: BTreeSet<(String, String, String)> = BTreeSet::new();
        for (i, line) in lines.iter().enumerate() {
            let Some(amount) = line.get(source.column).and_then(stored_decimal) else {
                continue;
            };
            let Some(from) = line
                .get(source.currency)
                .and_then(Value::as_str)
                .and_then(|c| CurrencyCode::parse(c).ok())
            else {
                missing.push((i + 1, "a line has no currency".into()));
                continue;
            };
            let day = match source.day {
                LineDay::Column(c) => line.get(c),
                LineDay::Record(f) => data.get(f),
            }
            .and_then(Value::as_str)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let Some(day) = day else {
                missing.push((
                    i + 1,
                    format!("no {} to take the rate of", source.day_label),
                ));
                continue;
            };
            let rates = match known.get(&(from.code(), day)) {
                Some(r) => r.clone(),
                None => {
                    let r = self.rates_for(from, day).await?;
                    known.insert((from.code(), day), r.clone());
                    r
                }
            };
            match rates.and_then(|r| r.apply(amount)) {
                Ok(c) => {
                    let Some(sum) = total.checked_add(c.amount) else {
                        missing.push((i + 1, "the total is too large".into()));
                        continue;
                    };
                    total = sum;
                    converted += 1;
                    if let Some(d) = c.rate_day {
                        used.insert((
                            c.from.code().into(),
                            d.format("%Y-%m-%d").to_string(),
                            c.rate.to_string(),
                        ));
                    }
                }
                Err(m) => missing.push((i + 1, m)),
            }
        }
        let to = home.map(|h| h.code());
        if !missing.is_empty() {
            let details = json!({"to": to, "lines": converted + missing.len(), "missing": missing_phrase(&missing)});
            return Ok((Value::Null, Some(details)));
        }
        let Some(home) = home.filter(|_| converted > 0) else {
            return Ok((Value::Null, None));
        };
        let left_out = used.len().saturating_sub(MAX_RATES_KEPT);
        let rates: Vec<Value> = used
            .into_iter()
            .take(MAX_RATES_KEPT)
            .map(|(from, day, rate)| json!({"from": from, "rate": rate, "day": day}))
            .collect();
        let mut details = json!({"to": home.code(), "lines": converted, "rates": rates});
        if left_out > 0 {
            details["more_rates"] = json!(left_out);
        }
        Ok((
            Value::String(round_to(total, home).to_string()),
            Some(details),
        ))
    }
}

/// The rates behind a total over lines, for the record page: "12 lines; 1 USD = 0.92165899
/// EUR, rate of 2026-03-04; …"; empty for any other details.
pub fn rate_note(details: &Value) -> String {
    let Some(n) = details.get("lines").and_then(Value::as_u64) else {
        return String::new();
    };
    let to = details
        .get("to")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut parts = vec![super::lines::count_phrase(n as usize)];
    for r in details
        .get("rates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default();
        parts.push(format!(
            "1 {} = {} {to}, rate of {}",
            s("from"),
            s("rate"),
            s("day")
        ));
    }
    if let Some(more) = details.get("more_rates").and_then(Value::as_u64) {
        parts.push(format!("and {more} more rates"));
    }
    parts.join("; ")
}
