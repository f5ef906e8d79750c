//! End-to-end tests of `process`, the PDF worker and hostile files.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::test_support::{
    corpus_file, parent_loop_pdf, self_drawing_form_pdf, test_worker, text_pdf,
};
use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
}

fn no_ocr() -> Limits {
    Limits {
        ocr: false,
        ..Limits::default()
    }
}

#[test]
fn sniffs_corpus_and_hostile_files() {
    let cases = [
        ("01_cafe_berlin.jpg", Ok(Kind::Jpeg)),
        ("02_hardware_springfield.png", Ok(Kind::Png)),
        ("05_restaurant_zurich.webp", Ok(Kind::Webp)),
        ("04_hotel_paris.pdf", Ok(Kind::Pdf)),
        ("10_taxi_lyon_scan.pdf", Ok(Kind::Pdf)),
        ("hostile/truncated.jpg", Ok(Kind::Jpeg)),
        ("hostile/png_bomb.png", Ok(Kind::Png)),
        ("hostile/loop_kids.pdf", Ok(Kind::Pdf)),
        (
            "hostile/invoice.exe.jpg",
            Err("it looks like a Windows executable"),
        ),
        (
            "hostile/random.bin",
            Err("its contents were not recognised"),
        ),
    ];
    for (file, want) in cases {
        let got = sniff(&corpus_file(file));
        match want {
            Ok(kind) => assert_eq!(got.unwrap(), kind, "{file}"),
            Err(text) => assert!(got.unwrap_err().to_string().contains(text), "{file}"),
        }
    }
}

#[tokio::test]
async fn oversized_file_is_refused_with_its_size() {
    let big = vec![0xFFu8; 21 * 1024 * 1024];
    let err = process(&big, &no_ocr(), &test_worker()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file is 21.0 MB; receipts may be at most 20 MB"
    );
}

#[tokio::test]
async fn png_bomb_is_refused_before_allocation() {
    let bomb = corpus_file("hostile/png_bomb.png");
    assert!(bomb.len() < 200);
    let started = Instant::now();
    let err = process(&bomb, &no_ocr(), &test_worker()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the image is 100000×100000 pixels; at most 40 megapixels are accepted"
    );
    // Allocating 30 GB (or even zeroing it) would take far longer.
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn truncated_jpeg_is_refused() {
    let err = process(
        &corpus_file("hostile/truncated.jpg"),
        &no_ocr(),
        &test_worker(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ReceiptError::CorruptImage(_)), "{err:?}");
    assert!(err
        .to_string()
        .starts_with("the image is truncated or corrupt: "));
}

#[tokio::test]
async fn exif_rotated_photos_come_out_upright() {
    for (file, orientation) in [
        ("01_cafe_berlin.jpg", 6),
        ("03_taxi_london.jpg", 8),
        ("12_diner_austin.jpg", 3),
    ] {
        let bytes = corpus_file(file);
        let (stored_w, stored_h) = ::image::ImageReader::with_format(
            std::io::Cursor::new(&bytes),
            ::image::ImageFormat::Jpeg,
        )
        .into_dimensions()
        .unwrap();
        let p = process(&bytes, &no_ocr(), &test_worker()).await.unwrap();
        let (w, h) = (p.width.unwrap(), p.height.unwrap());
        if orientation == 3 {
            assert_eq!((w, h), (stored_w, stored_h), "{file}");
        } else {
            assert_eq!(
                (w, h),
                (stored_h, stored_w),
                "{file}: width and height swap"
            );
        }
        let mcp = ::image::load_from_memory(p.mcp_image.as_ref().unwrap()).unwrap();
        assert_eq!(
            mcp.width() > mcp.height(),
            w > h,
            "{file}: MCP rendition upright"
        );
        let thumb = ::image::load_from_memory(&p.thumbnail).unwrap();
        assert!(thumb.width().max(thumb.height()) <= THUMBNAIL_EDGE);
        assert_eq!(p.sha256.len(), 64);
        assert!(p
            .sha256
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}

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

#[tokio::test]
async fn pdf_through_the_worker_process() {
    let p = process_on(
        &corpus_file("08_software_invoice.pdf"),
        &no_ocr(),
        &test_worker(),
        today(),
    )
    .await
    .unwrap();
    assert_eq!(p.kind, Kind::Pdf);
    assert_eq!(p.pdf_pages, Some(1));
    assert!(p.pdf_text.as_deref().unwrap().contains("Cloudbright"));
    assert_eq!(
        p.suggestions.total.as_ref().unwrap().value.to_string(),
        "212.93"
    );
    // No picture in the PDF: the generated placeholder is the thumbnail.
    let thumb = ::image::load_from_memory(&p.thumbnail).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (240, 320));
    assert!(p.width.is_none() && p.mcp_image.is_none());
}

#[tokio::test]
async fn hostile_pdfs_through_the_worker_are_errors_not_crashes() {
    let worker = test_worker();
    let limits = no_ocr();
    let started = Instant::now();
    // Needs the child: lopdf's recursive parser overflows the stack, which
    // aborts the (child) process.
    let err = process(&corpus_file("hostile/deep_nesting.pdf"), &limits, &worker)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReceiptError::PdfStructureLoop
                | ReceiptError::CorruptPdf(_)
                | ReceiptError::PdfReaderFailed(_)
        ),
        "{err:?}"
    );
    let err = process(&corpus_file("hostile/loop_kids.pdf"), &limits, &worker)
        .await
        .unwrap_err();
    assert!(matches!(err, ReceiptError::PdfStructureLoop), "{err:?}");
    let err = process(&self_drawing_form_pdf(), &limits, &worker)
        .await
        .unwrap_err();
    assert!(matches!(err, ReceiptError::PdfStructureLoop), "{err:?}");
    let pages: Vec<Vec<String>> = (1..=51).map(|i| vec![format!("Page {i}")]).collect();
    let err = process(&text_pdf(&pages), &limits, &worker)
        .await
        .unwrap_err();
    assert_eq!(err, ReceiptError::PdfTooManyPages { pages: 51, max: 50 });
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn worker_failures_map_to_errors() {
    let sh = |script: &str| PdfWorker {
        exe: "/bin/sh".into(),
        args: vec!["-c".to_string(), script.to_string()],
    };
    let pdf = text_pdf(&[vec!["x".to_string()]]);
    let limits = Limits {
        pdf_timeout: Duration::from_millis(500),
        ..no_ocr()
    };
    let started = Instant::now();
    let err = sh("sleep 30").extract(&pdf, &limits).await.unwrap_err();
    assert_eq!(err.to_string(), "the PDF could not be read within 0.5 s");
    assert!(started.elapsed() < Duration::from_secs(5));

    let err = sh("cat >/dev/null; kill -SEGV $$")
        .extract(&pdf, &limits)
        .await
        .unwrap_err();
    assert!(matches!(err, ReceiptError::PdfReaderFailed(_)), "{err:?}");
    let script = "cat >/dev/null; echo 'memory allocation of 99 bytes failed' >&2; kill -ABRT $$";
    let err = sh(script).extract(&pdf, &limits).await.unwrap_err();
    assert!(
        matches!(err, ReceiptError::PdfTooMuchMemory { .. }),
        "{err:?}"
    );
    let err = sh("echo not json")
        .extract(&pdf, &limits)
        .await
        .unwrap_err();
    assert!(matches!(err, ReceiptError::PdfReaderFailed(_)), "{err:?}");
    let missing = PdfWorker {
        exe: "/nonexistent/formwork".into(),
        args: vec![],
    };
    assert!(matches!(
        missing.extract(&pdf, &limits).await,
        Err(ReceiptError::Internal(_))
    ));
}

#[tokio::test]
async fn worker_runs_under_resource_limits() {
    // The limits set in pre_exec are visible to the child.
    let probe = PdfWorker {
        exe: "/bin/sh".into(),
        args: vec![
            "-c".to_string(),
            r#"cat >/dev/null; printf '{"text":"%s %s %s","pages":1,"images":[]}\n' "$(ulimit -v)" "$(ulimit -t)" "$(ulimit -c)""#.to_string(),
        ],
    };
    let limits = Limits {
        pdf_memory_bytes: 96 * 1024 * 1024,
        pdf_timeout: Duration::from_secs(4),
        ..no_ocr()
    };
    let content = probe.extract(b"%PDF-1.4", &limits).await.unwrap();
    assert_eq!(content.text, "98304 5 0");
}

#[tokio::test]
async fn worker_memory_limit_stops_an_inflation_bomb() {
    // A 100 MB page content stream compressed to about 100 KB: the child
    // cannot inflate it within 64 MiB of address space and is stopped.
    let pdf = super::test_support::inflating_pdf(100 * 1024 * 1024);
    assert!(pdf.len() < 1024 * 1024);
    let limits = Limits {
        pdf_memory_bytes: 64 * 1024 * 1024,
        ..no_ocr()
    };
    let result = test_worker().extract(&pdf, &limits).await;
    assert!(
        matches!(result, Err(ReceiptError::PdfTooMuchMemory { .. })),
        "{:?}",
        result.map(|c| c.text.len())
    );
}

/// Timing of `process` (dev profile). Run with
/// `cargo test receipts::process_tests::timing -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn timing() {
    use ::image::{DynamicImage, Rgb, RgbImage};
    // ~12 MP photo-like JPEG: smooth gradients plus receipt-like text bars.
    let (w, h) = (4000u32, 3000u32);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let text = (y / 40) % 3 == 0 && (x / 7) % 5 != 0 && x > 800 && x < 3200;
        if text {
            Rgb([30, 30, 30])
        } else {
            Rgb([(200 + x % 40) as u8, (190 + y % 50) as u8, 180])
        }
    });
    let jpeg = image::encode_jpeg(&DynamicImage::ImageRgb8(img), 90).unwrap();
    let worker = test_worker();
    for (label, limits) in [
        ("without OCR", no_ocr()),
        ("with OCR if installed", Limits::default()),
    ] {
        let started = Instant::now();
        let p = process(&jpeg, &limits, &worker).await.unwrap();
        println!(
            "12 MP JPEG ({:.1} MB) {label}: {:?} (ocr_text: {})",
            jpeg.len() as f64 / 1e6,
            started.elapsed(),
            p.ocr_text.is_some()
        );
    }
    let pages: Vec<Vec<String>> = (1..=10)
        .map(|p| {
            (1..=45)
                .map(|l| format!("Line {l} of page {p}: Consulting services item {l} 1,234.{l:02}"))
                .collect()
        })
        .collect();
    let pdf = text_pdf(&pages);
    let started = Instant::now();
    let p = process(&pdf, &no_ocr(), &worker).await.unwrap();
    println!(
        "10-page text PDF ({} KB): {:?} ({} chars of text)",
        pdf.len() / 1024,
        started.elapsed(),
        p.pdf_text.as_deref().map_or(0, str::len)
    );
    let started = Instant::now();
    let _ = extract_pdf_in_process(&pdf, &Limits::default()).unwrap();
    println!("  of which in-process extraction: {:?}", started.elapsed());
}
