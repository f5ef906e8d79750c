//! Changing one's own password: the current one, the new one twice. Also the page a user whose
//! password an administrator set is sent to until they choose their own.
use crate::auth::{PasswordChangeError, MIN_PASSWORD_CHARS};
use crate::web::layout::Layout;
use crate::web::next_path::safe_next;
use crate::web::{redirect, render, AppState, Signed, WebError, SESSION_COOKIE};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "change_password.html")]
struct ChangePasswordPage {
    layout: Layout,
    username: String,
    /// An administrator set the password: the person must change it before anything else.
    forced: bool,
    min_chars: usize,
    next: String,
    error: Option<String>,
}

fn page(signed: &Signed, next: String, error: Option<String>) -> Result<HttpResponse, WebError> {
    let bad = error.is_some();
    let mut resp = render(&ChangePasswordPage {
        layout: Layout::new("Change your password", signed),
        username: signed.user.username.clone(),
        forced: signed.user.must_change_password,
        min_chars: MIN_PASSWORD_CHARS,
        next,
        error,
    })?;
    if bad {
        *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn form(signed: Signed, q: web::Query<NextQuery>) -> Result<HttpResponse, WebError> {
    page(&signed, safe_next(q.next.as_deref()), None)
}

#[derive(Deserialize)]
pub struct ChangeForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
    next: Option<String>,
}

pub async fn submit(
    state: web::Data<AppState>,
    signed: Signed,
    req: HttpRequest,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    let next = safe_next(form.next.as_deref());
    let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
    match state
        .auth
        .change_own_password(
            &signed.user,
            &form.current,
            &form.new,
            &form.repeat,
            cookie.as_deref(),
        )
        .await
    {
        Ok(()) if next == "/" => Ok(redirect("/profile?done=password")),
        Ok(()) => Ok(redirect(&next)),
        Err(PasswordChangeError::Auth(e)) => Err(e.into()),
        Err(PasswordChangeError::Internal(e)) => Err(WebError::Internal(e)),
        Err(e) => page(&signed, next, Some(capitalized(&e.to_string()))),
    }
}

/// The error's sentence with a capital letter and a full stop, as the page shows it.
pub(in crate::web) fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
