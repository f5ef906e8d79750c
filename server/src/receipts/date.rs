//! Dates on receipts: `2024-03-05`, `05/03/2024`, `03/14/2024`, `05.03.24`,
//! `5 Mar 2024`, `March 5, 2024`, `5. März 2024`, `5 mars 2024`,
//! `5 de marzo de 2024`, `2024年3月5日`.

use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate};
use regex::Regex;

use super::date_damaged::damaged_dates;
use super::date_words::{has_any_word, month_number, DATE_WORDS, DUE_WORDS, OTHER_DATE_WORDS};
use super::suggest::Suggestion;
use settle::{settle, shown_order};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Year first, or a month written as a word: unambiguous.
    Clear,
    /// Numeric with a day > 12 or dots (European): unambiguous enough.
    Numeric,
    /// Numeric where day and month could be swapped.
    Ambiguous,
    /// Numeric with a separator OCR lost, beside a date label (`date_damaged.rs`): never sure.
    Damaged,
}

#[derive(Debug, Clone)]
struct Found {
    date: NaiveDate,
    form: Form,
    line: usize,
    text: String,
    /// The order a numeric date shows by a part over 12 (`25/10/2024` is day first).
    shows: Option<DateOrder>,
    /// An ambiguous date's day-first and month-first readings.
    readings: Option<[(DateOrder, NaiveDate); 2]>,
}

/// The order of a numeric date whose parts could be read more than one way: `04/05/24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateOrder {
    /// `04/05/24` is the 4th of May 2024 (most of the world).
    Dmy,
    /// `04/05/24` is April 5th, 2024 (the United States, Canada).
    Mdy,
    /// `24-05-04` is the 4th of May 2024 (Sweden, Japan, China, Korea, Hungary).
    Ymd,
    /// Either day or month first is usual (Canada): `04/05/24` is read as April 5th, but the
    /// receipt itself must tell the order for the date to be sure.
    Either,
}

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

static YMD: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\b(\d{4})\s?([-/.])\s?(\d{1,2})\s?([-/.])\s?(\d{1,2})\b"));
static YMD_CJK: LazyLock<Option<Regex>> =
    // The day's 日 may be misread (as 晶, say): year and month written with 年 and 月 tell the
    // form without it.
    LazyLock::new(|| re(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})(?:\s*日|\D|$)"));
static NUMERIC: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"\b(\d{1,2})\s?([-/.])\s?(\d{1,2})\s?([-/.])\s?(\d{4}|\d{2})\b"));
static DAY_MONTH: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"(?i)\b(\d{1,2})(?:st|nd|rd|th|er)?\.?[\s\-/]*(?:(?:de|of)\s+)?(\p{L}{3,12})\.?[\s\-/,]*(?:de\s+)?['’]?(\d{4}|\d{2})\b",
    )
});
static MONTH_DAY: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r"(?i)\b(\p{L}{3,12})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"));

fn year_of(text: &str, today: NaiveDate) -> Option<i32> {
    let y: i32 = text.trim_start_matches(['\'', '’']).parse().ok()?;
    if text.trim_start_matches(['\'', '’']).len() == 2 {
        // Two-digit years: this century unless that is well in the future.
        let this_century = 2000 + y;
        Some(if this_century > today.year() + 1 {
            1900 + y
        } else {
            this_century
        })
    } else {
        Some(y)
    }
}

fn number(s: Option<regex::Match<'_>>) -> Option<u32> {
    s?.as_str().parse().ok()
}

/// Whether a receipt could be dated so: not in the future, not more than ten years back.
fn plausible(date: NaiveDate, today: NaiveDate) -> bool {
    !in_future(date, today) && !too_old(date, today)
}

/// Later than tomorrow (a day's grace for time zones).
fn in_future(date: NaiveDate, today: NaiveDate) -> bool {
    date > today + Duration::days(1)
}

/// More than ten years back.
fn too_old(date: NaiveDate, today: NaiveDate) -> bool {
    date < today - Duration::days(3660)
}

/// A numeric date with a two-digit last part read year first (`24-07-27`: 27 July 2024), when
/// that is how the locale writes dates or when every other reading is implausible (27 July
/// 1927, or a date in the future) and this one is not. Dots are never year first. Unsure
/// (ambiguous) when a day- or month-first reading would have been plausible too.
fn year_first(
    c: &regex::Captures<'_>,
    order: DateOrder,
    today: NaiveDate,
) -> Option<(NaiveDate, Form)> {
    let (first, sep, last) = (c.get(1)?.as_str(), c.get(2)?.as_str(), c.get(5)?.as_str());
    if sep == "." || first.len() != 2 || last.len() != 2 {
        return None;
    }
    let (a, b, y) = (number(c.get(1))?, number(c.get(3))?, number(c.get(5))?);
    let date = NaiveDate::from_ymd_opt(2000 + a as i32, b, y)?;
    if !plausible(date, today) {
        return None;
    }
    let year = year_of(last, today)?;
    let other = [
        NaiveDate::from_ymd_opt(year, b, a),
        NaiveDate::from_ymd_opt(year, a, b),
    ]
    .into_iter()
    .flatten()
    .any(|d| plausible(d, today));
    if !other {
        Some((date, Form::Numeric))
    } else if order == DateOrder::Ymd {
        Some((date, Form::Ambiguous))
    } else {
        None
    }
}

/// All dates in one line.
fn dates_in(line: &str, index: usize, order: DateOrder, today: NaiveDate) -> Vec<Found> {
    let prefer_mdy = matches!(order, DateOrder::Mdy | DateOrder::Either);
    let mut out: Vec<(usize, usize, Found)> = Vec::new();
    let mut push = |m: regex::Match<'_>,
                    date: Option<NaiveDate>,
                    form: Form,
                    shows: Option<DateOrder>,
                    readings: Option<[(DateOrder, NaiveDate); 2]>| {
        if let Some(date) = date {
            let (s, e) = (m.start(), m.end());
            if out.iter().all(|(os, oe, _)| e <= *os || s >= *oe) {
                let text = m.as_str().to_string();
                out.push((
                    s,
                    e,
                    Found {
                        date,
                        form,
                        line: index,
                        text,
                        shows,
                        readings,
                    },
                ));
            }
        }
    };
    for regex in [&*YMD, &*YMD_CJK].into_iter().flatten() {
        for c in regex.captures_iter(line) {
            let seps_ok = regex.captures_len() < 6
                || c.get(2).map(|m| m.as_str()) == c.get(4).map(|m| m.as_str());
            let (y, m, d) = if regex.captures_len() >= 6 {
                (number(c.get(1)), number(c.get(3)), number(c.get(5)))
            } else {
                (number(c.get(1)), number(c.get(2)), number(c.get(3)))
            };
            if let (true, Some(y), Some(m), Some(d), Some(all)) = (seps_ok, y, m, d, c.get(0)) {
                push(
                    all,
                    NaiveDate::from_ymd_opt(y as i32, m, d),
                    Form::Clear,
                    None,
                    None,
                );
            }
        }
    }
    if let Some(regex) = &*NUMERIC {
        for c in regex.captures_iter(line) {
            let (Some(all), Some(a), Some(b), Some(sep), Some(sep2), Some(y)) = (
                c.get(0),
                number(c.get(1)),
                number(c.get(3)),
                c.get(2),
                c.get(4),
                c.get(5).and_then(|y| year_of(y.as_str(), today)),
            ) else {
                continue;
            };
            if sep.as_str() != sep2.as_str() {
                continue;
            }
            if let Some(year_first) = year_first(&c, order, today) {
                push(all, Some(year_first.0), year_first.1, None, None);
                continue;
            }
            let dmy = NaiveDate::from_ymd_opt(y, b, a);
            let mdy = NaiveDate::from_ymd_opt(y, a, b);
            let dotted = sep.as_str() == ".";
            let shows = match (dmy, mdy) {
                _ if dotted => None,
                (Some(_), None) => Some(DateOrder::Dmy),
                (None, Some(_)) => Some(DateOrder::Mdy),
                _ => None,
            };
            let mut readings = None;
            let (date, form) = match (dmy, mdy) {
                (Some(d), None) | (None, Some(d)) => (Some(d), Form::Numeric),
                (Some(d), Some(m)) if d == m => (Some(d), Form::Numeric),
                (Some(d), Some(m)) => {
                    readings = (!dotted).then_some([(DateOrder::Dmy, d), (DateOrder::Mdy, m)]);
                    let (first, second) = if prefer_mdy && !dotted {
                        (m, d)
                    } else {
                        (d, m)
                    };
                    // Receipts are not dated in the future.
                    let chosen = if first > today && second <= today {
                        second
                    } else {
                        first
                    };
                    (
                        Some(chosen),
                        if dotted {
                            Form::Numeric
                        } else {
                            Form::Ambiguous
                        },
                    )
                }
                (None, None) => (None, Form::Ambiguous),
            };
            push(all, date, form, shows, readings);
        }
    }
    if let Some(regex) = &*DAY_MONTH {
        for c in regex.captures_iter(line) {
            let (Some(all), Some(d), Some(m), Some(y)) = (
                c.get(0),
                number(c.get(1)),
                c.get(2).and_then(|m| month_number(m.as_str())),
                c.get(3).and_then(|y| year_of(y.as_str(), today)),
            ) else {
                continue;
            };
            push(
                all,
                NaiveDate::from_ymd_opt(y, m, d),
                Form::Clear,
                None,
                None,
            );
        }
    }
    if let Some(regex) = &*MONTH_DAY {
        for c in regex.captures_iter(line) {
            let (Some(all), Some(m), Some(d), Some(y)) = (
                c.get(0),
                c.get(1).and_then(|m| month_number(m.as_str())),
                number(c.get(2)),
                c.get(3).and_then(|y| year_of(y.as_str(), today)),
            ) else {
                continue;
            };
            push(
                all,
                NaiveDate::from_ymd_opt(y, m, d),
                Form::Clear,
                None,
                None,
            );
        }
    }
    out.sort_by_key(|(s, _, _)| *s);
    out.into_iter().map(|(_, _, f)| f).collect()
}

/// Below this a date is shown as unsure (the web form's `SURE_FROM` is 0.6).
const UNSURE: f32 = 0.55;

/// The expense date: the first date near a date label, avoiding due dates,
/// stay periods and dates in the future. A date whose day and month could be swapped is read
/// in the order the receipt itself shows (another date with a part over 12, or a due date it
/// cannot be after), else in its currency's order; where that order is not settled
/// ([`DateOrder::Either`]) it stays unsure.
pub(crate) fn pick_date(
    lines: &[String],
    order: DateOrder,
    today: NaiveDate,
) -> Option<Suggestion<NaiveDate>> {
    let mut all: Vec<(Found, String)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let mut found_here = dates_in(line, index, order, today);
        if found_here.is_empty() {
            found_here = damaged_dates(&line.to_lowercase(), order, |d| plausible(d, today))
                .into_iter()
                .map(|d| Found {
                    date: d.date,
                    form: Form::Damaged,
                    line: index,
                    text: d.text,
                    shows: None,
                    readings: None,
                })
                .collect();
        }
        for found in found_here {
            let lower = line.to_lowercase();
            // A date alone on its line takes its label from the line above.
            let above = index.checked_sub(1).and_then(|i| lines.get(i));
            let label_line = match above {
                Some(above) if lower.trim() == found.text.to_lowercase().trim() => {
                    format!("{} {}", above.to_lowercase(), lower)
                }
                _ => lower,
            };
            all.push((found, label_line));
        }
    }
    let shown = shown_order(all.iter().map(|(f, _)| f));
    let due = all
        .iter()
        .filter(|(f, label)| f.form != Form::Ambiguous && has_any_word(label, DUE_WORDS))
        .map(|(f, _)| f.date)
        .min();
    let mut best: Option<(f32, Found)> = None;
    for (mut found, label_line) in all {
        let settled = settle(&mut found, shown, due) || order != DateOrder::Either;
        let mut score: f32 = match found.form {
            Form::Clear => 0.8,
            Form::Numeric => 0.75,
            Form::Ambiguous => 0.55,
            Form::Damaged => 0.4,
        };
        if has_any_word(&label_line, DUE_WORDS) || has_any_word(&label_line, OTHER_DATE_WORDS) {
            score -= 0.4;
        } else if has_any_word(&label_line, DATE_WORDS) {
            score += 0.12;
        }
        if in_future(found.date, today) {
            score -= 0.5;
        }
        if too_old(found.date, today) {
            score -= 0.3;
        }
        if !settled || found.form == Form::Damaged {
            score = score.min(UNSURE);
        }
        if best.as_ref().is_none_or(|(s, _)| score > *s + 1e-6) {
            best = Some((score, found));
        }
    }
    let (score, found) = best?;
    Some(Suggestion {
        value: found.date,
        confidence: score.clamp(0.05, 0.95),
        source: lines
            .get(found.line)
            .map(|l| l.trim().to_string())
            .unwrap_or(found.text),
    })
}

#[path = "date_settle.rs"]
mod settle;

#[cfg(test)]
#[path = "date_tests.rs"]
mod tests;
