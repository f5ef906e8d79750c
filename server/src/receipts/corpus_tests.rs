//! Suggester accuracy over the seed corpus (`seed-data/receipts`).
//! `cargo test receipts::corpus_tests -- --nocapture` prints the figures.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;

use super::corpus_scoring::{report, score, Manifest, Tally};
use super::test_support::{corpus_dir, corpus_file, test_worker};
use super::*;

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
