//! A `converted` column of line items: each line's amount (`source`, an amount column of the
//! same line with its currency column) in the site's home currency, at the rate of the line's
//! own day (`date_field`, a date column of the same line) — as a converted field converts one
//! amount. The line holds the value under the column's name and, beside it under
//! `"<column>:rate"`, the rate used or why none could be (`{"from", "to", "rate", "day"}` or
//! `{"from", "to", "missing"}`), the same details a converted field keeps. A line is converted
//! again only when its amount, currency or day changed (or by `formwork rates recompute`).
use super::converted::rate_key;
use super::definition::{AppDef, DefinitionError, FieldDef, FieldType};
use super::lines::is_amount;
use super::Engine;
use super::EngineError;
use serde_json::{Map, Value};

/// Which lines a conversion works on.
#[derive(Debug, Clone, Copy)]
pub enum Redo<'a> {
    /// A line whose amount, currency or day differs from the same line (by id) of this data, or
    /// that is new.
    Changed(Option<&'a Map<String, Value>>),
    /// A line whose converted value is empty or was never worked out.
    Missing,
    /// Every line.
    All,
}

/// The converted columns of a lines field.
pub fn converted_columns(f: &FieldDef) -> impl Iterator<Item = (&String, &FieldDef)> {
    f.columns
        .iter()
        .filter(|(_, c)| c.kind == FieldType::Converted)
}

/// Checks a converted column at `p`: its `source` an amount column of the line with a currency
/// column, its `date_field` a date column of the line; no default, not required.
pub fn check(p: &str, f: &FieldDef, c: &FieldDef, errors: &mut Vec<DefinitionError>) {
    let mut e = |at: &str, message: String| {
        errors.push(DefinitionError {
            path: format!("{p}.{at}"),
            message,
        })
    };
    match c.source.as_deref() {
        None => e(
            "source",
            "a converted column needs `source`: the money column of the line to convert".into(),
        ),
        Some(s) => match f.columns.get(s) {
            Some(d) if is_amount(d) => {}
            _ => e(
                "source",
                format!("`{s}` is not a money column of this line with a `currency_field`"),
            ),
        },
    }
    match c.date_field.as_deref() {
        None => e(
            "date_field",
            "a converted column needs `date_field`: the date column of the line whose exchange rate is used".into(),
        ),
        Some(d) if f.columns.get(d).map(|x| x.kind) == Some(FieldType::Date) => {}
        Some(d) => e(
            "date_field",
            format!("`{d}` is not a date column of this line"),
        ),
    }
    if c.default.is_some() || c.required {
        e(
            "default",
            "a converted column is worked out from its line: it has no default and is not required"
                .into(),
        );
    }
}

/// What a line's conversion depends on: its amount, currency and day.
fn inputs(f: &FieldDef, c: &FieldDef, line: &Map<String, Value>) -> [Value; 3] {
    let get = |k: Option<&str>| k.and_then(|k| line.get(k)).cloned().unwrap_or(Value::Null);
    let currency = c
        .source
        .as_deref()
        .and_then(|s| f.columns.get(s))
        .and_then(|s| s.currency_field.as_deref());
    [
        get(c.source.as_deref()),
        get(currency),
        get(c.date_field.as_deref()),
    ]
}

/// The line with the id `id` of a lines field in `data`.
fn line_of<'a>(
    data: Option<&'a Map<String, Value>>,
    field: &str,
    id: Option<&Value>,
) -> Option<&'a Map<String, Value>> {
    let id = id?.as_str()?;
    super::lines::line_by_id(data?.get(field)?, id)
}

impl Engine {
    /// Works out the converted columns of the lines of `data` that `redo` picks; whether any
    /// line changed.
    pub(crate) async fn convert_line_columns(
        &self,
        def: &AppDef,
        redo: Redo<'_>,
        data: &mut Map<String, Value>,
    ) -> Result<bool, EngineError> {
        let mut changed = false;
        for (name, f) in &def.fields {
            let columns: Vec<(&String, &FieldDef)> = converted_columns(f).collect();
            if columns.is_empty() {
                continue;
            }
            let Some(lines) = data.get_mut(name).and_then(Value::as_array_mut) else {
                continue;
            };
            for line in lines.iter_mut().filter_map(Value::as_object_mut) {
                for (col, c) in &columns {
                    let now = inputs(f, c, line);
                    let needs = match redo {
                        Redo::All => true,
                        Redo::Missing => {
                            line.get(col.as_str()).is_none_or(Value::is_null)
                                || !line.contains_key(&rate_key(col))
                        }
                        Redo::Changed(old) => line_of(old, name, line.get("id"))
                            .is_none_or(|o| inputs(f, c, o) != now),
                    };
                    if !needs {
                        continue;
                    }
                    let (value, details) = self.converted_value(&now).await?;
                    let key = rate_key(col);
                    if line.get(col.as_str()).unwrap_or(&Value::Null) != &value
                        || line.get(&key) != details.as_ref()
                    {
                        changed = true;
                    }
                    line.insert((*col).clone(), value);
                    match details {
                        Some(d) => line.insert(key, d),
                        None => line.remove(&key),
                    };
                }
            }
        }
        Ok(changed)
    }
}

/// How many lines of `data` have a converted column that could not be worked out.
pub fn missing_lines(def: &AppDef, data: &Map<String, Value>) -> u64 {
    let mut n = 0;
    for (name, f) in &def.fields {
        for (col, _) in converted_columns(f) {
            let key = rate_key(col);
            n += super::lines::stored_lines(data.get(name).unwrap_or(&Value::Null))
                .iter()
                .filter(|l| l.get(&key).is_some_and(|d| d.get("missing").is_some()))
                .count() as u64;
        }
    }
    n
}

/// Whether an app has converted columns in its lines.
pub fn any(def: &AppDef) -> bool {
    def.fields
        .values()
        .any(|f| converted_columns(f).next().is_some())
}
