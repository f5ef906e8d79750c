//! Conditional fields (`visible_when`, `required_when`) and an operation's layout (`sections`,
//! `read_only`). Conditions use the comparisons of an operation's `when` (`conditions.rs`) and
//! are evaluated here, against the record as the operation would leave it, for the web and MCP
//! alike.
use super::conditions::Condition;
use super::definition::{AppDef, DefinitionError, OperationDef, OperationKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// A rule on other fields of the record: one comparison, `all = [...]`, `any = [...]`, or a plain
/// list (all of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldRule {
    All { all: Vec<FieldRule> },
    Any { any: Vec<FieldRule> },
    List(Vec<FieldRule>),
    One(Condition),
}

/// One titled group of an operation's form, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    pub fields: Vec<String>,
}

impl FieldRule {
    /// Whether the record's data meets the rule.
    pub fn holds(&self, def: &AppDef, data: &Value) -> bool {
        match self {
            FieldRule::All { all: l } | FieldRule::List(l) => l.iter().all(|r| r.holds(def, data)),
            FieldRule::Any { any } => any.iter().any(|r| r.holds(def, data)),
            FieldRule::One(c) => c.check(def, data).is_ok(),
        }
    }

    /// "Category is Lodging or Category is Travel", for notes, descriptions and refusals.
    pub fn phrase(&self, def: &AppDef) -> String {
        let join = |l: &[FieldRule], word: &str| {
            let parts: Vec<String> = l
                .iter()
                .map(|r| match r {
                    FieldRule::One(c) => c.phrase(def),
                    r => format!("({})", r.phrase(def)),
                })
                .collect();
            parts.join(word)
        };
        match self {
            FieldRule::All { all: l } | FieldRule::List(l) => join(l, " and "),
            FieldRule::Any { any } => join(any, " or "),
            FieldRule::One(c) => c.phrase(def),
        }
    }

    /// Every comparison of the rule with its path below `path`.
    fn leaves<'a>(&'a self, path: &str, out: &mut Vec<(String, &'a Condition)>) {
        let mut each = |l: &'a [FieldRule], p: String| {
            for (i, r) in l.iter().enumerate() {
                r.leaves(&format!("{p}[{i}]"), out);
            }
        };
        match self {
            FieldRule::All { all } => each(all, format!("{path}.all")),
            FieldRule::Any { any } => each(any, format!("{path}.any")),
            FieldRule::List(l) => each(l, path.to_string()),
            FieldRule::One(c) => out.push((path.to_string(), c)),
        }
    }

    /// The fields the rule reads.
    pub fn fields(&self) -> BTreeSet<&str> {
        let mut leaves = Vec::new();
        self.leaves("", &mut leaves);
        leaves.into_iter().map(|(_, c)| c.field.as_str()).collect()
    }

    /// Renames a field wherever the rule reads it.
    pub fn rename(&mut self, old: &str, new: &str) {
        match self {
            FieldRule::All { all: l } | FieldRule::Any { any: l } | FieldRule::List(l) => {
                l.iter_mut().for_each(|r| r.rename(old, new))
            }
            FieldRule::One(c) if c.field == old => c.field = new.to_string(),
            FieldRule::One(_) => {}
        }
    }
}

/// The fields hidden on a record: those whose `visible_when` does not hold, a hidden field
/// counting as empty for the rules of others.
pub fn hidden_fields(def: &AppDef, data: &Value) -> BTreeSet<String> {
    let mut hidden = BTreeSet::new();
    // Rules form no cycle (checked with the definition), so this settles within one pass per
    // field.
    for _ in 0..=def.fields.len() {
        let masked = masked(data, &hidden);
        let next: BTreeSet<String> = def
            .fields
            .iter()
            .filter(|(_, f)| {
                f.visible_when
                    .as_ref()
                    .is_some_and(|r| !r.holds(def, &masked))
            })
            .map(|(n, _)| n.clone())
            .collect();
        if next == hidden {
            break;
        }
        hidden = next;
    }
    hidden
}

fn masked(data: &Value, hidden: &BTreeSet<String>) -> Value {
    let mut m = data.as_object().cloned().unwrap_or_default();
    for h in hidden {
        m.remove(h);
    }
    Value::Object(m)
}

/// Whether a visible field is required on the record by its `required_when`.
pub fn required_by_rule(
    def: &AppDef,
    field: &str,
    data: &Value,
    hidden: &BTreeSet<String>,
) -> bool {
    !hidden.contains(field)
        && def
            .fields
            .get(field)
            .and_then(|f| f.required_when.as_ref())
            .is_some_and(|r| r.holds(def, &masked(data, hidden)))
}

/// Whether an input is required whatever the record holds (no rule makes it so or hides it).
pub fn always_required(def: &AppDef, op: &OperationDef, field: &str) -> bool {
    let Some(f) = def.fields.get(field) else {
        return false;
    };
    f.visible_when.is_none()
        && (op.required.iter().any(|r| r == field)
            || (f.required && op.kind == OperationKind::Create))
}

/// What an input's rules say, for forms and tool descriptions: "only when Category is Lodging;
/// required when Nights is at least 2". Empty when the field has no rule.
pub fn input_note(def: &AppDef, op: &OperationDef, field: &str) -> String {
    let Some(f) = def.fields.get(field) else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(r) = &f.visible_when {
        parts.push(format!("only when {}", r.phrase(def)));
    }
    let required =
        op.required.iter().any(|r| r == field) || (f.required && op.kind == OperationKind::Create);
    if f.visible_when.is_some() && required {
        parts.push("required then".into());
    } else if let Some(r) = f.required_when.as_ref().filter(|_| !required) {
        parts.push(format!("required when {}", r.phrase(def)));
    }
    parts.join("; ")
}

/// Why a value sent for a hidden field is refused.
pub fn hidden_refusal(def: &AppDef, field: &str) -> String {
    match def.fields.get(field).and_then(|f| f.visible_when.as_ref()) {
        Some(r) => format!(
            "is used only when {}: leave it empty (or as it was), or change that first",
            r.phrase(def)
        ),
        None => "is not used on this record: leave it empty (or as it was)".into(),
    }
}

/// One entry of an operation's form: an input or a read-only field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutItem {
    pub field: String,
    pub editable: bool,
}

/// An operation's form in order: its sections (title, entries), then any input no section
/// names, in an untitled group.
pub fn layout(op: &OperationDef) -> Vec<(String, Vec<LayoutItem>)> {
    let item = |f: &String| LayoutItem {
        field: f.clone(),
        editable: op.inputs.contains(f),
    };
    if op.sections.is_empty() {
        let mut all: Vec<LayoutItem> = op.inputs.iter().map(item).collect();
        all.extend(op.read_only.iter().map(item));
        return vec![(String::new(), all)];
    }
    let mut out: Vec<(String, Vec<LayoutItem>)> = op
        .sections
        .iter()
        .map(|s| (s.title.clone(), s.fields.iter().map(item).collect()))
        .collect();
    let placed: BTreeSet<&String> = op.sections.iter().flat_map(|s| &s.fields).collect();
    let rest: Vec<LayoutItem> = op
        .inputs
        .iter()
        .chain(&op.read_only)
        .filter(|f| !placed.contains(f))
        .map(item)
        .collect();
    if !rest.is_empty() {
        out.push((String::new(), rest));
    }
    out
}

/// The record an operation starts from as its form sees it: the record's data (or a new record's
/// defaults) with a transition's target state already set.
pub fn prospective(def: &AppDef, op: &OperationDef, mut data: Map<String, Value>) -> Value {
    if let (Some(sf), Some(to), OperationKind::Transition) = (&def.state_field, &op.to, op.kind) {
        data.insert(sf.clone(), Value::String(to.clone()));
    }
    Value::Object(data)
}

/// Checks fields' `visible_when`/`required_when` and operations' `sections`/`read_only`.
pub(super) fn check_definition(def: &AppDef, errors: &mut Vec<DefinitionError>) {
    let mut problem =
        |path: String, message: String| errors.push(DefinitionError { path, message });
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, f) in &def.fields {
        for (key, rule) in [
            ("visible_when", &f.visible_when),
            ("required_when", &f.required_when),
        ] {
            let Some(rule) = rule else { continue };
            let p = format!("fields.{name}.{key}");
            let mut leaves = Vec::new();
            rule.leaves(&p, &mut leaves);
            if leaves.is_empty() {
                problem(
                    p.clone(),
                    "a condition needs at least one comparison".into(),
                );
            }
            for (lp, c) in leaves {
                if &c.field == name {
                    problem(
                        format!("{lp}.field"),
                        format!("`{name}` cannot depend on itself"),
                    );
                    continue;
                }
                super::conditions::check_condition(def, c, &lp, &mut problem);
            }
            if key == "visible_when" {
                graph.insert(name.as_str(), rule.fields());
            }
        }
    }
    // A field shown only when another is, which is shown only when the first is: no order in
    // which to decide them.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = graph[start].iter().copied().collect();
        while let Some(f) = stack.pop() {
            if f == *start {
                problem(
                    format!("fields.{start}.visible_when"),
                    format!("`{start}` is shown only through a chain of conditions that comes back to itself"),
                );
                break;
            }
            if seen.insert(f) {
                if let Some(next) = graph.get(f) {
                    stack.extend(next.iter().copied());
                }
            }
        }
    }
    for (name, o) in &def.operations {
        let p = format!("operations.{name}");
        for (i, f) in o.read_only.iter().enumerate() {
            let fp = format!("{p}.read_only[{i}]");
            if !def.fields.contains_key(f) {
                problem(fp, format!("unknown field `{f}`"));
            } else if o.inputs.contains(f) {
                problem(
                    fp,
                    format!("`{f}` is an input; a field is either editable or read-only"),
                );
            }
        }
        let mut placed = BTreeSet::new();
        for (s, section) in o.sections.iter().enumerate() {
            let sp = format!("{p}.sections[{s}]");
            if section.title.trim().is_empty() {
                problem(format!("{sp}.title"), "a section needs a title".into());
            }
            for (i, f) in section.fields.iter().enumerate() {
                let fp = format!("{sp}.fields[{i}]");
                if !def.fields.contains_key(f) {
                    problem(fp, format!("unknown field `{f}`"));
                } else if !o.inputs.contains(f) && !o.read_only.contains(f) {
                    problem(
                        fp,
                        format!("`{f}` is neither an input nor read-only in this operation"),
                    );
                } else if !placed.insert(f) {
                    problem(fp, format!("`{f}` is already in a section"));
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const APP: &str = r#"
slug = "t"
name = "T"
[fields]
category = { type = "choice", label = "Category", options = ["Travel", "Lodging", "Meals"] }
nights = { type = "integer", label = "Nights", visible_when = { any = [{ field = "category", op = "eq", value = "Lodging" }] } }
hotel = { type = "text", label = "Hotel", visible_when = [{ field = "nights", op = "gt", value = "0" }], required_when = { field = "nights", op = "gte", value = "2" } }
[operations.add]
title = "Add"
kind = "create"
roles = ["user"]
inputs = ["category", "nights", "hotel"]
sections = [{ title = "Stay", fields = ["nights", "hotel"] }]
"#;

    #[test]
    fn a_field_hidden_by_its_rule_hides_the_fields_that_depend_on_it() {
        let def = AppDef::parse(APP).unwrap();
        let data = serde_json::json!({"category": "Meals", "nights": 3, "hotel": "X"});
        let hidden = hidden_fields(&def, &data);
        assert!(
            hidden.contains("nights") && hidden.contains("hotel"),
            "{hidden:?}"
        );
        let data = serde_json::json!({"category": "Lodging", "nights": 3});
        let hidden = hidden_fields(&def, &data);
        assert!(hidden.is_empty(), "{hidden:?}");
        assert!(required_by_rule(&def, "hotel", &data, &hidden));
        let one = serde_json::json!({"category": "Lodging", "nights": 1});
        assert!(!required_by_rule(
            &def,
            "hotel",
            &one,
            &hidden_fields(&def, &one)
        ));
    }

    #[test]
    fn the_layout_follows_sections_then_the_inputs_left_over() {
        let def = AppDef::parse(APP).unwrap();
        let l = layout(&def.operations["add"]);
        assert_eq!(l[0].0, "Stay");
        assert_eq!(l[0].1[0].field, "nights");
        assert_eq!(l[1].1[0].field, "category");
    }

    #[test]
    fn bad_rules_and_layouts_are_refused_with_their_path() {
        let bad = r#"
slug = "t"
name = "T"
[fields]
a = { type = "text", label = "A", visible_when = { field = "b", op = "eq", value = "x" } }
b = { type = "text", label = "B", visible_when = { all = [{ field = "a", op = "eq", value = "x" }] } }
c = { type = "integer", label = "C", required_when = [{ field = "c", op = "gt", value = "1" }] }
d = { type = "integer", label = "D", visible_when = { any = [{ field = "zz", op = "eq", value = "1" }, { field = "c", op = "gt", value = "many" }] } }
[operations.add]
title = "Add"
kind = "create"
roles = ["user"]
inputs = ["a"]
read_only = ["a", "nope"]
sections = [{ title = "S", fields = ["b"] }]
"#;
        let errors = AppDef::parse(bad).expect_err("invalid");
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        for p in [
            "fields.a.visible_when",
            "fields.b.visible_when",
            "fields.c.required_when[0].field",
            "fields.d.visible_when.any[0].field",
            "fields.d.visible_when.any[1].value",
            "operations.add.read_only[0]",
            "operations.add.read_only[1]",
            "operations.add.sections[0].fields[0]",
        ] {
            assert!(paths.contains(&p), "{p} in {paths:?}");
        }
    }
}
