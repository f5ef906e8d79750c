//! Configure > Integration > MCP: the site switch, the server URL, the context budget of the tool
//! catalog, and diagnostics (what is published and enabled, the latest MCP errors).
use crate::engine::definition::Scope;
use crate::mcp::catalog::{app_tools, record_id_gaps, ToolTarget};
use crate::mcp::results::{columns_row, full_row};
use crate::mcp::MCP_ENABLED_KEY;
use crate::store::RecordQuery;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

struct AppBudget {
    name: String,
    tools: Vec<String>,
    bytes: usize,
    tokens: usize,
    columns_row_bytes: String,
    full_row_bytes: String,
    /// Operations some role cannot use through MCP for want of a view to find record ids in.
    gaps: Vec<String>,
}

struct EventView {
    at: String,
    kind: String,
    tool: String,
    user: String,
    message: String,
}

#[derive(Template)]
#[template(path = "admin/mcp.html")]
struct McpPage {
    layout: Layout,
    enabled: bool,
    mcp_url: String,
    apps: Vec<AppBudget>,
    total_bytes: usize,
    total_tokens: usize,
    unpublished: Vec<String>,
    /// Clients listening for tool-list changes on `GET /mcp` (this process).
    open_streams: usize,
    events: Vec<EventView>,
    /// Bearer tokens refused by this process since it started (counted in memory, not stored).
    rejected_total: u64,
    rejected: Vec<RejectedView>,
    clients: super::clients::ClientsSection,
    /// `both` or `structured` (see `mcp::ViewRows`).
    view_rows: &'static str,
}

/// An address that recently sent a refused bearer token.
struct RejectedView {
    address: String,
    count: u64,
    last_at: String,
    reason: &'static str,
}

/// A rough token estimate: about four bytes of JSON per token.
pub fn estimate_tokens(bytes: usize) -> usize {
    bytes.div_ceil(4)
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let store = state.engine.store();
    let enabled = store.setting(MCP_ENABLED_KEY).await?.as_deref() == Some("true");
    let mut apps = Vec::new();
    for app in state.engine.catalog().apps().await? {
        let tools = app_tools(&app, None);
        let bytes: usize = tools
            .iter()
            .map(|t| serde_json::to_string(&t.tool).map(|s| s.len()).unwrap_or(0))
            .sum();
        let sample = store
            .query_records(&RecordQuery {
                app_id: app.id,
                limit: 50,
                ..Default::default()
            })
            .await?
            .0;
        let view = tools.iter().find_map(|t| match &t.target {
            ToolTarget::View(v) => app.def.views.get(v),
            _ => None,
        });
        let view = view
            .or_else(|| app.def.views.values().find(|v| v.scope == Scope::All))
            .or_else(|| app.def.views.values().next());
        let (cols, full) = match (view, sample.len()) {
            (Some(v), n) if n > 0 => {
                let mut atts = Vec::new();
                for r in &sample {
                    atts.extend(store.attachments_of(r.id).await?);
                }
                let c: usize = sample
                    .iter()
                    .map(|r| columns_row(&app.def, v, r).to_string().len())
                    .sum();
                let f: usize = sample
                    .iter()
                    .map(|r| full_row(r, &atts).to_string().len())
                    .sum();
                (format!("{} bytes", c / n), format!("{} bytes", f / n))
            }
            _ => ("no records yet".to_string(), "no records yet".to_string()),
        };
        apps.push(AppBudget {
            name: app.def.name.clone(),
            tools: tools.iter().map(|t| t.tool.name.to_string()).collect(),
            tokens: estimate_tokens(bytes),
            bytes,
            columns_row_bytes: cols,
            full_row_bytes: full,
            gaps: gap_sentences(&app.def),
        });
    }
    let published: Vec<String> = apps.iter().map(|a| a.name.clone()).collect();
    let unpublished = store
        .list_apps()
        .await?
        .into_iter()
        .filter(|a| a.published_version.is_none() && !published.contains(&a.name))
        .map(|a| a.name)
        .collect();
    let clock = crate::web::local_time::LocalTime::of(&admin.0.user);
    let events = store
        .mcp_events(20)
        .await?
        .into_iter()
        .map(|(at, kind, tool, user, message)| EventView {
            at: clock.second(at),
            kind,
            tool: tool.unwrap_or_default(),
            user: user.unwrap_or_default(),
            message,
        })
        .collect();
    let (rejected_total, recent) = state.auth.rejected_bearers();
    let rejected = recent
        .into_iter()
        .map(|r| RejectedView {
            address: r.address,
            count: r.count,
            last_at: clock.second(r.last_at),
            reason: r.reason,
        })
        .collect();
    let total_bytes = apps.iter().map(|a| a.bytes).sum();
    render(&McpPage {
        layout: Layout::new("Integration — MCP", &admin.0)
            .with_flash(super::clients::done_message(&q)),
        enabled,
        mcp_url: state.mcp_url(),
        total_tokens: estimate_tokens(total_bytes),
        total_bytes,
        apps,
        unpublished,
        open_streams: crate::mcp::open_streams(),
        events,
        rejected_total,
        rejected,
        clients: super::clients::section(&state, clock).await?,
        view_rows: crate::mcp::ViewRows::parse(
            store
                .setting(crate::mcp::MCP_VIEW_ROWS_KEY)
                .await?
                .as_deref()
                .unwrap_or_default(),
        )
        .as_str(),
    })
}

/// Each [`record_id_gaps`] entry as a sentence for the administrator.
fn gap_sentences(def: &crate::engine::definition::AppDef) -> Vec<String> {
    let label = |name: &str| {
        def.operations
            .get(name)
            .map(|o| o.title.clone())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| name.to_string())
    };
    record_id_gaps(def)
        .into_iter()
        .map(|g| {
            let why = if g.views.is_empty() {
                format!("no view enabled for MCP is granted to {}", g.role)
            } else {
                format!(
                    "the views enabled for MCP that {} may open ({}) list only their own records, and the operation is not allowed on one's own",
                    g.role,
                    g.views.join(", ")
                )
            };
            format!(
                "{} ({}): the assistant of someone with the role {} needs a record id, but {why}. Enable a view that lists these records for that role on its Integration tab, then publish.",
                label(&g.operation),
                crate::mcp::catalog::tool_name(&def.slug, &g.operation),
                g.role
            )
        })
        .collect()
}

/// A form with one site-wide checkbox.
#[derive(Deserialize)]
pub struct SwitchForm {
    csrf: String,
    enabled: Option<String>,
}

impl SwitchForm {
    /// Saves the checkbox as a `true`/`false` setting, after the CSRF check; returns whether it is on.
    pub async fn save(&self, state: &AppState, admin: &Admin, key: &str) -> Result<bool, WebError> {
        admin.0.check_csrf(&self.csrf)?;
        let v = if self.enabled.is_some() {
            "true"
        } else {
            "false"
        };
        state.engine.store().set_setting(key, v).await?;
        Ok(self.enabled.is_some())
    }
}

pub async fn save(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, WebError> {
    let done = if form.save(&state, &admin, MCP_ENABLED_KEY).await? {
        "mcp-on"
    } else {
        "mcp-off"
    };
    Ok(redirect(&format!("/admin/integration/mcp?done={done}")))
}

/// The "View results" choice.
#[derive(Deserialize)]
pub struct ViewRowsForm {
    csrf: String,
    view_rows: String,
}

pub async fn save_view_rows(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<ViewRowsForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let choice = crate::mcp::ViewRows::parse(&form.view_rows);
    state
        .engine
        .store()
        .set_setting(crate::mcp::MCP_VIEW_ROWS_KEY, choice.as_str())
        .await?;
    Ok(redirect("/admin/integration/mcp?done=view-rows"))
}
