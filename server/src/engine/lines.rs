//! The `lines` field type: a table of line items held inside one record (the lines of a report,
//! the items of an order). Its definition names `columns` — sub-fields of the stored input types
//! — and bounds (`min_rows`, `max_rows`). The stored value is a JSON array of objects, one a
//! line, in order, each with a stable `"id"` ("l1", "l2", …) given by Formwork and never reused
//! within the record: the next number is kept under `"<field>:next"`, a key no field name can
//! take. Input sends the whole list: a line with a known `id` updates that line (a column left
//! out keeps its value), a line without one is added, a stored line not sent is removed.
//! Computed fields aggregate a column (`sum(items.net)`, `count(items)`, `min(items.date)`,
//! `max(items.date)`, and the totals per currency `sum_by_currency(items.net)` of
//! `line_totals`), and history lists changes line by line.
use super::default_values::Creation;
use super::definition::{is_ident, AppDef, DefinitionError, FieldDef, FieldType};
use super::value::{format_money, parse_field, stored_decimal, CurrencyCode, Raw};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// The most lines a field holds unless its `max_rows` says otherwise.
pub const DEFAULT_MAX_ROWS: u32 = 200;
/// The most lines any field may be set to hold.
pub const LIMIT_ROWS: u32 = 1000;
/// The most columns a lines field may have.
pub const LIMIT_COLUMNS: usize = 30;
/// The most problems one input reports (the rest are counted).
const MAX_PROBLEMS: usize = 20;

/// The types a column may have: every type a person enters, `computed` (a sum of the line's own
/// amounts or numbers) and `converted` (a line's amount in the home currency, see
/// `line_converted`); not nested `lines`.
pub const COLUMN_TYPES: [FieldType; 21] = [
    FieldType::Text,
    FieldType::LongText,
    FieldType::Number,
    FieldType::Money,
    FieldType::Date,
    FieldType::Currency,
    FieldType::Choice,
    FieldType::YesNo,
    FieldType::Integer,
    FieldType::Email,
    FieldType::Url,
    FieldType::File,
    FieldType::Photo,
    FieldType::MultiChoice,
    FieldType::Phone,
    FieldType::DateTime,
    FieldType::Geolocation,
    FieldType::User,
    FieldType::Lookup,
    FieldType::Computed,
    FieldType::Converted,
];

/// Whether a column holds an amount in its line's currency: a money column, or a computed one
/// over money columns (both name the line's `currency_field`).
pub fn is_amount(c: &FieldDef) -> bool {
    c.kind == FieldType::Money || (c.kind == FieldType::Computed && c.currency_field.is_some())
}

/// The terms of a computed column (`net + tax`): (sign, column).
pub fn column_terms(c: &FieldDef) -> Vec<(i8, String)> {
    c.expr
        .as_deref()
        .filter(|_| c.kind == FieldType::Computed)
        .and_then(|e| super::definition::parse_expr(e).ok())
        .unwrap_or_default()
}

/// The currency column a computed column over money columns takes: that of its first money
/// term (the definition check holds them all to it).
pub fn computed_currency(f: &FieldDef, c: &FieldDef) -> Option<String> {
    column_terms(c).into_iter().find_map(|(_, t)| {
        f.columns
            .get(&t)
            .filter(|d| d.kind == FieldType::Money)
            .and_then(|d| d.currency_field.clone())
    })
}

/// Checks a computed column: `expr` adds and subtracts money, number or integer columns of the
/// same line; over money columns it names their shared `currency_field`.
fn check_computed_column(p: &str, f: &FieldDef, c: &FieldDef, errors: &mut Vec<DefinitionError>) {
    let Some(expr) = c.expr.as_deref() else {
        errors.push(err(
            format!("{p}.expr"),
            "a computed column needs `expr`, e.g. \"net + tax\" (columns of the same line)",
        ));
        return;
    };
    let terms = match super::definition::parse_expr(expr) {
        Ok(t) => t,
        Err(m) => {
            errors.push(err(format!("{p}.expr"), m));
            return;
        }
    };
    let mut money_currency: Vec<Option<&String>> = Vec::new();
    for (_, t) in &terms {
        match f.columns.get(t).map(|d| (d.kind, d)) {
            Some((FieldType::Money, d)) => money_currency.push(d.currency_field.as_ref()),
            Some((FieldType::Number | FieldType::Integer, _)) => {}
            Some(_) => errors.push(err(
                format!("{p}.expr"),
                format!("`{t}` is not a money, number or integer column of this line"),
            )),
            None => errors.push(err(
                format!("{p}.expr"),
                format!("`{t}` is not a column of this lines field"),
            )),
        }
    }
    let named = c.currency_field.as_ref();
    if money_currency.is_empty() {
        if named.is_some() {
            errors.push(err(
                format!("{p}.currency_field"),
                "only a computed column over money columns has a currency",
            ));
        }
    } else if money_currency.len() < terms.len() {
        errors.push(err(
            format!("{p}.expr"),
            "add money columns to money columns only, not to numbers",
        ));
    } else if money_currency.iter().any(|m| m.is_none() || *m != named) {
        errors.push(err(
            format!("{p}.currency_field"),
            format!(
                "a computed column over money columns names their currency column, e.g. currency_field = \"{}\"",
                money_currency.iter().flatten().next().map(|s| s.as_str()).unwrap_or("currency")
            ),
        ));
    }
    if c.default.is_some() || c.required {
        errors.push(err(
            p,
            "a computed column is worked out from its line: it has no default and is not required",
        ));
    }
}

/// The file and photo columns of a lines field: each line holds an attachment id there, and the
/// attachment is stored for the path `<field>.<column>` (see [`column_path`]).
pub fn file_columns(f: &FieldDef) -> impl Iterator<Item = (&String, &FieldDef)> {
    f.columns.iter().filter(|(_, c)| c.kind.is_file())
}

/// The name an attachment of a line's file column is stored under: `items.receipt`.
pub fn column_path(field: &str, column: &str) -> String {
    format!("{field}.{column}")
}

/// The lines field and file column an attachment path names (`items.receipt`), when it names one.
pub fn split_column_path<'a>(
    def: &'a AppDef,
    path: &str,
) -> Option<(&'a str, &'a FieldDef, &'a FieldDef)> {
    let (field, column) = path.split_once('.')?;
    let (name, f) = def.fields.get_key_value(field)?;
    if f.kind != FieldType::Lines {
        return None;
    }
    let c = f.columns.get(column).filter(|c| c.kind.is_file())?;
    Some((name.as_str(), f, c))
}

/// The line of a stored lines value with the id `line_id`.
pub fn line_by_id<'a>(v: &'a Value, line_id: &str) -> Option<&'a Map<String, Value>> {
    stored_lines(v)
        .into_iter()
        .find(|l| l.get("id").and_then(Value::as_str) == Some(line_id))
}

/// Where the next line number of a lines field is kept in the record's data.
pub fn next_key(field: &str) -> String {
    format!("{field}:next")
}

/// The most lines the field holds.
pub fn max_rows(f: &FieldDef) -> u32 {
    f.max_rows.unwrap_or(DEFAULT_MAX_ROWS).min(LIMIT_ROWS)
}

/// The name of a type as a definition writes it.
pub fn type_name(k: FieldType) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn err(path: impl Into<String>, message: impl Into<String>) -> DefinitionError {
    DefinitionError {
        path: path.into(),
        message: message.into(),
    }
}

/// Checks a lines field's columns and bounds.
pub fn check_definition(path: &str, f: &FieldDef, errors: &mut Vec<DefinitionError>) {
    if f.kind != FieldType::Lines {
        return;
    }
    if f.columns.is_empty() {
        errors.push(err(
            format!("{path}.columns"),
            "a lines field needs columns",
        ));
    }
    if f.columns.len() > LIMIT_COLUMNS {
        errors.push(err(
            format!("{path}.columns"),
            format!("a lines field has at most {LIMIT_COLUMNS} columns"),
        ));
    }
    let allowed = COLUMN_TYPES
        .iter()
        .map(|k| type_name(*k))
        .collect::<Vec<_>>()
        .join(", ");
    for (name, c) in &f.columns {
        let p = format!("{path}.columns.{name}");
        if !is_ident(name) || name == "id" {
            errors.push(err(
                &p,
                "column names use lowercase letters, digits and `_` (`id` is the line's own)",
            ));
        }
        if !COLUMN_TYPES.contains(&c.kind) {
            errors.push(err(
                format!("{p}.type"),
                format!(
                    "`{}` is not supported in line columns yet; a column is one of: {allowed}",
                    type_name(c.kind)
                ),
            ));
            continue;
        }
        if c.kind == FieldType::Choice && c.options.is_empty() {
            errors.push(err(format!("{p}.options"), "a choice column needs options"));
        }
        if let Some(cur) = &c.currency_field {
            if c.kind == FieldType::Money
                && f.columns.get(cur).map(|d| d.kind) != Some(FieldType::Currency)
            {
                errors.push(err(
                    format!("{p}.currency_field"),
                    format!("`{cur}` is not a currency column of this lines field"),
                ));
            }
        }
        if c.visible_when.is_some() || c.required_when.is_some() || !c.columns.is_empty() {
            errors.push(err(
                &p,
                "conditions and nested columns are not supported in line columns yet",
            ));
        }
        if c.kind == FieldType::Computed {
            check_computed_column(&p, f, c, errors);
            continue;
        }
        if c.kind == FieldType::Converted {
            super::line_converted::check(&p, f, c, errors);
            continue;
        }
        super::field_types::check_definition(&p, c, errors);
        super::lookups::check_definition(&p, c, errors);
        if c.kind.is_file() && c.default.is_some() {
            errors.push(err(
                format!("{p}.default"),
                "a file or photo column has no default: each line's file is uploaded",
            ));
            continue;
        }
        if let Some(d) = &c.default {
            if d.starts_with('$') {
                check_calculated_default(&p, c, d, errors);
            } else if c.kind != FieldType::Date {
                let day = NaiveDate::default();
                if let Err(m) = parse_field(c, &Raw::Text(d.clone()), day) {
                    errors.push(err(format!("{p}.default"), m));
                } else if c.kind == FieldType::Choice
                    && !c.options.iter().any(|o| o.eq_ignore_ascii_case(d))
                {
                    errors.push(err(
                        format!("{p}.default"),
                        format!("`{d}` is not one of the options"),
                    ));
                }
            }
        }
    }
    if let Some(m) = f.max_rows {
        if m == 0 || m > LIMIT_ROWS {
            errors.push(err(
                format!("{path}.max_rows"),
                format!("a lines field holds between 1 and {LIMIT_ROWS} lines"),
            ));
        }
    }
    if let Some(m) = f.min_rows {
        if m > max_rows(f) {
            errors.push(err(
                format!("{path}.min_rows"),
                format!("min_rows ({m}) is more than max_rows ({})", max_rows(f)),
            ));
        }
    }
    if f.default.is_some() {
        errors.push(err(
            format!("{path}.default"),
            "a lines field has no default (its columns may have one)",
        ));
    }
}

/// What a column's default may be besides a literal, as the definition errors say it.
const COLUMN_PLACEHOLDERS: &str =
    "a column's default is a value, or $me, $me.name, $me.department, $today or $today+Nd (-Nw, +Nm, +Ny)";

/// A column's calculated default: the placeholders a field's default may be, with the same
/// types, worked out when a line is added. A copy from a looked-up record is not one: a line has
/// no lookup of its own.
fn check_calculated_default(p: &str, c: &FieldDef, d: &str, errors: &mut Vec<DefinitionError>) {
    if d.starts_with("$me.") || super::default_values::placeholder(d).is_some() {
        super::default_values::check_default(p, c, errors);
    } else if super::lookup_paths::copied_default(d).is_some() {
        errors.push(err(
            format!("{p}.default"),
            format!("`{d}` copies a field of a looked-up record, and a line has no lookup of its own; {COLUMN_PLACEHOLDERS}"),
        ));
    } else {
        errors.push(err(
            format!("{p}.default"),
            format!("`{d}` is not a placeholder; {COLUMN_PLACEHOLDERS}"),
        ));
    }
}

/// The values a line added now starts from: each column's default, a literal, or a calculated
/// one worked out for `by` (without `by`, as when stored lines are read again after a change of
/// definition, a calculated default gives nothing).
pub fn new_line_values(
    f: &FieldDef,
    today: NaiveDate,
    by: Option<&Creation>,
) -> Map<String, Value> {
    let mut values = Map::new();
    for (col, c) in &f.columns {
        let Some(d) = &c.default else { continue };
        let value = if d.starts_with('$') {
            match by.and_then(|by| super::default_values::calculated(d, by)) {
                Some(v) => v,
                None => continue,
            }
        } else {
            parse_field(c, &Raw::Text(d.clone()), today).unwrap_or(Value::Null)
        };
        values.insert(col.clone(), value);
    }
    values
}

/// The stored lines of a value (none for anything but an array of objects).
pub fn stored_lines(v: &Value) -> Vec<&Map<String, Value>> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

/// How many lines a stored value holds.
pub fn count(v: &Value) -> usize {
    stored_lines(v).len()
}

/// "1 line", "12 lines".
pub fn count_phrase(n: usize) -> String {
    if n == 1 {
        "1 line".into()
    } else {
        format!("{n} lines")
    }
}

fn line_number(id: &str) -> Option<u64> {
    id.strip_prefix('l').and_then(|n| n.parse().ok())
}

/// The lines an input sends, as JSON objects: an array, or (for clients that send text) the
/// array written as JSON text.
fn given_lines(name: &str, raw: &Raw) -> Result<Vec<Value>, String> {
    let example = format!("send a list of lines, e.g. [{{\"…column…\": \"…\"}}] as `{name}`");
    match raw {
        Raw::Json(Value::Array(a)) => Ok(a.clone()),
        Raw::Json(Value::Null) => Ok(Vec::new()),
        Raw::Json(Value::String(s)) | Raw::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(Vec::new());
            }
            match serde_json::from_str::<Value>(t) {
                Ok(Value::Array(a)) => Ok(a),
                _ => Err(example),
            }
        }
        Raw::Json(_) => Err(example),
    }
}

/// The parsed lines of one input and the line number to give next.
#[derive(Debug, PartialEq)]
pub struct ParsedLines {
    /// The stored value: an array of lines, or null for none.
    pub value: Value,
    pub next: u64,
}

/// Parses the whole list of lines sent for the field `name`, against its stored value `old` and
/// the record's next line number (`next`, 0 when unknown). A line added takes `added` (see
/// [`new_line_values`]) for a column it leaves out; a line kept keeps its own. Problems are
/// returned with their path (`items[2].net: …`), every one of them (up to a bound); nothing is
/// kept when any line fails.
pub fn parse_lines(
    f: &FieldDef,
    name: &str,
    raw: &Raw,
    old: &Value,
    next: u64,
    today: NaiveDate,
    added: &Map<String, Value>,
) -> Result<ParsedLines, Vec<String>> {
    let given = given_lines(name, raw).map_err(|e| vec![e])?;
    let max = max_rows(f) as usize;
    if given.len() > max {
        return Err(vec![format!("at most {max} lines ({} sent)", given.len())]);
    }
    let min = f.min_rows.unwrap_or(0) as usize;
    if given.len() < min {
        return Err(vec![format!(
            "at least {min} {} ({} sent)",
            if min == 1 { "line" } else { "lines" },
            given.len()
        )]);
    }
    let old_lines = stored_lines(old);
    let mut next = old_lines
        .iter()
        .filter_map(|l| l.get("id").and_then(Value::as_str).and_then(line_number))
        .map(|n| n + 1)
        .max()
        .unwrap_or(1)
        .max(next)
        .max(1);
    let mut problems = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(given.len());
    let columns = f.columns.keys().cloned().collect::<Vec<_>>().join(", ");
    for (i, line) in given.iter().enumerate() {
        let at = format!("{name}[{i}]");
        let Some(obj) = line.as_object() else {
            problems.push(format!(
                "{at}: a line is an object of its columns ({columns}), with `id` for a line kept"
            ));
            continue;
        };
        let mut bad = false;
        for key in obj.keys() {
            // A converted column's rate details, sent back with a line as read, are its own.
            let rate_of_converted = key
                .strip_suffix(":rate")
                .is_some_and(|c| f.columns.get(c).map(|d| d.kind) == Some(FieldType::Converted));
            if key != "id" && !f.columns.contains_key(key) && !rate_of_converted {
                problems.push(format!(
                    "{at}.{}: not a column; the columns are {columns}",
                    key.chars().take(40).collect::<String>()
                ));
                bad = true;
            }
        }
        let id = match obj.get("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(other) => {
                problems.push(format!(
                    "{at}.id: `{}` is not a line id; ids are text such as \"l1\"",
                    other.to_string().chars().take(40).collect::<String>()
                ));
                continue;
            }
        };
        let before = match &id {
            Some(id) => match old_lines
                .iter()
                .find(|l| l.get("id").and_then(Value::as_str) == Some(id.as_str()))
            {
                Some(l) if seen.contains(id) => {
                    let _ = l;
                    problems.push(format!("{at}.id: line `{id}` is sent twice"));
                    continue;
                }
                Some(l) => {
                    seen.push(id.clone());
                    Some(*l)
                }
                None => {
                    problems.push(format!(
                        "{at}.id: this record has no line `{}`; leave `id` out to add a line",
                        id.chars().take(40).collect::<String>()
                    ));
                    continue;
                }
            },
            None => None,
        };
        let mut row = Map::new();
        for (col, c) in &f.columns {
            // Worked out below from the line's values; a value sent (a line read and sent back
            // whole) is not the caller's to set and is left aside.
            if c.kind == FieldType::Computed {
                continue;
            }
            // Worked out by the engine once the line is read (`line_converted`), from what a
            // kept line held: its value and rate stay unless its amount, currency or day change.
            if c.kind == FieldType::Converted {
                if let Some(b) = before {
                    let key = super::converted::rate_key(col);
                    row.insert(col.clone(), b.get(col).cloned().unwrap_or(Value::Null));
                    if let Some(d) = b.get(&key) {
                        row.insert(key, d.clone());
                    }
                }
                continue;
            }
            let value = match (obj.get(col), before) {
                (Some(v), _) => match parse_field(c, &Raw::Json(v.clone()), today) {
                    Ok(v) => v,
                    Err(m) => {
                        problems.push(format!("{at}.{col}: {m}"));
                        bad = true;
                        continue;
                    }
                },
                // An updated line keeps a column it does not send.
                (None, Some(b)) => b.get(col).cloned().unwrap_or(Value::Null),
                // A new line: its column's default, worked out once, for this operation.
                (None, None) => added.get(col).cloned().unwrap_or(Value::Null),
            };
            if value.is_null() && c.required {
                problems.push(format!("{at}.{col}: is required"));
                bad = true;
            }
            row.insert(col.clone(), value);
        }
        // Amounts fit their line's currency.
        for (col, c) in &f.columns {
            let (Some(amount), Some(cur)) = (
                row.get(col).and_then(stored_decimal),
                c.currency_field
                    .as_ref()
                    .and_then(|cf| row.get(cf))
                    .and_then(Value::as_str)
                    .and_then(|s| CurrencyCode::parse(s).ok()),
            ) else {
                continue;
            };
            if c.kind == FieldType::Money && amount.normalize().scale() > cur.minor_units() {
                problems.push(format!(
                    "{at}.{col}: {amount} has {} decimal places; {} amounts have at most {}",
                    amount.normalize().scale(),
                    cur.code(),
                    cur.minor_units()
                ));
                bad = true;
            }
        }
        for (col, c) in f
            .columns
            .iter()
            .filter(|(_, c)| c.kind == FieldType::Computed)
        {
            match line_sum(c, &row) {
                Ok(v) => {
                    row.insert(col.clone(), v);
                }
                Err(m) => {
                    problems.push(format!("{at}.{col}: {m}"));
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        let id = match id {
            Some(id) => id,
            None => {
                let id = format!("l{next}");
                next += 1;
                id
            }
        };
        let mut line = Map::new();
        line.insert("id".into(), Value::String(id));
        line.extend(row);
        out.push(Value::Object(line));
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(MAX_PROBLEMS);
        problems.truncate(MAX_PROBLEMS);
        if more > 0 {
            problems.push(format!("and {more} more problems"));
        }
        return Err(problems);
    }
    Ok(ParsedLines {
        value: if out.is_empty() {
            Value::Null
        } else {
            Value::Array(out)
        },
        next,
    })
}

/// A computed column's value for one line: the sum of its terms, null when a term is empty.
fn line_sum(c: &FieldDef, row: &Map<String, Value>) -> Result<Value, String> {
    let mut sum = Some(Decimal::ZERO);
    for (sign, t) in column_terms(c) {
        sum = match (sum, row.get(&t).and_then(stored_decimal)) {
            (Some(s), Some(v)) if sign < 0 => s.checked_sub(v),
            (Some(s), Some(v)) => s.checked_add(v),
            _ => None,
        };
    }
    match sum {
        Some(s) if s.is_sign_negative() && !s.is_zero() => Err(format!("would be negative ({s})")),
        Some(s) => Ok(Value::String(s.normalize().to_string())),
        None => Ok(Value::Null),
    }
}

/// The files a change of lines links: for each line of `after` (by its place) and each file
/// column, an attachment id the same line did not hold before (a new line's, or a replaced one).
pub fn new_files<'a>(f: &'a FieldDef, before: &Value, after: &Value) -> Vec<(usize, &'a str, i64)> {
    new_ids(f, before, after, |c| c.kind.is_file())
}

/// The records a change of lines chooses: for each line of `after` (by its place) and each
/// lookup column, a record id the same line did not hold before. Only these are checked: keeping
/// a target that has since moved out of the reader's sight is no new disclosure.
pub fn new_lookups<'a>(
    f: &'a FieldDef,
    before: &Value,
    after: &Value,
) -> Vec<(usize, &'a str, i64)> {
    new_ids(f, before, after, |c| c.kind == FieldType::Lookup)
}

/// The lookup columns of a lines field.
pub fn lookup_columns(f: &FieldDef) -> impl Iterator<Item = (&String, &FieldDef)> {
    f.columns
        .iter()
        .filter(|(_, c)| c.kind == FieldType::Lookup)
}

/// For each line of `after` and each column `wanted` picks, an id (an attachment's, a record's)
/// that the same line (by its id) did not hold before.
fn new_ids<'a>(
    f: &'a FieldDef,
    before: &Value,
    after: &Value,
    wanted: impl Fn(&FieldDef) -> bool,
) -> Vec<(usize, &'a str, i64)> {
    let old = stored_lines(before);
    let mut out = Vec::new();
    for (i, line) in stored_lines(after).into_iter().enumerate() {
        let was = line.get("id").and_then(Value::as_str).and_then(|id| {
            old.iter()
                .find(|o| o.get("id").and_then(Value::as_str) == Some(id))
        });
        for (col, _) in f.columns.iter().filter(|(_, c)| wanted(c)) {
            let Some(id) = line.get(col).and_then(Value::as_i64) else {
                continue;
            };
            if was.and_then(|w| w.get(col)).and_then(Value::as_i64) != Some(id) {
                out.push((i, col.as_str(), id));
            }
        }
    }
    out
}

/// The attachment ids the lines of a record hold now, in every lines field's file columns.
pub fn held_files(def: &AppDef, data: &Value) -> Vec<i64> {
    def.fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Lines)
        .flat_map(|(name, f)| {
            let lines = stored_lines(data.get(name).unwrap_or(&Value::Null));
            file_columns(f)
                .flat_map(|(col, _)| {
                    lines
                        .iter()
                        .filter_map(|l| l.get(col).and_then(Value::as_i64))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// What a computed field aggregates over the lines of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAggregate {
    pub func: AggFn,
    pub field: String,
    /// The column (absent for `count`).
    pub column: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFn {
    Sum,
    Count,
    Min,
    Max,
    /// The sums of a money column per currency of its lines (`line_totals`).
    SumByCurrency,
}

/// Reads `sum(items.net)`, `count(items)`, `min(items.date)`, `max(items.date)`,
/// `sum_by_currency(items.net)`; `None` when the expression is not one of these forms.
pub fn parse_aggregate(expr: &str) -> Option<LineAggregate> {
    let e: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
    let (func, rest) = e.split_once('(')?;
    let inner = rest.strip_suffix(')')?;
    let func = match func {
        "sum" => AggFn::Sum,
        "count" => AggFn::Count,
        "min" => AggFn::Min,
        "max" => AggFn::Max,
        "sum_by_currency" => AggFn::SumByCurrency,
        _ => return None,
    };
    let (field, column) = match inner.split_once('.') {
        Some((f, c)) => (f.to_string(), Some(c.to_string())),
        None => (inner.to_string(), None),
    };
    Some(LineAggregate {
        func,
        field,
        column,
    })
}

/// Writes an aggregate back with its lines field named `field` (after a rename).
pub fn write_aggregate(agg: &LineAggregate, field: &str) -> String {
    let func = match agg.func {
        AggFn::Sum => "sum",
        AggFn::Count => "count",
        AggFn::Min => "min",
        AggFn::Max => "max",
        AggFn::SumByCurrency => "sum_by_currency",
    };
    match &agg.column {
        Some(c) => format!("{func}({field}.{c})"),
        None => format!("{func}({field})"),
    }
}

/// Whether a computed field aggregates lines into a value that view summaries cannot add up
/// across records: an amount in its lines' own currency, or a date.
pub fn unsummable(def: &AppDef, field: &str) -> bool {
    let Some(agg) = def
        .fields
        .get(field)
        .and_then(|f| f.expr.as_deref())
        .and_then(parse_aggregate)
    else {
        return false;
    };
    agg.func == AggFn::SumByCurrency
        || column_of(def, &agg).is_some_and(|c| {
            c.kind == FieldType::Date || (is_amount(c) && c.currency_field.is_some())
        })
}

/// Checks an aggregate expression against the app's fields; the message for `fields.X.expr`.
pub fn check_aggregate(def: &AppDef, agg: &LineAggregate) -> Result<(), String> {
    let Some(f) = def.fields.get(&agg.field).filter(|_| is_ident(&agg.field)) else {
        return Err(format!("unknown field `{}`", agg.field));
    };
    if f.kind != FieldType::Lines {
        return Err(format!("`{}` is not a lines field", agg.field));
    }
    match (agg.func, &agg.column) {
        (AggFn::Count, None) => Ok(()),
        (AggFn::Count, Some(_)) => Err(format!("write `count({})` to count lines", agg.field)),
        (_, None) => Err(format!("name a column, e.g. `sum({}.amount)`", agg.field)),
        (func, Some(col)) => {
            let Some(c) = f.columns.get(col) else {
                return Err(format!("`{}` has no column `{col}`", agg.field));
            };
            let numeric = matches!(
                c.kind,
                FieldType::Money
                    | FieldType::Number
                    | FieldType::Integer
                    | FieldType::Computed
                    | FieldType::Converted
            );
            match func {
                AggFn::SumByCurrency => super::line_totals::check(&agg.field, col, f, c),
                AggFn::Sum if numeric => Ok(()),
                AggFn::Sum => Err(format!(
                    "`{}.{col}` is not a money, number or integer column",
                    agg.field
                )),
                _ if numeric || c.kind == FieldType::Date => Ok(()),
                _ => Err(format!(
                    "`{}.{col}` is not a date, money, number or integer column",
                    agg.field
                )),
            }
        }
    }
}

/// Whether a view may sort by the field: not line items, nor a date or totals taken from them.
pub fn sortable(def: &AppDef, f: &FieldDef) -> bool {
    f.kind != FieldType::Lines && unordered_aggregate(def, f).is_none()
}

/// What a computed field over lines is when a view can neither sort by it nor filter on it:
/// "a date taken from line items", "totals per currency taken from line items"; `None` for any
/// other field.
pub fn unordered_aggregate(def: &AppDef, f: &FieldDef) -> Option<&'static str> {
    if is_date_aggregate(def, f) {
        Some("a date taken from line items")
    } else if super::line_totals::is_totals(f) {
        Some("totals per currency taken from line items")
    } else {
        None
    }
}

/// Whether a computed field's value is a date (a `min`/`max` of a date column).
pub fn is_date_aggregate(def: &AppDef, f: &FieldDef) -> bool {
    f.kind == FieldType::Computed
        && f.expr
            .as_deref()
            .and_then(parse_aggregate)
            .is_some_and(|a| column_of(def, &a).map(|c| c.kind) == Some(FieldType::Date))
}

fn column_of<'a>(def: &'a AppDef, agg: &LineAggregate) -> Option<&'a FieldDef> {
    def.fields
        .get(&agg.field)
        .and_then(|f| f.columns.get(agg.column.as_deref()?))
}

/// The currency code of a money column's lines: `Ok(None)` when it has no currency column or no
/// line has an amount, `Err(())` when lines with amounts are in different currencies.
fn lines_currency(
    lines: &[&Map<String, Value>],
    col: &str,
    c: &FieldDef,
) -> Result<Option<String>, ()> {
    let Some(cf) = &c.currency_field else {
        return Ok(None);
    };
    let mut found: Option<String> = None;
    for l in lines {
        if l.get(col).and_then(stored_decimal).is_none() {
            continue;
        }
        let cur = l.get(cf).and_then(Value::as_str).unwrap_or("").to_string();
        match &found {
            None => found = Some(cur),
            Some(f) if *f == cur => {}
            Some(_) => return Err(()),
        }
    }
    Ok(found.filter(|c| !c.is_empty()))
}

/// The value of an aggregate over the record's lines: a decimal string for sums and counts (and
/// for the least or greatest amount), a date for the least or greatest date, null when there is
/// nothing to aggregate — or when money lines are in several currencies, which are never added.
pub fn aggregate(def: &AppDef, agg: &LineAggregate, data: &Map<String, Value>) -> Value {
    let lines = stored_lines(data.get(&agg.field).unwrap_or(&Value::Null));
    if agg.func == AggFn::Count {
        return Value::String(lines.len().to_string());
    }
    let (Some(col), Some(c)) = (agg.column.as_deref(), column_of(def, agg)) else {
        return Value::Null;
    };
    if agg.func == AggFn::SumByCurrency {
        return super::line_totals::totals(&lines, col, c);
    }
    if is_amount(c) && lines_currency(&lines, col, c).is_err() {
        return Value::Null;
    }
    if c.kind == FieldType::Date {
        let days = lines
            .iter()
            .filter_map(|l| l.get(col).and_then(Value::as_str));
        let pick = match agg.func {
            AggFn::Min => days.min(),
            _ => days.max(),
        };
        return pick
            .map(|d| Value::String(d.to_string()))
            .unwrap_or(Value::Null);
    }
    let nums: Vec<Decimal> = lines
        .iter()
        .filter_map(|l| l.get(col).and_then(stored_decimal))
        .collect();
    let v = match agg.func {
        AggFn::Sum => nums
            .iter()
            .try_fold(Decimal::ZERO, |s, n| s.checked_add(*n)),
        AggFn::Min => nums.iter().min().copied(),
        _ => nums.iter().max().copied(),
    };
    match v {
        Some(d) if agg.func == AggFn::Sum || !nums.is_empty() => {
            Value::String(d.normalize().to_string())
        }
        _ => Value::Null,
    }
}

/// The display of a computed aggregate, or `None` when the field is not one: money with the
/// lines' currency, "several currencies" when they differ (no sum is made), dates as stored.
pub fn display_aggregate(def: &AppDef, name: &str, data: &Value) -> Option<String> {
    let f = def.fields.get(name)?;
    let agg = f.expr.as_deref().and_then(parse_aggregate)?;
    let v = data.get(name).unwrap_or(&Value::Null);
    let lines = stored_lines(data.get(&agg.field).unwrap_or(&Value::Null));
    let c = column_of(def, &agg);
    match (agg.func, c.map(|c| c.kind)) {
        (AggFn::SumByCurrency, _) => Some(super::line_totals::display(v)),
        (AggFn::Count, _) => Some(v.as_str().map(String::from).unwrap_or_else(|| "0".into())),
        (_, Some(_)) if c.is_some_and(is_amount) => {
            let (col, c) = (agg.column.as_deref()?, c?);
            match lines_currency(&lines, col, c) {
                Err(()) => Some("several currencies".into()),
                Ok(cur) => Some(match stored_decimal(v) {
                    Some(d) => {
                        let code = cur.as_deref().and_then(|s| CurrencyCode::parse(s).ok());
                        format_money(d, code)
                    }
                    None => String::new(),
                }),
            }
        }
        _ => Some(v.as_str().map(String::from).unwrap_or_default()),
    }
}

/// The currency of a computed money sum over lines, when all its lines share one.
pub fn aggregate_currency(def: &AppDef, f: &FieldDef, data: &Value) -> Option<String> {
    let agg = f
        .expr
        .as_deref()
        .and_then(parse_aggregate)
        .filter(|a| a.func != AggFn::SumByCurrency)?;
    let c = column_of(def, &agg).filter(|c| is_amount(c))?;
    let lines = stored_lines(data.get(&agg.field).unwrap_or(&Value::Null));
    lines_currency(&lines, agg.column.as_deref()?, c)
        .ok()
        .flatten()
}

/// One cell's display for pages, history and exports: money with its line's currency.
pub fn display_cell(f: &FieldDef, col: &str, line: &Map<String, Value>) -> String {
    let Some(c) = f.columns.get(col) else {
        return String::new();
    };
    if c.kind == FieldType::Converted {
        return super::converted::display_converted(col, &Value::Object(line.clone()));
    }
    let v = line.get(col).unwrap_or(&Value::Null);
    let currency = c
        .currency_field
        .as_ref()
        .and_then(|cf| line.get(cf))
        .and_then(Value::as_str)
        .and_then(|s| CurrencyCode::parse(s).ok());
    super::value::display(c, v, currency)
}

/// One line-level change for history: "line 3 added", "line 2 · Net 10.00 → 12.00",
/// "line 1 removed" (lines are numbered by their place, 1 for the first, in the list after the
/// change for added and changed lines, before it for removed ones).
pub fn line_changes(f: &FieldDef, before: &Value, after: &Value) -> Vec<String> {
    line_changes_shown(f, before, after, &|col, line| display_cell(f, col, line))
}

/// [`line_changes`] with each cell shown by `show` (column, line): pages show a looked-up
/// record's title to those who may read it, a moment in the reader's zone, a file by its name.
pub fn line_changes_shown(
    f: &FieldDef,
    before: &Value,
    after: &Value,
    show: &dyn Fn(&str, &Map<String, Value>) -> String,
) -> Vec<String> {
    let old = stored_lines(before);
    let new = stored_lines(after);
    let id_of = |l: &Map<String, Value>| l.get("id").and_then(Value::as_str).map(String::from);
    let mut out = Vec::new();
    for (i, l) in old.iter().enumerate() {
        let id = id_of(l);
        if !new.iter().any(|n| id_of(n) == id) {
            out.push(format!("line {} removed", i + 1));
        }
    }
    for (i, l) in new.iter().enumerate() {
        let id = id_of(l);
        match old.iter().find(|o| id_of(o) == id) {
            None => out.push(format!("line {} added", i + 1)),
            Some(o) => {
                for (col, c) in &f.columns {
                    let (b, a) = (show(col, o), show(col, l));
                    if b != a {
                        let show = |s: String| if s.is_empty() { "—".to_string() } else { s };
                        out.push(format!(
                            "line {} · {} {} → {}",
                            i + 1,
                            c.label,
                            show(b),
                            show(a)
                        ));
                    }
                }
            }
        }
    }
    let moved = old
        .iter()
        .filter_map(|l| id_of(l))
        .filter(|id| new.iter().any(|n| id_of(n).as_deref() == Some(id)))
        .collect::<Vec<_>>()
        != new
            .iter()
            .filter_map(|l| id_of(l))
            .filter(|id| old.iter().any(|o| id_of(o).as_deref() == Some(id)))
            .collect::<Vec<_>>();
    if moved {
        out.push("lines reordered".into());
    }
    out
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
