//! How an app changes without losing data: what a draft changes against the published version
//! (a readable diff), which stored values would no longer fit (a type change, a dropped choice
//! option), and the data changes a publication applies (moving values of renamed fields,
//! mapping dropped options, converting values of retyped fields).
//!
//! Record data is keyed by field name. A rename in the editor is remembered in the draft's
//! [`DraftChanges`] and carried out on the records in the same transaction that publishes the
//! version, so the published definition and the stored keys always agree. A removed field's
//! values stay in the records (hidden); adding the field back shows them again.
use super::converted::rate_key;
use super::definition::{AppDef, FieldDef, FieldType};
use super::value::{parse_field, Raw};
use chrono::NaiveDate;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Data changes a draft carries until it is published.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DraftChanges {
    /// Draft field name → the key its values are stored under now (a field renamed since the
    /// last publication).
    #[serde(default)]
    pub renames: IndexMap<String, String>,
    /// Draft field name → (dropped option → the option its records get instead).
    #[serde(default)]
    pub option_maps: IndexMap<String, IndexMap<String, String>>,
}

impl DraftChanges {
    pub fn is_empty(&self) -> bool {
        self.renames.is_empty() && self.option_maps.is_empty()
    }

    pub fn parse(text: &str) -> DraftChanges {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Notes a rename of a draft field; `published` says which keys hold data.
    pub fn note_rename(&mut self, old: &str, new: &str, published: Option<&AppDef>) {
        let source = self
            .renames
            .shift_remove(old)
            .or_else(|| published.and_then(|p| p.fields.contains_key(old).then(|| old.into())));
        if let Some(src) = source {
            if src != new {
                self.renames.insert(new.into(), src);
            }
        }
        if let Some(m) = self.option_maps.shift_remove(old) {
            self.option_maps.insert(new.into(), m);
        }
    }

    /// Forgets what concerns a removed draft field.
    pub fn note_removal(&mut self, name: &str) {
        self.renames.shift_remove(name);
        self.option_maps.shift_remove(name);
    }

    /// The key a draft field's values are stored under before publication.
    pub fn source_key<'a>(&'a self, field: &'a str) -> &'a str {
        self.renames.get(field).map(String::as_str).unwrap_or(field)
    }
}

/// Stored values of one field that would not fit the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Misfit {
    pub field: String,
    /// `type` or `options`: which setting the refusal belongs to.
    pub setting: &'static str,
    pub count: u64,
    /// Up to ten of the records concerned.
    pub sample_ids: Vec<i64>,
    /// Why the first one does not fit.
    pub example: String,
    /// For a column of a lines field (`engine::line_evolution`): its name. `setting` is then
    /// `column` for a removed column that lines have values in.
    pub column: Option<String>,
    /// For a column: how many lines (in `count` records) hold the values.
    pub lines: u64,
}

/// "1 line", "12 lines".
fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

impl Misfit {
    pub fn path(&self) -> String {
        match (&self.column, self.setting) {
            (Some(c), "column") => format!("fields.{}.columns.{c}", self.field),
            (Some(c), setting) => format!("fields.{}.columns.{c}.{setting}", self.field),
            (None, setting) => format!("fields.{}.{setting}", self.field),
        }
    }

    pub fn message(&self) -> String {
        if let Some(col) = &self.column {
            return self.column_message(col);
        }
        let ids: Vec<String> = self.sample_ids.iter().map(|i| format!("#{i}")).collect();
        let what = if self.setting == "options" {
            "use options this change drops; map each dropped option to a remaining one, or keep it"
        } else {
            "hold values that do not fit the new type"
        };
        format!(
            "{} record{} {what} (e.g. {}: {}); nothing was saved",
            self.count,
            if self.count == 1 { "" } else { "s" },
            ids.join(", "),
            self.example
        )
    }
}

impl Misfit {
    /// "12 lines in 5 records have a value in column `x` (e.g. #3, #4); …".
    fn column_message(&self, col: &str) -> String {
        let ids: Vec<String> = self.sample_ids.iter().map(|i| format!("#{i}")).collect();
        let (lines, records) = (counted(self.lines, "line"), counted(self.count, "record"));
        let plural = self.lines != 1;
        match self.setting {
            "column" => format!(
                "{lines} in {records} {} a value in column `{col}` (e.g. {}); empty it on those lines first, or keep the column; nothing was saved",
                if plural { "have" } else { "has" },
                ids.join(", ")
            ),
            "options" => format!(
                "{lines} in {records} {} options this change drops from column `{col}` (e.g. {}: {}); keep the option, or change those lines first; nothing was saved",
                if plural { "use" } else { "uses" },
                ids.join(", "),
                self.example
            ),
            _ => format!(
                "{lines} in {records} {} values that do not fit the new type of column `{col}` (e.g. {}: {}); nothing was saved",
                if plural { "hold" } else { "holds" },
                ids.join(", "),
                self.example
            ),
        }
    }
}

/// What publishing the draft does to the stored records of the app.
#[derive(Debug, Clone, Default)]
pub struct DataPlan {
    /// Stored key → draft field name.
    pub renames: Vec<(String, String)>,
    /// Draft field → (old option → new option).
    pub option_maps: Vec<(String, IndexMap<String, String>)>,
    /// Draft fields whose type changed, with the new definition (values are re-parsed).
    pub retypes: Vec<(String, FieldDef)>,
    /// Columns of lines fields whose type changed: (draft field, column, new definition).
    pub column_retypes: Vec<(String, String, FieldDef)>,
}

impl DataPlan {
    pub fn is_empty(&self) -> bool {
        self.renames.is_empty()
            && self.option_maps.is_empty()
            && self.retypes.is_empty()
            && self.column_retypes.is_empty()
    }

    /// Applies the plan to one record's data; `None` when nothing changes.
    pub fn apply(&self, data: &Value, today: NaiveDate) -> Option<Value> {
        let mut map: Map<String, Value> = data.as_object()?.clone();
        let before = map.clone();
        // Take every renamed value out first, so swapping two names works.
        let moved: Vec<(String, Option<Value>)> = self
            .renames
            .iter()
            .map(|(from, to)| (to.clone(), map.remove(from)))
            .collect();
        // A converted field's rate details move with it (see `engine::converted`).
        let details: Vec<(String, Option<Value>)> = self
            .renames
            .iter()
            .map(|(from, to)| (rate_key(to), map.remove(&rate_key(from))))
            .collect();
        for (to, v) in details {
            if let Some(v) = v {
                map.insert(to, v);
            }
        }
        for (to, v) in moved {
            match v {
                Some(v) => {
                    map.insert(to, v);
                }
                None => {
                    map.remove(&to);
                }
            }
        }
        for (field, m) in &self.option_maps {
            if let Some(Value::String(s)) = map.get(field) {
                if let Some(to) = m.get(s) {
                    map.insert(field.clone(), Value::String(to.clone()));
                }
            }
        }
        for (field, def) in &self.retypes {
            if let Some(v) = map.get(field).filter(|v| !v.is_null()) {
                if let Ok(nv) = convert(def, v, today) {
                    map.insert(field.clone(), nv);
                }
            }
        }
        for (field, col, def) in &self.column_retypes {
            if let Some(lines) = map.get_mut(field) {
                super::line_evolution::convert_columns(lines, &[(col, def)], today);
            }
        }
        (map != before).then_some(Value::Object(map))
    }
}

/// A field definition without its bounds: a type change is checked for the type, not for limits
/// that stored values met when they were written.
fn relaxed(def: &FieldDef) -> FieldDef {
    let mut d = def.clone();
    d.min = None;
    d.max = None;
    d.max_len = None;
    d
}

/// A stored value read as the (new) field type; `Err` when it does not fit.
pub fn convert(def: &FieldDef, v: &Value, today: NaiveDate) -> Result<Value, String> {
    match def.kind {
        // Recomputed on the next write; a stored number is kept meanwhile.
        FieldType::Computed | FieldType::Converted => Ok(v.clone()),
        FieldType::File | FieldType::Photo => match v {
            Value::Number(_) => Ok(v.clone()),
            _ => Err(format!("{v} is not an attachment")),
        },
        // Stored lines read again against the columns, keeping their ids.
        FieldType::Lines => super::lines::parse_lines(
            def,
            "lines",
            &Raw::Json(v.clone()),
            v,
            0,
            today,
            &super::lines::new_line_values(def, today, None),
        )
        .map(|p| p.value)
        .map_err(|e| format!("{}: {}", short(v), e.join("; "))),
        _ => parse_field(&relaxed(def), &Raw::Json(v.clone()), today)
            .map_err(|e| format!("{v}: {e}")),
    }
}

/// The published counterpart of each draft field: (draft name, stored key, published def).
fn counterparts<'a>(
    published: Option<&'a AppDef>,
    draft: &'a AppDef,
    changes: &'a DraftChanges,
) -> Vec<(&'a str, &'a str, Option<&'a FieldDef>)> {
    draft
        .fields
        .keys()
        .map(|name| {
            let key = changes.source_key(name);
            (
                name.as_str(),
                key,
                published.and_then(|p| p.fields.get(key)),
            )
        })
        .collect()
}

/// What publishing must do to stored data, and which fields must be checked against it.
pub fn plan(published: Option<&AppDef>, draft: &AppDef, changes: &DraftChanges) -> DataPlan {
    let mut plan = DataPlan::default();
    for (name, key, before) in counterparts(published, draft, changes) {
        if key != name {
            plan.renames.push((key.to_string(), name.to_string()));
        }
        let Some(def) = draft.fields.get(name) else {
            continue;
        };
        if let Some(m) = changes.option_maps.get(name).filter(|m| !m.is_empty()) {
            plan.option_maps.push((name.to_string(), m.clone()));
        }
        // A new field may meet values a removed field of the same name left behind.
        if before.is_none_or(|b| b.kind != def.kind) {
            plan.retypes.push((name.to_string(), def.clone()));
        }
    }
    plan.column_retypes = super::line_evolution::retyped_columns(published, draft, changes);
    plan
}

/// Fields whose stored values must be checked: new to the published version (values of an
/// earlier field of that name may be stored), retyped, or choices that lost options.
pub fn fields_to_check(
    published: Option<&AppDef>,
    draft: &AppDef,
    changes: &DraftChanges,
) -> Vec<(String, String, FieldDef)> {
    counterparts(published, draft, changes)
        .into_iter()
        .filter_map(|(name, key, before)| {
            let def = draft.fields.get(name)?;
            let retyped = before.is_none_or(|b| b.kind != def.kind);
            let lost_options = matches!(def.kind, FieldType::Choice | FieldType::MultiChoice)
                && before.is_some_and(|b| b.options.iter().any(|o| !def.options.contains(o)));
            (retyped || lost_options).then(|| (name.to_string(), key.to_string(), def.clone()))
        })
        .collect()
}

/// Tallies misfits over records' data (called page by page).
#[derive(Debug, Default)]
pub struct MisfitTally {
    found: IndexMap<String, Misfit>,
}

impl MisfitTally {
    pub fn add(
        &mut self,
        checks: &[(String, String, FieldDef)],
        changes: &DraftChanges,
        id: i64,
        data: &Value,
        today: NaiveDate,
    ) {
        for (name, key, def) in checks {
            let Some(v) = data.get(key).filter(|v| !v.is_null()) else {
                continue;
            };
            let mapped = match (v, changes.option_maps.get(name)) {
                (Value::String(s), Some(m)) => m.get(s).map(|t| Value::String(t.clone())),
                _ => None,
            };
            let v = mapped.as_ref().unwrap_or(v);
            if let Err(why) = convert(def, v, today) {
                let setting = if (def.kind == FieldType::Choice && v.is_string())
                    || (def.kind == FieldType::MultiChoice && v.is_array())
                {
                    "options"
                } else {
                    "type"
                };
                let m = self.found.entry(name.clone()).or_insert_with(|| Misfit {
                    field: name.clone(),
                    setting,
                    count: 0,
                    sample_ids: Vec::new(),
                    example: why,
                    column: None,
                    lines: 0,
                });
                m.count += 1;
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

/// One line of a readable diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffItem {
    /// `fields`, `views`, `operations` or `app`.
    pub section: &'static str,
    pub name: String,
    /// `added`, `removed`, `changed` or `renamed`.
    pub change: &'static str,
    /// What changed, e.g. "label: \"Net\" → \"Net amount\"".
    pub details: Vec<String>,
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("\"{s}\""),
        Value::Null => "none".into(),
        v => v.to_string(),
    };
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(79).collect::<String>())
    } else {
        s
    }
}

fn changed_keys(before: &Value, after: &Value) -> Vec<String> {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return vec![format!("{} → {}", short(before), short(after))];
    };
    let mut keys: Vec<&String> = a.keys().collect();
    keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (
                b.get(k).unwrap_or(&Value::Null),
                a.get(k).unwrap_or(&Value::Null),
            );
            (x != y).then(|| format!("{k}: {} → {}", short(x), short(y)))
        })
        .collect()
}

fn section_diff<T: Serialize>(
    section: &'static str,
    before: Option<&IndexMap<String, T>>,
    after: &IndexMap<String, T>,
    renamed_from: &dyn Fn(&str) -> Option<String>,
) -> Vec<DiffItem> {
    let to_value = |t: &T| serde_json::to_value(t).unwrap_or(Value::Null);
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (name, item) in after {
        let src = renamed_from(name).unwrap_or_else(|| name.clone());
        seen.push(src.clone());
        match before.and_then(|b| b.get(&src)) {
            None => out.push(DiffItem {
                section,
                name: name.clone(),
                change: "added",
                details: vec![],
            }),
            Some(old) => {
                let details = changed_keys(&to_value(old), &to_value(item));
                if src != *name {
                    let mut d = vec![format!("renamed from `{src}` (stored values move with it)")];
                    d.extend(details);
                    out.push(DiffItem {
                        section,
                        name: name.clone(),
                        change: "renamed",
                        details: d,
                    });
                } else if !details.is_empty() {
                    out.push(DiffItem {
                        section,
                        name: name.clone(),
                        change: "changed",
                        details,
                    });
                }
            }
        }
    }
    for name in before.into_iter().flat_map(|b| b.keys()) {
        if !seen.contains(name) {
            out.push(DiffItem {
                section,
                name: name.clone(),
                change: "removed",
                details: if section == "fields" {
                    vec!["stored values are kept, hidden; adding the field back shows them".into()]
                } else {
                    vec![]
                },
            });
        }
    }
    out
}

/// The draft against the published version (or against nothing, for a first publication).
pub fn diff(published: Option<&AppDef>, draft: &AppDef, changes: &DraftChanges) -> Vec<DiffItem> {
    let mut out = Vec::new();
    let top = |d: &AppDef| {
        let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("fields");
            o.remove("views");
            o.remove("operations");
        }
        v
    };
    if let Some(p) = published {
        let details = changed_keys(&top(p), &top(draft));
        if !details.is_empty() {
            out.push(DiffItem {
                section: "app",
                name: draft.slug.clone(),
                change: "changed",
                details,
            });
        }
    }
    let mut fields = section_diff(
        "fields",
        published.map(|p| &p.fields),
        &draft.fields,
        &|n| changes.renames.get(n).cloned(),
    );
    // A lines field's columns read one by one rather than as one long JSON value.
    for item in &mut fields {
        let before = published.and_then(|p| p.fields.get(changes.source_key(&item.name)));
        if let (Some(b), Some(a)) = (before, draft.fields.get(&item.name)) {
            let same = |x: &FieldDef, y: &FieldDef| {
                serde_json::to_string(&x.columns).ok() == serde_json::to_string(&y.columns).ok()
            };
            if b.kind == FieldType::Lines && a.kind == FieldType::Lines && !same(b, a) {
                item.details.retain(|d| !d.starts_with("columns: "));
                item.details
                    .extend(super::line_evolution::column_diff(&b.columns, &a.columns));
            }
        }
    }
    out.extend(fields);
    for (field, m) in &changes.option_maps {
        for (from, to) in m {
            out.push(DiffItem {
                section: "fields",
                name: field.clone(),
                change: "changed",
                details: vec![format!("records with `{from}` get `{to}`")],
            });
        }
    }
    out.extend(section_diff(
        "views",
        published.map(|p| &p.views),
        &draft.views,
        &|_| None,
    ));
    out.extend(section_diff(
        "operations",
        published.map(|p| &p.operations),
        &draft.operations,
        &|_| None,
    ));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const APP: &str = r#"
slug = "t"
name = "T"
[fields]
a = { type = "text", label = "A" }
n = { type = "text", label = "N" }
c = { type = "choice", label = "C", options = ["X", "Y", "Z"] }
"#;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    #[test]
    fn a_rename_moves_values_and_a_swap_keeps_both() {
        let p = AppDef::parse(APP).unwrap();
        let mut d = p.clone();
        let mut ch = DraftChanges::default();
        d.rename_field("a", "tmp").unwrap();
        ch.note_rename("a", "tmp", Some(&p));
        d.rename_field("n", "a").unwrap();
        ch.note_rename("n", "a", Some(&p));
        d.rename_field("tmp", "n").unwrap();
        ch.note_rename("tmp", "n", Some(&p));
        let plan = plan(Some(&p), &d, &ch);
        let out = plan.apply(&json!({"a": "1", "n": "2"}), today()).unwrap();
        assert_eq!(out, json!({"a": "2", "n": "1"}));
        assert!(diff(Some(&p), &d, &ch)
            .iter()
            .any(|i| i.change == "renamed" && i.name == "n"));
    }

    #[test]
    fn a_retype_that_does_not_fit_is_counted() {
        let p = AppDef::parse(APP).unwrap();
        let d = AppDef::parse(&APP.replace("n = { type = \"text\"", "n = { type = \"number\""))
            .unwrap();
        let ch = DraftChanges::default();
        let checks = fields_to_check(Some(&p), &d, &ch);
        let mut t = MisfitTally::default();
        t.add(&checks, &ch, 1, &json!({"n": "12"}), today());
        t.add(&checks, &ch, 2, &json!({"n": "twelve"}), today());
        let m = t.finish();
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].count, m[0].sample_ids.clone()), (1, vec![2]));
        assert_eq!(m[0].path(), "fields.n.type");
    }

    #[test]
    fn a_dropped_option_in_use_needs_a_mapping() {
        let p = AppDef::parse(APP).unwrap();
        let d = AppDef::parse(&APP.replace("\"X\", \"Y\", \"Z\"", "\"X\", \"Y\"")).unwrap();
        let mut ch = DraftChanges::default();
        let checks = fields_to_check(Some(&p), &d, &ch);
        let mut t = MisfitTally::default();
        t.add(&checks, &ch, 7, &json!({"c": "Z"}), today());
        assert_eq!(t.finish()[0].path(), "fields.c.options");
        ch.option_maps
            .insert("c".into(), [("Z".to_string(), "Y".to_string())].into());
        let mut t = MisfitTally::default();
        t.add(&checks, &ch, 7, &json!({"c": "Z"}), today());
        assert!(t.finish().is_empty());
        let out = plan(Some(&p), &d, &ch)
            .apply(&json!({"c": "Z"}), today())
            .unwrap();
        assert_eq!(out, json!({"c": "Y"}));
    }
}
