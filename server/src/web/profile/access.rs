//! Ending one's other web sessions and revoking a connected app's access: each acts only on the
//! signed-in user's own sessions and tokens.
use crate::web::forms::CsrfForm;
use crate::web::{redirect, AppState, Signed, WebError, SESSION_COOKIE};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

/// "Sign out everywhere else": every session of this user but the one making the request.
pub async fn end_other_sessions(
    state: web::Data<AppState>,
    signed: Signed,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    let cookie = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .ok_or_else(|| WebError::SignIn("/profile".into()))?;
    state
        .auth
        .end_other_sessions(signed.user.id, &cookie)
        .await?;
    Ok(redirect("/profile?done=sessions"))
}

/// Revokes the tokens one MCP client holds for this user (other users keep theirs).
pub async fn revoke_app(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    state
        .auth
        .revoke_client_user(*path, signed.user.id, Utc::now())
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(redirect("/profile?done=app"))
}
