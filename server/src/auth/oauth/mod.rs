//! The OAuth 2.1 authorization server for MCP clients: registered clients and their secrets,
//! the authorization code flow with PKCE (S256 only), refresh-token rotation with reuse
//! detection, revocation and dynamic registration. HTTP lives in `web::oauth`; this module
//! only decides and mints.
mod authorize;
mod clients;
mod error;
mod grants;
pub mod pkce;
pub mod redirect;
mod registration;

pub use authorize::{AuthorizeParams, AuthorizeRequest, Recipient};
pub use clients::{ClientCredentials, ClientType, CLAUDE_REDIRECT_URIS};
pub use error::OAuthError;
pub use grants::{CodeGrant, TokenResponse};
pub use registration::{RegistrationRequest, RegistrationResponse, DCR_ENABLED_KEY};

/// How long an authorization code lives.
pub const CODE_SECONDS: i64 = 60;
/// How long an access token lives.
pub const ACCESS_SECONDS: i64 = 3600;
/// How long a refresh token lives (each refresh issues a new one).
pub const REFRESH_DAYS: i64 = 30;
/// The one scope there is: act as the user on the published apps' MCP tools.
pub const GRANTED_SCOPE: &str = "mcp";
