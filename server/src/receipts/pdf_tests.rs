//! Tests of the in-process PDF reader (the worker's core).
#![allow(clippy::unwrap_used)]

use super::test_support::{
    ascii85_encoded, corpus_file, parent_loop_pdf, self_drawing_form_pdf, text_pdf, zlib_compressed,
};
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

/// A one-page PDF showing one picture XObject with the given dictionary entries and data.
fn picture_pdf(entries: &str, data: &[u8]) -> Vec<u8> {
    use super::test_support::{raw_pdf, stream};
    raw_pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 400] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        stream(&format!("/Type /XObject /Subtype /Image {entries}"), data),
        stream("", b"q 600 0 0 400 0 0 cm /Im1 Do Q"),
    ])
}

/// The page's picture as the reader renders it, in gray.
fn only_picture(pdf: &[u8]) -> ::image::GrayImage {
    let content = extract_pdf_in_process(pdf, &Limits::default()).unwrap();
    assert_eq!(content.images.len(), 1, "{:?}", content.notes);
    ::image::load_from_memory(&content.images[0])
        .unwrap()
        .to_luma8()
}

#[test]
fn scanned_pictures_are_read_through_their_filter_chains() {
    // 600 × 400 gray: white, with a black band across the middle third.
    let (w, h) = (600usize, 400usize);
    let gray: Vec<u8> = (0..w * h)
        .map(|i| {
            if (h / 3..2 * h / 3).contains(&(i / w)) {
                0
            } else {
                255
            }
        })
        .collect();
    let band = |img: &::image::GrayImage| {
        let (iw, ih) = img.dimensions();
        (
            img.get_pixel(iw / 2, ih / 2).0[0],
            img.get_pixel(iw / 2, ih / 10).0[0],
        )
    };
    let base = format!("/Width {w} /Height {h} /ColorSpace /DeviceGray /BitsPerComponent 8");
    // ASCII85 over Flate, the Flate data with PNG Up predictors.
    // A row like the one above is written as PNG "Up" (all zeros), any other as "None".
    let mut predicted = Vec::new();
    let mut prev: Option<&[u8]> = None;
    for row in gray.chunks(w) {
        if prev == Some(row) {
            predicted.push(2u8);
            predicted.extend(std::iter::repeat_n(0, w));
        } else {
            predicted.push(0u8);
            predicted.extend_from_slice(row);
        }
        prev = Some(row);
    }
    let pdf = picture_pdf(
        &format!("{base} /Filter [/ASCII85Decode /FlateDecode] /DecodeParms [null << /Predictor 12 /Columns {w} >>]"),
        &ascii85_encoded(&zlib_compressed(&predicted)),
    );
    let (mid, top) = band(&only_picture(&pdf));
    assert!(mid < 60 && top > 200, "{mid} {top}");

    // ASCIIHex over a JPEG.
    let mut jpeg = Vec::new();
    ::image::GrayImage::from_raw(w as u32, h as u32, gray.clone())
        .unwrap()
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            ::image::ImageFormat::Jpeg,
        )
        .unwrap();
    let hex: Vec<u8> = jpeg
        .iter()
        .flat_map(|b| format!("{b:02x}").into_bytes())
        .collect();
    let pdf = picture_pdf(&format!("{base} /Filter [/AHx /DCT]"), &hex);
    let (mid, top) = band(&only_picture(&pdf));
    assert!(mid < 60 && top > 200, "{mid} {top}");

    // One bit per pixel, run-length coded, with the Decode array turning it round (1 = black).
    let row_bytes = w / 8;
    let bits: Vec<u8> = (0..h)
        .flat_map(|y| {
            let v = if (h / 3..2 * h / 3).contains(&y) {
                0xff
            } else {
                0x00
            };
            std::iter::repeat_n(v, row_bytes)
        })
        .collect();
    // One run per row: 257 − 75 says "the next byte 75 times".
    let mut rl = Vec::new();
    for row in bits.chunks(row_bytes) {
        rl.push((257 - row_bytes) as u8);
        rl.push(row[0]);
    }
    rl.push(128);
    let pdf = picture_pdf(
        &format!("/Width {w} /Height {h} /ColorSpace /DeviceGray /BitsPerComponent 1 /Decode [1 0] /Filter /RunLengthDecode"),
        &rl,
    );
    let (mid, top) = band(&only_picture(&pdf));
    assert!(mid < 60 && top > 200, "{mid} {top}");

    // LZW, RGB.
    let rgb: Vec<u8> = gray.iter().flat_map(|&g| [g, g, g]).collect();
    let lzw = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
        .encode(&rgb)
        .unwrap();
    let pdf = picture_pdf(
        &format!(
            "/Width {w} /Height {h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /LZWDecode"
        ),
        &lzw,
    );
    let (mid, top) = band(&only_picture(&pdf));
    assert!(mid < 60 && top > 200, "{mid} {top}");
}

#[test]
fn pictures_no_decoder_here_reads_leave_the_page_to_the_renderer() {
    // JPX, JBIG2 and CCITT pictures give no picture of their own (the page is then rendered
    // whole by pdftoppm, which decodes them); a Flate bomb in a picture is refused, not inflated.
    for filter in ["/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode"] {
        let pdf = picture_pdf(
            &format!("/Width 600 /Height 400 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter {filter}"),
            b"not decoded here",
        );
        let content = extract_pdf_in_process(&pdf, &Limits::default()).unwrap();
        assert!(content.images.is_empty(), "{filter}");
    }
    let bomb = zlib_compressed(&vec![0u8; 200_000_000]);
    let pdf = picture_pdf(
        "/Width 600 /Height 400 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
        &bomb,
    );
    let content = extract_pdf_in_process(&pdf, &Limits::default()).unwrap();
    assert!(content.images.is_empty());
}
