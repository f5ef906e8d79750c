//! Bulk decisions on a view page: a checkbox per row, the view's `bulk` operations as buttons with
//! their inputs (a comment), and a result page that lists what was applied and what was not.
use super::amounts::display_value;
use super::layout::Layout;
use super::wording::{self, Names};
use super::{render, AppState, Signed, WebError};
use crate::engine::bulk::BulkItem;
use crate::engine::definition::{AppDef, FieldType, ViewDef};
use crate::engine::{Actor, EngineError, Raw};
use actix_web::{web, HttpResponse};
use askama::Template;
use std::collections::BTreeMap;

/// One input a bulk operation takes (text only: files are never bulk inputs).
pub struct BulkInput {
    pub name: String,
    pub label: String,
    pub long: bool,
    /// Which operations take it (e.g. "needed for Reject").
    pub note: String,
}

/// The bulk controls of a view page, when the person may run one of its bulk operations.
pub struct BulkForm {
    pub action: String,
    /// (operation name, button text).
    pub ops: Vec<(String, String)>,
    pub inputs: Vec<BulkInput>,
}

/// The controls for `view` as `actor` may use them; `None` when no bulk operation is theirs.
pub fn bulk_form(def: &AppDef, view_name: &str, view: &ViewDef, actor: &Actor) -> Option<BulkForm> {
    let ops: Vec<(String, String)> = view
        .bulk
        .iter()
        .filter_map(|n| {
            let o = def.operations.get(n)?;
            actor
                .has_any(&o.roles)
                .then(|| (n.clone(), o.title.clone()))
        })
        .collect();
    if ops.is_empty() {
        return None;
    }
    let mut inputs: Vec<BulkInput> = Vec::new();
    for (n, _) in &ops {
        let o = &def.operations[n.as_str()];
        for i in &o.inputs {
            let Some(f) = def.fields.get(i) else { continue };
            if f.kind.is_file() || inputs.iter().any(|b| &b.name == i) {
                continue;
            }
            let needed: Vec<&str> = ops
                .iter()
                .filter_map(|(m, _)| {
                    let om = &def.operations[m.as_str()];
                    om.required.contains(i).then_some(om.title.as_str())
                })
                .collect();
            inputs.push(BulkInput {
                name: i.clone(),
                label: f.label.clone(),
                long: f.kind == FieldType::LongText,
                note: if needed.is_empty() {
                    "Optional; given to every chosen record.".into()
                } else {
                    format!(
                        "Needed for {}; given to every chosen record.",
                        needed.join(" and ")
                    )
                },
            });
        }
    }
    Some(BulkForm {
        action: format!("/apps/{}/views/{view_name}/bulk", def.slug),
        ops,
        inputs,
    })
}

struct ResultRow {
    href: String,
    title: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "bulk_result.html")]
struct BulkResultPage {
    layout: Layout,
    app_slug: String,
    app_name: String,
    view_href: String,
    view_title: String,
    op_title: String,
    applied: Vec<ResultRow>,
    failed: Vec<ResultRow>,
    error: Option<String>,
}

/// `POST /apps/{app}/views/{view}/bulk`: `pick` = `id:version` per chosen row, `_op` = the
/// operation, and the operation's inputs.
pub async fn run(
    state: web::Data<AppState>,
    signed: Signed,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let (slug, view_name) = path.into_inner();
    let form = form.into_inner();
    let field = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    signed.check_csrf(field("csrf"))?;
    let actor = signed.actor();
    let app = state.engine.view_for(&actor, &slug, &view_name).await?;
    let def = &app.def;
    let view = &def.views[view_name.as_str()];
    let op_name = field("_op").to_string();
    let op = def
        .operations
        .get(&op_name)
        .filter(|_| view.bulk.contains(&op_name))
        .ok_or_else(|| WebError::NotFound(format!("no bulk operation `{op_name}` here")))?;
    let mut items = Vec::new();
    for (_, v) in form.iter().filter(|(n, _)| n == "pick") {
        let (id, version) = v.split_once(':').unwrap_or((v.as_str(), ""));
        let Ok(record_id) = id.trim().parse::<i64>() else {
            return Err(WebError::BadRequest("a chosen row is not a record".into()));
        };
        items.push(BulkItem {
            record_id,
            expected_version: version.trim().parse().ok(),
        });
    }
    let inputs: BTreeMap<String, Raw> = op
        .inputs
        .iter()
        .filter_map(|i| {
            let v = field(i).trim();
            (!v.is_empty()).then(|| (i.clone(), Raw::Text(v.to_string())))
        })
        .collect();
    let names = Names::of(def, Some(view));
    let say = |e: &EngineError| match e {
        EngineError::Invalid(errs) => errs
            .iter()
            .map(|fe| wording::field_error(&names, fe))
            .collect::<Vec<_>>()
            .join(" "),
        other => wording::sentence(&wording::plain(&names, &other.to_string())),
    };
    let view_href = format!("/apps/{slug}/views/{view_name}");
    let mut page = BulkResultPage {
        layout: Layout::new(format!("{} — {}", op.title, view.title), &signed),
        app_slug: slug.clone(),
        app_name: def.name.clone(),
        view_href: view_href.clone(),
        view_title: view.title.clone(),
        op_title: op.title.clone(),
        applied: vec![],
        failed: vec![],
        error: None,
    };
    let outcome = match state
        .engine
        .run_bulk(&actor, &slug, &view_name, &op_name, &items, &inputs)
        .await
    {
        Ok(o) => o,
        Err(e @ (EngineError::Invalid(_) | EngineError::Precondition(_))) => {
            page.error = Some(say(&e));
            let mut resp = render(&page)?;
            *resp.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(resp);
        }
        Err(e) => return Err(e.into()),
    };
    let title_of = |id: i64, data: Option<&serde_json::Value>| {
        data.and_then(|d| def.title_field.as_ref().map(|t| display_value(def, t, d)))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| format!("Record {id}"))
    };
    for (id, _) in &outcome.applied {
        let data = state
            .engine
            .store()
            .record(app.id, *id)
            .await
            .ok()
            .flatten();
        page.applied.push(ResultRow {
            href: format!("/apps/{slug}/records/{id}"),
            title: title_of(*id, data.as_ref().map(|r| &r.data)),
            reason: String::new(),
        });
    }
    for (id, e) in &outcome.failed {
        // Only records the person may read are named; others by id alone.
        let data = match state.engine.record(&actor, &slug, *id).await {
            Ok(a) => Some(a.record.data),
            Err(_) => None,
        };
        page.failed.push(ResultRow {
            href: format!("/apps/{slug}/records/{id}"),
            title: title_of(*id, data.as_ref()),
            reason: say(e),
        });
    }
    let n = page.applied.len();
    let flash = match n {
        0 => None,
        1 => Some(format!("{} applied to 1 record.", op.title)),
        _ => Some(format!("{} applied to {n} records.", op.title)),
    };
    page.layout = page.layout.with_flash(flash);
    render(&page)
}
