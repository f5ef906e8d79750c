//! Administration: users, apps (import, publish, Integration tabs) and Configure > Integration > MCP.
mod apps;
mod clients;
mod editor;
mod integration;
mod mcp;
mod outbox;
mod rates;
mod users;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/admin",
        web::get().to(|| async { super::redirect("/admin/apps") }),
    )
    .route("/admin/users", web::get().to(users::list))
    .route("/admin/users", web::post().to(users::create))
    .route("/admin/users/{id}", web::post().to(users::update))
    .route("/admin/apps", web::get().to(apps::list))
    .route("/admin/apps/import", web::post().to(apps::import))
    // Before the editor's `/admin/apps/{app}`: a reload after a refused import shows the list.
    .route(
        "/admin/apps/import",
        web::get()
            .to(|_: crate::web::session::Admin| async { crate::web::redirect("/admin/apps") }),
    )
    .configure(editor::configure)
    .route(
        "/admin/apps/{app}/definition.json",
        web::get().to(apps::download),
    )
    .route(
        "/admin/apps/{app}/views/{view}",
        web::get().to(integration::view_form),
    )
    .route(
        "/admin/apps/{app}/views/{view}",
        web::post().to(integration::view_save),
    )
    .route(
        "/admin/apps/{app}/operations/{op}",
        web::get().to(integration::operation_form),
    )
    .route(
        "/admin/apps/{app}/operations/{op}",
        web::post().to(integration::operation_save),
    )
    .route("/admin/integration/mcp", web::get().to(mcp::show))
    .route("/admin/integration/mcp", web::post().to(mcp::save))
    .route(
        "/admin/integration/mcp/view-rows",
        web::post().to(mcp::save_view_rows),
    )
    .configure(clients::configure)
    .configure(outbox::configure)
    .configure(rates::configure);
}
