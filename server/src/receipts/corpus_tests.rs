//! Suggester accuracy over the seed corpus (`seed-data/receipts`).
//! `cargo test receipts::corpus_tests -- --nocapture` prints the figures.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::test_support::{corpus_dir, corpus_file, test_worker};
use super::*;

#[derive(Debug, Deserialize)]
struct Manifest {
    receipts: Vec<Expected>,
}

#[derive(Debug, Deserialize)]
struct Expected {
    file: String,
    kind: String,
    scanned: bool,
    supplier: String,
    expense_date: String,
    net: String,
    tax: String,
    total: String,
    currency: String,
    /// The one printed tax rate; "" when none or several are printed.
    #[serde(default)]
    tax_rate: String,
}

const FIELDS: [&str; 7] = [
    "supplier",
    "expense_date",
    "net",
    "tax",
    "total",
    "currency",
    "tax_rate",
];

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
        return got.as_ref().is_none_or(|s| s.confidence < 0.5);
    }
    money_eq(got, want)
}

/// Which fields were right.
fn score(s: &Suggestions, e: &Expected) -> [bool; 7] {
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

#[derive(Default)]
struct Tally {
    files: usize,
    right: [usize; 7],
}

impl Tally {
    fn add(&mut self, r: [bool; 7]) {
        self.files += 1;
        for (i, ok) in r.iter().enumerate() {
            self.right[i] += usize::from(*ok);
        }
    }

    fn print(&self, label: &str) {
        let cells: Vec<String> = FIELDS
            .iter()
            .zip(self.right)
            .map(|(f, n)| format!("{f} {n}/{}", self.files))
            .collect();
        let all: usize = self.right.iter().sum();
        let pct = if self.files == 0 {
            0.0
        } else {
            100.0 * all as f64 / (FIELDS.len() * self.files) as f64
        };
        println!("{label:<34} {}  | overall {pct:.0}%", cells.join(", "));
    }

    fn ratio(&self) -> f64 {
        let all: usize = self.right.iter().sum();
        all as f64 / (FIELDS.len() * self.files.max(1)) as f64
    }
}

fn report(file: &str, s: &Suggestions, r: [bool; 7]) {
    let wrong: Vec<String> = FIELDS
        .iter()
        .zip(r)
        .filter(|(_, ok)| !ok)
        .map(|(f, _)| {
            let got = match *f {
                "supplier" => s.supplier.as_ref().map(|v| v.value.clone()),
                "expense_date" => s.expense_date.as_ref().map(|v| v.value.to_string()),
                "net" => s.net.as_ref().map(|v| v.value.to_string()),
                "tax" => s.tax.as_ref().map(|v| v.value.to_string()),
                "total" => s.total.as_ref().map(|v| v.value.to_string()),
                "tax_rate" => s
                    .tax_rate
                    .as_ref()
                    .map(|v| format!("{} ({:.0}%)", v.value, v.confidence * 100.0)),
                _ => s.currency.as_ref().map(|v| v.value.clone()),
            };
            format!("{f}={}", got.unwrap_or_else(|| "-".into()))
        })
        .collect();
    if !wrong.is_empty() {
        println!("    {file}: wrong {}", wrong.join(" "));
    }
}

#[tokio::test]
async fn suggester_accuracy_over_the_corpus() {
    let Some(dir) = corpus_dir() else {
        panic!("seed-data/receipts/manifest.json not found");
    };
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.receipts.len() >= 16);
    let today = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    let worker = test_worker();
    let without_ocr = Limits {
        ocr: false,
        ..Limits::default()
    };
    let ocr = ocr::tesseract_available();

    let mut pdf_text = Tally::default();
    let mut images_plain = Tally::default();
    let mut images_ocr = Tally::default();
    for e in &manifest.receipts {
        let bytes = corpus_file(&e.file);
        let needs_ocr = e.kind != "pdf" || e.scanned;
        let p = process_on(&bytes, &without_ocr, &worker, today)
            .await
            .unwrap();
        let r = score(&p.suggestions, e);
        if needs_ocr {
            images_plain.add(r);
        } else {
            report(&e.file, &p.suggestions, r);
            pdf_text.add(r);
        }
        if needs_ocr && ocr {
            let p = process_on(&bytes, &Limits::default(), &worker, today)
                .await
                .unwrap();
            let r = score(&p.suggestions, e);
            report(&e.file, &p.suggestions, r);
            images_ocr.add(r);
        }
    }
    println!("suggester accuracy (fields right / receipts):");
    pdf_text.print("text-layer PDFs");
    images_plain.print("images + scanned PDF, no OCR");
    if ocr {
        images_ocr.print("images + scanned PDF, tesseract");
    } else {
        println!("(tesseract not installed: OCR figures not measured)");
    }
    assert!(
        pdf_text.ratio() >= 0.85,
        "text-layer PDF accuracy fell below 85%"
    );
    // Without OCR an image carries no text: nothing may be invented (a receipt printed with no
    // single rate counts as right for the rate when none is suggested).
    assert_eq!(images_plain.right[..6], [0; 6]);
    if ocr {
        assert!(images_ocr.ratio() >= 0.6, "OCR accuracy fell below 60%");
    }
}
