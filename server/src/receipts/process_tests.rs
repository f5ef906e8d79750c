//! End-to-end tests of `process`, the PDF worker and hostile files.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use super::test_support::{corpus_file, self_drawing_form_pdf, test_worker, text_pdf};
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
    let big = vec![0xFFu8; 21_000_000];
    let err = process(&big, &no_ocr(), &test_worker()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the receipt is 21.0 MB; the largest accepted is 20 MB"
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
    // No picture in the PDF: its page is rendered (pdftoppm), for AI assistants and the
    // thumbnail alike.
    assert!(
        rasterise::available(),
        "pdftoppm is not installed: apt-get install poppler-utils (tests/run does)"
    );
    assert_eq!(p.page_images.len(), 1, "{:?}", p.notes);
    let page = ::image::load_from_memory(&p.page_images[0]).unwrap();
    assert_eq!(page.width().max(page.height()), 1568);
    let thumb = ::image::load_from_memory(&p.thumbnail).unwrap();
    assert!(thumb.width() < page.width());
    assert!(p.width.is_none() && p.mcp_image.is_none());
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[tokio::test]
async fn a_pdf_with_nothing_to_read_says_so() {
    // One page with no text at all: rendered, but there is nothing to read on it, and the
    // reading says so instead of coming back empty.
    let blank = text_pdf(&[vec![]]);
    let p = process_on(&blank, &no_ocr(), &test_worker(), today())
        .await
        .unwrap();
    assert_eq!(p.page_images.len(), 1);
    assert!(
        p.notes.iter().any(|n| n == NO_TEXT_IN_IMAGES),
        "{:?}",
        p.notes
    );
    assert!(p.suggestions.total.is_none());
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
    // A 512 MB page content stream compressed to about 0.5 MB: the child
    // cannot inflate it within 256 MiB of address space and is stopped.
    // (The margin leaves room for a large test binary.)
    let pdf = super::test_support::inflating_pdf(512 * 1024 * 1024);
    assert!(pdf.len() < 2 * 1024 * 1024);
    let limits = Limits {
        pdf_memory_bytes: 256 * 1024 * 1024,
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
    // A ~12 MP photo: a corpus receipt photo (turned upright) scaled up.
    let bytes = corpus_file("13_electronics_berlin.jpg");
    let small = image::decode_limited(&bytes, Kind::Jpeg, 40_000_000, 1 << 30).unwrap();
    let scale = (12.0e6 / f64::from(small.width() * small.height())).sqrt();
    let (w, h) = (
        (f64::from(small.width()) * scale) as u32,
        (f64::from(small.height()) * scale) as u32,
    );
    let big = small.resize_exact(w, h, ::image::imageops::FilterType::Triangle);
    let jpeg = image::encode_jpeg(&big, 90).unwrap();
    let worker = test_worker();
    for (label, limits) in [
        ("without OCR", no_ocr()),
        ("without OCR", no_ocr()),
        ("with OCR if installed", Limits::default()),
        ("with OCR if installed", Limits::default()),
    ] {
        let started = Instant::now();
        let p = process(&jpeg, &limits, &worker).await.unwrap();
        println!(
            "{w}×{h} JPEG ({:.1} MB) {label}: {:?} (ocr_text: {})",
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
    for _ in 0..2 {
        let started = Instant::now();
        let p = process(&pdf, &no_ocr(), &worker).await.unwrap();
        println!(
            "10-page text PDF ({} KB): {:?} ({} chars of text)",
            pdf.len() / 1024,
            started.elapsed(),
            p.pdf_text.as_deref().map_or(0, str::len)
        );
    }
    let started = Instant::now();
    let _ = extract_pdf_in_process(&pdf, &Limits::default()).unwrap();
    println!("  in-process extraction alone: {:?}", started.elapsed());
}

/// A photo whose VAT table has one row printed so lightly that the first reading loses it (a
/// receipt of the corpus's tuning part): its net and tax do not add up to the total, so it is
/// read a second time with faint print darkened, and that reading, whose amounts add up, is
/// kept.
#[tokio::test]
async fn a_row_printed_faintly_is_found_by_a_second_reading() {
    assert!(
        ocr::tesseract_available(),
        "tesseract is not installed: ./tests/run installs it"
    );
    let bytes = corpus_file("corpus/117_de-de_metzgerei_hofmann.jpg");
    let p = process_on(&bytes, &Limits::default(), &test_worker(), today())
        .await
        .unwrap();
    let s = &p.suggestions;
    assert_eq!(s.adds_up(), Some(true), "{s:?}");
    assert_eq!(s.total.as_ref().unwrap().value.to_string(), "50.05");
    assert_eq!(s.net.as_ref().unwrap().value.to_string(), "45.29");
    assert_eq!(s.tax.as_ref().unwrap().value.to_string(), "4.76");
    assert!(p.ocr_text.unwrap().contains("19%"));
}
