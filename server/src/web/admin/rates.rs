//! Configure > Exchange rates: the home currency, importing a rates file, one rate by hand, the
//! stored rates page by page, and recomputing an app's converted amounts. Admin only; every POST
//! checks the CSRF token and ends in a redirect with a `done` message (or the page with errors).
use crate::engine::definition::FieldType;
use crate::engine::value::CurrencyCode;
use crate::engine::EngineError;
use crate::store::RateRow;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::HashMap;

/// Rates shown per page.
const PER_PAGE: u64 = 50;
/// The largest rates file accepted (the ECB's whole history since 1999 is about 2 MB).
const MAX_FILE: usize = 16 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/rates", web::get().to(show))
        .route("/admin/rates/home", web::post().to(set_home))
        .route("/admin/rates/import", web::post().to(import))
        .route("/admin/rates/set", web::post().to(set_rate))
        .route("/admin/rates/recompute", web::post().to(recompute));
}

#[derive(Template)]
#[template(path = "admin/rates.html")]
struct RatesPage {
    layout: Layout,
    errors: Vec<String>,
    home: String,
    base: String,
    /// Codes offered as the home currency: the base and every currency with rates.
    choices: Vec<String>,
    rows: Vec<RateRow>,
    total: u64,
    currencies: u64,
    first_day: String,
    last_day: String,
    page: u64,
    pages: u64,
    /// Apps with converted fields: (slug, name).
    apps: Vec<(String, String)>,
}

fn done_message(q: &HashMap<String, String>) -> Option<String> {
    let n = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Some(match q.get("done")?.as_str() {
        "home" => "Home currency saved. Amounts stored before keep the currency they were converted into until you recompute them.".into(),
        "imported" => format!("Imported {} rates.", n("n")),
        "rate" => "Rate saved.".into(),
        "recomputed" => format!(
            "Recomputed: {} record(s) updated, {} amount(s) still without a rate.",
            n("n"),
            n("missing")
        ),
        _ => return None,
    })
}

async fn page(
    state: &AppState,
    admin: &Admin,
    q: &HashMap<String, String>,
    errors: Vec<String>,
) -> Result<HttpResponse, WebError> {
    let engine = &state.engine;
    let page = q
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let (rows, extent) = engine.rates_page((page - 1) * PER_PAGE, PER_PAGE).await?;
    let base = engine.rates_base().await?.code().to_string();
    let home = engine
        .home_currency()
        .await?
        .map(|c| c.code().to_string())
        .unwrap_or_default();
    let mut choices = engine.store().rate_currencies(&base).await?;
    choices.push(base.clone());
    if !home.is_empty() {
        choices.push(home.clone());
    }
    choices.sort();
    choices.dedup();
    let apps = engine
        .catalog()
        .apps()
        .await?
        .iter()
        .filter(|a| {
            a.def
                .fields
                .values()
                .any(|f| f.kind == FieldType::Converted)
        })
        .map(|a| (a.def.slug.clone(), a.def.name.clone()))
        .collect();
    let layout = Layout::new("Exchange rates", &admin.0).with_flash(done_message(q));
    render(&RatesPage {
        layout,
        errors,
        home,
        base,
        choices,
        rows,
        total: extent.rows,
        currencies: extent.currencies,
        first_day: extent.first_day.unwrap_or_default(),
        last_day: extent.last_day.unwrap_or_default(),
        page,
        pages: extent.rows.div_ceil(PER_PAGE).max(1),
        apps,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    page(&state, &admin, &q, vec![]).await
}

/// The page again with the problems of a refused form.
async fn refused(
    state: &AppState,
    admin: &Admin,
    e: EngineError,
) -> Result<HttpResponse, WebError> {
    if !e.is_user_error() {
        return Err(e.into());
    }
    page(state, admin, &HashMap::new(), vec![e.to_string()]).await
}

#[derive(Deserialize)]
pub struct HomeForm {
    csrf: String,
    currency: String,
}

pub async fn set_home(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<HomeForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let code = match CurrencyCode::parse(&form.currency) {
        Ok(c) => c,
        Err(m) => return page(&state, &admin, &HashMap::new(), vec![m]).await,
    };
    state.engine.set_home_currency(code).await?;
    Ok(redirect("/admin/rates?done=home"))
}

pub async fn import(
    state: web::Data<AppState>,
    admin: Admin,
    mut mp: Multipart,
) -> Result<HttpResponse, WebError> {
    let mut csrf = String::new();
    let mut file = String::new();
    let mut base = String::new();
    while let Some(item) = mp.next().await {
        let mut field = item.map_err(|e| WebError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
            if buf.len() + chunk.len() > MAX_FILE {
                return Err(WebError::BadRequest(
                    "rates files may be at most 16 MB".into(),
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(buf)
            .map_err(|_| WebError::BadRequest("the rates file is not UTF-8 text".into()))?;
        match name.as_str() {
            "csrf" => csrf = text,
            "file" => file = text,
            "base" => base = text,
            _ => {}
        }
    }
    admin.0.check_csrf(&csrf)?;
    if file.trim().is_empty() {
        return page(
            &state,
            &admin,
            &HashMap::new(),
            vec!["choose a rates file (CSV) to import".into()],
        )
        .await;
    }
    let base = match base.trim() {
        "" => None,
        b => match CurrencyCode::parse(b) {
            Ok(c) => Some(c),
            Err(m) => return page(&state, &admin, &HashMap::new(), vec![m]).await,
        },
    };
    match state.engine.import_rates(&file, base).await {
        Ok(r) => Ok(redirect(&format!(
            "/admin/rates?done=imported&n={}",
            r.stored
        ))),
        Err(e) => refused(&state, &admin, e).await,
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    csrf: String,
    currency: String,
    day: String,
    rate: String,
}

pub async fn set_rate(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<RateForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let mut errors = Vec::new();
    let currency = CurrencyCode::parse(&form.currency)
        .map_err(|m| errors.push(m))
        .ok();
    let day = chrono::NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d")
        .map_err(|_| {
            errors.push(format!(
                "`{}` is not a date; use YYYY-MM-DD",
                form.day.trim()
            ))
        })
        .ok();
    let (Some(currency), Some(day)) = (currency, day) else {
        return page(&state, &admin, &HashMap::new(), errors).await;
    };
    match state.engine.set_rate(currency, day, &form.rate).await {
        Ok(()) => Ok(redirect("/admin/rates?done=rate")),
        Err(e) => refused(&state, &admin, e).await,
    }
}

#[derive(Deserialize)]
pub struct RecomputeForm {
    csrf: String,
    app: String,
    all: Option<String>,
}

pub async fn recompute(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<RecomputeForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let actor = admin.0.actor();
    match state
        .engine
        .recompute_converted(&form.app, Some(&actor), form.all.is_some())
        .await
    {
        Ok((n, missing)) => Ok(redirect(&format!(
            "/admin/rates?done=recomputed&n={n}&missing={missing}"
        ))),
        Err(e) => refused(&state, &admin, e).await,
    }
}
