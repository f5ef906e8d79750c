//! The published apps, cached in memory and refreshed when any process publishes. A cheap stamp
//! query (at most once a second) tells whether the cache is current, so several server processes
//! on one database converge within a second without sharing memory.
use super::definition::{AppDef, FieldDef, FieldType, Scope};
use super::lookup_paths::LookedUp;
use crate::store::{Store, StoreError, ValueKind};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// One app as published: an immutable definition.
#[derive(Debug)]
pub struct PublishedApp {
    pub id: i64,
    pub version: i64,
    pub def: AppDef,
    /// The looked-up fields (`lookup.field`) its views use, resolved against the other
    /// published apps of the same snapshot (see `engine::lookup_paths`).
    pub paths: HashMap<String, LookedUp>,
}

impl PublishedApp {
    /// An app whose views use no looked-up fields, or whose names need not be resolved.
    pub fn new(id: i64, version: i64, def: AppDef) -> PublishedApp {
        PublishedApp {
            id,
            version,
            def,
            paths: HashMap::new(),
        }
    }

    /// The definition of a view column: the app's own field, or a looked-up one.
    pub fn column_field(&self, name: &str) -> Option<&FieldDef> {
        self.def
            .fields
            .get(name)
            .or_else(|| self.paths.get(name).map(|p| &p.def))
    }

    /// A view column's header: the field's label, "Lookup · Field" for a looked-up field.
    pub fn column_label(&self, name: &str) -> String {
        match (self.def.fields.get(name), self.paths.get(name)) {
            (Some(f), _) => f.label.clone(),
            (None, Some(p)) => p.label.clone(),
            (None, None) => name.to_string(),
        }
    }
}

#[derive(Default)]
struct Snapshot {
    stamp: String,
    apps: Vec<Arc<PublishedApp>>,
    by_slug: HashMap<String, Arc<PublishedApp>>,
}

/// Cache of published apps.
pub struct Catalog {
    store: Store,
    state: RwLock<(Option<Instant>, Arc<Snapshot>)>,
}

const FRESHNESS: Duration = Duration::from_secs(1);

impl Catalog {
    pub fn new(store: Store) -> Catalog {
        Catalog {
            store,
            state: RwLock::new((None, Arc::new(Snapshot::default()))),
        }
    }

    async fn snapshot(&self) -> Result<Arc<Snapshot>, StoreError> {
        let (checked, snap) = match self.state.read() {
            Ok(g) => (g.0, g.1.clone()),
            Err(p) => (p.get_ref().0, p.get_ref().1.clone()),
        };
        if checked.is_some_and(|t| t.elapsed() < FRESHNESS) {
            return Ok(snap);
        }
        let stamp = self.store.publish_stamp().await?;
        let snap = if stamp == snap.stamp && checked.is_some() {
            snap
        } else {
            let mut defs = Vec::new();
            for v in self.store.published_versions().await? {
                match serde_json::from_str::<AppDef>(&v.definition) {
                    Ok(def) => defs.push((v.app_id, v.version, def)),
                    Err(e) => {
                        tracing::error!(app_id = v.app_id, "published definition unreadable: {e}")
                    }
                }
            }
            // Looked-up fields resolve against the apps of this same snapshot.
            let by_slug_def: HashMap<&str, (i64, &AppDef)> = defs
                .iter()
                .map(|(id, _, d)| (d.slug.as_str(), (*id, d)))
                .collect();
            let paths: Vec<_> = defs
                .iter()
                .map(|(_, _, d)| {
                    super::lookup_paths::resolve(d, |slug| by_slug_def.get(slug).copied())
                })
                .collect();
            let mut apps = Vec::new();
            for ((id, version, def), paths) in defs.into_iter().zip(paths) {
                apps.push(Arc::new(PublishedApp {
                    id,
                    version,
                    def,
                    paths,
                }));
            }
            apps.sort_by(|a, b| a.def.name.cmp(&b.def.name));
            let by_slug = apps
                .iter()
                .map(|a| (a.def.slug.clone(), a.clone()))
                .collect();
            Arc::new(Snapshot {
                stamp,
                apps,
                by_slug,
            })
        };
        if let Ok(mut g) = self.state.write() {
            *g = (Some(Instant::now()), snap.clone());
        }
        Ok(snap)
    }

    /// Forgets the cache so the next read reloads (after a publish in this process).
    pub fn invalidate(&self) {
        if let Ok(mut g) = self.state.write() {
            g.0 = None;
        }
    }

    pub async fn apps(&self) -> Result<Vec<Arc<PublishedApp>>, StoreError> {
        Ok(self.snapshot().await?.apps.clone())
    }

    pub async fn app(&self, slug: &str) -> Result<Option<Arc<PublishedApp>>, StoreError> {
        Ok(self.snapshot().await?.by_slug.get(slug).cloned())
    }
}

/// How the store compares a field's values.
pub fn value_kind(kind: FieldType) -> ValueKind {
    match kind {
        FieldType::Money | FieldType::Number | FieldType::Computed | FieldType::Converted => {
            ValueKind::Number
        }
        FieldType::File | FieldType::Photo | FieldType::Integer | FieldType::Lookup => {
            ValueKind::Integer
        }
        FieldType::YesNo => ValueKind::Boolean,
        _ => ValueKind::Text,
    }
}

/// Creates the expression indexes a definition's views filter and sort on (`paths`: its looked-up
/// fields, resolved); returns their names.
pub async fn ensure_indexes(
    store: &Store,
    app_id: i64,
    def: &AppDef,
    paths: &HashMap<String, LookedUp>,
) -> Result<Vec<String>, StoreError> {
    let mut names = Vec::new();
    for view in def.views.values() {
        let owner = view.scope == Scope::Own;
        let mut fields: Vec<&str> = view.parameters.values().map(|p| p.field.as_str()).collect();
        fields.extend(view.filters.iter().map(|f| f.field.as_str()));
        let sort = view.sort.first().map(|s| s.trim_start_matches('-'));
        fields.extend(sort);
        // Summaries group in the database, from an index that holds what they read.
        for s in view.summaries.values() {
            let mut keys: Vec<&str> = s.group_by.iter().map(String::as_str).collect();
            let value = s
                .field
                .as_deref()
                .filter(|_| s.aggregate != super::definition::Aggregate::Count);
            if let Some(c) = value.and_then(|f| def.currency_of(f)) {
                keys.push(c);
            }
            names.push(
                store
                    .ensure_summary_index(app_id, owner, &keys, value)
                    .await?,
            );
        }
        for f in &fields {
            if let Some((lookup, target)) = super::lookup_paths::split(f) {
                // Through a lookup: its ids, and the target field on the target's records.
                names.push(
                    store
                        .ensure_field_index(app_id, lookup, ValueKind::Integer, owner)
                        .await?,
                );
                if let Some(p) = paths.get(*f) {
                    names.push(
                        store
                            .ensure_target_index(
                                app_id,
                                p.target_id,
                                target,
                                value_kind(p.def.kind),
                            )
                            .await?,
                    );
                }
                continue;
            }
            if let Some(fd) = def.fields.get(*f) {
                if fd.kind == FieldType::MultiChoice {
                    // Filtered with "contains any", which an index over the whole array answers.
                    names.extend(store.ensure_array_index(app_id, f).await?);
                    continue;
                }
                names.push(
                    store
                        .ensure_field_index(app_id, f, value_kind(fd.kind), owner)
                        .await?,
                );
            }
        }
        // A filter through a lookup after each equality filter ("status = X and the project's
        // cost centre is Y"): the database counts the matches from the index alone, checking
        // each entry's lookup id against the target ids it found.
        let eq_own: Vec<&str> = view
            .parameters
            .values()
            .filter(|p| p.op == super::definition::FilterOp::Eq)
            .map(|p| p.field.as_str())
            .chain(
                view.filters
                    .iter()
                    .filter(|f| f.op == super::definition::FilterOp::Eq)
                    .map(|f| f.field.as_str()),
            )
            .filter(|f| super::lookup_paths::split(f).is_none())
            .collect();
        for through in fields.iter().filter_map(|f| super::lookup_paths::split(f)) {
            for e in &eq_own {
                if let Some(fd) = def.fields.get(*e) {
                    names.push(
                        store
                            .ensure_pair_index(
                                app_id,
                                (e, value_kind(fd.kind)),
                                (through.0, ValueKind::Integer),
                                owner,
                            )
                            .await?,
                    );
                }
            }
        }
        // Equality filters followed by the sort key: the common "status = X, newest first" page.
        if let Some(s) = sort.and_then(|s| def.fields.get(s).map(|fd| (s, value_kind(fd.kind)))) {
            let eq_fields = view
                .parameters
                .values()
                .filter(|p| p.op == super::definition::FilterOp::Eq)
                .map(|p| p.field.as_str())
                .chain(
                    view.filters
                        .iter()
                        .filter(|f| f.op == super::definition::FilterOp::Eq)
                        .map(|f| f.field.as_str()),
                );
            for e in eq_fields {
                if let Some(fd) = def.fields.get(e) {
                    names.push(
                        store
                            .ensure_pair_index(app_id, (e, value_kind(fd.kind)), s, owner)
                            .await?,
                    );
                }
            }
        }
    }
    // Deleting a record counts (or empties) the lookups that refer to it: by id, from an index.
    for (name, fd) in def
        .fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Lookup)
    {
        names.push(
            store
                .ensure_field_index(app_id, name, value_kind(fd.kind), false)
                .await?,
        );
    }
    Ok(names)
}
