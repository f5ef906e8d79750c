//! Calculated defaults: the placeholders a field's `default` may be instead of a literal —
//! `$me` (the person creating the record), `$me.name` and `$me.department` (their name and
//! department), `$today` and `$today±N` days, weeks, months or years (`$today+14d`), and `$now`
//! (the moment of creation). Each is worked out once, when a create operation runs (and shown
//! prefilled on its web form), and stored like a typed value: unlike a computed field, it is
//! never worked out again by later operations. A column of a lines field takes the same
//! placeholders, worked out once when a line is added.
use super::definition::{DefinitionError, FieldDef, FieldType};
use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use serde_json::Value;

/// The largest N of `$today±N…`: a default further away than that is a typing mistake.
const MAX_OFFSET: u32 = 10_000;

/// One of the placeholders, read from a `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `$me`: the username of the person creating the record.
    Me,
    /// `$today`, or `$today+14d`: today moved by a signed number of days, weeks, months, years.
    Today { amount: i64, unit: Unit },
    /// `$now`: the moment of creation, in UTC.
    Now,
}

/// The unit of a `$today` offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

impl Unit {
    fn words(self, n: u64) -> &'static str {
        match (self, n) {
            (Unit::Days, 1) => "day",
            (Unit::Days, _) => "days",
            (Unit::Weeks, 1) => "week",
            (Unit::Weeks, _) => "weeks",
            (Unit::Months, 1) => "month",
            (Unit::Months, _) => "months",
            (Unit::Years, 1) => "year",
            (Unit::Years, _) => "years",
        }
    }
}

const TODAY_FORMS: &str =
    "write $today, or $today+Nd, -Nw, +Nm or +Ny (days, weeks, months, years) such as $today+14d";

/// Reads a default as a placeholder: `None` when it is none of these (a literal, or another
/// kind of placeholder), `Some(Err)` for a `$today…` that is not well formed.
pub fn placeholder(default: &str) -> Option<Result<Placeholder, String>> {
    match default {
        "$me" => return Some(Ok(Placeholder::Me)),
        "$now" => return Some(Ok(Placeholder::Now)),
        "$today" => {
            return Some(Ok(Placeholder::Today {
                amount: 0,
                unit: Unit::Days,
            }))
        }
        _ => {}
    }
    let offset = default.strip_prefix("$today")?;
    let bad = || format!("`{default}` is not a date placeholder; {TODAY_FORMS}");
    let (sign, rest) = match offset.split_at_checked(1) {
        Some(("+", rest)) => (1, rest),
        Some(("-", rest)) => (-1, rest),
        _ => return Some(Err(bad())),
    };
    let Some((digits, unit)) = rest.split_at_checked(rest.len().saturating_sub(1)) else {
        return Some(Err(bad()));
    };
    let unit = match unit {
        "d" => Unit::Days,
        "w" => Unit::Weeks,
        "m" => Unit::Months,
        "y" => Unit::Years,
        _ => return Some(Err(bad())),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Err(bad()));
    }
    Some(match digits.parse::<u32>() {
        Ok(n) if n <= MAX_OFFSET => Ok(Placeholder::Today {
            amount: sign * i64::from(n),
            unit,
        }),
        _ => Err(format!(
            "`{default}` is too far from today; an offset is at most {MAX_OFFSET}"
        )),
    })
}

/// Who creates a record or a line, and when: what a calculated default is worked out from.
#[derive(Debug, Clone, Copy)]
pub struct Creation<'a> {
    /// Their username (`$me`).
    pub username: &'a str,
    /// Their display name (`$me.name`).
    pub name: &'a str,
    /// The department an administrator set for them (`$me.department`), if any.
    pub department: Option<&'a str>,
    /// The moment of creation (`$now`, `$today…`).
    pub now: DateTime<Utc>,
}

/// The value a calculated default takes at creation by `by`: `None` when `default` is not one (a
/// literal, or a copy from a looked-up record); null when it works out to nothing
/// (`$me.department` of someone without one).
pub fn calculated(default: &str, by: &Creation) -> Option<Value> {
    match default {
        "$me.name" => Some(Value::String(by.name.to_string())),
        "$me.department" => Some(
            by.department
                .map_or(Value::Null, |d| Value::String(d.to_string())),
        ),
        _ => placeholder_value(default, by.username, by.now),
    }
}

/// Today moved by the offset; a month or year from the 31st lands on the month's last day.
pub fn shift(today: NaiveDate, amount: i64, unit: Unit) -> Option<NaiveDate> {
    let n = amount.unsigned_abs();
    let months = |m: u64| u32::try_from(m).ok().map(Months::new);
    match (unit, amount >= 0) {
        (Unit::Days, true) => today.checked_add_days(Days::new(n)),
        (Unit::Days, false) => today.checked_sub_days(Days::new(n)),
        (Unit::Weeks, true) => today.checked_add_days(Days::new(n * 7)),
        (Unit::Weeks, false) => today.checked_sub_days(Days::new(n * 7)),
        (Unit::Months, true) => today.checked_add_months(months(n)?),
        (Unit::Months, false) => today.checked_sub_months(months(n)?),
        (Unit::Years, true) => today.checked_add_months(months(n * 12)?),
        (Unit::Years, false) => today.checked_sub_months(months(n * 12)?),
    }
}

/// The value a placeholder default takes for a record created by `username` at `now`; `None`
/// when `default` is not one of these placeholders (a literal is parsed by the caller).
pub fn placeholder_value(default: &str, username: &str, now: DateTime<Utc>) -> Option<Value> {
    Some(match placeholder(default)? {
        // Refused by the definition checks; nothing rather than a wrong value.
        Err(_) => Value::Null,
        Ok(Placeholder::Me) => Value::String(username.to_string()),
        Ok(Placeholder::Now) => Value::String(super::field_types::format_utc(now)),
        Ok(Placeholder::Today { amount, unit }) => shift(now.date_naive(), amount, unit)
            .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
            .unwrap_or(Value::Null),
    })
}

/// Refuses a placeholder that is not well formed, or on a type of field it does not fit.
pub fn check_default(path: &str, f: &FieldDef, errors: &mut Vec<DefinitionError>) {
    let Some(d) = &f.default else { return };
    if let Some(attr) = d.strip_prefix("$me.") {
        let message = if !matches!(attr, "name" | "department") {
            Some(format!(
                "`$me.{attr}`: the person creating a record has `$me.name` and `$me.department`"
            ))
        } else if !matches!(f.kind, FieldType::Text | FieldType::LongText) {
            Some(format!(
                "`$me.{attr}` is text; it is the default of a text field"
            ))
        } else {
            None
        };
        if let Some(message) = message {
            errors.push(DefinitionError {
                path: format!("{path}.default"),
                message,
            });
        }
        return;
    }
    let Some(p) = placeholder(d) else { return };
    let kind = serde_json::to_value(f.kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default();
    let message = match p {
        Err(m) => Some(m),
        Ok(Placeholder::Me) if !matches!(f.kind, FieldType::User | FieldType::Text) => Some(
            format!("`$me` (the person creating the record) fits user and text fields, not a field of type `{kind}`"),
        ),
        Ok(Placeholder::Today { .. }) if f.kind != FieldType::Date => Some(format!(
            "`{d}` is a date and fits date fields, not a field of type `{kind}`{}",
            if f.kind == FieldType::DateTime {
                "; a date and time field takes `$now`"
            } else {
                ""
            }
        )),
        // A default outside its own field's bounds (a person typing it would be refused).
        Ok(Placeholder::Today { amount, .. }) if amount > 0 && f.max.as_deref() == Some("$today") => {
            Some(format!("`{d}` is after today, and the field's `max` refuses dates after today"))
        }
        Ok(Placeholder::Today { amount, .. }) if amount < 0 && f.min.as_deref() == Some("$today") => {
            Some(format!("`{d}` is before today, and the field's `min` refuses dates in the past"))
        }
        Ok(Placeholder::Now) if f.kind != FieldType::DateTime => Some(format!(
            "`$now` (the moment of creation) fits date and time fields, not a field of type `{kind}`{}",
            if f.kind == FieldType::Date {
                "; a date field takes `$today`"
            } else {
                ""
            }
        )),
        Ok(_) => None,
    };
    if let Some(message) = message {
        errors.push(DefinitionError {
            path: format!("{path}.default"),
            message,
        });
    }
}

/// How a placeholder default reads in an MCP input's description: "defaults to today + 14 days
/// when not given"; `None` for a literal or no default.
pub fn describe_default(f: &FieldDef) -> Option<String> {
    Some(format!("defaults to {} when not given", meaning(f)?))
}

/// How a column's calculated default reads in the MCP input schema of its lines: "defaults to
/// today + 14 days when a new line leaves it out"; `None` for a literal or no default.
pub fn describe_column_default(c: &FieldDef) -> Option<String> {
    let what = match c.default.as_deref()? {
        "$me.name" => "your name (the acting user's)".to_string(),
        "$me.department" => {
            "your department (the acting user's; empty when you have none)".to_string()
        }
        _ => meaning(c)?,
    };
    Some(format!("defaults to {what} when a new line leaves it out"))
}

/// What a placeholder default stands for: "today + 14 days".
fn meaning(f: &FieldDef) -> Option<String> {
    Some(match placeholder(f.default.as_deref()?)?.ok()? {
        Placeholder::Me => "you (the acting user)".to_string(),
        Placeholder::Now => "the moment the record is created".to_string(),
        Placeholder::Today { amount: 0, .. } => "today".to_string(),
        Placeholder::Today { amount, unit } => format!(
            "today {} {} {}",
            if amount > 0 { "+" } else { "-" },
            amount.unsigned_abs(),
            unit.words(amount.unsigned_abs())
        ),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn field(kind: &str, default: &str) -> FieldDef {
        serde_json::from_value(json!({"type": kind, "label": "F", "default": default})).unwrap()
    }

    fn problems(kind: &str, default: &str) -> Vec<String> {
        let mut errors = Vec::new();
        check_default("fields.f", &field(kind, default), &mut errors);
        errors.into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn today_offsets_move_by_days_weeks_months_and_years() {
        let now = at("2026-01-31T23:30:00Z");
        let v = |d: &str| placeholder_value(d, "ann", now).unwrap();
        assert_eq!(v("$today"), json!("2026-01-31"));
        assert_eq!(v("$today+14d"), json!("2026-02-14"));
        assert_eq!(v("$today-1d"), json!("2026-01-30"));
        assert_eq!(v("$today+2w"), json!("2026-02-14"));
        assert_eq!(v("$today-1w"), json!("2026-01-24"));
        // A month from the 31st of January is the last day of February.
        assert_eq!(v("$today+1m"), json!("2026-02-28"));
        assert_eq!(v("$today-3m"), json!("2025-10-31"));
        assert_eq!(v("$today+1y"), json!("2027-01-31"));
        assert_eq!(v("$today-10y"), json!("2016-01-31"));
        assert_eq!(v("$now"), json!("2026-01-31T23:30:00Z"));
        assert_eq!(v("$me"), json!("ann"));
        assert!(placeholder_value("EUR", "ann", now).is_none());
        assert!(placeholder_value("$lookup.field", "ann", now).is_none());
        assert_eq!(
            shift(
                NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
                1,
                Unit::Years
            ),
            NaiveDate::from_ymd_opt(2025, 2, 28)
        );
    }

    #[test]
    fn malformed_offsets_are_refused_with_the_forms_to_write() {
        for bad in [
            "$today+",
            "$today+d",
            "$today14d",
            "$today+14",
            "$today+14q",
            "$today+-1d",
            "$today+1.5d",
            "$today +1d",
        ] {
            let m = placeholder(bad).unwrap().unwrap_err();
            assert!(m.contains("such as $today+14d"), "{bad}: {m}");
        }
        assert!(placeholder("$today+10001d")
            .unwrap()
            .unwrap_err()
            .contains("too far"));
        assert!(placeholder("today").is_none());
    }

    #[test]
    fn a_placeholder_fits_only_its_types() {
        assert!(problems("date", "$today+14d").is_empty());
        assert!(problems("date", "$today").is_empty());
        assert!(problems("datetime", "$now").is_empty());
        assert!(problems("user", "$me").is_empty());
        assert!(problems("text", "$me").is_empty());
        assert!(problems("text", "plain").is_empty());
        assert_eq!(
            problems("datetime", "$today"),
            ["`$today` is a date and fits date fields, not a field of type `datetime`; a date and time field takes `$now`"]
        );
        assert_eq!(
            problems("date", "$now"),
            ["`$now` (the moment of creation) fits date and time fields, not a field of type `date`; a date field takes `$today`"]
        );
        assert_eq!(
            problems("integer", "$me"),
            ["`$me` (the person creating the record) fits user and text fields, not a field of type `integer`"]
        );
        assert_eq!(problems("text", "$today+1x").len(), 1);
        let mut errors = Vec::new();
        let due: FieldDef = serde_json::from_value(
            json!({"type": "date", "label": "Due", "default": "$today+1w", "max": "$today"}),
        )
        .unwrap();
        check_default("fields.due", &due, &mut errors);
        assert_eq!(
            errors[0].message,
            "`$today+1w` is after today, and the field's `max` refuses dates after today"
        );
    }

    #[test]
    fn descriptions_say_what_a_missing_input_becomes() {
        let d = |kind: &str, default: &str| describe_default(&field(kind, default));
        assert_eq!(
            d("date", "$today+14d").unwrap(),
            "defaults to today + 14 days when not given"
        );
        assert_eq!(
            d("date", "$today-1w").unwrap(),
            "defaults to today - 1 week when not given"
        );
        assert_eq!(
            d("datetime", "$now").unwrap(),
            "defaults to the moment the record is created when not given"
        );
        assert!(d("text", "plain").is_none());
        let c = |kind: &str, default: &str| describe_column_default(&field(kind, default));
        assert_eq!(
            c("date", "$today").unwrap(),
            "defaults to today when a new line leaves it out"
        );
        assert_eq!(
            c("text", "$me.name").unwrap(),
            "defaults to your name (the acting user's) when a new line leaves it out"
        );
        assert!(c("currency", "EUR").is_none());
    }

    #[test]
    fn the_persons_name_and_department_are_text_worked_out_for_them() {
        let now = at("2026-03-01T08:00:00Z");
        let by = |department| Creation {
            username: "ann",
            name: "Ann Lee",
            department,
            now,
        };
        assert_eq!(calculated("$me.name", &by(None)), Some(json!("Ann Lee")));
        assert_eq!(
            calculated("$me.department", &by(Some("Sales"))),
            Some(json!("Sales"))
        );
        assert_eq!(calculated("$me.department", &by(None)), Some(Value::Null));
        assert_eq!(calculated("$me", &by(None)), Some(json!("ann")));
        assert_eq!(
            calculated("$today+1d", &by(None)),
            Some(json!("2026-03-02"))
        );
        assert_eq!(calculated("EUR", &by(None)), None);
        assert_eq!(calculated("$project.code", &by(None)), None);
        assert_eq!(
            problems("long_text", "$me.department"),
            Vec::<String>::new()
        );
        assert_eq!(
            problems("date", "$me.name"),
            ["`$me.name` is text; it is the default of a text field"]
        );
        assert_eq!(
            problems("text", "$me.phone"),
            ["`$me.phone`: the person creating a record has `$me.name` and `$me.department`"]
        );
    }
}
