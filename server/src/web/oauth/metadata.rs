//! RFC 8414 authorization server metadata. The issuer is the site's base URL, the same value
//! the protected resource metadata (RFC 9728) lists under `authorization_servers`.
use crate::auth::oauth::GRANTED_SCOPE;
use crate::web::{AppState, WebError};
use actix_web::{web, HttpResponse};

pub async fn authorization_server(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let base = &state.base_url;
    let dcr = state
        .auth
        .dynamic_registration_enabled()
        .await
        .map_err(|e| WebError::Internal(e.description().to_string()))?;
    let mut auth_methods = vec!["client_secret_post", "client_secret_basic"];
    if dcr {
        auth_methods.push("none");
    }
    let mut doc = serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "scopes_supported": [GRANTED_SCOPE],
        "authorization_response_iss_parameter_supported": true,
    });
    if dcr {
        doc["registration_endpoint"] = serde_json::json!(format!("{base}/oauth/register"));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .insert_header(("Cache-Control", "max-age=60"))
        .content_type("application/json")
        .body(doc.to_string()))
}
