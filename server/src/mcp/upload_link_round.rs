//! The upload link tool's round through a client with URL-mode elicitation (MCP 2026-07-28):
//! the link as an `input_required` result holding one URL elicitation, and the retry that
//! brings the person's answer (see `upload_link.rs`).
use super::results::tool_error;
use super::upload_link::{place, status, Minted};
use super::McpContext;
use crate::engine::{Actor, PublishedApp};
use chrono::Utc;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock as Content, ElicitRequest, ElicitRequestParams,
    InputRequest, InputRequests, InputRequiredResult, InputResponses,
};
use serde_json::{json, Value};

/// The key of the one input request an `input_required` result of this tool holds.
const INPUT_KEY: &str = "upload";
/// The request state's prefix; the rest is the link's id.
const STATE_PREFIX: &str = "upload-link:";

/// How the client can be asked, and what it brings back: the parts of a `tools/call` that
/// belong to the multi-round-trip pattern.
pub struct Round {
    /// The client declared URL-mode elicitation for this request (protocol 2026-07-28 or later).
    pub url_elicitation: bool,
    /// The request state an earlier `input_required` result of this tool gave (on a retry).
    pub request_state: Option<String>,
    /// The client's answers to that result's input requests.
    pub input_responses: Option<InputResponses>,
}

/// The link as a URL elicitation the client shows the person (MCP 2026-07-28 `input_required`).
pub(super) fn elicit(m: &Minted) -> InputRequiredResult {
    let message = format!(
        "Send the {} for {} from your phone or computer: the page takes a photo or a PDF. The link works once, for {} minutes, and only for you.",
        m.label,
        m.place(),
        m.minutes
    );
    let request = ElicitRequest::new(ElicitRequestParams::UrlElicitationParams {
        meta: None,
        message,
        url: m.url.clone(),
        elicitation_id: format!("{STATE_PREFIX}{}", m.link_id),
    });
    let mut requests = InputRequests::new();
    requests.insert(INPUT_KEY.to_string(), InputRequest::Elicitation(request));
    InputRequiredResult::new(Some(requests), Some(format!("{STATE_PREFIX}{}", m.link_id)))
}

/// The retry after the person was asked through the client: their answer, then the link's
/// state. The state names a link; `status` accepts it only as one of the caller's own, for
/// this record.
pub(super) async fn answered(
    ctx: &McpContext,
    app: &PublishedApp,
    actor: &Actor,
    record_id: i64,
    state: &str,
    responses: Option<InputResponses>,
) -> CallToolResponse {
    let Some(link_id) = state
        .strip_prefix(STATE_PREFIX)
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return tool_error(
            "invalid_input",
            "the request state was not made by this tool; call it again without one",
            None,
        )
        .into();
    };
    let action = responses
        .as_ref()
        .and_then(|r| r.get(INPUT_KEY))
        .and_then(|a| a.get("action"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match action.as_deref() {
        Some("accept") => {
            // The person opened the link; the file usually follows within moments. Wait a
            // bounded time, reading the link's row (so a file sent to another process of the
            // site is seen too), then say what there is.
            let until = std::time::Instant::now() + ctx.upload_link_wait;
            loop {
                let r = status(ctx, app, actor, link_id, record_id).await;
                let pending = r
                    .structured_content
                    .as_ref()
                    .and_then(|s| s["status"].as_str())
                    .is_some_and(|s| s == "waiting" || s == "uploading");
                if !pending || std::time::Instant::now() >= until {
                    return r.into();
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        }
        Some(a @ ("decline" | "cancel")) => {
            // Look the link up first, so another person's link id is refused the same way.
            let r = status(ctx, app, actor, link_id, record_id).await;
            if r.is_error == Some(true) {
                return r.into();
            }
            let withdrawn = match ctx
                .auth
                .withdraw_upload_link(link_id, actor.user_id, Utc::now())
                .await
            {
                Ok(w) => w,
                Err(e) => return tool_error("server_error", e.to_string(), None).into(),
            };
            if !withdrawn {
                // Sent (or expired) meanwhile: report that instead.
                return status(ctx, app, actor, link_id, record_id).await.into();
            }
            let said = if a == "decline" { "declined" } else { "dismissed" };
            let text = format!(
                "The user {said} the link to send the file for {}; it no longer works. Ask them how they would like to provide the file, or call this tool again for a new link.",
                place(record_id, "", None)
            );
            let mut out = CallToolResult::success(vec![Content::text(text)]);
            out.structured_content = Some(json!({
                "link_id": link_id,
                "record_id": record_id,
                "status": "withdrawn",
                "answer": a,
            }));
            out.into()
        }
        _ => tool_error(
            "invalid_input",
            format!("the retry carries no answer (`inputResponses.{INPUT_KEY}.action`) to the upload request"),
            None,
        )
        .into(),
    }
}
