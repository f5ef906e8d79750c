//! The upload link tool (`<app>_upload_link`): chat clients cannot put a photo's bytes into a
//! tool call, so the model asks for a short-lived, single-use link to the record's file input
//! and gives it to the person, who opens it on a phone (or scans its QR code) and sends the
//! file there (`web::upload_links`). The same call with `link_id` tells whether it arrived.
use super::catalog::tool_name;
use super::results::{engine_error, tool_error};
use super::McpContext;
use crate::auth::UploadLinkFor;
use crate::engine::definition::AppDef;
use crate::engine::upload_links::file_inputs;
use crate::engine::{Actor, PublishedApp};
use chrono::{DateTime, Utc};
use rmcp::model::{CallToolResult, ContentBlock as Content, Tool, ToolAnnotations};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The tool's name for an app.
pub fn upload_link_tool_name(def: &AppDef) -> String {
    tool_name(&def.slug, "upload_link")
}

/// The file inputs (`receipt`, `items.receipt`) the actor could set through an MCP-enabled
/// operation of the app (`None`: any role): the tool is listed only when there is one.
pub fn uploadable(def: &AppDef, actor: Option<&Actor>) -> Vec<String> {
    file_inputs(def)
        .into_iter()
        .filter(|(_, input, _)| {
            def.operations.values().any(|o| {
                o.mcp.enabled
                    && o.needs_record()
                    && o.inputs.iter().any(|i| i == input)
                    && actor.is_none_or(|a| a.has_any(&o.roles))
            })
        })
        .map(|(path, _, _)| path)
        .collect()
}

/// The tool's schema and texts.
pub fn upload_link_tool(def: &AppDef, paths: &[String]) -> Tool {
    let has_lines = paths.iter().any(|p| p.contains('.'));
    let mut props = json!({
        "record_id": {"type": "integer", "description": "Id of the record the file is for"},
        "field": {"type": "string", "enum": paths, "description": "The file input: a file field, or a column of line items as `<lines>.<column>`"},
        "link_id": {"type": "integer", "description": "The `link_id` an earlier call returned: instead of making a new link, tells whether the person has sent the file through it"}
    });
    if has_lines {
        props["line_id"] = json!({"type": "string", "description": "For a column of line items: the line whose file to set (e.g. \"l1\"); leave it out to add a new line holding the file"});
    }
    let input = json!({
        "type": "object",
        "properties": props,
        "required": ["record_id", "field"],
        "additionalProperties": false
    });
    let title = format!("{}: link to send a file from a phone", def.name);
    let description = format!(
        "Makes a link that lets the user send a photo or PDF (a receipt, say) to a {} record's file input from their phone or computer, when they cannot attach it in this chat. Give the link to the user: it works once, for a few minutes, only for them and this record; on a computer its page shows a QR code to continue on the phone. The file is then set through the operation that may set it now, with history. Afterwards call this tool again with the `link_id` it returned to learn whether the file has arrived, then read it with the record's read tool.",
        def.name
    );
    let as_map = |v: Value| Arc::new(v.as_object().cloned().unwrap_or_default());
    Tool::new(upload_link_tool_name(def), description, as_map(input))
        .with_title(title.clone())
        .with_annotations(
            ToolAnnotations::with_title(title)
                .read_only(false)
                .destructive(false)
                .idempotent(false)
                .open_world(false),
        )
}

/// What the link was made for, as the result says it.
fn place(record_id: i64, field: &str, line_id: Option<&str>) -> String {
    match (field.split_once('.'), line_id) {
        (Some((lines, _)), Some(l)) => format!("line {l} of `{lines}` of record {record_id}"),
        (Some((lines, _)), None) => format!("a new line of `{lines}` of record {record_id}"),
        (None, _) => format!("record {record_id}"),
    }
}

/// The link's page for a secret.
pub fn link_url(base_url: &str, token: &str) -> String {
    format!("{base_url}/upload/{token}")
}

/// A call of the tool: a new link, or the state of an earlier one (`link_id`).
pub async fn run(
    ctx: &McpContext,
    app: Arc<PublishedApp>,
    actor: &Actor,
    args: &Map<String, Value>,
) -> CallToolResult {
    let def = &app.def;
    let Some(record_id) = args.get("record_id").and_then(Value::as_i64) else {
        return tool_error("invalid_input", "`record_id` (integer) is required", None);
    };
    let Some(field) = args.get("field").and_then(Value::as_str) else {
        return tool_error(
            "invalid_input",
            format!(
                "`field` is required: one of {}",
                uploadable(def, Some(actor)).join(", ")
            ),
            None,
        );
    };
    let line_id = match args.get("line_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            return tool_error(
                "invalid_input",
                "`line_id` must be text such as \"l1\"",
                None,
            )
        }
    };
    match args.get("link_id") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            return status(ctx, &app, actor, n.as_i64().unwrap_or_default(), record_id).await
        }
        Some(_) => return tool_error("invalid_input", "`link_id` must be an integer", None),
    }
    if !uploadable(def, Some(actor)).iter().any(|p| p == field) {
        return tool_error(
            "invalid_input",
            format!(
                "`{}` is not a file input you can send a file to; use one of: {}",
                field.chars().take(60).collect::<String>(),
                uploadable(def, Some(actor)).join(", ")
            ),
            None,
        );
    }
    let target = match ctx
        .engine
        .upload_target(actor, &def.slug, record_id, field, line_id.as_deref())
        .await
    {
        Ok(t) => t,
        Err(e) => return engine_error(&e).0,
    };
    let now = Utc::now();
    let minted = match ctx
        .auth
        .create_upload_link(
            UploadLinkFor {
                user_id: actor.user_id,
                app_id: app.id,
                record_id,
                field: &target.field,
                line_id: target.line_id.as_deref(),
            },
            chrono::Duration::seconds(ctx.upload_link_seconds.max(1)),
            now,
        )
        .await
    {
        Ok(m) => m,
        Err(e) => return tool_error("server_error", e.to_string(), None),
    };
    let url = link_url(&ctx.base_url, &minted.token);
    let minutes = (ctx.upload_link_seconds.max(60) + 59) / 60;
    let where_to = place(record_id, &target.field, target.line_id.as_deref());
    let text = format!(
        "Give the user this link to send the {} for {where_to} from their phone or computer: {url}\nIt works once, for {minutes} minutes, and only for them. Once they say it is sent, call this tool again with \"link_id\": {} to confirm it arrived.",
        target.label, minted.id
    );
    let mut r = CallToolResult::success(vec![Content::text(text)]);
    r.structured_content = Some(json!({
        "link_id": minted.id,
        "url": url,
        "expires_at": minted.expires_at.to_rfc3339(),
        "record_id": record_id,
        "field": target.field,
        "line_id": target.line_id,
        "operation": target.operation,
        "status": "waiting",
    }));
    r
}

/// Whether the person has sent the file through link `link_id` (one of the actor's own).
async fn status(
    ctx: &McpContext,
    app: &PublishedApp,
    actor: &Actor,
    link_id: i64,
    record_id: i64,
) -> CallToolResult {
    let row = match ctx.auth.user_upload_link(link_id, actor.user_id).await {
        Ok(Some(r)) if r.app_id == app.id && r.record_id == record_id => r,
        Ok(_) => {
            return tool_error(
                "not_found",
                format!(
                    "you have no upload link {link_id} for record {record_id} of {}",
                    app.def.name
                ),
                None,
            )
        }
        Err(e) => return tool_error("server_error", e.to_string(), None),
    };
    let now = Utc::now();
    let (state, mut text) = match (row.attachment_id, row.used_at, row.expires_at) {
        (Some(_), _, _) => ("received", String::new()),
        (None, Some(_), _) => (
            "uploading",
            "The file is being received right now; ask again in a moment.".to_string(),
        ),
        (None, None, e) if e <= now => (
            "expired",
            "The link expired unused; make a new one if the user still wants to send the file."
                .to_string(),
        ),
        (None, None, e) => (
            "waiting",
            format!(
                "Nothing has been sent through the link yet; it works until {}.",
                e.to_rfc3339()
            ),
        ),
    };
    let mut sc = json!({
        "link_id": row.id,
        "record_id": row.record_id,
        "field": row.field,
        "line_id": row.line_id,
        "status": state,
        "expires_at": row.expires_at.to_rfc3339(),
    });
    if let Some(att_id) = row.attachment_id {
        let att = match ctx.engine.attachment(actor, att_id).await {
            Ok(a) => a,
            Err(e) => return engine_error(&e).0,
        };
        // The line that holds it (a new line's id is known only now).
        let line = match row.field.split_once('.') {
            Some((lines, column)) => {
                match ctx.engine.record(actor, &app.def.slug, row.record_id).await {
                    Ok(access) => crate::engine::lines::stored_lines(
                        access.record.data.get(lines).unwrap_or(&Value::Null),
                    )
                    .into_iter()
                    .find(|l| l.get(column).and_then(Value::as_i64) == Some(att_id))
                    .and_then(|l| l.get("id").and_then(Value::as_str).map(String::from)),
                    Err(e) => return engine_error(&e).0,
                }
            }
            None => None,
        };
        let read_tool = match row.field.split_once('.') {
            Some(_) => tool_name(
                &app.def.slug,
                &format!("read_{}", row.field.replace('.', "_")),
            ),
            None => tool_name(&app.def.slug, &format!("read_{}", row.field)),
        };
        text = format!(
            "The user sent {} ({}, {} bytes); it is now the {} of {}. Read it with `{read_tool}`.",
            att.filename,
            att.content_type,
            att.size,
            row.field,
            place(row.record_id, &row.field, line.as_deref()),
        );
        sc["attachment_id"] = json!(att_id);
        sc["filename"] = json!(att.filename);
        sc["line_id"] = json!(line.or(row.line_id.clone()));
        sc["read_tool"] = json!(read_tool);
        sc["received_at"] = json!(row.used_at.map(|t: DateTime<Utc>| t.to_rfc3339()));
    }
    let mut r = CallToolResult::success(vec![Content::text(text)]);
    r.structured_content = Some(sc);
    r
}
