//! The web surface: server-rendered pages (askama), forms that work without JavaScript, CSRF on
//! every form, uploads through `uploads`. Routes are thin adapters over engine calls.
pub(crate) mod address;
mod admin;
mod amounts;
mod apps;
mod assets;
mod bulk;
mod error;
mod field_types;
pub(crate) mod forms;
mod layout;
mod local_time;
mod next_path;
mod notifications;
mod oauth;
mod operations;
mod password_reset;
mod post_targets;
mod profile;
mod records;
mod security_headers;
mod session;
mod sign_in;
mod stand_ins;
mod summaries;
mod upload_links;
mod wording;

pub use error::WebError;
pub use layout::Layout;
pub use security_headers::{policy_with_form_target, security_headers};
pub use session::{Signed, SESSION_COOKIE};

use crate::auth::Auth;
use crate::config::Config;
use crate::engine::Engine;
use crate::uploads::Uploads;
use actix_web::{web, HttpResponse};

/// Everything a request handler needs; shared by all workers.
pub struct AppState {
    pub engine: Engine,
    pub auth: Auth,
    pub config: Config,
    pub uploads: Uploads,
    /// Public base URL, no trailing slash.
    pub base_url: String,
}

impl AppState {
    /// The MCP server URL shown to administrators and used as the OAuth resource.
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base_url)
    }
}

/// Registers every web route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(apps::home))
        .route("/healthz", web::get().to(health))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .route("/login", web::get().to(sign_in::form))
        .route("/login", web::post().to(sign_in::submit))
        .route("/logout", web::post().to(sign_in::sign_out))
        .route("/apps/{app}", web::get().to(apps::app_home))
        .route("/apps/{app}/views/{view}", web::get().to(apps::view))
        .route("/apps/{app}/views/{view}/bulk", web::post().to(bulk::run))
        .route(
            "/apps/{app}/views/{view}/export.csv",
            web::get().to(apps::export_csv),
        )
        .route(
            "/apps/{app}/views/{view}/summaries/{name}",
            web::get().to(summaries::export_csv),
        )
        .route("/apps/{app}/records/{id}", web::get().to(records::show))
        .route("/apps/{app}/ops/{op}", web::get().to(operations::form))
        .route("/apps/{app}/ops/{op}", web::post().to(operations::submit))
        .route("/files/{id}", web::get().to(records::file))
        .route(
            "/files/{id}/{kind}",
            web::get().to(records::file_derivative),
        )
        .route("/profile", web::get().to(profile::show))
        .route("/profile/tokens", web::post().to(profile::create_token))
        .route(
            "/profile/tokens/{id}/revoke",
            web::post().to(profile::revoke_token),
        )
        .configure(profile::configure)
        .configure(stand_ins::configure)
        .configure(password_reset::configure)
        .configure(upload_links::configure)
        .configure(notifications::configure)
        .configure(admin::configure)
        .configure(oauth::configure)
        .route("/favicon.ico", web::get().to(assets::favicon))
        .configure(post_targets::configure)
        .default_service(web::to(error::not_found));
}

async fn health(state: web::Data<AppState>) -> HttpResponse {
    match state.engine.store().ping().await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable"),
    }
}

/// A 303 redirect (after a POST, or to sign in).
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

/// Renders a template into an HTML response.
pub fn render<T: askama::Template>(t: &T) -> Result<HttpResponse, WebError> {
    let html = t
        .render()
        .map_err(|e| WebError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
