//! Who is told about an operation: the `notify` key of operations, its validation, and the
//! recipients of one change (each a notice written in the change's own transaction).
use super::definition::{AppDef, DefinitionError, FieldType, OperationDef};
use super::{Actor, Engine, EngineError, PublishedApp};
use crate::store::{NewNotice, RecordRow};
use serde::{Deserialize, Serialize};

/// One entry of an operation's `notify` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyTarget {
    pub to: NotifyTo,
    /// With `to = "role"`: every active user with this role who may read the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// With `to = "field"`: the user named in this `user` field of the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Whom a notify entry points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyTo {
    Owner,
    Role,
    Field,
}

impl NotifyTarget {
    pub fn owner() -> NotifyTarget {
        NotifyTarget {
            to: NotifyTo::Owner,
            role: None,
            field: None,
        }
    }

    pub fn role(role: &str) -> NotifyTarget {
        NotifyTarget {
            to: NotifyTo::Role,
            role: Some(role.into()),
            field: None,
        }
    }

    pub fn field(field: &str) -> NotifyTarget {
        NotifyTarget {
            to: NotifyTo::Field,
            role: None,
            field: Some(field.into()),
        }
    }
}

/// Checks every operation's `notify` entries against the app's roles and fields.
pub(super) fn check_notify(def: &AppDef, errors: &mut Vec<DefinitionError>) {
    for (name, o) in &def.operations {
        for (i, t) in o.notify.iter().enumerate() {
            let p = format!("operations.{name}.notify[{i}]");
            let mut problem = |key: &str, message: String| {
                errors.push(DefinitionError {
                    path: format!("{p}.{key}"),
                    message,
                })
            };
            match t.to {
                NotifyTo::Owner => {
                    if t.role.is_some() || t.field.is_some() {
                        problem("to", "`owner` takes no `role` or `field`".into());
                    }
                }
                NotifyTo::Role => match &t.role {
                    None => problem("role", "`to = \"role\"` needs a `role`".into()),
                    Some(r) if !def.roles.is_empty() && !def.roles.contains(r) => problem(
                        "role",
                        format!(
                            "unknown role `{r}`; declare it in the app's roles (now: {})",
                            def.roles.join(", ")
                        ),
                    ),
                    Some(_) if t.field.is_some() => {
                        problem("field", "`to = \"role\"` takes no `field`".into())
                    }
                    Some(_) => {}
                },
                NotifyTo::Field => match &t.field {
                    None => problem("field", "`to = \"field\"` needs a `field`".into()),
                    Some(f) if def.fields.get(f).map(|d| d.kind) != Some(FieldType::User) => {
                        problem("field", format!("`{f}` is not a user field"))
                    }
                    Some(_) if t.role.is_some() => {
                        problem("role", "`to = \"field\"` takes no `role`".into())
                    }
                    Some(_) => {}
                },
            }
        }
    }
}

/// What a notice says, the same for every recipient of one change.
pub(super) struct NoticeText<'a> {
    pub record_title: String,
    pub operation_title: &'a str,
}

impl Engine {
    /// The notices for `op` run by `actor`, for `record` as it will be after the change (its
    /// id is 0 for a record being created). The actor is never told of their own action; each
    /// user is told once. A role's users who may not read the record are left out: the rule is
    /// `can_read`'s, whose operation grants see the record as it will be, while views with fixed
    /// filters are matched in the database against the record as stored before this change.
    pub(super) async fn notices(
        &self,
        app: &PublishedApp,
        op: &OperationDef,
        actor: &Actor,
        record: &RecordRow,
        text: NoticeText<'_>,
    ) -> Result<Vec<NewNotice>, EngineError> {
        if op.notify.is_empty() {
            return Ok(Vec::new());
        }
        let users = self.store().list_users_with_email().await?;
        let mut chosen: Vec<i64> = Vec::new();
        for target in &op.notify {
            match target.to {
                NotifyTo::Owner => chosen.push(record.owner_id),
                NotifyTo::Field => {
                    let name = target
                        .field
                        .as_ref()
                        .and_then(|f| record.data.get(f))
                        .and_then(|v| v.as_str());
                    if let Some(u) = name.and_then(|n| users.iter().find(|u| u.username == n)) {
                        chosen.push(u.id);
                    }
                }
                NotifyTo::Role => {
                    let Some(role) = &target.role else { continue };
                    for u in users.iter().filter(|u| u.roles.contains(role)) {
                        let reader = Actor {
                            user_id: u.id,
                            username: u.username.clone(),
                            display_name: u.display_name.clone(),
                            roles: u.roles.clone(),
                            surface: actor.surface,
                            client_name: None,
                        };
                        if self.can_read(app, &reader, record).await? {
                            chosen.push(u.id);
                        }
                    }
                }
            }
        }
        let mut out: Vec<NewNotice> = Vec::new();
        for id in chosen {
            if id == actor.user_id || out.iter().any(|n| n.user_id == id) {
                continue;
            }
            let Some(u) = users.iter().find(|u| u.id == id && !u.disabled) else {
                continue;
            };
            out.push(NewNotice {
                user_id: u.id,
                email: u.email.clone().filter(|e| !e.trim().is_empty()),
                app_id: app.id,
                app_slug: app.def.slug.clone(),
                app_name: app.def.name.clone(),
                record_title: text.record_title.clone(),
                operation_title: text.operation_title.to_string(),
                actor_name: actor.display_name.clone(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_entries_read_from_toml() {
        #[derive(Deserialize)]
        struct Op {
            notify: Vec<NotifyTarget>,
        }
        let op: Op = toml::from_str(
            r#"notify = [{ to = "owner" }, { to = "role", role = "manager" }, { to = "field", field = "assignee" }]"#,
        )
        .expect("valid notify list");
        assert_eq!(
            op.notify,
            vec![
                NotifyTarget::owner(),
                NotifyTarget::role("manager"),
                NotifyTarget::field("assignee")
            ]
        );
        assert!(toml::from_str::<Op>(r#"notify = [{ to = "everyone" }]"#).is_err());
    }
}
