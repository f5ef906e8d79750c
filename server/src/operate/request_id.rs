//! A request id for every request: taken from a sane incoming `X-Request-Id` (a proxy's) or made
//! here, sent back in the response header, carried by the request's log span, shown on error
//! pages and in MCP error results; and each request counted and timed for `/metrics`.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use rand::Rng;
use std::time::Instant;
use tracing::Instrument;

tokio::task_local! {
    static REQUEST_ID: String;
}

pub const HEADER: &str = "x-request-id";

/// The id of the request being answered on this task, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// The id of a request, carried where the request's task-local id does not reach (the MCP
/// handler runs on a task of its own).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Runs `fut` with `id` as the current request id.
pub async fn within<F: std::future::Future>(id: Option<RequestId>, fut: F) -> F::Output {
    match id {
        Some(RequestId(id)) => REQUEST_ID.scope(id, fut).await,
        None => fut.await,
    }
}

/// An incoming id is kept only when it is short and plain (it goes into logs and pages).
fn sane(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn fresh() -> String {
    let bytes: [u8; 8] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// Which surface a path belongs to, for metrics.
fn surface(path: &str) -> &'static str {
    if path == "/mcp" || path.starts_with("/mcp/") {
        "mcp"
    } else if path.starts_with("/oauth") || path.starts_with("/.well-known") {
        "oauth"
    } else if path == "/metrics" || path == "/healthz" || path == "/readyz" {
        "operator"
    } else {
        "web"
    }
}

pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(String::from)
        .unwrap_or_else(fresh);
    let started = Instant::now();
    let surface = surface(req.path());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method());
    let mut res = REQUEST_ID
        .scope(id.clone(), next.call(req).instrument(span))
        .await?;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    if let Some(m) = super::metrics::metrics() {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        let status = match res.status().as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        m.requests
            .with_label_values(&[surface, &route, status])
            .inc();
        m.request_seconds
            .with_label_values(&[surface, &route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_incoming_ids_are_kept() {
        assert!(sane("3f2a9c1b7d4e5f60"));
        assert!(!sane("short"));
        assert!(!sane("has spaces in it ok"));
        assert!(!sane("<script>alert(1)</script>"));
        assert_eq!(fresh().len(), 16);
    }
}
