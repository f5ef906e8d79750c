//! Static assets, built into the binary so it serves a complete UI from any working directory.
use actix_web::{web, HttpResponse, ResponseError};

/// Every file under `static/` (a unit test below keeps this list complete).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "clients.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/clients.js"),
    ),
    (
        "conditions.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/conditions.js"),
    ),
    (
        "error.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/error.js"),
    ),
    (
        "geolocation.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/geolocation.js"),
    ),
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
        None => super::error::WebError::NotFound("There is no such file.".into()).error_response(),
    }
}

/// Browsers ask for `/favicon.ico` whatever the page links: the site's SVG icon answers it.
pub async fn favicon() -> HttpResponse {
    serve(web::Path::from("icons/formwork.svg".to_string())).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ASSETS;
    use std::path::Path;

    fn files_under(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                files_under(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }

    /// A file added to `static/` but not to `ASSETS` is a 404 for every page that links it.
    #[test]
    fn every_static_file_is_served() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../static");
        let mut files = Vec::new();
        files_under(&dir, "", &mut files);
        for file in files {
            assert!(
                ASSETS.iter().any(|(name, _, _)| *name == file),
                "static/{file} is not in ASSETS"
            );
        }
    }
}
