//! Reading a receipt's pictures with OCR: once as printed, and once more with faint print
//! darkened when the first reading's amounts are not sure to be right.

use image::GrayImage;

use super::ocr::{self, Ink};
use super::suggest::{self, suggest, Suggestions};
use super::{Limits, Processed, ReceiptError};

/// PDF pages (JPEGs the PDF worker or the renderer made) decoded to the grey pictures OCR
/// reads; none when OCR is off. A page that cannot be decoded becomes a note.
pub(super) async fn decode_pages(
    jpegs: &[Vec<u8>],
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Vec<GrayImage> {
    if !limits.ocr {
        return Vec::new();
    }
    let mut pages = Vec::with_capacity(jpegs.len());
    for jpeg in jpegs {
        keep_page(ocr::decode_for_ocr(jpeg).await, &mut pages, notes);
    }
    pages
}

/// Adds a decoded page to `pages`, or a note when it could not be decoded.
pub(super) fn keep_page(
    decoded: Result<GrayImage, ReceiptError>,
    pages: &mut Vec<GrayImage>,
    notes: &mut Vec<String>,
) {
    match decoded {
        Ok(grey) => pages.push(grey),
        Err(e) => {
            tracing::warn!(error = %e, "OCR failed");
            notes.push(e.to_string());
        }
    }
}

/// OCR of the given pictures, joined; failures become notes.
pub(super) async fn run_ocr(
    pages: &[GrayImage],
    ink: Ink,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Option<String> {
    if !limits.ocr {
        return None;
    }
    let available = tokio::task::spawn_blocking(ocr::tesseract_available_cached)
        .await
        .unwrap_or(false);
    if !available {
        notes.push(ReceiptError::OcrUnavailable.to_string());
        return None;
    }
    let mut text = String::new();
    for page in pages {
        match ocr::read_grey(page.clone(), ink, limits.ocr_timeout).await {
            Ok(t) => {
                text.push_str(&t);
                text.push('\n');
            }
            Err(e) => {
                tracing::warn!(error = %e, "OCR failed");
                notes.push(e.to_string());
            }
        }
    }
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A second reading of a receipt read by OCR whose amounts are not sure to be right (net, tax
/// and tip do not sum to the total, one of them was not read, or one is unsure), with faint
/// print darkened: a lightly printed row of a VAT table or a faded line is often what was lost.
/// The second reading's amounts are kept only when they add up and are surer than the first's;
/// supplier, date and currency stay those of the first reading (darkening also turns a table's
/// grain into letters) unless it found no total, and the text keeps both readings. The cost,
/// about one more reading, falls only on such receipts.
pub(super) async fn second_look(
    processed: &mut Processed,
    pages: &[GrayImage],
    limits: &Limits,
    today: chrono::NaiveDate,
) {
    let Some(first_text) = processed.ocr_text.clone() else {
        return;
    };
    let first = suggest(&first_text, today);
    let first_sureness = amounts_sureness(&first);
    if first_sureness >= suggest::SURE {
        processed.suggestions = first;
        return;
    }
    let mut notes = Vec::new();
    let second = match run_ocr(pages, Ink::Faint, limits, &mut notes).await {
        Some(text) => {
            let s = suggest(&text, today);
            (amounts_sureness(&s) > first_sureness).then_some((text, s))
        }
        None => None,
    };
    tracing::debug!(
        kept = second.is_some(),
        "second reading with faint print darkened"
    );
    match second {
        Some((text, s)) => {
            processed.ocr_text = Some(format!("{first_text}\n\n{SECOND_READING}\n{text}"));
            // A first reading that found no total read poorly throughout: the second replaces
            // it whole.
            processed.suggestions = if first.total.is_none() {
                s
            } else {
                first.with_amounts_of(s)
            };
        }
        None => processed.suggestions = first,
    }
}

/// The heading of the second reading in a receipt's text.
const SECOND_READING: &str = "(read again with faint print darkened)";

/// How sure a receipt's amounts are as a whole: the least confidence among net, tax and total
/// when they add up, else 0.
fn amounts_sureness(s: &Suggestions) -> f32 {
    if s.adds_up() != Some(true) {
        return 0.0;
    }
    [&s.net, &s.tax, &s.total]
        .iter()
        .filter_map(|x| x.as_ref().map(|x| x.confidence))
        .fold(1.0, f32::min)
}
