//! Which keys of a record's data a row shown as a view's columns reads.
//!
//! A page of a view shown as its columns (an MCP tool with the View Columns format) needs only
//! a few of each record's fields; the store can then leave the rest undecoded
//! ([`crate::store::Store::query_records_keeping`]). A column's display may read other keys
//! than its own: a money field its currency field, a computed sum its terms' currency, a
//! converted field its rate details, a line aggregate its lines, a looked-up column its lookup
//! field. Everything the display functions in `value`, `converted`, `lines` and `lookups` read
//! must be named here; the tests compare every seed view's rows both ways.
use super::definition::{parse_expr, AppDef, FieldType, ViewDef};

/// The data keys the view's columns are displayed from, or `None` (decode every key) when a
/// column is not one this knows.
pub fn column_keys(def: &AppDef, view: &ViewDef) -> Option<Vec<String>> {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |k: &str| {
        if !keys.iter().any(|x| x == k) {
            keys.push(k.to_string());
        }
    };
    for c in &view.columns {
        if let Some((lookup, _)) = super::lookup_paths::split(c) {
            def.fields.get(lookup)?;
            add(lookup);
            continue;
        }
        let f = def.fields.get(c)?;
        add(c);
        if f.kind == FieldType::Converted {
            add(&super::converted::rate_key(c));
        }
        if let Some(cur) = &f.currency_field {
            add(cur);
        }
        if let Some(expr) = f.expr.as_deref() {
            if let Some(agg) = super::lines::parse_aggregate(expr) {
                add(&agg.field);
            } else if let Ok(terms) = parse_expr(expr) {
                for (_, term) in terms {
                    if let Some(cur) = def
                        .fields
                        .get(&term)
                        .and_then(|t| t.currency_field.as_ref())
                    {
                        add(cur);
                    }
                    add(&term);
                }
            }
        }
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RecordRow;
    use serde_json::{json, Value};

    fn row(data: Value) -> RecordRow {
        RecordRow {
            id: 7,
            app_id: 1,
            owner_id: 2,
            version: 3,
            data,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    /// A value of a field (or line column) of this kind that its display formats.
    fn value_of(name: &str, f: &super::super::definition::FieldDef) -> Value {
        match f.kind {
            FieldType::Money | FieldType::Number | FieldType::Computed => json!("1234.5"),
            FieldType::Currency => json!("CHF"),
            FieldType::Date => json!("2026-11-15"),
            FieldType::Lookup | FieldType::User | FieldType::Integer => json!(4),
            FieldType::Converted => json!("1296.23"),
            FieldType::Lines => {
                let line = |id: &str| {
                    let mut l = serde_json::Map::new();
                    l.insert("id".into(), json!(id));
                    for (c, cf) in &f.columns {
                        l.insert(c.clone(), value_of(c, cf));
                    }
                    Value::Object(l)
                };
                json!([line("l1"), line("l2")])
            }
            _ => json!(format!("text of {name}")),
        }
    }

    /// Data for every field of an app, with values its displays format (money with a
    /// currency, converted rate details, lines with every column, a lookup id).
    fn full_data(def: &AppDef) -> Value {
        let mut data = serde_json::Map::new();
        for (name, f) in &def.fields {
            if f.kind == FieldType::Converted {
                data.insert(
                    super::super::converted::rate_key(name),
                    json!({"to": "EUR", "rate": "1.05", "date": "2026-11-15"}),
                );
            }
            data.insert(name.clone(), value_of(name, f));
        }
        Value::Object(data)
    }

    #[test]
    fn every_seed_view_shows_the_same_columns_from_the_kept_keys() {
        let mut checked = 0;
        for text in [
            crate::demo::EXPENSE_CLAIMS,
            crate::demo::EQUIPMENT_REQUESTS,
            crate::demo::PROJECTS,
            crate::demo::TRAVEL_REPORTS,
        ] {
            let def = AppDef::parse(text).expect("seed app parses");
            let data = full_data(&def);
            let text = data.to_string();
            for (name, view) in &def.views {
                let Some(keys) = column_keys(&def, view) else {
                    panic!(
                        "{}: view {name} has a column the keys do not cover",
                        def.slug
                    );
                };
                let partial = crate::store::decode_keys(&text, &keys).expect("json");
                assert!(
                    partial.as_object().map(|m| m.len()) < data.as_object().map(|m| m.len())
                        || keys.len() >= def.fields.len(),
                    "{}: view {name} keeps every key",
                    def.slug
                );
                let whole = crate::mcp::results::columns_row(&def, view, &row(data.clone()));
                let kept = crate::mcp::results::columns_row(&def, view, &row(partial));
                assert_eq!(whole, kept, "{}: view {name}", def.slug);
                checked += 1;
            }
        }
        assert!(checked >= 8, "only {checked} views checked");
    }

    #[test]
    fn a_column_the_app_does_not_have_decodes_everything() {
        let def = AppDef::parse(crate::demo::EXPENSE_CLAIMS).expect("seed app parses");
        let mut view = def.views.values().next().expect("a view").clone();
        view.columns.push("no_such_field".into());
        assert_eq!(column_keys(&def, &view), None);
    }

    #[test]
    fn a_money_column_keeps_its_currency_and_a_sum_its_terms() {
        let def = AppDef::parse(crate::demo::EXPENSE_CLAIMS).expect("seed app parses");
        let mut view = def.views.values().next().expect("a view").clone();
        view.columns = vec!["total".into()];
        let keys = column_keys(&def, &view).expect("known columns");
        for k in ["total", "net", "tax", "currency"] {
            assert!(keys.iter().any(|x| x == k), "{k} in {keys:?}");
        }
    }
}
