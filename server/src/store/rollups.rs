//! Summary rollups: the totals a view summary shows, kept per record owner and per group so a
//! summary call reads a few hundred cells instead of grouping every record it covers.
//!
//! A rollup holds, for one summary of one view (its group keys, the field it adds up and the
//! view's fixed filters — the parts that do not depend on who asks or on the call's parameters),
//! one cell per (owner, group): how many records, how many of them have a value, and the sum of
//! the values. Any row scope is then a sum over owners' cells: "own" is one owner, "reports" the
//! owners in the team, "all" every owner.
//!
//! The cells are derived data, and they stay exact because every statement of this store that
//! changes `records` changes them in the same transaction:
//! - [`Store::apply_write`] subtracts the record as it was (the data the engine read at the version
//!   the write is conditional on) and adds it as it is, in one statement;
//! - [`Store::publish`] rebuilds an app's rollups whose summary changed, and all of them when the
//!   publication rewrites records;
//! - [`Store::bulk_insert_records`] adds the records it inserts, from the rows it binds.
//!
//! On PostgreSQL, writes hold an app's advisory lock shared and a rebuild holds it exclusively,
//! so a rebuild never misses a write that read the list of rollups before the rebuild committed.
//! On SQLite writes are serialised by the database itself; every writer changes `records` before
//! reading the list of rollups, so it holds the write lock by then.
//!
//! Summaries that cannot be kept this way (minimum and maximum, a filter on the person asking,
//! grouping by a number) and calls with parameters or a search run over the records, as before.
use super::query::{Predicate, RecordQuery, ValueKind};
use super::summary::{group_expr, Aggregate, GroupKey, SummaryRow};
use super::{get, Dialect, Result, Store};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};
use serde_json::Value as Json;
use std::str::FromStr;

/// Tables holding derived data: not backed up, rebuilt from the records.
pub const DERIVED_TABLES: [&str; 2] = ["summary_cells", "summary_rollups"];

/// Group keys a cell has room for: two grouping fields and a currency.
pub const MAX_KEYS: usize = 3;

/// First key of the PostgreSQL advisory lock on an app's rollups ("sumr" in ASCII); the
/// second is the app's id.
const PG_LOCK: i64 = 0x7375_6d72;

/// SQLite keeps sums in millionths (see migration m0009).
const SQLITE_SCALE: u32 = 6;

/// What one rollup keeps: a summary of a view with its group keys (the currency last for money),
/// the number or money field it adds up (none for a count) and the view's fixed filters.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RollupSpec {
    pub view: String,
    pub summary: String,
    pub groups: Vec<GroupKey>,
    pub field: Option<String>,
    pub predicates: Vec<Predicate>,
}

/// A record as one side of a write: who owns it and its data.
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub owner_id: i64,
    pub data: &'a Json,
}

struct Rollup {
    id: i64,
    spec: RollupSpec,
}

/// The SELECT giving one rollup's cell contributions of the rows of `source` (`records`, or `r`,
/// the row being written with its sign), and its bound values.
fn contributions(
    d: Dialect,
    rollup_id: i64,
    spec: &RollupSpec,
    app_id: i64,
    source: &str,
    sign: &str,
) -> (String, Vec<Value>) {
    let q = RecordQuery {
        app_id,
        predicates: spec.predicates.clone(),
        ..Default::default()
    };
    let (where_sql, values) = q.where_sql(d);
    let keys: Vec<String> = (0..MAX_KEYS)
        .map(|i| match spec.groups.get(i) {
            Some(g) => format!("COALESCE(CAST({} AS TEXT), '') AS k{i}", group_expr(d, g)),
            None => format!("'' AS k{i}"),
        })
        .collect();
    let (nv, total) = match &spec.field {
        Some(f) => {
            let x = d.field_expr(f, ValueKind::Number);
            let total = match d {
                Dialect::Sqlite => format!(
                    "COALESCE(CAST(ROUND({x} * 1{zeros}) AS INTEGER), 0) * {sign}",
                    zeros = "0".repeat(SQLITE_SCALE as usize)
                ),
                Dialect::Postgres => format!("COALESCE({x}, 0) * {sign}"),
            };
            (
                format!("CASE WHEN {x} IS NULL THEN 0 ELSE {sign} END"),
                total,
            )
        }
        None => ("0".to_string(), "0".to_string()),
    };
    (
        format!(
            "SELECT {rollup_id} AS rollup_id, app_id, owner_id, {}, {sign} AS n, {nv} AS nv, {total} AS total FROM {source} WHERE {where_sql}",
            keys.join(", ")
        ),
        values,
    )
}

/// Adds the contributions of `selects` (one per rollup) to the cells, one row per cell.
fn upsert(selects: &[String]) -> String {
    format!(
        "INSERT INTO summary_cells (rollup_id, app_id, owner_id, k0, k1, k2, n, nv, total) \
         SELECT rollup_id, app_id, owner_id, k0, k1, k2, SUM(n), SUM(nv), SUM(total) FROM ({}) c \
         WHERE 1 = 1 GROUP BY rollup_id, app_id, owner_id, k0, k1, k2 \
         HAVING SUM(n) <> 0 OR SUM(nv) <> 0 OR SUM(total) <> 0 \
         ON CONFLICT (rollup_id, owner_id, k0, k1, k2) DO UPDATE SET \
         n = summary_cells.n + excluded.n, nv = summary_cells.nv + excluded.nv, \
         total = summary_cells.total + excluded.total",
        selects.join(" UNION ALL ")
    )
}

impl Store {
    /// Holds the app's rollup lock for the rest of the transaction: shared by writes, exclusive
    /// by rebuilds (PostgreSQL; SQLite serialises writers itself).
    pub(super) async fn tx_lock_rollups(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        exclusive: bool,
    ) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            let f = if exclusive {
                "pg_advisory_xact_lock"
            } else {
                "pg_advisory_xact_lock_shared"
            };
            self.tx_one(
                tx,
                &format!(
                    "SELECT 1 AS locked FROM (SELECT {f}(CAST(? AS INTEGER), CAST(? AS INTEGER))) l"
                ),
                vec![PG_LOCK.into(), (app_id % i64::from(i32::MAX)).into()],
            )
            .await?;
        }
        Ok(())
    }

    /// Takes SQLite's write lock before the transaction reads anything: a transaction that read
    /// first and then writes fails at once ("database is locked") when another process wrote in
    /// between. A write statement, even one that changes no row, begins the write. Every
    /// transaction that writes `records` starts with it: the substring index's triggers reach its
    /// FTS5 table, and SQLite begins a virtual table (FTS5 reads its own tables then) before the
    /// statement takes the write lock, so even a first statement that writes would read first —
    /// and fail at once, without waiting, while another process holds the lock.
    pub(super) async fn tx_write_first(&self, tx: &DatabaseTransaction) -> Result<()> {
        if self.dialect == Dialect::Sqlite {
            tx.execute(self.stmt("UPDATE summary_rollups SET spec = spec WHERE 1 = 0", vec![]))
                .await?;
        }
        Ok(())
    }

    async fn tx_rollups(&self, tx: &DatabaseTransaction, app_id: i64) -> Result<Vec<Rollup>> {
        let rows = tx
            .query_all(self.stmt(
                "SELECT id, spec FROM summary_rollups WHERE app_id = ? ORDER BY id",
                vec![app_id.into()],
            ))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = get(r, "id")?;
            let text: String = get(r, "spec")?;
            match serde_json::from_str(&text) {
                Ok(spec) => out.push(Rollup { id, spec }),
                // Never read either: a summary uses a rollup only when its spec matches.
                Err(e) => tracing::warn!(rollup = id, "a summary rollup's spec is unreadable: {e}"),
            }
        }
        Ok(out)
    }

    /// Moves a record's contribution from what it was (`before`) to what it is (`after`) in
    /// every rollup of the app, in one statement. Called inside the write's transaction, after
    /// the write to `records` (see the module's notes on ordering).
    pub(super) async fn tx_rollup_write(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        before: Option<Side<'_>>,
        after: Option<Side<'_>>,
    ) -> Result<()> {
        let mut sides = Vec::with_capacity(2);
        sides.extend(before.map(|s| (-1, s)));
        sides.extend(after.map(|s| (1, s)));
        self.tx_rollup_sides(tx, app_id, &sides).await
    }

    /// Adds (sign 1) or takes away (sign -1) each record's contribution to every rollup of the
    /// app, in one statement: the rows are bound as values, so the cost follows the rows given,
    /// not the size of the table.
    pub(super) async fn tx_rollup_sides(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        sides: &[(i64, Side<'_>)],
    ) -> Result<()> {
        if sides.is_empty() {
            return Ok(());
        }
        let rollups = self.tx_rollups(tx, app_id).await?;
        if rollups.is_empty() {
            return Ok(());
        }
        let d = self.dialect;
        let row = match d {
            Dialect::Sqlite => "(CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), ?)",
            Dialect::Postgres => {
                "(CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS JSONB))"
            }
        };
        let mut values: Vec<Value> = Vec::with_capacity(sides.len() * 4);
        for (sign, s) in sides {
            values.extend([
                (*sign).into(),
                app_id.into(),
                s.owner_id.into(),
                s.data.clone().into(),
            ]);
        }
        let mut selects = Vec::with_capacity(rollups.len());
        for r in &rollups {
            let (sql, v) = contributions(d, r.id, &r.spec, app_id, "r", "sign");
            selects.push(sql);
            values.extend(v);
        }
        let sql = format!(
            "WITH r(sign, app_id, owner_id, data) AS (VALUES {}) {}",
            vec![row; sides.len()].join(", "),
            upsert(&selects)
        );
        tx.execute(self.stmt(&sql, values)).await?;
        Ok(())
    }

    async fn tx_build_rollup(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        rollup_id: i64,
        spec: &RollupSpec,
    ) -> Result<()> {
        let (select, values) = contributions(self.dialect, rollup_id, spec, app_id, "records", "1");
        tx.execute(self.stmt(&upsert(&[select]), values)).await?;
        Ok(())
    }

    /// Makes the app's rollups those of `specs`: drops the ones no longer wanted (or all of them
    /// with `rebuild_all`, when records were rewritten) and builds the missing ones from the
    /// records. Inside the caller's transaction. Returns how many were built.
    pub(super) async fn tx_sync_rollups(
        &self,
        tx: &DatabaseTransaction,
        app_id: i64,
        specs: &[RollupSpec],
        rebuild_all: bool,
    ) -> Result<usize> {
        let mut built = 0;
        self.tx_write_first(tx).await?;
        self.tx_lock_rollups(tx, app_id, true).await?;
        let mut kept = Vec::new();
        for r in self.tx_rollups(tx, app_id).await? {
            if !rebuild_all && specs.contains(&r.spec) && !kept.contains(&r.spec) {
                kept.push(r.spec);
                continue;
            }
            tx.execute(self.stmt(
                "DELETE FROM summary_cells WHERE rollup_id = ?",
                vec![r.id.into()],
            ))
            .await?;
            tx.execute(self.stmt(
                "DELETE FROM summary_rollups WHERE id = ?",
                vec![r.id.into()],
            ))
            .await?;
        }
        for spec in specs {
            if kept.contains(spec) {
                continue;
            }
            let text = serde_json::to_string(spec).unwrap_or_default();
            // Also one whose spec could not be read (its cells go with it: ON DELETE CASCADE).
            tx.execute(self.stmt(
                "DELETE FROM summary_rollups WHERE app_id = ? AND view = ? AND summary = ?",
                vec![
                    app_id.into(),
                    spec.view.clone().into(),
                    spec.summary.clone().into(),
                ],
            ))
            .await?;
            let row = tx
                .query_all(self.stmt(
                    "INSERT INTO summary_rollups (app_id, view, summary, spec) VALUES (?, ?, ?, ?) RETURNING id",
                    vec![
                        app_id.into(),
                        spec.view.clone().into(),
                        spec.summary.clone().into(),
                        text.into(),
                    ],
                ))
                .await?;
            let id: i64 = match row.first() {
                Some(r) => get(r, "id")?,
                None => return Err(super::StoreError::NotFound),
            };
            self.tx_build_rollup(tx, app_id, id, spec).await?;
            built += 1;
        }
        Ok(built)
    }

    /// [`Store::tx_sync_rollups`] in a transaction of its own (at start-up, for the apps as
    /// published; only what is missing or changed is built).
    pub async fn sync_rollups(&self, app_id: i64, specs: &[RollupSpec]) -> Result<usize> {
        let tx = self.begin().await?;
        let built = self.tx_sync_rollups(&tx, app_id, specs, false).await?;
        tx.commit().await?;
        Ok(built)
    }

    /// The rollup kept for exactly this spec, if there is one.
    pub async fn rollup_for(&self, app_id: i64, spec: &RollupSpec) -> Result<Option<i64>> {
        let row = self
            .one(
                "SELECT id, spec FROM summary_rollups WHERE app_id = ? AND view = ? AND summary = ?",
                vec![
                    app_id.into(),
                    spec.view.clone().into(),
                    spec.summary.clone().into(),
                ],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = get(&row, "spec")?;
        match serde_json::from_str::<RollupSpec>(&text) {
            Ok(stored) if &stored == spec => Ok(Some(get(&row, "id")?)),
            _ => Ok(None),
        }
    }

    /// A summary from a rollup's cells, for the owners `scope` selects (its app and row scope;
    /// its predicates must be the rollup's own, which the caller checked). Same groups, order
    /// and cut as [`Store::summarize`] over the records.
    pub async fn summarize_rollup(
        &self,
        rollup_id: i64,
        scope: &RecordQuery,
        keys: usize,
        aggregate: Aggregate,
        max_groups: u64,
    ) -> Result<(Vec<SummaryRow>, bool)> {
        let scope = RecordQuery {
            app_id: scope.app_id,
            owners: scope.owners.clone(),
            team: scope.team.clone(),
            ..Default::default()
        };
        let (where_sql, mut values) = scope.where_sql(self.dialect);
        values.insert(0, rollup_id.into());
        let keys = keys.min(MAX_KEYS);
        let cols: Vec<String> = (0..keys).map(|i| format!("k{i}")).collect();
        // PostgreSQL sorts the records' NULLs (kept here as '') last, SQLite first.
        let order: Vec<String> = cols
            .iter()
            .map(|c| match self.dialect {
                Dialect::Postgres => format!("({c} = ''), {c}"),
                Dialect::Sqlite => c.clone(),
            })
            .collect();
        let mut select = cols.clone();
        select.extend([
            "CAST(SUM(n) AS BIGINT) AS n".to_string(),
            "CAST(SUM(nv) AS BIGINT) AS nv".to_string(),
            "CAST(SUM(total) AS TEXT) AS t".to_string(),
        ]);
        let mut sql = format!(
            "SELECT {} FROM summary_cells WHERE rollup_id = ? AND {where_sql}",
            select.join(", ")
        );
        if !cols.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", cols.join(", ")));
        }
        sql.push_str(" HAVING SUM(n) > 0");
        if !order.is_empty() {
            sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
        }
        sql.push_str(&format!(" LIMIT {}", max_groups.saturating_add(1)));
        let rows = self.all(&sql, values).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut ks = Vec::with_capacity(keys);
            for c in &cols {
                let k: String = get(r, c)?;
                ks.push(Some(k).filter(|k| !k.is_empty()));
            }
            let n: i64 = get(r, "n")?;
            let nv: i64 = get(r, "nv")?;
            let t: Option<String> = get(r, "t")?;
            let total = t.as_deref().and_then(|t| self.rollup_total(t));
            let value = match (aggregate, total) {
                (Aggregate::Sum, Some(t)) if nv > 0 => Some(t.normalize().to_string()),
                (Aggregate::Avg, Some(t)) if nv > 0 => t
                    .checked_div(Decimal::from(nv))
                    .map(|a| a.normalize().to_string()),
                _ => None,
            };
            out.push(SummaryRow {
                keys: ks,
                count: n,
                value,
            });
        }
        let cut = out.len() as u64 > max_groups;
        out.truncate(max_groups as usize);
        Ok((out, cut))
    }

    /// A cell sum as stored: a decimal on PostgreSQL, millionths on SQLite.
    fn rollup_total(&self, text: &str) -> Option<Decimal> {
        let t = text.trim();
        let d = Decimal::from_str(t)
            .or_else(|_| Decimal::from_scientific(t))
            .ok()?;
        Some(match self.dialect {
            Dialect::Postgres => d,
            Dialect::Sqlite => d.checked_div(Decimal::from(10u64.pow(SQLITE_SCALE)))?,
        })
    }
}
