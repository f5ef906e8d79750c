//! Shaping tool results: view pages within a byte budget, operation outcomes, errors.
use super::catalog::{DEFAULT_LIMIT, MAX_LIMIT};
use super::switch::ViewRows;
use crate::engine::definition::{AppDef, DataFormat, FieldType, ViewDef};
use crate::engine::lookups::LookupTitles;
use crate::engine::value::display_value;
use crate::engine::{Change, EngineError, OperationOutcome, ViewPage};
use crate::store::RecordRow;
use base64::Engine as _;
use rmcp::model::{CallToolResult, ContentBlock as Content};
use serde_json::{json, Map, Value};

/// Decodes a `cursor` argument into an offset.
pub fn decode_cursor(c: &str) -> Option<u64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let s = String::from_utf8(bytes).ok()?;
    // Offsets this server hands out stay far below this; larger ones are forged.
    s.strip_prefix("o:")?
        .parse()
        .ok()
        .filter(|o: &u64| *o <= MAX_CURSOR_OFFSET)
}

/// The largest offset a cursor may carry (SQL offsets are signed 64-bit).
const MAX_CURSOR_OFFSET: u64 = 1 << 40;

pub fn encode_cursor(offset: u64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

/// The page size asked for, within bounds.
pub fn limit_arg(v: Option<&Value>) -> Result<u64, String> {
    match v {
        None | Some(Value::Null) => Ok(DEFAULT_LIMIT),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
            _ => Err(format!("`limit` must be an integer from 1 to {MAX_LIMIT}")),
        },
        Some(_) => Err("`limit` must be an integer".into()),
    }
}

/// One row in the view's data format; a lookup's title (as the caller may see it) goes beside
/// its id: in the cell ("Apollo (#12)"), or under `titles` of a full row.
pub fn row_json(
    page: &ViewPage,
    view: &ViewDef,
    r: &RecordRow,
    attachments: &[crate::store::AttachmentRow],
    titles: &LookupTitles,
) -> Value {
    match view.mcp.format {
        DataFormat::Columns => columns_row_with(&page.app.def, view, r, titles),
        DataFormat::Full => {
            let mut row = full_row(r, attachments);
            let mut shown: Map<String, Value> = page
                .app
                .def
                .fields
                .keys()
                .filter_map(|f| {
                    let t = titles.shown(&page.app.def, f, &r.data)?;
                    (!t.is_empty()).then(|| (f.clone(), Value::String(t)))
                })
                .collect();
            shown.extend(line_titles(&page.app.def, &r.data, titles));
            if !shown.is_empty() {
                row["titles"] = Value::Object(shown);
            }
            // The view's looked-up columns, which are no fields of the record.
            let looked_up: Map<String, Value> = view
                .columns
                .iter()
                .filter(|c| crate::engine::lookup_paths::split(c).is_some())
                .filter_map(|c| {
                    let t = titles.shown(&page.app.def, c, &r.data)?;
                    Some((c.clone(), Value::String(t)))
                })
                .collect();
            if !looked_up.is_empty() {
                row["looked_up"] = Value::Object(looked_up);
            }
            row
        }
    }
}

/// The titles of the records that lookup columns of line items hold, as the caller may see
/// them, under `<field>.<line id>.<column>` (`items.l2.project`).
pub fn line_titles(def: &AppDef, data: &Value, titles: &LookupTitles) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, f) in &def.fields {
        for (col, c) in crate::engine::lines::lookup_columns(f) {
            for line in crate::engine::lines::stored_lines(data.get(name).unwrap_or(&Value::Null)) {
                let (Some(id), Some(v)) = (
                    line.get("id").and_then(Value::as_str),
                    line.get(col).filter(|v| !v.is_null()),
                ) else {
                    continue;
                };
                if let Some(t) = titles.show(c, v) {
                    out.insert(format!("{name}.{id}.{col}"), Value::String(t));
                }
            }
        }
    }
    out
}

/// The names of a View Columns row's values, in order: id, version, then the view's columns.
pub fn column_names(view: &ViewDef) -> Vec<String> {
    let mut names = vec!["id".to_string(), "version".to_string()];
    names.extend(view.columns.iter().cloned());
    names
}

/// A row as the view's columns, display-formatted: an array in the order of
/// [`column_names`] (the names go once per page, not once per row).
pub fn columns_row(
    def: &crate::engine::definition::AppDef,
    view: &ViewDef,
    r: &RecordRow,
) -> Value {
    columns_row_with(def, view, r, &LookupTitles::default())
}

/// [`columns_row`] with the titles of looked-up records the caller may see.
fn columns_row_with(
    def: &crate::engine::definition::AppDef,
    view: &ViewDef,
    r: &RecordRow,
    titles: &LookupTitles,
) -> Value {
    let mut cells = Vec::with_capacity(view.columns.len() + 2);
    cells.push(r.id.into());
    cells.push(r.version.into());
    for c in &view.columns {
        let s = match (
            titles.shown(def, c, &r.data),
            r.data.get(c).and_then(Value::as_i64),
        ) {
            // A looked-up field: the target's value as displayed (or why it is not shown).
            (Some(t), _) if crate::engine::lookup_paths::split(c).is_some() => t,
            (Some(t), Some(id)) if !t.is_empty() => format!("{t} (#{id})"),
            _ => display_value(def, c, &r.data),
        };
        cells.push(if s.is_empty() {
            Value::Null
        } else {
            Value::String(s)
        });
    }
    Value::Array(cells)
}

/// A row as the full record, attachments as references.
pub fn full_row(r: &RecordRow, attachments: &[crate::store::AttachmentRow]) -> Value {
    json!({
        "id": r.id,
        "version": r.version,
        "created_at": r.created_at.to_rfc3339(),
        "updated_at": r.updated_at.to_rfc3339(),
        "fields": r.data,
        "attachments": attachments.iter().filter(|a| a.record_id == Some(r.id)).map(|a| json!({
            "id": a.id, "field": a.field, "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256
        })).collect::<Vec<_>>(),
    })
}

/// Room kept for the sentences saying a row's lines were cut short.
const CUT_NOTE_BYTES: usize = 400;

/// A view page as a tool result, cut short (with a cursor) before it exceeds `budget` bytes; the
/// rows go in `structuredContent` and, unless `rows_in` says otherwise, also in the text. A Full
/// row too large alone keeps only the first lines of its lines fields that fit (`mcp::lines`).
pub fn view_result(
    page: &ViewPage,
    rows: Vec<Value>,
    budget: usize,
    rows_in: ViewRows,
) -> CallToolResult {
    let with_text = rows_in == ViewRows::TextAndStructured;
    let view = page.def();
    let full = view.mcp.format == DataFormat::Full;
    let mut kept = Vec::new();
    // Full rows are written out once here and reused as the text form.
    let mut full_text = Vec::new();
    let mut used = 200usize;
    let mut truncated = false;
    let weight = if with_text { 2 } else { 1 };
    // Sentences for rows whose lines were cut short.
    let mut cuts = String::new();
    for mut r in rows {
        let mut json = serde_json::to_string(&r).unwrap_or_default();
        // The JSON, and its text rendering when there is one.
        let mut size = json.len() * weight + 16;
        if used + size > budget && !kept.is_empty() {
            truncated = true;
            break;
        }
        if used + size > budget && full {
            // The page's first row alone is over the budget: it keeps the first lines that fit,
            // and the lines' read tool gives the rest.
            let room = budget.saturating_sub(used + 16 + CUT_NOTE_BYTES);
            let id = r["id"].as_i64().unwrap_or_default();
            for (field, returned, total) in
                super::lines::fit_lines(&page.app.def, &mut r, room, weight)
            {
                let s = super::lines::cut_sentence(&page.app.def, id, &field, returned, total);
                used += s.len();
                cuts.push_str(&s);
            }
            json = serde_json::to_string(&r).unwrap_or_default();
            size = json.len() * weight + 16;
        }
        used += size;
        kept.push(r);
        if full && with_text {
            full_text.push(json);
        }
    }
    let next_offset = page.offset + kept.len() as u64;
    let next_cursor =
        (next_offset < page.total && !kept.is_empty()).then(|| encode_cursor(next_offset));
    let mut text = summary_line(
        kept.len(),
        page.total,
        page.total_exact,
        page.offset,
        next_cursor.as_deref(),
        truncated,
    );
    text.push_str(&cuts);
    if !with_text {
        text.push_str("The rows are in structuredContent (`rows`");
        text.push_str(if full {
            ").\n"
        } else {
            ", in the order of `columns`).\n"
        });
    } else if full {
        for line in &full_text {
            text.push_str(line);
            text.push('\n');
        }
    } else {
        text_table(&mut text, &kept, view);
    }
    let mut structured = json!({
        "rows": kept,
        "total": page.total,
        "total_exact": page.total_exact,
        "returned": kept.len(),
        "offset": page.offset,
        "next_cursor": next_cursor,
        "truncated": truncated,
    });
    if !full {
        structured["columns"] = json!(column_names(view));
    }
    let mut result = CallToolResult::success(vec![Content::text(text)]);
    result.structured_content = Some(structured);
    result
}

fn summary_line(
    returned: usize,
    total: u64,
    exact: bool,
    offset: u64,
    next: Option<&str>,
    truncated: bool,
) -> String {
    format!(
        "{returned} of {}{total} matching records (from #{}){}{}\n",
        if exact { "" } else { "more than " },
        offset + 1,
        if truncated {
            "; cut short to fit the size budget"
        } else {
            ""
        },
        next.map(|c| format!("; next_cursor: {c}"))
            .unwrap_or_default()
    )
}

/// The View Columns rows as a `|`-separated table under a header line.
fn text_table(out: &mut String, rows: &[Value], view: &ViewDef) {
    out.push_str(&column_names(view).join(" | "));
    out.push('\n');
    for r in rows {
        let cells = r.as_array().map(Vec::as_slice).unwrap_or_default();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            match cell {
                Value::Null => {}
                Value::String(s) => out.push_str(&s.replace('|', "/").replace('\n', " ")),
                v => out.push_str(&v.to_string()),
            }
        }
        out.push('\n');
    }
}

/// A field's value as shown to people and models: money with its currency's minor units.
fn shown(def: &AppDef, field: &str, value: &Value, record: &Value) -> Value {
    // Totals per currency stay the object the result's schema describes.
    let money = def
        .fields
        .get(field)
        .is_some_and(|f| f.kind.is_numeric() && !crate::engine::line_totals::is_totals(f));
    if !money || value.is_null() {
        return value.clone();
    }
    let mut probe = record.as_object().cloned().unwrap_or_default();
    probe.insert(field.to_string(), value.clone());
    Value::String(display_value(def, field, &Value::Object(probe)))
}

/// An operation outcome as a tool result.
pub fn operation_result(
    def: &AppDef,
    out: &OperationOutcome,
    title: &str,
    token: Option<String>,
) -> CallToolResult {
    let empty = Value::Null;
    let data = out.data.as_ref().unwrap_or(&empty);
    let record = out.data.as_ref().map(|d| match d {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), shown(def, k, v, d)))
                .collect(),
        ),
        other => other.clone(),
    });
    let summary_changes: Vec<Change> = out
        .changes
        .iter()
        .map(|c| Change {
            field: c.field.clone(),
            label: c.label.clone(),
            before: shown(def, &c.field, &c.before, data),
            after: shown(def, &c.field, &c.after, data),
        })
        .collect();
    let lines_of = |c: &Change| match def.fields.get(&c.field) {
        Some(f) if f.kind == FieldType::Lines => {
            Some(crate::engine::lines::line_changes(f, &c.before, &c.after))
        }
        _ => None,
    };
    let changes: Vec<Value> = summary_changes
        .iter()
        .map(|c| {
            let mut v =
                json!({"field": c.field, "label": c.label, "before": c.before, "after": c.after});
            if let Some(lines) = lines_of(c) {
                v["lines"] = json!(lines);
            }
            v
        })
        .collect();
    let summary: Vec<String> = summary_changes
        .iter()
        .flat_map(|c| match lines_of(c) {
            // Line by line, then the ids to send back for the lines kept.
            Some(lines) => {
                let ids: Vec<&str> = crate::engine::lines::stored_lines(&c.after)
                    .iter()
                    .filter_map(|l| l.get("id").and_then(Value::as_str))
                    .collect();
                let mut out: Vec<String> =
                    lines.iter().map(|l| format!("{}: {l}", c.label)).collect();
                out.push(format!(
                    "{}: {} now, ids in order: {}",
                    c.label,
                    crate::engine::lines::count_phrase(ids.len()),
                    if ids.is_empty() {
                        "none".into()
                    } else {
                        ids.join(", ")
                    }
                ));
                out
            }
            None => vec![format!(
                "{}: {} → {}",
                c.label,
                short(&c.before),
                short(&c.after)
            )],
        })
        .collect();
    let text = if out.applied {
        if out.deleted {
            format!(
                "\"{title}\" done: record {} deleted.",
                out.record_id.unwrap_or_default()
            )
        } else {
            format!(
                "\"{title}\" done: record {} is now at version {}.\n{}",
                out.record_id.unwrap_or_default(),
                out.version,
                summary.join("\n")
            )
        }
    } else {
        format!(
            "Preview only — nothing was changed. \"{title}\" would make these changes:\n{}\nConfirm with the user, then call again with the same arguments and \"confirmation_token\": \"{}\" (valid 10 minutes).",
            if summary.is_empty() { "(no field changes)".into() } else { summary.join("\n") },
            token.as_deref().unwrap_or("")
        )
    };
    let mut result = CallToolResult::success(vec![Content::text(text)]);
    result.structured_content = Some(json!({
        "applied": out.applied,
        "record_id": out.record_id,
        "version": out.version,
        "deleted": out.deleted,
        "changes": changes,
        "record": record,
        "confirmation_token": token,
    }));
    result
}

/// Longest text value the change summary repeats whole; a receipt check's sentences fit (the
/// structured result always has the values whole).
const SUMMARY_TEXT_CHARS: usize = 600;

fn short(v: &Value) -> String {
    match v {
        Value::Null => "(empty)".into(),
        Value::String(s) if s.chars().count() > SUMMARY_TEXT_CHARS => {
            let kept: String = s.chars().take(SUMMARY_TEXT_CHARS).collect();
            let more = s.chars().count() - SUMMARY_TEXT_CHARS;
            format!("{kept}… ({more} more characters in structuredContent)")
        }
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// A tool error the model can act on.
pub fn tool_error(code: &str, message: impl Into<String>, fields: Option<Value>) -> CallToolResult {
    let message = message.into();
    let mut r = CallToolResult::error(vec![Content::text(message.clone())]);
    let mut error = json!({"code": code, "message": message, "fields": fields});
    // The request's id, which the server's log lines carry too: what an operator searches for.
    if let Some(id) = crate::operate::request_id::current() {
        error["request_id"] = json!(id);
    }
    r.structured_content = Some(json!({ "error": error }));
    r
}

/// Maps an engine refusal to a tool error.
pub fn engine_error(e: &EngineError) -> (CallToolResult, &'static str) {
    let code = match e {
        EngineError::AppNotFound(_) => "app_unpublished",
        EngineError::ViewNotFound { .. } | EngineError::OperationNotFound { .. } => {
            "tool_unavailable"
        }
        EngineError::RecordNotFound(_) => "not_found",
        EngineError::Forbidden(_) => "permission_denied",
        EngineError::Invalid(_) => "invalid_input",
        EngineError::Precondition(_) => "precondition_failed",
        EngineError::Stale { .. } => "stale_version",
        EngineError::Definition(_) | EngineError::Conflict(_) => "conflict",
        EngineError::Store(crate::store::StoreError::Full) => "storage_full",
        EngineError::Store(_) => "server_error",
    };
    let fields = match e {
        EngineError::Invalid(errs) => Some(json!(errs)),
        _ => None,
    };
    let msg = match e {
        EngineError::Invalid(errs) => format!(
            "Some values were refused; fix them and call again:\n{}",
            errs.iter()
                .map(|f| format!("- {}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        EngineError::Store(s @ crate::store::StoreError::Full) => s.to_string(),
        EngineError::Store(_) => {
            "The server could not complete the request; try again shortly.".to_string()
        }
        e => e.to_string(),
    };
    (tool_error(code, msg, fields), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_summaries_repeat_a_receipt_check_whole_and_say_when_a_long_text_is_cut() {
        let check = "The receipt says net 118.00 EUR, tax 22.42 EUR (19 %), total 140.42 EUR; the claim has net 181.00 EUR, which does not match the receipt (sure: 0.97).";
        assert_eq!(short(&json!(check)), check);
        let long = "x".repeat(SUMMARY_TEXT_CHARS + 5);
        let cut = short(&json!(long));
        assert!(cut.starts_with(&"x".repeat(SUMMARY_TEXT_CHARS)));
        assert!(cut.ends_with("… (5 more characters in structuredContent)"));
        assert_eq!(short(&Value::Null), "(empty)");
    }
}
