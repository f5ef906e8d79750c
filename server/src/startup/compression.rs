//! Which responses `middleware::Compress` may compress. It compresses whatever the client accepts;
//! it must not touch `/mcp` (the `GET /mcp` event stream would wait in the compressor's buffer,
//! and its JSON answers are small) nor stored files under `/files/` (images and PDFs are
//! compressed already, and downloads keep their `Content-Length`). For those the request's
//! `Accept-Encoding` is removed before `Compress` sees it, so they leave as they are.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::ACCEPT_ENCODING;
use actix_web::middleware::Next;
use actix_web::Error;

/// Whether a response to this path is left uncompressed.
fn uncompressed(path: &str) -> bool {
    path == "/mcp" || path.starts_with("/mcp/") || path.starts_with("/files/")
}

/// Runs outside `Compress`: hides `Accept-Encoding` on the paths it must leave alone.
pub async fn compression_scope(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if uncompressed(req.path()) {
        req.headers_mut().remove(ACCEPT_ENCODING);
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::uncompressed;

    #[test]
    fn streams_and_files_stay_uncompressed() {
        assert!(uncompressed("/mcp"));
        assert!(uncompressed("/files/3"));
        assert!(!uncompressed("/apps/x"));
        assert!(!uncompressed("/static/formwork.css"));
        assert!(!uncompressed("/mcpx"));
    }
}
