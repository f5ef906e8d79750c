//! The user's profile: password, web sessions, connected apps (MCP clients allowed through
//! OAuth) and personal access tokens for MCP clients and scripts.
mod access;
mod password;

pub(super) use password::capitalized;

use super::layout::Layout;
use super::local_time::LocalTime;
use super::{redirect, render, AppState, Signed, WebError, SESSION_COOKIE};
use crate::web::forms::CsrfForm;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// Registers the profile's account routes (password, sessions, connected apps).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        super::session::CHANGE_PASSWORD_PATH,
        web::get().to(password::form),
    )
    .route(
        super::session::CHANGE_PASSWORD_PATH,
        web::post().to(password::submit),
    )
    .route(
        "/profile/sessions/end-others",
        web::post().to(access::end_other_sessions),
    )
    .route(
        "/profile/apps/{id}/revoke",
        web::post().to(access::revoke_app),
    )
    .route("/profile/time-zone", web::post().to(save_time_zone));
}

struct TokenView {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    expires: String,
    revoked: bool,
}

struct SessionView {
    created: String,
    expires: String,
    current: bool,
}

struct AppView {
    id: i64,
    name: String,
    allowed: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    username: String,
    display_name: String,
    roles: String,
    mcp_url: String,
    tokens: Vec<TokenView>,
    new_token: Option<String>,
    sessions: Vec<SessionView>,
    apps: Vec<AppView>,
    demo_password_users: Vec<String>,
    min_chars: usize,
    time_zone: String,
    zones: Vec<&'static str>,
    time_zone_error: Option<String>,
}

/// What a finished action says at the top of the profile (`?done=`); fixed sentences only.
fn done_message(done: Option<&str>) -> Option<String> {
    match done? {
        "password" => Some("Your password was changed. Your other sessions were signed out; your personal access tokens and connected apps still work."),
        "sessions" => Some("Your other sessions were signed out."),
        "app" => Some("The app's access was revoked."),
        "token" => Some("The token was revoked: it no longer works."),
        "time-zone" => Some("Your time zone was saved."),
        _ => None,
    }
    .map(String::from)
}

/// Demo users that still have the demo's well-known password, checked only for administrators.
pub(super) async fn demo_password_users(
    state: &AppState,
    signed: &Signed,
) -> Result<Vec<String>, WebError> {
    if !signed.is_admin() {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = crate::demo::DEMO_USERS.iter().map(|u| u.0).collect();
    Ok(state
        .auth
        .users_with_password(&names, crate::demo::DEMO_PASSWORD)
        .await?)
}

async fn profile_page(
    state: &AppState,
    signed: &Signed,
    req: &HttpRequest,
    new_token: Option<String>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    profile_page_with(state, signed, req, new_token, flash, None).await
}

async fn profile_page_with(
    state: &AppState,
    signed: &Signed,
    req: &HttpRequest,
    new_token: Option<String>,
    flash: Option<String>,
    time_zone_error: Option<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let clock = LocalTime::of(&signed.user);
    let minute = |d: DateTime<Utc>| clock.minute(d);
    let tokens = state
        .auth
        .list_pats(signed.user.id)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: clock.day(t.created_at),
            last_used: t.last_used_at.map(minute).unwrap_or_else(|| "never".into()),
            expires: t
                .expires_at
                .map(|d| clock.day(d))
                .unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    let sessions = state
        .auth
        .user_sessions(signed.user.id, cookie.as_deref(), now)
        .await?
        .into_iter()
        .map(|s| SessionView {
            created: minute(s.created_at),
            expires: minute(s.expires_at),
            current: s.current,
        })
        .collect();
    let apps = state
        .engine
        .store()
        .user_clients(signed.user.id, now)
        .await?
        .into_iter()
        .map(|(id, name, allowed, last_used)| AppView {
            id,
            name,
            allowed: minute(allowed),
            last_used: last_used.map(minute).unwrap_or_else(|| "never".into()),
        })
        .collect();
    let time_zone_error_shown = time_zone_error.is_some();
    let mut resp = render(&ProfilePage {
        layout: Layout::new("Profile", signed).with_flash(flash),
        username: signed.user.username.clone(),
        display_name: signed.user.display_name.clone(),
        roles: signed.user.roles.join(", "),
        mcp_url: state.mcp_url(),
        tokens,
        new_token,
        sessions,
        apps,
        demo_password_users: demo_password_users(state, signed).await?,
        min_chars: crate::auth::MIN_PASSWORD_CHARS,
        time_zone: match &time_zone_error {
            Some((typed, _)) => typed.clone(),
            None => signed.user.time_zone.clone().unwrap_or_default(),
        },
        zones: super::local_time::zone_names().collect(),
        time_zone_error: time_zone_error.map(|(_, e)| e),
    })?;
    if time_zone_error_shown {
        *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    resp.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    req: HttpRequest,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    profile_page(&state, &signed, &req, None, done_message(q.done.as_deref())).await
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    csrf: String,
    name: String,
    /// Days until expiry; empty or 0 for none.
    days: Option<String>,
}

pub async fn create_token(
    state: web::Data<AppState>,
    signed: Signed,
    req: HttpRequest,
    form: web::Form<NewTokenForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(WebError::BadRequest(
            "give the token a name of at most 80 characters".into(),
        ));
    }
    let now = Utc::now();
    let days = form
        .days
        .as_deref()
        .and_then(|d| d.trim().parse::<i64>().ok())
        .filter(|d| *d > 0 && *d <= 3650);
    let (_, token) = state
        .auth
        .create_pat(
            signed.user.id,
            name,
            days.map(|d| now + Duration::days(d)),
            now,
        )
        .await?;
    profile_page(
        &state,
        &signed,
        &req,
        Some(token),
        Some(format!(
            "Token “{name}” created. Copy it below: it is shown only this once."
        )),
    )
    .await
}

pub async fn revoke_token(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    state
        .auth
        .revoke_pat(signed.user.id, *path, Utc::now())
        .await?;
    Ok(redirect("/profile?done=token"))
}

#[derive(Deserialize)]
pub struct TimeZoneForm {
    csrf: String,
    time_zone: String,
}

/// Saves the time zone dates and times are shown in; empty means UTC.
pub async fn save_time_zone(
    state: web::Data<AppState>,
    signed: Signed,
    req: HttpRequest,
    form: web::Form<TimeZoneForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    let typed = form.time_zone.trim();
    let zone = if typed.is_empty() {
        None
    } else {
        match super::local_time::parse_zone(typed) {
            Some(z) => Some(z.name()),
            None => {
                let error = format!(
                    "“{}” is not a time zone name. Choose one from the list, like Europe/Berlin or America/New_York.",
                    typed.chars().take(80).collect::<String>()
                );
                return profile_page_with(
                    &state,
                    &signed,
                    &req,
                    None,
                    None,
                    Some((typed.chars().take(80).collect(), error)),
                )
                .await;
            }
        }
    };
    state
        .engine
        .store()
        .set_user_time_zone(signed.user.id, zone)
        .await?;
    Ok(redirect("/profile?done=time-zone"))
}
