//! Stand-ins: a person names someone to decide for them while they are away (`/profile/stand-ins`).
//! The stand-in sees and decides what the team scopes give the person, and history records the
//! decision as taken on their behalf.
use super::layout::Layout;
use super::{redirect, render, AppState, Signed, WebError};
use crate::engine::EngineError;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

/// The page's path.
pub const PATH: &str = "/profile/stand-ins";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PATH, web::get().to(show))
        .route(PATH, web::post().to(add))
        .route("/profile/stand-ins/{id}/remove", web::post().to(remove));
}

struct Row {
    id: i64,
    name: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "stand_ins.html")]
struct StandInsPage {
    layout: Layout,
    given: Vec<Row>,
    held: Vec<Row>,
    people: Vec<(i64, String)>,
    error: Option<String>,
    today: String,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    signed: &Signed,
    error: Option<String>,
    flash: Option<String>,
) -> Result<StandInsPage, WebError> {
    let actor = signed.actor();
    let (given, held) = state.engine.stand_ins(actor.user_id).await?;
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let people = state
        .engine
        .store()
        .list_users()
        .await?
        .into_iter()
        .filter(|u| !u.disabled && u.id != actor.user_id)
        .map(|u| (u.id, format!("{} ({})", u.display_name, u.username)))
        .collect();
    Ok(StandInsPage {
        layout: Layout::new("Stand-ins", signed).with_flash(flash),
        given: given
            .into_iter()
            .map(|d| Row {
                id: d.id,
                name: d.delegate_name,
                from: day(d.starts_on),
                to: day(d.ends_on),
            })
            .collect(),
        held: held
            .into_iter()
            .map(|d| Row {
                id: d.id,
                name: d.user_name,
                from: day(d.starts_on),
                to: day(d.ends_on),
            })
            .collect(),
        people,
        error,
        today: day(chrono::Utc::now().date_naive()),
    })
}

pub async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<Done>,
) -> Result<HttpResponse, WebError> {
    let flash = match q.done.as_deref() {
        Some("added") => Some("Stand-in named.".to_string()),
        Some("removed") => Some("Stand-in withdrawn.".to_string()),
        _ => None,
    };
    render(&page(&state, &signed, None, flash).await?)
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    delegate: String,
    starts_on: String,
    ends_on: String,
}

pub async fn add(
    state: web::Data<AppState>,
    signed: Signed,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let problem = match (
        form.delegate.trim().parse::<i64>().ok(),
        day(&form.starts_on),
        day(&form.ends_on),
    ) {
        (None, _, _) => Some("Choose who stands in for you.".to_string()),
        (_, None, _) | (_, _, None) => Some("Give the first and the last day as dates.".into()),
        (Some(who), Some(from), Some(to)) => {
            match state
                .engine
                .add_stand_in(&signed.actor(), who, from, to)
                .await
            {
                Ok(_) => None,
                Err(EngineError::Precondition(m)) => Some(super::wording::sentence(&m)),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match problem {
        None => Ok(redirect(&format!("{PATH}?done=added"))),
        Some(e) => {
            let mut resp = render(&page(&state, &signed, Some(e), None).await?)?;
            *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
    }
}

pub async fn remove(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<i64>,
    form: web::Form<crate::web::forms::CsrfForm>,
) -> Result<HttpResponse, WebError> {
    signed.check_csrf(&form.csrf)?;
    match state
        .engine
        .remove_stand_in(&signed.actor(), path.into_inner())
        .await
    {
        Ok(()) => Ok(redirect(&format!("{PATH}?done=removed"))),
        Err(EngineError::Forbidden(m)) => Err(WebError::NotFound(m)),
        Err(e) => Err(e.into()),
    }
}
