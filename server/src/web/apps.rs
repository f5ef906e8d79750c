//! App home pages, view pages (parameters, quick search, sort, paging) and CSV export.
use super::forms::{param_inputs, query_with, view_request, ParamInput};
use super::layout::Layout;
use super::{enc, render, AppState, Signed, WebError};
use crate::engine::definition::{FieldType, OperationKind};
use crate::engine::ViewRequest;
use actix_web::{web, HttpResponse};
use askama::Template;
use std::collections::HashMap;

/// A link with a label.
pub struct Link {
    pub href: String,
    pub label: String,
    pub note: String,
}

/// A view on the app's home page, with the person's headline figures.
pub struct ViewTile {
    pub href: String,
    pub label: String,
    pub note: String,
    pub figures: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    apps: Vec<Link>,
}

pub async fn home(state: web::Data<AppState>, signed: Signed) -> Result<HttpResponse, WebError> {
    let actor = signed.actor();
    let mut apps = Vec::new();
    for app in state.engine.catalog().apps().await? {
        let views = state.engine.views_for(&app, &actor);
        if views.is_empty() && !app.def.operations.values().any(|o| actor.has_any(&o.roles)) {
            continue;
        }
        apps.push(Link {
            href: format!("/apps/{}", app.def.slug),
            label: app.def.name.clone(),
            note: app.def.description.clone(),
        });
    }
    if apps.len() == 1 && !signed.is_admin() {
        return Ok(super::redirect(&apps[0].href));
    }
    render(&HomePage {
        layout: Layout::new("Apps", &signed),
        apps,
    })
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    layout: Layout,
    name: String,
    description: String,
    views: Vec<ViewTile>,
    creates: Vec<Link>,
}

pub async fn app_home(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let actor = signed.actor();
    let app = state.engine.app(&path).await?;
    let granted: Vec<(String, String, String)> = state
        .engine
        .views_for(&app, &actor)
        .into_iter()
        .map(|(n, v)| (n.clone(), v.title.clone(), v.description.clone()))
        .collect();
    if granted.len() == 1 {
        return Ok(super::redirect(&format!(
            "/apps/{}/views/{}",
            app.def.slug, granted[0].0
        )));
    }
    // Each view's headline figures for this person: how many records, and the totals of its
    // number and money columns (a view whose parameters are required shows none).
    let mut views = Vec::with_capacity(granted.len());
    for (n, title, description) in granted {
        let req = crate::engine::ViewRequest {
            limit: Some(1),
            ..Default::default()
        };
        let figures = match state
            .engine
            .run_view_in(app.clone(), &actor, &n, &req)
            .await
        {
            Ok(page) => {
                let mut parts = vec![format!(
                    "{}{} record{}",
                    page.total,
                    if page.total_exact { "" } else { "+" },
                    if page.total == 1 { "" } else { "s" }
                )];
                if let Ok(totals) = state
                    .engine
                    .view_totals(app.clone(), &actor, &n, &req)
                    .await
                {
                    for (c, groups) in totals.into_iter().filter(|(_, g)| !g.is_empty()) {
                        let label = app.def.fields.get(&c).map(|f| f.label.clone()).unwrap_or(c);
                        let sums: Vec<String> =
                            groups.iter().take(3).map(super::summaries::shown).collect();
                        parts.push(format!("{label} {}", sums.join(" · ")));
                    }
                }
                parts.join(" — ")
            }
            Err(_) => String::new(),
        };
        views.push(ViewTile {
            href: format!("/apps/{}/views/{n}", app.def.slug),
            label: title,
            note: description,
            figures,
        });
    }
    render(&AppPage {
        layout: Layout::new(app.def.name.clone(), &signed).with_flash(
            super::operations::done_flash(&app.def, q.get("done").map(String::as_str)),
        ),
        name: app.def.name.clone(),
        description: app.def.description.clone(),
        creates: create_links(&app.def, &actor),
        views,
    })
}

fn create_links(
    def: &crate::engine::definition::AppDef,
    actor: &crate::engine::Actor,
) -> Vec<Link> {
    def.operations
        .iter()
        .filter(|(_, o)| o.kind == OperationKind::Create && actor.has_any(&o.roles))
        .map(|(n, o)| Link {
            href: format!("/apps/{}/ops/{n}", def.slug),
            label: o.title.clone(),
            note: String::new(),
        })
        .collect()
}

/// A column header with its sort link (none for a place: places have no order).
struct Column {
    label: String,
    sort_href: Option<String>,
    arrow: &'static str,
    numeric: bool,
}

struct Row {
    href: String,
    cells: Vec<String>,
    /// `id:version`, the value of the row's bulk checkbox.
    pick: String,
}

#[derive(Template)]
#[template(path = "view.html")]
struct ViewPageT {
    layout: Layout,
    app_slug: String,
    app_name: String,
    view_title: String,
    view_description: String,
    params: Vec<ParamInput>,
    search: String,
    sort: String,
    columns: Vec<Column>,
    rows: Vec<Row>,
    total: u64,
    /// False when counting stopped early: the page shows "of N+".
    total_exact: bool,
    first: u64,
    last: u64,
    prev_href: Option<String>,
    next_href: Option<String>,
    csv_href: String,
    creates: Vec<Link>,
    error: Option<String>,
    /// Sums of the number and money columns over every record the filter selects.
    totals: Vec<(String, String)>,
    summaries: Vec<super::summaries::Panel>,
    /// Checkboxes and buttons for the view's bulk operations the person may run.
    bulk: Option<super::bulk::BulkForm>,
}

pub async fn view(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, view_name) = path.into_inner();
    let actor = signed.actor();
    let app = state.engine.view_for(&actor, &slug, &view_name).await?;
    let def = &app.def;
    let view = &def.views[view_name.as_str()];
    // Said once: the links this page builds from its query do not carry it on.
    let mut q = q.into_inner();
    let flash = super::operations::done_flash(def, q.remove("done").as_deref());
    let (mut req, page_no) = view_request(view, &q)?;
    let local = super::local_time::LocalTime::of(&signed.user);
    super::field_types::local_params(def, view, &mut req, local);
    let base = format!("/apps/{slug}/views/{view_name}");
    let (page, error) = match state.engine.run_view(&actor, &slug, &view_name, &req).await {
        Ok(p) => (Some(p), None),
        Err(crate::engine::EngineError::Invalid(errs)) => {
            let names = super::wording::Names::of(def, Some(view));
            (
                None,
                Some(
                    errs.iter()
                        .map(|e| super::wording::field_error(&names, e))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            )
        }
        Err(e) => return Err(e.into()),
    };
    let current_sort = page
        .as_ref()
        .and_then(|p| p.sort.clone())
        .unwrap_or_default();
    let columns = view
        .columns
        .iter()
        .map(|c| {
            if crate::engine::lookup_paths::split(c).is_some() {
                // A looked-up column: shown, not sortable.
                return Column {
                    label: app.column_label(c),
                    sort_href: None,
                    arrow: "",
                    numeric: app.column_field(c).is_some_and(|f| f.kind.is_numeric()),
                };
            }
            let f = &def.fields[c.as_str()];
            let (next, arrow) = if current_sort == *c {
                (format!("-{c}"), "▲")
            } else if current_sort == format!("-{c}") {
                (c.clone(), "▼")
            } else {
                (c.clone(), "")
            };
            Column {
                label: f.label.clone(),
                sort_href: (f.kind != FieldType::Geolocation
                    && crate::engine::lines::sortable(def, f))
                .then(|| {
                    format!(
                        "{base}?{}",
                        query_with(&q, &[("sort", next), ("page", String::new())])
                    )
                }),
                arrow,
                numeric: f.kind.is_numeric(),
            }
        })
        .collect();
    let titles = match &page {
        Some(p) => {
            state
                .engine
                .lookup_titles(&actor, def, p.rows.iter().map(|r| &r.data))
                .await?
        }
        None => Default::default(),
    };
    let (rows, total, total_exact) = match &page {
        Some(p) => (
            p.rows
                .iter()
                .map(|r| {
                    // A field hidden on this record by its `visible_when` is shown empty, as on
                    // the record's page.
                    let hidden = crate::engine::field_rules::hidden_fields(def, &r.data);
                    Row {
                        pick: format!("{}:{}", r.id, r.version),
                        href: format!("/apps/{slug}/records/{}", r.id),
                        cells: view
                            .columns
                            .iter()
                            .map(|c| {
                                if hidden.contains(c) {
                                    return String::new();
                                }
                                titles.shown(def, c, &r.data).unwrap_or_else(|| {
                                    super::field_types::shown(def, c, &r.data, local)
                                })
                            })
                            .collect(),
                    }
                })
                .collect(),
            p.total,
            p.total_exact,
        ),
        None => (vec![], 0, true),
    };
    let per = view.per_page as u64;
    let first = if total == 0 {
        0
    } else {
        (page_no - 1) * per + 1
    };
    let last = ((page_no - 1) * per + rows.len() as u64).min(total);
    let link = |p: u64| format!("{base}?{}", query_with(&q, &[("page", p.to_string())]));
    // Totals and summaries over the same filtered, row-scoped records as the rows.
    let (totals, summaries) = if page.is_some() {
        let totals = state
            .engine
            .view_totals(app.clone(), &actor, &view_name, &req)
            .await?
            .into_iter()
            .filter(|(_, groups)| !groups.is_empty())
            .map(|(c, groups)| {
                let label = def.fields.get(&c).map(|f| f.label.clone()).unwrap_or(c);
                let sums: Vec<String> = groups.iter().map(super::summaries::shown).collect();
                (label, sums.join(" · "))
            })
            .collect();
        let panels = state
            .engine
            .run_summaries(app.clone(), &actor, &view_name, &req)
            .await?
            .iter()
            .map(|p| {
                let href = format!(
                    "{base}/summaries/{}.csv?{}",
                    p.name,
                    query_with(&q, &[("page", String::new())])
                );
                super::summaries::panel(p, href)
            })
            .collect();
        (totals, panels)
    } else {
        (vec![], vec![])
    };
    render(&ViewPageT {
        layout: Layout::new(format!("{} — {}", view.title, def.name), &signed).with_flash(flash),
        app_slug: slug.clone(),
        app_name: def.name.clone(),
        view_title: view.title.clone(),
        view_description: view.description.clone(),
        params: param_inputs(def, &app.paths, view, &q),
        search: q.get("q").cloned().unwrap_or_default(),
        sort: q.get("sort").cloned().unwrap_or_default(),
        columns,
        rows,
        total,
        total_exact,
        first,
        last,
        prev_href: (page_no > 1).then(|| link(page_no - 1)),
        next_href: (last < total).then(|| link(page_no + 1)),
        csv_href: format!(
            "{base}/export.csv?{}",
            query_with(&q, &[("page", String::new())])
        ),
        creates: create_links(def, &actor),
        error,
        totals,
        summaries,
        bulk: super::bulk::bulk_form(def, &view_name, view, &actor),
    })
}

/// Most rows one CSV export returns.
const CSV_MAX_ROWS: u64 = 50_000;

pub async fn export_csv(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, view_name) = path.into_inner();
    let actor = signed.actor();
    let app = state.engine.view_for(&actor, &slug, &view_name).await?;
    let view = &app.def.views[view_name.as_str()];
    let (mut req, _) = view_request(view, &q)?;
    let local = super::local_time::LocalTime::of(&signed.user);
    super::field_types::local_params(&app.def, view, &mut req, local);
    req.offset = 0;
    req.limit = Some(crate::engine::views::MAX_LIMIT);
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<String> = std::iter::once("id".to_string())
        .chain(view.columns.iter().map(|c| app.column_label(c)))
        .collect();
    w.write_record(&header)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    loop {
        let page = state
            .engine
            .run_view(&actor, &slug, &view_name, &ViewRequest { ..req.clone() })
            .await?;
        let titles = state
            .engine
            .lookup_titles(&actor, &app.def, page.rows.iter().map(|r| &r.data))
            .await?;
        for r in &page.rows {
            let hidden = crate::engine::field_rules::hidden_fields(&app.def, &r.data);
            let mut rec = vec![r.id.to_string()];
            rec.extend(view.columns.iter().map(|c| {
                // A field hidden on this record exports empty, as on the page.
                if hidden.contains(c) {
                    return String::new();
                }
                // Line items export as how many there are (the lines themselves are not cells).
                if app.def.fields.get(c).map(|f| f.kind) == Some(FieldType::Lines) {
                    return crate::engine::lines::count(
                        r.data.get(c).unwrap_or(&serde_json::Value::Null),
                    )
                    .to_string();
                }
                csv_safe(
                    titles.shown(&app.def, c, &r.data).unwrap_or_else(|| {
                        crate::engine::value::display_value(&app.def, c, &r.data)
                    }),
                )
            }));
            w.write_record(&rec)
                .map_err(|e| WebError::Internal(e.to_string()))?;
        }
        req.offset += page.rows.len() as u64;
        if page.rows.is_empty() || req.offset >= page.total || req.offset >= CSV_MAX_ROWS {
            break;
        }
    }
    let body = w
        .into_inner()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}-{}.csv\"",
                enc(&slug),
                enc(&view_name)
            ),
        ))
        .body(body))
}

/// Neutralises spreadsheet formulas in exported cells (CSV injection). Numbers, and a place's
/// "latitude, longitude" (two numbers), are no formula and stay as they are.
fn csv_safe(s: String) -> String {
    let numbers = s.split(", ").all(|n| n.parse::<f64>().is_ok());
    if s.starts_with(['=', '+', '-', '@']) && !numbers {
        format!("'{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::csv_safe;

    #[test]
    fn formulas_are_neutralised_but_numbers_and_places_are_not() {
        assert_eq!(csv_safe("-12.5".into()), "-12.5");
        assert_eq!(
            csv_safe("-33.8567844, 151.2152967".into()),
            "-33.8567844, 151.2152967"
        );
        assert_eq!(csv_safe("=1+1".into()), "'=1+1");
        assert_eq!(csv_safe("-1, =cmd".into()), "'-1, =cmd");
        assert_eq!(csv_safe("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(csv_safe("+44 20".into()), "'+44 20");
    }
}
