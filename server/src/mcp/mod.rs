//! The MCP surface: Streamable HTTP at `/mcp` (rmcp, mounted with rmcp-actix-web), stateless so
//! several processes can serve one database. Bearer authentication is actix middleware in front
//! of rmcp; the principal reaches the handler through rmcp's request extensions.
pub mod catalog;
mod envelope;
mod field_types;
mod jsonrpc;
mod lines;
mod lookup;
mod notify;
pub mod results;
mod server;
mod summary;
mod switch;
mod too_large;
pub mod upload_link;
mod upload_link_round;

pub use notify::open_streams;
pub use server::FormworkMcp;
pub use switch::{SiteSwitch, ViewRows, ViewRowsSetting, MCP_ENABLED_KEY, MCP_VIEW_ROWS_KEY};

use crate::auth::{Auth, AuthError};
use crate::engine::Engine;
use crate::uploads::Uploads;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpResponse};
use chrono::Utc;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp_actix_web::transport::StreamableHttpService;
use std::sync::Arc;

/// Settings key of the base URL the server last started with (its public URL, or
/// `http://<bind>` without one): the CLI builds the MCP server URL it prints from it.
pub const BASE_URL_KEY: &str = "site.base_url";

/// Notes the base URL this server runs with, for the CLI. Best effort: a server that cannot
/// write it (a full disk) still serves.
pub async fn remember_base_url(store: &crate::store::Store, base_url: &str) {
    match store.setting(BASE_URL_KEY).await {
        Ok(Some(known)) if known == base_url => {}
        _ => {
            if let Err(e) = store.set_setting(BASE_URL_KEY, base_url).await {
                tracing::warn!("could not note the site's base URL for the CLI: {e}");
            }
        }
    }
}

/// What the MCP surface shares across requests.
pub struct McpContext {
    pub engine: Engine,
    pub auth: Auth,
    pub uploads: Uploads,
    pub max_result_bytes: usize,
    /// How long an upload link works (`--upload-link-seconds`).
    pub upload_link_seconds: i64,
    /// How long the upload link tool waits for a file after an accepted URL elicitation
    /// (`--upload-link-wait-seconds`).
    pub upload_link_wait: std::time::Duration,
    pub base_url: String,
    /// The port the server listens on, for loopback Host/Origin spellings.
    pub local_port: u16,
    pub switch: SiteSwitch,
    /// Where view tools put their rows (Configure > Integration > MCP).
    pub view_rows: ViewRowsSetting,
}

impl McpContext {
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base_url)
    }

    /// The largest request body `/mcp` reads: an upload at the size limit, base64-encoded, with
    /// room for the rest of the message.
    pub fn max_request_body_bytes(&self) -> usize {
        self.uploads.limits.max_bytes * 4 / 3 + 1024 * 1024
    }

    /// RFC 9728 metadata URL for the `/mcp` resource.
    pub fn resource_metadata_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/mcp", self.base_url)
    }
}

/// Hosts the MCP endpoint answers to (DNS-rebinding protection): the public URL's host and
/// loopback names.
fn allowed_hosts(base_url: &str) -> Vec<String> {
    let mut hosts = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "[::1]".to_string(),
    ];
    if let Ok(u) = url::Url::parse(base_url) {
        if let Some(h) = u.host_str() {
            hosts.push(h.to_string());
            if let Some(p) = u.port() {
                hosts.push(format!("{h}:{p}"));
            }
        }
    }
    hosts
}

/// Origins a browser-based client may call from: the public URL's, and this server's own port
/// under each loopback spelling (pages served by Formwork itself).
fn allowed_origins(base_url: &str, port: u16) -> Vec<String> {
    let mut origins: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .map(|h| format!("http://{h}:{port}"))
        .collect();
    if let Ok(u) = url::Url::parse(base_url) {
        origins.push(u.origin().ascii_serialization());
    }
    origins
}

/// Mounts `/mcp` with its authentication middleware.
pub fn configure(ctx: Arc<McpContext>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        let factory_ctx = ctx.clone();
        let service = StreamableHttpService::builder()
            .service_factory(Arc::new(move || {
                Ok(FormworkMcp {
                    ctx: factory_ctx.clone(),
                })
            }))
            .session_manager(Arc::new(LocalSessionManager::default()))
            .stateful_mode(false)
            .json_response(true)
            .allowed_hosts(allowed_hosts(&ctx.base_url))
            .allowed_origins(allowed_origins(&ctx.base_url, ctx.local_port))
            .max_request_body_bytes(ctx.max_request_body_bytes())
            .on_request_fn(|req, ext| {
                if let Some(p) = req.extensions().get::<crate::auth::Principal>() {
                    ext.insert(p.clone());
                }
                if let Some(id) = crate::operate::request_id::current() {
                    ext.insert(crate::operate::request_id::RequestId(id));
                }
            })
            .build();
        cfg.app_data(web::Data::from(ctx.clone())).service(
            web::scope("/mcp")
                // Inner, so it runs after authentication: JSON-RPC errors for what rmcp would
                // refuse in plain text or misread.
                .wrap(from_fn(jsonrpc_guard))
                .wrap(from_fn(authenticate))
                // The event stream for tool-list changes; every other method goes to rmcp.
                .service(
                    web::resource(["", "/"])
                        .guard(actix_web::guard::Get())
                        .to(notify::stream),
                )
                .service(service.scope()),
        );
    }
}

fn json_error(status: actix_web::http::StatusCode, code: i64, message: &str) -> HttpResponse {
    jsonrpc::error_response(status, code, &serde_json::Value::Null, message)
}

/// [`jsonrpc::guard`] with rmcp's body limit.
async fn jsonrpc_guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(ctx) = req.app_data::<web::Data<McpContext>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "MCP context missing",
        ));
    };
    jsonrpc::guard(
        req,
        next,
        ctx.max_request_body_bytes(),
        ctx.uploads.limits.max_bytes,
    )
    .await
}

/// The token of an `Authorization: Bearer <token>` header (RFC 6750), if there is one.
fn bearer_token(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    let h = headers.get("authorization")?.to_str().ok()?;
    let (scheme, value) = h.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| value.trim().to_string())
}

/// The caller's address as the rate limits see it (behind a loopback proxy: the proxy's last
/// `X-Forwarded-For` entry).
fn request_address(req: &ServiceRequest) -> String {
    match req.app_data::<web::Data<crate::web::AppState>>() {
        Some(state) => crate::web::address::client_address(req.request(), state),
        None => req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".into()),
    }
}

/// Bearer authentication (RFC 6750) and the site switch, before rmcp sees the request.
async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(ctx) = req.app_data::<web::Data<McpContext>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "MCP context missing",
        ));
    };
    let token = bearer_token(req.headers());
    let challenge = |err: Option<(&str, &str)>| {
        let mut v = format!(
            "Bearer resource_metadata=\"{}\"",
            ctx.resource_metadata_url()
        );
        if let Some((code, desc)) = err {
            v.push_str(&format!(", error=\"{code}\", error_description=\"{desc}\""));
        }
        v
    };
    let now = Utc::now();
    let principal = match token {
        None => {
            let resp = HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", challenge(None)))
                .content_type("application/json")
                .body(r#"{"error":"invalid_token","error_description":"send Authorization: Bearer <token> (OAuth access token or personal access token)"}"#);
            return Ok(req.into_response(resp));
        }
        Some(t) => {
            match ctx.auth.verify_bearer(&t, &ctx.mcp_url(), now).await {
                Ok(p) => p,
                Err(e) => {
                    let desc = match e {
                        AuthError::Disabled => "the user account is disabled",
                        AuthError::Store(_) => "the server could not check the token",
                        _ => "the token is invalid, expired or revoked",
                    };
                    // Counted in memory: an unauthenticated request writes nothing.
                    ctx.auth
                        .note_rejected_bearer(&request_address(&req), desc, now);
                    let resp = HttpResponse::Unauthorized()
                    .insert_header(("WWW-Authenticate", challenge(Some(("invalid_token", desc)))))
                    .content_type("application/json")
                    .body(serde_json::json!({"error": "invalid_token", "error_description": desc}).to_string());
                    return Ok(req.into_response(resp));
                }
            }
        }
    };
    if !ctx.switch.enabled(ctx.engine.store()).await {
        let msg = "MCP access is turned off for this site: an administrator can allow it under Configure > Integration > MCP";
        let _ = ctx
            .engine
            .store()
            .log_mcp_event(
                "surface_off",
                None,
                Some(&principal.user.username),
                msg,
                now,
            )
            .await;
        return Ok(req.into_response(json_error(
            actix_web::http::StatusCode::FORBIDDEN,
            -32001,
            msg,
        )));
    }
    req.extensions_mut().insert(principal);
    Ok(next.call(req).await?.map_into_boxed_body())
}
