//! Tests of the in-process PDF reader (the worker's core).
#![allow(clippy::unwrap_used)]

use super::test_support::{corpus_file, parent_loop_pdf, self_drawing_form_pdf, text_pdf};
use super::*;

#[test]
fn pdf_text_is_extracted_in_process() {
    let content =
        extract_pdf_in_process(&corpus_file("09_hotel_munich.pdf"), &Limits::default()).unwrap();
    assert_eq!(content.pages, 1);
    assert!(
        content.text.contains("Hotel Alpenblick GmbH"),
        "{}",
        content.text
    );
    assert!(content.text.contains("1.269,87"));
    let content =
        extract_pdf_in_process(&corpus_file("04_hotel_paris.pdf"), &Limits::default()).unwrap();
    assert_eq!(content.pages, 2);
    assert!(content.text.contains("Total TTC"));
    assert!(content.images.is_empty());
}

#[test]
fn scanned_pdf_yields_its_picture() {
    let content =
        extract_pdf_in_process(&corpus_file("10_taxi_lyon_scan.pdf"), &Limits::default()).unwrap();
    assert_eq!(content.pages, 1);
    assert!(content.text.trim().is_empty());
    assert_eq!(content.images.len(), 1);
    let img = ::image::load_from_memory(&content.images[0]).unwrap();
    assert!(img.width().max(img.height()) <= MCP_EDGE && img.height() > 500);
}

#[test]
fn looping_pdfs_are_errors_in_process() {
    // These would recurse without end in pdf-extract/lopdf; the bounded
    // structure checks refuse them before text extraction.
    let limits = Limits::default();
    let cases = [
        ("loop_kids", corpus_file("hostile/loop_kids.pdf")),
        ("parent_loop", parent_loop_pdf()),
        ("self_drawing_form", self_drawing_form_pdf()),
    ];
    for (name, pdf) in cases {
        let err = extract_pdf_in_process(&pdf, &limits).unwrap_err();
        assert!(
            matches!(err, ReceiptError::PdfStructureLoop),
            "{name}: {err:?}"
        );
    }
    let err = extract_pdf_in_process(&corpus_file("hostile/garbage.pdf"), &limits).unwrap_err();
    assert!(matches!(err, ReceiptError::CorruptPdf(_)), "{err:?}");
}

#[test]
fn page_limit() {
    let pages: Vec<Vec<String>> = (1..=60).map(|i| vec![format!("Page {i}")]).collect();
    let err = extract_pdf_in_process(&text_pdf(&pages), &Limits::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the PDF has 60 pages; at most 50 are accepted"
    );
}

#[test]
fn password_protected_pdf_is_refused_and_empty_password_is_read() {
    use pdf_extract::{Document, EncryptionState, EncryptionVersion, Permissions};
    let plain = text_pdf(&[vec![
        "Secret Shop Ltd".to_string(),
        "Total 10.00".to_string(),
    ]]);
    let encrypt = |user_password: &str| {
        let mut doc = Document::load_mem(&plain).unwrap();
        let id = pdf_extract::Object::string_literal("formwork-test-id");
        doc.trailer.set("ID", vec![id.clone(), id]);
        let version = EncryptionVersion::V2 {
            document: &doc,
            owner_password: "owner",
            user_password,
            key_length: 128,
            permissions: Permissions::PRINTABLE,
        };
        let state = EncryptionState::try_from(version).unwrap();
        doc.encrypt(&state).unwrap();
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    };
    let err = extract_pdf_in_process(&encrypt("secret"), &Limits::default()).unwrap_err();
    assert_eq!(err, ReceiptError::EncryptedPdf);
    assert_eq!(
        err.to_string(),
        "the PDF is password-protected; please upload a copy without a password"
    );
    let content = extract_pdf_in_process(&encrypt(""), &Limits::default()).unwrap();
    assert!(content.text.contains("Secret Shop Ltd"), "{}", content.text);
}

#[test]
fn flate_compressed_gray_picture_is_rendered() {
    use super::test_support::{raw_pdf, stream};
    let (w, h) = (400usize, 300usize);
    let pixels: Vec<u8> = (0..w * h).map(|i| (i % 251) as u8).collect();
    let mut image = pdf_extract::Stream::new(pdf_extract::Dictionary::new(), pixels);
    image.compress().unwrap();
    let dict = format!(
        "/Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode"
    );
    let pdf = raw_pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        stream(&dict, &image.content),
        stream("", b"q 400 0 0 300 0 0 cm /Im1 Do Q"),
    ]);
    let content = extract_pdf_in_process(&pdf, &Limits::default()).unwrap();
    assert_eq!(content.images.len(), 1);
    let img = ::image::load_from_memory(&content.images[0]).unwrap();
    assert_eq!((img.width(), img.height()), (400, 300));
}
