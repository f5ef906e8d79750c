//! Tests of `ocr.rs`: languages, TSV and orientation parsing, the program's failures.
#![allow(clippy::unwrap_used)]
use super::super::ocr_program::{exchange, parse_orientation};
use super::super::ocr_reading::parse_tsv;
use super::*;

#[test]
fn a_receipts_language_is_told_from_its_words_or_left_open() {
    let cases = [
        (
            "Backstube KG\nSumme EUR 12,40\nMwSt 7% 0,81\nVielen Dank",
            Some("deu"),
        ),
        (
            "Brasserie du Port\nTotal TTC 43,50\nTVA 10% 3,95\nMerci",
            Some("fra"),
        ),
        ("Bar Duomo\nTOTALE 12,00\nIVA 10%\nGrazie", Some("ita")),
        ("Taberna\nImporte 5,95\nIVA incluido\nGracias", Some("spa")),
        ("Koffiebar\nTotaal 8,40\nBTW 9%\nBedankt", Some("nld")),
        ("Konditori\nSumma 84,00\nvarav moms 12%\nTack", Some("swe")),
        ("Cafe\nI alt 120,00\nheraf moms 24,00\nTak", Some("dan")),
        (
            "Diner\nSubtotal 32.50\nTax 2.68\nTip 5.00\nThank you",
            Some("eng"),
        ),
        ("12,40\n0,81", None),
        // Both Swedish and Danish say moms: no clear lead.
        ("moms 25%\nkontant", None),
    ];
    for (text, want) in cases {
        assert_eq!(language_of(text), want, "{text}");
    }
}
use image::{DynamicImage, Rgb, RgbImage};

#[tokio::test]
async fn ocr_reports_unavailable_or_reads_text() {
    let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(200, 80, Rgb([255, 255, 255])));
    let jpeg = super::super::image::encode_jpeg(&img, 85).unwrap();
    let result = ocr_image(&jpeg, Duration::from_secs(30)).await;
    if tesseract_available() {
        // A blank page gives (nearly) no text, but no error.
        assert!(result.unwrap().trim().len() < 5);
    } else {
        assert!(matches!(result, Err(ReceiptError::OcrUnavailable)));
    }
}

#[test]
fn languages_are_those_wanted_and_installed_else_english() {
    let installed: Vec<String> = ["osd", "eng", "swe", "jpn", "deu"]
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(pick_languages(WANTED_LANGUAGES, &installed), "eng+deu+swe");
    assert_eq!(pick_languages(JAPANESE, &installed), "jpn+eng");
    assert_eq!(pick_languages(WANTED_LANGUAGES, &[]), "eng");
}

#[test]
fn tsv_becomes_lines_and_paragraphs_with_word_confidences() {
    let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t705\t976\t-1\t
5\t1\t1\t1\t1\t1\t0\t0\t9\t9\t91.5\tGasthaus
5\t1\t1\t1\t1\t2\t0\t0\t9\t9\t88\tAdler
5\t1\t1\t1\t2\t1\t0\t0\t9\t9\t12\tll
5\t1\t1\t2\t1\t1\t0\t0\t9\t9\t96\t177.00
";
    let r = parse_tsv(tsv);
    assert_eq!(r.text, "Gasthaus Adler\nll\n\n177.00\n");
    assert_eq!(r.words.len(), 4);
    // "ll" is read with little confidence.
    assert_eq!(r.legible_words(), 3);
    assert!(!r.reads_well());
    assert_eq!(parse_tsv("").text, "");
}

#[test]
fn orientation_report_is_parsed_and_failure_is_none() {
    let report = "Page number: 0\nOrientation in degrees: 180\nRotate: 180\n\
                  Orientation confidence: 12.19\nScript: Latin\nScript confidence: 3.09\n";
    let o = parse_orientation(report).unwrap();
    assert_eq!(o.turn, Turn::Half);
    assert!((o.confidence - 12.19).abs() < 1e-4);
    assert_eq!(o.script, "Latin");
    assert_eq!(
        parse_orientation("Too few characters. Skipping this page"),
        None
    );
    assert_eq!(
        parse_orientation("Rotate: 45\nOrientation confidence: 1"),
        None
    );
}

#[tokio::test]
async fn missing_program_and_timeout() {
    let r = run_tesseract(
        "/nonexistent/tesseract",
        "eng",
        b"x",
        Duration::from_secs(5),
    )
    .await;
    assert!(matches!(r, Err(ReceiptError::OcrUnavailable)), "{r:?}");
    // A program that does not finish is killed when the timeout passes.
    let started = std::time::Instant::now();
    let mut sleeper = tokio::process::Command::new("sleep");
    sleeper.arg("30");
    let r = exchange(sleeper, b"x", Duration::from_millis(300)).await;
    assert!(matches!(r, Err(ReceiptError::OcrTimeout { .. })), "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn garbage_input_is_an_error_not_a_panic() {
    if !tesseract_available() {
        return;
    }
    let result = ocr_image(b"not an image at all", Duration::from_secs(30)).await;
    assert!(
        matches!(result, Err(ReceiptError::OcrFailed(_))),
        "{result:?}"
    );
}
