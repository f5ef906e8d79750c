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
    email: String,
    department: String,
    /// Everyone else, for "reports to": (id, name, selected).
    managers: Vec<(i64, String, bool)>,
}

pub async fn page(
    state: &AppState,
    admin: &Admin,
    id: i64,
    error: Option<String>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let user = state
        .engine
        .store()
        .user_by_id(id)
        .await?
        .ok_or_else(|| WebError::NotFound("no such user".into()))?;
    let email = state
        .engine
        .store()
        .user_email(user.id)
        .await?
        .unwrap_or_default();
    let managers = state
        .engine
        .store()
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.id != user.id)
        .map(|u| {
            let chosen = user.manager_id == Some(u.id);
            (u.id, format!("{} ({})", u.display_name, u.username), chosen)
        })
        .collect();
    let mut resp = render(&UserPage {
        email,
        department: user.department.clone().unwrap_or_default(),
        managers,
        layout: Layout::new(format!("User {}", user.username), &admin.0).with_flash(flash),
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
        Ok(()) => Ok(redirect(&format!("/admin/users?user={id}&done=password"))),
        Err(PasswordChangeError::NoSuchUser) => Err(WebError::NotFound("no such user".into())),
        Err(PasswordChangeError::Rule(rule)) => {
            let message = format!("{}.", super::capitalize(&rule.to_string()));
            let message = message
                .replace("The new password", "The password")
                .replace("your username", "their username");
            page(state, admin, id, Some(message), None).await
        }
        Err(PasswordChangeError::Auth(e)) => Err(e.into()),
        Err(e) => Err(WebError::Internal(e.to_string())),
    }
}

/// Deletes a user who owns no records; otherwise says how many and suggests deactivating.
pub async fn delete(state: &AppState, admin: &Admin, id: i64) -> Result<HttpResponse, WebError> {
    if id == admin.0.user.id {
        return page(
            state,
            admin,
            id,
            Some("You cannot delete yourself.".into()),
            None,
        )
        .await;
    }
    match state.engine.store().delete_user(id).await {
        Ok(None) => Ok(redirect("/admin/users?done=deleted")),
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
                None,
            )
            .await
        }
        Err(crate::store::StoreError::NotFound) => Err(WebError::NotFound("no such user".into())),
        Err(e) => Err(e.into()),
    }
}

/// Sets whom the user reports to (empty: nobody); a loop is refused with the reason.
pub async fn set_manager(
    state: &AppState,
    admin: &Admin,
    id: i64,
    manager: &str,
) -> Result<HttpResponse, WebError> {
    let manager = match manager.trim() {
        "" => None,
        m => match m.parse::<i64>() {
            Ok(m) => Some(m),
            Err(_) => {
                return page(
                    state,
                    admin,
                    id,
                    Some("Choose a manager from the list.".into()),
                    None,
                )
                .await
            }
        },
    };
    match state.engine.set_manager(id, manager).await {
        Ok(()) => Ok(redirect(&format!("/admin/users?user={id}&done=manager"))),
        Err(crate::engine::EngineError::Precondition(m)) => {
            page(
                state,
                admin,
                id,
                Some(crate::web::wording::sentence(&m)),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The longest department name.
const DEPARTMENT_MAX: usize = 120;

/// Sets (or with an empty value clears) the user's department.
pub async fn set_department(
    state: &AppState,
    admin: &Admin,
    id: i64,
    department: &str,
) -> Result<HttpResponse, WebError> {
    let department = department.trim();
    if department.chars().count() > DEPARTMENT_MAX || department.chars().any(char::is_control) {
        let m = format!("A department is one line of at most {DEPARTMENT_MAX} characters.");
        return page(state, admin, id, Some(m), None).await;
    }
    match state
        .engine
        .store()
        .set_user_department(id, Some(department).filter(|d| !d.is_empty()))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/admin/users?user={id}&done=department"))),
        Err(crate::store::StoreError::NotFound) => Err(WebError::NotFound("no such user".into())),
        Err(e) => Err(e.into()),
    }
}

/// Sets (or with an empty value clears) the user's address for notification emails.
pub async fn set_email(
    state: &AppState,
    admin: &Admin,
    id: i64,
    email: &str,
) -> Result<HttpResponse, WebError> {
    let email = match email.trim() {
        "" => None,
        e => match e.parse::<lettre::Address>() {
            Ok(a) => Some(a.to_string()),
            Err(_) => {
                let m = format!("“{e}” is not an email address.");
                return page(state, admin, id, Some(m), None).await;
            }
        },
    };
    if state.engine.store().user_by_id(id).await?.is_none() {
        return Err(WebError::NotFound("no such user".into()));
    }
    state
        .engine
        .store()
        .set_user_email(id, email.as_deref())
        .await?;
    Ok(redirect(&format!("/admin/users?user={id}&done=email")))
}
