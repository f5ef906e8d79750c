//! `/oauth/authorize`: sends the user through our own sign-in page, then asks for consent.
//! Until the client and its redirect URI are established, errors are shown on a page and never
//! redirected (no open redirects); after that they go back to the client with `state`.
use crate::auth::oauth::{AuthorizeParams, AuthorizeRequest, ClientType, OAuthError};
use crate::auth::WebSession;
use crate::web::layout::{ErrorPage, Layout};
use crate::web::session::{Signed, SESSION_COOKIE};
use crate::web::{enc, render, AppState, WebError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

struct Hidden {
    name: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "oauth/consent.html")]
struct ConsentPage {
    layout: Layout,
    client_name: String,
    client_type: String,
    username: String,
    display_name: String,
    /// The host of the redirect URI: where the code goes, whatever the client calls itself.
    return_to: String,
    /// The client registered itself (dynamic registration): its name is its own claim.
    self_registered: bool,
    fields: Vec<Hidden>,
}

/// A request that cannot be answered at the client's redirect URI.
fn error_page(e: &OAuthError) -> HttpResponse {
    let page = ErrorPage {
        title: "This connection request cannot be completed".into(),
        message: format!("{} ({})", e.description(), e.code()),
        request_id: crate::operate::request_id::current().unwrap_or_default(),
    };
    let status = match e {
        OAuthError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(
            page.render()
                .unwrap_or_else(|_| e.description().to_string()),
        )
}

fn go(status: StatusCode, to: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Location", to))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

/// The authorize URL again, re-encoded from the parsed parameters (kept on this site).
fn authorize_path(p: &AuthorizeParams) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in p.pairs() {
        q.append_pair(k, &v);
    }
    format!("/oauth/authorize?{}", q.finish())
}

async fn current_session(
    state: &AppState,
    req: &HttpRequest,
) -> Result<Option<WebSession>, WebError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(state.auth.session(cookie.value(), Utc::now()).await?)
}

/// Someone who must change a temporary password does that before allowing any client.
fn must_change_first(session: &WebSession, p: &AuthorizeParams) -> Option<HttpResponse> {
    session.user.must_change_password.then(|| {
        go(
            StatusCode::SEE_OTHER,
            &format!(
                "{}?next={}",
                crate::web::session::CHANGE_PASSWORD_PATH,
                enc(&authorize_path(p))
            ),
        )
    })
}

/// Parses and checks a request; `Err` is the response to send instead.
async fn checked(
    state: &AppState,
    pairs: &[(String, String)],
    redirect: StatusCode,
) -> Result<(AuthorizeParams, AuthorizeRequest), HttpResponse> {
    let params = AuthorizeParams::from_pairs(pairs).map_err(|e| error_page(&e))?;
    let recipient = state
        .auth
        .authorize_recipient(&params)
        .await
        .map_err(|e| error_page(&e))?;
    match state
        .auth
        .authorize_request(recipient, &params, &state.mcp_url())
    {
        Ok(r) => Ok((params, r)),
        Err(failed) => {
            let (recipient, e) = *failed;
            Err(go(redirect, &recipient.error(&e, &state.base_url)))
        }
    }
}

/// GET: check the request, make sure someone is signed in, show the consent page.
pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let (params, request) = match checked(&state, &query, StatusCode::FOUND).await {
        Ok(c) => c,
        Err(resp) => return Ok(resp),
    };
    let Some(session) = current_session(&state, &req).await? else {
        let next = authorize_path(&params);
        return Ok(go(
            StatusCode::SEE_OTHER,
            &format!("/login?next={}", enc(&next)),
        ));
    };
    if let Some(resp) = must_change_first(&session, &params) {
        return Ok(resp);
    }
    let client = &request.recipient.client;
    let return_to = url::Url::parse(&request.recipient.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let signed = Signed {
        user: session.user,
        csrf: session.csrf_token,
    };
    let mut resp = render(&ConsentPage {
        layout: Layout::new(format!("Connect {}", client.name), &signed),
        client_name: client.name.clone(),
        client_type: ClientType::stored(&client.client_type).label().to_string(),
        username: signed.user.username.clone(),
        display_name: signed.user.display_name.clone(),
        return_to,
        self_registered: client.dynamic,
        fields: params
            .pairs()
            .into_iter()
            .map(|(name, value)| Hidden { name, value })
            .collect(),
    })?;
    resp.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    // Allow and Deny post here, then redirect to the client: the form may lead there.
    if let Some(policy) = url::Url::parse(&request.recipient.redirect_uri)
        .ok()
        .map(|u| crate::web::policy_with_form_target(&u.origin()))
        .and_then(|p| actix_web::http::header::HeaderValue::from_str(&p).ok())
    {
        resp.headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(resp)
}

/// POST from the consent page: Allow issues a code, Deny answers `access_denied`.
pub async fn decide(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (csrf, decision) = (value("csrf"), value("decision"));
    let pairs: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| k != "csrf" && k != "decision")
        .cloned()
        .collect();
    let (params, request) = match checked(&state, &pairs, StatusCode::SEE_OTHER).await {
        Ok(c) => c,
        Err(resp) => return Ok(resp),
    };
    let Some(session) = current_session(&state, &req).await? else {
        let next = authorize_path(&params);
        return Ok(go(
            StatusCode::SEE_OTHER,
            &format!("/login?next={}", enc(&next)),
        ));
    };
    if csrf.is_empty() || !crate::auth::same(&csrf, &session.csrf_token) {
        return Err(WebError::Csrf);
    }
    if let Some(resp) = must_change_first(&session, &params) {
        return Ok(resp);
    }
    let issuer = &state.base_url;
    if decision != "allow" {
        let e = OAuthError::AccessDenied("the user denied the request".into());
        return Ok(go(
            StatusCode::SEE_OTHER,
            &request.recipient.error(&e, issuer),
        ));
    }
    match state
        .auth
        .issue_code(&request, session.user.id, Utc::now())
        .await
    {
        Ok(code) => Ok(go(
            StatusCode::SEE_OTHER,
            &request.recipient.answer(&[("code", &code)], issuer),
        )),
        Err(e) => Ok(go(
            StatusCode::SEE_OTHER,
            &request.recipient.error(&e, issuer),
        )),
    }
}
