//! Static assets, built into the binary so it serves a complete UI from any working directory.
use actix_web::{web, HttpResponse};

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "formwork.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../static/formwork.css"),
    ),
    (
        "icons/formwork.svg",
        "image/svg+xml",
        include_bytes!("../../../static/icons/formwork.svg"),
    ),
    (
        "icons/mcp.svg",
        "image/svg+xml",
        include_bytes!("../../../static/icons/mcp.svg"),
    ),
];

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(name, _, _)| *name == path.as_str()) {
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .body(*bytes),
        None => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("not found"),
    }
}
