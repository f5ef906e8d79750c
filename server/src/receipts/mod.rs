//! Receipts: validation and processing of uploaded receipt files (JPEG,
//! PNG, WebP photos and PDFs) for Formwork's Expense Claims.
//!
//! [`process`] checks size and type (magic bytes only), hashes the file,
//! decodes images safely (pixel limit before allocation, decoder memory
//! limits, EXIF orientation), renders a thumbnail and a rendition for AI
//! assistants, reads PDFs in a sandboxed child process ([`PdfWorker`]),
//! recognises text with tesseract when installed, and proposes form values
//! with the built-in [`suggest`]er.
//!
//! Wiring in the server binary: at the very top of `main`, before any other
//! argument parsing or runtime start-up:
//!
//! ```ignore
//! let args: Vec<String> = std::env::args().collect();
//! if args.get(1).map(String::as_str) == Some("internal")
//!     && args.get(2).map(String::as_str) == Some("pdf-worker")
//! {
//!     return formwork::receipts::run_pdf_worker_stdio();
//! }
//! ```
//! (a clap subcommand `internal pdf-worker` dispatched first thing works
//! too, provided nothing on the command line is required: the worker runs
//! with an empty environment). Build the worker handle once with
//! `PdfWorker::from_current_exe()?`. Panics in the PDF reader are caught
//! with `catch_unwind`, so the profile must keep `panic = "unwind"`.

mod agree;
mod agreeing;
mod amount;
pub mod budget;
mod calibrate;
mod candidates;
mod cash;
mod cjk;
mod currency;
mod date;
mod date_damaged;
mod date_words;
mod derive;
mod deskew;
pub mod error;
mod image;
mod keywords;
pub mod ocr;
mod ocr_language;
mod ocr_program;
mod ocr_reading;
mod ocr_worker;
mod ocr_worker_child;
mod paper;
mod pdf;
mod pdf_filters;
mod pdf_images;
mod placeholder;
mod prepare;
mod rasterise;
mod rates;
mod reading;
mod resolve;
mod sniff;
pub mod suggest;
mod supplier;
mod supplier_words;
mod vat_row_lost;
mod vat_table;
mod warp;
mod wire;
mod worker;

#[cfg(test)]
mod agree_tests;
#[cfg(test)]
mod corpus_reliability;
#[cfg(test)]
mod corpus_scoring;
#[cfg(test)]
mod corpus_tests;
#[cfg(test)]
mod heldout_tests;
#[cfg(test)]
mod image_tests;
#[cfg(test)]
mod pdf_tests;
#[cfg(test)]
mod process_tests;
#[cfg(test)]
mod straighten_tests;
#[cfg(test)]
mod suggest_tests;
#[cfg(test)]
mod test_support;

use std::time::Duration;

use sha2::{Digest, Sha256};

pub use self::error::{limit_mb, size_mb, ReceiptError};
pub use self::image::{JPEG_QUALITY, MCP_EDGE, MCP_MAX_BYTES, THUMBNAIL_EDGE};
use self::ocr::Ink;
pub use self::ocr::{ocr_image, tesseract_available};
pub use self::ocr_worker::use_ocr_workers;
pub use self::ocr_worker_child::run_ocr_worker_stdio;
pub use self::pdf::{extract_pdf_in_process, PdfContent, MAX_PAGE_IMAGES};
pub use self::sniff::{sniff, Kind};
pub use self::suggest::{suggest, Suggestion, Suggestions};
pub use self::worker::{run_pdf_worker_stdio, PdfWorker};

/// Limits applied to every upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file (default 20 MB, 20,000,000 bytes).
    pub max_bytes: usize,
    /// Largest accepted image, in pixels (default 40 megapixels).
    pub max_pixels: u64,
    /// Most pages a PDF may have (default 50).
    pub max_pdf_pages: u32,
    /// Wall-clock limit for the PDF worker (default 10 s).
    pub pdf_timeout: Duration,
    /// Address-space limit (RLIMIT_AS) of the PDF worker (default 512 MiB).
    pub pdf_memory_bytes: u64,
    /// Run OCR when tesseract is installed (default true).
    pub ocr: bool,
    /// Wall-clock limit for one OCR run (default 30 s).
    pub ocr_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20_000_000,
            max_pixels: 40_000_000,
            max_pdf_pages: 50,
            pdf_timeout: Duration::from_secs(10),
            pdf_memory_bytes: 512 * 1024 * 1024,
            ocr: true,
            ocr_timeout: Duration::from_secs(10),
        }
    }
}

/// A checked receipt with its renditions, text and suggestions.
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: Kind,
    pub size: u64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: String,
    /// Image dimensions as displayed (after EXIF orientation); None for PDFs.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// JPEG, long edge ≤ 320.
    pub thumbnail: Vec<u8>,
    /// JPEG for AI assistants, EXIF orientation applied, long edge ≤ 1568
    /// (images only; for PDFs see `page_images`).
    pub mcp_image: Option<Vec<u8>>,
    pub pdf_text: Option<String>,
    pub pdf_pages: Option<u32>,
    /// JPEG renditions (≤ 1568) of the first pictures in a PDF (scans).
    pub page_images: Vec<Vec<u8>>,
    /// Text recognised by OCR (images, and PDFs without a text layer).
    pub ocr_text: Option<String>,
    pub suggestions: Suggestions,
    /// Things that did not work but did not stop processing (e.g. OCR).
    pub notes: Vec<String>,
}

impl Processed {
    /// The best text available: the PDF's text layer, else OCR text.
    pub fn text(&self) -> Option<&str> {
        self.pdf_text
            .as_deref()
            .filter(|t| has_real_text(t))
            .or(self.ocr_text.as_deref())
    }
}

/// A text layer with fewer letters and digits than this counts as empty
/// (scanned PDFs often carry a few stray characters).
const MIN_TEXT_CHARS: usize = 20;

fn has_real_text(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_TEXT_CHARS
}

/// Checks and processes one uploaded receipt.
pub async fn process(
    bytes: &[u8],
    limits: &Limits,
    pdf_worker: &PdfWorker,
) -> Result<Processed, ReceiptError> {
    process_on(bytes, limits, pdf_worker, chrono::Local::now().date_naive()).await
}

fn join_error(e: tokio::task::JoinError) -> ReceiptError {
    ReceiptError::Internal(format!("image processing stopped: {e}"))
}

/// [`process`] with a fixed "today" (dates after it are unlikely).
pub(crate) async fn process_on(
    bytes: &[u8],
    limits: &Limits,
    pdf_worker: &PdfWorker,
    today: chrono::NaiveDate,
) -> Result<Processed, ReceiptError> {
    if bytes.len() > limits.max_bytes {
        return Err(ReceiptError::TooLarge {
            size: bytes.len() as u64,
            max: limits.max_bytes as u64,
        });
    }
    let kind = sniff(bytes)?;
    let mut processed = Processed {
        kind,
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        width: None,
        height: None,
        thumbnail: Vec::new(),
        mcp_image: None,
        pdf_text: None,
        pdf_pages: None,
        page_images: Vec::new(),
        ocr_text: None,
        suggestions: Suggestions::default(),
        notes: Vec::new(),
    };
    if kind.is_image() {
        // The image's share of the process-wide pixel budget, from its header, held until its
        // decoded buffers are gone; an image over the pixel limit is refused by the decoder
        // (it checks the header too), so its share is capped, not trusted.
        let pixels = image::header_pixels(bytes, kind).min(limits.max_pixels);
        let permit = budget::reserve(pixels).await?;
        let owned = bytes.to_vec();
        let max_pixels = limits.max_pixels;
        let ocr = limits.ocr;
        let (rendition, mcp_image, grey) = tokio::task::spawn_blocking(move || {
            let rendition = image::decode_rendition(&owned, kind, max_pixels)?;
            let mcp_image = image::encode_rendition(&rendition.pixels)?;
            // OCR reads the rendition as sent to AI assistants, JPEG and all: what the
            // readings and their confidences were measured on.
            let grey = ocr.then(|| ocr::grey_for_ocr(&mcp_image));
            Ok::<_, ReceiptError>((rendition, mcp_image, grey))
        })
        .await
        .map_err(join_error)??;
        drop(permit);
        processed.width = Some(rendition.width);
        processed.height = Some(rendition.height);
        // The thumbnail is made while OCR reads.
        let pixels = rendition.pixels;
        let thumbnail = tokio::task::spawn_blocking(move || image::encode_thumbnail(&pixels));
        let mut pages = Vec::new();
        if let Some(decoded) = grey {
            reading::keep_page(decoded, &mut pages, &mut processed.notes);
        }
        let read =
            reading::run_ocr(&pages, Ink::AsPrinted, limits, &mut processed.notes, &[]).await;
        reading::second_look(&mut processed, read, &pages, limits, today).await;
        processed.thumbnail = thumbnail.await.map_err(join_error)??;
        processed.mcp_image = Some(mcp_image);
    } else {
        let mut content = pdf_worker.extract(bytes, limits).await?;
        processed.notes.extend(std::mem::take(&mut content.notes));
        if content.images.is_empty() {
            // No picture of its own (a vector invoice, or pictures that could not be decoded):
            // its first pages rendered, so there is always a page to look at and to OCR.
            let pages = (content.pages as usize).min(MAX_PAGE_IMAGES);
            match rasterise::render_pages(bytes, pages, limits).await {
                Ok(rendered) => content.images = rendered,
                Err(e) => {
                    tracing::warn!(error = %e, "PDF pages not rendered");
                    processed.notes.push(e.to_string());
                }
            }
        }
        processed.pdf_pages = Some(content.pages);
        processed.thumbnail = match content.images.first() {
            Some(first) => {
                let first = first.clone();
                tokio::task::spawn_blocking(move || pdf_thumbnail(&first))
                    .await
                    .map_err(join_error)??
            }
            None => placeholder::placeholder_jpeg()?,
        };
        if !has_real_text(&content.text) && !content.images.is_empty() {
            let pages = reading::decode_pages(&content.images, limits, &mut processed.notes).await;
            let read =
                reading::run_ocr(&pages, Ink::AsPrinted, limits, &mut processed.notes, &[]).await;
            reading::second_look(&mut processed, read, &pages, limits, today).await;
        }
        // Said plainly, to the person and to an AI assistant: never an empty reading that looks
        // like agreement.
        if !has_real_text(&content.text) && processed.ocr_text.is_none() {
            processed.notes.push(
                if content.images.is_empty() {
                    NOTHING_READ
                } else {
                    NO_TEXT_IN_IMAGES
                }
                .to_string(),
            );
        }
        processed.pdf_text = Some(content.text);
        processed.page_images = content.images;
    }
    // Text read by OCR was suggested from in `second_look`; a PDF's own text layer is here.
    if processed.ocr_text.is_none() {
        if let Some(text) = processed.text() {
            processed.suggestions = suggest(text, today);
        }
    }
    Ok(processed)
}

/// What a PDF with neither a text layer nor a readable page image is said to give.
pub const NOTHING_READ: &str = "no text layer and no image could be read from this PDF";

/// What a PDF whose page images hold no text that OCR could read is said to give.
pub const NO_TEXT_IN_IMAGES: &str =
    "no text layer, and no text could be read from its page images: look at the image itself";

/// Thumbnail from a PDF picture (a JPEG the worker made, ≤ 1568 px).
fn pdf_thumbnail(jpeg: &[u8]) -> Result<Vec<u8>, ReceiptError> {
    let max = u64::from(MCP_EDGE) * u64::from(MCP_EDGE);
    let img = image::decode_limited(jpeg, Kind::Jpeg, max, image::alloc_budget(max))?;
    image::encode_jpeg(&image::shrink(&img, THUMBNAIL_EDGE), JPEG_QUALITY)
}
