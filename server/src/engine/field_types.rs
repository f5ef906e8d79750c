//! The field types that model everyday facts — yes/no, several options, email, phone, web
//! address, whole number, a moment in time and a photo: their definition checks, parsing of
//! outside input into the stored JSON form (with errors that say what to write instead) and
//! their plain display (the one CSV and MCP keep; pages add units and time zones).
use super::definition::{DefinitionError, FieldDef, FieldType};
use super::value::{normalize_decimal, Raw};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// The longest a unit may be ("nights", "km"): it follows every value on pages.
const MAX_UNIT: usize = 20;

/// Checks the settings of a field of one of these types. Like the other type-specific keys, a
/// `unit` on another type is not refused (the reference says so), only unused.
pub fn check_definition(path: &str, f: &FieldDef, errors: &mut Vec<DefinitionError>) {
    let mut err = |at: &str, message: String| {
        errors.push(DefinitionError {
            path: if at.is_empty() {
                path.to_string()
            } else {
                format!("{path}.{at}")
            },
            message,
        })
    };
    match f.kind {
        FieldType::MultiChoice => {
            if f.options.is_empty() {
                err("options", "a multichoice field needs options".into());
            }
            for (i, o) in f.options.iter().enumerate() {
                // A web form sends the chosen options one per line.
                if o.trim().is_empty() || o.contains(['\n', '\r']) {
                    err(
                        &format!("options[{i}]"),
                        "an option is one line of text".into(),
                    );
                } else if f.options[..i].contains(o) {
                    err(&format!("options[{i}]"), format!("`{o}` is listed twice"));
                }
            }
        }
        FieldType::Integer => {
            for (at, bound) in [("min", &f.min), ("max", &f.max)] {
                if let Some(b) = bound {
                    if b.trim().parse::<i64>().is_err() {
                        err(at, format!("`{b}` is not a whole number"));
                    }
                }
            }
            if let Some(u) = &f.unit {
                if u.trim().is_empty()
                    || u.chars().count() > MAX_UNIT
                    || u.chars().any(char::is_control)
                {
                    err(
                        "unit",
                        format!("a unit is a short word of at most {MAX_UNIT} characters"),
                    );
                }
            }
        }
        FieldType::Photo => {
            for (i, a) in f.accept.iter().enumerate() {
                if !a.starts_with("image/") {
                    err(
                        &format!("accept[{i}]"),
                        format!("a photo field takes images only; `{a}` is not an image type"),
                    );
                }
            }
        }
        _ => {}
    }
    // A default copied from a looked-up record is checked with the lookups.
    let literal = f
        .default
        .as_ref()
        .filter(|d| !super::lookup_paths::evaluated_default(d));
    if let Some(d) = literal {
        let takes_literal = matches!(
            f.kind,
            FieldType::YesNo
                | FieldType::MultiChoice
                | FieldType::Email
                | FieldType::Phone
                | FieldType::Url
                | FieldType::Integer
        );
        if takes_literal {
            if let Some(Err(m)) = parse(f, &Raw::Text(d.clone())) {
                err("default", m);
            }
        } else if matches!(f.kind, FieldType::DateTime | FieldType::Photo) {
            err("default", "this type of field has no default".into());
        }
    }
}

/// Parses input for a field of one of these types; `None` for the other types.
pub fn parse(def: &FieldDef, raw: &Raw) -> Option<Result<Value, String>> {
    let text = || {
        raw.as_text()
            .ok_or_else(|| "expected a single value".to_string())
    };
    Some(match def.kind {
        FieldType::YesNo => parse_yesno(raw),
        FieldType::MultiChoice => parse_multichoice(&def.options, raw),
        FieldType::Email => text().and_then(|s| parse_email(&s)).map(Value::String),
        FieldType::Phone => text().and_then(|s| parse_phone(&s)).map(Value::String),
        FieldType::Url => text().and_then(|s| parse_url(&s)).map(Value::String),
        FieldType::Integer => text().and_then(|s| parse_integer(def, &s)).map(Value::from),
        FieldType::DateTime => text()
            .and_then(|s| parse_datetime(&s))
            .map(|t| Value::String(format_utc(t))),
        _ => return None,
    })
}

/// Yes or no: a JSON boolean, or the words people and forms use.
pub fn parse_yesno(raw: &Raw) -> Result<Value, String> {
    if let Raw::Json(Value::Bool(b)) = raw {
        return Ok(Value::Bool(*b));
    }
    let s = raw.as_text().unwrap_or_default();
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" | "y" | "on" | "1" => Ok(Value::Bool(true)),
        "no" | "false" | "n" | "off" | "0" => Ok(Value::Bool(false)),
        _ => Err(format!("`{s}` is neither yes nor no; answer yes or no")),
    }
}

/// Any of the options: a JSON array (or one string) of options, or form text with one option a
/// line. Stored in the options' order, each once, so equal choices store equal arrays.
pub fn parse_multichoice(options: &[String], raw: &Raw) -> Result<Value, String> {
    let given: Vec<String> = match raw {
        Raw::Json(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.trim().to_string()),
                other => Err(format!("{other} is not an option; options are text")),
            })
            .collect::<Result<_, _>>()?,
        Raw::Json(Value::String(s)) | Raw::Text(s) => s
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        Raw::Json(other) => {
            return Err(format!(
                "{other} is not a list of options; send an array such as [\"{}\"]",
                options.first().map(String::as_str).unwrap_or("")
            ))
        }
    };
    let mut chosen = vec![false; options.len()];
    for g in &given {
        match options.iter().position(|o| o.eq_ignore_ascii_case(g)) {
            Some(i) => chosen[i] = true,
            None => return Err(format!("`{g}` is not one of: {}", options.join(", "))),
        }
    }
    if given.is_empty() {
        return Ok(Value::Null);
    }
    Ok(Value::Array(
        options
            .iter()
            .zip(chosen)
            .filter(|(_, c)| *c)
            .map(|(o, _)| Value::String(o.clone()))
            .collect(),
    ))
}

/// A mailbox address (RFC 5321/5322 syntax, as the `email_address` crate reads it) with a
/// domain of at least two labels and no address literal; the domain is lower-cased (domains
/// are case-insensitive, local parts may not be).
pub fn parse_email(s: &str) -> Result<String, String> {
    use email_address::{EmailAddress, Options};
    let s = s.trim();
    let example = "write it like name@example.org";
    if s.contains(char::is_whitespace) {
        return Err(format!(
            "`{s}` is not an email address: it contains a space; {example}"
        ));
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err(format!(
            "`{s}` is not an email address: it has no @; {example}"
        ));
    };
    let options = Options::default()
        .with_required_tld()
        .without_domain_literal()
        .without_display_text();
    EmailAddress::parse_with_options(s, options).map_err(|e| {
        format!(
            "`{s}` is not an email address: {}; {example}",
            e.to_string().trim_end_matches('.').to_lowercase()
        )
    })?;
    if domain.starts_with('-') || domain.split('.').any(|l| l.ends_with('-')) {
        return Err(format!(
            "`{s}` is not an email address: a domain label cannot start or end with `-`; {example}"
        ));
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A phone number. One written with `+` and its country code is stored in E.164 (`+` and 7 to
/// 15 digits, "+44 20 7946 0958" → "+442079460958") so the same number is always stored the
/// same; a local number without a country code is kept as written (its spacing tidied), since
/// its country is unknown.
pub fn parse_phone(s: &str) -> Result<String, String> {
    let s = s.trim();
    let example = "write it like +44 20 7946 0958";
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_digit() || " -.()/\u{a0}".contains(*c) || *c == '+'))
    {
        return Err(format!(
            "`{s}` is not a phone number: `{c}` is not a digit; {example}"
        ));
    }
    if s.rfind('+').is_some_and(|i| i > 0) {
        return Err(format!(
            "`{s}` is not a phone number: `+` goes only before the country code; {example}"
        ));
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if s.starts_with('+') {
        if digits.starts_with('0') {
            return Err(format!(
                "`{s}` is not a phone number: a country code never starts with 0; {example}"
            ));
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(format!(
                "`{s}` has {} digits; an international number has 7 to 15 (E.164)",
                digits.len()
            ));
        }
        return Ok(format!("+{digits}"));
    }
    if !(3..=15).contains(&digits.len()) {
        return Err(format!(
            "`{s}` has {} digits; a phone number has 3 to 15; {example}",
            digits.len()
        ));
    }
    Ok(s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// An http or https address with a host, in the `url` crate's normal form.
pub fn parse_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    let example = "write it like https://example.org/page";
    let u =
        url::Url::parse(s).map_err(|e| format!("`{s}` is not a web address ({e}); {example}"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!(
            "`{s}` is not a web address: only http and https addresses are accepted; {example}"
        ));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{s}` has no host; {example}"));
    }
    if u.password().is_some() {
        return Err(format!(
            "`{s}` carries a password; leave it out of the address"
        ));
    }
    Ok(u.to_string())
}

/// A whole number within the i64 range and the field's bounds; thousands separators are read
/// as for numbers, a fraction is refused rather than rounded.
pub fn parse_integer(def: &FieldDef, s: &str) -> Result<i64, String> {
    let plain = normalize_decimal(s).map_err(|e| {
        if e.ends_with("is not a number") {
            format!("`{}` is not a whole number; write it like 42", s.trim())
        } else {
            e
        }
    })?;
    let (int, frac) = plain.split_once('.').unwrap_or((plain.as_str(), ""));
    if frac.bytes().any(|b| b != b'0') {
        return Err(format!(
            "`{}` has decimals; this field takes whole numbers only",
            s.trim()
        ));
    }
    let n: i64 = int.parse().map_err(|_| {
        format!(
            "`{}` is too large; whole numbers go from {} to {}",
            s.trim(),
            i64::MIN,
            i64::MAX
        )
    })?;
    let unit = def
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    if let Some(min) = def
        .min
        .as_deref()
        .and_then(|m| m.trim().parse::<i64>().ok())
    {
        if n < min {
            return Err(format!("must be at least {min}{unit}"));
        }
    }
    if let Some(max) = def
        .max
        .as_deref()
        .and_then(|m| m.trim().parse::<i64>().ok())
    {
        if n > max {
            return Err(format!("must be at most {max}{unit}"));
        }
    }
    Ok(n)
}

/// A moment given in RFC 3339 with its offset ("2026-03-05T14:30:00+01:00" or "…Z").
pub fn parse_datetime(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            let hint = if chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").is_ok()
                || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_ok()
            {
                "it has no time zone offset; "
            } else {
                ""
            };
            format!(
                "`{s}` is not a date and time: {hint}use RFC 3339 with an offset, e.g. 2026-03-05T14:30:00+01:00 or 2026-03-05T13:30:00Z"
            )
        })
}

/// The stored form of a moment: RFC 3339 in UTC to the second, which sorts as text.
pub fn format_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Plain display of a stored value of one of these types (CSV, MCP text, the history's
/// machine form); `None` for the other types.
pub fn display(def: &FieldDef, v: &Value) -> Option<String> {
    Some(match (def.kind, v) {
        (_, Value::Null) => String::new(),
        (FieldType::YesNo, Value::Bool(true)) => "Yes".into(),
        (FieldType::YesNo, Value::Bool(false)) => "No".into(),
        (FieldType::MultiChoice, Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        (FieldType::Photo, Value::Number(n)) => format!("attachment #{n}"),
        (
            FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::Integer
            | FieldType::DateTime,
            Value::String(s),
        ) => s.clone(),
        (
            FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::Integer
            | FieldType::DateTime
            | FieldType::YesNo
            | FieldType::MultiChoice
            | FieldType::Photo,
            other,
        ) => other.to_string(),
        _ => return None,
    })
}

#[cfg(test)]
#[path = "field_types_tests.rs"]
mod tests;
