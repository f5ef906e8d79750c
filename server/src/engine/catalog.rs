//! The published apps, cached in memory and refreshed when any process publishes. A cheap stamp
//! query (at most once a second) tells whether the cache is current, so several server processes
//! on one database converge within a second without sharing memory.
use super::definition::{AppDef, FieldDef, FieldType, FilterOp, Scope};
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
    /// The text fields the store keeps in its substring index for this definition
    /// ([`substring_fields`]): only for a definition as published, which registered them. A
    /// draft (the editor's preview) has none, and its `contains` filters are scanned.
    pub substring: Vec<String>,
    /// The line columns (`lines.column`) the store keeps in its line index for this definition
    /// (`line_filters::filtered_columns`), likewise only as published.
    pub line_index: Vec<String>,
    /// The text fields the store keeps in key columns for this definition, with their column
    /// ([`key_fields`], `store::keys`), likewise only as published.
    pub keys: Vec<(String, u8)>,
}

impl PublishedApp {
    /// An app whose views use no looked-up fields, or whose names need not be resolved.
    pub fn new(id: i64, version: i64, def: AppDef) -> PublishedApp {
        PublishedApp {
            id,
            version,
            def,
            paths: HashMap::new(),
            substring: Vec::new(),
            line_index: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// The definition of a view column: the app's own field, or a looked-up one.
    pub fn column_field(&self, name: &str) -> Option<&FieldDef> {
        super::lookup_paths::field_of(&self.def, &self.paths, name)
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
                    substring: substring_fields(&def),
                    line_index: super::line_filters::filtered_columns(&def),
                    keys: crate::store::key_slots(&key_fields(&def)),
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

/// A field of the record itself (not one looked up) with how the store compares it.
fn own_eq<'a>(def: &AppDef, field: &'a str) -> Option<(&'a str, ValueKind)> {
    if super::lookup_paths::split(field).is_some() {
        return None;
    }
    def.fields.get(field).map(|fd| (field, value_kind(fd.kind)))
}

/// The definition's text fields its views filter with `contains` (parameters and fixed
/// filters): the fields the store keeps in its substring index, so such a filter is answered by
/// trigram (see `store::texts`). Looked-up fields are the target app's business.
pub fn substring_fields(def: &AppDef) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (field, op) in filtered_fields(def) {
        if op == FilterOp::Contains
            && def.fields.get(field).map(|f| f.kind) == Some(FieldType::Text)
            && !out.iter().any(|f| f == field)
        {
            out.push(field.to_string());
        }
    }
    out.sort();
    out
}

/// Each field a view of the definition filters on, with the filter's operator: its parameters
/// and its fixed filters, view by view.
fn filtered_fields(def: &AppDef) -> impl Iterator<Item = (&str, FilterOp)> {
    def.views.values().flat_map(|view| {
        view.parameters
            .values()
            .map(|p| (p.field.as_str(), p.op))
            .chain(view.filters.iter().map(|f| (f.field.as_str(), f.op)))
    })
}

/// The fields of the definition whose values the store keeps in key columns, so a view's count
/// over them reads an index alone on PostgreSQL (`store::keys`): the record's own text-valued
/// fields its views filter on by equality, or with `contains` answered by the substring index,
/// as parameters or fixed filters; the most used first (then by name), since only the first
/// `store::KEY_SLOTS` get a column.
pub fn key_fields(def: &AppDef) -> Vec<String> {
    let substring = substring_fields(def);
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for (field, op) in filtered_fields(def) {
        let text = own_eq(def, field).is_some_and(|(_, kind)| kind == ValueKind::Text);
        let keyed = op == FilterOp::Eq
            || (op == FilterOp::Contains && substring.iter().any(|s| s == field));
        if text && keyed {
            *uses.entry(field).or_default() += 1;
        }
    }
    let mut out: Vec<(&str, usize)> = uses.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.into_iter().map(|(f, _)| f.to_string()).collect()
}

/// Every text field of the definition (a field the substring index may keep; see
/// `store::Store::tx_sync_texts`).
pub fn text_fields(def: &AppDef) -> Vec<String> {
    let mut out: Vec<String> = def
        .fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Text)
        .map(|(n, _)| n.clone())
        .collect();
    out.sort();
    out
}

/// Marks the predicates on the app's own records that its derived indexes answer: `contains`
/// from the substring index, "has a line whose column equals" from the line index, and the
/// equalities and `contains` whose count the key columns answer.
pub fn mark_indexed_predicates(app: &PublishedApp, predicates: &mut [crate::store::Predicate]) {
    use crate::store::PredicateOp;
    for p in predicates.iter_mut() {
        p.indexed = p.via.is_none()
            && match p.op {
                PredicateOp::Contains => app.substring.contains(&p.field),
                PredicateOp::HasLine => app.line_index.contains(&p.field),
                _ => false,
            };
        p.key = match p.op {
            PredicateOp::Eq | PredicateOp::Contains if p.via.is_none() => app
                .keys
                .iter()
                .find(|(f, _)| *f == p.field)
                .map(|(_, slot)| *slot),
            _ => None,
        };
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
    // A `contains` on one of these becomes "the value is one of those that contain the needle"
    // (found by trigram), which the indexes below answer like an equality.
    let substring = substring_fields(def);
    if !substring.is_empty() {
        store.ensure_trigram_index().await?;
    }
    let keyed = |op: FilterOp, field: &str| {
        op == FilterOp::Eq || (op == FilterOp::Contains && substring.iter().any(|s| s == field))
    };
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
            if let Some(line) = super::line_filters::split(def, f) {
                // "Has a line whose column equals": answered by an index over the whole list.
                names.extend(store.ensure_lines_index(app_id, line.field).await?);
                continue;
            }
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
        // Equality filters lead the composite indexes (and `contains` ones the substring index
        // answers): the view's fixed ones (always applied), then each equality parameter in
        // turn. After them comes what the page needs next: a lookup's id, when the view
        // filters through that lookup ("status = X and the project's cost centre is Y": the
        // database counts the matches from the index alone, checking each entry's lookup id
        // against the target ids it found), and the sort key ("status = X, category = Y, most
        // urgent first").
        let fixed: Vec<(&str, ValueKind)> = view
            .filters
            .iter()
            .filter(|f| keyed(f.op, &f.field))
            .filter_map(|f| own_eq(def, &f.field))
            .collect();
        let params: Vec<(&str, ValueKind)> = view
            .parameters
            .values()
            .filter(|p| keyed(p.op, &p.field))
            .filter_map(|p| own_eq(def, &p.field))
            .filter(|k| !fixed.contains(k))
            .collect();
        let mut prefixes: Vec<Vec<(&str, ValueKind)>> = params
            .iter()
            .map(|p| fixed.iter().copied().chain([*p]).collect())
            .collect();
        if !fixed.is_empty() {
            prefixes.push(fixed.clone());
        }
        // Each lookup once, however many of its target's fields the view filters on.
        let mut lasts: Vec<(&str, ValueKind)> = Vec::new();
        let through = fields
            .iter()
            .filter(|f| super::line_filters::split(def, f).is_none())
            .filter_map(|f| super::lookup_paths::split(f))
            .map(|(lookup, _)| (lookup, ValueKind::Integer));
        let sorted = sort.and_then(|s| def.fields.get(s).map(|fd| (s, value_kind(fd.kind))));
        for last in through.chain(sorted) {
            if !lasts.contains(&last) {
                lasts.push(last);
            }
        }
        for last in &lasts {
            for prefix in &prefixes {
                if prefix.contains(last) {
                    continue;
                }
                let keys: Vec<(&str, ValueKind)> = prefix.iter().copied().chain([*last]).collect();
                names.push(store.ensure_composite_index(app_id, &keys, owner).await?);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_used_equality_and_substring_filters_get_key_columns_first() {
        let def = AppDef::parse(crate::demo::EXPENSE_CLAIMS).expect("seed app parses");
        // Status: four views; the employee: three; the supplier (`contains`): two. Dates are
        // filtered by range, so they get none.
        assert_eq!(key_fields(&def), ["status", "employee", "supplier"]);
        assert_eq!(
            crate::store::key_slots(&key_fields(&def)),
            [
                ("status".to_string(), 1),
                ("employee".to_string(), 2),
                ("supplier".to_string(), 3)
            ]
        );
    }
}
