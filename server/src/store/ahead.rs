//! What the store reads ahead of a page's statement to choose the statement's form (see
//! [`Ahead`]): one small statement per predicate that needs it, a *probe*. A probe is built once
//! and run by either connection kind: the sea-orm pool, or on SQLite the one-hop reader
//! (`sqlite_reads.rs`), which runs the probes and the page on one connection in one read
//! transaction, so a substring filter costs one trip to the database instead of two and the page
//! sees the very values its probe read.
use super::query::{Ahead, RecordQuery};
use super::{get, Result, Store};
use sea_orm::Value;

/// One statement read ahead of a page for one predicate, and how its rows choose the [`Ahead`].
pub(super) struct Probe {
    pub(super) sql: String,
    pub(super) values: Vec<Value>,
    pub(super) reads: Reads,
}

/// What a probe's rows hold (their first column) and how they become an [`Ahead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reads {
    /// Text values: named in the page when there are at most `at_most` of them (the probe asks
    /// for one more, so that "too many" can be told).
    Values { at_most: usize },
    /// One count: the value is common when the count is above this.
    CommonAbove(i64),
}

/// The first column of a probe's rows, as [`Reads`] says they are.
pub(super) enum Found {
    Texts(Vec<String>),
    /// `None` when the statement returned no row.
    Count(Option<i64>),
}

impl Reads {
    pub(super) fn ahead(self, found: Found) -> Ahead {
        match (self, found) {
            (Reads::Values { at_most }, Found::Texts(v)) if v.len() <= at_most => Ahead::Values(v),
            (Reads::CommonAbove(limit), Found::Count(Some(n))) if n > limit => Ahead::Common,
            _ => Ahead::Nothing,
        }
    }
}

impl Store {
    /// For each predicate of `q`, its probe, or `None` when the predicate is written as it stands:
    /// the few values a substring matches (`texts.rs`), whether many records hold a line value
    /// (`line_index.rs`).
    pub(super) fn probes(&self, q: &RecordQuery) -> Vec<Option<Probe>> {
        q.predicates
            .iter()
            .map(|p| {
                if super::texts::uses_trigrams(p) {
                    Some(super::texts::substring_probe(self.dialect, q.app_id, p))
                } else if super::line_index::uses_line_index(self.dialect, p) {
                    super::line_index::line_value_probe(q.app_id, p)
                } else {
                    None
                }
            })
            .collect()
    }

    /// Runs `q`'s probes on the sea-orm pool, one statement each: `ahead[i]` for
    /// `predicates[i]`.
    pub(super) async fn read_ahead(&self, q: &RecordQuery) -> Result<Vec<Ahead>> {
        let mut out = Vec::with_capacity(q.predicates.len());
        for probe in self.probes(q) {
            let Some(probe) = probe else {
                out.push(Ahead::Nothing);
                continue;
            };
            let rows = self.all(&probe.sql, probe.values).await?;
            let found = match probe.reads {
                Reads::Values { .. } => Found::Texts(
                    rows.iter()
                        .map(|r| get::<String>(r, "value"))
                        .collect::<Result<_>>()?,
                ),
                Reads::CommonAbove(_) => Found::Count(match rows.first() {
                    Some(r) => Some(get::<i64>(r, "n")?),
                    None => None,
                }),
            };
            out.push(probe.reads.ahead(found));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_choose_the_form() {
        let values = Reads::Values { at_most: 2 };
        let two = vec!["a".to_string(), "b".to_string()];
        assert_eq!(
            values.ahead(Found::Texts(two.clone())),
            Ahead::Values(two.clone())
        );
        let mut three = two;
        three.push("c".into());
        assert_eq!(values.ahead(Found::Texts(three)), Ahead::Nothing);
        assert_eq!(values.ahead(Found::Texts(vec![])), Ahead::Values(vec![]));
        let common = Reads::CommonAbove(10);
        assert_eq!(common.ahead(Found::Count(Some(11))), Ahead::Common);
        assert_eq!(common.ahead(Found::Count(Some(10))), Ahead::Nothing);
        assert_eq!(common.ahead(Found::Count(None)), Ahead::Nothing);
    }
}
