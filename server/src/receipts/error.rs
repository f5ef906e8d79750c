//! Errors of the receipts module. Every `Display` is a complete sentence that
//! can be shown to the person who uploaded the file.

use std::fmt::Write as _;
use std::time::Duration;

/// Why a receipt upload could not be processed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("the file is empty")]
    Empty,

    #[error("the receipt is {}; the largest accepted is {}", size_mb(*.size), limit_mb(*.max))]
    TooLarge { size: u64, max: u64 },

    #[error("the file is not a JPEG, PNG, WebP image or PDF ({})", looks_like_clause(.looks_like))]
    UnsupportedType { looks_like: Option<&'static str> },

    #[error("the image is truncated or corrupt: {0}")]
    CorruptImage(String),

    #[error("the image is {width}×{height} pixels; at most {} megapixels are accepted", megapixels(*.max_pixels))]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },

    #[error("the image would need more than {} of memory to decode", limit_mb(*.max_alloc))]
    ImageNeedsTooMuchMemory { max_alloc: u64 },

    #[error("the PDF is damaged or not a PDF: {0}")]
    CorruptPdf(String),

    #[error("the PDF is password-protected; please upload a copy without a password")]
    EncryptedPdf,

    #[error("the PDF has no pages")]
    PdfNoPages,

    #[error("the PDF has {pages} pages; at most {max} are accepted")]
    PdfTooManyPages { pages: u32, max: u32 },

    #[error(
        "the PDF's structure loops back on itself or is nested too deeply, so it cannot be read"
    )]
    PdfStructureLoop,

    #[error("the PDF could not be read within {}", seconds(.timeout))]
    PdfTimeout { timeout: Duration },

    #[error("the PDF needs more than {} of memory to read", limit_mb(*.limit))]
    PdfTooMuchMemory { limit: u64 },

    #[error("the PDF could not be read: {0}")]
    PdfReaderFailed(String),

    #[error("text recognition (OCR) is not installed on this server")]
    OcrUnavailable,

    #[error("text recognition (OCR) did not finish within {}", seconds(.timeout))]
    OcrTimeout { timeout: Duration },

    #[error("text recognition (OCR) failed: {0}")]
    OcrFailed(String),

    #[error("the PDF's pages cannot be shown as images: the page renderer (pdftoppm, from poppler-utils) is not installed on this server")]
    RendererUnavailable,

    #[error("the PDF's pages could not be rendered as images: {0}")]
    RenderFailed(String),

    #[error("the server is busy decoding other large images; please retry in a moment")]
    Busy,

    #[error("the receipt could not be processed because of an internal error: {0}")]
    Internal(String),
}

impl ReceiptError {
    /// A stable, machine-readable code (for APIs, logs and metrics).
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::Empty => "empty",
            ReceiptError::TooLarge { .. } => "too_large",
            ReceiptError::UnsupportedType { .. } => "unsupported_type",
            ReceiptError::CorruptImage(_) => "corrupt_image",
            ReceiptError::TooManyPixels { .. } => "too_many_pixels",
            ReceiptError::ImageNeedsTooMuchMemory { .. } => "image_too_much_memory",
            ReceiptError::CorruptPdf(_) => "corrupt_pdf",
            ReceiptError::EncryptedPdf => "encrypted_pdf",
            ReceiptError::PdfNoPages => "pdf_no_pages",
            ReceiptError::PdfTooManyPages { .. } => "pdf_too_many_pages",
            ReceiptError::PdfStructureLoop => "pdf_structure_loop",
            ReceiptError::PdfTimeout { .. } => "pdf_timeout",
            ReceiptError::PdfTooMuchMemory { .. } => "pdf_too_much_memory",
            ReceiptError::PdfReaderFailed(_) => "pdf_reader_failed",
            ReceiptError::OcrUnavailable => "ocr_unavailable",
            ReceiptError::OcrTimeout { .. } => "ocr_timeout",
            ReceiptError::OcrFailed(_) => "ocr_failed",
            ReceiptError::RendererUnavailable => "renderer_unavailable",
            ReceiptError::RenderFailed(_) => "render_failed",
            ReceiptError::Busy => "busy",
            ReceiptError::Internal(_) => "internal",
        }
    }

    /// True when the problem lies with the uploaded file (HTTP 4xx), false
    /// when the server failed (HTTP 5xx).
    pub fn is_client_error(&self) -> bool {
        !matches!(
            self,
            ReceiptError::Internal(_)
                | ReceiptError::Busy
                | ReceiptError::OcrUnavailable
                | ReceiptError::OcrTimeout { .. }
                | ReceiptError::OcrFailed(_)
                | ReceiptError::RendererUnavailable
        )
    }
}

/// A size in the one unit Formwork states sizes in, megabytes of 1,000,000 bytes with one
/// decimal: "27.3 MB". The web, MCP and the docs all say sizes this way.
pub fn size_mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// A limit in the same unit, without a decimal when it is whole: "20 MB", "20.5 MB".
pub fn limit_mb(bytes: u64) -> String {
    if bytes.is_multiple_of(1_000_000) {
        format!("{} MB", bytes / 1_000_000)
    } else {
        size_mb(bytes)
    }
}

fn megapixels(pixels: u64) -> String {
    if pixels.is_multiple_of(1_000_000) {
        (pixels / 1_000_000).to_string()
    } else {
        format!("{:.1}", pixels as f64 / 1_000_000.0)
    }
}

fn seconds(d: &Duration) -> String {
    let mut out = String::new();
    if d.subsec_millis() == 0 {
        let _ = write!(out, "{} s", d.as_secs());
    } else {
        let _ = write!(out, "{:.1} s", d.as_secs_f64());
    }
    out
}

fn looks_like_clause(looks_like: &Option<&'static str>) -> String {
    match looks_like {
        Some(what) => format!("it looks like {what}"),
        None => "its contents were not recognised".to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_user_facing_sentences() {
        let e = ReceiptError::TooLarge {
            size: 27_300_000,
            max: 20_000_000,
        };
        assert_eq!(
            e.to_string(),
            "the receipt is 27.3 MB; the largest accepted is 20 MB"
        );
        let e = ReceiptError::UnsupportedType {
            looks_like: Some("a Windows executable"),
        };
        assert_eq!(
            e.to_string(),
            "the file is not a JPEG, PNG, WebP image or PDF (it looks like a Windows executable)"
        );
        let e = ReceiptError::TooManyPixels {
            width: 30000,
            height: 30000,
            max_pixels: 40_000_000,
        };
        assert_eq!(
            e.to_string(),
            "the image is 30000×30000 pixels; at most 40 megapixels are accepted"
        );
        let e = ReceiptError::PdfTooManyPages {
            pages: 120,
            max: 50,
        };
        assert_eq!(
            e.to_string(),
            "the PDF has 120 pages; at most 50 are accepted"
        );
        let e = ReceiptError::PdfTimeout {
            timeout: Duration::from_secs(10),
        };
        assert_eq!(e.to_string(), "the PDF could not be read within 10 s");
        let e = ReceiptError::CorruptImage("the data ends early".into());
        assert_eq!(
            e.to_string(),
            "the image is truncated or corrupt: the data ends early"
        );
        assert!(e.is_client_error());
        assert_eq!(e.code(), "corrupt_image");
    }

    #[test]
    fn sizes_format() {
        assert_eq!(limit_mb(20_000_000), "20 MB");
        assert_eq!(limit_mb(20 * 1024 * 1024), "21.0 MB");
        assert_eq!(size_mb(20_000_001), "20.0 MB");
        assert_eq!(size_mb(1_500_000), "1.5 MB");
        assert_eq!(megapixels(12_500_000), "12.5");
        assert_eq!(seconds(&Duration::from_millis(2500)), "2.5 s");
    }
}
