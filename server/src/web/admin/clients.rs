//! Configure > Integration > MCP: registered MCP clients — add, view activation information,
//! regenerate the secret, activate or deactivate, delete, revoke one user's access — and the
//! switch for dynamic client registration.
use crate::auth::oauth::redirect::parse_list;
use crate::auth::oauth::{ClientType, OAuthError, CLAUDE_REDIRECT_URIS, DCR_ENABLED_KEY};
use crate::store::ClientRow;
use crate::web::forms::CsrfForm;
use crate::web::layout::Layout;
use crate::web::local_time::LocalTime;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::HashMap;

mod confirm;

pub use confirm::{confirm_deactivate, confirm_delete, confirm_rotate};

const MCP_PAGE: &str = "/admin/integration/mcp";

/// What an action on clients did, named in the redirect (`?done=`) and said on the next page.
pub fn done_message(q: &HashMap<String, String>) -> Option<String> {
    done_message_for(q.get("done")?)
}

fn done_message_for(done: &str) -> Option<String> {
    let message = match done {
        "secret" => "New secret made: the old one no longer works. Copy the new one below.",
        "activated" => "Client activated. People connect again to use it.",
        "deactivated" => "Client deactivated: every token it held is revoked.",
        "deleted" => "Client deleted, with every token it held.",
        "revoked" => "Access revoked: that person connects again to use this client.",
        "registration-on" => "Saved: MCP clients may now register themselves.",
        "registration-off" => "Saved: MCP clients can no longer register themselves.",
        "mcp-on" => "Saved: the MCP server is on.",
        "mcp-off" => "Saved: the MCP server is off.",
        "view-rows" => "Saved: view tools return their rows as chosen.",
        _ => return None,
    };
    Some(message.to_string())
}

fn client_url(id: i64) -> String {
    format!("{MCP_PAGE}/clients/{id}")
}

fn when(clock: LocalTime, t: Option<DateTime<Utc>>) -> String {
    t.map(|d| clock.minute(d)).unwrap_or_else(|| "never".into())
}

/// One row of the client list.
pub struct ClientSummary {
    pub id: i64,
    pub name: String,
    pub type_label: &'static str,
    pub active: bool,
    pub dynamic: bool,
    pub last_used: String,
    pub users: usize,
}

/// The "MCP clients" section of the MCP page.
pub struct ClientsSection {
    pub items: Vec<ClientSummary>,
    pub dcr_enabled: bool,
}

/// Reads what the MCP page shows about clients.
pub async fn section(state: &AppState, clock: LocalTime) -> Result<ClientsSection, WebError> {
    let store = state.engine.store();
    let now = Utc::now();
    let mut items = Vec::new();
    for c in store.list_clients().await? {
        items.push(ClientSummary {
            users: store.client_users(c.id, now).await?.len(),
            id: c.id,
            type_label: ClientType::stored(&c.client_type).label(),
            active: c.active,
            dynamic: c.dynamic,
            last_used: when(clock, c.last_used_at),
            name: c.name,
        });
    }
    Ok(ClientsSection {
        items,
        dcr_enabled: store.setting(DCR_ENABLED_KEY).await?.as_deref() == Some("true"),
    })
}

fn oauth_to_web(e: OAuthError) -> WebError {
    match e {
        OAuthError::ServerError(d) => WebError::Internal(d),
        other => WebError::BadRequest(other.description().to_string()),
    }
}

#[derive(Template)]
#[template(path = "admin/mcp_client_new.html")]
struct NewClientPage {
    layout: Layout,
    error: Option<String>,
    name: String,
    kind: String,
    redirect_uris: String,
    claude_uris: String,
}

fn new_page(
    admin: &Admin,
    error: Option<String>,
    form: Option<&NewClientForm>,
) -> Result<HttpResponse, WebError> {
    render(&NewClientPage {
        layout: Layout::new("Add MCP Client", &admin.0),
        error,
        name: form.map(|f| f.name.clone()).unwrap_or_default(),
        kind: form
            .map(|f| f.kind.clone())
            .unwrap_or_else(|| "claude".into()),
        redirect_uris: form
            .map(|f| f.redirect_uris.clone())
            .unwrap_or_else(|| CLAUDE_REDIRECT_URIS.join("\n")),
        claude_uris: CLAUDE_REDIRECT_URIS.join("\n"),
    })
}

pub async fn new_form(admin: Admin) -> Result<HttpResponse, WebError> {
    new_page(&admin, None, None)
}

#[derive(Deserialize)]
pub struct NewClientForm {
    csrf: String,
    name: String,
    kind: String,
    #[serde(default)]
    redirect_uris: String,
}

pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<NewClientForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let kind = match ClientType::parse(&form.kind) {
        Ok(k) => k,
        Err(e) => return new_page(&admin, Some(e), Some(&form)),
    };
    let uris = if form.redirect_uris.trim().is_empty() && kind == ClientType::Claude {
        kind.default_redirect_uris()
    } else {
        match parse_list([form.redirect_uris.as_str()]) {
            Ok(u) => u,
            Err(e) => return new_page(&admin, Some(e), Some(&form)),
        }
    };
    match state
        .auth
        .register_client(&form.name, kind, &uris, false, Utc::now())
        .await
    {
        // Rendered here, not redirected: the secret exists only in this answer (Formwork keeps
        // its hash). The address this leaves in the browser answers GET too (the client list).
        Ok((client, secret)) => {
            let done = if secret.is_some() {
                "MCP client added. Copy its secret now: it is shown only this once."
            } else {
                "MCP client added."
            };
            client_page(&state, &admin, client, secret, Some(done.into())).await
        }
        Err(OAuthError::ServerError(d)) => Err(WebError::Internal(d)),
        Err(e) => new_page(&admin, Some(e.description().to_string()), Some(&form)),
    }
}

struct UserAccess {
    id: i64,
    username: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "admin/mcp_client.html")]
struct ClientPage {
    layout: Layout,
    id: i64,
    name: String,
    type_label: &'static str,
    public: bool,
    active: bool,
    dynamic: bool,
    mcp_url: String,
    client_id: String,
    secret: Option<String>,
    redirect_uris: Vec<String>,
    created: String,
    last_used: String,
    users: Vec<UserAccess>,
}

async fn client_page(
    state: &AppState,
    admin: &Admin,
    c: ClientRow,
    secret: Option<String>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let clock = LocalTime::of(&admin.0.user);
    let users = state
        .engine
        .store()
        .client_users(c.id, Utc::now())
        .await?
        .into_iter()
        .map(|(id, username, last)| UserAccess {
            id,
            username,
            last_used: when(clock, last),
        })
        .collect();
    let kind = ClientType::stored(&c.client_type);
    let mut resp = render(&ClientPage {
        layout: Layout::new(format!("MCP client {}", c.name), &admin.0).with_flash(flash),
        id: c.id,
        type_label: kind.label(),
        public: kind == ClientType::Public,
        active: c.active,
        dynamic: c.dynamic,
        mcp_url: state.mcp_url(),
        client_id: c.client_id,
        secret,
        redirect_uris: c.redirect_uris,
        created: clock.minute(c.created_at),
        last_used: when(clock, c.last_used_at),
        name: c.name,
        users,
    })?;
    // The page may carry a secret: no cache keeps it.
    resp.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let c = state.auth.client(*path).await.map_err(|_| {
        WebError::NotFound("There is no such MCP client (it may have been deleted).".into())
    })?;
    client_page(&state, &admin, c, None, done_message(&q)).await
}

/// The delete form: its CSRF token and the ticked box (or the confirmation page's button).
#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    confirm: Option<String>,
}

/// Regenerates the secret. The client page reaches this through its confirmation page
/// (`confirm_rotate`); the new secret is shown in this answer only.
pub async fn rotate_secret(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    // Only the confirmation page's button carries `confirm`: anything else is shown it first.
    if form.confirm.is_none() {
        return Ok(redirect(&format!("{}/secret", client_url(*path))));
    }
    let secret = state
        .auth
        .rotate_client_secret(*path)
        .await
        .map_err(oauth_to_web)?;
    let c = state.auth.client(*path).await.map_err(oauth_to_web)?;
    client_page(&state, &admin, c, Some(secret), done_message_for("secret")).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    csrf: String,
    active: String,
    back: Option<String>,
    /// Set by the confirmation page; deactivating without it shows that page.
    confirm: Option<String>,
}

pub async fn set_status(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let active = form.active == "true";
    if !active && form.confirm.is_none() {
        return Ok(redirect(&format!("{}/deactivate", client_url(*path))));
    }
    state
        .auth
        .set_client_status(*path, active, Utc::now())
        .await
        .map_err(oauth_to_web)?;
    let done = if active { "activated" } else { "deactivated" };
    Ok(match form.back.as_deref() {
        Some("list") => redirect(&format!("{MCP_PAGE}?done={done}#clients")),
        _ => redirect(&format!("{}?done={done}", client_url(*path))),
    })
}

pub async fn delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    if form.confirm.is_none() {
        return Ok(redirect(&format!("{}/delete", client_url(*path))));
    }
    state
        .auth
        .delete_client(*path)
        .await
        .map_err(oauth_to_web)?;
    Ok(redirect(&format!("{MCP_PAGE}?done=deleted#clients")))
}

pub async fn revoke_user(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(i64, i64)>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let (id, user) = *path;
    state
        .auth
        .revoke_client_user(id, user, Utc::now())
        .await
        .map_err(oauth_to_web)?;
    Ok(redirect(&format!("{}?done=revoked", client_url(id))))
}

pub async fn set_registration(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<super::mcp::SwitchForm>,
) -> Result<HttpResponse, WebError> {
    let on = form.save(&state, &admin, DCR_ENABLED_KEY).await?;
    let done = if on {
        "registration-on"
    } else {
        "registration-off"
    };
    Ok(redirect(&format!("{MCP_PAGE}?done={done}#clients")))
}

/// The routes of this page. Every URL a form posts to also answers GET (with the page it belongs
/// to, or the confirmation it needs), so no reload or typed address lands on a 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = "/admin/integration/mcp";
    cfg.route(&format!("{base}/clients/new"), web::get().to(new_form))
        .route(&format!("{base}/clients"), web::post().to(create))
        .route(
            &format!("{base}/clients"),
            web::get().to(|_: Admin| async { redirect(&format!("{MCP_PAGE}#clients")) }),
        )
        .route(&format!("{base}/clients/{{id}}"), web::get().to(show))
        .route(
            &format!("{base}/clients/{{id}}/secret"),
            web::post().to(rotate_secret),
        )
        .route(
            &format!("{base}/clients/{{id}}/secret"),
            web::get().to(confirm_rotate),
        )
        .route(
            &format!("{base}/clients/{{id}}/status"),
            web::post().to(set_status),
        )
        .route(
            &format!("{base}/clients/{{id}}/status"),
            web::get()
                .to(|_: Admin, path: web::Path<i64>| async move { redirect(&client_url(*path)) }),
        )
        .route(
            &format!("{base}/clients/{{id}}/deactivate"),
            web::get().to(confirm_deactivate),
        )
        .route(
            &format!("{base}/clients/{{id}}/delete"),
            web::post().to(delete),
        )
        .route(
            &format!("{base}/clients/{{id}}/delete"),
            web::get().to(confirm_delete),
        )
        .route(
            &format!("{base}/clients/{{id}}/users/{{user}}/revoke"),
            web::post().to(revoke_user),
        )
        .route(
            &format!("{base}/registration"),
            web::post().to(set_registration),
        )
        .route(
            &format!("{base}/registration"),
            web::get().to(|_: Admin| async { redirect(&format!("{MCP_PAGE}#clients")) }),
        );
}
