//! Headers every response carries, set in one place: a strict Content-Security-Policy (scripts,
//! styles and images from this site only, no inline script or style, no framing), `no-store`
//! unless a response says how it may be cached (pages and files are per user: nothing of theirs
//! stays in the browser's cache after signing out), and `nosniff`, frame and referrer policies.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::Error;

/// The policy of every page. `form-action 'self'`: forms post only to this site.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The page policy, with forms also allowed to lead to `origin`. Browsers apply `form-action` to
/// the redirects that follow a form's submission too, and the OAuth consent form posts here and
/// is then redirected to the client's redirect URI.
pub fn policy_with_form_target(origin: &url::Origin) -> String {
    match origin {
        url::Origin::Tuple(..) => format!("{POLICY} {}", origin.ascii_serialization()),
        url::Origin::Opaque(_) => POLICY.to_string(),
    }
}

/// Adds the headers a handler did not set itself (a file keeps its own sandboxing policy). A
/// `Cache-Control` that is absent or `private` becomes `no-store`: responses for one user are
/// never stored; static assets and public metadata say `public` or `max-age` themselves.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in defaults {
        set_if_absent(headers, name, value);
    }
    let per_user = headers
        .get(header::CACHE_CONTROL)
        .is_none_or(|v| v.to_str().map_or(true, |v| v.contains("private")));
    if per_user {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

fn set_if_absent(headers: &mut header::HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
