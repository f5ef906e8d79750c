//! Generated AI descriptions and instructions for views and operations: what a tool returns or
//! changes, each parameter or input with its type, allowed values and units, preconditions, and
//! what to confirm with the user. Administrators may replace them; "regenerate" restores these.
use super::definition::{AppDef, FieldDef, FieldType, OperationDef, OperationKind, ViewDef};
use super::lookup_paths::{field_of, label_of as name_label, Paths};

/// How a field's values are written, for a language model.
pub fn field_format(def: &AppDef, f: &FieldDef) -> String {
    match f.kind {
        FieldType::Text => match f.max_len {
            Some(n) => format!("text, at most {n} characters"),
            None => "text".into(),
        },
        FieldType::LongText => "text (several lines allowed)".into(),
        FieldType::Number => "a number".into(),
        FieldType::Money => {
            let cur = f
                .currency_field
                .as_ref()
                .and_then(|c| def.fields.get(c))
                .map(|c| format!(" in the currency given by \"{}\"", c.label))
                .unwrap_or_default();
            format!("a decimal amount as a string such as \"12.50\"{cur}, not negative, with no more decimals than the currency's minor units (2 for EUR/USD, 0 for JPY)")
        }
        FieldType::Date => "a date as YYYY-MM-DD".into(),
        FieldType::Currency => "an ISO 4217 currency code such as EUR, USD, GBP".into(),
        FieldType::Choice => format!("one of: {}", f.options.join(", ")),
        FieldType::User => "a username".into(),
        FieldType::File => "an attachment (image or PDF)".into(),
        FieldType::Photo => "a photo (JPEG, PNG or WebP image)".into(),
        FieldType::YesNo => "yes or no, as true or false".into(),
        FieldType::MultiChoice => format!(
            "a list of any of: {} (each at most once)",
            f.options.join(", ")
        ),
        FieldType::Email => "an email address such as name@example.org".into(),
        FieldType::Phone => {
            "a phone number; with + and the country code it is stored in E.164 (+442079460958)"
                .into()
        }
        FieldType::Url => "an http or https address".into(),
        FieldType::Integer => {
            let unit = f.unit.as_deref().map(|u| format!(" in {u}")).unwrap_or_default();
            let bounds = match (&f.min, &f.max) {
                (Some(a), Some(b)) => format!(" from {a} to {b}"),
                (Some(a), None) => format!(", at least {a}"),
                (None, Some(b)) => format!(", at most {b}"),
                (None, None) => String::new(),
            };
            format!("a whole number{unit}{bounds}, no decimals")
        }
        FieldType::DateTime => {
            "a date and time in RFC 3339 with its offset, e.g. 2026-03-05T14:30:00+01:00; returned in UTC"
                .into()
        }
        FieldType::Geolocation => {
            "a place as an object {\"lat\": 48.8584, \"lon\": 2.2945} in WGS 84 decimal degrees (latitude -90 to 90, longitude -180 to 180, at most 7 decimals; an optional accuracy_m in metres)".into()
        }
        FieldType::Lines => {
            let columns = f
                .columns
                .iter()
                .map(|(n, c)| {
                    let req = if c.required { ", required" } else { "" };
                    format!("`{n}` ({}: {}{req})", c.label, field_format(def, c))
                })
                .collect::<Vec<_>>()
                .join("; ");
            let bounds = match f.min_rows.filter(|m| *m > 0) {
                Some(m) => format!("at least {m} and at most {}", super::lines::max_rows(f)),
                None => format!("at most {}", super::lines::max_rows(f)),
            };
            format!("a list of line items ({bounds}), each an object with {columns}. Send the whole list every time: a line with the `id` it was read with (\"l1\", …) updates that line (a column left out keeps its value), a line without `id` is added, and a stored line left out is removed; the order sent is kept")
        }
        FieldType::Lookup => format!(
            "the id (a whole number) of a record of the app `{}` that you may read; find ids by title with this app's `find` tool for the field",
            f.app.as_deref().unwrap_or_default()
        ),
        FieldType::Computed if super::line_totals::is_totals(f) => format!(
            "read-only, computed as {}: an object from currency code to the sum of that currency's lines, e.g. {{\"CHF\": \"33.00\", \"EUR\": \"120.50\"}} (shown as \"CHF 33.00 · EUR 120.50\"), or null without amounts",
            f.expr.as_deref().unwrap_or("")
        ),
        FieldType::Computed => format!("computed as {}", f.expr.as_deref().unwrap_or("")),
        FieldType::Converted => format!(
            "read-only: \"{}\" converted into the site's home currency with the exchange rate of \"{}\" (the latest rate on or before that date){}, a decimal amount followed by the currency code, or a message saying which rate is missing",
            label_of(def, f.source.as_deref()),
            label_of(def, f.date_field.as_deref()),
            if f.source.as_deref().is_some_and(|s| s.contains('.')) {
                ", each line converted and then added up"
            } else {
                ""
            }
        ),
    }
}

/// A field's label, or a line column's ("Items › Net" for `items.net`).
fn label_of(def: &AppDef, field: Option<&str>) -> String {
    let Some(name) = field else {
        return String::new();
    };
    if let Some((lines, col)) = name.split_once('.') {
        return def
            .fields
            .get(lines)
            .and_then(|l| Some(format!("{} › {}", l.label, l.columns.get(col)?.label)))
            .unwrap_or_default();
    }
    def.fields
        .get(name)
        .map(|f| f.label.clone())
        .unwrap_or_default()
}

/// Generated description of a view tool.
pub fn view_description(def: &AppDef, paths: &Paths, view: &ViewDef) -> String {
    let scope = view.scope.phrase();
    let cols: Vec<String> = view
        .columns
        .iter()
        .filter_map(|c| name_label(def, paths, c))
        .collect();
    let mut s = format!(
        "Lists {scope} of the {} app in the \"{}\" view, {} page by page. Each row has the record id, its version and: {}.",
        def.name,
        view.title,
        sort_phrase(def, view),
        cols.join(", ")
    );
    if view.mcp.format == super::definition::DataFormat::Columns {
        s.push_str(" Rows are arrays in the order of the result's `columns`.");
    }
    if !view.filters.is_empty() {
        let f: Vec<String> = view
            .filters
            .iter()
            .map(|f| {
                let l = name_label(def, paths, &f.field).unwrap_or_else(|| f.field.clone());
                format!("{l} {} {}", f.op.phrase(), f.value)
            })
            .collect();
        s.push_str(&format!(" Only records where {}.", f.join(" and ")));
    }
    if !view.description.is_empty() {
        s.push(' ');
        s.push_str(&view.description);
    }
    s
}

/// Generated instructions of a view tool.
pub fn view_instructions(def: &AppDef, paths: &Paths, view: &ViewDef) -> String {
    let mut s = String::new();
    if view.parameters.is_empty() {
        s.push_str("This view takes no filter parameters.");
    } else {
        s.push_str("Filter in the database with the parameters rather than reading every page: ");
        let p: Vec<String> = view
            .parameters
            .iter()
            .filter_map(|(n, p)| {
                let f = field_of(def, paths, &p.field)?;
                let l = name_label(def, paths, &p.field)?;
                let through = if paths.contains_key(&p.field) {
                    ", of the record the lookup refers to"
                } else {
                    ""
                };
                Some(format!(
                    "`{n}` ({l}{through} {}; {})",
                    p.op.phrase(),
                    field_format(def, f)
                ))
            })
            .collect();
        s.push_str(&p.join("; "));
        s.push('.');
    }
    s.push_str(" Results are paged: pass `limit` (default 25) and, to continue, the `next_cursor` you received as `cursor`. `total` tells how many records match; do not claim a complete answer while `truncated` is true or a `next_cursor` remains.");
    s
}

/// Generated description of an operation tool.
pub fn operation_description(def: &AppDef, op: &OperationDef) -> String {
    let what = match op.kind {
        OperationKind::Create => format!("Creates a new {} record", def.name),
        OperationKind::Update => format!("Updates an existing {} record", def.name),
        OperationKind::Transition => format!(
            "Moves a {} record to the state {}",
            def.name,
            op.to.as_deref().unwrap_or("")
        ),
        OperationKind::Delete => format!("Permanently deletes a {} record", def.name),
    };
    let mut s = format!("\"{}\": {what}", op.title);
    if !op.inputs.is_empty() {
        let labels: Vec<String> = op.inputs.iter().map(|i| label(def, i)).collect();
        s.push_str(&format!(", setting {}", labels.join(", ")));
    }
    s.push('.');
    if !op.description.is_empty() {
        s.push(' ');
        s.push_str(&op.description);
    }
    s
}

/// Generated instructions of an operation tool.
pub fn operation_instructions(def: &AppDef, op: &OperationDef) -> String {
    let mut parts = Vec::new();
    if op.needs_record() {
        parts.push("Pass `record_id` (from a view) and, to guard against concurrent edits, the `expected_version` you read.".to_string());
    }
    if !op.from.is_empty() {
        parts.push(format!(
            "Only possible while {} is {}.",
            label(def, def.state_field.as_deref().unwrap_or("status")),
            op.from.join(" or ")
        ));
    }
    if !op.when.is_empty() {
        let c: Vec<String> = op.when.iter().map(|c| c.phrase(def)).collect();
        parts.push(format!(
            "Only possible when {}; otherwise the call is refused with the reason.",
            c.join(" and ")
        ));
    }
    match op.scope {
        super::definition::Scope::Reports | super::definition::Scope::AllReports => parts.push(
            format!("Works on {}.", op.scope.phrase().trim_start_matches("the ")),
        ),
        _ => {}
    }
    if !op.requires.is_empty() {
        let r: Vec<String> = op.requires.iter().map(|f| label(def, f)).collect();
        parts.push(format!(
            "These must already be filled in: {}.",
            r.join(", ")
        ));
    }
    for i in &op.inputs {
        if let Some(f) = def.fields.get(i) {
            let note = super::field_rules::input_note(def, op, i);
            let req = if super::field_rules::always_required(def, op, i) {
                "required".to_string()
            } else if !note.is_empty() {
                format!("{note}; otherwise omit to leave unchanged")
            } else {
                "optional; omit to leave unchanged".to_string()
            };
            let help = if f.help.is_empty() {
                String::new()
            } else {
                format!(" {}", f.help)
            };
            parts.push(format!(
                "`{i}` — {}: {} ({req}).{help}",
                f.label,
                field_format(def, f)
            ));
        }
    }
    for v in &op.verify {
        if let Some(f) = def.fields.get(v) {
            parts.push(format!(
                "`{v}` — optional: the {} printed on the document, as a cross-check; the call is refused if it differs from {} by more than one minor unit.",
                f.label,
                f.expr.as_deref().unwrap_or("")
            ));
        }
    }
    if let Some(cc) = &op.cross_check {
        parts.push(format!(
            "Read the {} first with the `{}_read_{}` tool and send the values as printed; Formwork compares them with its own reading and notes differences for the approver.",
            label(def, &cc.file),
            def.slug,
            cc.file
        ));
    }
    if op.not_own {
        parts.push("A user cannot run this on their own record.".into());
    }
    let confirm = match op.kind {
        OperationKind::Delete => "This cannot be undone: confirm with the user before calling.",
        OperationKind::Transition => "Confirm with the user before calling; the change is recorded in the record's history.",
        _ => "Show the user the values you are about to send and let them correct them before calling.",
    };
    parts.push(confirm.into());
    if op.requires_confirmation() {
        parts.push("The first call only previews the change and returns a `confirmation_token`; call again with the same arguments plus that token to apply it.".into());
    }
    parts.join(" ")
}

fn label(def: &AppDef, field: &str) -> String {
    def.fields
        .get(field)
        .map(|f| f.label.clone())
        .unwrap_or_else(|| field.to_string())
}

fn sort_phrase(def: &AppDef, view: &ViewDef) -> String {
    match view.sort.first() {
        Some(s) if s.starts_with('-') => format!("newest {} first", label(def, &s[1..])),
        Some(s) => format!("ordered by {}", label(def, s)),
        None => "newest first".into(),
    }
}
