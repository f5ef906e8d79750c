//! The authorization endpoint's logic (RFC 6749 §4.1 with PKCE): first the client and its
//! redirect URI are established — until then nothing is ever redirected — then the rest of the
//! request is checked, and after the user allows, a single-use code is issued.
use super::pkce::CodeChallenge;
use super::redirect::RedirectUri;
use super::{OAuthError, CODE_SECONDS, GRANTED_SCOPE};
use crate::auth::{random_secret, secret_hash, Auth};
use crate::store::ClientRow;
use chrono::{DateTime, Duration, Utc};

/// The parameters of an authorization request, as sent (query string or consent form).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub resource: Option<String>,
}

impl AuthorizeParams {
    /// Reads the parameters from name/value pairs; a parameter sent twice is refused
    /// (RFC 6749 §3.1).
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<AuthorizeParams, OAuthError> {
        let mut p = AuthorizeParams::default();
        for (k, v) in pairs {
            let slot = match k.as_str() {
                "client_id" => &mut p.client_id,
                "redirect_uri" => &mut p.redirect_uri,
                "response_type" => &mut p.response_type,
                "code_challenge" => &mut p.code_challenge,
                "code_challenge_method" => &mut p.code_challenge_method,
                "state" => &mut p.state,
                "scope" => &mut p.scope,
                "resource" => &mut p.resource,
                _ => continue,
            };
            if slot.is_some() {
                return Err(OAuthError::InvalidRequest(format!(
                    "the parameter {k} appears more than once"
                )));
            }
            *slot = Some(v.clone());
        }
        Ok(p)
    }

    /// The parameters as pairs again (to carry them through sign-in and consent).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("response_type", &self.response_type),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("state", &self.state),
            ("scope", &self.scope),
            ("resource", &self.resource),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }
}

/// The client and where its answer goes; past this point errors are redirected to it.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub client: ClientRow,
    pub redirect_uri: String,
    pub state: Option<String>,
}

impl Recipient {
    /// The redirect URI with `pairs`, `state` and `iss` (RFC 9207) added to its query.
    pub fn answer(&self, pairs: &[(&str, &str)], issuer: &str) -> String {
        let Ok(mut u) = url::Url::parse(&self.redirect_uri) else {
            return self.redirect_uri.clone();
        };
        {
            let mut q = u.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(k, v);
            }
            if let Some(s) = &self.state {
                q.append_pair("state", s);
            }
            q.append_pair("iss", issuer);
        }
        u.to_string()
    }

    /// The redirect URI carrying an error (RFC 6749 §4.1.2.1).
    pub fn error(&self, e: &OAuthError, issuer: &str) -> String {
        self.answer(
            &[("error", &e.code()), ("error_description", e.description())],
            issuer,
        )
    }
}

/// A checked authorization request, waiting for the user's consent.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub recipient: Recipient,
    pub challenge: CodeChallenge,
    pub resource: String,
    pub scope: String,
}

impl Auth {
    /// Establishes the client and its redirect URI. Errors here must be shown on a page, never
    /// redirected: the redirect URI is not yet known to be the client's.
    pub async fn authorize_recipient(&self, p: &AuthorizeParams) -> Result<Recipient, OAuthError> {
        let Some(client_id) = p.client_id.as_deref().filter(|c| !c.is_empty()) else {
            return Err(OAuthError::InvalidRequest(
                "the request has no client_id".into(),
            ));
        };
        let client = self
            .store()
            .client_by_client_id(client_id)
            .await?
            .ok_or_else(|| {
                OAuthError::InvalidClient(
                    "no MCP client is registered with this client_id: an administrator registers clients under Configure > Integration > MCP".into(),
                )
            })?;
        if !client.active {
            return Err(OAuthError::UnauthorizedClient(format!(
                "the MCP client \"{}\" is deactivated: ask an administrator to activate it",
                client.name
            )));
        }
        let registered: Vec<RedirectUri> = client
            .redirect_uris
            .iter()
            .filter_map(|u| RedirectUri::parse(u).ok())
            .collect();
        let redirect_uri = match p.redirect_uri.as_deref() {
            Some(r) if registered.iter().any(|u| u.matches(r)) => r.to_string(),
            Some(_) => {
                return Err(OAuthError::InvalidRequest(format!(
                    "the redirect_uri is not one registered for \"{}\"; an administrator can check the client's redirect URIs",
                    client.name
                )))
            }
            None if registered.len() == 1 => registered[0].as_str().to_string(),
            None => {
                return Err(OAuthError::InvalidRequest(
                    "redirect_uri is required: this client has several registered".into(),
                ))
            }
        };
        Ok(Recipient {
            client,
            redirect_uri,
            state: p.state.clone(),
        })
    }

    /// Checks the rest of the request; errors from here on go back to the client.
    pub fn authorize_request(
        &self,
        recipient: Recipient,
        p: &AuthorizeParams,
        mcp_url: &str,
    ) -> Result<AuthorizeRequest, Box<(Recipient, OAuthError)>> {
        let checked = (|| {
            match p.response_type.as_deref() {
                Some("code") => {}
                None => {
                    return Err(OAuthError::InvalidRequest(
                        "response_type is required (code)".into(),
                    ))
                }
                Some(_) => {
                    return Err(OAuthError::UnsupportedResponseType(
                        "only response_type=code is supported".into(),
                    ))
                }
            }
            let challenge = CodeChallenge::parse(
                p.code_challenge.as_deref(),
                p.code_challenge_method.as_deref(),
            )?;
            if let Some(r) = p.resource.as_deref() {
                if r != mcp_url {
                    return Err(OAuthError::InvalidTarget(format!(
                        "this server issues tokens only for its MCP server, resource={mcp_url}"
                    )));
                }
            }
            Ok(challenge)
        })();
        match checked {
            Ok(challenge) => Ok(AuthorizeRequest {
                recipient,
                challenge,
                resource: mcp_url.to_string(),
                // Requested scopes are not refused: the one scope there is gets granted, and the
                // token response says so (RFC 6749 §3.3).
                scope: GRANTED_SCOPE.to_string(),
            }),
            Err(e) => Err(Box::new((recipient, e))),
        }
    }

    /// Issues a single-use authorization code for the signed-in user who allowed the request.
    pub async fn issue_code(
        &self,
        req: &AuthorizeRequest,
        user_id: i64,
        now: DateTime<Utc>,
    ) -> Result<String, OAuthError> {
        let code = format!("fwo_{}", random_secret(32));
        let family = random_secret(16);
        self.store()
            .insert_code(
                &secret_hash(&code),
                req.recipient.client.id,
                user_id,
                &req.recipient.redirect_uri,
                req.challenge.as_str(),
                &req.resource,
                Some(&req.scope),
                &family,
                now,
                now + Duration::seconds(CODE_SECONDS),
            )
            .await?;
        Ok(code)
    }
}
