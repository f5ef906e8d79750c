//! JSON Schemas of the field types in `engine::field_types`: what a tool takes as input and what
//! its results carry (the stored form: booleans, arrays of options, whole numbers, UTC times).
use crate::engine::definition::{FieldDef, FieldType};
use serde_json::{json, Value};

/// The input schema of a field of one of these types; `None` for the other types.
pub fn input_schema(f: &FieldDef) -> Option<Value> {
    Some(match f.kind {
        FieldType::YesNo => json!({"type": "boolean"}),
        FieldType::MultiChoice => json!({
            "type": "array",
            "items": {"type": "string", "enum": f.options},
            "uniqueItems": true
        }),
        FieldType::Email => json!({"type": "string", "format": "email", "maxLength": 254}),
        FieldType::Phone => json!({"type": "string", "pattern": "^\\+?[0-9][0-9 ()./-]{1,40}$"}),
        FieldType::Url => {
            json!({"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"})
        }
        FieldType::Integer => {
            let mut s = json!({"type": "integer"});
            for (key, bound) in [("minimum", &f.min), ("maximum", &f.max)] {
                if let Some(n) = bound.as_deref().and_then(|b| b.trim().parse::<i64>().ok()) {
                    s[key] = n.into();
                }
            }
            s
        }
        FieldType::DateTime => json!({"type": "string", "format": "date-time"}),
        FieldType::Lookup => json!({"type": "integer", "minimum": 1}),
        FieldType::Geolocation => json!({
            "type": "object",
            "properties": {
                "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude in decimal degrees (WGS 84), at most 7 decimals"},
                "lon": {"type": "number", "minimum": -180, "maximum": 180, "description": "Longitude in decimal degrees (WGS 84), at most 7 decimals"},
                "accuracy_m": {"type": "number", "minimum": 0, "description": "Optional: the device's accuracy in metres"}
            },
            "required": ["lat", "lon"],
            "additionalProperties": false
        }),
        FieldType::Photo => json!({
            "type": "object",
            "properties": {
                "filename": {"type": "string", "description": "File name, e.g. photo.jpg"},
                "content_base64": {"type": "string", "description": "The image's bytes, base64-encoded (JPEG, PNG or WebP)"}
            },
            "required": ["filename", "content_base64"],
            "additionalProperties": false
        }),
        _ => return None,
    })
}

/// The schema of a field's value in results (records and view rows): the stored JSON, or null.
pub fn stored_schema(f: &FieldDef) -> Value {
    if crate::engine::line_totals::is_totals(f) {
        return json!({
            "type": ["object", "null"],
            "title": f.label,
            "description": "Totals per currency of the lines: currency code → amount, e.g. {\"CHF\": \"33.00\", \"EUR\": \"120.50\"}",
            "additionalProperties": {"type": "string"}
        });
    }
    let (kind, extra) = match f.kind {
        FieldType::YesNo => ("boolean", json!({})),
        FieldType::MultiChoice => (
            "array",
            json!({"items": {"type": "string", "enum": f.options}}),
        ),
        FieldType::Integer => ("integer", json!({})),
        FieldType::Lookup => (
            "integer",
            json!({"description": format!("The id of a record of the app `{}`", f.app.as_deref().unwrap_or_default())}),
        ),
        FieldType::File | FieldType::Photo => {
            ("integer", json!({"description": "The attachment's id"}))
        }
        FieldType::DateTime => ("string", json!({"format": "date-time"})),
        FieldType::Geolocation => (
            "object",
            json!({
                "properties": {
                    "lat": {"type": "number", "minimum": -90, "maximum": 90},
                    "lon": {"type": "number", "minimum": -180, "maximum": 180},
                    "accuracy_m": {"type": "number", "minimum": 0}
                },
                "required": ["lat", "lon"]
            }),
        ),
        FieldType::Email => ("string", json!({"format": "email"})),
        FieldType::Url => ("string", json!({"format": "uri"})),
        FieldType::Choice => ("string", json!({"enum": f.options})),
        FieldType::Lines => {
            let mut props = serde_json::Map::new();
            props.insert("id".into(), json!({"type": "string"}));
            for (n, c) in &f.columns {
                props.insert(n.clone(), stored_schema(c));
            }
            (
                "array",
                json!({"items": {"type": "object", "properties": props, "required": ["id"]}}),
            )
        }
        _ => ("string", json!({})),
    };
    let mut s = json!({"type": [kind, "null"], "title": f.label});
    if let (Some(s), Some(extra)) = (s.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            // `enum` must admit null, the value of a field left empty.
            let v = match (k.as_str(), v) {
                ("enum", Value::Array(items)) => {
                    let mut items = items.clone();
                    items.push(Value::Null);
                    Value::Array(items)
                }
                _ => v.clone(),
            };
            s.insert(k.clone(), v);
        }
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn field(v: Value) -> FieldDef {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn integers_carry_their_bounds_and_several_options_their_list() {
        let n = field(json!({"type": "integer", "label": "Nights", "min": "1", "max": "30"}));
        assert_eq!(
            input_schema(&n).unwrap(),
            json!({"type": "integer", "minimum": 1, "maximum": 30})
        );
        let m = field(json!({"type": "multichoice", "label": "Tags", "options": ["a", "b"]}));
        assert_eq!(
            input_schema(&m).unwrap()["items"]["enum"],
            json!(["a", "b"])
        );
        assert_eq!(stored_schema(&m)["type"], json!(["array", "null"]));
        let c = field(json!({"type": "choice", "label": "C", "options": ["x"]}));
        assert_eq!(stored_schema(&c)["enum"], json!(["x", null]));
        let t = field(json!({"type": "text", "label": "T"}));
        assert!(input_schema(&t).is_none());
    }
}
