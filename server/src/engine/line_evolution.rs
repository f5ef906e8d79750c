//! How the columns of a `lines` field change without losing data. A line keeps its values by
//! column name inside the record's JSON array (`{"id": "l3", "net": "12.50", …}`), so a draft is
//! checked against the lines stored under the published version, as `evolution` checks fields:
//!
//! - a column the draft no longer has — removed, or renamed, which for the stored lines is the
//!   same thing — is refused while any line has a value in it, with the count of lines and
//!   records, counted in the database (`Store::line_values_in_use`); with no value anywhere it
//!   goes. Renaming a column that holds values is refused rather than migrated: add the new
//!   column instead, or empty the old one first;
//! - a column whose type changes, or a choice column that loses options, is read again line by
//!   line against its new definition: lines that do not fit are refused with their count, and
//!   publishing converts the values of a retyped column that all fit.
use super::definition::{AppDef, FieldDef, FieldType};
use super::evolution::{convert, DraftChanges, Misfit};
use chrono::NaiveDate;
use indexmap::IndexMap;
use serde_json::Value;

/// The column changes of one lines field that stored lines may not fit.
#[derive(Debug, Clone)]
pub struct ColumnChecks {
    /// The field's name in the draft.
    pub field: String,
    /// The key its lines are stored under now.
    pub key: String,
    /// Published columns the draft no longer has.
    pub removed: Vec<String>,
    /// Columns whose stored values must be read again (retyped, or choices that lost options),
    /// with their new definition.
    pub reread: Vec<(String, FieldDef)>,
}

/// The lines fields of the draft whose columns changed in a way stored lines may not fit.
pub fn column_checks(
    published: Option<&AppDef>,
    draft: &AppDef,
    changes: &DraftChanges,
) -> Vec<ColumnChecks> {
    let mut out = Vec::new();
    for (name, f) in draft
        .fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Lines)
    {
        let key = changes.source_key(name);
        let Some(before) = published
            .and_then(|p| p.fields.get(key))
            .filter(|b| b.kind == FieldType::Lines)
        else {
            continue;
        };
        let removed: Vec<String> = before
            .columns
            .keys()
            .filter(|c| !f.columns.contains_key(*c))
            .cloned()
            .collect();
        let reread: Vec<(String, FieldDef)> = f
            .columns
            .iter()
            .filter(|(c, now)| {
                before.columns.get(*c).is_some_and(|was| {
                    was.kind != now.kind
                        || (now.kind == FieldType::Choice
                            && was.options.iter().any(|o| !now.options.contains(o)))
                })
            })
            .map(|(c, d)| (c.clone(), d.clone()))
            .collect();
        if !removed.is_empty() || !reread.is_empty() {
            out.push(ColumnChecks {
                field: name.clone(),
                key: key.to_string(),
                removed,
                reread,
            });
        }
    }
    out
}

/// Columns whose type changed: (draft field, column, new definition). Publishing converts
/// their stored values (`evolution::DataPlan::apply`).
pub fn retyped_columns(
    published: Option<&AppDef>,
    draft: &AppDef,
    changes: &DraftChanges,
) -> Vec<(String, String, FieldDef)> {
    let mut out = Vec::new();
    for c in column_checks(published, draft, changes) {
        let before = published
            .and_then(|p| p.fields.get(&c.key))
            .map(|b| &b.columns);
        for (col, def) in c.reread {
            if before
                .and_then(|b| b.get(&col))
                .is_some_and(|was| was.kind != def.kind)
            {
                out.push((c.field.clone(), col, def));
            }
        }
    }
    out
}

/// What changed in a lines field's columns, one line each: "column `qty` added", "column
/// `what` removed", "column `qty`: type: \"text\" → \"integer\"", "columns reordered".
pub fn column_diff(
    before: &IndexMap<String, FieldDef>,
    after: &IndexMap<String, FieldDef>,
) -> Vec<String> {
    let json = |c: &FieldDef| serde_json::to_value(c).unwrap_or(Value::Null);
    let mut out = Vec::new();
    for (name, c) in after {
        match before.get(name) {
            None => out.push(format!("column `{name}` added")),
            Some(b) => {
                let (b, a) = (json(b), json(c));
                let (Some(b), Some(a)) = (b.as_object(), a.as_object()) else {
                    continue;
                };
                for (k, v) in a {
                    let was = b.get(k).unwrap_or(&Value::Null);
                    if was != v {
                        out.push(format!("column `{name}`: {k}: {was} → {v}"));
                    }
                }
                for (k, was) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                    out.push(format!("column `{name}`: {k}: {was} → none"));
                }
            }
        }
    }
    for name in before.keys().filter(|n| !after.contains_key(*n)) {
        out.push(format!("column `{name}` removed"));
    }
    let kept = |m: &IndexMap<String, FieldDef>, other: &IndexMap<String, FieldDef>| {
        m.keys()
            .filter(|k| other.contains_key(*k))
            .cloned()
            .collect::<Vec<_>>()
    };
    if kept(before, after) != kept(after, before) {
        out.push("columns reordered".into());
    }
    out
}

/// A removed column that lines still have values in, as a refusal.
pub fn removed_in_use(
    field: &str,
    column: &str,
    lines: u64,
    records: u64,
    sample_ids: Vec<i64>,
) -> Misfit {
    Misfit {
        field: field.to_string(),
        setting: "column",
        count: records,
        sample_ids,
        example: String::new(),
        column: Some(column.to_string()),
        lines,
    }
}

/// Converts the values of retyped columns in one lines value (those that do not fit stay).
pub fn convert_columns(
    lines: &mut Value,
    columns: &[(&String, &FieldDef)],
    today: NaiveDate,
) -> bool {
    let mut changed = false;
    for line in lines.as_array_mut().into_iter().flatten() {
        let Some(line) = line.as_object_mut() else {
            continue;
        };
        for (col, def) in columns {
            let Some(v) = line.get(col.as_str()).filter(|v| !v.is_null()) else {
                continue;
            };
            if let Ok(nv) = convert(def, v, today) {
                if &nv != v {
                    line.insert((*col).clone(), nv);
                    changed = true;
                }
            }
        }
    }
    changed
}

/// Tallies the lines that do not fit their column's new definition (called page by page).
#[derive(Debug, Default)]
pub struct ColumnTally {
    found: IndexMap<(String, String), Misfit>,
}

impl ColumnTally {
    pub fn add(&mut self, checks: &[ColumnChecks], id: i64, data: &Value, today: NaiveDate) {
        for c in checks {
            let Some(lines) = data.get(&c.key).and_then(Value::as_array) else {
                continue;
            };
            for (col, def) in &c.reread {
                let mut misfits = 0;
                let mut first = None;
                for v in lines
                    .iter()
                    .filter_map(|l| l.get(col))
                    .filter(|v| !v.is_null())
                {
                    if let Err(why) = convert(def, v, today) {
                        misfits += 1;
                        let setting = if def.kind == FieldType::Choice && v.is_string() {
                            "options"
                        } else {
                            "type"
                        };
                        first.get_or_insert((setting, why));
                    }
                }
                let Some((setting, example)) = first else {
                    continue;
                };
                let m = self
                    .found
                    .entry((c.field.clone(), col.clone()))
                    .or_insert_with(|| Misfit {
                        field: c.field.clone(),
                        setting,
                        count: 0,
                        sample_ids: Vec::new(),
                        example,
                        column: Some(col.clone()),
                        lines: 0,
                    });
                m.count += 1;
                m.lines += misfits;
                if m.sample_ids.len() < 10 {
                    m.sample_ids.push(id);
                }
            }
        }
    }

    pub fn finish(self) -> Vec<Misfit> {
        self.found.into_values().collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const APP: &str = r#"
slug = "t"
name = "T"
[fields.items]
type = "lines"
label = "Items"
[fields.items.columns]
what = { type = "text", label = "What" }
qty  = { type = "text", label = "Qty" }
kind = { type = "choice", label = "Kind", options = ["A", "B", "C"] }
"#;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn a_removed_retyped_or_narrowed_column_is_checked() {
        let p = AppDef::parse(APP).unwrap();
        let d = AppDef::parse(
            &APP.replace("what = { type = \"text\", label = \"What\" }\n", "")
                .replace("qty  = { type = \"text\"", "qty  = { type = \"integer\"")
                .replace("\"A\", \"B\", \"C\"", "\"A\", \"B\""),
        )
        .unwrap();
        let checks = column_checks(Some(&p), &d, &DraftChanges::default());
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].removed, vec!["what".to_string()]);
        let reread: Vec<&str> = checks[0].reread.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(reread, vec!["qty", "kind"]);
        let mut t = ColumnTally::default();
        let data = json!({"items": [
            {"id": "l1", "qty": "3", "kind": "C"},
            {"id": "l2", "qty": "three", "kind": "C"},
            {"id": "l3", "qty": "4", "kind": "A"},
        ]});
        t.add(&checks, 7, &data, today());
        t.add(
            &checks,
            8,
            &json!({"items": [{"id": "l1", "kind": "C"}]}),
            today(),
        );
        let found = t.finish();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].path(), "fields.items.columns.qty.type");
        assert_eq!((found[0].lines, found[0].count), (1, 1));
        assert_eq!(found[1].path(), "fields.items.columns.kind.options");
        assert_eq!((found[1].lines, found[1].count), (3, 2));
        assert!(
            found[1]
                .message()
                .starts_with("3 lines in 2 records use options"),
            "{}",
            found[1].message()
        );
        let diff = super::super::evolution::diff(Some(&p), &d, &DraftChanges::default());
        let details: Vec<&str> = diff
            .iter()
            .flat_map(|i| i.details.iter().map(String::as_str))
            .collect();
        assert_eq!(
            details,
            [
                "column `qty`: type: \"text\" → \"integer\"",
                "column `kind`: options: [\"A\",\"B\",\"C\"] → [\"A\",\"B\"]",
                "column `what` removed",
            ]
        );
        let gone = removed_in_use("items", "what", 12, 5, vec![1, 2]);
        assert_eq!(gone.path(), "fields.items.columns.what");
        assert!(
            gone.message()
                .starts_with("12 lines in 5 records have a value in column `what`"),
            "{}",
            gone.message()
        );
    }

    #[test]
    fn a_retyped_column_is_converted_at_publication() {
        let p = AppDef::parse(APP).unwrap();
        let d =
            AppDef::parse(&APP.replace("qty  = { type = \"text\"", "qty  = { type = \"integer\""))
                .unwrap();
        let ch = DraftChanges::default();
        let plan = super::super::evolution::plan(Some(&p), &d, &ch);
        assert_eq!(plan.column_retypes.len(), 1);
        let out = plan
            .apply(&json!({"items": [{"id": "l1", "qty": "3"}]}), today())
            .unwrap();
        assert_eq!(out, json!({"items": [{"id": "l1", "qty": 3}]}));
    }
}
