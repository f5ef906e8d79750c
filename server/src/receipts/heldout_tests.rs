//! Suggester accuracy over the held-apart corpus (`seed-data/receipts/corpus`): 325 receipts made
//! to look like real uploads, in five parts: `tuning`, `calibration`, `held_apart`, `unseen`
//! (the fifth batch, generated at stop 38 and first measured at stop 39, after the suggester's
//! last change) and `unseen_2` (the seventh, generated at stop 40 before any measurement of it).
//! `cargo test -p formwork --lib receipts::heldout -- --nocapture` prints the figures.
//!
//! `FORMWORK_HELDOUT_PARTS=tuning` processes and prints only the tuning part (the default is all
//! five), so that failures can be studied without looking at the other receipts;
//! `FORMWORK_HELDOUT_EACH=1` then prints each tuning receipt's wrong fields and
//! `FORMWORK_HELDOUT_DUMP=<dir>` writes each tuning receipt's text there;
//! `FORMWORK_HELDOUT_JOBS=<n>` reads n receipts at a time (default: one per core);
//! `FORMWORK_HELDOUT_ONLY=<parts of file names, comma-separated>` processes only the tuning
//! receipts whose file name holds one of them. None of them ever shows a
//! calibration or held-apart receipt, and wrong-but-sure suggestions are listed receipt by
//! receipt for the tuning part only (the other parts print counts).
//!
//! Every part prints a reliability table (suggestions made and right per band of stated
//! confidence) and the cross-check's false alarms: claims of the Expense Claims sample app filled
//! with a receipt's true values that the cross-check would flag (`engine::checks::differences`,
//! the rule the server applies). `FORMWORK_HELDOUT_CALIBRATE=1` measures the suggester's raw
//! confidences, before `calibrate.rs` maps them:
//! `FORMWORK_HELDOUT_PARTS=calibration FORMWORK_HELDOUT_CALIBRATE=1` prints the table the mapping
//! was derived from.
//!
//! Only what cannot be a tuning target is asserted: every receipt is processed without error and
//! the corpus keeps its breadth. The figures are printed, never asserted.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::corpus_reliability::Reliability;
use super::corpus_scoring::{report, score, suggested, Expected, Manifest, Tally, FIELDS};
use super::test_support::{corpus_dir, test_worker};
use super::*;
use crate::engine::definition::AppDef;

// From this confidence on a suggestion is shown as sure (`suggest::SURE_FROM`).
use super::suggest::SURE as SURE_FROM;

const PARTS: [&str; 5] = ["tuning", "calibration", "held_apart", "unseen", "unseen_2"];
/// The only part whose receipts may be shown one by one.
const SHOWN_PART: &str = "tuning";

/// The parts to process: `FORMWORK_HELDOUT_PARTS` (comma-separated), else all.
fn chosen_parts() -> Vec<String> {
    match std::env::var("FORMWORK_HELDOUT_PARTS") {
        Ok(v) if !v.trim().is_empty() => v.split(',').map(|p| p.trim().to_string()).collect(),
        _ => PARTS.iter().map(|p| p.to_string()).collect(),
    }
}

/// How many receipts are read at once: `FORMWORK_HELDOUT_JOBS`, else the machine's cores.
fn heldout_jobs() -> usize {
    std::env::var("FORMWORK_HELDOUT_JOBS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1)
}

/// One receipt's wrong field suggested as sure.
struct WrongButSure {
    file: String,
    field: &'static str,
    got: String,
    confidence: f32,
    want: String,
}

fn truth(e: &Expected, field: &str) -> String {
    match field {
        "supplier" => e.supplier.clone(),
        "expense_date" => e.expense_date.clone(),
        "net" => e.net.clone(),
        "tax" => e.tax.clone(),
        "total" => e.total.clone(),
        "currency" => e.currency.clone(),
        _ if e.tax_rate.is_empty() => "(none or several)".into(),
        _ => e.tax_rate.clone(),
    }
}

/// A claim of the Expense Claims sample app filled with a receipt's true values, as the app
/// stores it: its total computed by the engine as the app's expression says (net + tax + tip,
/// a tip left empty counting as 0), and a tax rate left empty where the receipt prints none or several.
fn true_claim(app: &AppDef, e: &Expected) -> Map<String, Value> {
    let mut data = Map::new();
    for (field, value) in [
        ("supplier", &e.supplier),
        ("expense_date", &e.expense_date),
        ("net", &e.net),
        ("tax", &e.tax),
        ("tip", &e.tip),
        ("currency", &e.currency),
        ("tax_rate", &e.tax_rate),
    ] {
        if !value.is_empty() && app.fields.contains_key(field) {
            data.insert(field.into(), Value::String(value.clone()));
        }
    }
    // The total as the engine computes it on a write.
    crate::engine::operations::compute(app, &mut data, &mut Vec::new());
    data
}

/// The cross-check's notes on a claim filled correctly: each is a false alarm.
fn false_alarms(app: &AppDef, e: &Expected, s: &Suggestions) -> Vec<String> {
    let read = serde_json::to_value(s).unwrap();
    let read = read.as_object().cloned().unwrap_or_default();
    crate::engine::checks::differences(app, &read, &true_claim(app, e))
}

/// Rows of one part: all receipts, then by form, language and distortion.
#[derive(Default)]
struct PartFigures {
    all: Tally,
    by: BTreeMap<String, Tally>,
    sure_wrong: Vec<WrongButSure>,
    reliability: Reliability,
    /// Receipts whose correctly filled claim the cross-check flags, with its notes.
    false_alarms: Vec<(String, Vec<String>)>,
}

impl PartFigures {
    fn add(&mut self, app: &AppDef, e: &Expected, s: &Suggestions) {
        let alarms = false_alarms(app, e, s);
        if !alarms.is_empty() {
            self.false_alarms.push((e.file.clone(), alarms));
        }
        let r = score(s, e);
        self.all.add(r);
        let mut groups = vec![format!("form {}", e.form), format!("lang {}", e.language)];
        groups.extend(e.distortions.iter().map(|d| format!("dist {d}")));
        for g in groups {
            self.by.entry(g).or_default().add(r);
        }
        for (i, (field, ok)) in FIELDS.iter().zip(r).enumerate() {
            if let Some((_, confidence)) = suggested(s, field) {
                self.reliability.add(i, confidence, ok);
            }
            if ok {
                continue;
            }
            if let Some((got, confidence)) = suggested(s, field) {
                if confidence >= SURE_FROM {
                    self.sure_wrong.push(WrongButSure {
                        file: e.file.clone(),
                        field,
                        got,
                        confidence,
                        want: truth(e, field),
                    });
                }
            }
        }
    }

    fn print(&self, part: &str) {
        println!("\n== {part}: {} receipts ==", self.all.files);
        self.all.print("all");
        for (group, tally) in &self.by {
            tally.print(&format!("  {group}"));
        }
        let per_field: Vec<String> = FIELDS
            .iter()
            .map(|f| {
                let n = self.sure_wrong.iter().filter(|w| w.field == *f).count();
                format!("{f} {n}")
            })
            .collect();
        println!(
            "wrong but sure (confidence >= {SURE_FROM}): {} in all: {}",
            self.sure_wrong.len(),
            per_field.join(", ")
        );
        self.reliability.print(part);
        println!(
            "cross-check false alarms (a claim filled with the receipt's true values flagged): {} of {} claims",
            self.false_alarms.len(),
            self.all.files
        );
        if part != SHOWN_PART {
            return;
        }
        for (file, notes) in &self.false_alarms {
            println!("    {file}: {}", notes.join("; "));
        }
        for w in &self.sure_wrong {
            println!(
                "    {}: {} = {:?} ({:.0}%), truth {:?}",
                w.file,
                w.field,
                w.got,
                w.confidence * 100.0,
                w.want
            );
        }
    }
}

#[tokio::test]
async fn suggester_figures_over_the_held_apart_corpus() {
    // No database is involved: the run on SQLite covers it, and the run on PostgreSQL (the same
    // suite with DATABASE_URL set) does not spend another two minutes of OCR on it.
    if std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) {
        println!("receipts::heldout: measured in the run without a PostgreSQL DATABASE_URL");
        return;
    }
    let Some(dir) = corpus_dir().map(|d| d.join("corpus")) else {
        panic!("seed-data/receipts not found");
    };
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let receipts = &manifest.receipts;

    // The corpus keeps its breadth (not a figure of the suggester).
    let distinct = |f: fn(&Expected) -> &str| receipts.iter().map(f).collect::<BTreeSet<_>>();
    let held = receipts.iter().filter(|e| e.part == "held_apart").count();
    assert!(receipts.len() >= 60, "{} receipts", receipts.len());
    assert!(distinct(|e| &e.currency).len() >= 8);
    assert!(distinct(|e| &e.language).len() >= 6);
    assert!(held >= 30, "{held} held apart");
    let unseen = receipts.iter().filter(|e| e.part == "unseen").count();
    assert!(unseen >= 30, "{unseen} unseen");
    let unseen_2 = receipts.iter().filter(|e| e.part == "unseen_2").count();
    assert!(unseen_2 >= 30, "{unseen_2} unseen_2");
    assert!(receipts.iter().all(|e| PARTS.contains(&e.part.as_str())));

    let ocr = ocr::tesseract_available();
    if !ocr {
        println!("(tesseract not installed: photos and scans cannot be read; figures are not meaningful)");
    }
    let raw = std::env::var_os("FORMWORK_HELDOUT_CALIBRATE").is_some();
    if raw {
        println!("(FORMWORK_HELDOUT_CALIBRATE: raw confidences, before calibrate.rs maps them)");
    }
    super::calibrate::measure_raw(raw);
    let today = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    let worker = test_worker();
    let app = AppDef::parse(crate::demo::EXPENSE_CLAIMS).unwrap();
    let chosen = chosen_parts();
    let each = std::env::var_os("FORMWORK_HELDOUT_EACH").is_some();
    let dump = std::env::var_os("FORMWORK_HELDOUT_DUMP").map(std::path::PathBuf::from);
    let mut parts: BTreeMap<&str, PartFigures> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut millis: BTreeMap<&str, Vec<u128>> = BTreeMap::new();
    let run_started = std::time::Instant::now();
    let only = std::env::var("FORMWORK_HELDOUT_ONLY").ok();
    let picked = |e: &&Expected| match &only {
        // Only ever a tuning receipt: the others are never shown one by one.
        Some(only) => e.part == SHOWN_PART && only.split(',').any(|o| e.file.contains(o.trim())),
        None => chosen.contains(&e.part),
    };
    // Receipts are read `jobs` at a time (each read is mostly one Tesseract process), in the
    // manifest's order. Each Tesseract run may take a minute rather than the server's ten seconds:
    // these are figures of reading, not of speed (`tests/bench/upload_ready.sh` measures that),
    // and a machine busy with a build beside the run must not change them.
    let limits = Limits {
        ocr_timeout: std::time::Duration::from_secs(60),
        ..Limits::default()
    };
    let jobs = heldout_jobs();
    println!("reading {jobs} receipts at a time");
    let (dir, worker, limits) = (&dir, &worker, &limits);
    let mut read = futures_util::stream::iter(receipts.iter().filter(picked))
        .map(|e| async move {
            let bytes = std::fs::read(dir.join(&e.file)).unwrap();
            let started = std::time::Instant::now();
            let result = process_on(&bytes, limits, worker, today).await;
            (e, started.elapsed(), result)
        })
        .buffered(jobs);
    while let Some((e, elapsed, result)) = read.next().await {
        match result {
            Ok(p) => {
                millis
                    .entry(e.part.as_str())
                    .or_default()
                    .push(elapsed.as_millis());
                if e.part == SHOWN_PART {
                    if each {
                        report(&e.file, &p.suggestions, score(&p.suggestions, e));
                    }
                    if let Some(dir) = &dump {
                        let text = p.text().unwrap_or_default();
                        std::fs::write(dir.join(format!("{}.txt", e.file)), text).unwrap();
                    }
                }
                parts
                    .entry(e.part.as_str())
                    .or_default()
                    .add(&app, e, &p.suggestions)
            }
            Err(err) => failures.push(format!("{}: {err}", e.file)),
        }
    }
    for (part, times) in &mut millis {
        times.sort_unstable();
        let p50 = times.get(times.len() / 2).copied().unwrap_or(0);
        let max = times.last().copied().unwrap_or(0);
        println!("{part}: time per receipt p50 {p50} ms, max {max} ms");
    }
    println!(
        "all chosen parts processed in {:.0} s",
        run_started.elapsed().as_secs_f64()
    );
    println!("suggester over seed-data/receipts/corpus (fields right / receipts; OCR {ocr})");
    for part in PARTS {
        if let Some(f) = parts.get(part) {
            f.print(part);
        }
    }
    assert!(failures.is_empty(), "not processed: {failures:?}");
}
