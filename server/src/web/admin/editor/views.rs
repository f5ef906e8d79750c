//! Views tab: list, add, edit (columns, sort, fixed filters, parameters, row scope, roles,
//! records per page) with a preview of the first page as a chosen role, against real records.
use super::{message_for, refusal, saved_flash, Header, Posted, Problem};
use crate::engine::definition::{
    AppDef, DefinitionError, FilterOp, FixedFilter, ParamDef, Scope, SummaryDef, ViewDef,
};
use crate::engine::{Actor, Draft, EngineError, PublishedApp, Surface, ViewRequest};
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;

pub const OPS: &[(FilterOp, &str, &str)] = &[
    (FilterOp::Eq, "eq", "equals"),
    (FilterOp::Ne, "ne", "differs from"),
    (FilterOp::Gt, "gt", "greater than / after"),
    (FilterOp::Gte, "gte", "at least / on or after"),
    (FilterOp::Lt, "lt", "less than / before"),
    (FilterOp::Lte, "lte", "at most / on or before"),
    (FilterOp::Contains, "contains", "contains (text)"),
];

fn op_key(op: FilterOp) -> &'static str {
    OPS.iter().find(|o| o.0 == op).map(|o| o.1).unwrap_or("eq")
}

fn op_of(key: &str) -> FilterOp {
    OPS.iter()
        .find(|o| o.1 == key)
        .map(|o| o.0)
        .unwrap_or(FilterOp::Eq)
}

/// One row of the Views or Operations list.
pub struct ItemRow {
    pub name: String,
    pub title: String,
    pub kind: String,
    pub roles: String,
    pub mcp: bool,
    pub edit_href: String,
    pub remove_href: String,
    pub integration_href: String,
}

#[derive(Template)]
#[template(path = "admin/editor/items.html")]
pub struct ItemsPage {
    pub layout: Layout,
    pub h: Header,
    pub problems: Vec<Problem>,
    pub heading: &'static str,
    pub noun: &'static str,
    pub kind_heading: &'static str,
    pub items: Vec<ItemRow>,
    pub kinds: Vec<&'static str>,
}

impl ItemsPage {
    fn err(&self, control: &str) -> String {
        message_for(&self.problems, control)
    }
}

fn list_page(
    admin: &Admin,
    d: &Draft,
    problems: Vec<Problem>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let slug = &d.row.slug;
    let items = d
        .def
        .views
        .iter()
        .map(|(n, v)| ItemRow {
            name: n.clone(),
            title: v.title.clone(),
            kind: v.scope.label().into(),
            roles: v.roles.join(", "),
            mcp: v.mcp.enabled,
            edit_href: format!("/admin/apps/{slug}/views/{n}/edit"),
            remove_href: format!("/admin/apps/{slug}/views/{n}/remove"),
            integration_href: format!("/admin/apps/{slug}/views/{n}"),
        })
        .collect();
    let refused = !problems.is_empty();
    super::respond(
        &ItemsPage {
            layout: Layout::new(format!("{} — Views", d.def.name), &admin.0).with_flash(flash),
            h: Header::new(d, "views"),
            problems,
            heading: "Views",
            noun: "View",
            kind_heading: "Rows",
            items,
            kinds: vec![],
        },
        refused,
        422,
    )
}

pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let d = state.engine.editor_draft(&path).await?;
    list_page(&admin, &d, vec![], saved_flash(&q))
}

pub fn refused(path: &str, message: impl Into<String>) -> EngineError {
    EngineError::Definition(vec![DefinitionError {
        path: path.into(),
        message: message.into(),
    }])
}

/// Roles offered in the form: the app's declared roles, or those already used.
pub fn role_names(def: &AppDef) -> Vec<String> {
    if def.roles.is_empty() {
        def.used_roles()
    } else {
        def.roles.clone()
    }
}

pub async fn add(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let slug = path.into_inner();
    let title = form.trimmed("title");
    let name = form
        .opt("name")
        .unwrap_or_else(|| crate::engine::slug_from(&title));
    let added = name.clone();
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            if title.is_empty() {
                return Err(refused("title", "give the view a title"));
            }
            if def.views.contains_key(&name) {
                return Err(refused("name", format!("there is already a view `{name}`")));
            }
            let columns: Vec<String> = def
                .title_field
                .iter()
                .chain(def.fields.keys())
                .take(1)
                .cloned()
                .collect();
            let roles = role_names(def).into_iter().take(1).collect();
            def.views.insert(
                name.clone(),
                ViewDef {
                    title: title.clone(),
                    description: String::new(),
                    roles,
                    scope: Scope::Own,
                    columns,
                    sort: vec![],
                    filters: vec![],
                    parameters: Default::default(),
                    per_page: 25,
                    summaries: Default::default(),
                    bulk: vec![],
                    mcp: Default::default(),
                },
            );
            Ok(())
        })
        .await;
    match result {
        Ok(d) => Ok(redirect(&format!(
            "/admin/apps/{}/views/{added}/edit?saved=1",
            d.row.slug
        ))),
        Err(e) => {
            let problems = refusal(e, "")?;
            let d = state.engine.editor_draft(&slug).await?;
            list_page(&admin, &d, problems, None)
        }
    }
}

pub async fn remove(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, name) = path.into_inner();
    state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            def.views
                .shift_remove(&name)
                .map(|_| ())
                .ok_or_else(|| refused("views", format!("no view `{name}`")))
        })
        .await?;
    Ok(redirect(&format!("/admin/apps/{slug}/views?saved=1")))
}

struct Preview {
    note: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "admin/editor/view.html")]
struct ViewPage {
    layout: Layout,
    h: Header,
    problems: Vec<Problem>,
    name: String,
    v: ViewDef,
    role_choices: Vec<(String, bool)>,
    scopes: Vec<(&'static str, &'static str, bool)>,
    /// Operations offered on chosen rows: (name, title, ticked).
    bulk_choices: Vec<(String, String, bool)>,
    /// (field, label, position or 0 when not a column)
    column_choices: Vec<(String, String, usize)>,
    /// What filters and parameters may name: the columns' fields, then the columns of line
    /// items ("Items · Category": has a line whose category equals).
    filter_choices: Vec<(String, String)>,
    sort: String,
    filters: Vec<(String, String, String)>,
    params: Vec<(String, String, String, String, bool)>,
    ops: Vec<(&'static str, &'static str)>,
    preview_role: String,
    preview_user: String,
    preview: Option<Preview>,
    summaries: Vec<SummaryRow>,
    numeric_fields: Vec<(String, String)>,
    aggregates: Vec<&'static str>,
    buckets: Vec<&'static str>,
    charts: Vec<&'static str>,
}

/// A summary as the form shows it (one blank row more to add one).
#[derive(Default)]
struct SummaryRow {
    name: String,
    title: String,
    aggregate: String,
    field: String,
    group1: String,
    group2: String,
    bucket: String,
    chart: String,
}

fn key<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn of_key<T: serde::de::DeserializeOwned>(k: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(k.to_string())).ok()
}

impl ViewPage {
    fn err(&self, control: &str) -> String {
        message_for(&self.problems, control)
    }
}

#[allow(clippy::too_many_arguments)]
fn view_page(
    admin: &Admin,
    d: &Draft,
    name: &str,
    v: ViewDef,
    problems: Vec<Problem>,
    flash: Option<String>,
    preview_role: String,
    preview_user: String,
    preview: Option<Preview>,
    looked_up: Vec<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let mut roles = role_names(&d.def);
    for r in &v.roles {
        if !roles.contains(r) {
            roles.push(r.clone());
        }
    }
    let mut filters: Vec<(String, String, String)> = v
        .filters
        .iter()
        .map(|f| (f.field.clone(), op_key(f.op).into(), f.value.clone()))
        .collect();
    filters.push(Default::default());
    let mut params: Vec<(String, String, String, String, bool)> = v
        .parameters
        .iter()
        .map(|(n, p)| {
            (
                n.clone(),
                p.field.clone(),
                op_key(p.op).into(),
                p.label.clone().unwrap_or_default(),
                p.required,
            )
        })
        .collect();
    params.push((
        String::new(),
        String::new(),
        "eq".into(),
        String::new(),
        false,
    ));
    // The app's own fields, then the fields of the records its lookups refer to.
    let all: Vec<(String, String)> = d
        .def
        .fields
        .iter()
        .map(|(n, f)| (n.clone(), f.label.clone()))
        .chain(looked_up)
        .collect();
    let filter_choices: Vec<(String, String)> =
        all.iter().cloned().chain(line_choices(&d.def)).collect();
    let column_choices = v
        .columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            all.iter()
                .find(|(n, _)| n == c)
                .map(|(n, l)| (n.clone(), l.clone(), i + 1))
        })
        .chain(
            all.iter()
                .filter(|(n, _)| !v.columns.contains(n))
                .map(|(n, l)| (n.clone(), l.clone(), 0)),
        )
        .collect();
    let mut summaries: Vec<SummaryRow> = v
        .summaries
        .iter()
        .map(|(n, m)| SummaryRow {
            name: n.clone(),
            title: m.title.clone(),
            aggregate: key(&m.aggregate),
            field: m.field.clone().unwrap_or_default(),
            group1: m.group_by.first().cloned().unwrap_or_default(),
            group2: m.group_by.get(1).cloned().unwrap_or_default(),
            bucket: m.bucket.as_ref().map(key).unwrap_or_default(),
            chart: key(&m.chart),
        })
        .collect();
    summaries.push(SummaryRow {
        aggregate: "sum".into(),
        chart: "bar".into(),
        ..Default::default()
    });
    let numeric_fields = d
        .def
        .fields
        .iter()
        .filter(|(_, f)| f.kind.is_numeric())
        .map(|(n, f)| (n.clone(), f.label.clone()))
        .collect();
    let refused = !problems.is_empty();
    super::respond(
        &ViewPage {
            layout: Layout::new(format!("{} — view {}", d.def.name, v.title), &admin.0)
                .with_flash(flash),
            h: Header::new(d, "views"),
            problems,
            name: name.to_string(),
            role_choices: roles
                .iter()
                .map(|r| (r.clone(), v.roles.contains(r)))
                .collect(),
            scopes: super::workflow::scope_choices(v.scope),
            bulk_choices: super::workflow::bulk_choices(&d.def, &v.bulk),
            column_choices,
            filter_choices,
            sort: v.sort.join(", "),
            filters,
            params,
            ops: OPS.iter().map(|o| (o.1, o.2)).collect(),
            preview_role,
            preview_user,
            preview,
            summaries,
            numeric_fields,
            aggregates: vec!["count", "sum", "avg", "min", "max"],
            buckets: vec!["day", "week", "month", "quarter", "year"],
            charts: vec!["bar", "line", "none"],
            v,
        },
        refused,
        422,
    )
}

/// The first page of the draft's view as someone with `role` (and `user`'s own records).
async fn run_preview(
    state: &AppState,
    d: &Draft,
    name: &str,
    role: &str,
    user: &crate::store::UserRow,
) -> Preview {
    let mut app = PublishedApp::new(d.row.id, 0, d.def.clone());
    app.paths = state
        .engine
        .resolve_lookup_paths(&d.def, d.row.id)
        .await
        .unwrap_or_default();
    let app = Arc::new(app);
    let actor = Actor {
        user_id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        roles: vec![role.to_string()],
        surface: Surface::Web,
        client_name: None,
    };
    let columns: Vec<String> = d.def.views[name]
        .columns
        .iter()
        .map(|c| app.column_label(c))
        .collect();
    let renamed = if d.changes.renames.is_empty() {
        ""
    } else {
        " Renamed fields show their stored values once the app is published."
    };
    let run = async {
        let page = state
            .engine
            .run_view_in(app, &actor, name, &ViewRequest::default())
            .await?;
        let titles = state
            .engine
            .lookup_titles(&actor, &d.def, page.rows.iter().map(|r| &r.data))
            .await?;
        Ok::<_, crate::engine::EngineError>((page, titles))
    };
    match run.await {
        Ok((page, titles)) => Preview {
            note: format!(
                "As {} with the role {role}: {}{} record(s), showing {}.{renamed}",
                user.username,
                page.total,
                if page.total_exact { "" } else { "+" },
                page.rows.len()
            ),
            columns,
            rows: page
                .rows
                .iter()
                .map(|r| {
                    d.def.views[name]
                        .columns
                        .iter()
                        .map(|c| {
                            titles.shown(&d.def, c, &r.data).unwrap_or_else(|| {
                                crate::engine::value::display_value(&d.def, c, &r.data)
                            })
                        })
                        .collect()
                })
                .collect(),
        },
        Err(e) => Preview {
            note: format!("The preview failed: {e}"),
            columns,
            rows: vec![],
        },
    }
}

pub async fn form(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, name) = path.into_inner();
    let d = state.engine.editor_draft(&slug).await?;
    let v = d
        .def
        .views
        .get(&name)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no view `{name}` in the draft")))?;
    let role = q
        .get("as")
        .cloned()
        .or_else(|| v.roles.first().cloned())
        .unwrap_or_default();
    let username = q
        .get("user")
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| admin.0.user.username.clone());
    let preview = if q.contains_key("as") {
        match state.engine.store().user_by_name(&username).await? {
            Some(user) => Some(run_preview(&state, &d, &name, &role, &user).await),
            None => Some(Preview {
                note: format!("There is no user `{username}`."),
                columns: vec![],
                rows: vec![],
            }),
        }
    } else {
        None
    };
    let looked_up = looked_up_choices(&state, &d).await?;
    view_page(
        &admin,
        &d,
        &name,
        v,
        vec![],
        saved_flash(&q),
        role,
        username,
        preview,
        looked_up,
    )
}

/// The fields a view may show or filter on through the draft's lookups ("Project · Cost
/// centre"): each stored field of the published app a lookup field refers to.
async fn looked_up_choices(state: &AppState, d: &Draft) -> Result<Vec<(String, String)>, WebError> {
    let mut out = Vec::new();
    for (ln, lf) in d
        .def
        .fields
        .iter()
        .filter(|(_, f)| f.kind == crate::engine::definition::FieldType::Lookup)
    {
        let Some(slug) = lf.app.as_deref() else {
            continue;
        };
        let published = state.engine.catalog().app(slug).await?;
        let target = if slug == d.def.slug {
            &d.def
        } else {
            match &published {
                Some(t) => &t.def,
                None => continue,
            }
        };
        for (tn, tf) in &target.fields {
            use crate::engine::definition::FieldType as T;
            if matches!(tf.kind, T::Lookup | T::File | T::Photo) {
                continue;
            }
            out.push((format!("{ln}.{tn}"), format!("{} · {}", lf.label, tf.label)));
        }
    }
    Ok(out)
}

/// The columns of the draft's line items that filters and parameters may name.
fn line_choices(def: &crate::engine::definition::AppDef) -> Vec<(String, String)> {
    use crate::engine::definition::FieldType;
    use crate::engine::line_filters::FILTER_TYPES;
    def.fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Lines)
        .flat_map(|(ln, lf)| {
            lf.columns
                .iter()
                .filter(|(_, c)| FILTER_TYPES.contains(&c.kind))
                .map(move |(cn, c)| (format!("{ln}.{cn}"), format!("{} · {}", lf.label, c.label)))
        })
        .collect()
}

/// The view as the form describes it.
fn view_from(form: &Posted, before: &ViewDef) -> (ViewDef, Vec<DefinitionError>) {
    let mut errs = Vec::new();
    let mut v = before.clone();
    v.title = form.trimmed("title");
    v.description = form.trimmed("description");
    v.roles = form.all("roles");
    v.scope = super::workflow::scope_from(form);
    v.bulk = form.all("bulk");
    let mut cols: Vec<(usize, usize, String)> = form
        .all("columns")
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let pos = form
                .get(&format!("pos_{c}"))
                .trim()
                .parse::<usize>()
                .unwrap_or(1000 + i);
            (pos, i, c)
        })
        .collect();
    cols.sort();
    v.columns = cols.into_iter().map(|(_, _, c)| c).collect();
    v.sort = form.list("sort");
    let fields = form.column("filter_field");
    let ops = form.column("filter_op");
    let values = form.column("filter_value");
    v.filters = fields
        .zip(ops)
        .zip(values)
        .filter(|((f, _), _)| !f.is_empty())
        .map(|((f, o), val)| FixedFilter {
            field: f.into(),
            op: op_of(o),
            value: val.into(),
        })
        .collect();
    let col = |k: &'static str| form.column(k).map(String::from);
    v.parameters = Default::default();
    for ((((n, f), o), l), r) in col("param_name")
        .zip(col("param_field"))
        .zip(col("param_op"))
        .zip(col("param_label"))
        .zip(col("param_required"))
    {
        if n.is_empty() && f.is_empty() {
            continue;
        }
        let name = if n.is_empty() { f.clone() } else { n };
        if v.parameters.contains_key(&name) {
            errs.push(DefinitionError {
                path: format!("parameters.{name}"),
                message: format!("two parameters are named `{name}`"),
            });
        }
        v.parameters.insert(
            name,
            ParamDef {
                field: f,
                op: op_of(&o),
                label: Some(l).filter(|l| !l.is_empty()),
                required: r == "yes",
            },
        );
    }
    v.summaries = Default::default();
    for (((((((n, t), a), f), g1), g2), b), c) in col("sum_name")
        .zip(col("sum_title"))
        .zip(col("sum_aggregate"))
        .zip(col("sum_field"))
        .zip(col("sum_group1"))
        .zip(col("sum_group2"))
        .zip(col("sum_bucket"))
        .zip(col("sum_chart"))
    {
        if n.is_empty() && t.is_empty() {
            continue;
        }
        let name = if n.is_empty() {
            crate::engine::slug_from(&t)
        } else {
            n
        };
        let Some(aggregate) = of_key(&a) else {
            errs.push(DefinitionError {
                path: format!("summaries.{name}.aggregate"),
                message: "choose what to compute".into(),
            });
            continue;
        };
        v.summaries.insert(
            name.clone(),
            SummaryDef {
                title: if t.is_empty() { name } else { t },
                aggregate,
                field: Some(f).filter(|f| !f.is_empty()),
                group_by: [g1, g2].into_iter().filter(|g| !g.is_empty()).collect(),
                bucket: of_key(&b),
                chart: of_key(&c).unwrap_or_default(),
            },
        );
    }
    match form.trimmed("per_page").parse::<u32>() {
        Ok(n) => v.per_page = n,
        Err(_) => errs.push(DefinitionError {
            path: "per_page".into(),
            message: "records per page must be a whole number from 1 to 500".into(),
        }),
    }
    if v.title.is_empty() {
        errs.push(DefinitionError {
            path: "title".into(),
            message: "give the view a title".into(),
        });
    }
    (v, errs)
}

pub async fn save(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let (slug, name) = path.into_inner();
    let d = state.engine.editor_draft(&slug).await?;
    let before = d
        .def
        .views
        .get(&name)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no view `{name}` in the draft")))?;
    let (v, form_errs) = view_from(&form, &before);
    let prefix = format!("views.{name}");
    let result = super::save_item(&state, &slug, &prefix, form_errs, |def, _, _| {
        def.views.insert(name.clone(), v.clone());
        Ok(())
    })
    .await;
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/apps/{slug}/views/{name}/edit?saved=1"
        ))),
        Err(e) => {
            let problems = refusal(e, &prefix)?;
            let role = v.roles.first().cloned().unwrap_or_default();
            let user = admin.0.user.username.clone();
            let looked_up = looked_up_choices(&state, &d).await?;
            view_page(
                &admin, &d, &name, v, problems, None, role, user, None, looked_up,
            )
        }
    }
}
