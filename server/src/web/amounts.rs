//! Amounts as people read them on the web: thousands separators and the currency code
//! ("1,234.50 EUR"). Only pages use this; MCP results, CSV exports and form values keep the
//! machine form ("1234.50") that `engine::value::display_value` gives.
use crate::engine::definition::{AppDef, FieldType};
use serde_json::Value;

/// [`crate::engine::value::display_value`], with money (and money sums) grouped by thousands
/// and followed by its currency code when the record has one.
pub fn display_value(def: &AppDef, field: &str, data: &Value) -> String {
    let plain = crate::engine::value::display_value(def, field, data);
    let Some(f) = def.fields.get(field) else {
        return plain;
    };
    match f.kind {
        // Totals per currency: "CHF 33.00 · EUR 1,120.50".
        FieldType::Computed if crate::engine::line_totals::is_totals(f) => {
            crate::engine::line_totals::parts(data.get(field).unwrap_or(&Value::Null))
                .iter()
                .map(|(code, amount)| format!("{code} {}", group_thousands(amount)))
                .collect::<Vec<_>>()
                .join(" · ")
        }
        FieldType::Money | FieldType::Computed if !plain.is_empty() => {
            let grouped = group_thousands(&plain);
            match currency_of(def, field, data) {
                Some(code) => format!("{grouped} {code}"),
                None => grouped,
            }
        }
        FieldType::Number if !plain.is_empty() => group_thousands(&plain),
        // "1122.67 EUR (1 CAD = …)": the amount leads; a missing rate ("— no CAD rate …") stays.
        FieldType::Converted => group_leading_amount(&plain),
        _ => plain,
    }
}

/// The currency code of a money field in one record (a computed sum: of its first term).
fn currency_of(def: &AppDef, field: &str, data: &Value) -> Option<String> {
    let f = def.fields.get(field)?;
    if f.expr
        .as_deref()
        .and_then(crate::engine::lines::parse_aggregate)
        .is_some()
    {
        // A sum over line items: the currency its lines share.
        return crate::engine::lines::aggregate_currency(def, f, data);
    }
    let currency_field = f.currency_field.clone().or_else(|| {
        f.expr
            .as_deref()
            .and_then(|e| crate::engine::definition::parse_expr(e).ok())
            .and_then(|t| {
                t.first()
                    .and_then(|(_, n)| def.fields.get(n))
                    .and_then(|d| d.currency_field.clone())
            })
    })?;
    data.get(&currency_field)
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(String::from)
}

/// A home-currency amount as shown ("1122.67 EUR (1 CAD = …)"), its leading amount grouped by
/// thousands; anything else (a missing-rate message) comes back unchanged.
pub fn group_leading_amount(s: &str) -> String {
    match s.split_once(' ') {
        Some((amount, rest)) => format!("{} {rest}", group_thousands(amount)),
        None => group_thousands(s),
    }
}

/// "1234567.5" → "1,234,567.5"; anything that is not a plain decimal comes back unchanged.
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::group_thousands;

    #[test]
    fn thousands_are_grouped_and_fractions_kept() {
        assert_eq!(group_thousands("5.00"), "5.00");
        assert_eq!(group_thousands("1234.50"), "1,234.50");
        assert_eq!(group_thousands("1234567"), "1,234,567");
        assert_eq!(group_thousands("-999999.1"), "-999,999.1");
        assert_eq!(group_thousands("n/a"), "n/a");
    }
}
