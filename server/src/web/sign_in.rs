//! Sign in and sign out. The sign-in form is protected by a double-submit CSRF cookie (there is
//! no session yet); `next` only ever points inside this site.
use super::layout::Layout;
use super::next_path::{parse_next, safe_next, UnsafeNext};
use super::session::SESSION_COOKIE;
use super::{redirect, render, AppState, WebError};
use crate::auth::{random_secret, AuthError};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

const LOGIN_CSRF_COOKIE: &str = "formwork_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    next: String,
    csrf: String,
    error: Option<String>,
    username: String,
    demo: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    /// `reset`: a password was just set through a reset link; `signed-out`: just signed out.
    done: Option<String>,
}

/// [`safe_next`], but a `next` no link could carry (control characters) is a bad request.
fn next_or_home(next: Option<&str>) -> Result<String, WebError> {
    match next.map(parse_next) {
        Some(Err(UnsafeNext::Malformed)) => Err(WebError::BadRequest(
            "the sign-in link is malformed: its `next` address holds control characters".into(),
        )),
        _ => Ok(safe_next(next)),
    }
}

/// Builds a cookie with the site's security attributes.
pub fn cookie<'a>(
    state: &AppState,
    name: &'a str,
    value: String,
    max_age: Option<CookieDuration>,
) -> Cookie<'a> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .finish();
    if let Some(age) = max_age {
        c.set_max_age(age);
    }
    c
}

fn login_page(
    state: &AppState,
    next: String,
    error: Option<String>,
    username: String,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let csrf = random_secret(24);
    let page = LoginPage {
        layout: Layout::anonymous("Sign in").with_flash(flash),
        next,
        csrf: csrf.clone(),
        error,
        username,
        demo: state.config.demo,
    };
    let mut resp = render(&page)?;
    resp.add_cookie(&cookie(
        state,
        LOGIN_CSRF_COOKIE,
        csrf,
        Some(CookieDuration::hours(1)),
    ))
    .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(resp)
}

pub async fn form(
    state: web::Data<AppState>,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    login_page(
        &state,
        next_or_home(q.next.as_deref())?,
        None,
        String::new(),
        match q.done.as_deref() {
            Some("reset") => Some("Your new password is set. Sign in with it.".to_string()),
            Some("signed-out") => Some("You are signed out.".to_string()),
            _ => None,
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let next = next_or_home(form.next.as_deref())?;
    let cookie_csrf = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if cookie_csrf.is_empty() || !crate::auth::same(&cookie_csrf, &form.csrf) {
        return Err(WebError::Csrf);
    }
    let now = Utc::now();
    let address = super::address::client_address(&req, &state);
    match state
        .auth
        .sign_in_from(&address, &form.username, &form.password, now)
        .await
    {
        Ok(user) => {
            let value = state.auth.start_session(user.id, now).await?;
            // A password an administrator set is changed before anything else, OAuth consent
            // included; the change page then continues to `next`.
            let mut resp = if user.must_change_password {
                redirect(&format!(
                    "{}?next={}",
                    super::session::CHANGE_PASSWORD_PATH,
                    super::enc(&next)
                ))
            } else {
                redirect(&next)
            };
            let c = cookie(&state, SESSION_COOKIE, value, None);
            resp.add_cookie(&c)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            let mut gone = cookie(&state, LOGIN_CSRF_COOKIE, String::new(), None);
            gone.make_removal();
            resp.add_cookie(&gone)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Ok(resp)
        }
        Err(
            e @ (AuthError::InvalidCredentials
            | AuthError::Locked(_)
            | AuthError::Disabled
            | AuthError::TooManyAttempts(_)),
        ) => {
            crate::operate::metrics::sign_in_failed();
            let status = match e {
                AuthError::TooManyAttempts(_) => actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                _ => actix_web::http::StatusCode::UNAUTHORIZED,
            };
            let mut resp = login_page(
                &state,
                next,
                Some(e.to_string()),
                form.username.clone(),
                None,
            )?;
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn sign_out(
    state: web::Data<AppState>,
    signed: super::Signed,
    req: HttpRequest,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        state.auth.end_session(c.value()).await?;
    }
    let mut resp = redirect("/login?done=signed-out");
    let mut gone = cookie(&state, SESSION_COOKIE, String::new(), None);
    gone.make_removal();
    resp.add_cookie(&gone)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(resp)
}
