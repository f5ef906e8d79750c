//! Admin: users — list, add, change roles, disable.
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

struct UserView {
    id: i64,
    username: String,
    display_name: String,
    roles: String,
    disabled: bool,
    locked: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserView>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    admin: &Admin,
    error: Option<String>,
) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let users = state
        .engine
        .store()
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserView {
            id: u.id,
            locked: u.locked_until.is_some_and(|l| l > now),
            username: u.username,
            display_name: u.display_name,
            roles: u.roles.join(", "),
            disabled: u.disabled,
        })
        .collect();
    render(&UsersPage {
        layout: Layout::new("Users", &admin.0),
        users,
        error,
    })
}

pub async fn list(state: web::Data<AppState>, admin: Admin) -> Result<HttpResponse, WebError> {
    page(&state, &admin, None).await
}

fn parse_roles(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(|r| r.trim().to_lowercase())
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect()
}

#[derive(Deserialize)]
pub struct NewUser {
    csrf: String,
    username: String,
    display_name: String,
    roles: String,
    password: String,
}

pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<NewUser>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let username = form.username.trim();
    let valid_name = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    let error = if !valid_name {
        Some("usernames use letters, digits and . _ - @ (at most 64)".to_string())
    } else if form.password.chars().count() < 8 {
        Some("the password must have at least 8 characters".to_string())
    } else if parse_roles(&form.roles).is_empty() {
        Some("give the user at least one role (e.g. employee)".to_string())
    } else {
        None
    };
    if error.is_some() {
        return page(&state, &admin, error).await;
    }
    let display = if form.display_name.trim().is_empty() {
        username
    } else {
        form.display_name.trim()
    };
    match state
        .auth
        .create_user(
            username,
            display,
            &form.password,
            &parse_roles(&form.roles),
            Utc::now(),
        )
        .await
    {
        Ok(_) => Ok(redirect("/admin/users")),
        Err(crate::auth::AuthError::Store(crate::store::StoreError::Conflict)) => {
            page(
                &state,
                &admin,
                Some(format!("a user named `{username}` already exists")),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct UpdateUser {
    csrf: String,
    display_name: String,
    roles: String,
    disabled: Option<String>,
}

pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    form: web::Form<UpdateUser>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let id = *path;
    let disabled = form.disabled.is_some();
    if id == admin.0.user.id && (disabled || !parse_roles(&form.roles).iter().any(|r| r == "admin"))
    {
        return page(
            &state,
            &admin,
            Some("you cannot disable yourself or remove your own admin role".into()),
        )
        .await;
    }
    state
        .engine
        .store()
        .update_user(
            id,
            form.display_name.trim(),
            &parse_roles(&form.roles),
            disabled,
        )
        .await?;
    if !disabled {
        state.engine.store().clear_failed_logins(id).await?;
    }
    Ok(redirect("/admin/users"))
}
