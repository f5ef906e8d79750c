//! Cross-checks of an operation's inputs: computed totals a caller sends for verification, and
//! the comparison of entered values with what was read from an attached file.
use super::definition::{AppDef, FieldType, OperationDef};
use super::value::{parse_money, stored_decimal, CurrencyCode, Raw};
use super::{Engine, FieldError};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The currency of a money or computed field in `data`.
fn currency_of(def: &AppDef, field: &str, data: &Map<String, Value>) -> Option<CurrencyCode> {
    let f = def.fields.get(field)?;
    let cf = f.currency_field.clone().or_else(|| {
        let terms = super::definition::parse_expr(f.expr.as_deref()?).ok()?;
        terms
            .iter()
            .find_map(|(_, t)| def.fields.get(t)?.currency_field.clone())
    })?;
    CurrencyCode::parse(data.get(&cf)?.as_str()?).ok()
}

/// Checks each given `verify` input against the computed value (within one minor unit). A value
/// that is the computed one plus `tip` (a tip entered or read from the receipt, which the
/// expression leaves out) is accepted too: the printed grand total of a receipt with a tip.
pub fn verify_computed(
    def: &AppDef,
    op: &OperationDef,
    inputs: &BTreeMap<String, Raw>,
    data: &Map<String, Value>,
    tip: Option<Decimal>,
    errors: &mut Vec<FieldError>,
) {
    for name in &op.verify {
        let Some(raw) = inputs.get(name) else {
            continue;
        };
        let label = def
            .fields
            .get(name)
            .map(|f| f.label.clone())
            .unwrap_or_else(|| name.clone());
        if raw.is_empty() {
            continue;
        }
        let text = raw.as_text().unwrap_or_else(|| "?".into());
        let given = match parse_money(&text) {
            Ok(d) => d,
            Err(message) => {
                errors.push(FieldError {
                    field: name.clone(),
                    label,
                    message,
                });
                continue;
            }
        };
        let units = currency_of(def, name, data)
            .map(|c| c.minor_units())
            .unwrap_or(2);
        let tolerance = Decimal::new(1, units);
        let expr = def
            .fields
            .get(name)
            .and_then(|f| f.expr.clone())
            .unwrap_or_default();
        match data.get(name).and_then(stored_decimal) {
            Some(computed) if same_or_with_tip(computed, given, tip, tolerance) => {}
            Some(computed) => errors.push(FieldError {
                field: name.clone(),
                label,
                message: format!(
                    "{given} does not match {expr} = {computed} (allowed difference {tolerance}); check the amounts"
                ),
            }),
            None => errors.push(FieldError {
                field: name.clone(),
                label,
                message: format!("cannot be checked: {expr} is incomplete"),
            }),
        }
    }
}

/// Whether `given` is `computed`, or `computed` plus the tip, within `tolerance`.
fn same_or_with_tip(
    computed: Decimal,
    given: Decimal,
    tip: Option<Decimal>,
    tolerance: Decimal,
) -> bool {
    (computed - given).abs() <= tolerance
        || tip.is_some_and(|t| (computed.saturating_add(t) - given).abs() <= tolerance)
}

/// Confidence from which a read value is held against an entered one: the one from which the
/// web form shows a suggestion as sure (`receipts::suggest::SURE_FROM`), so a reading shown as
/// unsure (a name that looks misread, an amount nothing confirms) never flags a claim.
const CHECKED_FROM: f64 = crate::receipts::suggest::SURE_FROM;

/// The suggestions stored for the file the operation's cross-check names.
async fn read_suggestions(
    engine: &Engine,
    op: &OperationDef,
    data: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let cc = op.cross_check.as_ref()?;
    let att_id = data.get(&cc.file)?.as_i64()?;
    let att = engine.store().attachment(att_id).await.ok()??;
    let meta: Value = serde_json::from_str(&att.meta).ok()?;
    meta.get("suggestions")?.as_object().cloned()
}

/// The tip on top of net and tax: the app's `tip` field when one is entered and no computed
/// field adds it already, else the tip read from the cross-checked receipt.
pub async fn tip_of(
    engine: &Engine,
    def: &AppDef,
    op: &OperationDef,
    data: &Map<String, Value>,
) -> Option<Decimal> {
    if tip_counted(def) {
        return None;
    }
    match entered_tip(def, data) {
        Some(t) => Some(t),
        None => read_tip(&read_suggestions(engine, op, data).await?),
    }
}

/// Whether a computed field of the app adds the tip already.
fn tip_counted(def: &AppDef) -> bool {
    def.fields.values().any(|f| {
        f.expr
            .as_deref()
            .and_then(|e| super::definition::parse_expr(e).ok())
            .is_some_and(|terms| terms.iter().any(|(_, t)| t == "tip"))
    })
}

/// The app's `tip` field, when it has one and a value is entered.
fn entered_tip(def: &AppDef, data: &Map<String, Value>) -> Option<Decimal> {
    def.fields
        .contains_key("tip")
        .then(|| data.get("tip").and_then(stored_decimal))
        .flatten()
}

/// [`tip_of`] with the receipt's suggestions at hand.
fn tip_with(
    def: &AppDef,
    data: &Map<String, Value>,
    suggestions: &Map<String, Value>,
) -> Option<Decimal> {
    if tip_counted(def) {
        return None;
    }
    entered_tip(def, data).or_else(|| read_tip(suggestions))
}

fn read_tip(suggestions: &Map<String, Value>) -> Option<Decimal> {
    let tip = suggestions.get("tip")?;
    let confidence = tip.get("confidence").and_then(Value::as_f64).unwrap_or(0.0);
    (confidence >= CHECKED_FROM)
        .then(|| tip.get("value").and_then(stored_decimal))
        .flatten()
}

/// Compares the values in `data` with the suggestions stored for the attached file; returns a
/// note of the differences (`None` when they agree or nothing was read). A total read from a
/// receipt with a tip matches the entered total plus that tip.
pub async fn cross_check(
    engine: &Engine,
    def: &AppDef,
    op: &OperationDef,
    data: &Map<String, Value>,
) -> Option<String> {
    let suggestions = read_suggestions(engine, op, data).await?;
    let diffs = differences(def, &suggestions, data);
    (!diffs.is_empty()).then(|| format!("Check against the receipt — {}", diffs.join("; ")))
}

/// Where the values in `data` differ from the suggestions read with confidence (stored as
/// [`crate::receipts::Suggestions`] serialises them), one phrase per field; empty when they
/// agree. What [`cross_check`] notes, and what the receipt corpus counts as false alarms when
/// `data` holds a receipt's true values.
pub fn differences(
    def: &AppDef,
    suggestions: &Map<String, Value>,
    data: &Map<String, Value>,
) -> Vec<String> {
    let tip = tip_with(def, data, suggestions);
    let mut diffs = Vec::new();
    for (name, s) in suggestions {
        let Some(f) = def.fields.get(name) else {
            continue;
        };
        let (Some(read), Some(entered)) = (s.get("value"), data.get(name)) else {
            continue;
        };
        if entered.is_null() {
            continue;
        }
        let confidence = s.get("confidence").and_then(Value::as_f64).unwrap_or(0.0);
        if confidence < CHECKED_FROM {
            continue;
        }
        let same = match f.kind {
            FieldType::Money | FieldType::Number | FieldType::Computed => {
                match (stored_decimal(read), stored_decimal(entered)) {
                    (Some(a), Some(b)) => same_or_with_tip(b, a, tip, Decimal::new(1, 2)),
                    _ => true,
                }
            }
            FieldType::Text => {
                let (a, b) = (fold(&text(read)), fold(&text(entered)));
                a.contains(&b) || b.contains(&a)
            }
            _ => text(read).eq_ignore_ascii_case(&text(entered)),
        };
        if !same {
            diffs.push(format!(
                "{}: entered {}, the receipt seems to say {} ({:.0}% sure)",
                f.label,
                text(entered),
                text(read),
                confidence * 100.0
            ));
        }
    }
    diffs
}

/// Lowercase letters and digits without accents: OCR often drops diacritics ("Löwen" → "Lowen").
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkd()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn a_total_with_the_tip_on_top_matches() {
        let cent = Decimal::new(1, 2);
        assert!(same_or_with_tip(d("131.96"), d("131.96"), None, cent));
        assert!(!same_or_with_tip(d("131.96"), d("158.35"), None, cent));
        assert!(same_or_with_tip(
            d("131.96"),
            d("158.35"),
            Some(d("26.39")),
            cent
        ));
        assert!(!same_or_with_tip(
            d("131.96"),
            d("160.00"),
            Some(d("26.39")),
            cent
        ));
    }

    #[test]
    fn only_a_tip_read_with_some_confidence_counts() {
        let sure = json!({"tip": {"value": "2.00", "confidence": 0.9, "source": "Tip 2.00"}});
        assert_eq!(read_tip(sure.as_object().unwrap()), Some(d("2.00")));
        let unsure = json!({"tip": {"value": "2.00", "confidence": 0.3, "source": "Tip 2.00"}});
        assert_eq!(read_tip(unsure.as_object().unwrap()), None);
        assert_eq!(read_tip(json!({}).as_object().unwrap()), None);
    }

    #[test]
    fn only_sure_readings_that_differ_are_noted() {
        let app = AppDef::parse(crate::demo::EXPENSE_CLAIMS).unwrap();
        let read = json!({
            "supplier": {"value": "Café Löwen GmbH", "confidence": 0.9, "source": ""},
            "net": {"value": "10.00", "confidence": 0.9, "source": ""},
            "tax": {"value": "1.90", "confidence": 0.4, "source": ""},
            "total": {"value": "13.90", "confidence": 0.9, "source": ""},
            "tip": {"value": "2.00", "confidence": 0.9, "source": ""},
            "currency": {"value": "EUR", "confidence": 0.9, "source": ""}
        });
        let read = read.as_object().unwrap();
        // The sample app's total counts the tip entered (net + tax + tip).
        let claim = |net: &str, tax: &str| {
            let total = (d(net) + d(tax) + d("2.00")).to_string();
            json!({"supplier": "Cafe Lowen", "net": net, "tax": tax, "tip": "2.00", "total": total, "currency": "eur"})
                .as_object()
                .unwrap()
                .clone()
        };
        // Accents folded, the name's legal form left off, the tip in the total: agreed.
        assert!(differences(&app, read, &claim("10.00", "1.90")).is_empty());
        // An app without a tip field: its total (net + tax) agrees with a total read with a sure
        // tip on top.
        let no_tip = AppDef::parse(
            r#"
slug = "bills"
name = "Bills"
[fields]
supplier = { type = "text", label = "Supplier name" }
net = { type = "money", label = "Net amount", currency_field = "currency" }
tax = { type = "money", label = "Taxes", currency_field = "currency" }
total = { type = "computed", label = "Total", expr = "net + tax" }
currency = { type = "currency", label = "Currency" }
"#,
        )
        .unwrap();
        let plain = json!({"supplier": "Cafe Lowen", "net": "10.00", "tax": "1.90", "total": "11.90", "currency": "eur"});
        assert!(differences(&no_tip, read, plain.as_object().unwrap()).is_empty());
        let mut tipless = read.clone();
        tipless.remove("tip");
        let notes = differences(&no_tip, &tipless, plain.as_object().unwrap());
        assert!(notes.iter().any(|n| n.starts_with("Total")), "{notes:?}");
        // The tax is read unsure, so a different tax is not held against the claim, but the
        // net is.
        let notes = differences(&app, read, &claim("11.00", "0.90"));
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with("Net amount: entered 11.00"),
            "{notes:?}"
        );
        assert!(notes[0].ends_with("(90% sure)"), "{notes:?}");
    }
}
