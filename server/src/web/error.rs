//! Web errors, mapped once to a status and a page.
use super::layout::ErrorPage;
use crate::engine::EngineError;
use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use askama::Template;

/// What a page handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign in to continue")]
    SignIn(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the form has expired or did not come from this site; go back, reload and try again")]
    Csrf,
    #[error("{0}")]
    Conflict(String),
    #[error("something went wrong on our side")]
    Internal(String),
    /// A temporary condition on the server (its storage is full); nothing was changed.
    #[error("{0}")]
    Unavailable(String),
}

impl From<EngineError> for WebError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::AppNotFound(_)
            | EngineError::ViewNotFound { .. }
            | EngineError::OperationNotFound { .. }
            | EngineError::RecordNotFound(_) => WebError::NotFound(e.to_string()),
            EngineError::Forbidden(m) => WebError::Forbidden(m),
            EngineError::Stale { .. } | EngineError::Precondition(_) | EngineError::Conflict(_) => {
                WebError::Conflict(e.to_string())
            }
            EngineError::Invalid(_) | EngineError::Definition(_) => {
                WebError::BadRequest(e.to_string())
            }
            EngineError::Store(s) => s.into(),
        }
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Full => WebError::Unavailable(e.to_string()),
            e => WebError::Internal(e.to_string()),
        }
    }
}

impl From<crate::auth::AuthError> for WebError {
    fn from(e: crate::auth::AuthError) -> Self {
        match e {
            crate::auth::AuthError::Store(s) => s.into(),
            e => WebError::Internal(e.to_string()),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn(_) => StatusCode::SEE_OTHER,
            WebError::Forbidden(_) | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::SignIn(next) = self {
            return super::redirect(&format!("/login?next={}", super::enc(next)));
        }
        if let WebError::Internal(detail) = self {
            tracing::error!("internal error: {detail}");
        }
        let page = ErrorPage {
            title: match self.status_code() {
                StatusCode::NOT_FOUND => "Not found",
                StatusCode::FORBIDDEN => "Not allowed",
                StatusCode::CONFLICT => "Cannot do that now",
                StatusCode::BAD_REQUEST => "Check your input",
                StatusCode::SERVICE_UNAVAILABLE => "Not saved",
                _ => "Error",
            }
            .to_string(),
            message: match self {
                // Engine refusals, worded for people. (Bad requests name the form control
                // concerned the way the form does, and keep their wording.)
                WebError::NotFound(m) | WebError::Forbidden(m) | WebError::Conflict(m) => {
                    let names = super::wording::Names::of_nothing();
                    super::wording::sentence(&super::wording::plain(&names, m))
                }
                other => other.to_string(),
            },
            request_id: crate::operate::request_id::current().unwrap_or_default(),
        };
        let body = page.render().unwrap_or_else(|_| self.to_string());
        HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

/// Paths whose clients are programs (MCP, OAuth, metadata discovery): they get JSON, not a page.
fn wants_json(path: &str) -> bool {
    ["/mcp", "/oauth", "/.well-known"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The answer to a URL that no route serves: the styled error page, or JSON for programs.
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    let path = req.path();
    if wants_json(path) {
        return HttpResponse::NotFound().json(serde_json::json!({
            "error": "not_found",
            "error_description": format!("nothing is served at {path}"),
        }));
    }
    WebError::NotFound(
        "There is no page at this address. Check the link, or start again from the home page."
            .into(),
    )
    .error_response()
}

#[cfg(test)]
mod tests {
    use super::wants_json;

    #[test]
    fn programs_get_json_and_people_get_pages() {
        for p in ["/mcp", "/mcp/x", "/oauth/nope", "/.well-known/nope"] {
            assert!(wants_json(p), "{p}");
        }
        for p in ["/", "/mcpx", "/oauthy", "/apps/x", "/.well-knownx"] {
            assert!(!wants_json(p), "{p}");
        }
    }
}
