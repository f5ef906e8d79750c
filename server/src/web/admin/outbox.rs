//! Admin: the email outbox — queued, sent and failed notification emails, and retrying one.
use crate::web::forms::CsrfForm;
use crate::web::layout::Layout;
use crate::web::local_time::LocalTime;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

/// How many emails the page lists.
const SHOWN: u64 = 200;

/// Registers `/admin/outbox` and its retry action.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/outbox", web::get().to(show))
        .route("/admin/outbox/{id}/retry", web::post().to(retry));
}

struct EmailView {
    id: i64,
    to: String,
    subject: String,
    status: String,
    attempts: i32,
    created: String,
    next: String,
    sent: String,
    error: String,
    retryable: bool,
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    layout: Layout,
    status: String,
    queued: u64,
    sent: u64,
    failed: u64,
    emails: Vec<EmailView>,
}

#[derive(Deserialize)]
struct Filter {
    status: Option<String>,
    done: Option<String>,
}

fn minute(clock: LocalTime, d: Option<chrono::DateTime<Utc>>) -> String {
    d.map(|d| clock.second(d)).unwrap_or_default()
}

async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    q: web::Query<Filter>,
) -> Result<HttpResponse, WebError> {
    // Only the known statuses reach the query; anything else lists every email.
    let status = q
        .status
        .as_deref()
        .filter(|s| matches!(*s, "queued" | "sent" | "failed"));
    let store = state.engine.store();
    let clock = LocalTime::of(&admin.0.user);
    let (queued, sent, failed) = store.outbox_counts().await?;
    let emails = store
        .outbox(status, SHOWN)
        .await?
        .into_iter()
        .map(|n| EmailView {
            id: n.id,
            to: n.email.clone().unwrap_or_default(),
            subject: format!("{}: {}", n.operation_title, n.record_title),
            retryable: n.email_status == "failed",
            status: n.email_status,
            attempts: n.attempts,
            created: minute(clock, Some(n.created_at)),
            next: minute(clock, n.next_attempt_at),
            sent: minute(clock, n.sent_at),
            error: n.last_error.unwrap_or_default(),
        })
        .collect();
    render(&OutboxPage {
        layout: Layout::new("Outbox", &admin.0).with_flash(
            (q.done.as_deref() == Some("retry"))
                .then(|| "The email is queued again and will be sent shortly.".to_string()),
        ),
        status: status.unwrap_or("").to_string(),
        queued,
        sent,
        failed,
        emails,
    })
}

async fn retry(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    if !state.engine.store().retry_email(*path, Utc::now()).await? {
        return Err(WebError::NotFound(
            "no queued or failed email with this id".into(),
        ));
    }
    Ok(redirect("/admin/outbox?status=queued&done=retry"))
}
