//! The record page (fields, attachments, available operations, history) and file downloads.
use super::amounts::display_value;
use super::layout::Layout;
use super::{render, AppState, Signed, WebError};
use crate::engine::definition::FieldType;
use crate::engine::Change;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

struct FieldRow {
    label: String,
    value: String,
    /// For a place: its link to OpenStreetMap's map.
    map: Option<String>,
    /// For line items: the column headers and one row of cells per line.
    table: Option<(Vec<String>, Vec<Vec<LineCell>>)>,
}

/// One cell of a line items table: its text, or the line's file (id, name, whether it has a
/// thumbnail) shown as a link with its preview.
struct LineCell {
    text: String,
    file: Option<(i64, String, bool)>,
}

struct AttachmentView {
    id: i64,
    filename: String,
    size: String,
    content_type: String,
    has_thumb: bool,
    duplicate_note: String,
    suggestions: Vec<(String, String)>,
    /// What could not be read from the file ("no text layer and no image could be read…").
    notes: Vec<String>,
}

struct OpLink {
    href: String,
    title: String,
    danger: bool,
}

struct ChangeView {
    label: String,
    before: String,
    after: String,
    /// For line items: each line's change ("line 3 added", "line 2 · Net 10.00 → 12.00").
    lines: Vec<String>,
}

struct HistoryView {
    at: String,
    actor: String,
    via_mcp: bool,
    surface: String,
    client: String,
    operation: String,
    version: i64,
    changes: Vec<ChangeView>,
    /// The person away whose decision a stand-in took ("" when none).
    on_behalf_of: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    layout: Layout,
    app_slug: String,
    app_name: String,
    id: i64,
    version: i64,
    title: String,
    status: String,
    fields: Vec<FieldRow>,
    attachments: Vec<AttachmentView>,
    operations: Vec<OpLink>,
    /// Operations the person could run but for an unmet condition: (title, why).
    unavailable: Vec<(String, String)>,
    history: Vec<HistoryView>,
    mcp_only: bool,
}

#[derive(Deserialize)]
pub struct RecordQuery {
    history: Option<String>,
    /// The operation just run here (its success message is shown).
    done: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, i64)>,
    q: web::Query<RecordQuery>,
) -> Result<HttpResponse, WebError> {
    let (slug, id) = path.into_inner();
    let actor = signed.actor();
    let access = state.engine.record(&actor, &slug, id).await?;
    let def = &access.app.def;
    let data = &access.record.data;
    let local = super::local_time::LocalTime::of(&signed.user);
    let mcp_only = q.history.as_deref() == Some("mcp");
    let history_rows = state
        .engine
        .history(&actor, &slug, id, mcp_only.then_some("mcp"))
        .await?;
    let changed: Vec<Change> = history_rows
        .iter()
        .flat_map(|h| serde_json::from_str::<Vec<Change>>(&h.changes).unwrap_or_default())
        .collect();
    // The titles of looked-up records, now and in the history, as this person may see them.
    let values: Vec<serde_json::Value> = changed
        .iter()
        .flat_map(|c| {
            [
                serde_json::json!({ c.field.clone(): c.before.clone() }),
                serde_json::json!({ c.field.clone(): c.after.clone() }),
            ]
        })
        .collect();
    let titles = state
        .engine
        .lookup_titles(&actor, def, std::iter::once(data).chain(values.iter()))
        .await?;
    let files = state.engine.attachments(&access.record).await?;
    // A line's file by attachment id: its name, and whether it has a thumbnail.
    let line_files: std::collections::HashMap<i64, (String, bool)> = files
        .iter()
        .map(|a| {
            let meta: serde_json::Value = serde_json::from_str(&a.meta).unwrap_or_default();
            (
                a.id,
                (a.filename.clone(), meta["derivatives"]["thumb"].is_string()),
            )
        })
        .collect();
    // A field hidden by its `visible_when` keeps its value but is not shown.
    let hidden = crate::engine::field_rules::hidden_fields(def, data);
    let fields = def
        .fields
        .iter()
        .filter(|(n, f)| !f.kind.is_file() && !hidden.contains(*n))
        .map(|(n, f)| FieldRow {
            label: f.label.clone(),
            value: match f.kind {
                // The rate it was converted with goes beside a home-currency amount.
                FieldType::Converted => super::amounts::group_leading_amount(
                    &crate::engine::converted::display_with_rate(n, data),
                ),
                _ => titles
                    .shown(def, n, data)
                    .unwrap_or_else(|| super::field_types::shown(def, n, data, local)),
            },
            map: (f.kind == FieldType::Geolocation)
                .then(|| data.get(n).and_then(super::field_types::map_link))
                .flatten(),
            table: (f.kind == FieldType::Lines)
                .then(|| {
                    data.get(n)
                        .map(|v| line_table(f, v, &line_files, &titles, local))
                })
                .flatten()
                .filter(|t| !t.1.is_empty()),
        })
        .collect();
    let mut attachments = Vec::new();
    let file_names: std::collections::HashMap<i64, String> =
        files.iter().map(|a| (a.id, a.filename.clone())).collect();
    // Only the files the record's fields hold now: a replaced file stays in the history.
    let mut current: Vec<i64> = super::operations::current_files(def, &access.record, &files)
        .iter()
        .map(|(a, _)| a.id)
        .collect();
    // And the files the record's lines hold now.
    current.extend(crate::engine::lines::held_files(def, data));
    for a in files.into_iter().filter(|a| current.contains(&a.id)) {
        let meta: serde_json::Value = serde_json::from_str(&a.meta).unwrap_or_default();
        let elsewhere = state
            .engine
            .duplicates(&access.app, &actor, &a.sha256, Some(id))
            .await?
            .places();
        let suggestions = meta["suggestions"]
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| {
                        let val = v.get("value")?;
                        let conf = v.get("confidence").and_then(|c| c.as_f64()).unwrap_or(0.0);
                        let shown = val
                            .as_str()
                            .map(String::from)
                            .unwrap_or_else(|| val.to_string());
                        Some((
                            k.replace('_', " "),
                            format!("{shown} ({:.0}%)", conf * 100.0),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        attachments.push(AttachmentView {
            id: a.id,
            filename: a.filename.clone(),
            size: human_size(a.size),
            content_type: a.content_type.clone(),
            has_thumb: meta["derivatives"]["thumb"].is_string(),
            duplicate_note: elsewhere
                .map(|places| {
                    format!("The same file is attached to {places} — possible duplicate claim.")
                })
                .unwrap_or_default(),
            suggestions,
            notes: meta["notes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    let operations = access
        .operations
        .iter()
        .map(|n| {
            let o = &def.operations[n.as_str()];
            OpLink {
                href: format!("/apps/{slug}/ops/{n}?record={id}"),
                title: o.title.clone(),
                danger: o.kind == crate::engine::definition::OperationKind::Delete,
            }
        })
        .collect();
    let unavailable = access
        .unavailable
        .iter()
        .map(|(n, why)| {
            let title = def.operations[n.as_str()].title.clone();
            // "only when …": it continues the sentence the page starts ("Approve is not available:").
            let why = why.trim_end_matches('.');
            (title, format!("{why}."))
        })
        .collect();
    let history = history_rows
        .into_iter()
        .map(|h| {
            let changes: Vec<Change> = serde_json::from_str(&h.changes).unwrap_or_default();
            HistoryView {
                at: super::local_time::LocalTime::of(&signed.user).minute(h.at),
                actor: h.actor_name,
                via_mcp: h.surface == "mcp",
                surface: h.surface,
                client: h.client_name.unwrap_or_default(),
                operation: h.operation_title,
                on_behalf_of: h.on_behalf_of.unwrap_or_default(),
                version: h.record_version,
                changes: changes
                    .into_iter()
                    .map(|c| ChangeView {
                        lines: match def.fields.get(&c.field) {
                            Some(f) if f.kind == FieldType::Lines => {
                                crate::engine::lines::line_changes_shown(
                                    f,
                                    &c.before,
                                    &c.after,
                                    &|col, line| {
                                        let shown = cell_text(f, col, line, &titles, local);
                                        match line.get(col).and_then(|v| v.as_i64()) {
                                            Some(id)
                                                if f.columns
                                                    .get(col)
                                                    .is_some_and(|c| c.kind.is_file()) =>
                                            {
                                                file_names.get(&id).cloned().unwrap_or(shown)
                                            }
                                            _ => shown,
                                        }
                                    },
                                )
                            }
                            _ => vec![],
                        },
                        before: show_change(def, &c.field, &c.before, &file_names, &titles, local),
                        after: show_change(def, &c.field, &c.after, &file_names, &titles, local),
                        label: c.label,
                    })
                    .collect(),
            }
        })
        .collect();
    let title = def
        .title_field
        .as_ref()
        .map(|t| display_value(def, t, data))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("Record {id}"));
    render(&RecordPage {
        layout: Layout::new(title.clone(), &signed)
            .with_flash(super::operations::done_flash(def, q.done.as_deref())),
        app_slug: slug.clone(),
        app_name: def.name.clone(),
        id,
        version: access.record.version,
        status: def
            .state_field
            .as_ref()
            .map(|s| display_value(def, s, data))
            .unwrap_or_default(),
        title,
        fields,
        attachments,
        operations,
        unavailable,
        history,
        mcp_only,
    })
}

/// One side of a change, with attachments named by their file name when still attached.
/// A lines field as a table: its columns' labels, and each line's cells as pages show them
/// (amounts grouped, with their line's currency).
fn line_table(
    f: &crate::engine::definition::FieldDef,
    v: &serde_json::Value,
    files: &std::collections::HashMap<i64, (String, bool)>,
    titles: &crate::engine::lookups::LookupTitles,
    local: super::local_time::LocalTime,
) -> (Vec<String>, Vec<Vec<LineCell>>) {
    let headers = f.columns.values().map(|c| c.label.clone()).collect();
    let rows = crate::engine::lines::stored_lines(v)
        .into_iter()
        .map(|line| {
            f.columns
                .iter()
                .map(|(col, c)| {
                    if c.kind.is_file() {
                        let file = line.get(col).and_then(|v| v.as_i64()).map(|id| {
                            let (name, thumb) = files
                                .get(&id)
                                .cloned()
                                .unwrap_or_else(|| (format!("file #{id}"), false));
                            (id, name, thumb)
                        });
                        return LineCell {
                            text: String::new(),
                            file,
                        };
                    }
                    let shown = cell_text(f, col, line, titles, local);
                    let text = match c.kind {
                        _ if crate::engine::lines::is_amount(c) => {
                            let cur = c
                                .currency_field
                                .as_ref()
                                .and_then(|cf| line.get(cf))
                                .and_then(|v| v.as_str())
                                .unwrap_or_default();
                            let amount = super::amounts::group_leading_amount(&shown);
                            if cur.is_empty() || amount.is_empty() {
                                amount
                            } else {
                                format!("{amount} {cur}")
                            }
                        }
                        FieldType::YesNo => match line.get(col).and_then(|v| v.as_bool()) {
                            Some(true) => "Yes".into(),
                            Some(false) => "No".into(),
                            None => String::new(),
                        },
                        _ => shown,
                    };
                    LineCell { text, file: None }
                })
                .collect()
        })
        .collect();
    (headers, rows)
}

/// A line's cell as pages show it: a looked-up record's title as this person may see it, a
/// moment in their zone, else as the engine displays it.
fn cell_text(
    f: &crate::engine::definition::FieldDef,
    col: &str,
    line: &serde_json::Map<String, serde_json::Value>,
    titles: &crate::engine::lookups::LookupTitles,
    local: super::local_time::LocalTime,
) -> String {
    let v = line.get(col).unwrap_or(&serde_json::Value::Null);
    match f.columns.get(col) {
        Some(c) if c.kind == FieldType::Lookup => titles.show(c, v).unwrap_or_default(),
        Some(c) if c.kind == FieldType::DateTime => v
            .as_str()
            .and_then(|s| crate::engine::field_types::parse_datetime(s).ok())
            .map(|t| local.minute(t))
            .unwrap_or_else(|| crate::engine::lines::display_cell(f, col, line)),
        _ => crate::engine::lines::display_cell(f, col, line),
    }
}

fn show_change(
    def: &crate::engine::definition::AppDef,
    field: &str,
    v: &serde_json::Value,
    files: &std::collections::HashMap<i64, String>,
    titles: &crate::engine::lookups::LookupTitles,
    local: super::local_time::LocalTime,
) -> String {
    if let Some(t) = def
        .fields
        .get(field)
        .and_then(|f| titles.show(f, v))
        .filter(|t| !t.is_empty())
    {
        return t;
    }
    match v.as_i64().and_then(|id| files.get(&id)) {
        Some(name) if def.fields.get(field).is_some_and(|f| f.kind.is_file()) => name.clone(),
        _ => show_json(def, field, v, local),
    }
}

fn show_json(
    def: &crate::engine::definition::AppDef,
    field: &str,
    v: &serde_json::Value,
    local: super::local_time::LocalTime,
) -> String {
    // A history entry may name a field the app no longer has under that name (removed or
    // renamed since): its value is shown as stored, so the history stays readable.
    if !def.fields.contains_key(field) {
        return match v {
            serde_json::Value::Null => "—".into(),
            serde_json::Value::String(s) if !s.is_empty() => s.clone(),
            serde_json::Value::String(_) => "—".into(),
            other => other.to_string(),
        };
    }
    let mut obj = serde_json::Map::new();
    obj.insert(field.to_string(), v.clone());
    let s = super::field_types::shown(def, field, &serde_json::Value::Object(obj), local);
    if s.is_empty() {
        "—".into()
    } else {
        s
    }
}

/// 1.2 MB style sizes.
pub fn human_size(n: i64) -> String {
    let n = n.max(0) as f64;
    if n >= 1_000_000.0 {
        format!("{:.1} MB", n / 1_000_000.0)
    } else if n >= 1_000.0 {
        format!("{:.0} kB", n / 1_000.0)
    } else {
        format!("{n} B")
    }
}

/// A stored file or rendition, sandboxed; like every per-user response it is not stored by the
/// browser (`no-store`, from `security_headers`), so a receipt does not outlive the session.
fn file_response(
    att: &crate::store::AttachmentRow,
    bytes: Vec<u8>,
    content_type: &str,
    inline: bool,
) -> HttpResponse {
    let safe_name: String = att
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .insert_header((
            "Content-Disposition",
            format!(
                "{}; filename=\"{safe_name}\"",
                if inline { "inline" } else { "attachment" }
            ),
        ))
        .body(bytes)
}

pub async fn file(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let (att, bytes) = state
        .engine
        .file_bytes(&signed.actor(), *path, None)
        .await?;
    let ct = att.content_type.clone();
    Ok(file_response(&att, bytes, &ct, true))
}

pub async fn file_derivative(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, kind) = path.into_inner();
    if !(kind == "thumb" || kind == "mcp" || kind.starts_with("page")) {
        return Err(WebError::NotFound("no such rendition".into()));
    }
    let (att, bytes) = state
        .engine
        .file_bytes(&signed.actor(), id, Some(&kind))
        .await?;
    Ok(file_response(&att, bytes, "image/jpeg", true))
}
