//! The page an upload link opens (`/upload/{token}`): no sign-in — the single-use link is the
//! credential — and bound to the person, record and file input the link was made for. It shows
//! a file input that opens the phone's camera (and, on a computer, a QR code of itself); the
//! POST to the same link (which must carry the link's secret again, and nothing but the file)
//! uploads through the same checks as every upload, runs the operation that sets the file, and
//! spends the link. A used or expired link answers 410, a record that can no longer take the
//! file 409, and neither changes anything.
use super::layout::Layout;
use super::{AppState, WebError};
use crate::auth::UploadLinkState;
use crate::engine::{Actor, EngineError, Surface, UploadTarget};
use crate::store::UploadLinkRow;
use crate::uploads::{SpooledFile, UploadError};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use base64::Engine as _;
use chrono::Utc;
use futures_util::StreamExt;

/// Registers the page.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/upload/{token}", web::get().to(show))
        .route("/upload/{token}", web::post().to(submit));
}

/// The form part of the page, while the link can take a file.
struct UploadForm {
    place: String,
    label: String,
    accept: &'static str,
    hint: &'static str,
    until: String,
    /// A `data:` URL of the QR code's SVG.
    qr: String,
}

#[derive(Template)]
#[template(path = "upload_link.html")]
struct UploadPage {
    layout: Layout,
    heading: String,
    token: String,
    form: Option<UploadForm>,
    message: String,
    error: Option<String>,
    done: bool,
}

fn page(
    status: StatusCode,
    heading: &str,
    message: String,
    done: bool,
) -> Result<HttpResponse, WebError> {
    let p = UploadPage {
        layout: Layout::anonymous(heading),
        heading: heading.into(),
        token: String::new(),
        form: None,
        message,
        error: None,
        done,
    };
    let mut resp = super::render(&p)?;
    *resp.status_mut() = status;
    Ok(no_referrer(resp))
}

/// The link is a secret in the URL: the page sends no `Referer` anywhere.
fn no_referrer(mut resp: HttpResponse) -> HttpResponse {
    resp.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    resp
}

fn gone(why: &str) -> Result<HttpResponse, WebError> {
    page(
        StatusCode::GONE,
        "This link no longer works",
        format!("{why} Nothing was changed. Ask in the chat for a new link if you still need to send the file."),
        false,
    )
}

/// Why the link cannot take a file now, as a page: 409 when the record may no longer be
/// changed (or is gone), the engine's own words.
fn refused(e: EngineError) -> Result<HttpResponse, WebError> {
    let (status, why) = match &e {
        EngineError::Store(_) => return Err(e.into()),
        EngineError::Invalid(_) => (StatusCode::BAD_REQUEST, e.to_string()),
        _ => (StatusCode::CONFLICT, e.to_string()),
    };
    let names = super::wording::Names::of_nothing();
    page(
        status,
        "The file cannot be added now",
        format!(
            "{} Nothing was changed.",
            super::wording::sentence(&super::wording::plain(&names, &why))
        ),
        false,
    )
}

/// A live link's row, its person (as an actor of the web surface) and its target; or the page
/// that says why not.
async fn open(
    state: &AppState,
    token: &str,
) -> Result<Result<(UploadLinkRow, Actor, UploadTarget), HttpResponse>, WebError> {
    let now = Utc::now();
    let row = match state
        .auth
        .upload_link(token, now)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
    {
        UploadLinkState::Live(row) => row,
        UploadLinkState::Used(_) => {
            return gone("This link was already used: it works only once.").map(Err)
        }
        UploadLinkState::Expired => return gone("This link has expired.").map(Err),
        UploadLinkState::Unknown => {
            return gone("This link is not valid (it may be incomplete).").map(Err)
        }
    };
    let user = match state.engine.store().user_by_id(row.user_id).await? {
        Some(u) if !u.disabled => u,
        _ => return gone("The account this link was made for is disabled.").map(Err),
    };
    let actor = Actor {
        user_id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        roles: user.roles.clone(),
        surface: Surface::Web,
        client_name: Some("upload link".into()),
    };
    let apps = state.engine.catalog().apps().await?;
    let Some(app) = apps.iter().find(|a| a.id == row.app_id) else {
        return refused(EngineError::Conflict(
            "the app of this record is no longer published".into(),
        ))
        .map(Err);
    };
    match state
        .engine
        .upload_target(
            &actor,
            &app.def.slug,
            row.record_id,
            &row.field,
            row.line_id.as_deref(),
        )
        .await
    {
        Ok(target) => Ok(Ok((row, actor, target))),
        Err(e) => refused(e).map(Err),
    }
}

fn form_page(
    state: &AppState,
    token: &str,
    row: &UploadLinkRow,
    target: &UploadTarget,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let url = crate::mcp::upload_link::link_url(&state.base_url, token);
    let qr = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| WebError::Internal(format!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    let title = target
        .app
        .def
        .title_field
        .as_ref()
        .and_then(|t| target.record.data.get(t))
        .and_then(|v| v.as_str())
        .filter(|t| !t.trim().is_empty())
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let line = match (&target.line_id, target.field.contains('.')) {
        (Some(l), _) => format!(", line {l}"),
        (None, true) => ", a new line".to_string(),
        (None, false) => String::new(),
    };
    let p = UploadPage {
        layout: Layout::anonymous(format!("Send the {}", target.label)),
        heading: format!("Send the {}", target.label),
        token: token.to_string(),
        form: Some(UploadForm {
            place: format!("{} #{}{title}{line}", target.app.def.name, target.record.id),
            label: target.label.clone(),
            accept: if target.photo_only {
                "image/*"
            } else {
                "image/*,application/pdf"
            },
            hint: if target.photo_only {
                "A photo (JPEG, PNG or WebP)."
            } else {
                "A photo (JPEG, PNG or WebP) or a PDF."
            },
            until: format!("{} UTC", row.expires_at.format("%H:%M")),
            qr: format!(
                "data:image/svg+xml;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(qr)
            ),
        }),
        message: String::new(),
        error,
        done: false,
    };
    let mut resp = super::render(&p)?;
    *resp.status_mut() = status;
    Ok(no_referrer(resp))
}

pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let token = path.into_inner();
    match open(&state, &token).await? {
        Ok((row, _, target)) => form_page(&state, &token, &row, &target, None, StatusCode::OK),
        Err(resp) => Ok(resp),
    }
}

/// Room for multipart framing and the token part around the file.
const FRAMING: usize = 64 * 1024;

/// The one file of the form, after its `token` part matched the link.
struct Received {
    filename: String,
    file: SpooledFile,
}

/// Reads the form: a `token` part equal to the link's secret, first, then one `file` part;
/// anything else is refused. The file goes to disk as it arrives; a file over the upload limit
/// is refused with the words every surface uses.
async fn read_form(
    mut mp: Multipart,
    token: &str,
    max_file: usize,
    data_dir: &std::path::Path,
) -> Result<Result<Received, (StatusCode, String)>, WebError> {
    let mut token_ok = false;
    let mut received = None;
    let mut total = 0usize;
    while let Some(item) = mp.next().await {
        let mut part =
            item.map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))?;
        let name = part.name().unwrap_or_default().to_string();
        match name.as_str() {
            "token" if !token_ok && received.is_none() => {
                let mut buf = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(|e| {
                        WebError::BadRequest(format!("the form could not be read: {e}"))
                    })?;
                    if buf.len() + chunk.len() > 200 {
                        return Err(WebError::Csrf);
                    }
                    buf.extend_from_slice(&chunk);
                }
                let sent = String::from_utf8(buf).unwrap_or_default();
                if !crate::auth::same(&sent, token) {
                    return Err(WebError::Csrf);
                }
                token_ok = true;
            }
            "file" if !token_ok => return Err(WebError::Csrf),
            "file" if received.is_none() => {
                let filename = part
                    .content_disposition()
                    .and_then(|cd| cd.get_filename().map(String::from))
                    .unwrap_or_else(|| "upload".into());
                let mut file = SpooledFile::create(data_dir).await.map_err(|e| {
                    WebError::Internal(format!("an upload could not be received: {e}"))
                })?;
                let mut size = 0usize;
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(|e| {
                        WebError::BadRequest(format!("the upload was interrupted: {e}"))
                    })?;
                    size += chunk.len();
                    total += chunk.len();
                    if size > max_file || total > max_file + FRAMING {
                        let msg = crate::receipts::ReceiptError::TooLarge {
                            size: size as u64,
                            max: max_file as u64,
                        }
                        .to_string();
                        return Ok(Err((StatusCode::PAYLOAD_TOO_LARGE, msg)));
                    }
                    file.write(&chunk).await.map_err(|e| {
                        WebError::Internal(format!("an upload could not be received: {e}"))
                    })?;
                }
                file.finish().await.map_err(|e| {
                    WebError::Internal(format!("an upload could not be received: {e}"))
                })?;
                received = Some(Received { filename, file });
            }
            "token" | "file" => {
                return Err(WebError::BadRequest(
                    "send the link's token first, then one file".into(),
                ))
            }
            _ => {
                return Err(WebError::BadRequest(format!(
                    "`{}` is not part of this form: it takes one file",
                    name.chars().take(40).collect::<String>()
                )))
            }
        }
    }
    if !token_ok {
        return Err(WebError::Csrf);
    }
    match received {
        Some(r) if !r.file.is_empty() => Ok(Ok(r)),
        _ => Ok(Err((
            StatusCode::BAD_REQUEST,
            "choose a file to send".into(),
        ))),
    }
}

pub async fn submit(
    state: web::Data<AppState>,
    path: web::Path<String>,
    mp: Multipart,
) -> Result<HttpResponse, WebError> {
    let token = path.into_inner();
    // The link first: a dead link reads no file.
    let (row, actor, target) = match open(&state, &token).await? {
        Ok(t) => t,
        Err(resp) => return Ok(resp),
    };
    let max = state.uploads.limits.max_bytes;
    let received = match read_form(mp, &token, max, &state.config.data_dir).await? {
        Ok(r) => r,
        Err((status, msg)) => return form_page(&state, &token, &row, &target, Some(msg), status),
    };
    let now = Utc::now();
    // One upload at a time: a second submission of the same link finds it claimed.
    if !state
        .auth
        .claim_upload_link(row.id, now)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
    {
        return gone("This link was already used: it works only once.");
    }
    let release = || async {
        if let Err(e) = state.auth.release_upload_link(row.id, now).await {
            tracing::warn!("could not release an upload link: {e}");
        }
    };
    let bytes = match received.file.bytes().await {
        Ok(b) => b,
        Err(e) => {
            release().await;
            return Err(WebError::Internal(format!(
                "an upload could not be read back: {e}"
            )));
        }
    };
    let slug = target.app.def.slug.clone();
    let uploaded = match state
        .uploads
        .upload(
            &state.engine,
            &actor,
            &slug,
            &target.field,
            &received.filename,
            bytes,
        )
        .await
    {
        Ok(u) => u,
        Err(e) => {
            release().await;
            let status = match &e {
                UploadError::Receipt(crate::receipts::ReceiptError::TooLarge { .. }) => {
                    StatusCode::PAYLOAD_TOO_LARGE
                }
                UploadError::Receipt(crate::receipts::ReceiptError::Busy) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                UploadError::Engine(EngineError::Store(_)) => {
                    return Err(WebError::Unavailable(e.to_string()))
                }
                _ => StatusCode::BAD_REQUEST,
            };
            return form_page(&state, &token, &row, &target, Some(e.to_string()), status);
        }
    };
    let att = uploaded.stored.attachment_id;
    match state.engine.attach_upload(&actor, &target, att).await {
        Ok(_) => {
            if let Err(e) = state.auth.finish_upload_link(row.id, att).await {
                tracing::warn!("could not note an upload link's attachment: {e}");
            }
            page(
                StatusCode::OK,
                "Received",
                format!("{} received; you can go back to the chat.", target.noun),
                true,
            )
        }
        Err(e) => {
            state.engine.discard_uploads(&actor, &[att]).await;
            release().await;
            refused(e)
        }
    }
}
