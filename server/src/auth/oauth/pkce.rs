//! PKCE (RFC 7636), S256 only: the challenge sent to `/oauth/authorize` and the verifier sent
//! to `/oauth/token`.
use super::OAuthError;
use base64::Engine as _;
use sha2::{Digest, Sha256};

fn unreserved(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An S256 code challenge: base64url (no padding) of a SHA-256 digest.
#[derive(Debug, Clone)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Parses `code_challenge` and `code_challenge_method`; PKCE is required and only S256 is
    /// accepted (a missing method means `plain`, which is refused).
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Self, OAuthError> {
        let Some(challenge) = challenge.filter(|c| !c.is_empty()) else {
            return Err(OAuthError::InvalidRequest(
                "code_challenge is required: this server requires PKCE with code_challenge_method=S256 (RFC 7636)".into(),
            ));
        };
        match method {
            Some("S256") => {}
            None | Some("plain") => {
                return Err(OAuthError::InvalidRequest(
                    "code_challenge_method must be S256; the plain method is not accepted".into(),
                ))
            }
            Some(_) => {
                return Err(OAuthError::InvalidRequest(
                    "unsupported code_challenge_method: use S256".into(),
                ))
            }
        }
        if challenge.len() != 43 || !unreserved(challenge) {
            return Err(OAuthError::InvalidRequest(
                "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)"
                    .into(),
            ));
        }
        Ok(CodeChallenge(challenge.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A code verifier: 43 to 128 unreserved characters.
#[derive(Debug, Clone)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    pub fn parse(verifier: Option<&str>) -> Result<Self, OAuthError> {
        let Some(v) = verifier.filter(|v| !v.is_empty()) else {
            return Err(OAuthError::InvalidRequest(
                "code_verifier is required (PKCE, RFC 7636)".into(),
            ));
        };
        if !(43..=128).contains(&v.len()) || !unreserved(v) {
            return Err(OAuthError::InvalidRequest(
                "code_verifier must have 43 to 128 characters of A-Z a-z 0-9 - . _ ~".into(),
            ));
        }
        Ok(CodeVerifier(v.to_string()))
    }

    /// Whether this verifier hashes to the stored challenge (constant-time comparison).
    pub fn verifies(&self, challenge: &str) -> bool {
        let digest = Sha256::digest(self.0.as_bytes());
        let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
        crate::auth::same(&computed, challenge)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifies() {
        let v = CodeVerifier::parse(Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).unwrap();
        let c = CodeChallenge::parse(
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            Some("S256"),
        )
        .unwrap();
        assert!(v.verifies(c.as_str()));
        let other = CodeVerifier::parse(Some(&"a".repeat(43))).unwrap();
        assert!(!other.verifies(c.as_str()));
    }

    #[test]
    fn plain_missing_and_malformed_challenges_are_refused() {
        assert!(CodeChallenge::parse(None, Some("S256")).is_err());
        assert!(CodeChallenge::parse(Some(&"a".repeat(43)), None).is_err());
        assert!(CodeChallenge::parse(Some(&"a".repeat(43)), Some("plain")).is_err());
        assert!(CodeChallenge::parse(Some("short"), Some("S256")).is_err());
        assert!(CodeVerifier::parse(Some("short")).is_err());
        assert!(CodeVerifier::parse(Some(&"é".repeat(43))).is_err());
    }
}
