//! Dates on receipts: `2024-03-05`, `05/03/2024`, `03/14/2024`, `05.03.24`,
//! `5 Mar 2024`, `March 5, 2024`, `5. März 2024`, `5 mars 2024`,
//! `5 de marzo de 2024`, `2024年3月5日`.

use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate};
use regex::Regex;

use super::suggest::Suggestion;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Year first, or a month written as a word: unambiguous.
    Clear,
    /// Numeric with a day > 12 or dots (European): unambiguous enough.
    Numeric,
    /// Numeric where day and month could be swapped.
    Ambiguous,
}

#[derive(Debug, Clone)]
struct Found {
    date: NaiveDate,
    form: Form,
    line: usize,
    text: String,
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

/// Month names and abbreviations (lower case, without a trailing dot).
fn month_number(name: &str) -> Option<u32> {
    #[rustfmt::skip]
    const MONTHS: [&[&str]; 12] = [
        &["jan", "january", "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio",
          "gen", "januari", "jän"],
        &["feb", "february", "februar", "février", "fevrier", "févr", "fevr", "febrero",
          "febbraio", "februari", "feber"],
        &["mar", "march", "märz", "maerz", "mrz", "mars", "marzo", "maart", "mrt", "marts"],
        &["apr", "april", "avril", "avr", "abril", "abr", "aprile"],
        &["may", "mai", "mayo", "maggio", "mag", "mei", "maj"],
        &["jun", "june", "juni", "juin", "junio", "giugno", "giu"],
        &["jul", "july", "juli", "juillet", "juil", "julio", "luglio", "lug"],
        &["aug", "august", "août", "aout", "agosto", "ago", "augustus", "augusti"],
        &["sep", "sept", "september", "septembre", "septiembre", "setiembre", "settembre", "set"],
        &["oct", "october", "oktober", "okt", "octobre", "octubre", "ottobre", "ott"],
        &["nov", "november", "novembre", "noviembre"],
        &["dec", "december", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic",
          "dicembre"],
    ];
    let name = name.trim_end_matches('.').to_lowercase();
    MONTHS
        .iter()
        .position(|names| names.contains(&name.as_str()))
        .and_then(|i| u32::try_from(i + 1).ok())
}

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
    let prefer_mdy = order == DateOrder::Mdy;
    let mut out: Vec<(usize, usize, Found)> = Vec::new();
    let mut push = |m: regex::Match<'_>, date: Option<NaiveDate>, form: Form| {
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
                push(all, NaiveDate::from_ymd_opt(y as i32, m, d), Form::Clear);
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
                push(all, Some(year_first.0), year_first.1);
                continue;
            }
            let dmy = NaiveDate::from_ymd_opt(y, b, a);
            let mdy = NaiveDate::from_ymd_opt(y, a, b);
            let (date, form) = match (dmy, mdy) {
                (Some(d), None) | (None, Some(d)) => (Some(d), Form::Numeric),
                (Some(d), Some(m)) if d == m => (Some(d), Form::Numeric),
                (Some(d), Some(m)) => {
                    let dotted = sep.as_str() == ".";
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
            push(all, date, form);
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
            push(all, NaiveDate::from_ymd_opt(y, m, d), Form::Clear);
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
            push(all, NaiveDate::from_ymd_opt(y, m, d), Form::Clear);
        }
    }
    out.sort_by_key(|(s, _, _)| *s);
    out.into_iter().map(|(_, _, f)| f).collect()
}

const DATE_WORDS: &[&str] = &[
    "date",
    "datum",
    "fecha",
    "data",
    "dated",
    "issued",
    "le",
    "du",
    "rechnungsdatum",
    "belegdatum",
    "invoice date",
    "date de facture",
    "fecha de emisión",
    "date of issue",
];
const OTHER_DATE_WORDS: &[&str] = &[
    "due",
    "fällig",
    "faellig",
    "zahlbar",
    "échéance",
    "echeance",
    "payable",
    "vencimiento",
    "valid",
    "gültig",
    "expires",
    "expiry",
    "exp",
    "best",
    "mhd",
    "delivery",
    "lieferdatum",
    "leistungsdatum",
    "period",
    "from",
    "until",
    "bis",
    "check-in",
    "check-out",
    "arrival",
    "departure",
    "anreise",
    "abreise",
    "arrivée",
    "départ",
    "birth",
    "geburtsdatum",
];

fn has_any_word(lower: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        lower.match_indices(w).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + w.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

/// The expense date: the first date near a date label, avoiding due dates,
/// stay periods and dates in the future.
pub(crate) fn pick_date(
    lines: &[String],
    order: DateOrder,
    today: NaiveDate,
) -> Option<Suggestion<NaiveDate>> {
    let mut best: Option<(f32, Found)> = None;
    for (index, line) in lines.iter().enumerate() {
        for found in dates_in(line, index, order, today) {
            let lower = line.to_lowercase();
            // A date alone on its line takes its label from the line above.
            let label_line = if lower.trim() == found.text.to_lowercase().trim() && index > 0 {
                format!("{} {}", lines[index - 1].to_lowercase(), lower)
            } else {
                lower
            };
            let mut score: f32 = match found.form {
                Form::Clear => 0.8,
                Form::Numeric => 0.75,
                Form::Ambiguous => 0.55,
            };
            if has_any_word(&label_line, OTHER_DATE_WORDS) {
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
            if best.as_ref().is_none_or(|(s, _)| score > *s + 1e-6) {
                best = Some((score, found));
            }
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

#[cfg(test)]
#[path = "date_tests.rs"]
mod tests;
