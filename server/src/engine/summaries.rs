//! View summaries: totals and groupings over exactly the records a view shows the actor (same
//! row scope, fixed filters and parameters), computed in the database. Money is aggregated per
//! currency and rounded to the currency's minor units; amounts in different currencies are never
//! added together.
use super::definition::{AppDef, Bucket, FieldType, SummaryDef};
use super::value::CurrencyCode;
use super::views::ViewRequest;
use super::{Actor, Engine, EngineError, PublishedApp};
use crate::store::{Aggregate, DateBucket, GroupKey, RollupSpec, SummaryQuery};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;

/// The most groups a summary returns; more are reported as cut.
pub const MAX_GROUPS: u64 = 200;

/// One group of a summary.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SummaryGroup {
    /// The group's keys as people read them (`(empty)` for records without a value).
    pub keys: Vec<String>,
    pub count: u64,
    /// The aggregate, as a decimal rounded for display (money: to its currency's minor units).
    pub value: Option<String>,
    /// The currency of `value`, for money.
    pub currency: Option<String>,
}

/// A computed summary.
#[derive(Debug, Clone)]
pub struct SummaryPage {
    pub name: String,
    pub def: SummaryDef,
    /// Labels of the keys (group fields, then the currency for money).
    pub key_labels: Vec<String>,
    /// What `value` is, e.g. "Sum of Total"; empty for a count.
    pub value_label: String,
    pub groups: Vec<SummaryGroup>,
    /// More groups matched than were returned.
    pub cut: bool,
}

fn store_aggregate(a: super::definition::Aggregate) -> Aggregate {
    use super::definition::Aggregate as A;
    match a {
        A::Count => Aggregate::Count,
        A::Sum => Aggregate::Sum,
        A::Avg => Aggregate::Avg,
        A::Min => Aggregate::Min,
        A::Max => Aggregate::Max,
    }
}

fn store_bucket(b: Bucket) -> DateBucket {
    match b {
        Bucket::Day => DateBucket::Day,
        Bucket::Week => DateBucket::Week,
        Bucket::Month => DateBucket::Month,
        Bucket::Quarter => DateBucket::Quarter,
        Bucket::Year => DateBucket::Year,
    }
}

/// Rounds an aggregate for display: money to its currency's minor units, numbers to at most
/// four decimals.
fn rounded(text: &str, currency: Option<&str>) -> Option<String> {
    let d = Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .ok()?;
    let dp = currency
        .and_then(|c| CurrencyCode::parse(c).ok())
        .map(|c| c.minor_units())
        .unwrap_or(4);
    let r = d.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    Some(if currency.is_some() {
        format!("{r:.prec$}", prec = dp as usize)
    } else {
        r.normalize().to_string()
    })
}

/// The label of an aggregate, e.g. "Sum of Total".
pub fn value_label(def: &AppDef, s: &SummaryDef) -> String {
    use super::definition::Aggregate as A;
    let field = s
        .field
        .as_deref()
        .and_then(|f| def.fields.get(f))
        .map(|f| f.label.clone())
        .unwrap_or_default();
    match s.aggregate {
        A::Count => String::new(),
        A::Sum => format!("Sum of {field}"),
        A::Avg => format!("Average of {field}"),
        A::Min => format!("Lowest {field}"),
        A::Max => format!("Highest {field}"),
    }
}

/// The database grouping of a summary: its group fields (the first date field cut into the
/// summary's bucket), then, for money, the currency field.
fn group_keys(def: &AppDef, s: &SummaryDef) -> (Vec<GroupKey>, Option<String>) {
    let first_date = s
        .group_by
        .iter()
        .find(|g| def.fields.get(*g).map(|f| f.kind) == Some(FieldType::Date));
    let mut groups: Vec<GroupKey> = s
        .group_by
        .iter()
        .map(|g| GroupKey {
            field: g.clone(),
            bucket: s.bucket.filter(|_| first_date == Some(g)).map(store_bucket),
        })
        .collect();
    // Money: one group per currency, never a sum across currencies.
    let currency = s
        .field
        .as_deref()
        .filter(|_| s.aggregate != super::definition::Aggregate::Count)
        .and_then(|f| def.currency_of(f))
        .map(String::from);
    if let Some(c) = &currency {
        groups.push(GroupKey {
            field: c.clone(),
            bucket: None,
        });
    }
    (groups, currency)
}

/// The rollup that keeps a view's summary up to date with every write, when one can: counts,
/// sums and averages, grouped by fields whose stored value is text, under fixed filters that
/// do not depend on who asks. `None`: the summary is always computed over the records.
pub fn rollup_spec(def: &AppDef, view: &str, summary: &str) -> Option<RollupSpec> {
    let s = def.views.get(view)?.summaries.get(summary)?;
    rollup_spec_of(def, view, summary, s)
}

/// [`rollup_spec`] of a summary given whole (the web's totals row makes its own).
fn rollup_spec_of(def: &AppDef, view: &str, summary: &str, s: &SummaryDef) -> Option<RollupSpec> {
    use super::definition::Aggregate as A;
    let v = def.views.get(view)?;
    if !matches!(s.aggregate, A::Count | A::Sum | A::Avg)
        || v.filters.iter().any(|f| f.value == "$me")
        // Through a lookup, a record's membership changes with the target's records and with
        // who reads them: the cells could not follow.
        || v.filters.iter().any(|f| super::lookup_paths::split(&f.field).is_some())
    {
        return None;
    }
    let (groups, _) = group_keys(def, s);
    let text_keys = groups.iter().all(|g| {
        matches!(
            def.fields.get(&g.field).map(|f| f.kind),
            Some(
                FieldType::Text
                    | FieldType::LongText
                    | FieldType::Choice
                    | FieldType::User
                    | FieldType::Currency
                    | FieldType::Date
                    | FieldType::Email
                    | FieldType::Phone
                    | FieldType::Url
            )
        )
    });
    if !text_keys || groups.len() > crate::store::ROLLUP_KEYS {
        return None;
    }
    let field = match s.aggregate {
        A::Count => None,
        _ => Some(s.field.clone()?),
    };
    if field
        .as_ref()
        .is_some_and(|f| !def.fields.get(f).is_some_and(|fd| fd.kind.is_numeric()))
    {
        return None;
    }
    Some(RollupSpec {
        view: view.to_string(),
        summary: summary.to_string(),
        groups,
        field,
        predicates: super::views::static_filter_predicates(def, v),
    })
}

/// Every rollup a definition keeps (stored with each publication).
pub fn rollup_specs(def: &AppDef) -> Vec<RollupSpec> {
    def.views
        .iter()
        .flat_map(|(vn, v)| {
            v.summaries
                .keys()
                .filter_map(move |sn| rollup_spec(def, vn, sn))
        })
        .collect()
}

impl Engine {
    /// Runs one summary of a published view for the actor.
    pub async fn run_summary(
        &self,
        actor: &Actor,
        slug: &str,
        view: &str,
        summary: &str,
        req: &ViewRequest,
    ) -> Result<SummaryPage, EngineError> {
        let app = self.view_for(actor, slug, view).await?;
        self.run_summary_in(app, actor, view, summary, req).await
    }

    /// Runs one summary of a view of the given definition.
    pub async fn run_summary_in(
        &self,
        app: Arc<PublishedApp>,
        actor: &Actor,
        view: &str,
        summary: &str,
        req: &ViewRequest,
    ) -> Result<SummaryPage, EngineError> {
        let def = &app.def;
        let Some(v) = def.views.get(view) else {
            return Err(EngineError::ViewNotFound {
                app: def.slug.clone(),
                view: view.into(),
            });
        };
        let s = v.summaries.get(summary).cloned().ok_or_else(|| {
            let known: Vec<&str> = def.views[view]
                .summaries
                .keys()
                .map(String::as_str)
                .collect();
            EngineError::Precondition(format!(
                "view `{view}` has no summary `{summary}`; it has: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        })?;
        self.run_summary_def(app.clone(), actor, view, summary, &s, req)
            .await
    }

    /// Totals of the view's number and money columns over everything the request selects (not
    /// just the page): one sum per column, per currency for money.
    pub async fn view_totals(
        &self,
        app: Arc<PublishedApp>,
        actor: &Actor,
        view: &str,
        req: &ViewRequest,
    ) -> Result<Vec<(String, Vec<SummaryGroup>)>, EngineError> {
        let columns: Vec<String> = app
            .def
            .views
            .get(view)
            .map(|v| v.columns.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        for c in columns {
            let numeric = app.def.fields.get(&c).is_some_and(|f| f.kind.is_numeric());
            // Totals per currency, and sums in each record's own currency, do not add up across
            // records (a view summary refuses them too).
            if !numeric || super::lines::unsummable(&app.def, &c) {
                continue;
            }
            let s = SummaryDef {
                title: String::new(),
                aggregate: super::definition::Aggregate::Sum,
                field: Some(c.clone()),
                group_by: vec![],
                bucket: None,
                chart: super::definition::Chart::None,
            };
            let page = self
                .run_summary_def(app.clone(), actor, view, "totals", &s, req)
                .await?;
            // Records without an amount have nothing to add.
            let groups = page
                .groups
                .into_iter()
                .filter(|g| g.value.is_some())
                .collect();
            out.push((c, groups));
        }
        Ok(out)
    }

    async fn run_summary_def(
        &self,
        app: Arc<PublishedApp>,
        actor: &Actor,
        view: &str,
        summary: &str,
        s: &SummaryDef,
        req: &ViewRequest,
    ) -> Result<SummaryPage, EngineError> {
        let built = self.view_query(&app, actor, view, req).await?;
        let def = &app.def;
        let (groups, currency) = group_keys(def, s);
        let groups_fields: Vec<String> = groups.iter().map(|g| g.field.clone()).collect();
        let mut key_labels: Vec<String> = groups
            .iter()
            .map(|g| {
                let label = def
                    .fields
                    .get(&g.field)
                    .map(|f| f.label.clone())
                    .unwrap_or_default();
                match (s.bucket, g.bucket.is_some()) {
                    (Some(b), true) => format!("{label} ({})", format!("{b:?}").to_lowercase()),
                    _ => label,
                }
            })
            .collect();
        // A converted field holds one currency, the home one: it is the group's last key, as
        // a money field's currency is.
        let home = match s.field.as_deref().and_then(|f| def.fields.get(f)) {
            Some(f)
                if f.kind == FieldType::Converted
                    && s.aggregate != super::definition::Aggregate::Count =>
            {
                self.home_currency().await?.map(|c| c.code().to_string())
            }
            _ => None,
        };
        if home.is_some() {
            key_labels.push("Currency".into());
        }
        let mut records = built.query;
        records.sort.clear();
        // Without parameters or a search, a summary with a rollup reads its cells.
        let rollup = match rollup_spec_of(def, view, summary, s) {
            Some(spec)
                if built.applied.is_empty()
                    && records.search.is_none()
                    && records.predicates == spec.predicates =>
            {
                self.store().rollup_for(app.id, &spec).await?
            }
            _ => None,
        };
        let (rows, cut) = match rollup {
            Some(id) => {
                self.store()
                    .summarize_rollup(
                        id,
                        &records,
                        groups.len(),
                        store_aggregate(s.aggregate),
                        MAX_GROUPS,
                    )
                    .await?
            }
            None => {
                self.store()
                    .summarize(&SummaryQuery {
                        records,
                        groups,
                        aggregate: store_aggregate(s.aggregate),
                        field: s.field.clone(),
                        max_groups: MAX_GROUPS,
                    })
                    .await?
            }
        };
        // A lookup's groups are its ids: shown as the titles the actor may see.
        let lookup_keys: Vec<Option<&super::definition::FieldDef>> = groups_fields
            .iter()
            .map(|g| def.fields.get(g).filter(|f| f.kind == FieldType::Lookup))
            .collect();
        let titles = if lookup_keys.iter().any(Option::is_some) {
            let data: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    for (i, f) in lookup_keys.iter().enumerate() {
                        let id = r
                            .keys
                            .get(i)
                            .cloned()
                            .flatten()
                            .and_then(|k| k.parse::<i64>().ok());
                        if let (Some(_), Some(id)) = (f, id) {
                            m.insert(groups_fields[i].clone(), id.into());
                        }
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            self.lookup_titles(actor, def, data.iter()).await?
        } else {
            Default::default()
        };
        let groups = rows
            .into_iter()
            .filter(|r| r.count > 0)
            .map(|r| {
                let cur = currency
                    .as_ref()
                    .and_then(|_| r.keys.last().cloned().flatten())
                    .or_else(|| home.clone());
                let mut keys: Vec<String> = r
                    .keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let k = k.clone().filter(|k| !k.is_empty());
                        match (lookup_keys.get(i).copied().flatten(), &k) {
                            (Some(f), Some(id)) => match id.parse::<i64>() {
                                Ok(n) => {
                                    let t = titles.show(f, &n.into()).unwrap_or_default();
                                    format!("{t} (#{n})")
                                }
                                Err(_) => id.clone(),
                            },
                            _ => k.unwrap_or_else(|| "(empty)".into()),
                        }
                    })
                    .collect();
                keys.extend(home.clone());
                SummaryGroup {
                    value: r.value.as_deref().and_then(|v| rounded(v, cur.as_deref())),
                    keys,
                    count: r.count.max(0) as u64,
                    currency: cur,
                }
            })
            .collect();
        Ok(SummaryPage {
            name: summary.to_string(),
            value_label: value_label(def, s),
            def: s.clone(),
            key_labels,
            groups,
            cut,
        })
    }

    /// Builds the summary rollups of every published app that are missing or out of date (a
    /// database restored from a backup, or upgraded to a Formwork that keeps rollups); the rest
    /// are left as they are. Run at start-up, with the substring index's own pass.
    pub async fn sync_summary_rollups(&self) -> Result<(), EngineError> {
        for app in self.catalog().apps().await? {
            let started = std::time::Instant::now();
            let built = self
                .store()
                .sync_rollups(app.id, &rollup_specs(&app.def))
                .await?;
            if built > 0 {
                tracing::info!(
                    app = app.def.slug,
                    built,
                    took_ms = started.elapsed().as_millis() as u64,
                    "built summary rollups"
                );
            }
        }
        self.sync_substring_index().await?;
        // Read again on first use: an app published by another process right after start-up
        // is then seen at once, as without this pass.
        self.catalog().invalidate();
        Ok(())
    }

    /// Fills the substring index and the line index, and registers the key columns (filled in
    /// the background), of every published app whose filtered fields and line columns they
    /// lack (a database restored from a backup, which leaves them out, or upgraded to a
    /// Formwork that keeps them). Part of the start-up pass above.
    async fn sync_substring_index(&self) -> Result<(), EngineError> {
        for app in self.catalog().apps().await? {
            let wanted = super::catalog::substring_fields(&app.def);
            if !wanted.is_empty() {
                self.store().ensure_trigram_index().await?;
            }
            let text_fields = super::catalog::text_fields(&app.def);
            let filled = self
                .store()
                .sync_texts(app.id, &wanted, &text_fields)
                .await?;
            if filled > 0 {
                tracing::info!(app = app.def.slug, filled, "filled the substring index");
            }
            let filled = self
                .store()
                .sync_line_index(
                    app.id,
                    &app.line_index,
                    &super::line_filters::filterable_columns(&app.def),
                )
                .await?;
            if filled > 0 {
                tracing::info!(app = app.def.slug, filled, "filled the line index");
            }
            let key_fields: Vec<String> = app.keys.iter().map(|(f, _)| f.clone()).collect();
            let registered = self.store().sync_keys(app.id, &key_fields).await?;
            if registered > 0 {
                tracing::info!(app = app.def.slug, registered, "registered key columns");
            }
            // Columns a publication or this pass registered, or a fill a stopped process left
            // unfinished: filled while the server serves (counts read the data until then).
            self.store().fill_keys_in_background(app.id);
        }
        Ok(())
    }

    /// Every summary of a view, for the web page under the table.
    pub async fn run_summaries(
        &self,
        app: Arc<PublishedApp>,
        actor: &Actor,
        view: &str,
        req: &ViewRequest,
    ) -> Result<Vec<SummaryPage>, EngineError> {
        let names: Vec<String> = app
            .def
            .views
            .get(view)
            .map(|v| v.summaries.keys().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            out.push(
                self.run_summary_in(app.clone(), actor, view, &n, req)
                    .await?,
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn money_rounds_to_its_minor_units_and_numbers_stay_exact() {
        assert_eq!(rounded("10.005", Some("EUR")).as_deref(), Some("10.01"));
        assert_eq!(rounded("1234.5", Some("JPY")).as_deref(), Some("1235"));
        assert_eq!(
            rounded("0.30000000000000004", Some("USD")).as_deref(),
            Some("0.30")
        );
        assert_eq!(rounded("2.50", None).as_deref(), Some("2.5"));
        assert_eq!(rounded("1e3", None).as_deref(), Some("1000"));
        assert_eq!(rounded("abc", None), None);
    }
}
