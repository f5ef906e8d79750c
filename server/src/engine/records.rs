//! Reading one record: who may see it, and which operations they may run on it.
use super::definition::{OperationDef, Scope, ViewDef};
use super::routing::Reach;
use super::{Actor, Engine, EngineError, PublishedApp};
use crate::store::{AttachmentRow, HistoryRow, RecordQuery, RecordRow};
use std::sync::Arc;

/// A record the actor may see, with what they may do to it.
pub struct RecordAccess {
    pub app: Arc<PublishedApp>,
    pub record: RecordRow,
    /// Operation names the actor may run now (role, scope and state preconditions met).
    pub operations: Vec<String>,
    /// Operations the actor could run but for an unmet condition (`when`), with the reason.
    pub unavailable: Vec<(String, String)>,
}

/// Whether the record is within a row scope for the actor.
fn in_scope(scope: Scope, actor: &Actor, record: &RecordRow, reach: &Reach) -> bool {
    match scope {
        Scope::All => true,
        Scope::Own => record.owner_id == actor.user_id,
        Scope::Reports | Scope::AllReports => reach.covers(scope, record.owner_id),
    }
}

/// The operation as if it had no `when` conditions (to tell "only the condition is unmet").
fn without_conditions(op: &OperationDef) -> OperationDef {
    OperationDef {
        when: Vec::new(),
        ..op.clone()
    }
}

impl Engine {
    /// Loads a published app by slug.
    pub async fn app(&self, slug: &str) -> Result<Arc<PublishedApp>, EngineError> {
        self.catalog()
            .app(slug)
            .await?
            .ok_or_else(|| EngineError::AppNotFound(slug.into()))
    }

    /// Whether the app lets the actor read this record. The app's grants are the whole rule — no
    /// role (admin included) sees more than they give it: a view granted to one of the actor's
    /// roles lists the record (scope `own`: the actor's own records; scope `all`: every record
    /// that passes the view's fixed filters), or an operation granted to the actor could act on
    /// it now (its roles, scope and `from` states). Pages, files and MCP reads all ask here.
    pub async fn can_read(
        &self,
        app: &PublishedApp,
        actor: &Actor,
        record: &RecordRow,
    ) -> Result<bool, EngineError> {
        let reach = self.reach_for(&app.def, actor).await?;
        let actionable = app.def.operations.values().any(|o| {
            o.needs_record()
                && self
                    .operation_refusal(app, actor, o, Some(record), &reach)
                    .is_none()
        });
        if actionable {
            return Ok(true);
        }
        let mut filtered = Vec::new();
        for view in app.def.views.values().filter(|v| actor.has_any(&v.roles)) {
            if !in_scope(view.scope, actor, record, &reach) {
                continue;
            }
            if view.filters.is_empty() {
                return Ok(true);
            }
            let mut q = fixed_filter_query(app, view, actor);
            self.attach_vias(app, actor, &mut q.predicates).await?;
            filtered.push(q);
        }
        // The database decides the filters, with the very predicates the view's own query uses,
        // so what a view lists and what it lets one open cannot disagree.
        Ok(self
            .store()
            .record_matches_any(record.id, &filtered)
            .await?)
    }

    /// Why the actor may not run `op` on `record` now, if they may not. `reach` is the actor's
    /// team (`Engine::reach_for`), used by the team scopes.
    pub fn operation_refusal(
        &self,
        app: &PublishedApp,
        actor: &Actor,
        op: &OperationDef,
        record: Option<&RecordRow>,
        reach: &Reach,
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
        if op.not_own && own {
            return Some(EngineError::Forbidden(format!(
                "you cannot run \"{}\" on your own record; ask another user with the role {}",
                op.title,
                op.roles.join(" or ")
            )));
        }
        if !in_scope(op.scope, actor, record, reach) {
            return Some(EngineError::Forbidden(match op.scope {
                Scope::Reports => format!(
                    "\"{}\" may be run only on records of people who report to you",
                    op.title
                ),
                Scope::AllReports => {
                    format!("\"{}\" may be run only on records of your team", op.title)
                }
                _ => format!("\"{}\" may be run only on your own records", op.title),
            }));
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
        if let Err(why) = super::conditions::check_all(&app.def, &op.when, &record.data) {
            return Some(EngineError::Precondition(format!(
                "\"{}\" is not available: {why}",
                op.title
            )));
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
        let record = self.readable_record(&app, actor, id).await?;
        let reach = self.reach_for(&app.def, actor).await?;
        let mut operations = Vec::new();
        let mut unavailable = Vec::new();
        for (name, o) in app.def.operations.iter().filter(|(_, o)| o.needs_record()) {
            if self
                .operation_refusal(&app, actor, o, Some(&record), &reach)
                .is_none()
            {
                operations.push(name.clone());
            } else if !o.when.is_empty()
                && self
                    .operation_refusal(&app, actor, &without_conditions(o), Some(&record), &reach)
                    .is_none()
            {
                // The person could act but for an unmet condition: worth telling them why.
                if let Err(why) = super::conditions::check_all(&app.def, &o.when, &record.data) {
                    unavailable.push((name.clone(), why));
                }
            }
        }
        Ok(RecordAccess {
            app,
            record,
            operations,
            unavailable,
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
                if app.id == att.app_id && self.readable_record(&app, actor, rid).await.is_ok() {
                    return Ok(att);
                }
            }
        }
        Err(EngineError::RecordNotFound(id))
    }

    /// A record of `app` the actor may read; "does not exist or is not visible" otherwise, the
    /// same answer either way so that ids reveal nothing.
    pub(super) async fn readable_record(
        &self,
        app: &PublishedApp,
        actor: &Actor,
        id: i64,
    ) -> Result<RecordRow, EngineError> {
        match self.store().record(app.id, id).await? {
            Some(r) if self.can_read(app, actor, &r).await? => Ok(r),
            _ => Err(EngineError::RecordNotFound(id)),
        }
    }

    /// Other records of `app` that hold a file with this content, as far as the actor may know
    /// of them: the ids of those they may read, and only the fact of the others. `except` is the
    /// record the file is being attached to.
    pub async fn duplicates(
        &self,
        app: &PublishedApp,
        actor: &Actor,
        sha256: &str,
        except: Option<i64>,
    ) -> Result<Duplicates, EngineError> {
        let mut found = Duplicates::default();
        for id in self.store().records_with_sha(app.id, sha256).await? {
            if Some(id) == except {
                continue;
            }
            match self.readable_record(app, actor, id).await {
                Ok(_) => found.readable.push(id),
                Err(EngineError::RecordNotFound(_)) => found.hidden = true,
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }
}

/// Other records that hold the same file (a possible duplicate claim).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Duplicates {
    /// Those the actor may read, by id.
    pub readable: Vec<i64>,
    /// Whether records the actor may not read hold it too; their ids are not told.
    pub hidden: bool,
}

impl Duplicates {
    pub fn is_empty(&self) -> bool {
        self.readable.is_empty() && !self.hidden
    }

    /// Where else the file is attached, naming only records the actor may read: "claim #3, #5",
    /// "claim #3 and another claim", "another claim"; `None` when nowhere else.
    pub fn places(&self) -> Option<String> {
        let named = (!self.readable.is_empty()).then(|| {
            let ids: Vec<String> = self.readable.iter().map(|id| format!("#{id}")).collect();
            format!("claim {}", ids.join(", "))
        });
        match (named, self.hidden) {
            (None, false) => None,
            (None, true) => Some("another claim".into()),
            (Some(n), false) => Some(n),
            (Some(n), true) => Some(format!("{n} and another claim")),
        }
    }
}

/// The scope and fixed filters of a view, as the query a record must match to be listed by it
/// (whatever the view's parameters).
fn fixed_filter_query(app: &PublishedApp, view: &ViewDef, actor: &Actor) -> RecordQuery {
    let mut predicates = super::views::fixed_filter_predicates(&app.def, view, actor);
    super::catalog::mark_indexed_predicates(app, &mut predicates);
    // The scope was checked by the caller; only the fixed filters are left to the database.
    RecordQuery {
        app_id: app.id,
        owners: None,
        predicates,
        ..RecordQuery::default()
    }
}
