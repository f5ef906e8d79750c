//! Line items within the byte budget. A Full view row whose lines would not fit the result's
//! budget carries only its first lines, and says so beside them (`"items:truncated":
//! {"returned": 40, "total": 1000, "next_lines_offset": 40}`); the read tool of a lines field
//! (`<app>_read_<field>`, read-only, listed with the app's views) pages through the lines of one
//! record from `lines_offset`, as many as fit the same budget. Who may read the record decides
//! who may read its lines (`Engine::record`, as for a file's read tool).
use super::catalog::tool_name;
use super::results::tool_error;
use super::switch::ViewRows;
use crate::engine::definition::{AppDef, FieldDef, FieldType};
use crate::engine::lines::stored_lines;
use crate::engine::{Actor, Engine, EngineError, PublishedApp};
use rmcp::model::{CallToolResult, ContentBlock as Content, Tool, ToolAnnotations};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The key beside a lines field in a Full row's `fields` saying that its lines were cut short.
pub fn truncated_key(field: &str) -> String {
    format!("{field}:truncated")
}

/// The read tool's name for lines field `field` of `def`.
pub fn read_tool_name(def: &AppDef, field: &str) -> String {
    tool_name(&def.slug, &format!("read_{field}"))
}

/// Bytes of a result besides its lines (summary text, the other keys).
const OVERHEAD: usize = 400;

/// Cuts the lines of one Full row (`row["fields"]`) so that the row's JSON fits `room` bytes
/// (each byte counted `weight` times: twice when the text repeats it). The lines fields are
/// filled in definition order, each from its first line, and every field cut gets its
/// `"<field>:truncated"` note. Returns the notes as (field, returned, total).
pub fn fit_lines(
    def: &AppDef,
    row: &mut Value,
    room: usize,
    weight: usize,
) -> Vec<(String, usize, usize)> {
    let names: Vec<String> = match row.get("fields").and_then(Value::as_object) {
        Some(fields) => def
            .fields
            .iter()
            .filter(|(n, f)| {
                f.kind == FieldType::Lines && fields.get(*n).is_some_and(Value::is_array)
            })
            .map(|(n, _)| n.clone())
            .collect(),
        None => return Vec::new(),
    };
    let mut taken: Vec<(String, Vec<Value>)> = Vec::new();
    if let Some(fields) = row.get_mut("fields").and_then(Value::as_object_mut) {
        for n in names {
            if let Some(Value::Array(all)) = fields.get_mut(&n) {
                let all = std::mem::take(all);
                taken.push((n, all));
            }
        }
    }
    // What the row weighs with its lines left out (and room for the notes).
    let bare = serde_json::to_string(&*row).map(|s| s.len()).unwrap_or(0) + 80 * taken.len();
    let mut left = room.saturating_sub(bare * weight);
    let Some(fields) = row.get_mut("fields").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for (name, all) in taken {
        let total = all.len();
        let mut kept = Vec::new();
        for line in all {
            let size = (serde_json::to_string(&line).map(|s| s.len()).unwrap_or(0) + 1) * weight;
            if size > left {
                break;
            }
            left -= size;
            kept.push(line);
        }
        let returned = kept.len();
        if returned < total {
            fields.insert(
                truncated_key(&name),
                json!({"returned": returned, "total": total, "next_lines_offset": returned}),
            );
            notes.push((name.clone(), returned, total));
            // Nothing after a field cut short: the next field's lines are read with its tool.
            left = 0;
        }
        fields.insert(name, Value::Array(kept));
    }
    notes
}

/// The sentence of a view result for a row whose lines were cut short.
pub fn cut_sentence(def: &AppDef, id: i64, field: &str, returned: usize, total: usize) -> String {
    format!(
        "Record {id}: {field} cut to the first {returned} of {total} lines to fit the size budget; read the rest with `{}` (record_id {id}, lines_offset {returned}).\n",
        read_tool_name(def, field)
    )
}

/// The read tool of a lines field.
pub fn read_tool(def: &AppDef, field: &str, f: &FieldDef) -> Tool {
    let input = json!({
        "type": "object",
        "properties": {
            "record_id": {"type": "integer", "description": "Id of the record whose lines to read"},
            "lines_offset": {"type": "integer", "minimum": 0, "default": 0, "description": format!("Skip this many lines: the `next_lines_offset` of the previous call, or of `{field}:truncated` in a view row")}
        },
        "required": ["record_id"],
        "additionalProperties": false
    });
    let output = json!({
        "type": "object",
        "properties": {
            "record_id": {"type": "integer"},
            "version": {"type": "integer"},
            "lines": {"type": "array", "items": super::field_types::stored_schema(f)["items"].clone()},
            "offset": {"type": "integer", "description": "Lines skipped before the first returned"},
            "returned": {"type": "integer"},
            "total": {"type": "integer", "description": "Lines the record has"},
            "next_lines_offset": {"type": ["integer", "null"], "description": "Pass as `lines_offset` for the next lines; null after the last"},
            "error": {"type": "object"}
        },
        "anyOf": [{"required": ["lines", "total", "returned"]}, {"required": ["error"]}]
    });
    let description = format!(
        "Returns the lines of \"{}\" ({field}) of one {} record, in order, from `lines_offset`: as many as fit one result, with `next_lines_offset` to continue. Use it when a view row's `{field}:truncated` says its lines were cut short, or to read a record's lines from a View Columns row.",
        f.label, def.name
    );
    let title = format!("{}: read {}", def.name, f.label);
    let as_map = |v: Value| Arc::new(v.as_object().cloned().unwrap_or_default());
    Tool::new(read_tool_name(def, field), description, as_map(input))
        .with_title(title.clone())
        .with_raw_output_schema(as_map(output))
        .with_annotations(
            ToolAnnotations::with_title(title)
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        )
}

/// Reads one page of a record's lines, for a caller the record is readable by.
pub async fn run(
    engine: &Engine,
    app: Arc<PublishedApp>,
    actor: &Actor,
    field: &str,
    args: &Map<String, Value>,
    budget: usize,
    rows_in: ViewRows,
) -> Result<CallToolResult, EngineError> {
    let Some(id) = args.get("record_id").and_then(Value::as_i64) else {
        return Ok(tool_error(
            "invalid_input",
            "`record_id` (integer) is required",
            None,
        ));
    };
    let offset = match args.get("lines_offset") {
        None | Some(Value::Null) => 0,
        Some(v) => match v.as_u64() {
            Some(o) => o as usize,
            None => {
                return Ok(tool_error(
                    "invalid_input",
                    "`lines_offset` must be a whole number, 0 or more",
                    None,
                ))
            }
        },
    };
    let access = engine.record(actor, &app.def.slug, id).await?;
    let lines = stored_lines(access.record.data.get(field).unwrap_or(&Value::Null));
    let total = lines.len();
    let with_text = rows_in == ViewRows::TextAndStructured;
    let weight = if with_text { 2 } else { 1 };
    let mut left = budget.saturating_sub(OVERHEAD);
    let mut kept: Vec<Value> = Vec::new();
    let mut text_lines = Vec::new();
    for line in lines.iter().skip(offset) {
        let json = serde_json::to_string(line).unwrap_or_default();
        let size = (json.len() + 1) * weight;
        // One line always goes, so that paging moves on whatever the budget.
        if size > left && !kept.is_empty() {
            break;
        }
        left = left.saturating_sub(size);
        kept.push(Value::Object((*line).clone()));
        if with_text {
            text_lines.push(json);
        }
    }
    let next = offset + kept.len();
    let next_offset = (next < total).then_some(next);
    let mut text = format!(
        "Record {id} (version {}): {} of {total} lines of {field} from line {}{}.\n",
        access.record.version,
        kept.len(),
        offset.min(total) + 1,
        match next_offset {
            Some(n) => format!("; next_lines_offset: {n}"),
            None => String::new(),
        }
    );
    if with_text {
        for l in &text_lines {
            text.push_str(l);
            text.push('\n');
        }
    } else {
        text.push_str("The lines are in structuredContent (`lines`).\n");
    }
    let mut r = CallToolResult::success(vec![Content::text(text)]);
    r.structured_content = Some(json!({
        "record_id": id,
        "version": access.record.version,
        "lines": kept,
        "offset": offset,
        "returned": next - offset.min(next),
        "total": total,
        "next_lines_offset": next_offset,
    }));
    Ok(r)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const APP: &str = r#"
slug = "t"
name = "T"
[fields]
what = { type = "text", label = "What" }
[fields.items]
type = "lines"
label = "Items"
max_rows = 1000
[fields.items.columns]
note = { type = "text", label = "Note" }
"#;

    fn row(n: usize) -> Value {
        let lines: Vec<Value> = (1..=n)
            .map(|i| json!({"id": format!("l{i}"), "note": "x".repeat(40)}))
            .collect();
        json!({"id": 1, "version": 1, "fields": {"what": "trip", "items": lines, "items:next": n + 1}})
    }

    #[test]
    fn a_row_whose_lines_do_not_fit_keeps_the_first_lines_and_says_how_many() {
        let def = AppDef::parse(APP).unwrap();
        let mut r = row(800);
        let notes = fit_lines(&def, &mut r, 10_000, 2);
        let (field, returned, total) = notes[0].clone();
        assert_eq!((field.as_str(), total), ("items", 800));
        assert!(returned > 10 && returned < 800, "{returned}");
        assert_eq!(r["fields"]["items"].as_array().unwrap().len(), returned);
        assert_eq!(r["fields"]["items"][0]["id"], "l1");
        assert_eq!(
            r["fields"]["items:truncated"],
            json!({"returned": returned, "total": 800, "next_lines_offset": returned})
        );
        assert!(serde_json::to_string(&r).unwrap().len() * 2 <= 10_000);
        // A row that fits is left whole.
        let mut small = row(3);
        assert!(fit_lines(&def, &mut small, 10_000, 2).is_empty());
        assert_eq!(small, row(3));
    }
}
