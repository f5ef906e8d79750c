//! Scoring of suggestions against a corpus manifest's truth, shared by the seed corpus test
//! (`corpus_tests`) and the held-apart corpus test (`heldout_tests`).
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::Suggestions;
use crate::receipts::Suggestion;

/// A manifest of receipts with their truth.
#[derive(Debug, Deserialize)]
pub(crate) struct Manifest {
    pub receipts: Vec<Expected>,
}

/// One receipt's truth, as written by the corpus generator.
#[derive(Debug, Deserialize)]
pub(crate) struct Expected {
    pub file: String,
    pub kind: String,
    pub scanned: bool,
    pub supplier: String,
    pub expense_date: String,
    pub net: String,
    pub tax: String,
    pub total: String,
    pub currency: String,
    /// The one printed tax rate; "" when none or several are printed.
    #[serde(default)]
    pub tax_rate: String,
    /// A tip or service charge printed apart from the total's other amounts; "" when none.
    #[serde(default)]
    pub tip: String,
    #[serde(default)]
    pub language: String,
    /// `tuning`, `calibration`, `held_apart` or `unseen` (held-apart corpus only).
    #[serde(default)]
    pub part: String,
    /// `photo`, `scan` or `einvoice` (held-apart corpus only).
    #[serde(default)]
    pub form: String,
    /// What was done to a photo or scan (held-apart corpus only).
    #[serde(default)]
    pub distortions: Vec<String>,
}

pub(crate) const FIELDS: [&str; 7] = [
    "supplier",
    "expense_date",
    "net",
    "tax",
    "total",
    "currency",
    "tax_rate",
];

/// Below this confidence a tax rate counts as not suggested (where none or several rates are
/// printed, a rate suggested under it is not held against the suggester).
const RATE_UNSURE_BELOW: f32 = 0.5;

fn norm(s: &str) -> String {
    s.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

fn money_eq(got: &Option<Suggestion<Decimal>>, want: &str) -> bool {
    got.as_ref()
        .is_some_and(|s| Some(s.value) == Decimal::from_str(want).ok())
}

/// A tax rate is right when it is the one printed, or — where none or several are printed — when
/// none is suggested as sure.
fn rate_right(got: &Option<Suggestion<Decimal>>, want: &str) -> bool {
    if want.is_empty() {
        return got
            .as_ref()
            .is_none_or(|s| s.confidence < RATE_UNSURE_BELOW);
    }
    money_eq(got, want)
}

/// Which fields were right, in the order of [`FIELDS`].
pub(crate) fn score(s: &Suggestions, e: &Expected) -> [bool; 7] {
    [
        s.supplier
            .as_ref()
            .is_some_and(|v| norm(&v.value) == norm(&e.supplier)),
        s.expense_date
            .as_ref()
            .is_some_and(|v| v.value.to_string() == e.expense_date),
        money_eq(&s.net, &e.net),
        money_eq(&s.tax, &e.tax),
        money_eq(&s.total, &e.total),
        s.currency.as_ref().is_some_and(|v| v.value == e.currency),
        rate_right(&s.tax_rate, &e.tax_rate),
    ]
}

/// The suggested value of a field and its confidence, if any was suggested.
pub(crate) fn suggested(s: &Suggestions, field: &str) -> Option<(String, f32)> {
    fn pair<T: ToString>(v: &Option<Suggestion<T>>) -> Option<(String, f32)> {
        v.as_ref().map(|v| (v.value.to_string(), v.confidence))
    }
    match field {
        "supplier" => pair(&s.supplier),
        "expense_date" => pair(&s.expense_date),
        "net" => pair(&s.net),
        "tax" => pair(&s.tax),
        "total" => pair(&s.total),
        "currency" => pair(&s.currency),
        _ => pair(&s.tax_rate),
    }
}

/// Fields right per receipt, summed.
#[derive(Default)]
pub(crate) struct Tally {
    pub files: usize,
    pub right: [usize; 7],
}

impl Tally {
    pub fn add(&mut self, r: [bool; 7]) {
        self.files += 1;
        for (i, ok) in r.iter().enumerate() {
            self.right[i] += usize::from(*ok);
        }
    }

    pub fn print(&self, label: &str) {
        let cells: Vec<String> = FIELDS
            .iter()
            .zip(self.right)
            .map(|(f, n)| format!("{f} {n}/{}", self.files))
            .collect();
        println!(
            "{label:<34} {}  | overall {:.0}%",
            cells.join(", "),
            100.0 * self.ratio()
        );
    }

    pub fn ratio(&self) -> f64 {
        let all: usize = self.right.iter().sum();
        all as f64 / (FIELDS.len() * self.files.max(1)) as f64
    }
}

/// Prints the wrong fields of one receipt with what was suggested instead.
pub(crate) fn report(file: &str, s: &Suggestions, r: [bool; 7]) {
    let wrong: Vec<String> = FIELDS
        .iter()
        .zip(r)
        .filter(|(_, ok)| !ok)
        .map(|(f, _)| match suggested(s, f) {
            Some((v, c)) if *f == "tax_rate" => format!("{f}={v} ({:.0}%)", c * 100.0),
            Some((v, _)) => format!("{f}={v}"),
            None => format!("{f}=-"),
        })
        .collect();
    if !wrong.is_empty() {
        println!("    {file}: wrong {}", wrong.join(" "));
    }
}
