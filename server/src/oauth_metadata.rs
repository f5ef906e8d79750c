//! Discovery documents: RFC 9728 protected resource metadata for `/mcp` (the authorization
//! server's RFC 8414 metadata is served by `web::oauth`).
use crate::web::AppState;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/oauth-protected-resource",
        web::get().to(protected_resource),
    )
    .route(
        "/.well-known/oauth-protected-resource/mcp",
        web::get().to(protected_resource),
    );
}

async fn protected_resource(state: web::Data<AppState>) -> HttpResponse {
    // `resource` is the MCP URL exactly and the one authorization server is this site, whose
    // issuer (RFC 8414) is the same base URL.
    HttpResponse::Ok()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .content_type("application/json")
        .json(serde_json::json!({
            "resource": state.mcp_url(),
            "authorization_servers": [state.base_url],
            "bearer_methods_supported": ["header"],
            "scopes_supported": [crate::auth::oauth::GRANTED_SCOPE],
            "resource_name": "Formwork",
        }))
}
