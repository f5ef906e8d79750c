//! The upload link tool (`<app>_upload_link`): chat clients cannot put a photo's bytes into a
//! tool call, so the model asks for a short-lived, single-use link to the record's file input
//! and gives it to the person, who opens it on a phone (or scans its QR code) and sends the
//! file there (`web::upload_links`). The same call with `link_id` tells whether it arrived.
//!
//! A client that declares URL-mode elicitation in the request (protocol 2026-07-28, where a
//! request carries the client's capabilities in its `_meta`) is not handed the link as text
//! for the model to repeat: the call answers with an `input_required` result (the
//! multi-round-trip requests of that revision) holding one URL elicitation, which the client
//! shows to the person itself. Its retry carries the person's answer and the request state
//! (`upload-link:<id>`, only a handle: the link row says whose it is); on "accept" the tool
//! waits a bounded time for the file and reports it as a `link_id` call would, on "decline" or
//! "cancel" it withdraws the link. No second link is made for the retry.
use super::catalog::tool_name;
use super::results::{engine_error, tool_error};
pub use super::upload_link_round::Round;
use super::upload_link_round::{answered, elicit};
use super::McpContext;
use crate::auth::UploadLinkFor;
use crate::engine::definition::AppDef;
use crate::engine::upload_links::file_inputs;
use crate::engine::{Actor, PublishedApp};
use chrono::{DateTime, Utc};
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock as Content, Tool, ToolAnnotations,
};
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
pub(super) fn place(record_id: i64, field: &str, line_id: Option<&str>) -> String {
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

/// A call of the tool: a new link, or the state of an earlier one (`link_id`), or (through a
/// client with URL-mode elicitation) a link the client shows the person, then what came of it.
pub async fn run(
    ctx: &McpContext,
    app: Arc<PublishedApp>,
    actor: &Actor,
    args: &Map<String, Value>,
    round: Round,
) -> CallToolResponse {
    let Some(record_id) = args.get("record_id").and_then(Value::as_i64) else {
        return tool_error("invalid_input", "`record_id` (integer) is required", None).into();
    };
    if let Some(state) = round.request_state.as_deref() {
        return answered(ctx, &app, actor, record_id, state, round.input_responses).await;
    }
    match args.get("link_id") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            let link_id = n.as_i64().unwrap_or_default();
            return status(ctx, &app, actor, link_id, record_id).await.into();
        }
        Some(_) => return tool_error("invalid_input", "`link_id` must be an integer", None).into(),
    }
    let minted = match mint(ctx, app, actor, args, record_id).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    if round.url_elicitation {
        elicit(&minted).into()
    } else {
        minted.result().into()
    }
}

/// A link made for a call, with what its result says.
pub(super) struct Minted {
    pub(super) link_id: i64,
    pub(super) url: String,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) minutes: i64,
    pub(super) record_id: i64,
    pub(super) field: String,
    pub(super) line_id: Option<String>,
    pub(super) operation: String,
    /// What the file is (the input's label, e.g. "Receipt").
    pub(super) label: String,
}

impl Minted {
    pub(super) fn place(&self) -> String {
        place(self.record_id, &self.field, self.line_id.as_deref())
    }

    /// The link as a result, for the model to give to the person.
    fn result(&self) -> CallToolResult {
        let text = format!(
            "Give the user this link to send the {} for {} from their phone or computer: {}\nIt works once, for {} minutes, and only for them. Once they say it is sent, call this tool again with \"link_id\": {} to confirm it arrived.",
            self.label, self.place(), self.url, self.minutes, self.link_id
        );
        let mut r = CallToolResult::success(vec![Content::text(text)]);
        r.structured_content = Some(json!({
            "link_id": self.link_id,
            "url": self.url,
            "expires_at": self.expires_at.to_rfc3339(),
            "record_id": self.record_id,
            "field": self.field,
            "line_id": self.line_id,
            "operation": self.operation,
            "status": "waiting",
        }));
        r
    }
}

/// Checks the arguments and makes a new link, or says why not.
async fn mint(
    ctx: &McpContext,
    app: Arc<PublishedApp>,
    actor: &Actor,
    args: &Map<String, Value>,
    record_id: i64,
) -> Result<Minted, CallToolResult> {
    let def = &app.def;
    let Some(field) = args.get("field").and_then(Value::as_str) else {
        return Err(tool_error(
            "invalid_input",
            format!(
                "`field` is required: one of {}",
                uploadable(def, Some(actor)).join(", ")
            ),
            None,
        ));
    };
    let line_id = match args.get("line_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            return Err(tool_error(
                "invalid_input",
                "`line_id` must be text such as \"l1\"",
                None,
            ))
        }
    };
    if !uploadable(def, Some(actor)).iter().any(|p| p == field) {
        return Err(tool_error(
            "invalid_input",
            format!(
                "`{}` is not a file input you can send a file to; use one of: {}",
                field.chars().take(60).collect::<String>(),
                uploadable(def, Some(actor)).join(", ")
            ),
            None,
        ));
    }
    let target = ctx
        .engine
        .upload_target(actor, &def.slug, record_id, field, line_id.as_deref())
        .await
        .map_err(|e| engine_error(&e).0)?;
    let minted = ctx
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
            Utc::now(),
        )
        .await
        .map_err(|e| tool_error("server_error", e.to_string(), None))?;
    Ok(Minted {
        link_id: minted.id,
        url: link_url(&ctx.base_url, &minted.token),
        expires_at: minted.expires_at,
        minutes: (ctx.upload_link_seconds.max(60) + 59) / 60,
        record_id,
        field: target.field,
        line_id: target.line_id,
        operation: target.operation,
        label: target.label,
    })
}

/// Whether the person has sent the file through link `link_id` (one of the actor's own).
pub(super) async fn status(
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
