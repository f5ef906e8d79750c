//! Text recognition with the `tesseract` command-line program, when it is
//! installed (Debian: `apt-get install tesseract-ocr tesseract-ocr-eng`,
//! plus `tesseract-ocr-deu`, `-fra`, … for other languages).

use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use image::GrayImage;

use super::error::ReceiptError;
use super::ocr_language::language_of;
use super::ocr_program::{detect_orientation, run_tesseract};
pub(crate) use super::ocr_reading::{Layout, Reading};
use super::prepare::{self, Turn};

pub(super) const PROGRAM: &str = "tesseract";
/// Languages of Latin script read when their trained data is installed, in this order (each
/// costs time: with all eight a page takes about four times as long as with English alone).
const WANTED_LANGUAGES: &[&str] = &["eng", "deu", "fra", "spa", "ita", "nld", "swe", "dan"];
/// Read instead when orientation detection finds Japanese or Chinese script (with English for
/// the Latin letters and digits such receipts carry).
const JAPANESE: &[&str] = &["jpn", "eng"];
/// A reading in Japanese is taken for Japanese print when at least this share of its letters
/// are Chinese characters or kana.
const JAPANESE_SHARE: f32 = 0.3;
/// Scripts orientation detection names for Japanese text.
const JAPANESE_SCRIPTS: &[&str] = &["Japanese", "Han", "Hiragana", "Katakana"];

/// True when `tesseract --version` runs successfully.
pub fn tesseract_available() -> bool {
    std::process::Command::new(PROGRAM)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// [`tesseract_available`], checked once per process.
pub fn tesseract_available_cached() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(tesseract_available)
}

/// The trained data Tesseract has installed.
fn installed_languages() -> &'static [String] {
    static INSTALLED: OnceLock<Vec<String>> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let listed = std::process::Command::new(PROGRAM)
            .arg("--list-langs")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        listed
            .lines()
            .skip(1)
            .map(|l| l.trim().to_string())
            .collect()
    })
}

/// The `-l` argument: those of `wanted` that are installed, else English.
fn pick_languages(wanted: &[&str], installed: &[String]) -> String {
    let chosen: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|l| installed.iter().any(|i| i == l))
        .collect();
    if chosen.is_empty() {
        "eng".to_string()
    } else {
        chosen.join("+")
    }
}

/// The `-l` argument for Latin script.
fn languages() -> &'static str {
    static LANGS: OnceLock<String> = OnceLock::new();
    LANGS.get_or_init(|| pick_languages(WANTED_LANGUAGES, installed_languages()))
}

/// The `-l` argument for Japanese script, when Japanese is installed.
fn japanese_languages() -> Option<&'static str> {
    static LANGS: OnceLock<Option<String>> = OnceLock::new();
    LANGS
        .get_or_init(|| {
            installed_languages()
                .iter()
                .any(|l| l == "jpn")
                .then(|| pick_languages(JAPANESE, installed_languages()))
        })
        .as_deref()
}

/// Recognises the text of an image (a JPEG we made: a photo's rendition or a PDF page). A
/// picture that reads badly upright is turned the way Tesseract's orientation detection says
/// and read again; the better reading is kept. Each Tesseract process is killed when `timeout`
/// passes.
pub async fn ocr_image(jpeg: &[u8], timeout: Duration) -> Result<String, ReceiptError> {
    let grey = decode_for_ocr(jpeg).await?;
    Ok(read_grey(grey, Ink::AsPrinted, timeout, None).await?.text)
}

/// A JPEG we made (a rendition or a PDF page) decoded to the grey picture OCR reads; one that
/// cannot be decoded is an OCR failure.
pub(crate) fn grey_for_ocr(jpeg: &[u8]) -> Result<GrayImage, ReceiptError> {
    prepare::decode_grey(jpeg).map_err(|e| ReceiptError::OcrFailed(e.to_string()))
}

/// [`grey_for_ocr`] off the async threads.
pub(crate) async fn decode_for_ocr(jpeg: &[u8]) -> Result<GrayImage, ReceiptError> {
    let owned = jpeg.to_vec();
    tokio::task::spawn_blocking(move || grey_for_ocr(&owned))
        .await
        .map_err(|e| ReceiptError::Internal(format!("OCR set-up failed: {e}")))?
}

/// How the print is drawn for Tesseract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ink {
    /// As it is (made legible where the sheet was cut out of a photo).
    AsPrinted,
    /// Faint print darkened ([`prepare::darken_faint`]): a second reading of a receipt whose
    /// amounts did not add up, where a lightly printed line may have been lost.
    Faint,
    /// Soft print enlarged and sharpened, then darkened ([`prepare::sharpen_soft`]): a reading
    /// of a blurred photo whose amounts still did not add up with faint print darkened.
    Soft,
}

/// [`ocr_image`] of a grey picture, with the print drawn as `ink` says. With `known`, how an
/// earlier reading of the same picture found it: it is read turned the same way, without
/// orientation detection.
pub(crate) async fn read_grey(
    grey: GrayImage,
    ink: Ink,
    timeout: Duration,
    known: Option<&Layout>,
) -> Result<Reading, ReceiptError> {
    let (langs, japanese) = tokio::task::spawn_blocking(|| (languages(), japanese_languages()))
        .await
        .map_err(|e| ReceiptError::Internal(format!("OCR set-up failed: {e}")))?;
    let (grey, upright) = blocking(move || {
        let grey = prepare::straighten(&grey);
        let grey = match ink {
            Ink::AsPrinted => grey,
            Ink::Faint => prepare::darken_faint(&grey),
            Ink::Soft => prepare::sharpen_soft(&grey),
        };
        let pgm = prepare::encode_pgm(&grey);
        Ok((grey, pgm))
    })
    .await?;
    if let Some(known) = known {
        let turn = known.turn;
        let picture = match turn {
            Turn::None => upright,
            _ => blocking(move || Ok(prepare::encode_pgm(&prepare::turn(&grey, turn)))).await?,
        };
        // The language is told again from this reading's words (an earlier reading poor enough
        // to need another may have told it wrong), but Japanese script stays Japanese.
        let reading = if known.langs.contains(JAPANESE[0]) {
            run_tesseract(PROGRAM, &known.langs, &picture, timeout).await?
        } else {
            read_in_language(langs, &picture, timeout, false).await?
        };
        return Ok(reading.turned(turn));
    }
    let first = read_in_its_language(langs, &upright, timeout).await?;
    let told = language_of(&first.text);
    if let (Some(japanese), None, false) = (japanese, told, first.letters_read_well()) {
        // Japanese print read with Latin models tells no language and comes out as words of
        // capitals Tesseract doubts. Orientation detection's script is a weak sign on a
        // receipt's few lines (the same picture made a shade darker was told "Katakana" once
        // and "Fraktur" the next time): such a picture is read in Japanese as it stands, and
        // that reading kept when it is mostly Japanese script and Tesseract is surer of it.
        if let Ok(read) = run_tesseract(PROGRAM, japanese, &upright, timeout).await {
            if read.cjk_share() >= JAPANESE_SHARE
                && read.mean_confidence() > first.mean_confidence()
            {
                return Ok(read);
            }
        }
    }
    // A picture of Japanese print read with Latin models can read "well" (its digits do): the
    // script is asked of Tesseract too when the words read tell no language.
    if first.reads_well() && (japanese.is_none() || told.is_some()) {
        return Ok(first);
    }
    let Some(found) = detect_orientation(&grey, timeout).await else {
        if first.reads_well() {
            return Ok(first);
        }
        return read_on_its_side(langs, grey, first, timeout).await;
    };
    let japanese = japanese.filter(|_| JAPANESE_SCRIPTS.contains(&found.script.as_str()));
    if found.turn == Turn::None && japanese.is_none() {
        return Ok(first);
    }
    let turn = found.turn;
    let turned = blocking(move || Ok(prepare::encode_pgm(&prepare::turn(&grey, turn)))).await?;
    let second = match japanese {
        Some(japanese) => run_tesseract(PROGRAM, japanese, &turned, timeout).await,
        None => read_in_its_language(langs, &turned, timeout).await,
    };
    match (japanese, second) {
        // Words of Japanese and of Latin script are not counted alike: the script decides.
        (Some(_), Ok(second)) if !second.text.trim().is_empty() => Ok(second.turned(turn)),
        (None, Ok(second)) if second.legible_words() > first.legible_words() => {
            Ok(second.turned(turn))
        }
        _ => Ok(first),
    }
}

/// A picture that reads poorly and whose orientation Tesseract cannot detect (too few
/// characters it is sure of, as on a blurred or faint photo) may be lying on its side: a phone
/// photo of a receipt is as often turned by a quarter as upright, and EXIF tags are often
/// stripped. Both quarter turns are read and the reading with the most legible words is kept;
/// the cost (two more readings) falls only on pictures that read poorly.
async fn read_on_its_side(
    langs: &'static str,
    grey: GrayImage,
    first: Reading,
    timeout: Duration,
) -> Result<Reading, ReceiptError> {
    let mut best = first;
    for turn in [Turn::Quarter, Turn::ThreeQuarters] {
        let g = grey.clone();
        let turned = blocking(move || Ok(prepare::encode_pgm(&prepare::turn(&g, turn)))).await?;
        if let Ok(reading) = read_in_its_language(langs, &turned, timeout).await {
            if reading.legible_words() > best.legible_words() {
                best = reading.turned(turn);
            }
        }
    }
    Ok(best)
}

/// Reads a picture in English first (one language model: about a quarter of the time of all of
/// them), tells the receipt's language from the words read, and reads it again in that language
/// (with English for the words every receipt has), so accents and month names survive. When the
/// language cannot be told, it reads with every language in `all`; an English receipt is read
/// once.
async fn read_in_its_language(
    all: &str,
    picture: &[u8],
    timeout: Duration,
) -> Result<Reading, ReceiptError> {
    read_in_language(all, picture, timeout, true).await
}

/// `untold_reads_all`: when the language cannot be told, read again with every language (a
/// first reading) or keep the English reading (another reading of a picture already read, made
/// for its amounts: on a blurred photo the all-language reading took 1.1–2.5 s).
async fn read_in_language(
    all: &str,
    picture: &[u8],
    timeout: Duration,
    untold_reads_all: bool,
) -> Result<Reading, ReceiptError> {
    let installed = installed_languages();
    if !installed.iter().any(|l| l == "eng") || !all.contains('+') {
        return run_tesseract(PROGRAM, all, picture, timeout).await;
    }
    let quick = run_tesseract(PROGRAM, "eng", picture, timeout).await?;
    let again = match language_of(&quick.text) {
        Some("eng") => return Ok(quick),
        Some(lang) if installed.iter().any(|l| l == lang) => format!("{lang}+eng"),
        _ if untold_reads_all => all.to_string(),
        _ => return Ok(quick),
    };
    let second = run_tesseract(PROGRAM, &again, picture, timeout).await?;
    // A second reading that lost most of the words is not better (a wrong guess of language).
    Ok(if second.legible_words() * 3 >= quick.legible_words() * 2 {
        second
    } else {
        quick
    })
}

/// Runs picture work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ReceiptError> + Send + 'static,
) -> Result<T, ReceiptError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ReceiptError::Internal(format!("OCR picture work stopped: {e}")))?
}

#[cfg(test)]
#[path = "ocr_tests.rs"]
mod tests;
