//! The field types that model everyday facts — yes/no, several options, email, phone, web
//! address, whole number, a moment in time, a photo and a place on Earth: their definition
//! checks, parsing of outside input into the stored JSON form (with errors that say what to
//! write instead) and their plain display (the one CSV and MCP keep; pages add units and time
//! zones).
use super::definition::{DefinitionError, FieldDef, FieldType};
use super::value::{normalize_decimal, Raw};
use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

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
    // Placeholders (`$now`, …) are checked in `default_values`, defaults copied from a
    // looked-up record or the person with the lookups.
    let literal = f.default.as_ref().filter(|d| {
        super::default_values::placeholder(d).is_none()
            && !super::lookup_paths::evaluated_default(d)
    });
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
        } else if f.kind == FieldType::DateTime {
            err(
                "default",
                "a date and time field's default is `$now` (the moment of creation)".into(),
            );
        } else if matches!(f.kind, FieldType::Photo | FieldType::Geolocation) {
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
        FieldType::Geolocation => parse_geolocation(raw),
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

/// How a place is written, in every message about one.
const GEO_EXAMPLE: &str = "expected latitude, longitude such as 48.8584, 2.2945";

/// Decimals kept of a latitude or longitude: 7 is about a centimetre, finer than any device.
const GEO_DECIMALS: u32 = 7;

/// A place: form text "lat, lon" (optionally followed by the device's accuracy, "± 12 m"), the
/// same text in JSON, or an object `{"lat": …, "lon": …}` with an optional `accuracy_m`. Stored
/// as `{"lat": …, "lon": …}` in WGS 84 decimal degrees rounded to 7 decimals (plus
/// `accuracy_m`, in metres, when known).
pub fn parse_geolocation(raw: &Raw) -> Result<Value, String> {
    let (lat, lon, accuracy) = match raw {
        Raw::Json(Value::Object(m)) => {
            if let Some(k) = m
                .keys()
                .find(|k| !matches!(k.as_str(), "lat" | "lon" | "accuracy_m"))
            {
                return Err(format!(
                    "`{k}` is not part of a location; send {{\"lat\": 48.8584, \"lon\": 2.2945}}"
                ));
            }
            let number = |key: &str, what: &str| -> Result<Option<Decimal>, String> {
                match m.get(key) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::Number(n)) => degrees(&n.to_string(), what).map(Some),
                    Some(Value::String(s)) => degrees(s, what).map(Some),
                    Some(other) => Err(format!("{what} {other} is not a number; {GEO_EXAMPLE}")),
                }
            };
            let (Some(lat), Some(lon)) = (number("lat", "latitude")?, number("lon", "longitude")?)
            else {
                return Err(format!("a location needs both lat and lon; {GEO_EXAMPLE}"));
            };
            (lat, lon, number("accuracy_m", "accuracy")?)
        }
        Raw::Json(Value::String(s)) | Raw::Text(s) => geo_text(s)?,
        Raw::Json(other) => return Err(format!("{other} is not a location; {GEO_EXAMPLE}")),
    };
    if !(Decimal::from(-90)..=Decimal::from(90)).contains(&lat) {
        return Err(format!("latitude must be between -90 and 90; {lat} is not"));
    }
    if !(Decimal::from(-180)..=Decimal::from(180)).contains(&lon) {
        return Err(format!(
            "longitude must be between -180 and 180; {lon} is not"
        ));
    }
    let mut place = serde_json::Map::new();
    place.insert("lat".into(), geo_number(lat, GEO_DECIMALS)?);
    place.insert("lon".into(), geo_number(lon, GEO_DECIMALS)?);
    if let Some(a) = accuracy {
        if a.is_sign_negative() {
            return Err("accuracy is a distance in metres and cannot be negative".into());
        }
        place.insert("accuracy_m".into(), geo_number(a, 1)?);
    }
    Ok(Value::Object(place))
}

/// "48.8584, 2.2945", "48.8584,2.2945" or "48.8584 2.2945", with an optional "± 12 m" after.
fn geo_text(s: &str) -> Result<(Decimal, Decimal, Option<Decimal>), String> {
    let s = s.trim();
    let (point, accuracy) = match s.split_once('±').or_else(|| s.split_once("+/-")) {
        Some((p, a)) => {
            let a = a.trim();
            let a = a.strip_suffix('m').unwrap_or(a).trim();
            (p, Some(degrees(a, "accuracy")?))
        }
        None => (s, None),
    };
    let point = point.replace('°', " ");
    let parts: Vec<&str> = if point.contains(',') {
        point.split(',').map(str::trim).collect()
    } else {
        point.split_whitespace().collect()
    };
    match parts.as_slice() {
        [lat, lon] if !lat.is_empty() && !lon.is_empty() => Ok((
            degrees(lat, "latitude")?,
            degrees(lon, "longitude")?,
            accuracy,
        )),
        _ => Err(format!("`{s}` is not a location: {GEO_EXAMPLE}")),
    }
}

/// One coordinate as written (a decimal point, never a comma: the comma separates the two).
fn degrees(s: &str, what: &str) -> Result<Decimal, String> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    let plain = s.trim_start_matches('+');
    ok.then(|| {
        Decimal::from_str(plain)
            .or_else(|_| Decimal::from_scientific(plain))
            .ok()
    })
    .flatten()
    .ok_or_else(|| format!("{what} `{s}` is not a number; {GEO_EXAMPLE}"))
}

/// A coordinate as the JSON number stored, rounded to `decimals`.
fn geo_number(d: Decimal, decimals: u32) -> Result<Value, String> {
    let rounded = d.round_dp(decimals).normalize();
    rounded
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| format!("`{d}` is not a number; {GEO_EXAMPLE}"))
}

/// A stored place's latitude and longitude, when the value is one.
pub fn geo_point(v: &Value) -> Option<(f64, f64)> {
    Some((v.get("lat")?.as_f64()?, v.get("lon")?.as_f64()?))
}

/// A place as people and CSV read it: "48.8584, 2.2945".
pub fn format_geolocation(v: &Value) -> Option<String> {
    geo_point(v).map(|(lat, lon)| format!("{lat}, {lon}"))
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
        (FieldType::Geolocation, v) => format_geolocation(v).unwrap_or_else(|| v.to_string()),
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
