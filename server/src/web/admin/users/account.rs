//! Admin › Users › one user: a temporary password (changed at next sign-in) and deletion,
//! refused while the user owns records.
use crate::auth::PasswordChangeError;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: Layout,
    id: i64,
    username: String,
    display_name: String,
    is_self: bool,
    must_change: bool,
    min_chars: usize,
    error: Option<String>,
}

pub async fn page(
    state: &AppState,
    admin: &Admin,
    id: i64,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let user = state
        .engine
        .store()
        .user_by_id(id)
        .await?
        .ok_or_else(|| WebError::NotFound("no such user".into()))?;
    let mut resp = render(&UserPage {
        layout: Layout::new(format!("User {}", user.username), &admin.0),
        id: user.id,
        is_self: user.id == admin.0.user.id,
        must_change: user.must_change_password,
        username: user.username,
        display_name: user.display_name,
        min_chars: crate::auth::MIN_PASSWORD_CHARS,
        error: error.clone(),
    })?;
    if error.is_some() {
        *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

/// Sets a temporary password: the user's sessions end and they choose a new one at sign-in.
pub async fn set_password(
    state: &AppState,
    admin: &Admin,
    id: i64,
    password: &str,
) -> Result<HttpResponse, WebError> {
    match state.auth.set_password(id, password, true).await {
        Ok(()) => Ok(redirect(&format!("/admin/users?user={id}"))),
        Err(PasswordChangeError::NoSuchUser) => Err(WebError::NotFound("no such user".into())),
        Err(PasswordChangeError::Rule(rule)) => {
            let message = format!("{}.", super::capitalize(&rule.to_string()));
            let message = message
                .replace("The new password", "The password")
                .replace("your username", "their username");
            page(state, admin, id, Some(message)).await
        }
        Err(PasswordChangeError::Auth(e)) => Err(e.into()),
        Err(e) => Err(WebError::Internal(e.to_string())),
    }
}

/// Deletes a user who owns no records; otherwise says how many and suggests deactivating.
pub async fn delete(state: &AppState, admin: &Admin, id: i64) -> Result<HttpResponse, WebError> {
    if id == admin.0.user.id {
        return page(state, admin, id, Some("You cannot delete yourself.".into())).await;
    }
    match state.engine.store().delete_user(id).await {
        Ok(None) => Ok(redirect("/admin/users")),
        Ok(Some(n)) => {
            let records = if n == 1 {
                "1 record".to_string()
            } else {
                format!("{n} records")
            };
            page(
                state,
                admin,
                id,
                Some(format!(
                    "This user owns {records}, so deleting them would leave those records without an owner. Deactivate the user instead (on the Users list): they can no longer sign in and their history stays."
                )),
            )
            .await
        }
        Err(crate::store::StoreError::NotFound) => Err(WebError::NotFound("no such user".into())),
        Err(e) => Err(e.into()),
    }
}
