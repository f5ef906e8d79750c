//! "Forgot your password?": with email configured, a form that emails a single-use reset link
//! and the page the link opens; without, the person is told to ask an administrator. Both forms
//! are anonymous and carry a double-submit CSRF cookie, as the sign-in form does. The answer to a
//! request is the same whether or not an account matches.
use super::layout::Layout;
use super::profile::capitalized;
use super::sign_in::cookie;
use super::{redirect, render, AppState, WebError};
use crate::auth::{random_secret, AuthError, PasswordChangeError, ResetError, RESET_MINUTES};
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

const RESET_CSRF_COOKIE: &str = "formwork_reset";

/// Registers the forgot and reset pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/forgot", web::get().to(forgot))
        .route("/login/forgot", web::post().to(request))
        .route("/login/reset/{token}", web::get().to(reset_form))
        .route("/login/reset/{token}", web::post().to(reset));
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    mail: bool,
    sent: bool,
    who: String,
    csrf: String,
    error: Option<String>,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage {
    layout: Layout,
    /// `None`: the link is not (or no longer) usable.
    username: Option<String>,
    token: String,
    csrf: String,
    error: Option<String>,
    min_chars: usize,
    minutes: i64,
}

/// Renders `page` with a fresh CSRF cookie whose value the page's form carries.
fn with_csrf_cookie(
    state: &AppState,
    csrf: String,
    status: StatusCode,
    page: &impl Template,
) -> Result<HttpResponse, WebError> {
    let mut resp = render(page)?;
    *resp.status_mut() = status;
    resp.add_cookie(&cookie(
        state,
        RESET_CSRF_COOKIE,
        csrf,
        Some(CookieDuration::hours(1)),
    ))
    .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(resp)
}

fn check_csrf(req: &HttpRequest, sent: &str) -> Result<(), WebError> {
    let expected = req
        .cookie(RESET_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if expected.is_empty() || !crate::auth::same(&expected, sent) {
        return Err(WebError::Csrf);
    }
    Ok(())
}

fn forgot_page(
    state: &AppState,
    sent: bool,
    who: String,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let csrf = random_secret(24);
    let page = ForgotPage {
        layout: Layout::anonymous("Forgot your password?"),
        mail: crate::mail::configured(&state.config),
        sent,
        who,
        csrf: csrf.clone(),
        error,
        minutes: RESET_MINUTES,
    };
    with_csrf_cookie(state, csrf, status, &page)
}

pub async fn forgot(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    forgot_page(&state, false, String::new(), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    csrf: String,
    who: String,
}

pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, WebError> {
    check_csrf(&req, &form.csrf)?;
    if !crate::mail::configured(&state.config) {
        return forgot_page(&state, false, String::new(), None, StatusCode::OK);
    }
    let who: String = form.who.trim().chars().take(254).collect();
    let address = super::address::client_address(&req, &state);
    match state
        .auth
        .request_password_reset(&address, &who, Utc::now())
        .await
    {
        Ok(links) => {
            for link in links {
                crate::mail::send_reset_link(&state.config, &state.base_url, link);
            }
            forgot_page(&state, true, who, None, StatusCode::OK)
        }
        Err(e @ AuthError::TooManyAttempts(_)) => forgot_page(
            &state,
            false,
            who,
            Some(capitalized(&e.to_string())),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(e) => Err(e.into()),
    }
}

fn reset_page(
    state: &AppState,
    token: &str,
    username: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let csrf = random_secret(24);
    let page = ResetPage {
        layout: Layout::anonymous("Choose a new password"),
        token: if username.is_some() {
            token.to_string()
        } else {
            String::new()
        },
        username,
        csrf: csrf.clone(),
        error,
        min_chars: crate::auth::MIN_PASSWORD_CHARS,
        minutes: RESET_MINUTES,
    };
    with_csrf_cookie(state, csrf, status, &page)
}

pub async fn reset_form(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let user = state.auth.reset_link_user(&path, Utc::now()).await?;
    let status = if user.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    reset_page(&state, &path, user.map(|u| u.username), None, status)
}

#[derive(Deserialize)]
pub struct ResetForm {
    csrf: String,
    new: String,
    repeat: String,
}

pub async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, WebError> {
    check_csrf(&req, &form.csrf)?;
    let now = Utc::now();
    match state
        .auth
        .complete_password_reset(&path, &form.new, &form.repeat, now)
        .await
    {
        Ok(_) => {
            let mut resp = redirect("/login?done=reset");
            let mut gone = cookie(&state, RESET_CSRF_COOKIE, String::new(), None);
            gone.make_removal();
            resp.add_cookie(&gone)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(resp)
        }
        Err(ResetError::InvalidLink) => reset_page(&state, &path, None, None, StatusCode::GONE),
        Err(ResetError::Password(PasswordChangeError::Auth(e))) => Err(e.into()),
        Err(ResetError::Password(PasswordChangeError::Internal(e))) => Err(WebError::Internal(e)),
        Err(ResetError::Password(e)) => {
            let user = state.auth.reset_link_user(&path, now).await?;
            reset_page(
                &state,
                &path,
                user.map(|u| u.username),
                Some(capitalized(&e.to_string())),
                StatusCode::BAD_REQUEST,
            )
        }
    }
}
