//! Field values: outside input (a web form string or an MCP JSON value) parsed into the stored
//! JSON form, one field type at a time. Money is `rust_decimal`, never a float.
use super::definition::{FieldDef, FieldType};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// Raw input as a surface received it.
#[derive(Debug, Clone)]
pub enum Raw {
    /// From an HTML form: always a string; empty means "clear".
    Text(String),
    /// From MCP or the API: any JSON value.
    Json(Value),
}

impl Raw {
    /// The input as one trimmed string, when it is a single value.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Raw::Text(s) => Some(s.trim().to_string()),
            Raw::Json(Value::String(s)) => Some(s.trim().to_string()),
            Raw::Json(Value::Number(n)) => Some(n.to_string()),
            Raw::Json(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Whether the input is absent or blank.
    pub fn is_empty(&self) -> bool {
        match self {
            Raw::Text(s) => s.trim().is_empty(),
            Raw::Json(Value::Null) => true,
            Raw::Json(Value::String(s)) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// An ISO 4217 currency code, checked against the standard's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrencyCode(iso_currency::Currency);

impl CurrencyCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        let up = s.trim().to_ascii_uppercase();
        match iso_currency::Currency::from_code(&up) {
            Some(c) if !c.is_fund() && c.is_superseded().is_none() => Ok(CurrencyCode(c)),
            Some(_) => Err(format!("`{up}` is not a currency in current use")),
            None => Err(format!(
                "`{}` is not an ISO 4217 currency code (e.g. EUR, USD, GBP)",
                s.trim()
            )),
        }
    }
    pub fn code(self) -> &'static str {
        self.0.code()
    }
    /// Digits after the decimal point (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn minor_units(self) -> u32 {
        self.0.exponent().map(u32::from).unwrap_or(2)
    }
}

/// A number as people type it, in the machine form `Decimal` reads ("1234.56"). Spaces (also
/// no-break and thin spaces) group digits and are dropped. A comma is read where it can only mean
/// one thing:
/// - one comma followed by one, two or four or more digits is the decimal separator ("20,00",
///   "3,5");
/// - with both "." and ",", the last one is the decimal separator and the other groups
///   thousands ("1.234,56" and "1,234.56" are both 1234.56), in groups of three;
/// - several commas (or several dots) group thousands ("1,234,567", "1.234.567").
///
/// One comma followed by exactly three digits ("1,234") could be a thousand or a decimal and is
/// refused with an explanation; a single dot is always the decimal point, as in JSON.
pub fn normalize_decimal(input: &str) -> Result<String, String> {
    let s: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'))
        .collect();
    let (sign, body) = match s.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", s.strip_prefix('+').unwrap_or(&s)),
    };
    let not_a_number = || format!("`{}` is not a number", input.trim());
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || !body.chars().any(|c| c.is_ascii_digit())
    {
        return Err(not_a_number());
    }
    let commas = body.matches(',').count();
    let dots = body.matches('.').count();
    let (int, frac, group) = match (commas, dots) {
        (0, 0) | (0, 1) => return Ok(format!("{sign}{body}")),
        (1, 0) => {
            let (int, frac) = body.split_once(',').ok_or_else(not_a_number)?;
            if frac.len() == 3 && !int.is_empty() {
                return Err(format!(
                    "`{}` is ambiguous: write {int}{frac} for {int} thousand {frac}, or {int}.{frac} for a decimal",
                    input.trim()
                ));
            }
            (int, frac, None)
        }
        (_, 0) => (body, "", Some(',')),
        (0, _) => (body, "", Some('.')),
        _ => {
            // Both: the last separator is the decimal one.
            let last = body.rfind([',', '.']).ok_or_else(not_a_number)?;
            let decimal = body[last..].chars().next().unwrap_or('.');
            let group = if decimal == ',' { '.' } else { ',' };
            if body[..last].contains(decimal) {
                return Err(format!(
                    "`{}` mixes separators: use one for thousands and the other once, for decimals",
                    input.trim()
                ));
            }
            (&body[..last], &body[last + 1..], Some(group))
        }
    };
    let int = match group {
        Some(g) => {
            let groups: Vec<&str> = int.split(g).collect();
            let ok = groups.len() > 1
                && (1..=3).contains(&groups[0].len())
                && groups[1..].iter().all(|g| g.len() == 3);
            if !ok {
                return Err(format!(
                    "`{}` has thousands separators in the wrong places; write it like 1,234,567.89 or 1234567.89",
                    input.trim()
                ));
            }
            groups.concat()
        }
        None => int.to_string(),
    };
    if int.is_empty() && frac.is_empty() {
        return Err(not_a_number());
    }
    let int = if int.is_empty() { "0".to_string() } else { int };
    if frac.is_empty() {
        Ok(format!("{sign}{int}"))
    } else {
        Ok(format!("{sign}{int}.{frac}"))
    }
}

/// Parses a money amount: a decimal with at most 4 fraction digits (tightened per currency later).
/// Commas are read as [`normalize_decimal`] explains ("20,00" is twenty).
pub fn parse_money(s: &str) -> Result<Decimal, String> {
    let cleaned = normalize_decimal(s).map_err(|e| {
        if e.ends_with("is not a number") {
            format!("`{}` is not an amount; write it like 12.50", s.trim())
        } else {
            e
        }
    })?;
    let d = Decimal::from_str(&cleaned)
        .map_err(|_| format!("`{}` is not an amount; write it like 12.50", s.trim()))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err("amounts cannot be negative".into());
    }
    if d.scale() > 4 {
        return Err("amounts have at most 4 decimal places".into());
    }
    if d > Decimal::from(1_000_000_000_000i64) {
        return Err("the amount is implausibly large".into());
    }
    Ok(d.normalize())
}

/// Formats a stored amount with the currency's minor units.
pub fn format_money(d: Decimal, currency: Option<CurrencyCode>) -> String {
    let units = currency.map(|c| c.minor_units()).unwrap_or(2);
    let mut v = d;
    v.rescale(units);
    v.to_string()
}

/// Parses input for one field into its stored JSON form. `Ok(Value::Null)` clears the field.
/// File fields take an attachment id; checking it belongs to the caller is the engine's job.
pub fn parse_field(def: &FieldDef, raw: &Raw, today: NaiveDate) -> Result<Value, String> {
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    let text = || {
        raw.as_text()
            .ok_or_else(|| "expected a single value".to_string())
    };
    if let Some(parsed) = super::field_types::parse(def, raw) {
        return parsed;
    }
    match def.kind {
        FieldType::Text | FieldType::LongText => {
            let s = text()?;
            let limit = def.max_len.unwrap_or(if def.kind == FieldType::Text {
                500
            } else {
                20_000
            });
            if s.chars().count() > limit {
                return Err(format!("at most {limit} characters"));
            }
            if s.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                return Err("contains control characters".into());
            }
            Ok(Value::String(s))
        }
        FieldType::Number => {
            let s = text()?;
            let d = Decimal::from_str(&normalize_decimal(&s)?)
                .map_err(|_| format!("`{s}` is not a number"))?;
            check_bounds(def, d)?;
            Ok(Value::String(d.normalize().to_string()))
        }
        FieldType::Money => {
            let d = parse_money(&text()?)?;
            check_bounds(def, d)?;
            Ok(Value::String(d.to_string()))
        }
        FieldType::Date => {
            let s = text()?;
            let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| format!("`{s}` is not a date; use YYYY-MM-DD, e.g. 2026-03-05"))?;
            if let Some(max) = &def.max {
                if max == "$today" && d > today {
                    return Err(format!(
                        "{d} is in the future; the latest allowed date is {today}"
                    ));
                }
            }
            if def.min.as_deref() == Some("$today") && d < today {
                return Err(format!(
                    "{d} is in the past; the earliest allowed date is today, {today}"
                ));
            }
            if let Some(min) = def.min.as_ref().filter(|m| *m != "$today") {
                let min_date = match min
                    .strip_prefix("$today-")
                    .and_then(|y| y.strip_suffix('y'))
                {
                    Some(years) => years.parse::<i32>().ok().and_then(|y| {
                        NaiveDate::from_ymd_opt(
                            today.year() - y,
                            today.month(),
                            today.day().min(28),
                        )
                    }),
                    None => NaiveDate::parse_from_str(min, "%Y-%m-%d").ok(),
                };
                if let Some(m) = min_date {
                    if d < m {
                        return Err(format!(
                            "{d} is implausibly old; the earliest allowed date is {m}"
                        ));
                    }
                }
            }
            Ok(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        FieldType::Currency => Ok(Value::String(
            CurrencyCode::parse(&text()?)?.code().to_string(),
        )),
        FieldType::Choice => {
            let s = text()?;
            match def.options.iter().find(|o| o.eq_ignore_ascii_case(&s)) {
                Some(o) => Ok(Value::String(o.clone())),
                None => Err(format!("`{s}` is not one of: {}", def.options.join(", "))),
            }
        }
        FieldType::User => Ok(Value::String(text()?)),
        FieldType::File | FieldType::Photo => match raw {
            Raw::Json(Value::Number(n)) => n
                .as_i64()
                .map(Value::from)
                .ok_or_else(|| "expected an attachment id".into()),
            _ => text()?
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| "expected an attachment id".into()),
        },
        FieldType::Computed | FieldType::Converted => {
            Err("this field is computed and cannot be set".into())
        }
        FieldType::Lookup => super::lookups::parse_lookup(def, raw),
        // Read with the record's stored lines, by `lines::parse_lines`.
        FieldType::Lines => Err("a list of lines is read with its record".into()),
        // Parsed by `field_types::parse` above.
        FieldType::YesNo
        | FieldType::MultiChoice
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url
        | FieldType::Integer
        | FieldType::DateTime
        | FieldType::Geolocation => Err("this type of field is not read here".into()),
    }
}

fn check_bounds(def: &FieldDef, d: Decimal) -> Result<(), String> {
    if let Some(min) = def.min.as_deref().and_then(|m| Decimal::from_str(m).ok()) {
        if d < min {
            return Err(format!("must be at least {min}"));
        }
    }
    if let Some(max) = def.max.as_deref().and_then(|m| Decimal::from_str(m).ok()) {
        if d > max {
            return Err(format!("must be at most {max}"));
        }
    }
    Ok(())
}

/// Reads a stored money/number value back as a decimal.
pub fn stored_decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => Decimal::from_str(s).ok(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
}

/// Human display of a stored value.
pub fn display(def: &FieldDef, v: &Value, currency: Option<CurrencyCode>) -> String {
    if let Some(shown) = super::field_types::display(def, v) {
        return shown;
    }
    match (def.kind, v) {
        (_, Value::Null) => String::new(),
        (FieldType::Lines, v) => super::lines::count_phrase(super::lines::count(v)),
        (FieldType::Money | FieldType::Computed, v) => match stored_decimal(v) {
            Some(d) => format_money(d, currency),
            None => String::new(),
        },
        (FieldType::File, Value::Number(n)) => format!("attachment #{n}"),
        // Its title depends on who reads it (`lookups::LookupTitles`); plainly, the record.
        (FieldType::Lookup, Value::Number(n)) => format!("record #{n}"),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

/// Human display of one field of a record, money with its currency's minor units.
pub fn display_value(def: &super::definition::AppDef, field: &str, data: &Value) -> String {
    let Some(f) = def.fields.get(field) else {
        return String::new();
    };
    if f.kind == FieldType::Converted {
        return super::converted::display_converted(field, data);
    }
    if let Some(shown) = super::lines::display_aggregate(def, field, data) {
        return shown;
    }
    let v = data.get(field).unwrap_or(&Value::Null);
    let currency_field = f.currency_field.clone().or_else(|| {
        // Computed money sums use the currency of their first term.
        f.expr
            .as_deref()
            .and_then(|e| super::definition::parse_expr(e).ok())
            .and_then(|t| {
                t.first()
                    .and_then(|(_, n)| def.fields.get(n))
                    .and_then(|d| d.currency_field.clone())
            })
    });
    let currency = currency_field
        .and_then(|c| data.get(&c).and_then(|v| v.as_str()).map(String::from))
        .and_then(|c| CurrencyCode::parse(&c).ok());
    display(f, v, currency)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {

    #[test]
    fn a_date_with_min_today_refuses_the_past() {
        let f: FieldDef = serde_json::from_value(
            serde_json::json!({"type": "date", "label": "Needed by", "min": "$today"}),
        )
        .unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert!(parse_field(&f, &Raw::Text("2026-11-29".into()), today)
            .unwrap_err()
            .contains("in the past"));
        assert!(parse_field(&f, &Raw::Text("2026-11-30".into()), today).is_ok());
    }

    use super::*;

    fn money_field() -> FieldDef {
        serde_json::from_str(r#"{"type":"money","label":"Net"}"#).unwrap()
    }

    #[test]
    fn money_parses_exactly_and_refuses_floats_noise() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let v = parse_field(&money_field(), &Raw::Json(serde_json::json!(12.1)), today).unwrap();
        assert_eq!(v, Value::String("12.1".into()));
        assert!(parse_field(&money_field(), &Raw::Text("-3".into()), today).is_err());
        assert!(parse_field(&money_field(), &Raw::Text("1.23456".into()), today).is_err());
        assert!(parse_field(&money_field(), &Raw::Text("abc".into()), today).is_err());
    }

    #[test]
    fn commas_are_decimals_only_where_unambiguous() {
        let n = |s: &str| normalize_decimal(s);
        assert_eq!(n("20,00").unwrap(), "20.00");
        assert_eq!(n("3,5").unwrap(), "3.5");
        assert_eq!(n("0,1234").unwrap(), "0.1234");
        assert_eq!(n("1.234,56").unwrap(), "1234.56");
        assert_eq!(n("1,234.56").unwrap(), "1234.56");
        assert_eq!(n("1 234,56").unwrap(), "1234.56");
        assert_eq!(n("1,234,567").unwrap(), "1234567");
        assert_eq!(n("1.234.567").unwrap(), "1234567");
        assert_eq!(n("1.5").unwrap(), "1.5");
        assert_eq!(n("-2,5").unwrap(), "-2.5");
        assert!(n("1,234").unwrap_err().contains("ambiguous"));
        assert!(n("1,23,4").is_err());
        assert!(n("1.234.5").is_err());
        assert!(n("1,2.3,4").is_err());
        assert!(n("12a").is_err());
        assert!(n(",").is_err());
    }

    #[test]
    fn normalizing_never_panics_and_keeps_plain_decimals() {
        // Every string of up to four characters from the separators' alphabet.
        let alphabet = ['1', '0', '.', ',', ' ', '-', '+'];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = inputs
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            inputs.extend(longer);
        }
        for s in &inputs {
            if let Ok(n) = normalize_decimal(s) {
                assert!(
                    Decimal::from_str(&n).is_ok() || n.is_empty(),
                    "{s:?} → {n:?}"
                );
            }
        }
        for (a, b) in [(0u64, 0u32), (7, 5), (1234, 50), (9_999_999, 99)] {
            let plain = format!("{a}.{b:02}");
            assert_eq!(normalize_decimal(&plain).unwrap(), plain);
            assert_eq!(normalize_decimal(&plain.replace('.', ",")).unwrap(), plain);
        }
    }

    #[test]
    fn currency_codes_follow_iso_4217() {
        assert_eq!(CurrencyCode::parse("eur").unwrap().code(), "EUR");
        assert_eq!(CurrencyCode::parse("JPY").unwrap().minor_units(), 0);
        assert_eq!(CurrencyCode::parse("KWD").unwrap().minor_units(), 3);
        assert!(CurrencyCode::parse("XYZ").is_err());
    }

    #[test]
    fn money_formats_with_minor_units() {
        let d = Decimal::from_str("5").unwrap();
        assert_eq!(format_money(d, CurrencyCode::parse("USD").ok()), "5.00");
        assert_eq!(format_money(d, CurrencyCode::parse("JPY").ok()), "5");
    }
}
