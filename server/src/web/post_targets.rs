//! Every URL a form posts to also answers GET: a page rendered in answer to a POST (a refused
//! form, a token shown once) leaves its URL in the address bar, and reloading or bookmarking it
//! must not land on a 404. Each such URL sends the browser to the page the form belongs to.
//! (Registered after the real routes: a GET route here only answers where none other does.)
use super::{redirect, Signed};
use actix_web::{web, HttpResponse};

/// `(pattern, where to go)`; `{x}` in the target takes the path segment of the same name.
const TARGETS: &[(&str, &str)] = &[
    ("/logout", "/"),
    ("/profile/tokens", "/profile"),
    ("/profile/tokens/{id}/revoke", "/profile"),
    ("/profile/sessions/end-others", "/profile"),
    ("/profile/apps/{id}/revoke", "/profile"),
    ("/profile/time-zone", "/profile"),
    ("/notifications/read", "/notifications"),
    ("/notifications/{id}/read", "/notifications"),
    ("/admin/users/{id}", "/admin/users?user={id}"),
    ("/admin/apps/{app}/general", "/admin/apps/{app}"),
    (
        "/admin/apps/{app}/fields/{field}/move",
        "/admin/apps/{app}/fields",
    ),
    (
        "/admin/apps/{app}/fields/{field}/remove",
        "/admin/apps/{app}/fields",
    ),
    (
        "/admin/apps/{app}/fields/{field}/columns",
        "/admin/apps/{app}/fields/{field}",
    ),
    (
        "/admin/apps/{app}/fields/{field}/columns/{column}/move",
        "/admin/apps/{app}/fields/{field}",
    ),
    (
        "/admin/apps/{app}/fields/{field}/columns/{column}/remove",
        "/admin/apps/{app}/fields/{field}",
    ),
    (
        "/admin/apps/{app}/views/{view}/remove",
        "/admin/apps/{app}/views",
    ),
    (
        "/admin/apps/{app}/operations/{op}/remove",
        "/admin/apps/{app}/operations",
    ),
    ("/admin/apps/{app}/publish", "/admin/apps/{app}/versions"),
    ("/admin/apps/{app}/rollback", "/admin/apps/{app}/versions"),
    ("/admin/outbox/{id}/retry", "/admin/outbox"),
    ("/admin/rates/home", "/admin/rates"),
    ("/admin/rates/import", "/admin/rates"),
    ("/admin/rates/set", "/admin/rates"),
    ("/admin/rates/recompute", "/admin/rates"),
];

/// Registers the GET side of every POST-only URL.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for (pattern, target) in TARGETS {
        cfg.route(
            pattern,
            web::get().to(move |_: Signed, req: actix_web::HttpRequest| async move {
                to_target(&req, target)
            }),
        );
    }
}

fn to_target(req: &actix_web::HttpRequest, target: &str) -> HttpResponse {
    let mut to = target.to_string();
    for (name, value) in req.match_info().iter() {
        to = to.replace(&format!("{{{name}}}"), &super::enc(value));
    }
    redirect(&to)
}
