//! OAuth 2.1 endpoints for MCP clients: discovery (RFC 8414), `/oauth/authorize` with the
//! consent page, `/oauth/token`, `/oauth/revoke` (RFC 7009) and `/oauth/register` (RFC 7591).
//! Thin adapters over `auth::oauth`; errors are mapped to HTTP once, here.
mod authorize;
mod metadata;
mod register;
mod token;

use crate::auth::oauth::OAuthError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, HttpResponseBuilder};

/// Registers the OAuth routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/oauth-authorization-server",
        web::get().to(metadata::authorization_server),
    )
    .route(
        "/.well-known/oauth-authorization-server",
        web::method(actix_web::http::Method::OPTIONS).to(preflight),
    )
    .route("/oauth/authorize", web::get().to(authorize::start))
    .route("/oauth/authorize", web::post().to(authorize::decide))
    .route("/oauth/token", web::post().to(token::token))
    .route("/oauth/revoke", web::post().to(token::revoke))
    .route("/oauth/register", web::post().to(register::register));
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/register"] {
        cfg.route(
            path,
            web::method(actix_web::http::Method::OPTIONS).to(preflight),
        );
    }
}

/// Browser-based clients (e.g. an inspector) call the JSON endpoints across origins; they
/// carry no cookies, so any origin may.
fn cors(b: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    b.insert_header(("Access-Control-Allow-Origin", "*"))
}

async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .insert_header(("Access-Control-Allow-Methods", "GET, POST, OPTIONS"))
        .insert_header((
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, MCP-Protocol-Version",
        ))
        .insert_header(("Access-Control-Max-Age", "600"))
        .finish()
}

/// A JSON answer that no cache may keep (RFC 6749 §5.1).
fn no_store(status: StatusCode) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    cors(&mut b)
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"))
        .content_type("application/json");
    b
}

/// An error of the token, revocation or registration endpoint (RFC 6749 §5.2): 401 with a
/// Basic challenge for a failed client authentication that used Basic, 429 when rate limited.
fn json_error(e: &OAuthError, used_basic: bool) -> HttpResponse {
    let status = match e {
        OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
        OAuthError::TemporarilyUnavailable { .. } => StatusCode::TOO_MANY_REQUESTS,
        OAuthError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut b = no_store(status);
    if matches!(e, OAuthError::InvalidClient(_)) && used_basic {
        b.insert_header((
            "WWW-Authenticate",
            "Basic realm=\"formwork\", charset=\"UTF-8\"",
        ));
    }
    if let OAuthError::TemporarilyUnavailable { minutes, .. } = e {
        b.insert_header(("Retry-After", (minutes * 60).to_string()));
    }
    b.body(serde_json::json!({"error": e.code(), "error_description": e.description()}).to_string())
}

/// Name/value pairs of a form body; a parameter sent twice is refused (RFC 6749 §3.2).
fn form_params(body: &[u8]) -> Result<std::collections::HashMap<String, String>, OAuthError> {
    let mut map = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if map.insert(k.to_string(), v.to_string()).is_some() {
            return Err(OAuthError::InvalidRequest(format!(
                "the parameter {k} appears more than once"
            )));
        }
    }
    Ok(map)
}
