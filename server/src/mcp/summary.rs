//! The summary tool of a view (`<app>_<view>_summary`): the view's summaries — totals and
//! groups computed in the database over exactly the records the view shows the caller — in one
//! compact call instead of pages of rows.
use super::catalog::tool_name;
use super::results::tool_error;
use crate::engine::definition::{Aggregate, AppDef, ViewDef};
use crate::engine::{describe, Actor, Engine, EngineError, PublishedApp, Raw, ViewRequest};
use rmcp::model::{CallToolResult, ContentBlock as Content, Tool, ToolAnnotations};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What one summary computes, in words: "sum of Total per Category (per currency)".
fn phrase(def: &AppDef, v: &ViewDef, name: &str) -> String {
    let Some(s) = v.summaries.get(name) else {
        return String::new();
    };
    let label = |f: &str| {
        def.fields
            .get(f)
            .map(|d| d.label.clone())
            .unwrap_or_default()
    };
    let what = match (s.aggregate, s.field.as_deref()) {
        (Aggregate::Count, _) | (_, None) => "number of records".to_string(),
        (a, Some(f)) => format!("{} of {}", format!("{a:?}").to_lowercase(), label(f)),
    };
    let mut by: Vec<String> = s.group_by.iter().map(|g| label(g)).collect();
    if let Some(b) = s.bucket {
        if let Some(first) = by.first_mut() {
            first.push_str(&format!(" (by {})", format!("{b:?}").to_lowercase()));
        }
    }
    let per_currency = s
        .field
        .as_deref()
        .filter(|_| s.aggregate != Aggregate::Count)
        .and_then(|f| def.currency_of(f))
        .is_some();
    let mut out = format!("`{name}`: {} — {what}", s.title);
    if !by.is_empty() {
        out.push_str(&format!(" per {}", by.join(" and ")));
    }
    if per_currency {
        out.push_str(", per currency (amounts in different currencies are never added)");
    }
    let home = s
        .field
        .as_deref()
        .and_then(|f| def.fields.get(f))
        .is_some_and(|f| f.kind == crate::engine::definition::FieldType::Converted);
    if home && s.aggregate != Aggregate::Count {
        out.push_str(", in the home currency (records without an exchange rate add nothing)");
    }
    out
}

/// The tool's schema and texts.
pub fn summary_tool(
    def: &AppDef,
    paths: &crate::engine::lookup_paths::Paths,
    name: &str,
    v: &ViewDef,
) -> Tool {
    let mut props = Map::new();
    for (pn, p) in &v.parameters {
        if let Some(f) = crate::engine::lookup_paths::field_of(def, paths, &p.field) {
            let label = crate::engine::lookup_paths::label_of(def, paths, &p.field)
                .unwrap_or_else(|| f.label.clone());
            let mut s = super::catalog::field_schema(def, f);
            if let Some(m) = s.as_object_mut() {
                m.remove("maxLength");
                m.insert(
                    "description".into(),
                    Value::String(format!(
                        "Only records {} {} {} this value ({})",
                        if crate::engine::line_filters::split(def, &p.field).is_some() {
                            "with a line whose"
                        } else {
                            "whose"
                        },
                        label,
                        p.op.phrase(),
                        describe::field_format(def, f)
                    )),
                );
            }
            props.insert(pn.clone(), s);
        }
    }
    let names: Vec<&String> = v.summaries.keys().collect();
    props.insert(
        "summary".into(),
        json!({"type": "string", "enum": names, "default": names.first(), "description": "Which summary to compute"}),
    );
    let required: Vec<&String> = v
        .parameters
        .iter()
        .filter(|(_, p)| p.required)
        .map(|(n, _)| n)
        .collect();
    let input = json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    let output = json!({
        "type": "object",
        "properties": {
            "summary": {"type": "string"},
            "title": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "string"}, "description": "What each value of a group is: its keys (for money, the currency last), then the number of records, then the aggregate"},
            "groups": {"type": "array", "description": "One array per group, its values in the order of `columns`; amounts are decimals as strings, money rounded to its currency's minor units", "items": {"type": "array", "items": {"type": ["string", "integer", "null"]}}},
            "groups_cut": {"type": "boolean", "description": "true when more groups matched than were returned"},
            "error": {"type": "object"}
        },
        "anyOf": [{"required": ["summary", "columns", "groups", "groups_cut"]}, {"required": ["error"]}]
    });
    let lines: Vec<String> = names
        .iter()
        .map(|n| format!("- {}", phrase(def, v, n)))
        .collect();
    let description = format!(
        "Totals and groups of {}'s view \"{}\" in one call: use it instead of paging through rows to answer how much or how many, per category, per period or per person. It counts exactly the records the view would list for you, with the same parameters. Summaries:\n{}",
        def.name,
        v.title,
        lines.join("\n")
    );
    let as_map = |v: Value| Arc::new(v.as_object().cloned().unwrap_or_default());
    let title = format!("{}: {} (summary)", def.name, v.title);
    Tool::new(
        tool_name(&def.slug, &format!("{name}_summary")),
        description,
        as_map(input),
    )
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

/// Runs a summary call: the view's parameters and `summary` (the first one when absent).
pub async fn run(
    engine: &Engine,
    app: Arc<PublishedApp>,
    actor: &Actor,
    view: &str,
    args: &Map<String, Value>,
    budget: usize,
) -> Result<CallToolResult, EngineError> {
    let def = &app.def;
    let Some(v) = def.views.get(view) else {
        return Ok(tool_error(
            "tool_unavailable",
            "this view no longer exists",
            None,
        ));
    };
    let summary = match args.get("summary") {
        None | Some(Value::Null) => v.summaries.keys().next().cloned().unwrap_or_default(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Ok(tool_error(
                "invalid_input",
                "`summary` must be a string",
                None,
            ))
        }
    };
    let params: BTreeMap<String, Raw> = args
        .iter()
        .filter(|(k, _)| k.as_str() != "summary")
        .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
        .collect();
    let req = ViewRequest {
        params,
        ..Default::default()
    };
    let page = engine
        .run_summary_in(app.clone(), actor, view, &summary, &req)
        .await?;
    let mut columns = page.key_labels.clone();
    columns.push("records".into());
    if !page.value_label.is_empty() {
        columns.push(page.value_label.clone());
    }
    let mut groups: Vec<Value> = page
        .groups
        .iter()
        .map(|g| {
            let mut row: Vec<Value> = g.keys.iter().map(|k| Value::String(k.clone())).collect();
            row.push(g.count.into());
            if !page.value_label.is_empty() {
                row.push(g.value.clone().map(Value::String).unwrap_or(Value::Null));
            }
            Value::Array(row)
        })
        .collect();
    let mut cut = page.cut;
    // Within the byte budget: drop groups from the end and say so.
    while serde_json::to_string(&groups).map(|s| s.len()).unwrap_or(0) > budget / 2
        && !groups.is_empty()
    {
        groups.pop();
        cut = true;
    }
    let mut text = format!(
        "{} ({} group{}",
        page.def.title,
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    );
    if cut {
        text.push_str(", more were cut: narrow the parameters");
    }
    text.push_str(")\n");
    text.push_str(&columns.join(" | "));
    text.push('\n');
    for g in &groups {
        let cells: Vec<String> = g
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        c.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| c.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        text.push_str(&cells.join(" | "));
        text.push('\n');
    }
    let structured = json!({
        "summary": page.name,
        "title": page.def.title,
        "columns": columns,
        "groups": groups,
        "groups_cut": cut,
    });
    let mut r = CallToolResult::success(vec![Content::text(text)]);
    r.structured_content = Some(structured);
    Ok(r)
}
