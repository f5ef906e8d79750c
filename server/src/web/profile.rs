//! The user's profile: personal access tokens for MCP clients and scripts.
use super::layout::Layout;
use super::{redirect, render, AppState, Signed, WebError};
use crate::web::forms::CsrfForm;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

struct TokenView {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    expires: String,
    revoked: bool,
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
}

async fn profile_page(
    state: &AppState,
    signed: &Signed,
    new_token: Option<String>,
) -> Result<HttpResponse, WebError> {
    let tokens = state
        .auth
        .list_pats(signed.user.id)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: t.created_at.format("%Y-%m-%d").to_string(),
            last_used: t
                .last_used_at
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "never".into()),
            expires: t
                .expires_at
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    let mut resp = render(&ProfilePage {
        layout: Layout::new("Profile", signed),
        username: signed.user.username.clone(),
        display_name: signed.user.display_name.clone(),
        roles: signed.user.roles.join(", "),
        mcp_url: state.mcp_url(),
        tokens,
        new_token,
    })?;
    resp.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

pub async fn show(state: web::Data<AppState>, signed: Signed) -> Result<HttpResponse, WebError> {
    profile_page(&state, &signed, None).await
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
    profile_page(&state, &signed, Some(token)).await
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
    Ok(redirect("/profile"))
}
