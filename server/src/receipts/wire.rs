//! The worker's reply on stdout: one line of JSON, either the content
//! (`text`, `pages`, `images` as base64 JPEG, `notes`) or `{"error": {...}}`.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::error::ReceiptError;
use super::pdf::PdfContent;

#[derive(Serialize, Deserialize)]
pub(crate) struct WireContent {
    pub(crate) text: String,
    pub(crate) pages: u32,
    pub(crate) images: Vec<String>,
    #[serde(default)]
    pub(crate) notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct WireFailure {
    pub(crate) error: WireError,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct WireError {
    pub(crate) code: String,
    pub(crate) message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
    /// `pdf_too_many_pages`: the page count and the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pages: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_pages: Option<u32>,
    /// `too_large`: the input size and the limit, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_size: Option<u64>,
}

impl WireError {
    pub(crate) fn from_error(e: &ReceiptError) -> WireError {
        let mut wire = WireError {
            code: e.code().to_string(),
            message: e.to_string(),
            detail: None,
            pages: None,
            max_pages: None,
            size: None,
            max_size: None,
        };
        match e {
            ReceiptError::CorruptPdf(d) | ReceiptError::PdfReaderFailed(d) => {
                wire.detail = Some(d.clone());
            }
            ReceiptError::PdfTooManyPages { pages, max } => {
                wire.pages = Some(*pages);
                wire.max_pages = Some(*max);
            }
            ReceiptError::TooLarge { size, max } => {
                wire.size = Some(*size);
                wire.max_size = Some(*max);
            }
            _ => {}
        }
        wire
    }

    pub(crate) fn into_error(self) -> ReceiptError {
        let detail = self.detail.unwrap_or_else(|| self.message.clone());
        match self.code.as_str() {
            "encrypted_pdf" => ReceiptError::EncryptedPdf,
            "pdf_no_pages" => ReceiptError::PdfNoPages,
            "pdf_structure_loop" => ReceiptError::PdfStructureLoop,
            "corrupt_pdf" => ReceiptError::CorruptPdf(detail),
            "pdf_too_many_pages" => match (self.pages, self.max_pages) {
                (Some(pages), Some(max)) => ReceiptError::PdfTooManyPages { pages, max },
                _ => ReceiptError::PdfReaderFailed(detail),
            },
            "too_large" => match (self.size, self.max_size) {
                (Some(size), Some(max)) => ReceiptError::TooLarge { size, max },
                _ => ReceiptError::PdfReaderFailed(detail),
            },
            _ => ReceiptError::PdfReaderFailed(detail),
        }
    }
}

/// The last line of stdout that parses as a reply (anything printed before
/// it, e.g. by a test harness, is ignored).
pub(crate) fn parse_reply(out: &[u8]) -> Option<Result<PdfContent, ReceiptError>> {
    let text = String::from_utf8_lossy(out);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))?;
    if let Ok(fail) = serde_json::from_str::<WireFailure>(line) {
        return Some(Err(fail.error.into_error()));
    }
    let wire = serde_json::from_str::<WireContent>(line).ok()?;
    let mut images = Vec::with_capacity(wire.images.len());
    for b64 in &wire.images {
        match base64::engine::general_purpose::STANDARD.decode(b64) {
            Ok(jpeg) => images.push(jpeg),
            Err(_) => return None,
        }
    }
    Some(Ok(PdfContent {
        text: wire.text,
        pages: wire.pages,
        images,
        notes: wire.notes,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn errors_survive_the_wire() {
        let errors = [
            ReceiptError::EncryptedPdf,
            ReceiptError::PdfNoPages,
            ReceiptError::PdfStructureLoop,
            ReceiptError::CorruptPdf("bad xref".into()),
            ReceiptError::PdfTooManyPages {
                pages: 120,
                max: 50,
            },
            ReceiptError::TooLarge {
                size: 30 << 20,
                max: 20 << 20,
            },
            ReceiptError::PdfReaderFailed("x".into()),
        ];
        for e in errors {
            let json = serde_json::to_string(&WireFailure {
                error: WireError::from_error(&e),
            })
            .unwrap();
            let back = parse_reply(format!("running 1 test\n{json}\n").as_bytes());
            assert_eq!(back, Some(Err(e)));
        }
        assert_eq!(parse_reply(b"garbage"), None);
        assert_eq!(parse_reply(b"{\"text\": 5}"), None);
    }
}
