//! Discovery documents: RFC 9728 protected resource metadata for `/mcp`.
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
    HttpResponse::Ok()
        .content_type("application/json")
        .json(serde_json::json!({
            "resource": state.mcp_url(),
            "authorization_servers": [state.base_url],
            "bearer_methods_supported": ["header"],
            "resource_name": "Formwork",
        }))
}
