//! Numeric dates OCR damaged beside a date label: one separator lost (`17/0623` for
//! `17/06/23`, `1706/23`, `2201/2024`) or read as a space (`04.02 23` for `04.02.23`). Read only
//! on a line that says "date" and only when that line holds no date read whole; `date.rs` never
//! offers such a date as sure.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};

use super::date::DateOrder;
use super::date_words::has_any_word;

/// Labels that name the date itself (not "le"/"du", which also precede other things).
const LABELS: &[&str] = &["date", "datum", "fecha", "data", "dated", "dato"];

/// `17/0623`, `17/062023`: day (or month), separator, month (or day) and the year run together.
static FIRST_SEP_ONLY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})[./-](\d{2})(20\d{2}|\d{2})\b").ok());
/// `1706/23`, `2201/2024`: the first separator lost.
static SECOND_SEP_ONLY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(\d{2})(\d{2})[./-](20\d{2}|\d{2})\b").ok());
/// `04.02 23` or `04.02 2023`: the second separator read as a space.
static SPACED: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})([./-])(\d{1,2}) (\d{4}|\d{2})\b").ok());

/// One damaged date: the date and the text it was read from.
pub(super) struct Damaged {
    pub date: NaiveDate,
    pub text: String,
}

/// The damaged dates of a lower-case line that carries a date label, read in the receipt's
/// order when day and month could be swapped; only those `plausible` says a receipt could bear.
pub(super) fn damaged_dates(
    lower: &str,
    order: DateOrder,
    plausible: impl Fn(NaiveDate) -> bool,
) -> Vec<Damaged> {
    // OCR spaces Japanese characters apart ("日 付").
    let labelled = has_any_word(lower, LABELS) || lower.replace(' ', "").contains("日付");
    if !labelled {
        return Vec::new();
    }
    let mut out = Vec::new();
    let patterns = [
        (true, &*FIRST_SEP_ONLY),
        (false, &*SECOND_SEP_ONLY),
        (false, &*SPACED),
    ];
    for (first_sep_only, regex) in patterns {
        let Some(regex) = regex else { continue };
        for c in regex.captures_iter(lower) {
            // `05/2023` is a month and a year, not a date that lost a separator.
            let year_after_separator =
                first_sep_only && c.get(2).is_some_and(|m| matches!(m.as_str(), "19" | "20"));
            if year_after_separator {
                continue;
            }
            let Some(date) = read(&c, order).filter(|d| plausible(*d)) else {
                continue;
            };
            let text = c.get(0).map_or("", |m| m.as_str()).to_string();
            out.push(Damaged { date, text });
        }
    }
    out
}

/// Day, month and year from the captures (the year last), day and month in `order`.
fn read(c: &Captures<'_>, order: DateOrder) -> Option<NaiveDate> {
    let parts: Vec<&str> = c
        .iter()
        .skip(1)
        .flatten()
        .map(|m| m.as_str())
        .filter(|s| s.chars().all(|ch| ch.is_ascii_digit()))
        .collect();
    let [a, b, y] = parts.as_slice() else {
        return None;
    };
    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    let y: i32 = y.parse().ok()?;
    let year = if y < 100 { 2000 + y } else { y };
    let (day, month) = match order {
        DateOrder::Mdy | DateOrder::Either => (b, a),
        DateOrder::Dmy | DateOrder::Ymd => (a, b),
    };
    NaiveDate::from_ymd_opt(year, month, day).or_else(|| NaiveDate::from_ymd_opt(year, day, month))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dates(line: &str, order: DateOrder) -> Vec<String> {
        let recent = |d: NaiveDate| d.format("%Y").to_string().starts_with("202");
        damaged_dates(&line.to_lowercase(), order, recent)
            .into_iter()
            .map(|d| d.date.to_string())
            .collect()
    }

    #[test]
    fn a_lost_or_spaced_separator_beside_a_date_label_is_read() {
        assert_eq!(dates("Date: 17/0623 21:00", DateOrder::Dmy), ["2023-06-17"]);
        assert_eq!(dates("Datum: 1706.23", DateOrder::Dmy), ["2023-06-17"]);
        assert_eq!(
            dates("Datum: 04.02 23 12:30", DateOrder::Dmy),
            ["2023-02-04"]
        );
        assert_eq!(dates("Date 06/17 2023", DateOrder::Mdy), ["2023-06-17"]);
        // With a four-digit year.
        assert_eq!(dates("Date 2201/2024 06", DateOrder::Dmy), ["2024-01-22"]);
        assert_eq!(dates("Datum: 17.062023", DateOrder::Dmy), ["2023-06-17"]);
        // Day and month in the receipt's order; a part over 12 settles it.
        assert_eq!(dates("Date: 04/0523", DateOrder::Mdy), ["2023-04-05"]);
        assert_eq!(dates("Date: 17/0623", DateOrder::Mdy), ["2023-06-17"]);
    }

    #[test]
    fn without_a_date_label_or_a_valid_date_nothing_is_read() {
        assert!(dates("Tisch 17/0623", DateOrder::Dmy).is_empty());
        assert!(dates("Datum: 05/2023", DateOrder::Dmy).is_empty());
        assert!(dates("Date: 12.34 56", DateOrder::Dmy).is_empty());
        // Implausible dates (here: not in the 2020s) are left out.
        assert!(dates("Date: 17/0699", DateOrder::Dmy).is_empty());
    }
}
