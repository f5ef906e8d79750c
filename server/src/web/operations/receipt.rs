//! The file beside an operation's form: the record's current file (an image, a PDF's first page,
//! or the text read from it) and the values read from it, mapped onto the operation's inputs,
//! with a "use these values" link that re-renders the form prefilled (no JavaScript). Works for
//! any app: every file field of the record with a value is shown; suggestions land on inputs of
//! the same name, or else on the one input of the matching type.
use crate::engine::definition::{AppDef, FieldType, OperationDef};
use crate::store::{AttachmentRow, RecordRow};
use crate::web::AppState;
use serde_json::Value;
use std::collections::HashMap;

/// Below this confidence a suggestion is marked "unsure" (the suggester gives 0..1: a labelled
/// line that adds up with the others scores high, a guess low).
pub(super) use crate::receipts::suggest::SURE_FROM;
/// The most of a file's text shown beside the form.
const MAX_TEXT_CHARS: usize = 4000;

/// One current file of the record, as the form shows it.
pub(crate) struct ReceiptView {
    pub id: i64,
    pub filename: String,
    pub label: String,
    /// A picture of it: the image's rendition or the PDF's first page.
    pub image: Option<String>,
    /// Otherwise what was read from it (PDF text or OCR), shortened.
    pub text: String,
}

/// A value read from the file, for one of the operation's inputs.
pub(crate) struct SuggestionView {
    pub field: String,
    pub label: String,
    /// As the form's input takes it ("12.50", "2026-03-05").
    pub value: String,
    pub unsure: bool,
    /// Where it was read ("TOTAL 12.50").
    pub source: String,
}

/// The attachments the record's file fields point at now (replaced files are history only).
pub(crate) fn current_files<'a>(
    def: &AppDef,
    record: &RecordRow,
    files: &'a [AttachmentRow],
) -> Vec<(&'a AttachmentRow, String)> {
    def.fields
        .iter()
        .filter(|(_, f)| f.kind.is_file())
        .filter_map(|(name, f)| {
            let id = record.data.get(name)?.as_i64()?;
            let att = files.iter().find(|a| a.id == id)?;
            Some((att, f.label.clone()))
        })
        .collect()
}

/// The record's current files and what was read from them, for `op`'s form. Empty when the
/// operation takes no value a file could give (its inputs are all files).
pub(super) async fn panel(
    state: &AppState,
    def: &AppDef,
    op: &OperationDef,
    record: &RecordRow,
) -> (Vec<ReceiptView>, Vec<SuggestionView>) {
    let takes_values = op
        .inputs
        .iter()
        .any(|i| def.fields.get(i).is_some_and(|f| !f.kind.is_file()));
    if !takes_values {
        return (vec![], vec![]);
    }
    let Ok(files) = state.engine.attachments(record).await else {
        return (vec![], vec![]);
    };
    let current = current_files(def, record, &files);
    let mut receipts = Vec::new();
    let mut suggestions = Vec::new();
    for (att, label) in current {
        let meta: Value = serde_json::from_str(&att.meta).unwrap_or_default();
        let derivatives = &meta["derivatives"];
        let image = if derivatives["page1"].is_string() {
            Some(format!("/files/{}/page1", att.id))
        } else if derivatives["mcp"].is_string() {
            Some(format!("/files/{}/mcp", att.id))
        } else if att.content_type.starts_with("image/") {
            Some(format!("/files/{}", att.id))
        } else {
            None
        };
        let text = if image.is_none() {
            let t = meta["pdf_text"]
                .as_str()
                .filter(|t| !t.trim().is_empty())
                .or_else(|| meta["ocr_text"].as_str())
                .unwrap_or_default();
            shorten(t)
        } else {
            String::new()
        };
        receipts.push(ReceiptView {
            id: att.id,
            filename: att.filename.clone(),
            label,
            image,
            text,
        });
        if suggestions.is_empty() {
            suggestions = mapped(def, op, &meta["suggestions"]);
        }
    }
    (receipts, suggestions)
}

/// The text without its blank lines, cut at [`MAX_TEXT_CHARS`].
fn shorten(t: &str) -> String {
    let t = t
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if t.chars().count() <= MAX_TEXT_CHARS {
        return t;
    }
    let cut: String = t.chars().take(MAX_TEXT_CHARS).collect();
    format!("{cut}…")
}

/// Suggestions (by the suggester's names) onto `op`'s inputs: an input of the same name first;
/// otherwise the operation's only input of the suggestion's type (a date, a currency, a money
/// amount for the total, a text naming a supplier, vendor or merchant).
pub(super) fn mapped(def: &AppDef, op: &OperationDef, suggestions: &Value) -> Vec<SuggestionView> {
    let Some(found) = suggestions.as_object() else {
        return vec![];
    };
    let inputs: Vec<&str> = op
        .inputs
        .iter()
        .map(String::as_str)
        .filter(|i| def.fields.get(*i).is_some_and(|f| !f.kind.is_file()))
        .collect();
    let only = |kind: FieldType, also: &dyn Fn(&str) -> bool| -> Option<&str> {
        let of_kind: Vec<&str> = inputs
            .iter()
            .copied()
            .filter(|i| def.fields.get(*i).is_some_and(|f| f.kind == kind) && also(i))
            .collect();
        (of_kind.len() == 1).then(|| of_kind[0])
    };
    let names_a_supplier = |i: &str| {
        let label = def
            .fields
            .get(i)
            .map(|f| f.label.to_lowercase())
            .unwrap_or_default();
        ["supplier", "vendor", "merchant", "payee", "shop", "store"]
            .iter()
            .any(|w| i.contains(w) || label.contains(w))
    };
    let mut out: Vec<SuggestionView> = Vec::new();
    let mut taken: HashMap<String, ()> = HashMap::new();
    // Exact names first, so a kind-based match never takes an input another suggestion names.
    let mut order: Vec<(&String, &Value)> = found.iter().collect();
    order.sort_by_key(|(k, _)| !inputs.contains(&k.as_str()));
    for (key, s) in order {
        let target = if inputs.contains(&key.as_str()) {
            Some(key.as_str())
        } else {
            match key.as_str() {
                "expense_date" | "date" => only(FieldType::Date, &|_| true),
                "currency" => only(FieldType::Currency, &|_| true),
                "total" => only(FieldType::Money, &|_| true),
                "supplier" => only(FieldType::Text, &names_a_supplier),
                _ => None,
            }
        };
        // A tip with no input of its own is still shown: the total read includes it.
        let shown_only = target.is_none() && key == "tip";
        let Some(field) = target
            .filter(|t| !taken.contains_key(*t))
            .or(shown_only.then_some(key.as_str()))
        else {
            continue;
        };
        let Some(value) = s.get("value").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }) else {
            continue;
        };
        taken.insert(field.to_string(), ());
        let confidence = s.get("confidence").and_then(Value::as_f64).unwrap_or(0.0);
        out.push(SuggestionView {
            field: field.to_string(),
            label: match def.fields.get(field) {
                Some(f) => f.label.clone(),
                None if shown_only => "Tip (in the total read; no field for it here)".into(),
                None => field.to_string(),
            },
            value,
            unsure: confidence < SURE_FROM,
            source: s
                .get("source")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .chars()
                .take(120)
                .collect(),
        });
    }
    // In the form's order.
    out.sort_by_key(|s| {
        op.inputs
            .iter()
            .position(|i| *i == s.field)
            .unwrap_or(usize::MAX)
    });
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// An app whose names share nothing with the suggester's: values land by type.
    const APP: &str = r#"
slug = "trips"
name = "Trips"
roles = ["staff"]
[fields]
vendor = { type = "text", label = "Vendor" }
note = { type = "text", label = "Note" }
paid_on = { type = "date", label = "Paid on" }
cost = { type = "money", label = "Cost", currency_field = "cur" }
cur = { type = "currency", label = "Currency" }
ticket = { type = "file", label = "Ticket" }
[views.all]
title = "All"
roles = ["staff"]
columns = ["vendor"]
[operations.add]
title = "Add"
kind = "create"
roles = ["staff"]
inputs = ["ticket"]
[operations.details]
title = "Details"
kind = "update"
roles = ["staff"]
inputs = ["vendor", "note", "paid_on", "cost", "cur"]
"#;

    #[test]
    fn suggestions_land_on_inputs_by_type_and_low_confidence_is_unsure() {
        let def = AppDef::parse(APP).unwrap();
        let op = &def.operations["details"];
        let read = serde_json::json!({
            "supplier": {"value": "Rail Co", "confidence": 0.9, "source": "RAIL CO"},
            "expense_date": {"value": "2026-03-05", "confidence": 0.95, "source": "05.03.2026"},
            "total": {"value": "12.50", "confidence": 0.4, "source": "12,50"},
            "net": {"value": "10.00", "confidence": 0.9, "source": "NET 10,00"},
            "currency": {"value": "EUR", "confidence": 0.8, "source": "€"},
        });
        let got = mapped(&def, op, &read);
        let by: Vec<(&str, &str, bool)> = got
            .iter()
            .map(|s| (s.field.as_str(), s.value.as_str(), s.unsure))
            .collect();
        assert_eq!(
            by,
            vec![
                ("vendor", "Rail Co", false),
                ("paid_on", "2026-03-05", false),
                ("cost", "12.50", true),
                ("cur", "EUR", false),
            ],
            "net has no input of its name and two money inputs would be ambiguous: only the total"
        );
    }

    #[test]
    fn an_operation_that_only_takes_files_gets_no_suggestions_by_type() {
        let def = AppDef::parse(APP).unwrap();
        let read = serde_json::json!({"total": {"value": "1", "confidence": 1.0}});
        assert!(mapped(&def, &def.operations["add"], &read).is_empty());
    }

    #[test]
    fn a_tip_without_an_input_is_still_shown() {
        let def = AppDef::parse(APP).unwrap();
        let read = serde_json::json!({
            "total": {"value": "158.35", "confidence": 0.9, "source": "TOTAL 158.35"},
            "tip": {"value": "26.39", "confidence": 0.9, "source": "Tip 26.39"},
        });
        let got = mapped(&def, &def.operations["details"], &read);
        let by: Vec<(&str, &str)> = got
            .iter()
            .map(|s| (s.field.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(by, vec![("cost", "158.35"), ("tip", "26.39")]);
        assert!(got[1].label.starts_with("Tip"));
    }
}
