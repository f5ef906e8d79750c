//! Routing: whose records the team scopes (`reports`, `all_reports`) reach for an actor, who a
//! decision is taken on behalf of when the actor stands in for someone away, and people's managers
//! and stand-ins.
use super::definition::{AppDef, Scope};
use super::{Actor, Engine, EngineError};
use crate::store::{DelegationRow, ManagerError, TeamMember};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a loaded reach is used before it is read again: a new manager or stand-in reaches
/// other processes within this (this process forgets at once).
const REACH_FRESH_FOR: Duration = Duration::from_secs(1);
/// Most people whose reach is kept at once.
const REACH_MAX: usize = 10_000;

/// Recently loaded reaches, by user: a team view costs one query per person a second, not per call.
#[derive(Default)]
pub struct TeamCache {
    by_user: Mutex<HashMap<i64, CachedReach>>,
}

/// A reach as loaded: when, for which day.
struct CachedReach {
    at: Instant,
    day: NaiveDate,
    reach: Arc<Reach>,
}

impl TeamCache {
    fn get(&self, user_id: i64, today: NaiveDate) -> Option<Arc<Reach>> {
        let map = self.by_user.lock().ok()?;
        let c = map.get(&user_id)?;
        (c.day == today && c.at.elapsed() < REACH_FRESH_FOR).then(|| c.reach.clone())
    }

    fn put(&self, user_id: i64, today: NaiveDate, reach: Arc<Reach>) {
        if let Ok(mut map) = self.by_user.lock() {
            if map.len() >= REACH_MAX {
                map.clear();
            }
            map.insert(
                user_id,
                CachedReach {
                    at: Instant::now(),
                    day: today,
                    reach,
                },
            );
        }
    }

    /// Forgets every reach (after a change of manager or stand-in in this process).
    fn clear(&self) {
        if let Ok(mut map) = self.by_user.lock() {
            map.clear();
        }
    }
}

/// The people an actor may act for through the reporting lines, loaded once per request.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    members: HashMap<i64, TeamMember>,
}

impl Reach {
    /// Whether a record owned by `owner` is within `scope` for the actor (`own`/`all` need no
    /// team and are answered by the caller).
    pub fn covers(&self, scope: Scope, owner: i64) -> bool {
        match (scope, self.members.get(&owner)) {
            (Scope::Reports, Some(m)) => m.depth == 1,
            (Scope::AllReports, Some(_)) => true,
            _ => false,
        }
    }

    /// The people whose reports the actor reaches: `me`, and everyone they stand in for today.
    pub fn roots(&self, me: i64) -> Vec<i64> {
        let mut roots = vec![me];
        for (id, _) in self.members.values().filter_map(|m| m.via.as_ref()) {
            if !roots.contains(id) {
                roots.push(*id);
            }
        }
        roots
    }

    /// The person away whose decision the actor takes on a record of `owner`, if any.
    pub fn on_behalf_of(&self, owner: i64) -> Option<&str> {
        self.members
            .get(&owner)
            .and_then(|m| m.via.as_ref())
            .map(|(_, name)| name.as_str())
    }
}

/// Whether any view or operation of the app follows the reporting lines.
pub fn uses_team(def: &AppDef) -> bool {
    def.views.values().any(|v| v.scope.is_team())
        || def.operations.values().any(|o| o.scope.is_team())
}

/// Why a stand-in cannot be named.
#[derive(Debug, thiserror::Error)]
pub enum DelegationError {
    #[error("choose someone other than yourself")]
    ToSelf,
    #[error("the last day is before the first")]
    Backwards,
    #[error("a stand-in can be named for at most a year at a time")]
    TooLong,
    #[error("the last day has already passed")]
    Past,
    #[error("no such person")]
    UnknownPerson,
}

impl Engine {
    /// The actor's reach when `def` uses team scopes; empty (and no query) otherwise.
    pub async fn reach_for(&self, def: &AppDef, actor: &Actor) -> Result<Arc<Reach>, EngineError> {
        if !uses_team(def) {
            return Ok(Arc::new(Reach::default()));
        }
        self.reach(actor.user_id).await
    }

    /// Everyone a user may act for today: reports at any depth and, while they stand in for
    /// someone, that person's reports. Read at most once a second per person.
    pub async fn reach(&self, user_id: i64) -> Result<Arc<Reach>, EngineError> {
        let today = self.today();
        if let Some(r) = self.teams.get(user_id, today) {
            return Ok(r);
        }
        let members = self
            .store()
            .team_of(user_id, today)
            .await?
            .into_iter()
            .map(|m| (m.user_id, m))
            .collect();
        let reach = Arc::new(Reach { members });
        self.teams.put(user_id, today, reach.clone());
        Ok(reach)
    }

    /// Sets (or clears) a person's manager; refuses a loop or a person managing themself.
    pub async fn set_manager(
        &self,
        user_id: i64,
        manager_id: Option<i64>,
    ) -> Result<(), EngineError> {
        let set = self.store().set_manager(user_id, manager_id).await;
        self.teams.clear();
        match set {
            Ok(true) => Ok(()),
            Ok(false) => Err(EngineError::Precondition("no such user".into())),
            Err(ManagerError::Store(e)) => Err(e.into()),
            Err(e) => Err(EngineError::Precondition(e.to_string())),
        }
    }

    /// Names `delegate_id` as the actor's stand-in from `starts_on` to `ends_on` (both included).
    pub async fn add_stand_in(
        &self,
        actor: &Actor,
        delegate_id: i64,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    ) -> Result<i64, EngineError> {
        let refuse = |e: DelegationError| EngineError::Precondition(e.to_string());
        if delegate_id == actor.user_id {
            return Err(refuse(DelegationError::ToSelf));
        }
        if ends_on < starts_on {
            return Err(refuse(DelegationError::Backwards));
        }
        if ends_on < self.today() {
            return Err(refuse(DelegationError::Past));
        }
        if (ends_on - starts_on).num_days() > 366 {
            return Err(refuse(DelegationError::TooLong));
        }
        match self.store().user_by_id(delegate_id).await? {
            Some(u) if !u.disabled => {}
            _ => return Err(refuse(DelegationError::UnknownPerson)),
        }
        let id = self
            .store()
            .add_delegation(actor.user_id, delegate_id, starts_on, ends_on, self.now())
            .await?;
        self.teams.clear();
        Ok(id)
    }

    /// Withdraws one of the actor's own stand-ins; another person's is "not found".
    pub async fn remove_stand_in(&self, actor: &Actor, id: i64) -> Result<(), EngineError> {
        if self.store().remove_delegation(actor.user_id, id).await? {
            self.teams.clear();
            Ok(())
        } else {
            Err(EngineError::Forbidden(
                "that is not one of your stand-ins".into(),
            ))
        }
    }

    /// The stand-ins a person named (`given`) and those they are (`held`), not yet ended.
    pub async fn stand_ins(
        &self,
        user_id: i64,
    ) -> Result<(Vec<DelegationRow>, Vec<DelegationRow>), EngineError> {
        let today = self.today();
        Ok((
            self.store().delegations(user_id, false, today).await?,
            self.store().delegations(user_id, true, today).await?,
        ))
    }
}
