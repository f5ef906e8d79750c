//! The find tool of a lookup field (`<app>_find_<field>`): the records of the app it refers to
//! that the caller may choose, by title, so that a model can pass an operation the id it needs.
use super::catalog::tool_name;
use super::results::tool_error;
use crate::engine::definition::{AppDef, FieldDef};
use crate::engine::{Actor, Engine, EngineError, PublishedApp};
use rmcp::model::{CallToolResult, ContentBlock as Content, Tool, ToolAnnotations};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The tool's name for lookup field `field` of `def`, or for the lookup column `items.project`
/// of a lines field (`<app>_find_items_project`).
pub fn find_tool_name(def: &AppDef, field: &str) -> String {
    tool_name(&def.slug, &format!("find_{}", field.replace('.', "_")))
}

/// The tool's schema and texts.
pub fn find_tool(def: &AppDef, field: &str, f: &FieldDef) -> Tool {
    let target = f.app.as_deref().unwrap_or_default();
    // Where the id goes: the input, or the column of each line of a lines input.
    let pass = match field.split_once('.') {
        Some((lines, col)) => format!("Pass this as `{col}` of a line of `{lines}`"),
        None => format!("Pass this as `{field}`"),
    };
    let input = json!({
        "type": "object",
        "properties": {
            "query": {"type": "string", "maxLength": 200, "description": "Words of the record's title (case-insensitive), or its id; empty lists the first records"}
        },
        "additionalProperties": false
    });
    let output = json!({
        "type": "object",
        "properties": {
            "records": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer", "description": pass.clone()},
                "title": {"type": "string"}
            }, "required": ["id", "title"]}},
            "error": {"type": "object"}
        },
        "anyOf": [{"required": ["records"]}, {"required": ["error"]}]
    });
    let description = format!(
        "Finds records of the app `{target}` to choose for \"{}\" ({field}) of {}: returns the ids and titles of at most {} records you may read whose title contains `query`. {pass} in {}'s operations.",
        f.label,
        def.name,
        crate::engine::lookups::FIND_LIMIT,
        def.name,
    );
    let title = format!("{}: find {}", def.name, f.label);
    let as_map = |v: Value| Arc::new(v.as_object().cloned().unwrap_or_default());
    Tool::new(find_tool_name(def, field), description, as_map(input))
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

/// Runs a find call.
pub async fn run(
    engine: &Engine,
    app: Arc<PublishedApp>,
    actor: &Actor,
    field: &str,
    args: &Map<String, Value>,
) -> Result<CallToolResult, EngineError> {
    if let Some(k) = args.keys().find(|k| k.as_str() != "query") {
        return Ok(tool_error(
            "invalid_input",
            format!("unknown argument `{k}`; this tool takes only `query`"),
            None,
        ));
    }
    let query = match args.get("query") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= 200 => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Ok(tool_error(
                "invalid_input",
                "`query` must be a string of at most 200 characters",
                None,
            ))
        }
    };
    let found = engine
        .find_lookup(actor, &app.def.slug, field, &query)
        .await?;
    let mut text = if found.is_empty() {
        "No records found that you may choose; try other words.".to_string()
    } else {
        format!("{} record(s) — id | title\n", found.len())
    };
    for c in &found {
        text.push_str(&format!("{} | {}\n", c.id, c.title));
    }
    let records: Vec<Value> = found
        .iter()
        .map(|c| json!({"id": c.id, "title": c.title}))
        .collect();
    let mut r = CallToolResult::success(vec![Content::text(text)]);
    r.structured_content = Some(json!({ "records": records }));
    Ok(r)
}
