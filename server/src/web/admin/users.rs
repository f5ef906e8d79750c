//! Admin: users — list, add, change roles (from the roles apps declare), disable; per user, a
//! temporary password and deletion (`account.rs`).
mod account;

use crate::engine::definition::AppDef;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use std::collections::BTreeSet;

/// A role checkbox: its name, whether it is ticked, whether any app declares it.
pub(super) struct RoleChoice {
    name: String,
    checked: bool,
    declared: bool,
}

struct UserView {
    id: i64,
    username: String,
    display_name: String,
    roles: Vec<RoleChoice>,
    disabled: bool,
    locked: bool,
    must_change: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserView>,
    new_roles: Vec<RoleChoice>,
    min_chars: usize,
    demo_password_users: Vec<String>,
    error: Option<String>,
}

/// Every role declared by any app (drafts and published versions), plus `admin`.
pub(super) async fn declared_roles(state: &AppState) -> Result<BTreeSet<String>, WebError> {
    let store = state.engine.store();
    let mut defs: Vec<String> = store
        .list_apps()
        .await?
        .into_iter()
        .map(|a| a.draft_definition)
        .collect();
    defs.extend(
        store
            .published_versions()
            .await?
            .into_iter()
            .map(|v| v.definition),
    );
    let mut roles: BTreeSet<String> = defs
        .iter()
        .filter_map(|d| serde_json::from_str::<AppDef>(d).ok())
        .flat_map(|d| d.roles)
        .collect();
    roles.insert("admin".into());
    Ok(roles)
}

/// Checkboxes for the declared roles and any other role the user holds (so it can be removed).
pub(super) fn role_choices(declared: &BTreeSet<String>, held: &[String]) -> Vec<RoleChoice> {
    let mut names: BTreeSet<&String> = declared.iter().collect();
    names.extend(held);
    names
        .into_iter()
        .map(|n| RoleChoice {
            name: n.clone(),
            checked: held.contains(n),
            declared: declared.contains(n),
        })
        .collect()
}

/// What a finished action on users says at the top of the next page (`?done=`); fixed
/// sentences only.
pub(super) fn done_message(done: Option<&str>) -> Option<String> {
    match done? {
        "added" => Some("The user was added."),
        "saved" => Some("The changes to the user were saved."),
        "deactivated" => Some("The user was deactivated: they can no longer sign in, and their sessions ended."),
        "password" => Some("The temporary password was set. The user's sessions ended; they choose their own password at next sign-in."),
        "deleted" => Some("The user was deleted."),
        "manager" => Some("The user's manager was saved."),
        "email" => Some("The user's email address was saved."),
        "department" => Some("The user's department was saved."),
        _ => None,
    }
    .map(String::from)
}

async fn page(
    state: &AppState,
    admin: &Admin,
    error: Option<String>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let declared = declared_roles(state).await?;
    let users = state
        .engine
        .store()
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserView {
            id: u.id,
            locked: u.locked_until.is_some_and(|l| l > now),
            roles: role_choices(&declared, &u.roles),
            username: u.username,
            display_name: u.display_name,
            disabled: u.disabled,
            must_change: u.must_change_password,
        })
        .collect();
    let mut resp = render(&UsersPage {
        layout: Layout::new("Users", &admin.0).with_flash(flash),
        users,
        new_roles: role_choices(&declared, &[]),
        min_chars: crate::auth::MIN_PASSWORD_CHARS,
        demo_password_users: crate::web::profile::demo_password_users(state, &admin.0).await?,
        error: error.clone(),
    })?;
    if error.is_some() {
        *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub struct ListQuery {
    /// Shows one user's page (temporary password, deletion) instead of the list.
    user: Option<i64>,
    done: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    match q.user {
        Some(id) => account::page(&state, &admin, id, None, done_message(q.done.as_deref())).await,
        None => page(&state, &admin, None, done_message(q.done.as_deref())).await,
    }
}

/// The roles in a submitted form: every `roles` value (checkboxes), each also split on commas
/// and spaces (a typed list).
fn roles_of(pairs: &[(String, String)]) -> Vec<String> {
    let mut roles: Vec<String> = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "roles") {
        for r in v.split([',', ' ']).map(|r| r.trim().to_lowercase()) {
            if !r.is_empty() && !roles.contains(&r) {
                roles.push(r);
            }
        }
    }
    roles
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Refuses roles no app declares (other than ones the user already holds).
fn undeclared(roles: &[String], declared: &BTreeSet<String>, held: &[String]) -> Option<String> {
    let bad: Vec<&str> = roles
        .iter()
        .filter(|r| !declared.contains(*r) && !held.contains(r))
        .map(String::as_str)
        .collect();
    (!bad.is_empty()).then(|| format!("No app declares the role {}.", bad.join(", ")))
}

pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    admin
        .0
        .check_csrf(field(&form, "csrf").unwrap_or_default())?;
    let username = field(&form, "username").unwrap_or_default().trim();
    let password = field(&form, "password").unwrap_or_default();
    let roles = roles_of(&form);
    let valid_name = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    let declared = declared_roles(&state).await?;
    let error = if !valid_name {
        Some("Usernames use letters, digits and . _ - @ (at most 64).".to_string())
    } else if let Err(rule) = crate::auth::check_new_password(username, password) {
        Some(format!("{}.", capitalize(&rule.to_string())))
    } else if roles.is_empty() {
        Some("Give the user at least one role.".to_string())
    } else {
        undeclared(&roles, &declared, &[])
    };
    if error.is_some() {
        return page(&state, &admin, error, None).await;
    }
    let display = match field(&form, "display_name").map(str::trim) {
        Some(d) if !d.is_empty() => d,
        _ => username,
    };
    match state
        .auth
        .create_user(username, display, password, &roles, Utc::now())
        .await
    {
        Ok(id) => {
            if field(&form, "temporary").is_some() {
                state
                    .engine
                    .store()
                    .set_must_change_password(id, true)
                    .await?;
            }
            Ok(redirect("/admin/users?done=added"))
        }
        Err(crate::auth::AuthError::Store(crate::store::StoreError::Conflict)) => {
            page(
                &state,
                &admin,
                Some(format!("A user named {username} already exists.")),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Saves a user's display name, roles and disabled state; with `action=password` or
/// `action=delete`, sets a temporary password or deletes the user instead.
pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    admin
        .0
        .check_csrf(field(&form, "csrf").unwrap_or_default())?;
    let id = *path;
    match field(&form, "action") {
        Some("password") => {
            let password = field(&form, "password").unwrap_or_default();
            return account::set_password(&state, &admin, id, password).await;
        }
        Some("delete") if field(&form, "confirm").is_none() => {
            return account::page(
                &state,
                &admin,
                id,
                Some("Tick the box to confirm the deletion.".into()),
                None,
            )
            .await;
        }
        Some("delete") => return account::delete(&state, &admin, id).await,
        Some("manager") => {
            let manager = field(&form, "manager").unwrap_or_default();
            return account::set_manager(&state, &admin, id, manager).await;
        }
        Some("email") => {
            let email = field(&form, "email").unwrap_or_default();
            return account::set_email(&state, &admin, id, email).await;
        }
        Some("department") => {
            let department = field(&form, "department").unwrap_or_default();
            return account::set_department(&state, &admin, id, department).await;
        }
        _ => {}
    }
    let user = state
        .engine
        .store()
        .user_by_id(id)
        .await?
        .ok_or_else(|| WebError::NotFound("no such user".into()))?;
    let disabled = field(&form, "disabled").is_some();
    let roles = roles_of(&form);
    let declared = declared_roles(&state).await?;
    let error = if id == admin.0.user.id && (disabled || !roles.iter().any(|r| r == "admin")) {
        Some("You cannot disable yourself or remove your own admin role.".to_string())
    } else if roles.is_empty() {
        Some("Give the user at least one role.".to_string())
    } else {
        undeclared(&roles, &declared, &user.roles)
    };
    if error.is_some() {
        return page(&state, &admin, error, None).await;
    }
    let display = match field(&form, "display_name").map(str::trim) {
        Some(d) if !d.is_empty() => d,
        _ => user.display_name.as_str(),
    };
    state
        .engine
        .store()
        .update_user(id, display, &roles, disabled)
        .await?;
    if !disabled {
        state.engine.store().clear_failed_logins(id).await?;
    }
    let done = if disabled && !user.disabled {
        "deactivated"
    } else {
        "saved"
    };
    Ok(redirect(&format!("/admin/users?done={done}")))
}
