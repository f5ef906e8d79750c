//! The App Editor: administrators create apps and change their drafts in the browser — General,
//! Fields (with a lines field's columns), Views, Operations, Versions — through the engine's `edit_draft`, which applies the
//! same validation as an imported file and checks edits against stored records. Errors come
//! back with their definition path and are shown beside the control that caused them.
mod columns;
mod fields;
mod general;
mod operations;
mod versions;
mod views;
mod workflow;

use crate::engine::definition::{AppDef, DefinitionError};
use crate::engine::evolution::DraftChanges;
use crate::engine::{Draft, EngineError};
use crate::web::{render, AppState, WebError};
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/apps/new", web::get().to(general::new_form))
        .route("/admin/apps/new", web::post().to(general::create))
        .route("/admin/apps/{app}", web::get().to(general::show))
        .route("/admin/apps/{app}/general", web::post().to(general::save))
        .route("/admin/apps/{app}/fields", web::get().to(fields::list))
        .route("/admin/apps/{app}/fields", web::post().to(fields::add))
        .route(
            "/admin/apps/{app}/fields/{field}",
            web::get().to(fields::form),
        )
        .route(
            "/admin/apps/{app}/fields/{field}",
            web::post().to(fields::save),
        )
        .route(
            "/admin/apps/{app}/fields/{field}/move",
            web::post().to(fields::reorder),
        )
        .route(
            "/admin/apps/{app}/fields/{field}/remove",
            web::post().to(fields::remove),
        )
        .route(
            "/admin/apps/{app}/fields/{field}/columns",
            web::post().to(columns::add),
        )
        .route(
            "/admin/apps/{app}/fields/{field}/columns/{column}",
            web::get().to(columns::form),
        )
        .route(
            "/admin/apps/{app}/fields/{field}/columns/{column}",
            web::post().to(columns::save),
        )
        .route(
            "/admin/apps/{app}/fields/{field}/columns/{column}/move",
            web::post().to(columns::reorder),
        )
        .route(
            "/admin/apps/{app}/fields/{field}/columns/{column}/remove",
            web::post().to(columns::remove),
        )
        .route("/admin/apps/{app}/views", web::get().to(views::list))
        .route("/admin/apps/{app}/views", web::post().to(views::add))
        .route(
            "/admin/apps/{app}/views/{view}/edit",
            web::get().to(views::form),
        )
        .route(
            "/admin/apps/{app}/views/{view}/edit",
            web::post().to(views::save),
        )
        .route(
            "/admin/apps/{app}/views/{view}/remove",
            web::post().to(views::remove),
        )
        .route(
            "/admin/apps/{app}/operations",
            web::get().to(operations::list),
        )
        .route(
            "/admin/apps/{app}/operations",
            web::post().to(operations::add),
        )
        .route(
            "/admin/apps/{app}/operations/{op}/edit",
            web::get().to(operations::form),
        )
        .route(
            "/admin/apps/{app}/operations/{op}/edit",
            web::post().to(operations::save),
        )
        .route(
            "/admin/apps/{app}/operations/{op}/remove",
            web::post().to(operations::remove),
        )
        .route("/admin/apps/{app}/versions", web::get().to(versions::show))
        .route(
            "/admin/apps/{app}/publish",
            web::post().to(versions::publish),
        )
        .route(
            "/admin/apps/{app}/rollback",
            web::post().to(versions::rollback),
        );
}

/// A posted form as name/value pairs, so repeated names (checkbox lists) keep every value.
pub struct Posted(pub Vec<(String, String)>);

impl Posted {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn trimmed(&self, name: &str) -> String {
        self.get(name).trim().to_string()
    }

    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.trimmed(name)).filter(|s| !s.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Every value sent under `name`, in order, trimmed, blanks kept: one column of a table of
    /// inputs whose rows are read side by side.
    pub fn column<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    pub fn on(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == "on")
    }

    /// Lines of a textarea, trimmed, blanks dropped.
    pub fn lines(&self, name: &str) -> Vec<String> {
        self.get(name)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// A comma-separated list.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// One refusal, placed on a control of the form (or on the form as a whole).
#[derive(Debug, Clone)]
pub struct Problem {
    /// The form control it belongs to; empty for the whole form.
    pub control: String,
    /// The definition path, e.g. `views.my_claims.columns[1]`.
    pub path: String,
    pub message: String,
}

/// Maps definition errors to the controls of the form editing the item at `prefix` (e.g.
/// `fields.net`): `fields.net.currency_field` → `currency_field`, `views.v.columns[1]` →
/// `columns`. Errors elsewhere in the definition stay on the form as a whole.
pub fn problems(errors: &[DefinitionError], prefix: &str) -> Vec<Problem> {
    errors
        .iter()
        .map(|e| {
            let control = e
                .path
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('.'))
                .map(|rest| {
                    rest.split(['.', '['])
                        .next()
                        .unwrap_or_default()
                        .to_string()
                })
                .or_else(|| {
                    (prefix.is_empty()).then(|| {
                        e.path
                            .split(['.', '['])
                            .next()
                            .unwrap_or_default()
                            .to_string()
                    })
                })
                .unwrap_or_default();
            Problem {
                control,
                path: e.path.clone(),
                message: e.message.clone(),
            }
        })
        .collect()
}

/// An engine refusal as form problems, or the error page for anything else.
pub fn refusal(e: EngineError, prefix: &str) -> Result<Vec<Problem>, WebError> {
    match e {
        EngineError::Definition(errs) => Ok(problems(&errs, prefix)),
        EngineError::Conflict(m) | EngineError::Precondition(m) => Ok(vec![Problem {
            control: String::new(),
            path: String::new(),
            message: m,
        }]),
        e => Err(e.into()),
    }
}

/// The message for a control, joined; empty when it has none.
pub fn message_for(problems: &[Problem], control: &str) -> String {
    problems
        .iter()
        .filter(|p| p.control == control)
        .map(|p| p.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The editor's header: app name, slug, publication state, and its tabs.
pub struct Header {
    pub slug: String,
    pub name: String,
    pub published: String,
    pub draft_differs: bool,
    pub tab: &'static str,
}

impl Header {
    pub fn new(d: &Draft, tab: &'static str) -> Header {
        Header {
            slug: d.row.slug.clone(),
            name: d.def.name.clone(),
            published: d
                .row
                .published_version
                .map(|v| format!("version {v}"))
                .unwrap_or_else(|| "not published".into()),
            draft_differs: d.has_changes(),
            tab,
        }
    }
}

/// Renders an editor page: 200, or `refused_status` when the page shows a refused edit.
pub fn respond<T: askama::Template>(
    page: &T,
    refused: bool,
    refused_status: u16,
) -> Result<HttpResponse, WebError> {
    let mut resp = render(page)?;
    if refused {
        *resp.status_mut() =
            actix_web::http::StatusCode::from_u16(refused_status).unwrap_or_default();
    }
    Ok(resp)
}

/// Saves one item of the draft (a field, view or operation form): the form's own errors — paths
/// relative to the item — refuse it before the engine is asked; otherwise one `edit_draft`.
pub async fn save_item<F>(
    state: &AppState,
    slug: &str,
    prefix: &str,
    form_errors: Vec<DefinitionError>,
    edit: F,
) -> Result<(), EngineError>
where
    F: FnOnce(&mut AppDef, &mut DraftChanges, Option<&AppDef>) -> Result<(), EngineError>,
{
    if !form_errors.is_empty() {
        return Err(EngineError::Definition(
            form_errors
                .into_iter()
                .map(|e| DefinitionError {
                    path: format!("{prefix}.{}", e.path),
                    message: e.message,
                })
                .collect(),
        ));
    }
    state
        .engine
        .edit_draft(slug, chrono::Utc::now(), edit)
        .await
        .map(|_| ())
}

/// The flash shown after a saved edit (`?saved=1`) or an import (`?imported=1`).
pub fn saved_flash(q: &std::collections::HashMap<String, String>) -> Option<String> {
    if q.contains_key("imported") {
        return Some(
            "Imported as a draft. Review it, then publish it (Versions tab) to put it in force."
                .into(),
        );
    }
    q.get("saved")
        .map(|_| "Saved to the draft. Publish the app (Versions tab) to put it in force.".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn definition_paths_land_on_their_controls() {
        let errs = vec![
            DefinitionError {
                path: "views.v.columns[1]".into(),
                message: "unknown field `zz`".into(),
            },
            DefinitionError {
                path: "views.v.parameters.p.field".into(),
                message: "x".into(),
            },
            DefinitionError {
                path: "operations.o.roles[0]".into(),
                message: "y".into(),
            },
        ];
        let p = problems(&errs, "views.v");
        assert_eq!(p[0].control, "columns");
        assert_eq!(p[1].control, "parameters");
        assert_eq!(p[2].control, "", "another item's error stays on the form");
        assert_eq!(problems(&errs, "")[2].control, "operations");
    }
}
