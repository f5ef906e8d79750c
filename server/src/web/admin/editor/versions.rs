//! Versions tab: what the draft changes (a readable diff), publishing with a note, the version
//! list (who, when, note) and rolling back to an earlier version.
use super::{refusal, saved_flash, Header, Posted, Problem};
use crate::engine::evolution::{self, DiffItem};
use crate::engine::Draft;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use std::collections::HashMap;

struct VersionRow {
    version: i64,
    current: bool,
    at: String,
    by: String,
    note: String,
    /// What its publication did to stored data, when anything.
    data: String,
}

#[derive(Template)]
#[template(path = "admin/editor/versions.html")]
struct VersionsPage {
    layout: Layout,
    h: Header,
    problems: Vec<Problem>,
    diff: Vec<DiffItem>,
    published_version: Option<i64>,
    versions: Vec<VersionRow>,
}

fn data_summary(changes: Option<&str>) -> String {
    let Some(v) = changes.and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok()) else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(r) = v["renames"].as_array().filter(|r| !r.is_empty()) {
        let names: Vec<String> = r
            .iter()
            .filter_map(|p| Some(format!("{} → {}", p.get(0)?.as_str()?, p.get(1)?.as_str()?)))
            .collect();
        parts.push(format!("renamed {}", names.join(", ")));
    }
    if let Some(n) = v["records_rewritten"].as_u64().filter(|n| *n > 0) {
        parts.push(format!("{n} records updated"));
    }
    parts.join("; ")
}

async fn page(
    state: &AppState,
    admin: &Admin,
    d: &Draft,
    problems: Vec<Problem>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let versions = state
        .engine
        .store()
        .app_versions(d.row.id)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            version: v.version,
            current: Some(v.version) == d.row.published_version,
            at: crate::web::local_time::LocalTime::of(&admin.0.user).minute(v.published_at),
            by: v.published_by.unwrap_or_else(|| "command line".into()),
            note: v.note.unwrap_or_default(),
            data: data_summary(v.changes.as_deref()),
        })
        .collect();
    let diff = if d.has_changes() {
        evolution::diff(d.published_def(), &d.def, &d.changes)
    } else {
        vec![]
    };
    let refused = !problems.is_empty();
    super::respond(
        &VersionsPage {
            layout: Layout::new(format!("{} — Versions", d.def.name), &admin.0).with_flash(flash),
            h: Header::new(d, "versions"),
            problems,
            diff,
            published_version: d.row.published_version,
            versions,
        },
        refused,
        409,
    )
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let d = state.engine.editor_draft(&path).await?;
    let flash = q
        .get("published")
        .map(|v| format!("Published as version {v}."))
        .or_else(|| {
            q.get("restored").map(|v| {
                format!("Version {v} is now the draft: review the changes below and publish it to put it in force.")
            })
        })
        .or_else(|| saved_flash(&q));
    page(&state, &admin, &d, vec![], flash).await
}

pub async fn publish(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let slug = path.into_inner();
    let note = form.opt("note");
    match state
        .engine
        .publish(&slug, Some(admin.0.user.id), note.as_deref(), Utc::now())
        .await
    {
        Ok(v) => Ok(redirect(&format!(
            "/admin/apps/{slug}/versions?published={v}"
        ))),
        Err(e) => {
            let problems = refusal(e, "")?;
            let d = state.engine.editor_draft(&slug).await?;
            page(&state, &admin, &d, problems, None).await
        }
    }
}

pub async fn rollback(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let slug = path.into_inner();
    let to: i64 = form
        .trimmed("to")
        .parse()
        .map_err(|_| WebError::BadRequest("choose a version to roll back to".into()))?;
    match state.engine.rollback(&slug, to, Utc::now()).await {
        Ok(()) => Ok(redirect(&format!(
            "/admin/apps/{slug}/versions?restored={to}"
        ))),
        Err(e) => {
            let problems = refusal(e, "")?;
            let d = state.engine.editor_draft(&slug).await?;
            page(&state, &admin, &d, problems, None).await
        }
    }
}
