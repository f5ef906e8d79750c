//! The everyday field types on pages (see `engine::field_types`): which input a form shows, the
//! value an input holds, a submitted date and time read in the person's time zone, and values
//! as people read them (yes/no, units, times in their zone).
use super::local_time::LocalTime;
use crate::engine::definition::{AppDef, FieldType};
use crate::engine::field_types::{format_geolocation, format_utc, geo_point, parse_datetime};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// The input a form shows for a field of one of these types; `None` for the other types.
pub fn input_kind(kind: FieldType) -> Option<&'static str> {
    Some(match kind {
        FieldType::YesNo => "yesno",
        FieldType::MultiChoice => "checkboxes",
        FieldType::Email => "email",
        FieldType::Phone => "tel",
        FieldType::Url => "url",
        FieldType::Integer => "integer",
        FieldType::DateTime => "datetime",
        FieldType::Photo => "photo",
        FieldType::Geolocation => "geolocation",
        _ => return None,
    })
}

/// A stored value as its input holds it (the form sends it back in this form): "yes"/"no",
/// options one a line, a moment as `datetime-local` in the person's zone.
pub fn form_value(kind: FieldType, v: &Value, local: LocalTime) -> Option<String> {
    Some(match (kind, v) {
        (FieldType::YesNo, Value::Bool(b)) => (if *b { "yes" } else { "no" }).into(),
        (FieldType::MultiChoice, Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        (FieldType::DateTime, Value::String(s)) => match parse_datetime(s) {
            Ok(t) => local.input(t),
            Err(_) => s.clone(),
        },
        // "lat, lon", and the device's accuracy when known, so an unchanged place is kept.
        (FieldType::Geolocation, v) => {
            let point = format_geolocation(v)?;
            match v.get("accuracy_m").and_then(Value::as_f64) {
                Some(a) => format!("{point} ± {a} m"),
                None => point,
            }
        }
        _ => return None,
    })
}

/// A submitted `datetime-local` value ("2026-03-05T14:30", no zone) as RFC 3339, read in the
/// person's zone; anything else goes to the engine as typed, which says what is wrong with it.
pub fn from_form(kind: FieldType, typed: &str, local: LocalTime) -> Result<String, String> {
    if kind != FieldType::DateTime || parse_datetime(typed).is_ok() {
        return Ok(typed.to_string());
    }
    let s = typed.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"));
    match naive {
        Ok(n) => local.read(n).map(format_utc),
        Err(_) => Ok(typed.to_string()),
    }
}

/// A view request's date-and-time parameters, typed in a `datetime-local` input, read in the
/// person's zone like an operation's inputs (a time the clocks skip is left for the engine to
/// refuse as it was typed).
pub fn local_params(
    def: &AppDef,
    view: &crate::engine::definition::ViewDef,
    req: &mut crate::engine::ViewRequest,
    local: LocalTime,
) {
    for (name, p) in &view.parameters {
        let is_moment = def.fields.get(&p.field).map(|f| f.kind) == Some(FieldType::DateTime);
        if let (true, Some(crate::engine::Raw::Text(typed))) = (is_moment, req.params.get_mut(name))
        {
            if let Ok(moment) = from_form(FieldType::DateTime, typed, local) {
                *typed = moment;
            }
        }
    }
}

/// A value as people read it on pages: yes/no, several options, a whole number grouped by
/// thousands and followed by its unit, a moment in their zone; `None` for the other types.
pub fn display(def: &AppDef, field: &str, data: &Value, local: LocalTime) -> Option<String> {
    let f = def.fields.get(field)?;
    let v = data.get(field).unwrap_or(&Value::Null);
    if v.is_null() {
        return None;
    }
    match (f.kind, v) {
        (FieldType::Integer, Value::Number(n)) => {
            let grouped = super::amounts::group_thousands(&n.to_string());
            Some(match &f.unit {
                Some(u) => format!("{grouped} {u}"),
                None => grouped,
            })
        }
        (FieldType::DateTime, Value::String(s)) => parse_datetime(s)
            .ok()
            .map(|t: DateTime<Utc>| local.minute(t)),
        _ => None,
    }
}

/// A link to a place on OpenStreetMap's map (the record page shows it beside the place).
pub fn map_link(v: &Value) -> Option<String> {
    let (lat, lon) = geo_point(v)?;
    Some(format!(
        "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    ))
}

/// A value as shown on the record page, in lists and in the history: [`display`], else money and
/// numbers as `amounts` shows them.
pub fn shown(def: &AppDef, field: &str, data: &Value, local: LocalTime) -> String {
    display(def, field, data, local)
        .unwrap_or_else(|| super::amounts::display_value(def, field, data))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn berlin() -> LocalTime {
        LocalTime::zone(super::super::local_time::parse_zone("Europe/Berlin").unwrap())
    }

    #[test]
    fn a_typed_local_time_is_read_in_the_persons_zone() {
        assert_eq!(
            from_form(FieldType::DateTime, "2026-03-05T14:30", berlin()).unwrap(),
            "2026-03-05T13:30:00Z"
        );
        assert_eq!(
            from_form(FieldType::DateTime, "2026-07-05T14:30", berlin()).unwrap(),
            "2026-07-05T12:30:00Z"
        );
        // 02:30 does not exist in Berlin on the night clocks go forward.
        assert!(from_form(FieldType::DateTime, "2026-03-29T02:30", berlin())
            .unwrap_err()
            .contains("does not exist"));
        assert_eq!(
            form_value(
                FieldType::DateTime,
                &json!("2026-03-05T13:30:00Z"),
                berlin()
            )
            .unwrap(),
            "2026-03-05T14:30"
        );
    }

    #[test]
    fn yes_no_and_options_fill_their_inputs() {
        assert_eq!(
            form_value(FieldType::YesNo, &json!(false), berlin()).unwrap(),
            "no"
        );
        assert_eq!(
            form_value(FieldType::MultiChoice, &json!(["a", "b"]), berlin()).unwrap(),
            "a\nb"
        );
        assert!(form_value(FieldType::Text, &json!("x"), berlin()).is_none());
    }
}
