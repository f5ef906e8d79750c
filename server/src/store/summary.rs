//! View summaries as SQL: `GROUP BY` over the same filtered, row-scoped set a view returns,
//! computed in the database; values come back as decimal text, never as floats rounded here.
use super::query::{RecordQuery, ValueKind};
use super::{get, Dialect, Result, Store};

/// A date bucket for grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DateBucket {
    Day,
    /// Labelled by the week's Monday.
    Week,
    Month,
    Quarter,
    Year,
}

/// One grouping key: a field, or a date field cut into buckets.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupKey {
    pub field: String,
    pub bucket: Option<DateBucket>,
}

/// What is computed per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// A summary of the records a query selects.
#[derive(Debug, Clone)]
pub struct SummaryQuery {
    pub records: RecordQuery,
    pub groups: Vec<GroupKey>,
    pub aggregate: Aggregate,
    /// The number or money field aggregated (not for `Count`).
    pub field: Option<String>,
    /// At most this many groups come back (one more is read to tell that some were cut).
    pub max_groups: u64,
}

/// One group: its keys (as stored text, `None` when the field is empty), how many records, and
/// the aggregate as decimal text.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub keys: Vec<Option<String>>,
    pub count: i64,
    pub value: Option<String>,
}

pub(super) fn group_expr(d: Dialect, g: &GroupKey) -> String {
    let x = d.field_expr(&g.field, ValueKind::Text);
    match (g.bucket, d) {
        (None, _) => x,
        (Some(DateBucket::Day), _) => format!("substr({x}, 1, 10)"),
        (Some(DateBucket::Month), _) => format!("substr({x}, 1, 7)"),
        (Some(DateBucket::Year), _) => format!("substr({x}, 1, 4)"),
        (Some(DateBucket::Quarter), _) => format!(
            "(substr({x}, 1, 4) || '-Q' || CAST((CAST(substr({x}, 6, 2) AS INTEGER) + 2) / 3 AS TEXT))"
        ),
        (Some(DateBucket::Week), Dialect::Sqlite) => format!("date({x}, 'weekday 0', '-6 days')"),
        (Some(DateBucket::Week), Dialect::Postgres) => {
            format!("to_char(date_trunc('week', CAST({x} AS date)), 'YYYY-MM-DD')")
        }
    }
}

impl Store {
    /// Groups and aggregates in one statement; returns the groups in key order and whether more
    /// groups than `max_groups` matched.
    pub async fn summarize(&self, q: &SummaryQuery) -> Result<(Vec<SummaryRow>, bool)> {
        let d = self.dialect;
        let (where_sql, values) = q.records.where_sql(d);
        // Grouped by the expression itself (the one the summary index holds); read as text,
        // since SQLite's json_extract gives numbers (a lookup's id, a whole number) as such.
        let exprs: Vec<String> = q.groups.iter().map(|g| group_expr(d, g)).collect();
        let keys: Vec<String> = exprs
            .iter()
            .enumerate()
            .map(|(i, x)| match d {
                Dialect::Sqlite => format!("CAST({x} AS TEXT) AS k{i}"),
                Dialect::Postgres => format!("{x} AS k{i}"),
            })
            .collect();
        let value = match (q.aggregate, &q.field) {
            (Aggregate::Count, _) | (_, None) => "NULL".to_string(),
            (agg, Some(f)) => {
                let x = d.field_expr(f, ValueKind::Number);
                let f = match agg {
                    Aggregate::Sum => "SUM",
                    Aggregate::Avg => "AVG",
                    Aggregate::Min => "MIN",
                    Aggregate::Max => "MAX",
                    Aggregate::Count => "COUNT",
                };
                format!("CAST({f}({x}) AS TEXT)")
            }
        };
        let mut select = keys.clone();
        select.push("COUNT(*) AS n".into());
        select.push(format!("{value} AS v"));
        let group_cols: Vec<String> = (0..keys.len()).map(|i| format!("k{i}")).collect();
        let mut sql = format!(
            "SELECT {} FROM records WHERE {where_sql}",
            select.join(", ")
        );
        if !group_cols.is_empty() {
            let by = match d {
                Dialect::Sqlite => exprs.join(", "),
                Dialect::Postgres => group_cols.join(", "),
            };
            sql.push_str(&format!(" GROUP BY {by} ORDER BY {by}"));
        }
        sql.push_str(&format!(" LIMIT {}", q.max_groups.saturating_add(1)));
        let rows = self.all(&sql, values).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut keys = Vec::with_capacity(group_cols.len());
            for c in &group_cols {
                keys.push(get::<Option<String>>(r, c)?);
            }
            out.push(SummaryRow {
                keys,
                count: get(r, "n")?,
                value: get(r, "v")?,
            });
        }
        let cut = out.len() as u64 > q.max_groups;
        out.truncate(q.max_groups as usize);
        Ok((out, cut))
    }
}
