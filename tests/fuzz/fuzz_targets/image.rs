//! Fuzz target `image`: the image path of `receipts::process` (header check
//! against the pixel limit, decoding under `image::Limits`, EXIF orientation,
//! the MCP rendition and the thumbnail) with the default limits, on every
//! input that sniffs as JPEG, PNG or WebP.
//!
//! OCR is switched off (`Limits::ocr = false`): it runs an external program
//! on the rendition we made, not on the upload, and would cost a second per
//! input. Inputs that do not sniff as an image are rejected (kept out of the
//! corpus); the `sniff` and `pdf` targets cover those.
//!
//! Any panic is a finding here, including one in the image decoders: the
//! image path has no `catch_unwind`, so in the server such a panic turns an
//! upload of a bad file into an internal error instead of a clear refusal.
#![no_main]

use std::sync::OnceLock;

use formwork::receipts::{self, Limits, PdfWorker, ReceiptError};
use libfuzzer_sys::{fuzz_target, Corpus};

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime for the image target")
    })
}

fuzz_target!(|data: &[u8]| -> Corpus {
    match receipts::sniff(data) {
        Ok(kind) if kind.is_image() => {}
        _ => return Corpus::Reject,
    }
    let limits = Limits {
        ocr: false,
        ..Limits::default()
    };
    // Never started: only PDFs go to the worker, and they were rejected above.
    let worker = PdfWorker {
        exe: "/nonexistent/formwork-fuzz-pdf-worker".into(),
        args: Vec::new(),
    };
    match runtime().block_on(receipts::process(data, &limits, &worker)) {
        Ok(processed) => {
            let (w, h) = (
                processed.width.expect("an image has a width"),
                processed.height.expect("an image has a height"),
            );
            assert!(w > 0 && h > 0);
            assert!(u64::from(w) * u64::from(h) <= limits.max_pixels);
            let mcp = processed.mcp_image.as_deref().expect("an MCP rendition");
            assert!(
                mcp.starts_with(&[0xFF, 0xD8, 0xFF]),
                "MCP rendition is not a JPEG"
            );
            assert!(
                processed.thumbnail.starts_with(&[0xFF, 0xD8, 0xFF]),
                "thumbnail is not a JPEG"
            );
            assert!(processed.pdf_text.is_none() && processed.page_images.is_empty());
        }
        Err(
            ReceiptError::CorruptImage(_)
            | ReceiptError::TooManyPixels { .. }
            | ReceiptError::ImageNeedsTooMuchMemory { .. },
        ) => {}
        // `Internal` means a decoded image could not be turned into renditions
        // (or the blocking task died): a server error for a client's file.
        Err(other) => panic!("unexpected error for an image upload: {other:?} ({other})"),
    }
    Corpus::Keep
});
