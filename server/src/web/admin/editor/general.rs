//! General tab (name, slug, description, title/owner/state fields, roles) and "New app".
use super::{message_for, refusal, saved_flash, Header, Posted, Problem};
use crate::engine::definition::{AppDef, FieldType};
use crate::engine::Draft;
use crate::web::layout::Layout;
use crate::web::session::Admin;
use crate::web::{redirect, AppState, WebError};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::Utc;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "admin/editor/general.html")]
struct GeneralPage {
    layout: Layout,
    h: Header,
    problems: Vec<Problem>,
    name: String,
    slug: String,
    slug_locked: bool,
    description: String,
    title_field: String,
    owner_field: String,
    state_field: String,
    roles: String,
    fields: Vec<(String, String)>,
    user_fields: Vec<(String, String)>,
    choice_fields: Vec<(String, String)>,
    field_count: usize,
    view_count: usize,
    operation_count: usize,
    record_count: u64,
}

impl GeneralPage {
    fn err(&self, control: &str) -> String {
        message_for(&self.problems, control)
    }
}

fn fields_of(def: &AppDef, kind: Option<FieldType>) -> Vec<(String, String)> {
    def.fields
        .iter()
        .filter(|(_, f)| kind.is_none_or(|k| f.kind == k))
        .map(|(n, f)| (n.clone(), f.label.clone()))
        .collect()
}

async fn page(
    state: &AppState,
    admin: &Admin,
    d: &Draft,
    shown: &AppDef,
    problems: Vec<Problem>,
    flash: Option<String>,
) -> Result<HttpResponse, WebError> {
    let record_count = state.engine.store().count_records(d.row.id).await?;
    let refused = !problems.is_empty();
    super::respond(
        &GeneralPage {
            layout: Layout::new(format!("{} — General", d.def.name), &admin.0).with_flash(flash),
            h: Header::new(d, "general"),
            problems,
            name: shown.name.clone(),
            slug: shown.slug.clone(),
            slug_locked: d.row.published_version.is_some(),
            description: shown.description.clone(),
            title_field: shown.title_field.clone().unwrap_or_default(),
            owner_field: shown.owner_field.clone().unwrap_or_default(),
            state_field: shown.state_field.clone().unwrap_or_default(),
            roles: shown.roles.join("\n"),
            fields: fields_of(&d.def, None),
            user_fields: fields_of(&d.def, Some(FieldType::User)),
            choice_fields: fields_of(&d.def, Some(FieldType::Choice)),
            field_count: d.def.fields.len(),
            view_count: d.def.views.len(),
            operation_count: d.def.operations.len(),
            record_count,
        },
        refused,
        422,
    )
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    q: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, WebError> {
    let d = state.engine.editor_draft(&path).await?;
    let shown = d.def.clone();
    page(&state, &admin, &d, &shown, vec![], saved_flash(&q)).await
}

/// The General settings from the form, over the current draft.
fn apply_general(def: &mut AppDef, form: &Posted) {
    def.name = form.trimmed("name");
    def.slug = form.trimmed("slug");
    def.description = form.trimmed("description");
    def.title_field = form.opt("title_field");
    def.owner_field = form.opt("owner_field");
    def.state_field = form.opt("state_field");
    def.roles = form.lines("roles");
}

pub async fn save(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let slug = path.into_inner();
    let result = state
        .engine
        .edit_draft(&slug, Utc::now(), |def, _, _| {
            apply_general(def, &form);
            if def.name.is_empty() {
                return Err(crate::engine::EngineError::Definition(vec![
                    crate::engine::definition::DefinitionError {
                        path: "name".into(),
                        message: "give the app a name".into(),
                    },
                ]));
            }
            Ok(())
        })
        .await;
    match result {
        Ok(d) => Ok(redirect(&format!("/admin/apps/{}?saved=1", d.row.slug))),
        Err(e) => {
            let problems = refusal(e, "")?;
            let d = state.engine.editor_draft(&slug).await?;
            let mut shown = d.def.clone();
            apply_general(&mut shown, &form);
            page(&state, &admin, &d, &shown, problems, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/editor/new.html")]
struct NewPage {
    layout: Layout,
    problems: Vec<Problem>,
    name: String,
    slug: String,
    description: String,
    template: String,
    /// (key, name, description) of each sample app.
    templates: Vec<(String, String, String)>,
}

impl NewPage {
    fn err(&self, control: &str) -> String {
        message_for(&self.problems, control)
    }
}

/// The sample apps offered as templates, keyed by their slug, with their definition text.
fn samples() -> Vec<(String, AppDef, &'static str)> {
    crate::demo::SAMPLE_APPS
        .iter()
        .filter_map(|text| AppDef::parse(text).ok().map(|d| (d.slug.clone(), d, *text)))
        .collect()
}

fn new_page(
    admin: &Admin,
    form: Option<&Posted>,
    problems: Vec<Problem>,
) -> Result<HttpResponse, WebError> {
    let get = |k: &str| form.map(|f| f.trimmed(k)).unwrap_or_default();
    let refused = !problems.is_empty();
    super::respond(
        &NewPage {
            layout: Layout::new("New app", &admin.0),
            problems,
            name: get("name"),
            slug: get("slug"),
            description: get("description"),
            template: get("template"),
            templates: samples()
                .into_iter()
                .map(|(k, d, _)| (k, d.name, d.description))
                .collect(),
        },
        refused,
        422,
    )
}

pub async fn new_form(admin: Admin) -> Result<HttpResponse, WebError> {
    new_page(&admin, None, vec![])
}

pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let form = Posted(form.into_inner());
    admin.0.check_csrf(form.get("csrf"))?;
    let template = form.trimmed("template");
    let text = if template.is_empty() {
        None
    } else {
        let found = samples().into_iter().find(|(k, _, _)| *k == template);
        Some(
            found
                .ok_or_else(|| WebError::BadRequest(format!("no sample app `{template}`")))?
                .2,
        )
    };
    match state
        .engine
        .create_app(
            &form.trimmed("name"),
            &form.trimmed("slug"),
            &form.trimmed("description"),
            text,
            Utc::now(),
        )
        .await
    {
        Ok(slug) => Ok(redirect(&format!("/admin/apps/{slug}/fields?saved=1"))),
        Err(e) => new_page(&admin, Some(&form), refusal(e, "")?),
    }
}
