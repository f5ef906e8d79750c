//! Fuzz target `sniff`: `receipts::sniff` on arbitrary bytes.
//!
//! Besides "never panics", it checks that every answer agrees with the
//! documented rules: a kind is only reported when its magic bytes are there,
//! `Empty` only for an empty file, and every refusal renders as a sentence.
#![no_main]

use formwork::receipts::{sniff, Kind, ReceiptError};
use libfuzzer_sys::fuzz_target;

/// How far into the file sniff looks for `%PDF-` (sniff.rs: PDF_HEADER_WINDOW).
const PDF_HEADER_WINDOW: usize = 1024;

fuzz_target!(|data: &[u8]| {
    match sniff(data) {
        Ok(kind) => {
            let magic_ok = match kind {
                Kind::Jpeg => data.starts_with(&[0xFF, 0xD8, 0xFF]),
                Kind::Png => data.starts_with(b"\x89PNG\r\n\x1a\n"),
                Kind::Webp => data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP",
                Kind::Pdf => data[..data.len().min(PDF_HEADER_WINDOW)]
                    .windows(5)
                    .any(|w| w == b"%PDF-"),
            };
            assert!(magic_ok, "sniff said {kind:?} without its magic bytes");
            assert!(!kind.content_type().is_empty() && !kind.extension().is_empty());
        }
        Err(ReceiptError::Empty) => assert!(data.is_empty(), "non-empty input reported as empty"),
        Err(e @ ReceiptError::UnsupportedType { .. }) => {
            assert!(!data.is_empty());
            assert!(e.is_client_error());
            assert!(e.to_string().starts_with("the file is not a JPEG"));
        }
        Err(other) => panic!("sniff returned an unexpected error: {other:?}"),
    }
});
