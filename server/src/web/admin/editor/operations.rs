//! Operations tab: list, add, edit (kind, inputs and their order, required inputs, from/to
//! states, fields that must be filled first, roles, row scope, "not own", cross-checks,
//! confirmation, who is told).
use super::views::{refused, role_names, ItemRow, ItemsPage};
use super::{message_for, refusal, saved_flash, Header, Posted, Problem};
use crate::engine::definition::{
    CrossCheck, DefinitionError, FieldType, OperationDef, OperationKind, Scope,
};
use crate::engine::field_rules::Section;
use crate::engine::notify::{NotifyTarget, NotifyTo};
use crate::engine::Draft;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use std::collections::HashMap;

const KINDS: &[(OperationKind, &str, &str)] = &[
    (OperationKind::Create, "create", "Create a record"),
    (OperationKind::Update, "update", "Update a record"),
    (
        OperationKind::Transition,
        "transition",
        "Move a record to another state",
    ),
    (OperationKind::Delete, "delete", "Delete a record"),
];

fn kind_key(k: OperationKind) -> &'static str {
    KINDS
        .iter()
        .find(|x| x.0 == k)
        .map(|x| x.1)
        .unwrap_or("update")
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
        .operations
        .iter()
        .map(|(n, o)| ItemRow {
            name: n.clone(),
            title: o.title.clone(),
            kind: kind_key(o.kind).into(),
            roles: o.roles.join(", "),
            mcp: o.mcp.enabled,
            edit_href: format!("/admin/apps/{slug}/operations/{n}/edit"),
            remove_href: format!("/admin/apps/{slug}/operations/{n}/remove"),
            integration_href: format!("/admin/apps/{slug}/operations/{n}"),
        })
        .collect();
    let refused = !problems.is_empty();
    super::respond(
        &ItemsPage {
            layout: Layout::new(format!("{} — Operations", d.def.name), &admin.0).with_flash(flash),
            h: Header::new(d, "operations"),
            problems,
            heading: "Operations",
            noun: "Operation",
            kind_heading: "Kind",
            items,
            kinds: KINDS.iter().map(|k| k.1).collect(),
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
    let kind = KINDS.iter().find(|k| k.1 == form.get("kind")).map(|k| k.0);
    let added = name.clone();
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            if title.is_empty() {
                return Err(refused("title", "give the operation a title"));
            }
            let kind = kind.ok_or_else(|| refused("kind", "choose a kind"))?;
            if def.operations.contains_key(&name) {
                return Err(refused("name", format!("there is already an operation `{name}`")));
            }
            let states: Vec<String> = def
                .state_field
                .as_ref()
                .and_then(|s| def.fields.get(s))
                .map(|f| f.options.clone())
                .unwrap_or_default();
            if kind == OperationKind::Transition && states.is_empty() {
                return Err(refused(
                    "kind",
                    "a transition moves between states: choose the app's state field (General) first",
                ));
            }
            let inputs = match kind {
                OperationKind::Create | OperationKind::Update => def
                    .fields
                    .iter()
                    .filter(|(n, f)| {
                        f.kind != FieldType::Computed && Some(*n) != def.state_field.as_ref()
                    })
                    .map(|(n, _)| n.clone())
                    .collect(),
                _ => vec![],
            };
            def.operations.insert(
                name.clone(),
                OperationDef {
                    title: title.clone(),
                    description: String::new(),
                    kind,
                    roles: role_names(def).into_iter().take(1).collect(),
                    scope: Scope::Own,
                    inputs,
                    required: vec![],
                    from: vec![],
                    to: (kind == OperationKind::Transition)
                        .then(|| states.last().cloned())
                        .flatten(),
                    requires: vec![],
                    not_own: false,
                    when: vec![],
                    show: vec![],
                    sections: vec![],
                    read_only: vec![],
                    verify: vec![],
                    cross_check: None,
                    notify: vec![],
                    mcp: Default::default(),
                },
            );
            Ok(())
        })
        .await;
    match result {
        Ok(d) => Ok(redirect(&format!(
            "/admin/apps/{}/operations/{added}/edit?saved=1",
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
            def.operations
                .shift_remove(&name)
                .map(|_| ())
                .ok_or_else(|| refused("operations", format!("no operation `{name}`")))
        })
        .await?;
    Ok(redirect(&format!("/admin/apps/{slug}/operations?saved=1")))
}

struct FieldRow {
    name: String,
    label: String,
    /// Whether the field can be an input (not computed, not the state field).
    inputable: bool,
    why_not: &'static str,
    pos: usize,
    required: bool,
    requires: bool,
    computed: bool,
    verify: bool,
}

#[derive(Template)]
#[template(path = "admin/editor/operation.html")]
struct OperationPage {
    layout: Layout,
    h: Header,
    problems: Vec<Problem>,
    name: String,
    kind: &'static str,
    kinds: Vec<(&'static str, &'static str)>,
    role_choices: Vec<(String, bool)>,
    scopes: Vec<(&'static str, &'static str, bool)>,
    /// Conditions (field, op, value) and the fields and comparisons they may use.
    conditions: Vec<(String, &'static str, String)>,
    condition_fields: Vec<(String, String)>,
    ops: Vec<(&'static str, &'static str)>,
    /// Fields shown read-only on the form: (name, label, ticked).
    show_choices: Vec<(String, String, bool)>,
    /// Fields read-only in the form: (name, label, ticked); the sections as text lines.
    read_only_choices: Vec<(String, String, bool)>,
    sections_text: String,
    field_rows: Vec<FieldRow>,
    has_states: bool,
    state_choices: Vec<(String, bool)>,
    to: String,
    file_fields: Vec<String>,
    text_fields: Vec<String>,
    cc_file: String,
    cc_into: String,
    confirm: bool,
    /// "Tell": the owner, roles (name, ticked) and user fields (name, label, ticked).
    notify_owner: bool,
    notify_roles: Vec<(String, bool)>,
    notify_fields: Vec<(String, String, bool)>,
    o: OperationDef,
}

impl OperationPage {
    fn err(&self, control: &str) -> String {
        message_for(&self.problems, control)
    }
}

fn op_page(
    admin: &Admin,
    d: &Draft,
    name: &str,
    o: OperationDef,
    problems: Vec<Problem>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let def = &d.def;
    let mut roles = role_names(def);
    for r in &o.roles {
        if !roles.contains(r) {
            roles.push(r.clone());
        }
    }
    let field_rows = o
        .inputs
        .iter()
        .filter(|n| def.fields.contains_key(*n))
        .cloned()
        .chain(def.fields.keys().filter(|n| !o.inputs.contains(n)).cloned())
        .filter_map(|n| {
            let f = def.fields.get(&n)?;
            let is_state = def.state_field.as_deref() == Some(n.as_str());
            Some(FieldRow {
                inputable: f.kind != FieldType::Computed && !is_state,
                why_not: if is_state {
                    "the state: changed by transitions"
                } else {
                    "computed"
                },
                pos: o
                    .inputs
                    .iter()
                    .position(|i| *i == n)
                    .map(|p| p + 1)
                    .unwrap_or(0),
                required: o.required.contains(&n),
                requires: o.requires.contains(&n),
                computed: f.kind == FieldType::Computed,
                verify: o.verify.contains(&n),
                label: f.label.clone(),
                name: n,
            })
        })
        .collect();
    let states: Vec<String> = def
        .state_field
        .as_ref()
        .and_then(|s| def.fields.get(s))
        .map(|f| f.options.clone())
        .unwrap_or_default();
    let of_kinds = |kinds: &[FieldType]| -> Vec<String> {
        def.fields
            .iter()
            .filter(|(_, f)| kinds.contains(&f.kind))
            .map(|(n, _)| n.clone())
            .collect()
    };
    let refused = !problems.is_empty();
    super::respond(
        &OperationPage {
            layout: Layout::new(format!("{} — operation {}", def.name, o.title), &admin.0)
                .with_flash(flash),
            h: Header::new(d, "operations"),
            problems,
            name: name.to_string(),
            kind: kind_key(o.kind),
            kinds: KINDS.iter().map(|k| (k.1, k.2)).collect(),
            role_choices: roles
                .iter()
                .map(|r| (r.clone(), o.roles.contains(r)))
                .collect(),
            scopes: super::workflow::scope_choices(o.scope),
            conditions: super::workflow::condition_rows(&o.when),
            condition_fields: super::workflow::condition_fields(def),
            ops: super::views::OPS.iter().map(|x| (x.1, x.2)).collect(),
            show_choices: def
                .fields
                .iter()
                .map(|(n, f)| (n.clone(), f.label.clone(), o.show.contains(n)))
                .collect(),
            read_only_choices: def
                .fields
                .iter()
                .map(|(n, f)| (n.clone(), f.label.clone(), o.read_only.contains(n)))
                .collect(),
            sections_text: o
                .sections
                .iter()
                .map(|s| format!("{}: {}", s.title, s.fields.join(", ")))
                .collect::<Vec<_>>()
                .join("\n"),
            field_rows,
            has_states: !states.is_empty(),
            state_choices: states
                .iter()
                .map(|s| (s.clone(), o.from.contains(s)))
                .collect(),
            to: o.to.clone().unwrap_or_default(),
            file_fields: of_kinds(&[FieldType::File]),
            text_fields: of_kinds(&[FieldType::Text, FieldType::LongText]),
            cc_file: o
                .cross_check
                .as_ref()
                .map(|c| c.file.clone())
                .unwrap_or_default(),
            cc_into: o
                .cross_check
                .as_ref()
                .map(|c| c.into.clone())
                .unwrap_or_default(),
            confirm: o.requires_confirmation(),
            notify_owner: o.notify.iter().any(|t| t.to == NotifyTo::Owner),
            notify_roles: notify_roles(&roles, &o),
            notify_fields: def
                .fields
                .iter()
                .filter(|(_, f)| f.kind == FieldType::User)
                .map(|(n, f)| {
                    let on = o.notify.iter().any(|t| t.field.as_ref() == Some(n));
                    (n.clone(), f.label.clone(), on)
                })
                .collect(),
            o,
        },
        refused,
        422,
    )
}

/// The roles to offer under "Tell": the app's roles, plus any the operation already names.
fn notify_roles(roles: &[String], o: &OperationDef) -> Vec<(String, bool)> {
    let named = |r: &String| o.notify.iter().any(|t| t.role.as_ref() == Some(r));
    let mut out: Vec<(String, bool)> = roles.iter().map(|r| (r.clone(), named(r))).collect();
    for t in &o.notify {
        if let Some(r) = t.role.as_ref().filter(|r| !roles.contains(r)) {
            out.push((r.clone(), true));
        }
    }
    out
}

/// The operation's `notify` list from the "Tell" checkboxes: owner, then roles, then fields.
fn notify_from(form: &Posted) -> Vec<NotifyTarget> {
    let owner = form.on("notify_owner").then(NotifyTarget::owner);
    owner
        .into_iter()
        .chain(
            form.all("notify_role")
                .iter()
                .map(|r| NotifyTarget::role(r)),
        )
        .chain(
            form.all("notify_field")
                .iter()
                .map(|f| NotifyTarget::field(f)),
        )
        .collect()
}

pub async fn form(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let (slug, name) = path.into_inner();
    let d = state.engine.editor_draft(&slug).await?;
    let o = d
        .def
        .operations
        .get(&name)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no operation `{name}` in the draft")))?;
    op_page(&admin, &d, &name, o, vec![], saved_flash(&q))
}

fn op_from(form: &Posted, before: &OperationDef) -> (OperationDef, Vec<DefinitionError>) {
    let mut errs = Vec::new();
    let mut o = before.clone();
    o.title = form.trimmed("title");
    o.description = form.trimmed("description");
    match KINDS.iter().find(|k| k.1 == form.get("kind")) {
        Some(k) => o.kind = k.0,
        None => errs.push(DefinitionError {
            path: "kind".into(),
            message: "choose a kind".into(),
        }),
    }
    o.roles = form.all("roles");
    o.scope = super::workflow::scope_from(form);
    o.not_own = form.on("not_own");
    o.when = super::workflow::conditions_from(form);
    o.show = form.all("show");
    // A form from before the layout controls existed keeps the operation's layout.
    if !form.get("layout_form").is_empty() {
        o.read_only = form.all("read_only");
        match sections_from(form.get("sections")) {
            Ok(s) => o.sections = s,
            Err(message) => errs.push(DefinitionError {
                path: "sections".into(),
                message,
            }),
        }
    }
    let mut inputs: Vec<(usize, usize, String)> = form
        .all("inputs")
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let pos = form
                .get(&format!("pos_{n}"))
                .trim()
                .parse::<usize>()
                .unwrap_or(1000 + i);
            (pos, i, n)
        })
        .collect();
    inputs.sort();
    o.inputs = inputs.into_iter().map(|(_, _, n)| n).collect();
    o.required = form.all("required");
    o.requires = form.all("requires");
    o.verify = form.all("verify");
    o.from = form.all("from");
    o.to = form.opt("to");
    o.cross_check = match (form.opt("cc_file"), form.opt("cc_into")) {
        (Some(file), Some(into)) => Some(CrossCheck { file, into }),
        (None, None) => None,
        _ => {
            errs.push(DefinitionError {
                path: "cross_check".into(),
                message: "choose both the file field and the field that receives the differences"
                    .into(),
            });
            before.cross_check.clone()
        }
    };
    o.notify = notify_from(form);
    let confirm = form.on("require_confirmation");
    o.mcp.require_confirmation = (confirm != (o.kind == OperationKind::Delete)).then_some(confirm);
    if o.title.is_empty() {
        errs.push(DefinitionError {
            path: "title".into(),
            message: "give the operation a title".into(),
        });
    }
    (o, errs)
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
        .operations
        .get(&name)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("no operation `{name}` in the draft")))?;
    let (o, form_errs) = op_from(&form, &before);
    let prefix = format!("operations.{name}");
    let result = super::save_item(&state, &slug, &prefix, form_errs, |def, _, _| {
        def.operations.insert(name.clone(), o.clone());
        Ok(())
    })
    .await;
    match result {
        Ok(()) => Ok(redirect(&format!(
            "/admin/apps/{slug}/operations/{name}/edit?saved=1"
        ))),
        Err(e) => {
            let problems = refusal(e, &prefix)?;
            op_page(&admin, &d, &name, o, problems, None)
        }
    }
}

/// Sections from the editor's text, one a line: `Title: field, field`.
fn sections_from(text: &str) -> Result<Vec<Section>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (title, fields) = line
                .split_once(':')
                .ok_or_else(|| format!("`{line}`: write a title, a colon, then the fields"))?;
            Ok(Section {
                title: title.trim().to_string(),
                fields: fields
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(String::from)
                    .collect(),
            })
        })
        .collect()
}
