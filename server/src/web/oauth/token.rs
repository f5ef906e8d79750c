//! `/oauth/token` (authorization_code and refresh_token grants) and `/oauth/revoke` (RFC 7009),
//! both with client authentication by `client_secret_basic` or `client_secret_post`, and a
//! per-address limit on failed client authentications. Secrets and tokens are never logged.
use super::{form_params, json_error, no_store};
use crate::auth::oauth::pkce::CodeVerifier;
use crate::auth::oauth::{ClientCredentials, CodeGrant, OAuthError};
use crate::auth::throttle::CLIENT_AUTH_PER_ADDRESS;
use crate::store::ClientRow;
use crate::web::address::client_address;
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

fn decode_component(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.to_string())
        .unwrap_or_default()
}

/// The `Authorization: Basic` credentials, form-urlencoded then base64 (RFC 6749 §2.3.1).
fn basic_credentials(req: &HttpRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(h) = req.headers().get("authorization") else {
        return Ok(None);
    };
    let bad =
        || OAuthError::InvalidClient("the Authorization header is not valid HTTP Basic".into());
    let h = h.to_str().map_err(|_| bad())?;
    let Some((scheme, value)) = h.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some((decode_component(id), decode_component(secret))))
}

/// The client's credentials from the header or the form; using both methods is refused.
fn credentials(
    req: &HttpRequest,
    form: &HashMap<String, String>,
) -> Result<(ClientCredentials, bool), OAuthError> {
    let basic = basic_credentials(req)?;
    let post_id = form.get("client_id").filter(|s| !s.is_empty());
    let post_secret = form.get("client_secret").filter(|s| !s.is_empty());
    match (basic, post_id, post_secret) {
        (Some(_), _, Some(_)) => Err(OAuthError::InvalidRequest(
            "use one client authentication method: HTTP Basic or client_secret in the form, not both"
                .into(),
        )),
        (Some((id, _)), Some(p), None) if *p != id => Err(OAuthError::InvalidRequest(
            "client_id in the form differs from the one in the Authorization header".into(),
        )),
        (Some((id, secret)), _, None) => Ok((
            ClientCredentials {
                client_id: id,
                secret: Some(secret),
            },
            true,
        )),
        (None, Some(id), secret) => Ok((
            ClientCredentials {
                client_id: id.clone(),
                secret: secret.cloned(),
            },
            false,
        )),
        (None, None, _) => Err(OAuthError::InvalidClient(
            "client authentication is required: send the Client ID and Client Secret with HTTP Basic or as client_id and client_secret in the form".into(),
        )),
    }
}

/// Authenticates the client, counting failures against the caller's address.
async fn authenticated_client(
    state: &AppState,
    req: &HttpRequest,
    form: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(ClientRow, bool), (OAuthError, bool)> {
    let address = client_address(req, state);
    state
        .auth
        .check_limit(&CLIENT_AUTH_PER_ADDRESS, &address, now)
        .await
        .map_err(|e| (e.into(), false))?;
    let (creds, basic) = credentials(req, form).map_err(|e| (e, false))?;
    match state.auth.authenticate_client(&creds).await {
        Ok(c) => Ok((c, basic)),
        Err(e @ OAuthError::InvalidClient(_)) => {
            if let Err(count) = state
                .auth
                .count_against(&CLIENT_AUTH_PER_ADDRESS, &address, now)
                .await
            {
                return Err((count.into(), basic));
            }
            Err((e, basic))
        }
        Err(e) => Err((e, basic)),
    }
}

fn param<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(String::as_str).filter(|s| !s.is_empty())
}

fn required<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    param(form, name).ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is required")))
}

pub async fn token(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let now = Utc::now();
    let form = match form_params(&body) {
        Ok(f) => f,
        Err(e) => return json_error(&e, false),
    };
    let grant_type = match required(&form, "grant_type") {
        Ok(g) => g.to_string(),
        Err(e) => return json_error(&e, false),
    };
    // Parameters are checked before the client authenticates, so a malformed request spends
    // no code.
    let checked = match grant_type.as_str() {
        "authorization_code" => required(&form, "code")
            .and_then(|_| CodeVerifier::parse(param(&form, "code_verifier")))
            .map(Some),
        "refresh_token" => required(&form, "refresh_token").map(|_| None),
        other => Err(OAuthError::UnsupportedGrantType(format!(
            "grant_type {other} is not supported: use authorization_code or refresh_token"
        ))),
    };
    let verifier = match checked {
        Ok(v) => v,
        Err(e) => return json_error(&e, false),
    };
    let (client, basic) = match authenticated_client(&state, &req, &form, now).await {
        Ok(c) => c,
        Err((e, basic)) => return json_error(&e, basic),
    };
    let result = match verifier {
        Some(verifier) => {
            state
                .auth
                .exchange_code(
                    &client,
                    CodeGrant {
                        code: param(&form, "code").unwrap_or_default(),
                        redirect_uri: param(&form, "redirect_uri"),
                        verifier: &verifier,
                        resource: param(&form, "resource"),
                    },
                    now,
                )
                .await
        }
        None => {
            state
                .auth
                .refresh(
                    &client,
                    param(&form, "refresh_token").unwrap_or_default(),
                    param(&form, "scope"),
                    param(&form, "resource"),
                    now,
                )
                .await
        }
    };
    match result {
        Ok(t) => match serde_json::to_string(&t) {
            Ok(body) => no_store(StatusCode::OK).body(body),
            Err(_) => json_error(&OAuthError::ServerError("cannot encode".into()), basic),
        },
        Err(e) => json_error(&e, basic),
    }
}

pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let now = Utc::now();
    let form = match form_params(&body) {
        Ok(f) => f,
        Err(e) => return json_error(&e, false),
    };
    let token = match required(&form, "token") {
        Ok(t) => t.to_string(),
        Err(e) => return json_error(&e, false),
    };
    let (client, basic) = match authenticated_client(&state, &req, &form, now).await {
        Ok(c) => c,
        Err((e, basic)) => return json_error(&e, basic),
    };
    match state.auth.revoke_for_client(&client, &token, now).await {
        Ok(()) => no_store(StatusCode::OK).finish(),
        Err(e) => json_error(&e, basic),
    }
}
