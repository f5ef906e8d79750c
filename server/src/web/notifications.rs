//! The signed-in user's notifications: the list, mark as read, and the unread badge of the top
//! bar. A user only ever sees and changes their own notices (every query is by their user id).
use super::layout::Layout;
use super::{redirect, render, AppState, Signed, WebError};
use crate::store::NoticeRow;
use crate::web::forms::CsrfForm;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;

/// How many notices the page lists (newest first).
const SHOWN: u64 = 100;

/// Registers `/notifications` and its actions.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list))
        .route("/notifications/unread.svg", web::get().to(badge))
        .route("/notifications/read", web::post().to(read_all))
        .route("/notifications/{id}/read", web::post().to(read_one));
}

struct NoticeView {
    id: i64,
    title: String,
    what: String,
    who: String,
    app: String,
    /// Empty when the person may no longer open the record (its state moved past what their
    /// roles are granted, e.g. after they approved it).
    link: String,
    when: String,
    unread: bool,
}

impl NoticeView {
    fn new(n: &NoticeRow, clock: super::local_time::LocalTime) -> NoticeView {
        NoticeView {
            id: n.id,
            title: if n.record_title.trim().is_empty() {
                format!("{} #{}", n.app_name, n.record_id)
            } else {
                n.record_title.clone()
            },
            what: n.operation_title.clone(),
            who: n.actor_name.clone(),
            app: n.app_name.clone(),
            link: format!("/apps/{}/records/{}", n.app_slug, n.record_id),
            when: clock.minute(n.created_at),
            unread: n.read_at.is_none(),
        }
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    unread: u64,
    notices: Vec<NoticeView>,
}

#[derive(serde::Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn list(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, WebError> {
    let flash = match q.done.as_deref() {
        Some("read") => Some("Marked as read.".to_string()),
        Some("read-all") => Some("All notifications marked as read.".to_string()),
        _ => None,
    };
    let store = state.engine.store();
    let clock = super::local_time::LocalTime::of(&signed.user);
    let unread = store.unread_notices(signed.user.id).await?;
    let actor = signed.actor();
    let mut notices = Vec::new();
    for n in store.notices_for(signed.user.id, SHOWN).await? {
        let mut view = NoticeView::new(&n, clock);
        if !may_open(&state, &actor, &n.app_slug, n.record_id).await? {
            view.link.clear();
        }
        notices.push(view);
    }
    render(&NotificationsPage {
        layout: Layout::new("Notifications", &signed).with_flash(flash),
        unread,
        notices,
    })
}

/// Whether the record page of a notice would open for the person (no dead links in the list).
async fn may_open(
    state: &AppState,
    actor: &crate::engine::Actor,
    slug: &str,
    id: i64,
) -> Result<bool, WebError> {
    let Ok(app) = state.engine.app(slug).await else {
        return Ok(false);
    };
    Ok(match state.engine.store().record(app.id, id).await? {
        Some(r) => state.engine.can_read(&app, actor, &r).await?,
        None => false,
    })
}

async fn read_one(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    state
        .engine
        .store()
        .mark_notices_read(signed.user.id, Some(*path), Utc::now())
        .await?;
    Ok(redirect("/notifications?done=read"))
}

async fn read_all(
    state: web::Data<AppState>,
    signed: Signed,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    state
        .engine
        .store()
        .mark_notices_read(signed.user.id, None, Utc::now())
        .await?;
    Ok(redirect("/notifications?done=read-all"))
}

/// The unread count as a small image for the top bar: the pages carry no script, and the
/// count needs no change to every page's handler. Empty (nothing drawn) when all is read.
async fn badge(state: web::Data<AppState>, signed: Signed) -> Result<HttpResponse, WebError> {
    let n = state.engine.store().unread_notices(signed.user.id).await?;
    let svg = if n == 0 {
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="20"></svg>"#.to_string()
    } else {
        let label = if n > 99 {
            "99+".to_string()
        } else {
            n.to_string()
        };
        let width = 12 + 8 * label.len();
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label} unread"><rect width="{width}" height="20" rx="10" fill="#c0392b"/><text x="{x}" y="14" font-family="sans-serif" font-size="12" fill="#fff" text-anchor="middle">{label}</text></svg>"##,
            x = width / 2
        )
    };
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header(("Cache-Control", "no-store"))
        .body(svg))
}
