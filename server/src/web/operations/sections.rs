//! An operation form's layout: its sections in order (a fieldset with a legend each), inputs and
//! read-only values, and the fields shown only under a condition. The rules are the engine's
//! (`engine::field_rules`); this only decides what a form without JavaScript shows: a field whose
//! condition reads another input of the same form is shown with a note ("only when Category is
//! Lodging") and left to the server on submit; one whose condition is settled by the record is
//! shown or left out.
use super::InputView;
use crate::engine::definition::{AppDef, OperationDef};
use crate::engine::field_rules;
use std::collections::BTreeSet;

/// One titled group of the form (untitled: no fieldset).
pub(crate) struct GroupView {
    pub title: String,
    pub items: Vec<ItemView>,
}

/// An input, or a field shown read-only with its value.
pub(crate) struct ItemView {
    pub input: Option<InputView>,
    /// The field's name (read-only entries: ties the value to its label).
    pub name: String,
    pub label: String,
    pub shown: String,
}

/// Fields whose visibility can change while the form is filled in: their rule reads an input of
/// the form, or another such field.
pub(crate) fn live_fields(def: &AppDef, op: &OperationDef) -> BTreeSet<String> {
    let mut live: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = live.len();
        for (name, f) in &def.fields {
            let reads = f
                .visible_when
                .as_ref()
                .map(|r| r.fields())
                .unwrap_or_default();
            if reads
                .iter()
                .any(|r| op.inputs.iter().any(|i| i == r) || live.contains(*r))
            {
                live.insert(name.clone());
            }
        }
        if live.len() == before {
            return live;
        }
    }
}

/// The form's groups from its inputs (already built, by name) and the record as the operation
/// starts from it (`prospective`).
pub(crate) fn groups(
    def: &AppDef,
    op: &OperationDef,
    mut inputs: Vec<InputView>,
    prospective: &serde_json::Value,
) -> Vec<GroupView> {
    let live = live_fields(def, op);
    let hidden = field_rules::hidden_fields(def, prospective);
    let mut out = Vec::new();
    for (title, entries) in field_rules::layout(op) {
        let mut items = Vec::new();
        for e in entries {
            let settled_hidden = hidden.contains(&e.field) && !live.contains(&e.field);
            if settled_hidden {
                continue;
            }
            if e.editable {
                let Some(at) = inputs.iter().position(|i| i.name == e.field) else {
                    continue;
                };
                let mut input = inputs.remove(at);
                let rule = def.fields.get(&e.field);
                if live.contains(&e.field) {
                    input.note = sentence(&field_rules::input_note(def, op, &e.field));
                    input.rule = rule
                        .and_then(|f| f.visible_when.as_ref())
                        .and_then(|r| serde_json::to_string(r).ok())
                        .unwrap_or_default();
                } else if let Some(r) = rule.and_then(|f| f.required_when.as_ref()) {
                    input.note = sentence(&format!("required when {}", r.phrase(def)));
                }
                // A field shown under a condition is required only then: the note says so.
                if rule.is_some_and(|f| f.visible_when.is_some()) && live.contains(&e.field) {
                    input.required = false;
                }
                items.push(ItemView {
                    input: Some(input),
                    name: e.field.clone(),
                    label: String::new(),
                    shown: String::new(),
                });
            } else {
                let label = def
                    .fields
                    .get(&e.field)
                    .map(|f| f.label.clone())
                    .unwrap_or_default();
                let shown = crate::web::amounts::display_value(def, &e.field, prospective);
                items.push(ItemView {
                    input: None,
                    name: e.field.clone(),
                    label,
                    shown: if shown.is_empty() {
                        "—".into()
                    } else {
                        shown
                    },
                });
            }
        }
        if !items.is_empty() {
            out.push(GroupView { title, items });
        }
    }
    out
}

/// "Only when Category is Lodging.": a note as a sentence.
fn sentence(note: &str) -> String {
    let mut chars = note.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
