//! Summaries on the web: a totals row under a view's table, a panel per summary with a chart
//! drawn as SVG on the server (no scripts) and its numbers as a table, and CSV export.
use super::forms::view_request;
use super::{AppState, Signed, WebError};
use crate::engine::{SummaryGroup, SummaryPage};
use actix_web::{web, HttpResponse};
use std::collections::HashMap;
use std::str::FromStr;

/// One bar (or point) of a chart, in SVG units.
pub struct Mark {
    pub label: String,
    pub shown: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
}

/// A summary ready for the template.
pub struct Panel {
    pub title: String,
    pub key_labels: Vec<String>,
    pub value_label: String,
    pub rows: Vec<(Vec<String>, u64, String)>,
    pub chart: &'static str,
    pub marks: Vec<Mark>,
    /// SVG polyline points for a line chart.
    pub points: String,
    pub height: f64,
    pub cut: bool,
    pub csv_href: String,
}

/// Chart geometry: bars are 22 units apart, the value axis is 100 units wide.
const STEP: f64 = 22.0;
const CHART_WIDTH: f64 = 100.0;

fn magnitude(g: &SummaryGroup) -> f64 {
    g.value
        .as_deref()
        .and_then(|v| f64::from_str(v).ok())
        .unwrap_or(g.count as f64)
}

/// A group's figure in its summary: an aggregate over records without any value (a sum of
/// drafts with no amount yet) is "—", never the number of records.
fn shown_in(p: &SummaryPage, g: &SummaryGroup) -> String {
    if g.value.is_none() && !p.value_label.is_empty() {
        "—".to_string()
    } else {
        shown(g)
    }
}

/// "1234.5" → "1,234.50 EUR" for money, counts as they are.
pub fn shown(g: &SummaryGroup) -> String {
    match (&g.value, &g.currency) {
        (Some(v), Some(c)) => format!("{} {c}", thousands(v)),
        (Some(v), None) => thousands(v),
        (None, _) => g.count.to_string(),
    }
}

/// One way of grouping digits on every page.
fn thousands(v: &str) -> String {
    super::amounts::group_thousands(v)
}

pub fn panel(p: &SummaryPage, csv_href: String) -> Panel {
    let max = p
        .groups
        .iter()
        .filter(|g| g.value.is_some() || p.value_label.is_empty())
        .map(magnitude)
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let label = |g: &SummaryGroup| {
        // The currency is in the shown value already.
        let n = if g.currency.is_some() {
            g.keys.len().saturating_sub(1)
        } else {
            g.keys.len()
        };
        let k: Vec<&str> = g.keys.iter().take(n).map(String::as_str).collect();
        if k.is_empty() {
            "All".to_string()
        } else {
            k.join(" · ")
        }
    };
    let marks: Vec<Mark> = p
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let w = if max > 0.0 && (g.value.is_some() || p.value_label.is_empty()) {
                magnitude(g).abs() / max * CHART_WIDTH
            } else {
                0.0
            };
            Mark {
                label: label(g),
                shown: shown_in(p, g),
                x: if p.groups.len() > 1 {
                    i as f64 * (CHART_WIDTH * 4.0) / (p.groups.len() - 1) as f64
                } else {
                    0.0
                },
                y: i as f64 * STEP,
                width: (w * 10.0).round() / 10.0,
            }
        })
        .collect();
    let points = marks
        .iter()
        .map(|m| format!("{:.1},{:.1}", m.x, 100.0 - m.width))
        .collect::<Vec<_>>()
        .join(" ");
    Panel {
        title: p.def.title.clone(),
        key_labels: p.key_labels.clone(),
        value_label: if p.value_label.is_empty() {
            "Records".into()
        } else {
            p.value_label.clone()
        },
        rows: p
            .groups
            .iter()
            .map(|g| (g.keys.clone(), g.count, shown_in(p, g)))
            .collect(),
        chart: match p.def.chart {
            crate::engine::definition::Chart::Bar => "bar",
            crate::engine::definition::Chart::Line if p.groups.len() > 1 => "line",
            crate::engine::definition::Chart::Line => "bar",
            crate::engine::definition::Chart::None => "none",
        },
        height: (p.groups.len().max(1) as f64) * STEP,
        marks,
        points,
        cut: p.cut,
        csv_href,
    }
}

/// `/apps/{app}/views/{view}/summaries/{name}.csv`: the groups of one summary, for the request's
/// parameters.
pub async fn export_csv(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, view_name, file) = path.into_inner();
    let name = file.strip_suffix(".csv").unwrap_or(&file).to_string();
    let actor = signed.actor();
    let app = state.engine.view_for(&actor, &slug, &view_name).await?;
    let view = &app.def.views[view_name.as_str()];
    let (mut req, _) = view_request(view, &q)?;
    let local = super::local_time::LocalTime::of(&signed.user);
    super::field_types::local_params(&app.def, view, &mut req, local);
    let page = state
        .engine
        .run_summary_in(app.clone(), &actor, &view_name, &name, &req)
        .await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = page.key_labels.clone();
    head.push("Records".into());
    if !page.value_label.is_empty() {
        head.push(page.value_label.clone());
    }
    w.write_record(&head)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    for g in &page.groups {
        let mut row = g.keys.clone();
        row.push(g.count.to_string());
        if !page.value_label.is_empty() {
            row.push(g.value.clone().unwrap_or_default());
        }
        w.write_record(&row)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{slug}-{view_name}-{name}.csv\""),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands("1234567.50"), "1,234,567.50");
        assert_eq!(thousands("-1234"), "-1,234");
        assert_eq!(thousands("12"), "12");
    }
}
