//! The signed-in user of a web request, from the session cookie; CSRF checks for forms.
use super::{AppState, WebError};
use crate::engine::{Actor, Surface};
use crate::store::UserRow;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "formwork_session";

/// Where a user whose password an administrator set is sent until they choose their own.
pub const CHANGE_PASSWORD_PATH: &str = "/profile/password";

/// The only paths a user who must change their password may use (besides the page itself).
const ALLOWED_BEFORE_CHANGE: [&str; 2] = [CHANGE_PASSWORD_PATH, "/logout"];

/// A signed-in user (any role). Extracting it redirects to the sign-in page when there is none.
pub struct Signed {
    pub user: UserRow,
    pub csrf: String,
}

impl Signed {
    /// The engine actor for this user on the web surface.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user.id,
            username: self.user.username.clone(),
            display_name: self.user.display_name.clone(),
            roles: self.user.roles.clone(),
            surface: Surface::Web,
            client_name: None,
        }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if crate::auth::same(token, &self.csrf) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.roles.iter().any(|r| r == "admin")
    }
}

impl FromRequest for Signed {
    /// A [`WebError`], or the redirect to [`CHANGE_PASSWORD_PATH`].
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let may_skip_change = ALLOWED_BEFORE_CHANGE.contains(&req.path());
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/".into());
        let next = if req.method() == actix_web::http::Method::GET {
            next
        } else {
            "/".into()
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| WebError::Internal("state missing".into()))?;
            let Some(cookie) = cookie else {
                return Err(WebError::SignIn(next).into());
            };
            match state
                .auth
                .session(&cookie, Utc::now())
                .await
                .map_err(WebError::from)?
            {
                Some(s) if s.user.must_change_password && !may_skip_change => {
                    Err(actix_web::error::InternalError::from_response(
                        "the password must be changed first",
                        super::redirect(CHANGE_PASSWORD_PATH),
                    )
                    .into())
                }
                Some(s) => Ok(Signed {
                    user: s.user,
                    csrf: s.csrf_token,
                }),
                None => Err(WebError::SignIn(next).into()),
            }
        })
    }
}

/// A signed-in administrator.
pub struct Admin(pub Signed);

impl FromRequest for Admin {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed = Signed::from_request(req, payload);
        Box::pin(async move {
            let s = signed.await?;
            if s.is_admin() {
                Ok(Admin(s))
            } else {
                Err(WebError::Forbidden("this page is for administrators".into()).into())
            }
        })
    }
}
