//! Reading a receipt's pictures with OCR: once as printed, and once more with faint print
//! darkened when the first reading's amounts are not sure to be right.

use image::GrayImage;

use super::ocr::{self, Ink, Layout};
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

/// What OCR read of a receipt's pictures: the text, and its words of letters with Tesseract's
/// confidence in each ([`ocr::Reading::letter_words`]); a supplier name with a word Tesseract
/// was unsure of is suggested as unsure.
#[derive(Debug, Clone, Default)]
pub(super) struct OcrText {
    pub text: String,
    pub words: Vec<(String, f32)>,
    /// How each page was read (none for a page OCR failed on), for another reading of it.
    pub layouts: Vec<Option<Layout>>,
}

/// OCR of the given pictures, joined; failures become notes. `known`: how an earlier reading
/// read each page ([`OcrText::layouts`]), to read them the same way.
pub(super) async fn run_ocr(
    pages: &[GrayImage],
    ink: Ink,
    limits: &Limits,
    notes: &mut Vec<String>,
    known: &[Option<Layout>],
) -> Option<OcrText> {
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
    let mut words = Vec::new();
    let mut layouts = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        let known = known.get(i).and_then(Option::as_ref);
        match ocr::read_grey(page.clone(), ink, limits.ocr_timeout, known).await {
            Ok(reading) => {
                text.push_str(&reading.text);
                text.push('\n');
                words.extend(reading.letter_words());
                layouts.push(Some(reading.layout));
            }
            Err(e) => {
                layouts.push(None);
                tracing::warn!(error = %e, "OCR failed");
                notes.push(e.to_string());
            }
        }
    }
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| OcrText {
        text: trimmed.to_string(),
        words,
        layouts,
    })
}

/// More readings of a receipt read by OCR whose amounts are not sure to be right (net, tax and
/// tip do not sum to the total, one of them was not read, or one is unsure): first with faint
/// print darkened (a lightly printed row of a VAT table or a faded line is often what was lost),
/// then, while the amounts are still not sure, enlarged and sharpened (a blurred photo). A
/// reading's amounts are kept only when they add up and are surer than those before; supplier,
/// date and currency stay those of the first reading (darkening also turns a table's grain into
/// letters) unless it found no total, and the text keeps the first reading and the one kept.
/// The cost, one or two more readings, falls only on such receipts.
pub(super) async fn second_look(
    processed: &mut Processed,
    read: Option<OcrText>,
    pages: &[GrayImage],
    limits: &Limits,
    today: chrono::NaiveDate,
) {
    let Some(read) = read else {
        return;
    };
    let first_text = read.text;
    processed.ocr_text = Some(first_text.clone());
    let first = suggest(&first_text, today).doubting(&read.words, &first_text);
    let mut sureness = amounts_sureness(&first);
    let mut kept = None;
    let mut notes = Vec::new();
    for ink in [Ink::Faint, Ink::Soft] {
        if sureness >= suggest::SURE {
            break;
        }
        let Some(again) = run_ocr(pages, ink, limits, &mut notes, &read.layouts).await else {
            continue;
        };
        let s = suggest(&again.text, today).doubting(&again.words, &again.text);
        let sure = amounts_sureness(&s);
        let agrees = total_agrees(&first, &s);
        tracing::debug!(?ink, sure, before = sureness, agrees, "another reading");
        if sure > sureness && agrees {
            sureness = sure;
            kept = Some((ink, again.text, s));
        }
    }
    match kept {
        Some((ink, text, s)) => {
            let heading = match ink {
                Ink::Soft => SHARPENED_READING,
                _ => FAINT_READING,
            };
            processed.ocr_text = Some(format!("{first_text}\n\n{heading}\n{text}"));
            // A first reading that found no total read poorly throughout: the other replaces
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

/// Whether another reading's total agrees with the first reading's when that one is sure: two
/// readings of one picture that differ in a total read as sure show that one misread it (a
/// sharpened "2,600" can read "2,606"), and the first reading is the one kept.
fn total_agrees(first: &Suggestions, other: &Suggestions) -> bool {
    match (&first.total, &other.total) {
        (Some(a), Some(b)) if a.confidence >= suggest::SURE => a.value == b.value,
        _ => true,
    }
}

/// The headings of another reading in a receipt's text.
const FAINT_READING: &str = "(read again with faint print darkened)";
const SHARPENED_READING: &str = "(read again enlarged and sharpened)";

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::receipts::suggest::Suggestion;

    fn with_total(value: i64, confidence: f32) -> Suggestions {
        Suggestions {
            total: Some(Suggestion {
                value: Decimal::new(value, 2),
                confidence,
                source: String::new(),
            }),
            ..Suggestions::default()
        }
    }

    #[test]
    fn another_reading_must_agree_with_a_sure_total() {
        // "2,600" read as sure, "2,606" in a sharpened reading: the readings disagree.
        assert!(!total_agrees(
            &with_total(260_000, 0.9),
            &with_total(260_600, 0.9)
        ));
        assert!(total_agrees(
            &with_total(260_000, 0.9),
            &with_total(260_000, 0.95)
        ));
        // An unsure first total, or none, or none in the other reading: nothing to disagree with.
        assert!(total_agrees(&with_total(980, 0.5), &with_total(3980, 0.9)));
        assert!(total_agrees(
            &Suggestions::default(),
            &with_total(3980, 0.9)
        ));
        assert!(total_agrees(
            &with_total(3980, 0.9),
            &Suggestions::default()
        ));
    }
}
