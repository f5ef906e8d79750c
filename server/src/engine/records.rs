//! Reading one record: who may see it, and which operations they may run on it.
use super::definition::{OperationDef, OperationKind, Scope};
use super::{Actor, Engine, EngineError, PublishedApp};
use crate::store::{AttachmentRow, HistoryRow, RecordRow};
use std::sync::Arc;

/// A record the actor may see, with what they may do to it.
pub struct RecordAccess {
    pub app: Arc<PublishedApp>,
    pub record: RecordRow,
    /// Operation names the actor may run now (role, scope and state preconditions met).
    pub operations: Vec<String>,
}

impl Engine {
    /// Loads a published app by slug.
    pub async fn app(&self, slug: &str) -> Result<Arc<PublishedApp>, EngineError> {
        self.catalog()
            .app(slug)
            .await?
            .ok_or_else(|| EngineError::AppNotFound(slug.into()))
    }

    /// Whether any view or operation grant lets the actor see this record.
    pub fn can_read(&self, app: &PublishedApp, actor: &Actor, record: &RecordRow) -> bool {
        let own = record.owner_id == actor.user_id;
        let covers =
            |roles: &[String], scope: Scope| actor.has_any(roles) && (scope == Scope::All || own);
        app.def.views.values().any(|v| covers(&v.roles, v.scope))
            || app
                .def
                .operations
                .values()
                .any(|o| o.kind != OperationKind::Create && covers(&o.roles, o.scope))
    }

    /// Why the actor may not run `op` on `record` now, if they may not.
    pub fn operation_refusal(
        &self,
        app: &PublishedApp,
        actor: &Actor,
        op: &OperationDef,
        record: Option<&RecordRow>,
    ) -> Option<EngineError> {
        if !actor.has_any(&op.roles) {
            return Some(EngineError::Forbidden(format!(
                "only users with the role {} may run \"{}\"",
                op.roles.join(" or "),
                op.title
            )));
        }
        let record = record?;
        let own = record.owner_id == actor.user_id;
        if op.scope == Scope::Own && !own {
            return Some(EngineError::Forbidden(format!(
                "\"{}\" may be run only on your own records",
                op.title
            )));
        }
        if op.not_own && own {
            return Some(EngineError::Forbidden(format!(
                "you cannot run \"{}\" on your own record; ask another user with the role {}",
                op.title,
                op.roles.join(" or ")
            )));
        }
        if !op.from.is_empty() {
            let state_field = app.def.state_field.as_deref().unwrap_or("status");
            let state = record
                .data
                .get(state_field)
                .and_then(|v| v.as_str())
                .unwrap_or("");
            if !op.from.iter().any(|s| s == state) {
                return Some(EngineError::Precondition(format!(
                    "\"{}\" needs the record's {} to be {}; it is {}",
                    op.title,
                    state_field,
                    op.from.join(" or "),
                    if state.is_empty() { "empty" } else { state }
                )));
            }
        }
        None
    }

    /// A record the actor may see, with the operations available to them.
    pub async fn record(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
    ) -> Result<RecordAccess, EngineError> {
        let app = self.app(slug).await?;
        let record = self
            .store()
            .record(app.id, id)
            .await?
            .filter(|r| self.can_read(&app, actor, r))
            .ok_or(EngineError::RecordNotFound(id))?;
        let operations = app
            .def
            .operations
            .iter()
            .filter(|(_, o)| o.needs_record())
            .filter(|(_, o)| {
                self.operation_refusal(&app, actor, o, Some(&record))
                    .is_none()
            })
            .map(|(n, _)| n.clone())
            .collect();
        Ok(RecordAccess {
            app,
            record,
            operations,
        })
    }

    /// A visible record's history, newest first; `surface` narrows it (e.g. "mcp").
    pub async fn history(
        &self,
        actor: &Actor,
        slug: &str,
        id: i64,
        surface: Option<&str>,
    ) -> Result<Vec<HistoryRow>, EngineError> {
        let access = self.record(actor, slug, id).await?;
        Ok(self.store().history(access.record.id, surface).await?)
    }

    /// A visible record's attachments.
    pub async fn attachments(&self, record: &RecordRow) -> Result<Vec<AttachmentRow>, EngineError> {
        Ok(self.store().attachments_of(record.id).await?)
    }

    /// An attachment the actor may read: on a record they can see, or their own upload.
    pub async fn attachment(&self, actor: &Actor, id: i64) -> Result<AttachmentRow, EngineError> {
        let att = self
            .store()
            .attachment(id)
            .await?
            .ok_or(EngineError::RecordNotFound(id))?;
        if att.record_id.is_none() && att.uploaded_by == actor.user_id {
            return Ok(att);
        }
        if let Some(rid) = att.record_id {
            for app in self.catalog().apps().await? {
                if app.id == att.app_id {
                    if let Some(r) = self.store().record(app.id, rid).await? {
                        if self.can_read(&app, actor, &r) {
                            return Ok(att);
                        }
                    }
                }
            }
        }
        Err(EngineError::RecordNotFound(id))
    }
}
