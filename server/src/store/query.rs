//! View queries as SQL: typed predicates over the JSON `data` column, evaluated in the database.
//! Field names reaching this module are identifiers checked by the engine (`[a-z][a-z0-9_]*`);
//! every value is a bound parameter.
use super::{Dialect, Store};
use sea_orm::Value;

/// How a field's stored JSON value compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ValueKind {
    /// Strings, dates (ISO 8601 sorts as text), choices, currencies.
    Text,
    /// Money and numbers, stored as decimal strings; compared numerically.
    Number,
    /// Attachment ids and other integers.
    Integer,
    /// Yes/no, stored as JSON booleans; compared with "1" or "0".
    Boolean,
}

/// Comparison operator of a predicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PredicateOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    IsSet,
    /// The field holds a JSON array with at least one of the values of `value`, itself a JSON
    /// array of strings.
    ContainsAny,
    /// `field` is `<lines>.<column>`: the lines field holds a line whose column equals `value`,
    /// the JSON of the value as a line stores it.
    HasLine,
}

/// One `field op value` condition.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Predicate {
    pub field: String,
    pub kind: ValueKind,
    pub op: PredicateOp,
    pub value: String,
    /// Set when `field` is a looked-up field (`lookup.field`): the condition holds for the
    /// records whose lookup refers to a target record that meets it. Never stored (a summary
    /// rollup is not kept for a view that filters through a lookup).
    #[serde(skip)]
    pub via: Option<Box<Via>>,
    /// Set by the engine for a `Contains` on a field the app keeps in its substring index (a
    /// text field one of its published views filters with `contains`): a needle of
    /// [`TRIGRAM_MIN_CHARS`] or more is answered from the field's distinct values found by
    /// trigram (`texts.rs`), a shorter one by the scan. On a `HasLine`, whether the app keeps the
    /// line column in its line index (`line_index.rs`; SQLite). Never stored.
    #[serde(skip)]
    pub indexed: bool,
    /// Set by the engine for an equality or an indexed `contains` on a text field whose values
    /// the app keeps in a key column (`key1`…`key4`, PostgreSQL; `keys.rs`): the page's count
    /// reads that column's index alone. Never stored.
    #[serde(skip)]
    pub key: Option<u8>,
}

/// What the store reads ahead of a page's statement for one predicate, so the statement takes the
/// form that is cheap for the data at hand (`Store::read_ahead`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) enum Ahead {
    /// Nothing read: the predicate is written as it stands.
    #[default]
    Nothing,
    /// The values a substring predicate matches, when there are few (`texts.rs`): named in the
    /// statement, each answered like an equality.
    Values(Vec<String>),
    /// A line-index predicate whose value many records hold (`line_index.rs`): tested on each
    /// record the page walks, one probe of the index, rather than listing every record that
    /// holds it.
    Common,
}

/// The shortest needle a trigram index can answer.
pub const TRIGRAM_MIN_CHARS: usize = 3;

/// How a looked-up field is reached: the lookup field holding a target record's id, the target
/// field compared, and the target records the reader may read.
#[derive(Debug, Clone, PartialEq)]
pub struct Via {
    /// The filtered app's lookup field.
    pub lookup: String,
    /// The target app's field the condition compares.
    pub field: String,
    /// One query per way the reader may list the target's records (its app, row scope and fixed
    /// filters); a target record counts when it matches one of them. None: no record counts.
    pub readable: Vec<RecordQuery>,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub field: String,
    pub kind: ValueKind,
    pub desc: bool,
}

/// Records owned by the people who report to `roots` (the actor, and anyone they stand in for
/// today): directly, or at any depth with `all_levels`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamFilter {
    pub roots: Vec<i64>,
    pub all_levels: bool,
}

/// A page of one app's records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordQuery {
    pub app_id: i64,
    /// Row scope: only records owned by one of these users (none at all when empty); every
    /// record when `None`.
    pub owners: Option<Vec<i64>>,
    /// Row scope by reporting lines: only records owned by the reports of these people.
    pub team: Option<TeamFilter>,
    pub predicates: Vec<Predicate>,
    /// Case-insensitive text search over these fields.
    pub search: Option<(Vec<String>, String)>,
    pub sort: Vec<SortKey>,
    pub offset: u64,
    pub limit: u64,
}

impl Dialect {
    /// SQL for a field's value, in the exact shape the publish-time indexes use.
    pub fn field_expr(self, field: &str, kind: ValueKind) -> String {
        match (self, kind) {
            (Dialect::Sqlite, ValueKind::Text | ValueKind::Integer) => {
                format!("json_extract(data, '$.{field}')")
            }
            (Dialect::Sqlite, ValueKind::Number) => {
                format!("CAST(json_extract(data, '$.{field}') AS NUMERIC)")
            }
            (Dialect::Postgres, ValueKind::Text) => format!("(data->>'{field}')"),
            (Dialect::Postgres, ValueKind::Number) => format!("((data->>'{field}')::numeric)"),
            (Dialect::Postgres, ValueKind::Integer) => format!("((data->>'{field}')::bigint)"),
            (Dialect::Sqlite, ValueKind::Boolean) => format!("json_extract(data, '$.{field}')"),
            (Dialect::Postgres, ValueKind::Boolean) => format!("((data->>'{field}')::boolean)"),
        }
    }

    fn bind(self, kind: ValueKind) -> &'static str {
        match (self, kind) {
            (Dialect::Postgres, ValueKind::Number) => "CAST(? AS NUMERIC)",
            (Dialect::Postgres, ValueKind::Integer) => "CAST(? AS BIGINT)",
            (Dialect::Sqlite, ValueKind::Number) => "CAST(? AS NUMERIC)",
            // A bound text "12" never equals the integer json_extract gives.
            (Dialect::Sqlite, ValueKind::Integer | ValueKind::Boolean) => "CAST(? AS INTEGER)",
            (Dialect::Postgres, ValueKind::Boolean) => "CAST(? AS BOOLEAN)",
            _ => "?",
        }
    }

    fn like(self) -> &'static str {
        match self {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }
}

pub(super) fn like_pattern(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// A count's WHERE clause on the key columns, its values, and the (slot, field) pairs it reads.
pub(super) type KeyedWhere = (String, Vec<Value>, Vec<(u8, String)>);

impl RecordQuery {
    /// WHERE clause and its values.
    pub(super) fn where_sql(&self, d: Dialect) -> (String, Vec<Value>) {
        self.where_sql_resolved(d, &[])
    }

    /// [`RecordQuery::where_sql`] with what the store read ahead of the statement
    /// (`ahead[i]` for `predicates[i]`; see [`Ahead`]).
    pub(super) fn where_sql_resolved(&self, d: Dialect, ahead: &[Ahead]) -> (String, Vec<Value>) {
        match self.where_sql_with(d, ahead, false) {
            Some((sql, values)) => (sql, values),
            // Unreachable: only the keyed form gives up.
            None => ("1 = 0".into(), Vec::new()),
        }
    }

    /// The WHERE clause of the page's count on the key columns (`keys.rs`), when every condition
    /// can be read from them: each predicate an equality on a text field with a key column or
    /// an indexed `contains` whose few values were read ahead, none longer than the columns
    /// keep, and no search. With the (slot, field) pairs it relies on. PostgreSQL only.
    pub(super) fn where_sql_keyed(&self, d: Dialect, ahead: &[Ahead]) -> Option<KeyedWhere> {
        if d != Dialect::Postgres || self.search.is_some() || self.predicates.is_empty() {
            return None;
        }
        let mut named: Vec<(u8, String)> = Vec::new();
        for (i, p) in self.predicates.iter().enumerate() {
            let slot = p
                .key
                .filter(|_| p.via.is_none() && p.kind == ValueKind::Text)?;
            let short = |v: &str| v.chars().count() <= super::keys::KEY_MAX_CHARS;
            let fits = match p.op {
                PredicateOp::Eq => short(&p.value),
                PredicateOp::Contains if super::texts::uses_trigrams(p) => match ahead.get(i) {
                    Some(Ahead::Values(found)) => found.iter().all(|v| short(v)),
                    _ => false,
                },
                _ => false,
            };
            if !fits {
                return None;
            }
            if !named.iter().any(|(s, _)| *s == slot) {
                named.push((slot, p.field.clone()));
            }
        }
        let (sql, values) = self.where_sql_with(d, ahead, true)?;
        Some((sql, values, named))
    }

    /// [`RecordQuery::where_sql_resolved`], or with `keyed` each predicate's key column for its
    /// field's value (`None` when a predicate has none).
    fn where_sql_with(
        &self,
        d: Dialect,
        ahead: &[Ahead],
        keyed: bool,
    ) -> Option<(String, Vec<Value>)> {
        let mut sql = String::from("app_id = ?");
        let mut values: Vec<Value> = vec![self.app_id.into()];
        if let Some(team) = &self.team {
            // The team is read in the same statement (one or two parameters), so the statement's
            // text and plan do not grow with the team: a long list of ids costs PostgreSQL more
            // to plan than to run.
            let marks = vec!["?"; team.roots.len().max(1)].join(", ");
            if team.all_levels {
                sql.push_str(&format!(
                    " AND owner_id IN (WITH RECURSIVE team(id, depth) AS (SELECT id, 1 FROM users WHERE manager_id IN ({marks}) UNION ALL SELECT u.id, team.depth + 1 FROM users u JOIN team ON u.manager_id = team.id WHERE team.depth < {}) SELECT id FROM team)",
                    super::team::MAX_DEPTH
                ));
            } else {
                sql.push_str(&format!(
                    " AND owner_id IN (SELECT id FROM users WHERE manager_id IN ({marks}))"
                ));
            }
            if team.roots.is_empty() {
                values.push(Value::from(None::<i64>));
            }
            values.extend(team.roots.iter().map(|r| Value::from(*r)));
        }
        match self.owners.as_deref() {
            None => {}
            Some([]) => sql.push_str(" AND 1 = 0"),
            Some([owner]) => {
                sql.push_str(" AND owner_id = ?");
                values.push((*owner).into());
            }
            Some(owners) => {
                let marks = vec!["?"; owners.len()].join(", ");
                sql.push_str(&format!(" AND owner_id IN ({marks})"));
                values.extend(owners.iter().map(|o| Value::from(*o)));
            }
        }
        for (i, p) in self.predicates.iter().enumerate() {
            if let Some(via) = &p.via {
                sql.push_str(" AND ");
                sql.push_str(&via_sql(d, p, via, &mut values));
                continue;
            }
            let expr = match (keyed, p.key) {
                (false, _) => d.field_expr(&p.field, p.kind),
                (true, Some(slot)) => format!("key{slot}"),
                (true, None) => return None,
            };
            let bind = d.bind(p.kind);
            let cond = match p.op {
                PredicateOp::Eq => format!("{expr} = {bind}"),
                PredicateOp::Ne => format!("({expr} IS NULL OR {expr} <> {bind})"),
                PredicateOp::Gt => format!("{expr} > {bind}"),
                PredicateOp::Gte => format!("{expr} >= {bind}"),
                PredicateOp::Lt => format!("{expr} < {bind}"),
                PredicateOp::Lte => format!("{expr} <= {bind}"),
                PredicateOp::Contains if super::texts::uses_trigrams(p) => {
                    let found = match ahead.get(i) {
                        Some(Ahead::Values(found)) => Some(found.as_slice()),
                        _ => None,
                    };
                    sql.push_str(" AND ");
                    sql.push_str(&super::texts::substring_sql(
                        d,
                        self.app_id,
                        p,
                        &expr,
                        found,
                        &mut values,
                    ));
                    continue;
                }
                PredicateOp::Contains => format!("{expr} {} ? ESCAPE '\\'", d.like()),
                PredicateOp::IsSet => format!("{expr} IS NOT NULL"),
                PredicateOp::ContainsAny => contains_any(d, &p.field),
                PredicateOp::HasLine if super::line_index::uses_line_index(d, p) => {
                    let common = matches!(ahead.get(i), Some(Ahead::Common));
                    if let Some(cond) =
                        super::line_index::has_line_sql(self.app_id, p, common, &mut values)
                    {
                        sql.push_str(" AND ");
                        sql.push_str(&cond);
                    }
                    continue;
                }
                PredicateOp::HasLine => match has_line(d, p) {
                    Some((cond, value)) => {
                        sql.push_str(" AND ");
                        sql.push_str(&cond);
                        values.push(value.into());
                        continue;
                    }
                    // Not a line path: the engine never builds one; it matches nothing.
                    None => {
                        sql.push_str(" AND 1 = 0");
                        continue;
                    }
                },
            };
            sql.push_str(" AND ");
            sql.push_str(&cond);
            match p.op {
                PredicateOp::Contains => values.push(like_pattern(&p.value).into()),
                PredicateOp::IsSet => {}
                _ => values.push(p.value.clone().into()),
            }
        }
        if let Some((fields, text)) = &self.search {
            if !fields.is_empty() {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        format!(
                            "{} {} ? ESCAPE '\\'",
                            d.field_expr(f, ValueKind::Text),
                            d.like()
                        )
                    })
                    .collect();
                sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
                for _ in fields {
                    values.push(like_pattern(text).into());
                }
            }
        }
        Some((sql, values))
    }

    pub(super) fn order_sql(&self, d: Dialect) -> String {
        let mut keys: Vec<String> = self
            .sort
            .iter()
            .map(|k| {
                let dir = if k.desc { "DESC" } else { "ASC" };
                format!("{} {dir}", d.field_expr(&k.field, k.kind))
            })
            .collect();
        let last_desc = self.sort.first().map(|k| k.desc).unwrap_or(true);
        keys.push(format!("id {}", if last_desc { "DESC" } else { "ASC" }));
        keys.join(", ")
    }
}

/// "The lookup refers to a target record the reader may read that meets the condition": the
/// lookup's id among the ids of one subquery per readable scope of the target app. The outer
/// `data` is the filtered record's; each subquery reads its own `records` row.
fn via_sql(d: Dialect, p: &Predicate, via: &Via, values: &mut Vec<Value>) -> String {
    if via.readable.is_empty() {
        return "1 = 0".into();
    }
    // The target app keeps its own substring index, for the fields its own views name.
    let inner = Predicate {
        field: via.field.clone(),
        via: None,
        indexed: false,
        // The target app's key columns are not this predicate's.
        key: None,
        ..p.clone()
    };
    let mut parts = Vec::with_capacity(via.readable.len());
    for q in &via.readable {
        let mut q = q.clone();
        q.predicates.push(inner.clone());
        let (w, v) = q.where_sql(d);
        parts.push(format!("SELECT id FROM records WHERE {w}"));
        values.extend(v);
    }
    format!(
        "{} IN ({})",
        d.field_expr(&via.lookup, ValueKind::Integer),
        parts.join(" UNION ALL ")
    )
}

fn kind_tag(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Text => "t",
        ValueKind::Number => "n",
        ValueKind::Integer => "i",
        ValueKind::Boolean => "b",
    }
}

/// "The array in `field` holds one of the bound array's strings", answered in the database:
/// SQLite walks both arrays with `json_each`; PostgreSQL uses `?|`, which a GIN index on the
/// field's array answers (`ensure_array_index`).
fn contains_any(d: Dialect, field: &str) -> String {
    match d {
        Dialect::Sqlite => format!(
            "EXISTS (SELECT 1 FROM json_each(data, '$.{field}') AS m WHERE m.type = 'text' AND m.value IN (SELECT w.value FROM json_each(?) AS w))"
        ),
        Dialect::Postgres => format!(
            "(data->'{field}') ?| ARRAY(SELECT jsonb_array_elements_text(CAST(? AS jsonb)))"
        ),
    }
}

/// "The lines field holds a line whose column equals the value", and the value to bind.
/// SQLite walks the lines with `json_each` (no index reads inside them); PostgreSQL asks whether
/// the array contains `[{"<column>": value}]` with `@>`, which a `jsonb_path_ops` GIN index on
/// the lines field answers (`ensure_lines_index`). The column name goes into the bound value on
/// PostgreSQL and into a path on SQLite: a checked identifier either way.
fn has_line(d: Dialect, p: &Predicate) -> Option<(String, String)> {
    let (field, column) = p.field.split_once('.')?;
    // A null never matches (a line stores an empty column as null).
    let value: serde_json::Value = serde_json::from_str(&p.value)
        .ok()
        .filter(|v: &serde_json::Value| !v.is_null())?;
    match d {
        Dialect::Sqlite => Some((
            format!("EXISTS (SELECT 1 FROM json_each(data, '$.{field}') AS l WHERE json_extract(l.value, '$.{column}') = json_extract(?, '$'))"),
            p.value.clone(),
        )),
        Dialect::Postgres => {
            let probe = serde_json::json!([{ column: value }]);
            Some((
                format!("(data->'{field}') @> CAST(? AS jsonb)"),
                probe.to_string(),
            ))
        }
    }
}

/// An index name for one app: readable when short, hashed when it would pass PostgreSQL's
/// 63-byte identifier limit (which would silently truncate it).
fn index_name(app_id: i64, body: &str) -> String {
    let name = format!("ix_rec_{app_id}_{body}");
    if name.len() <= 60 {
        return name;
    }
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(body.as_bytes()));
    format!("ix_rec_{app_id}_h{}", &h[..16])
}

impl Store {
    /// Creates an expression index for filtering/sorting one field of one app (idempotent);
    /// returns its name. With `owner`, the index leads with the owner so "own records" views
    /// stay index-backed. The value kind is part of the name: a retyped field gets a new index.
    pub async fn ensure_field_index(
        &self,
        app_id: i64,
        field: &str,
        kind: ValueKind,
        owner: bool,
    ) -> super::Result<String> {
        let expr = self.dialect.field_expr(field, kind);
        let k = kind_tag(kind);
        let (name, cols) = if owner {
            (
                index_name(app_id, &format!("o_{field}_{k}")),
                format!("app_id, owner_id, {expr}"),
            )
        } else {
            (
                index_name(app_id, &format!("{field}_{k}")),
                format!("app_id, {expr}"),
            )
        };
        let sql = format!("CREATE INDEX IF NOT EXISTS {name} ON records ({cols})");
        self.exec(&sql, vec![]).await?;
        Ok(name)
    }

    /// An index over a field of another app (`target_app_id`) that app `app_id`'s views filter
    /// on through a lookup; returns its name. It is named after `app_id`, so it lives and is
    /// dropped with the views that need it, whatever the target app's own views use.
    pub async fn ensure_target_index(
        &self,
        app_id: i64,
        target_app_id: i64,
        field: &str,
        kind: ValueKind,
    ) -> super::Result<String> {
        let expr = self.dialect.field_expr(field, kind);
        let name = index_name(
            app_id,
            &format!("x{target_app_id}_{field}_{}", kind_tag(kind)),
        );
        let sql = format!("CREATE INDEX IF NOT EXISTS {name} ON records (app_id, {expr})");
        self.exec(&sql, vec![]).await?;
        Ok(name)
    }

    /// On PostgreSQL, a GIN index over a field that holds an array (a multichoice field), which
    /// answers "contains any" (`?|`) filters; returns its name. SQLite has no index that reads
    /// inside JSON arrays, so there is none to create there.
    pub async fn ensure_array_index(
        &self,
        app_id: i64,
        field: &str,
    ) -> super::Result<Option<String>> {
        if self.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let name = index_name(app_id, &format!("{field}_g"));
        let sql =
            format!("CREATE INDEX IF NOT EXISTS {name} ON records USING gin ((data->'{field}'))");
        self.exec(&sql, vec![]).await?;
        Ok(Some(name))
    }

    /// On PostgreSQL, a GIN index (`jsonb_path_ops`) over a lines field, which answers "has a
    /// line whose column equals" filters (`@>`); returns its name. SQLite has none to create.
    pub async fn ensure_lines_index(
        &self,
        app_id: i64,
        field: &str,
    ) -> super::Result<Option<String>> {
        if self.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let name = index_name(app_id, &format!("{field}_lp"));
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS {name} ON records USING gin ((data->'{field}') jsonb_path_ops)"
        );
        self.exec(&sql, vec![]).await?;
        Ok(Some(name))
    }

    /// An index on two fields of one app (after the owner with `owner`), for "the first equals
    /// X" filters followed by the second; returns its name.
    pub async fn ensure_pair_index(
        &self,
        app_id: i64,
        first: (&str, ValueKind),
        second: (&str, ValueKind),
        owner: bool,
    ) -> super::Result<String> {
        self.ensure_composite_index(app_id, &[first, second], owner)
            .await
    }

    /// An index on several fields of one app in the order given (after the owner with `owner`):
    /// equality filters first, then the field a page is sorted or checked by; returns its name.
    pub async fn ensure_composite_index(
        &self,
        app_id: i64,
        keys: &[(&str, ValueKind)],
        owner: bool,
    ) -> super::Result<String> {
        let exprs: Vec<String> = keys
            .iter()
            .map(|(f, k)| self.dialect.field_expr(f, *k))
            .collect();
        let o = if owner { "owner_id, " } else { "" };
        let tag = if owner { "o_" } else { "" };
        let fields: Vec<&str> = keys.iter().map(|(f, _)| *f).collect();
        let kinds: String = keys.iter().map(|(_, k)| kind_tag(*k)).collect();
        let name = index_name(app_id, &format!("{tag}{}_{kinds}", fields.join("__")));
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS {name} ON records (app_id, {o}{})",
            exprs.join(", ")
        );
        self.exec(&sql, vec![]).await?;
        Ok(name)
    }

    /// An index holding everything a summary reads — its grouping fields, the currency and the
    /// aggregated value — after the app (and the owner, for own-records views), so the database
    /// can group one person's records from the index alone; returns its name.
    pub async fn ensure_summary_index(
        &self,
        app_id: i64,
        owner: bool,
        keys: &[&str],
        value: Option<&str>,
    ) -> super::Result<String> {
        let mut cols = vec!["app_id".to_string()];
        if owner {
            cols.push("owner_id".into());
        }
        cols.extend(
            keys.iter()
                .map(|k| self.dialect.field_expr(k, ValueKind::Text)),
        );
        if let Some(v) = value {
            cols.push(self.dialect.field_expr(v, ValueKind::Number));
        }
        let tag = if owner { "o_" } else { "" };
        let name = index_name(
            app_id,
            &format!("s_{tag}{}_{}", keys.join("_"), value.unwrap_or("n")),
        );
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS {name} ON records ({})",
            cols.join(", ")
        );
        self.exec(&sql, vec![]).await?;
        Ok(name)
    }

    /// Drops the app's expression indexes that are not in `keep` (fields renamed, removed,
    /// retyped or no longer filtered on); returns the names dropped.
    pub async fn drop_app_indexes_except(
        &self,
        app_id: i64,
        keep: &[String],
    ) -> super::Result<Vec<String>> {
        let sql = match self.dialect {
            Dialect::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'"
            }
            Dialect::Postgres => {
                "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'records' AND schemaname = current_schema()"
            }
        };
        let prefix = format!("ix_rec_{app_id}_");
        let mut dropped = Vec::new();
        for r in self.all(sql, vec![]).await? {
            let name: String = super::get(&r, "name")?;
            if name.starts_with(&prefix)
                && !keep.contains(&name)
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.exec(&format!("DROP INDEX IF EXISTS {name}"), vec![])
                    .await?;
                dropped.push(name);
            }
        }
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off"), "%50\\%\\_off%");
    }

    #[test]
    fn predicates_bind_values_not_text() {
        let q = RecordQuery {
            app_id: 1,
            owners: Some(vec![2]),
            predicates: vec![Predicate {
                field: "status".into(),
                kind: ValueKind::Text,
                op: PredicateOp::Eq,
                value: "x' OR 1=1 --".into(),
                via: None,
                indexed: false,
                key: None,
            }],
            ..Default::default()
        };
        let (sql, values) = q.where_sql(Dialect::Postgres);
        assert_eq!(sql, "app_id = ? AND owner_id = ? AND (data->>'status') = ?");
        assert_eq!(values.len(), 3);
    }

    fn supplier_contains(needle: &str, indexed: bool) -> RecordQuery {
        RecordQuery {
            app_id: 7,
            owners: Some(vec![2]),
            predicates: vec![Predicate {
                field: "supplier".into(),
                kind: ValueKind::Text,
                op: PredicateOp::Contains,
                value: needle.into(),
                via: None,
                indexed,
                key: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn an_indexed_contains_reads_the_fields_values_by_trigram_on_sqlite() {
        let (sql, values) = supplier_contains("inn", true).where_sql(Dialect::Sqlite);
        assert_eq!(
            sql,
            "app_id = ? AND owner_id = ? AND json_extract(data, '$.supplier') IN (SELECT +t.value AS value FROM record_texts t WHERE t.id IN (SELECT rowid FROM record_texts_fts WHERE record_texts_fts MATCH ?) AND t.app_id = ? AND t.field = ? AND t.value LIKE ? ESCAPE '\\')"
        );
        assert_eq!(
            values,
            vec![
                Value::from(7i64),
                Value::from(2i64),
                Value::from("\"inn\"".to_string()),
                Value::from(7i64),
                Value::from("supplier".to_string()),
                Value::from("%inn%".to_string()),
            ]
        );
    }

    #[test]
    fn an_indexed_contains_checks_the_values_with_ilike_on_postgres() {
        let (sql, values) = supplier_contains("inn", true).where_sql(Dialect::Postgres);
        assert_eq!(
            sql,
            "app_id = ? AND owner_id = ? AND (data->>'supplier') IN (SELECT t.value AS value FROM record_texts t WHERE t.app_id = ? AND t.field = ? AND t.value ILIKE ? ESCAPE '\\')"
        );
        assert_eq!(values.len(), 5);
        assert_eq!(values[4], Value::from("%inn%".to_string()));
    }

    #[test]
    fn values_read_ahead_are_named_in_the_statement() {
        let q = supplier_contains("inn", true);
        let one = [Ahead::Values(vec!["Premier Inn".to_string()])];
        let (sql, values) = q.where_sql_resolved(Dialect::Sqlite, &one);
        assert!(
            sql.ends_with("AND json_extract(data, '$.supplier') = ?"),
            "{sql}"
        );
        assert_eq!(values[2], Value::from("Premier Inn".to_string()));
        let two = [Ahead::Values(vec![
            "Inn A".to_string(),
            "Inn B".to_string(),
        ])];
        let (sql, values) = q.where_sql_resolved(Dialect::Postgres, &two);
        assert!(sql.ends_with("(data->>'supplier') IN (?, ?)"), "{sql}");
        assert_eq!(values.len(), 4);
        let (sql, values) = q.where_sql_resolved(Dialect::Sqlite, &[Ahead::Values(vec![])]);
        assert!(sql.ends_with("AND 1 = 0"), "{sql}");
        assert_eq!(values.len(), 2);
        // Too many to name: the subquery.
        let (sql, _) = q.where_sql_resolved(Dialect::Sqlite, &[Ahead::Nothing]);
        assert!(sql.contains("record_texts_fts MATCH ?"), "{sql}");
    }

    #[test]
    fn needles_shorter_than_a_trigram_are_scanned() {
        for needle in ["in", "ü", "a_"] {
            for d in [Dialect::Sqlite, Dialect::Postgres] {
                let (sql, values) = supplier_contains(needle, true).where_sql(d);
                assert!(!sql.contains("record_texts"), "{needle}: {sql}");
                assert!(sql.ends_with("LIKE ? ESCAPE '\\'"), "{sql}");
                assert_eq!(values.len(), 3);
            }
        }
        // Three characters, not three bytes: "äöü" is six bytes.
        let (sql, _) = supplier_contains("äöü", true).where_sql(Dialect::Sqlite);
        assert!(sql.contains("record_texts_fts"), "{sql}");
        let (sql, _) = supplier_contains("ab", true).where_sql(Dialect::Sqlite);
        assert!(!sql.contains("record_texts_fts"), "{sql}");
    }

    #[test]
    fn a_contains_the_app_does_not_index_is_scanned() {
        let (sql, _) = supplier_contains("inn", false).where_sql(Dialect::Sqlite);
        assert!(sql.ends_with("json_extract(data, '$.supplier') LIKE ? ESCAPE '\\'"));
    }

    #[test]
    fn needles_are_bound_with_quotes_and_wildcards_literal() {
        let (sql, values) = supplier_contains("O\"R'%_", true).where_sql(Dialect::Sqlite);
        assert!(!sql.contains("O\""), "{sql}");
        assert_eq!(values[2], Value::from("\"O\"\"R'%_\"".to_string()));
        assert_eq!(values[5], Value::from("%O\"R'\\%\\_%".to_string()));
    }

    #[test]
    fn line_filters_bind_the_value() {
        let q = RecordQuery {
            app_id: 1,
            predicates: vec![Predicate {
                field: "items.category".into(),
                kind: ValueKind::Text,
                op: PredicateOp::HasLine,
                value: "\"Lodging' OR 1=1\"".into(),
                via: None,
                indexed: false,
                key: None,
            }],
            ..Default::default()
        };
        let (sql, values) = q.where_sql(Dialect::Postgres);
        assert_eq!(sql, "app_id = ? AND (data->'items') @> CAST(? AS jsonb)");
        assert_eq!(
            values[1],
            Value::from(r#"[{"category":"Lodging' OR 1=1"}]"#.to_string())
        );
        let (sql, values) = q.where_sql(Dialect::Sqlite);
        assert!(sql.contains("json_each(data, '$.items')"), "{sql}");
        assert!(!sql.contains("Lodging"), "{sql}");
        assert_eq!(values.len(), 2);
    }
}
