//! How the web words what happened: engine messages as plain sentences (no backticks, labels
//! instead of internal names such as `date_from`), and the success message after an operation.
//! MCP shows the engine's messages as they are: its clients need the machine names.
use crate::engine::definition::{AppDef, OperationDef, OperationKind, ViewDef};
use crate::engine::FieldError;

/// Internal names (fields, view parameters) and the labels people see for them.
pub struct Names(Vec<(String, String)>);

impl Names {
    /// No names known: only the quoting changes.
    pub fn of_nothing() -> Names {
        Names(Vec::new())
    }

    /// The fields of an app, and a view's parameters when the message is about a view.
    pub fn of(def: &AppDef, view: Option<&ViewDef>) -> Names {
        let mut names: Vec<(String, String)> = Vec::new();
        if let Some(v) = view {
            for (n, p) in &v.parameters {
                let label = p
                    .label
                    .clone()
                    .or_else(|| def.fields.get(p.field.as_str()).map(|f| f.label.clone()));
                names.push((n.clone(), label.unwrap_or_else(|| humane(n))));
            }
        }
        for (n, f) in &def.fields {
            names.push((n.clone(), f.label.clone()));
        }
        Names(names)
    }

    fn label(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.as_str())
    }
}

/// `date_from` → "Date from": how an unnamed internal name reads.
fn humane(name: &str) -> String {
    sentence_case(&name.replace('_', " "))
}

fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A message as one sentence: capitalised, ending with a full stop.
pub fn sentence(s: &str) -> String {
    let s = sentence_case(s.trim());
    if s.is_empty() || s.ends_with(['.', '!', '?']) {
        s
    } else {
        format!("{s}.")
    }
}

/// An engine message in plain words: a quoted internal name becomes its label, other quoted text
/// is quoted with typographic quotes, and snake_case names (and the names a "takes:" list or
/// "the record's …" names) become labels.
pub fn plain(names: &Names, message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, part) in message.split('`').enumerate() {
        if i % 2 == 1 {
            match names.label(part) {
                Some(label) => out.push_str(label),
                None => {
                    out.push('“');
                    out.push_str(part);
                    out.push('”');
                }
            }
        } else {
            out.push_str(&unquoted(names, part));
        }
    }
    out.replace(" 1 decimal places", " 1 decimal place")
}

fn unquoted(names: &Names, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |out: &mut String, word: &mut String| {
        if !word.is_empty() {
            let listed = out.contains("takes: ") || out.ends_with("record's ");
            let internal = word.contains('_') || listed;
            match names.label(word).filter(|_| internal) {
                Some(label) if out.ends_with("record's ") => out.push_str(&label.to_lowercase()),
                Some(label) => out.push_str(label),
                None if word.contains('_')
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()) =>
                {
                    out.push_str(&humane(word))
                }
                None => out.push_str(word),
            }
            word.clear();
        }
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut out, &mut word);
            out.push(c);
        }
    }
    flush(&mut out, &mut word);
    out
}

/// A field error as a sentence that names its field, beside its input or away from it:
/// "Manager comment is required.", "Net amount: “abc” is not an amount; write it like 12.50."
pub fn field_error(names: &Names, e: &FieldError) -> String {
    let label = names.label(&e.field).map(String::from).unwrap_or_else(|| {
        if e.label == e.field {
            humane(&e.label)
        } else {
            e.label.clone()
        }
    });
    let message = plain(names, &e.message);
    let predicate = message.split(' ').next().is_some_and(|w| {
        [
            "is", "are", "must", "would", "has", "needs", "cannot", "should", "may",
        ]
        .contains(&w)
    });
    if predicate {
        sentence(&format!("{label} {message}"))
    } else {
        sentence(&format!("{label}: {message}"))
    }
}

/// What the record page says after an operation succeeded: "Submitted.", "Approved.",
/// "Marked delivered.", "Claim created.".
pub fn done(op: &OperationDef) -> String {
    let title = op.title.trim();
    if op.kind == OperationKind::Create {
        return match title.strip_prefix("New ") {
            Some(thing) if !thing.is_empty() => sentence(&format!("{thing} created")),
            _ => "Created.".into(),
        };
    }
    if op.kind == OperationKind::Delete {
        return "Deleted.".into();
    }
    let (verb, rest) = title.split_once(' ').unwrap_or((title, ""));
    let past = past_tense(&verb.to_lowercase());
    if rest.is_empty() {
        sentence(&past)
    } else {
        sentence(&format!("{past} {}", rest.to_lowercase()))
    }
}

fn past_tense(verb: &str) -> String {
    match verb {
        "submit" => "submitted".into(),
        "send" => "sent".into(),
        "pay" => "paid".into(),
        "set" | "put" | "reset" => verb.into(),
        "make" => "made".into(),
        "stop" => "stopped".into(),
        v if v.ends_with('e') => format!("{v}d"),
        v if v.ends_with('y') && !v.ends_with("ay") && !v.ends_with("ey") && !v.ends_with("oy") => {
            format!("{}ied", &v[..v.len() - 1])
        }
        v => format!("{v}ed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names(vec![
            ("date_from".into(), "From".into()),
            ("date_to".into(), "To".into()),
            ("category".into(), "Category".into()),
            ("status".into(), "Status".into()),
            ("net_amount".into(), "Net amount".into()),
        ])
    }

    #[test]
    fn engine_messages_read_as_plain_sentences() {
        let n = names();
        assert_eq!(
            sentence(&plain(&n, "`abc` is not a number")),
            "“abc” is not a number."
        );
        assert_eq!(
            sentence(&plain(
                &n,
                "unknown parameter; this view takes: date_from, date_to, category"
            )),
            "Unknown parameter; this view takes: From, To, Category."
        );
        assert_eq!(
            plain(&n, "`net_amount` is not among the inputs"),
            "Net amount is not among the inputs"
        );
        assert_eq!(
            plain(
                &n,
                "\"Submit\" needs the record's status to be draft; it is submitted"
            ),
            "\"Submit\" needs the record's status to be draft; it is submitted"
        );
        assert_eq!(
            plain(&n, "must be set when net_amount is"),
            "must be set when Net amount is"
        );
        assert_eq!(
            plain(&n, "3.456 has 1 decimal places; JPY amounts have at most 0"),
            "3.456 has 1 decimal place; JPY amounts have at most 0"
        );
        assert!(!plain(&Names::of_nothing(), "no published app `x_y`").contains('`'));
    }

    #[test]
    fn field_errors_are_sentences_that_name_their_field() {
        let required = FieldError {
            field: "net_amount".into(),
            label: "Net amount".into(),
            message: "is required".into(),
        };
        assert_eq!(field_error(&names(), &required), "Net amount is required.");
        let bad = FieldError {
            message: "`abc` is not a number".into(),
            ..required
        };
        assert_eq!(
            field_error(&names(), &bad),
            "Net amount: “abc” is not a number."
        );
    }

    #[test]
    fn errors_away_from_their_input_carry_the_label() {
        let e = FieldError {
            field: "date_frm".into(),
            label: "date_frm".into(),
            message: "unknown parameter; this view takes: date_from, date_to".into(),
        };
        assert_eq!(
            field_error(&names(), &e),
            "Date frm: unknown parameter; this view takes: From, To."
        );
    }

    #[test]
    fn past_tenses_of_operation_titles() {
        for (verb, past) in [
            ("submit", "submitted"),
            ("approve", "approved"),
            ("reject", "rejected"),
            ("assign", "assigned"),
            ("mark", "marked"),
            ("fill", "filled"),
            ("copy", "copied"),
            ("decline", "declined"),
        ] {
            assert_eq!(past_tense(verb), past);
        }
    }
}
