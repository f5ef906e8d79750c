//! Running a view: typed parameters become database predicates; row scope comes from the view's
//! grant; paging returns a total count.
use super::catalog::value_kind;
use super::definition::{FieldType, FilterOp, Scope, ViewDef};
use super::value::{parse_field, Raw};
use super::{Actor, Engine, EngineError, FieldError, PublishedApp};
use crate::store::{Predicate, PredicateOp, RecordQuery, RecordRow, SortKey};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a surface asks of a view.
#[derive(Debug, Clone, Default)]
pub struct ViewRequest {
    pub params: BTreeMap<String, Raw>,
    /// Quick search over the view's text columns.
    pub search: Option<String>,
    /// A column to sort by, `-column` for descending; the view's own sort when absent.
    pub sort: Option<String>,
    pub offset: u64,
    /// Page size; the view's `per_page` when absent.
    pub limit: Option<u64>,
    /// The rows go into an MCP tool result: when the view's data format is View Columns, they
    /// are shown as its columns only, so they may hold only the data keys those columns are
    /// displayed from (`view_columns::column_keys`).
    pub for_mcp: bool,
}

/// One page of a view.
pub struct ViewPage {
    pub app: Arc<PublishedApp>,
    pub view: String,
    pub rows: Vec<RecordRow>,
    /// How many records match; a lower bound when `total_exact` is false (counting stops
    /// `store::COUNT_AHEAD` records past this page, so a view over many records stays cheap).
    pub total: u64,
    pub total_exact: bool,
    pub offset: u64,
    pub limit: u64,
    /// The parameters as applied (normalised), for echoing back.
    pub applied: BTreeMap<String, String>,
    pub sort: Option<String>,
}

impl ViewPage {
    pub fn def(&self) -> &ViewDef {
        // The page was built from this view, so it exists.
        &self.app.def.views[self.view.as_str()]
    }
}

/// The largest page any surface may ask for.
pub const MAX_LIMIT: u64 = 500;

/// The largest offset a view may start at: far past any real table, and well inside the signed
/// 64-bit offsets SQL takes (a larger one would fail in the database).
pub const MAX_OFFSET: u64 = 1 << 40;

impl Engine {
    /// Views of an app that the actor may open.
    pub fn views_for<'a>(
        &self,
        app: &'a PublishedApp,
        actor: &Actor,
    ) -> Vec<(&'a String, &'a ViewDef)> {
        app.def
            .views
            .iter()
            .filter(|(_, v)| actor.has_any(&v.roles))
            .collect()
    }

    /// Looks up a published app and one of its views the actor may open.
    pub async fn view_for(
        &self,
        actor: &Actor,
        slug: &str,
        view: &str,
    ) -> Result<Arc<PublishedApp>, EngineError> {
        let app = self
            .catalog()
            .app(slug)
            .await?
            .ok_or_else(|| EngineError::AppNotFound(slug.into()))?;
        match app.def.views.get(view) {
            Some(v) if actor.has_any(&v.roles) => Ok(app),
            _ => Err(EngineError::ViewNotFound {
                app: slug.into(),
                view: view.into(),
            }),
        }
    }

    /// Runs a view for the actor.
    pub async fn run_view(
        &self,
        actor: &Actor,
        slug: &str,
        view_name: &str,
        req: &ViewRequest,
    ) -> Result<ViewPage, EngineError> {
        let app = self.view_for(actor, slug, view_name).await?;
        self.run_view_in(app, actor, view_name, req).await
    }

    /// Runs a view of a given definition (the published one, or a draft for the editor's
    /// preview) for the actor, against the stored records.
    pub async fn run_view_in(
        &self,
        app: Arc<PublishedApp>,
        actor: &Actor,
        view_name: &str,
        req: &ViewRequest,
    ) -> Result<ViewPage, EngineError> {
        let built = self.view_query(&app, actor, view_name, req).await?;
        // Decided from the same definition the page is shaped by (`ViewPage::def`).
        let keep = app
            .def
            .views
            .get(view_name)
            .filter(|v| req.for_mcp && v.mcp.format == super::definition::DataFormat::Columns)
            .and_then(|v| super::view_columns::column_keys(&app.def, v));
        let (rows, total) = self
            .store()
            .query_records_keeping(&built.query, keep)
            .await?;
        Ok(ViewPage {
            view: view_name.to_string(),
            rows,
            total: total.n,
            total_exact: total.exact,
            offset: req.offset,
            limit: built.query.limit,
            applied: built.applied,
            sort: built.sort,
            app,
        })
    }

    /// The database query a view request means for the actor: the view's row scope, fixed
    /// filters and parameters (checked and typed), search, sort and page. Summaries run over the
    /// same query, so they count exactly the records the rows come from.
    pub(crate) async fn view_query(
        &self,
        app: &PublishedApp,
        actor: &Actor,
        view_name: &str,
        req: &ViewRequest,
    ) -> Result<BuiltQuery, EngineError> {
        let def = &app.def;
        let Some(view) = def.views.get(view_name).filter(|v| actor.has_any(&v.roles)) else {
            return Err(EngineError::ViewNotFound {
                app: def.slug.clone(),
                view: view_name.into(),
            });
        };
        if req.offset > MAX_OFFSET {
            return Err(EngineError::Invalid(vec![FieldError {
                field: "offset".into(),
                label: "Offset".into(),
                message: format!("must be at most {MAX_OFFSET}"),
            }]));
        }
        let today = self.now().date_naive();
        let mut predicates = Vec::new();
        let mut errors = Vec::new();
        let mut applied = BTreeMap::new();
        for name in req.params.keys() {
            if !view.parameters.contains_key(name) {
                let known: Vec<&str> = view.parameters.keys().map(|s| s.as_str()).collect();
                errors.push(FieldError {
                    field: name.clone(),
                    label: name.clone(),
                    message: format!("unknown parameter; this view takes: {}", known.join(", ")),
                });
            }
        }
        for (name, p) in &view.parameters {
            let Some(field) = app.column_field(&p.field) else {
                // A looked-up field whose target changed since publication.
                errors.push(FieldError {
                    field: name.clone(),
                    label: p.label.clone().unwrap_or_else(|| name.clone()),
                    message: format!(
                        "`{}` cannot be filtered on now: the app it looks up changed; ask an administrator to republish this app",
                        p.field
                    ),
                });
                continue;
            };
            let raw = req.params.get(name);
            let label = p.label.clone().unwrap_or_else(|| field.label.clone());
            let value = match raw {
                None => serde_json::Value::Null,
                Some(raw) => {
                    // A parameter is a filter value, not a stored value: text compares as given.
                    let parsed = if super::line_filters::split(def, &p.field).is_some() {
                        super::line_filters::stored_value(field, raw)
                    } else if field.kind.is_derived() {
                        parse_field(&number_field(), raw, today)
                    } else if field.kind == FieldType::User {
                        Ok(match raw {
                            Raw::Text(s) => serde_json::Value::String(s.trim().into()),
                            Raw::Json(v) => v.clone(),
                        })
                    } else {
                        let mut f = field.clone();
                        f.max = None;
                        f.min = None;
                        parse_field(&f, raw, today)
                    };
                    match parsed {
                        Ok(v) => v,
                        Err(message) => {
                            errors.push(FieldError {
                                field: name.clone(),
                                label,
                                message,
                            });
                            continue;
                        }
                    }
                }
            };
            let text = match &value {
                serde_json::Value::Null => {
                    if p.required {
                        errors.push(FieldError {
                            field: name.clone(),
                            label,
                            message: "this parameter is required".into(),
                        });
                    }
                    continue;
                }
                serde_json::Value::String(s) => s.clone(),
                // Yes/no compares as 1 or 0 (what SQLite reads from JSON and PostgreSQL
                // takes as a boolean); several options go to the database as a JSON array.
                serde_json::Value::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
                other => other.to_string(),
            };
            applied.insert(name.clone(), text.clone());
            if let Some(line) = super::line_filters::split(def, &p.field) {
                predicates.push(super::line_filters::predicate(&line, &value));
                continue;
            }
            predicates.push(Predicate {
                field: p.field.clone(),
                kind: value_kind(field.kind),
                op: predicate_op(p.op),
                value: text,
                via: None,
                indexed: false,
                key: None,
            });
        }
        if !errors.is_empty() {
            return Err(EngineError::Invalid(errors));
        }
        predicates.extend(fixed_filter_predicates(def, view, actor));
        self.attach_vias(app, actor, &mut predicates).await?;
        super::catalog::mark_indexed_predicates(app, &mut predicates);
        let sort_spec: Vec<String> = match &req.sort {
            Some(s) if super::lookup_paths::split(s).is_some() => {
                return Err(EngineError::Invalid(vec![FieldError {
                    field: "sort".into(),
                    label: "Sort".into(),
                    message: format!(
                        "`{}` is a looked-up column; sort by one of the app's own columns",
                        s.trim_start_matches('-')
                    ),
                }]))
            }
            // A place is a column people read, not an order.
            Some(s)
                if def.fields.get(s.trim_start_matches('-')).map(|f| f.kind)
                    == Some(FieldType::Geolocation) =>
            {
                return Err(EngineError::Invalid(vec![FieldError {
                    field: "sort".into(),
                    label: "Sort".into(),
                    message: format!(
                        "`{}` is a geolocation field; places have no order to sort by",
                        s.trim_start_matches('-')
                    ),
                }]));
            }
            // Nor are line items, or a date taken from them.
            Some(s)
                if def
                    .fields
                    .get(s.trim_start_matches('-'))
                    .is_some_and(|f| !super::lines::sortable(def, f)) =>
            {
                return Err(EngineError::Invalid(vec![FieldError {
                    field: "sort".into(),
                    label: "Sort".into(),
                    message: format!(
                        "`{}` holds line items or a date taken from them; it has no order to sort by yet",
                        s.trim_start_matches('-')
                    ),
                }]));
            }
            Some(s) if view.columns.iter().any(|c| c == s.trim_start_matches('-')) => {
                vec![s.clone()]
            }
            Some(s) => {
                return Err(EngineError::Invalid(vec![FieldError {
                    field: "sort".into(),
                    label: "Sort".into(),
                    message: format!("`{s}` is not a column of this view"),
                }]))
            }
            None => view.sort.clone(),
        };
        let sort = sort_spec
            .iter()
            .filter_map(|s| {
                let name = s.trim_start_matches('-');
                def.fields.get(name).map(|fd| SortKey {
                    field: name.to_string(),
                    kind: value_kind(fd.kind),
                    desc: s.starts_with('-'),
                })
            })
            .collect();
        let search = req
            .search
            .as_ref()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                let fields = view
                    .columns
                    .iter()
                    .filter(|c| {
                        matches!(
                            def.fields.get(c.as_str()).map(|f| f.kind),
                            Some(
                                FieldType::Text
                                    | FieldType::LongText
                                    | FieldType::Choice
                                    | FieldType::User
                                    | FieldType::Currency
                            )
                        )
                    })
                    .cloned()
                    .collect();
                (fields, s.chars().take(200).collect::<String>())
            });
        let limit = req
            .limit
            .unwrap_or(view.per_page as u64)
            .clamp(1, MAX_LIMIT);
        let (owners, team) = self.scope_rows(view.scope, actor).await?;
        let query = RecordQuery {
            app_id: app.id,
            owners,
            team,
            predicates,
            search,
            sort,
            offset: req.offset,
            limit,
        };
        Ok(BuiltQuery {
            query,
            applied,
            sort: sort_spec.first().cloned(),
        })
    }
}

impl Engine {
    /// A row scope as the owners (or the team) whose records it reaches for the actor.
    pub(crate) async fn scope_rows(
        &self,
        scope: Scope,
        actor: &Actor,
    ) -> Result<(Option<Vec<i64>>, Option<crate::store::TeamFilter>), EngineError> {
        Ok(match scope {
            Scope::Own => (Some(vec![actor.user_id]), None),
            Scope::All => (None, None),
            team => {
                let reach = self.reach(actor.user_id).await?;
                let filter = crate::store::TeamFilter {
                    roots: reach.roots(actor.user_id),
                    all_levels: team == Scope::AllReports,
                };
                (None, Some(filter))
            }
        })
    }
}

/// A view request turned into a database query.
pub(crate) struct BuiltQuery {
    pub query: RecordQuery,
    /// The parameters as applied (normalised).
    pub applied: BTreeMap<String, String>,
    pub sort: Option<String>,
}

fn number_field() -> super::definition::FieldDef {
    super::definition::FieldDef {
        kind: FieldType::Money,
        label: String::new(),
        help: String::new(),
        required: false,
        max_len: None,
        options: vec![],
        default: None,
        currency_field: None,
        expr: None,
        accept: vec![],
        min: None,
        max: None,
        source: None,
        date_field: None,
        unit: None,
        visible_when: None,
        required_when: None,
        app: None,
        filter: vec![],
        on_delete: None,
        columns: Default::default(),
        min_rows: None,
        max_rows: None,
    }
}

/// A view's fixed filters as database predicates (`$me` is the acting user). The view's query
/// and the read rule (`records.rs`) both use them, so a view lists exactly what it grants reading.
pub(crate) fn fixed_filter_predicates(
    def: &super::definition::AppDef,
    view: &ViewDef,
    actor: &Actor,
) -> Vec<Predicate> {
    filter_predicates(def, view, Some(actor))
}

/// The fixed filters of a view whose filters do not name the person asking (`$me`), as they
/// are for everyone (summary rollups keep them).
pub(crate) fn static_filter_predicates(
    def: &super::definition::AppDef,
    view: &ViewDef,
) -> Vec<Predicate> {
    filter_predicates(def, view, None)
}

fn filter_predicates(
    def: &super::definition::AppDef,
    view: &ViewDef,
    actor: Option<&Actor>,
) -> Vec<Predicate> {
    filters_as_predicates(def, &view.filters, actor)
}

/// A list of fixed filters (a lookup's `filter`) as predicates on `def`'s records.
pub(crate) fn filter_list_predicates(
    def: &super::definition::AppDef,
    filters: &[super::definition::FixedFilter],
    actor: &Actor,
) -> Vec<Predicate> {
    filters_as_predicates(def, filters, Some(actor))
}

fn filters_as_predicates(
    def: &super::definition::AppDef,
    filters: &[super::definition::FixedFilter],
    actor: Option<&Actor>,
) -> Vec<Predicate> {
    filters
        .iter()
        .map(|f| match super::line_filters::split(def, &f.field) {
            Some(line) => line_predicate(&line, f, actor),
            None => field_predicate(def, f, actor),
        })
        .collect()
}

/// A fixed filter on line items: the value as the column stores it (`$me`: the person's
/// username). A value the column refuses (the definition check prevents it) matches nothing.
fn line_predicate(
    line: &super::line_filters::LinePath,
    f: &super::definition::FixedFilter,
    actor: Option<&Actor>,
) -> Predicate {
    let value = if f.value == "$me" {
        serde_json::Value::from(actor.map(|a| a.username.clone()).unwrap_or_default())
    } else {
        line.column_def
            .and_then(|c| super::line_filters::stored_value(c, &Raw::Text(f.value.clone())).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    super::line_filters::predicate(line, &value)
}

fn field_predicate(
    def: &super::definition::AppDef,
    f: &super::definition::FixedFilter,
    actor: Option<&Actor>,
) -> Predicate {
    Predicate {
        field: f.field.clone(),
        kind: def
            .fields
            .get(&f.field)
            .map(|fd| value_kind(fd.kind))
            .unwrap_or(crate::store::ValueKind::Text),
        op: predicate_op(f.op),
        value: if f.value == "$me" {
            actor.map(|a| a.username.clone()).unwrap_or_default()
        } else {
            filter_value(def, f)
        },
        via: None,
        indexed: false,
        key: None,
    }
}

/// A fixed filter's value as the database compares it: yes/no as 1 or 0, and "contains any"
/// options (written comma-separated in the definition) as a JSON array.
fn filter_value(def: &super::definition::AppDef, f: &super::definition::FixedFilter) -> String {
    if f.op == FilterOp::ContainsAny {
        let items: Vec<&str> = f.value.split(',').map(str::trim).collect();
        return serde_json::Value::from(items).to_string();
    }
    let yesno = def.fields.get(&f.field).map(|d| d.kind) == Some(FieldType::YesNo);
    match super::field_types::parse_yesno(&Raw::Text(f.value.clone())) {
        Ok(serde_json::Value::Bool(b)) if yesno => (if b { "1" } else { "0" }).to_string(),
        _ => f.value.clone(),
    }
}

fn predicate_op(op: FilterOp) -> PredicateOp {
    match op {
        FilterOp::Eq => PredicateOp::Eq,
        FilterOp::Ne => PredicateOp::Ne,
        FilterOp::Gt => PredicateOp::Gt,
        FilterOp::Gte => PredicateOp::Gte,
        FilterOp::Lt => PredicateOp::Lt,
        FilterOp::Lte => PredicateOp::Lte,
        FilterOp::Contains => PredicateOp::Contains,
        FilterOp::ContainsAny => PredicateOp::ContainsAny,
    }
}
