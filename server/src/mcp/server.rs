//! The MCP server handler: `tools/list` and `tools/call` built at run time from published apps,
//! for the user the bearer token speaks for. Tool calls are the same engine calls as the web's.
use super::catalog::{app_tools, ToolCall, ToolEntry, ToolTarget};
use super::results::{
    decode_cursor, engine_error, limit_arg, operation_result, row_json, tool_error, view_result,
};
use super::McpContext;
use crate::auth::Principal;
use crate::engine::definition::FieldType;
use crate::engine::{Actor, EngineError, OperationRequest, Raw, Surface, ViewRequest};
use base64::Engine as _;
use chrono::Utc;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock as Content,
    Implementation, ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One MCP service instance (made per request in stateless mode).
#[derive(Clone)]
pub struct FormworkMcp {
    pub(super) ctx: Arc<McpContext>,
}

pub(super) fn actor_of(p: &Principal) -> Actor {
    Actor {
        user_id: p.user.id,
        username: p.user.username.clone(),
        display_name: p.user.display_name.clone(),
        roles: p.user.roles.clone(),
        surface: Surface::Mcp,
        client_name: Some(
            p.client_name
                .clone()
                .unwrap_or_else(|| format!("token \"{}\"", p.token_name)),
        ),
    }
}

/// Whether the client can be asked to open a URL for the person within this call: it declared
/// URL-mode elicitation, and the request speaks protocol 2026-07-28 or later, where a tool asks
/// through an `input_required` result (a stateless server cannot send an older revision's
/// `elicitation/create` request, and sees an older client's capabilities only at `initialize`).
fn url_elicitation(ctx: &RequestContext<RoleServer>) -> bool {
    let modern = ctx
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str());
    modern
        && ctx
            .client_capabilities()
            .and_then(|c| c.elicitation)
            .is_some_and(|e| e.url.is_some())
}

fn principal(ctx: &RequestContext<RoleServer>) -> Result<Principal, McpError> {
    rmcp_actix_web::transport::on_request_extensions(&ctx.extensions)
        .and_then(|e| e.get::<Principal>())
        .cloned()
        .ok_or_else(|| McpError::invalid_request("not authenticated", None))
}

impl FormworkMcp {
    async fn published_apps(&self) -> Result<Vec<Arc<crate::engine::PublishedApp>>, McpError> {
        self.ctx
            .engine
            .catalog()
            .apps()
            .await
            .map_err(|e| McpError::internal_error(format!("catalog unavailable: {e}"), None))
    }

    /// Every tool the actor may use right now.
    pub async fn tools_for(&self, actor: &Actor) -> Result<Vec<ToolEntry>, McpError> {
        let apps = self.published_apps().await?;
        Ok(apps
            .iter()
            .flat_map(|a| app_tools(a, Some(actor)))
            .collect())
    }

    async fn note(&self, kind: &str, tool: Option<&str>, user: &str, message: &str) {
        if let Err(e) = self
            .ctx
            .engine
            .store()
            .log_mcp_event(kind, tool, Some(user), message, Utc::now())
            .await
        {
            tracing::warn!("cannot record MCP event: {e}");
        }
    }

    async fn run_view(
        &self,
        actor: &Actor,
        entry: &ToolCall,
        view: &str,
        args: &Map<String, Value>,
    ) -> CallToolResult {
        let limit = match limit_arg(args.get("limit")) {
            Ok(l) => l,
            Err(m) => return tool_error("invalid_input", m, None),
        };
        let offset = match args.get("cursor") {
            None | Some(Value::Null) => 0,
            Some(Value::String(c)) => match decode_cursor(c) {
                Some(o) => o,
                None => return tool_error("invalid_input", "`cursor` is not one this server gave out; omit it to start from the first page", None),
            },
            Some(_) => return tool_error("invalid_input", "`cursor` must be a string", None),
        };
        let params: BTreeMap<String, Raw> = args
            .iter()
            .filter(|(k, _)| k.as_str() != "limit" && k.as_str() != "cursor")
            .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
            .collect();
        let slug = &entry.app.def.slug;
        let req = ViewRequest {
            params,
            search: None,
            sort: None,
            offset,
            limit: Some(limit),
            for_mcp: true,
        };
        match self.ctx.engine.run_view(actor, slug, view, &req).await {
            Ok(page) => {
                let view_def = page.def().clone();
                let mut atts = Vec::new();
                if view_def.mcp.format == crate::engine::definition::DataFormat::Full {
                    for r in &page.rows {
                        atts.extend(self.ctx.engine.attachments(r).await.unwrap_or_default());
                    }
                }
                let data: Vec<&Value> = page.rows.iter().map(|r| &r.data).collect();
                let titles = match self
                    .ctx
                    .engine
                    .lookup_titles(actor, &page.app.def, data)
                    .await
                {
                    Ok(t) => t,
                    Err(e) => return engine_error(&e).0,
                };
                let rows = page
                    .rows
                    .iter()
                    .map(|r| row_json(&page, &view_def, r, &atts, &titles))
                    .collect();
                let rows_in = self.ctx.view_rows.get(self.ctx.engine.store()).await;
                view_result(&page, rows, self.ctx.max_result_bytes, rows_in)
            }
            Err(e) => {
                let (r, code) = engine_error(&e);
                self.note(code, Some(&entry.name), &actor.username, &e.to_string())
                    .await;
                r
            }
        }
    }

    async fn run_operation(
        &self,
        actor: &Actor,
        entry: &ToolCall,
        op: &str,
        args: &Map<String, Value>,
    ) -> CallToolResult {
        let def = &entry.app.def;
        let Some(op_def) = def.operations.get(op) else {
            return tool_error(
                "tool_unavailable",
                "this operation is no longer published",
                None,
            );
        };
        let int_arg = |name: &str| -> Result<Option<i64>, String> {
            match args.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
                Some(Value::String(s)) if s.parse::<i64>().is_ok() => Ok(s.parse().ok()),
                Some(_) => Err(format!("`{name}` must be an integer")),
            }
        };
        let (record_id, expected_version) =
            match (int_arg("record_id"), int_arg("expected_version")) {
                (Ok(r), Ok(v)) => (r, v),
                (Err(m), _) | (_, Err(m)) => return tool_error("invalid_input", m, None),
            };
        let token = args
            .get("confirmation_token")
            .and_then(|v| v.as_str())
            .map(String::from);
        let mut inputs = BTreeMap::new();
        // Content hashes of the files uploaded with this call, for the duplicate note.
        let mut uploaded = Vec::new();
        // Their attachment ids: taken back unless the operation is applied.
        let mut uploaded_ids = Vec::new();
        for (k, v) in args {
            if matches!(
                k.as_str(),
                "record_id" | "expected_version" | "confirmation_token"
            ) {
                continue;
            }
            let is_file = def.fields.get(k).is_some_and(|f| f.kind.is_file());
            let lines_with_files = def.fields.get(k).filter(|f| {
                f.kind == FieldType::Lines && crate::engine::lines::file_columns(f).next().is_some()
            });
            if let (Some(f), Value::Array(given)) = (lines_with_files, v) {
                // A line's file sent as {filename, content_base64} is uploaded for its column
                // (`items.receipt`) and the line carries the attachment id, as a kept one does.
                let mut lines = given.clone();
                for (i, line) in lines.iter_mut().enumerate() {
                    let Some(obj) = line.as_object_mut() else {
                        continue;
                    };
                    for (col, _) in crate::engine::lines::file_columns(f) {
                        let Some(upload) = obj.get(col).filter(|u| u.is_object()) else {
                            continue;
                        };
                        let path = crate::engine::lines::column_path(k, col);
                        let shown = format!("{k}[{i}].{col}");
                        match self
                            .upload_as(actor, &def.slug, &path, &shown, upload)
                            .await
                        {
                            Ok((id, sha256)) => {
                                obj.insert(col.clone(), id.into());
                                uploaded.push(sha256);
                                uploaded_ids.push(id);
                            }
                            Err(r) => {
                                self.ctx.engine.discard_uploads(actor, &uploaded_ids).await;
                                return r;
                            }
                        }
                    }
                }
                inputs.insert(k.clone(), Raw::Json(Value::Array(lines)));
            } else if is_file && v.is_object() {
                match self.upload(actor, &def.slug, k, v).await {
                    Ok((id, sha256)) => {
                        inputs.insert(k.clone(), Raw::Json(id.into()));
                        uploaded.push(sha256);
                        uploaded_ids.push(id);
                    }
                    Err(r) => {
                        self.ctx.engine.discard_uploads(actor, &uploaded_ids).await;
                        return r;
                    }
                }
            } else {
                inputs.insert(k.clone(), Raw::Json(v.clone()));
            }
        }
        let mut req = OperationRequest {
            record_id,
            expected_version,
            inputs,
        };
        let tool_name = entry.name.clone();
        let now = Utc::now();
        let args_hash = {
            let mut a = args.clone();
            a.remove("confirmation_token");
            crate::auth::secret_hash(&Value::Object(a).to_string())
        };
        let confirmed = op_def.requires_confirmation() && token.is_some();
        let apply = match &token {
            Some(t) if confirmed => match self
                .ctx
                .auth
                .consume_confirmation(t, actor.user_id, &tool_name, &args_hash, now)
                .await
            {
                Ok(Some(c)) => {
                    // The change applies to the record as previewed, or not at all: the engine
                    // refuses it as stale when the record has changed since.
                    if c.record_version.is_some() {
                        req.expected_version = c.record_version;
                    }
                    true
                }
                Ok(None) => {
                    self.ctx.engine.discard_uploads(actor, &uploaded_ids).await;
                    return tool_error(
                        "confirmation_invalid",
                        "The confirmation token is unknown, expired, already used, or was issued for other arguments. Call again without it to get a fresh preview.",
                        None,
                    );
                }
                Err(e) => {
                    self.ctx.engine.discard_uploads(actor, &uploaded_ids).await;
                    return tool_error("server_error", e.to_string(), None);
                }
            },
            _ => !op_def.requires_confirmation(),
        };
        let outcome = self
            .ctx
            .engine
            .run_operation(actor, &def.slug, op, &req, apply)
            .await;
        // A refusal or a preview leaves no upload behind: the confirmed call sends the file again.
        if !(apply && outcome.is_ok()) {
            self.ctx.engine.discard_uploads(actor, &uploaded_ids).await;
        }
        let result = match outcome {
            Ok(ref out) if !apply => {
                let previewed = op_def.needs_record().then_some(out.version);
                match self
                    .ctx
                    .auth
                    .create_confirmation(actor.user_id, &tool_name, &args_hash, previewed, now)
                    .await
                {
                    Ok(t) => operation_result(def, out, &op_def.title, Some(t)),
                    Err(e) => tool_error("server_error", e.to_string(), None),
                }
            }
            Ok(ref out) => operation_result(def, out, &op_def.title, None),
            Err(EngineError::Stale {
                id,
                expected,
                current,
            }) if confirmed => {
                let msg = format!("Record {id} changed since the preview (it was at version {expected}, it is now at version {current}), so the confirmation token is no longer valid. Call again without \"confirmation_token\" to preview the change again, and confirm that with the user.");
                self.note(
                    "confirmation_invalid",
                    Some(&tool_name),
                    &actor.username,
                    &msg,
                )
                .await;
                return tool_error("confirmation_invalid", msg, None);
            }
            Err(e) => {
                let (r, code) = engine_error(&e);
                self.note(code, Some(&tool_name), &actor.username, &e.to_string())
                    .await;
                return r;
            }
        };
        let record_id = outcome.ok().and_then(|o| o.record_id);
        match self
            .duplicate_note(actor, &entry.app, &uploaded, record_id)
            .await
        {
            Some(note) => with_note(result, note),
            None => result,
        }
    }

    /// "Note: the same file is already attached to …" when an uploaded file is attached to other
    /// records too, naming only those the actor may read.
    async fn duplicate_note(
        &self,
        actor: &Actor,
        app: &crate::engine::PublishedApp,
        uploaded: &[String],
        record_id: Option<i64>,
    ) -> Option<String> {
        let mut notes = Vec::new();
        for sha256 in uploaded {
            match self
                .ctx
                .engine
                .duplicates(app, actor, sha256, record_id)
                .await
            {
                Ok(d) => notes.extend(d.places()),
                // The note is a courtesy: the change itself is done.
                Err(e) => tracing::warn!("cannot look for duplicate files: {e}"),
            }
        }
        (!notes.is_empty()).then(|| {
            format!(
                "Note: the same file is already attached to {} — check with the user that this is not a duplicate claim.",
                notes.join("; ")
            )
        })
    }

    async fn upload(
        &self,
        actor: &Actor,
        slug: &str,
        field: &str,
        v: &Value,
    ) -> Result<(i64, String), CallToolResult> {
        self.upload_as(actor, slug, field, field, v).await
    }

    /// Uploads a file sent as {filename, content_base64} for `field` (a file field, or a line
    /// column's path `items.receipt`); errors name it as `shown` (`items[2].receipt`).
    async fn upload_as(
        &self,
        actor: &Actor,
        slug: &str,
        field: &str,
        shown: &str,
        v: &Value,
    ) -> Result<(i64, String), CallToolResult> {
        let filename = v["filename"].as_str().unwrap_or("upload");
        let Some(b64) = v["content_base64"].as_str() else {
            return Err(tool_error(
                "invalid_input",
                format!("`{shown}` needs `content_base64`"),
                None,
            ));
        };
        let max = self.ctx.uploads.limits.max_bytes;
        if b64.len() / 4 * 3 > max + 3 {
            let size = (b64.len() / 4 * 3) as u64;
            return Err(super::too_large::tool_error_for(
                Some(shown),
                size,
                max as u64,
            ));
        }
        let cleaned: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(
                cleaned
                    .trim_start_matches("data:")
                    .split(',')
                    .next_back()
                    .unwrap_or(""),
            )
            .map_err(|_| {
                tool_error(
                    "invalid_input",
                    format!("`{shown}.content_base64` is not valid base64"),
                    None,
                )
            })?;
        match self
            .ctx
            .uploads
            .upload(&self.ctx.engine, actor, slug, field, filename, bytes)
            .await
        {
            Ok(up) => Ok((up.stored.attachment_id, up.stored.sha256)),
            Err(crate::uploads::UploadError::Receipt(
                crate::receipts::ReceiptError::TooLarge { size, max },
            )) => Err(super::too_large::tool_error_for(Some(shown), size, max)),
            Err(crate::uploads::UploadError::Receipt(e @ crate::receipts::ReceiptError::Busy)) => {
                Err(tool_error(e.code(), e.to_string(), None))
            }
            Err(e) => Err(tool_error("invalid_file", format!("`{shown}`: {e}"), None)),
        }
    }

    async fn read_file(
        &self,
        actor: &Actor,
        entry: &ToolCall,
        field: &str,
        args: &Map<String, Value>,
    ) -> CallToolResult {
        let Some(id) = args.get("record_id").and_then(|v| v.as_i64()) else {
            return tool_error("invalid_input", "`record_id` (integer) is required", None);
        };
        let slug = &entry.app.def.slug;
        let access = match self.ctx.engine.record(actor, slug, id).await {
            Ok(a) => a,
            Err(e) => return engine_error(&e).0,
        };
        // A file column of line items (`items.receipt`) is read line by line.
        let column = crate::engine::lines::split_column_path(&entry.app.def, field);
        let line_id = match (&column, args.get("line_id")) {
            (Some(_), Some(Value::String(l))) if !l.trim().is_empty() => Some(l.trim().to_string()),
            (Some((lines, _, _)), _) => {
                return tool_error(
                    "invalid_input",
                    format!(
                    "`line_id` (text, e.g. \"l1\", as the record's `{lines}` lists it) is required"
                ),
                    None,
                )
            }
            (None, _) => None,
        };
        let held = match (&column, &line_id) {
            (Some((lines, _, _)), Some(l)) => {
                let value = access.record.data.get(*lines).unwrap_or(&Value::Null);
                let Some(line) = crate::engine::lines::line_by_id(value, l) else {
                    let ids: Vec<&str> = crate::engine::lines::stored_lines(value)
                        .iter()
                        .filter_map(|l| l.get("id").and_then(Value::as_str))
                        .collect();
                    return tool_error(
                        "no_line",
                        format!(
                            "record {id} has no line `{}` in `{lines}`; its lines are: {}",
                            l.chars().take(40).collect::<String>(),
                            if ids.is_empty() {
                                "none".to_string()
                            } else {
                                ids.join(", ")
                            }
                        ),
                        None,
                    );
                };
                line.get(field.split_once('.').map(|(_, c)| c).unwrap_or_default())
                    .and_then(Value::as_i64)
            }
            _ => access.record.data.get(field).and_then(|v| v.as_i64()),
        };
        let Some(att_id) = held else {
            let what = match &line_id {
                Some(l) => format!("line {l} of record {id} has no {field} attached yet"),
                None => format!("record {id} has no {field} attached yet"),
            };
            return tool_error("no_file", what, None);
        };
        let att = match self.ctx.engine.attachment(actor, att_id).await {
            Ok(a) => a,
            Err(e) => return engine_error(&e).0,
        };
        let meta: Value = serde_json::from_str(&att.meta).unwrap_or_default();
        let mut content = Vec::new();
        let mut kinds: Vec<String> = Vec::new();
        if meta["derivatives"]["mcp"].is_string() {
            kinds.push("mcp".into());
        }
        let pages = meta["page_images"].as_u64().unwrap_or(0).min(4);
        kinds.extend((1..=pages).map(|p| format!("page{p}")));
        for k in &kinds {
            if let Ok((_, bytes)) = self.ctx.engine.file_bytes(actor, att_id, Some(k)).await {
                content.push(Content::image(
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                    "image/jpeg",
                ));
            }
        }
        let pdf_text = meta["pdf_text"]
            .as_str()
            .map(|t| t.chars().take(20_000).collect::<String>());
        let summary = json!({
            "record_id": id,
            "line_id": line_id,
            "version": access.record.version,
            "attachment_id": att.id,
            "filename": att.filename,
            "content_type": att.content_type,
            "size": att.size,
            "sha256": att.sha256,
            "pdf_text": pdf_text,
            "server_suggestions": meta["suggestions"],
            "reading_notes": meta["notes"],
        });
        let place = match &line_id {
            Some(l) => format!("line {l} of record {id}"),
            None => format!("record {id}"),
        };
        let mut text = format!(
            "{} of {place} (version {}): {} ({}, {} bytes).",
            field, access.record.version, att.filename, att.content_type, att.size
        );
        if let Some(t) = &pdf_text {
            text.push_str(&format!("\nPDF text layer:\n{t}"));
        }
        // What went wrong reading it (no page image, no OCR…), so that an empty reading is never
        // taken for agreement.
        for note in meta["notes"].as_array().into_iter().flatten() {
            if let Some(n) = note.as_str() {
                text.push_str(&format!("\nNote: {n}."));
            }
        }
        text.push_str(&format!(
            "\nServer suggestions (cross-check, may be wrong): {}",
            meta["suggestions"]
        ));
        content.insert(0, Content::text(text));
        let mut r = CallToolResult::success(content);
        r.structured_content = Some(summary);
        r
    }
}

/// A tool result with one more line of text, also given as `note` in its structured content.
fn with_note(mut result: CallToolResult, note: String) -> CallToolResult {
    if let Some(Value::Object(m)) = result.structured_content.as_mut() {
        m.insert("note".into(), Value::String(note.clone()));
    }
    result.content.push(Content::text(note));
    result
}

impl ServerHandler for FormworkMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build())
            .with_server_info(Implementation::new("formwork", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Formwork apps: views list records (filter with their parameters, page with limit/cursor); operations change records as the signed-in user, with the same validation and permissions as the web forms. Confirm changes with the user before calling write tools.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let p = principal(&context)?;
        let tools = self.tools_for(&actor_of(&p)).await?;
        Ok(ListToolsResult::with_all_items(
            tools.into_iter().map(|t| t.tool).collect(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        // The HTTP request's id, so error results name it (rmcp runs this on a task of its own).
        let id = rmcp_actix_web::transport::on_request_extensions(&context.extensions)
            .and_then(|e| e.get::<crate::operate::request_id::RequestId>())
            .cloned();
        crate::operate::request_id::within(id, self.call_tool_as(request, context)).await
    }
}

impl FormworkMcp {
    async fn call_tool_as(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let p = principal(&context)?;
        let actor = actor_of(&p);
        let name = request.name.to_string();
        let apps = self.published_apps().await?;
        let found = apps.iter().find_map(|a| {
            super::catalog::app_targets(a, Some(&actor))
                .into_iter()
                .find(|(n, _)| *n == name)
                .map(|(n, target)| (a.clone(), n, target))
        });
        let Some((app, tool_name, target)) = found else {
            // Counted without the name: a caller chooses it, and labels must stay a bounded set.
            crate::operate::metrics::tool_call("(unknown)", "tool_unavailable", 0.0);
            let msg = format!("unknown tool `{name}`: it does not exist, its app is not published, it is not enabled for MCP, or your role may not use it");
            self.note("tool_unavailable", Some(&name), &actor.username, &msg)
                .await;
            return Err(McpError::invalid_params(msg, None));
        };
        let entry = super::catalog::ToolCall {
            app,
            name: tool_name,
            target,
        };
        let started = std::time::Instant::now();
        let args = request.arguments.clone().unwrap_or_default();
        let max = self.ctx.uploads.limits.max_bytes;
        let args_len = Value::Object(args.clone()).to_string().len();
        if args_len > max * 4 / 3 + 64 * 1024 {
            // Only a file makes arguments this large: refused as the receipt it carries.
            let size = (args_len as u64).saturating_mul(3) / 4;
            return Ok(super::too_large::tool_error_for(None, size, max as u64).into());
        }
        let result = match &entry.target {
            ToolTarget::View(v) => self.run_view(&actor, &entry, v, &args).await,
            ToolTarget::Operation(o) => self.run_operation(&actor, &entry, o, &args).await,
            ToolTarget::ReadFile(f) => self.read_file(&actor, &entry, f, &args).await,
            ToolTarget::FindLookup(f) => {
                let app = entry.app.clone();
                match super::lookup::run(&self.ctx.engine, app, &actor, f, &args).await {
                    Ok(r) => r,
                    Err(e) => {
                        let (r, code) = engine_error(&e);
                        self.note(code, Some(&entry.name), &actor.username, &e.to_string())
                            .await;
                        r
                    }
                }
            }
            ToolTarget::ReadLines(f) => {
                let app = entry.app.clone();
                let budget = self.ctx.max_result_bytes;
                let rows_in = self.ctx.view_rows.get(self.ctx.engine.store()).await;
                match super::lines::run(&self.ctx.engine, app, &actor, f, &args, budget, rows_in)
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        let (r, code) = engine_error(&e);
                        self.note(code, Some(&entry.name), &actor.username, &e.to_string())
                            .await;
                        r
                    }
                }
            }
            ToolTarget::UploadLink => {
                // The one tool that may ask the client for the person's input (a URL
                // elicitation), so the one whose answer may be `input_required`.
                let round = super::upload_link::Round {
                    url_elicitation: url_elicitation(&context),
                    request_state: request.request_state.clone(),
                    input_responses: request.input_responses.clone(),
                };
                let app = entry.app.clone();
                match super::upload_link::run(&self.ctx, app, &actor, &args, round).await {
                    CallToolResponse::Complete(r) => r,
                    other => {
                        let secs = started.elapsed().as_secs_f64();
                        crate::operate::metrics::tool_call(&entry.name, "input_required", secs);
                        return Ok(other);
                    }
                }
            }
            ToolTarget::Summary(v) => {
                let app = entry.app.clone();
                let budget = self.ctx.max_result_bytes;
                match super::summary::run(&self.ctx.engine, app, &actor, v, &args, budget).await {
                    Ok(r) => r,
                    Err(e) => {
                        let (r, code) = engine_error(&e);
                        self.note(code, Some(&entry.name), &actor.username, &e.to_string())
                            .await;
                        r
                    }
                }
            }
        };
        let outcome = if result.is_error == Some(true) {
            result
                .structured_content
                .as_ref()
                .and_then(|s| s["error"]["code"].as_str())
                .unwrap_or("error")
                .to_string()
        } else {
            "ok".to_string()
        };
        crate::operate::metrics::tool_call(&entry.name, &outcome, started.elapsed().as_secs_f64());
        Ok(result.into())
    }
}
