//! Admin: the app list, importing a definition file as a draft, downloading a draft. Editing and
//! publishing are in `editor`.
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use futures_util::StreamExt;

struct AppView {
    slug: String,
    name: String,
    published: String,
    updated: String,
    draft_differs: bool,
}

#[derive(Template)]
#[template(path = "admin/apps.html")]
struct AppsPage {
    layout: Layout,
    apps: Vec<AppView>,
    errors: Vec<String>,
    source: String,
}

async fn list_page(
    state: &AppState,
    admin: &Admin,
    errors: Vec<String>,
    source: String,
) -> Result<HttpResponse, WebError> {
    let published = state.engine.catalog().apps().await?;
    let clock = crate::web::local_time::LocalTime::of(&admin.0.user);
    let apps = state
        .engine
        .store()
        .list_apps()
        .await?
        .into_iter()
        .map(|a| {
            let pubdef = published.iter().find(|p| p.id == a.id);
            let draft_differs = pubdef.is_none_or(|p| p.def.to_json() != a.draft_definition);
            AppView {
                published: a
                    .published_version
                    .map(|v| format!("version {v}"))
                    .unwrap_or_else(|| "not published".into()),
                updated: clock.minute(a.updated_at),
                draft_differs,
                slug: a.slug,
                name: a.name,
            }
        })
        .collect();
    let status = if errors.is_empty() { 200 } else { 422 };
    let mut resp = render(&AppsPage {
        layout: Layout::new("Apps", &admin.0),
        apps,
        errors,
        source,
    })?;
    *resp.status_mut() = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
    Ok(resp)
}

pub async fn list(state: web::Data<AppState>, admin: Admin) -> Result<HttpResponse, WebError> {
    list_page(&state, &admin, vec![], String::new()).await
}

/// Import: a pasted definition or an uploaded file (TOML or JSON), multipart.
pub async fn import(
    state: web::Data<AppState>,
    admin: Admin,
    mut mp: Multipart,
) -> Result<HttpResponse, WebError> {
    let mut csrf = String::new();
    let mut source = String::new();
    while let Some(item) = mp.next().await {
        let mut field = item.map_err(|e| WebError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
            if buf.len() + chunk.len() > 1024 * 1024 {
                return Err(WebError::BadRequest(
                    "definition files may be at most 1 MB".into(),
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(buf)
            .map_err(|_| WebError::BadRequest("the definition is not UTF-8 text".into()))?;
        match name.as_str() {
            "csrf" => csrf = text,
            "definition" if !text.trim().is_empty() => source = text,
            "file" if !text.trim().is_empty() => source = text,
            _ => {}
        }
    }
    admin.0.check_csrf(&csrf)?;
    if source.trim().is_empty() {
        return list_page(
            &state,
            &admin,
            vec!["paste a definition or choose a file".into()],
            source,
        )
        .await;
    }
    match state.engine.import_draft(&source, Utc::now()).await {
        Ok(def) => Ok(redirect(&format!("/admin/apps/{}?imported=1", def.slug))),
        Err(crate::engine::EngineError::Definition(errs)) => {
            list_page(
                &state,
                &admin,
                errs.iter().map(|e| e.to_string()).collect(),
                source,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn download(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let (_, def) = state.engine.draft(&path).await?;
    let body = serde_json::to_string_pretty(&def).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}.json\"", def.slug),
        ))
        .body(body))
}
