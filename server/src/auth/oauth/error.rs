//! OAuth errors, one variant per code of RFC 6749 §4.1.2.1 and §5.2, RFC 7009, RFC 7591 and
//! RFC 8707. A variant displays as its code; the description says what to do about it.
use crate::auth::AuthError;
use crate::store::StoreError;

/// What an OAuth endpoint can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request")]
    InvalidRequest(String),
    #[error("invalid_client")]
    InvalidClient(String),
    #[error("invalid_grant")]
    InvalidGrant(String),
    #[error("unauthorized_client")]
    UnauthorizedClient(String),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType(String),
    #[error("unsupported_response_type")]
    UnsupportedResponseType(String),
    #[error("invalid_scope")]
    InvalidScope(String),
    /// RFC 8707: the requested resource is not one this server issues tokens for.
    #[error("invalid_target")]
    InvalidTarget(String),
    #[error("access_denied")]
    AccessDenied(String),
    /// RFC 7591 §3.2.2.
    #[error("invalid_redirect_uri")]
    InvalidRedirectUri(String),
    /// RFC 7591 §3.2.2.
    #[error("invalid_client_metadata")]
    InvalidClientMetadata(String),
    /// Rate limited (answered with 429 and `Retry-After`).
    #[error("temporarily_unavailable")]
    TemporarilyUnavailable { description: String, minutes: i64 },
    #[error("server_error")]
    ServerError(String),
}

impl OAuthError {
    /// The RFC error code.
    pub fn code(&self) -> String {
        self.to_string()
    }

    /// Human-readable `error_description`.
    pub fn description(&self) -> &str {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::InvalidClient(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnauthorizedClient(d)
            | OAuthError::UnsupportedGrantType(d)
            | OAuthError::UnsupportedResponseType(d)
            | OAuthError::InvalidScope(d)
            | OAuthError::InvalidTarget(d)
            | OAuthError::AccessDenied(d)
            | OAuthError::InvalidRedirectUri(d)
            | OAuthError::InvalidClientMetadata(d)
            | OAuthError::ServerError(d) => d,
            OAuthError::TemporarilyUnavailable { description, .. } => description,
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        tracing::error!("OAuth storage error: {e}");
        OAuthError::ServerError("the server could not complete the request; try again".into())
    }
}

impl From<AuthError> for OAuthError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::TooManyAttempts(minutes) => OAuthError::TemporarilyUnavailable {
                description: e.to_string(),
                minutes,
            },
            AuthError::Store(s) => s.into(),
            other => OAuthError::InvalidGrant(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OAuthError;

    #[test]
    fn variants_display_as_their_rfc_codes() {
        assert_eq!(OAuthError::InvalidGrant("x".into()).code(), "invalid_grant");
        assert_eq!(
            OAuthError::InvalidClient("x".into()).code(),
            "invalid_client"
        );
        assert_eq!(
            OAuthError::UnsupportedGrantType("x".into()).code(),
            "unsupported_grant_type"
        );
        assert_eq!(
            OAuthError::InvalidTarget("x".into()).code(),
            "invalid_target"
        );
        assert_eq!(OAuthError::InvalidScope("why".into()).description(), "why");
    }
}
