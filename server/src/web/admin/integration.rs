//! The Integration tab of a view or an operation: enable for MCP, data format (views), the AI
//! description and instructions (generated, editable, "regenerate" restores them), confirmation
//! (operations). Edits change the draft; they reach MCP when the app is published.
use crate::engine::definition::DataFormat;
use crate::engine::describe;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, render, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/integration.html")]
struct IntegrationPage {
    layout: Layout,
    slug: String,
    app_name: String,
    is_view: bool,
    item_title: String,
    /// The view's or operation's name, for the link to its General (editor) tab.
    item_name: String,
    tool_name: String,
    enabled: bool,
    format_full: bool,
    /// The view has summaries, and whether they are offered as a summary tool.
    has_summaries: bool,
    summary_tool: bool,
    description: String,
    instructions: String,
    generated_description: String,
    generated_instructions: String,
    custom_description: bool,
    custom_instructions: bool,
    require_confirmation: bool,
    published_state: String,
    draft_differs: bool,
}

fn published_state(enabled: Option<bool>) -> String {
    match enabled {
        None => "The app is not published yet: nothing is visible through MCP.".into(),
        Some(true) => "Published: enabled for MCP.".into(),
        Some(false) => "Published: not enabled for MCP.".into(),
    }
}

pub async fn view_form(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, name) = path.into_inner();
    let (_, def) = state.engine.draft(&slug).await?;
    let v = def
        .views
        .get(&name)
        .ok_or_else(|| WebError::NotFound(format!("no view `{name}`")))?;
    let published = state.engine.catalog().app(&slug).await?;
    let pv = published.as_ref().map(|p| p.def.views.get(&name).cloned());
    let app_id = published.as_ref().map(|p| p.id).unwrap_or_default();
    let paths = state.engine.resolve_lookup_paths(&def, app_id).await?;
    let (gd, gi) = (
        describe::view_description(&def, &paths, v),
        describe::view_instructions(&def, &paths, v),
    );
    let draft_differs = match &pv {
        Some(Some(p)) => serde_json::to_string(p).ok() != serde_json::to_string(v).ok(),
        _ => true,
    };
    render(&IntegrationPage {
        layout: Layout::new(format!("{} — Integration", v.title), &admin.0)
            .with_flash(super::editor::saved_flash(&q)),
        app_name: def.name.clone(),
        is_view: true,
        item_title: v.title.clone(),
        item_name: name.clone(),
        tool_name: crate::mcp::catalog::tool_name(&slug, &name),
        enabled: v.mcp.enabled,
        format_full: v.mcp.format == DataFormat::Full,
        has_summaries: !v.summaries.is_empty(),
        summary_tool: v.mcp.summary_tool,
        description: v.mcp.description.clone().unwrap_or_else(|| gd.clone()),
        instructions: v.mcp.instructions.clone().unwrap_or_else(|| gi.clone()),
        custom_description: v.mcp.description.is_some(),
        custom_instructions: v.mcp.instructions.is_some(),
        generated_description: gd,
        generated_instructions: gi,
        require_confirmation: false,
        published_state: published_state(pv.map(|p| p.is_some_and(|p| p.mcp.enabled))),
        draft_differs,
        slug,
    })
}

pub async fn operation_form(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, name) = path.into_inner();
    let (_, def) = state.engine.draft(&slug).await?;
    let o = def
        .operations
        .get(&name)
        .ok_or_else(|| WebError::NotFound(format!("no operation `{name}`")))?;
    let published = state.engine.catalog().app(&slug).await?;
    let po = published
        .as_ref()
        .map(|p| p.def.operations.get(&name).cloned());
    let (gd, gi) = (
        describe::operation_description(&def, o),
        describe::operation_instructions(&def, o),
    );
    let draft_differs = match &po {
        Some(Some(p)) => serde_json::to_string(p).ok() != serde_json::to_string(o).ok(),
        _ => true,
    };
    render(&IntegrationPage {
        layout: Layout::new(format!("{} — Integration", o.title), &admin.0)
            .with_flash(super::editor::saved_flash(&q)),
        app_name: def.name.clone(),
        is_view: false,
        item_title: o.title.clone(),
        item_name: name.clone(),
        tool_name: crate::mcp::catalog::tool_name(&slug, &name),
        enabled: o.mcp.enabled,
        format_full: false,
        has_summaries: false,
        summary_tool: false,
        description: o.mcp.description.clone().unwrap_or_else(|| gd.clone()),
        instructions: o.mcp.instructions.clone().unwrap_or_else(|| gi.clone()),
        custom_description: o.mcp.description.is_some(),
        custom_instructions: o.mcp.instructions.is_some(),
        generated_description: gd,
        generated_instructions: gi,
        require_confirmation: o.requires_confirmation(),
        published_state: published_state(po.map(|p| p.is_some_and(|p| p.mcp.enabled))),
        draft_differs,
        slug,
    })
}

#[derive(Deserialize)]
pub struct IntegrationForm {
    csrf: String,
    enabled: Option<String>,
    format: Option<String>,
    description: String,
    instructions: String,
    require_confirmation: Option<String>,
    summary_tool: Option<String>,
    action: Option<String>,
}

/// The admin's text, or `None` when it is the generated text (so it follows later edits).
fn custom(text: &str, generated: &str) -> Option<String> {
    let t = text.replace("\r\n", "\n").trim().to_string();
    (!t.is_empty() && t != generated.trim()).then_some(t)
}

pub async fn view_save(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<IntegrationForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let (slug, name) = path.into_inner();
    let (row, mut def) = state.engine.draft(&slug).await?;
    let snapshot = def.clone();
    let paths = state.engine.resolve_lookup_paths(&snapshot, row.id).await?;
    let v = def
        .views
        .get_mut(&name)
        .ok_or_else(|| WebError::NotFound(format!("no view `{name}`")))?;
    let base = snapshot
        .views
        .get(&name)
        .cloned()
        .ok_or_else(|| WebError::NotFound(name.clone()))?;
    v.mcp.enabled = form.enabled.is_some();
    v.mcp.summary_tool = form.summary_tool.is_some() && !v.summaries.is_empty();
    v.mcp.format = if form.format.as_deref() == Some("full") {
        DataFormat::Full
    } else {
        DataFormat::Columns
    };
    if form.action.as_deref() == Some("regenerate") {
        v.mcp.description = None;
        v.mcp.instructions = None;
    } else {
        v.mcp.description = custom(
            &form.description,
            &describe::view_description(&snapshot, &paths, &base),
        );
        v.mcp.instructions = custom(
            &form.instructions,
            &describe::view_instructions(&snapshot, &paths, &base),
        );
    }
    // Through `edit_draft`, like every editor change: pending renames in the draft are kept.
    let mcp = def.views[name.as_str()].mcp.clone();
    let view = name.clone();
    state
        .engine
        .edit_draft(&slug, Utc::now(), move |d, _, _| {
            if let Some(v) = d.views.get_mut(&view) {
                v.mcp = mcp;
            }
            Ok(())
        })
        .await?;
    Ok(redirect(&format!(
        "/admin/apps/{slug}/views/{name}?saved=1"
    )))
}

pub async fn operation_save(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<IntegrationForm>,
) -> Result<HttpResponse, WebError> {
    admin.0.check_csrf(&form.csrf)?;
    let (slug, name) = path.into_inner();
    let (_, mut def) = state.engine.draft(&slug).await?;
    let snapshot = def.clone();
    let o = def
        .operations
        .get_mut(&name)
        .ok_or_else(|| WebError::NotFound(format!("no operation `{name}`")))?;
    let base = snapshot
        .operations
        .get(&name)
        .cloned()
        .ok_or_else(|| WebError::NotFound(name.clone()))?;
    o.mcp.enabled = form.enabled.is_some();
    o.mcp.require_confirmation = Some(form.require_confirmation.is_some());
    if form.action.as_deref() == Some("regenerate") {
        o.mcp.description = None;
        o.mcp.instructions = None;
    } else {
        // Compare against the text generated with the new confirmation setting.
        let mut probe = base.clone();
        probe.mcp.require_confirmation = o.mcp.require_confirmation;
        o.mcp.description = custom(
            &form.description,
            &describe::operation_description(&snapshot, &probe),
        );
        o.mcp.instructions = custom(
            &form.instructions,
            &describe::operation_instructions(&snapshot, &base),
        );
    }
    let mcp = def.operations[name.as_str()].mcp.clone();
    let op = name.clone();
    state
        .engine
        .edit_draft(&slug, Utc::now(), move |d, _, _| {
            if let Some(o) = d.operations.get_mut(&op) {
                o.mcp = mcp;
            }
            Ok(())
        })
        .await?;
    Ok(redirect(&format!(
        "/admin/apps/{slug}/operations/{name}?saved=1"
    )))
}
