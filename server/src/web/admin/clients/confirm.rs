//! Confirmation pages for the dangerous client actions (regenerate the secret, deactivate,
//! delete): what will happen, and a Confirm button that posts the action. No JavaScript needed.
use super::{client_url, oauth_to_web};
use crate::auth::oauth::ClientType;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "admin/mcp_client_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    client_name: String,
    client_url: String,
    heading: String,
    consequences: Vec<&'static str>,
    action: String,
    /// Extra hidden fields the action's form carries.
    fields: Vec<(&'static str, &'static str)>,
    button: String,
}

#[allow(clippy::too_many_arguments)] // each is one part of the page, named at the call
async fn confirm_page(
    state: &AppState,
    admin: &Admin,
    id: i64,
    verb: &str,
    button: &str,
    action: &str,
    consequences: Vec<&'static str>,
    fields: Vec<(&'static str, &'static str)>,
) -> Result<HttpResponse, WebError> {
    let c = state.auth.client(id).await.map_err(oauth_to_web)?;
    render(&ConfirmPage {
        layout: Layout::new(format!("{verb} {}?", c.name), &admin.0),
        heading: format!("{verb} {}?", c.name),
        client_url: client_url(id),
        action: format!("{}/{action}", client_url(id)),
        consequences,
        fields,
        button: button.to_string(),
        client_name: c.name,
    })
}

/// Regenerate the secret?
pub async fn confirm_rotate(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let c = state.auth.client(*path).await.map_err(oauth_to_web)?;
    if ClientType::stored(&c.client_type) == ClientType::Public {
        // A public client has no secret: nothing to confirm, back to its page.
        return Ok(redirect(&client_url(*path)));
    }
    confirm_page(
        &state,
        &admin,
        *path,
        "Regenerate the secret of",
        "Regenerate secret",
        "secret",
        vec![
            "A new Client Secret is made and shown once on the next page.",
            "The current secret stops working at once: the MCP client must be given the new one.",
            "People already connected stay connected.",
        ],
        vec![],
    )
    .await
}

/// Deactivate the client?
pub async fn confirm_deactivate(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    confirm_page(
        &state,
        &admin,
        *path,
        "Deactivate",
        "Deactivate",
        "status",
        vec![
            "The client is refused from now on.",
            "Every token it holds is revoked at once: everyone connected through it is disconnected.",
            "You can activate it again later; people will then need to connect again.",
        ],
        vec![("active", "false")],
    )
    .await
}

/// Delete the client?
pub async fn confirm_delete(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    confirm_page(
        &state,
        &admin,
        *path,
        "Delete",
        "Delete client",
        "delete",
        vec![
            "The client is removed, with every token it holds: everyone connected through it is disconnected.",
            "This cannot be undone: to use this MCP client again, add it again and give it the new Client ID and Secret.",
        ],
        vec![],
    )
    .await
}
