//! `/oauth/register`: dynamic client registration (RFC 7591), only while the administrator's
//! switch is on, and at most a few registrations per address and hour.
use super::{json_error, no_store};
use crate::auth::oauth::{OAuthError, RegistrationRequest};
use crate::auth::throttle::REGISTRATION_PER_ADDRESS;
use crate::web::address::client_address;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let now = Utc::now();
    match state.auth.dynamic_registration_enabled().await {
        Ok(true) => {}
        Ok(false) => {
            return no_store(StatusCode::FORBIDDEN).body(
                serde_json::json!({
                    "error": "access_denied",
                    "error_description": "dynamic client registration is turned off on this site: an administrator registers MCP clients under Configure > Integration > MCP (or allows dynamic registration there)",
                })
                .to_string(),
            )
        }
        Err(e) => return json_error(&e, false),
    }
    let address = client_address(&req, &state);
    if let Err(e) = state
        .auth
        .check_limit(&REGISTRATION_PER_ADDRESS, &address, now)
        .await
    {
        return json_error(&e.into(), false);
    }
    let metadata: RegistrationRequest = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return json_error(
                &OAuthError::InvalidClientMetadata(format!(
                    "the body must be a JSON object of client metadata: {e}"
                )),
                false,
            )
        }
    };
    match state.auth.register_dynamic(metadata, now).await {
        Ok(r) => {
            if let Err(e) = state
                .auth
                .count_against(&REGISTRATION_PER_ADDRESS, &address, now)
                .await
            {
                return json_error(&e.into(), false);
            }
            tracing::info!(client = %r.client_id, name = %r.client_name, "an MCP client registered itself");
            match serde_json::to_string(&r) {
                Ok(body) => no_store(StatusCode::CREATED).body(body),
                Err(_) => json_error(&OAuthError::ServerError("cannot encode".into()), false),
            }
        }
        Err(e) => json_error(&e, false),
    }
}
