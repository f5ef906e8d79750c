//! Fuzz target `pdf`: `receipts::extract_pdf_in_process` (the core of the PDF
//! worker) with the default limits, on every input that sniffs as a PDF.
//!
//! Two deliberate differences from a plain in-process call:
//!
//! 1. Deep nesting, the known stack limit, is kept out of the way. lopdf
//!    parses nested arrays, dictionaries and strings recursively, so a deeply
//!    nested file overflows the stack. That abort cannot be caught
//!    in-process; production absorbs it by parsing in a child process
//!    (`formwork internal pdf-worker`, see receipts/worker.rs), where it
//!    becomes a clear "structure loops or is nested too deeply" refusal
//!    (tested in receipts/process_tests.rs with `hostile/deep_nesting.pdf`).
//!    Here:
//!    - inputs whose raw bytes nest deeper than [`MAX_RAW_NESTING`] (by a
//!      cheap estimate) are rejected before parsing. Under AddressSanitizer lopdf needs about
//!      8 KB of stack and 80 µs per level, so the 100,000 levels of
//!      `deep_nesting.pdf` take ~800 MB of stack and 8-20 s per run; its
//!      mutants crowded out everything else (5 runs/s);
//!    - the call runs on a thread with a 512 MiB stack, so nesting the
//!      estimate misses (e.g. inside Flate-compressed object or content
//!      streams) still has ~60,000 levels of room. The stack is only reserved: pages count
//!      against `-rss_limit_mb` once touched and are returned when the thread
//!      ends.
//!
//! 2. Panics raised inside third-party crates (lopdf, pdf-extract, the image
//!    decoders, std) are caught by `extract_pdf_in_process`'s own
//!    `catch_unwind` and become a `PdfReaderFailed` refusal, by design; the
//!    target lets them unwind to that handler and prints each distinct one
//!    once. A panic raised in Formwork's own code (server/src, this target) is
//!    a bug even when it is caught, and aborts as a crash. Set
//!    `FORMWORK_FUZZ_ALL_PANICS=1` to treat every panic as a crash.
#![no_main]

use std::collections::HashSet;
use std::panic::PanicHookInfo;
use std::sync::Mutex;

use formwork::receipts::{self, Kind, Limits, MAX_PAGE_IMAGES};
use libfuzzer_sys::{fuzz_target, Corpus};

/// Stack of the thread that parses (see 1. above).
const PARSER_STACK_BYTES: usize = 512 * 1024 * 1024;
/// Deepest raw nesting parsed (see 1. above); real PDFs nest a few levels.
const MAX_RAW_NESTING: usize = 1_000;
/// The text cap of receipts/pdf.rs (`MAX_TEXT_BYTES`).
const MAX_TEXT_BYTES: usize = 1 << 20;

/// Whether a panic location lies in a dependency or the standard library
/// (whose panics the PDF reader absorbs) rather than in Formwork's code.
fn is_third_party(file: &str) -> bool {
    file.contains("/registry/src/")
        || file.contains("/git/checkouts/")
        || file.starts_with("/rustc/")
}

/// A cheap estimate of how deeply `data` nests arrays, dictionaries and
/// strings: `[`, `<` and `(` open a level, `]`, `>` and `)` close one, in
/// streams and strings too. Not exact (a string full of `]` can hide depth
/// from it); the big stack is the backstop.
fn raw_nesting(data: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for &b in data {
        match b {
            b'[' | b'<' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'>' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn install_panic_filter() {
    if std::env::var_os("FORMWORK_FUZZ_ALL_PANICS").is_some() {
        return; // keep libfuzzer-sys's hook: every panic aborts
    }
    // libfuzzer-sys's hook prints the panic and aborts.
    let abort = std::panic::take_hook();
    let seen: Mutex<HashSet<String>> = Mutex::new(HashSet::new());
    std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        let Some(location) = info.location().filter(|l| is_third_party(l.file())) else {
            return abort(info);
        };
        let key = location.to_string();
        let first = seen
            .lock()
            .map(|mut s| s.insert(key.clone()))
            .unwrap_or(false);
        if first {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            eprintln!("pdf target: absorbed panic in a dependency at {key}: {message}");
        }
    }));
}

fuzz_target!(init: install_panic_filter(), |data: &[u8]| -> Corpus {
    // As in `receipts::process`: only what sniffs as a PDF reaches the reader.
    if !matches!(receipts::sniff(data), Ok(Kind::Pdf)) {
        return Corpus::Reject;
    }
    if raw_nesting(data) > MAX_RAW_NESTING {
        return Corpus::Reject; // the known stack limit (see 1. above)
    }
    let limits = Limits::default();
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pdf-parser".into())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || receipts::extract_pdf_in_process(data, &limits))
            .expect("spawn the parser thread")
            .join()
            .expect("extract_pdf_in_process let a panic escape")
    });
    match result {
        Ok(content) => {
            assert!(content.pages >= 1 && content.pages <= limits.max_pdf_pages);
            assert!(content.images.len() <= MAX_PAGE_IMAGES);
            assert!(content.text.len() <= MAX_TEXT_BYTES);
            for jpeg in &content.images {
                assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "PDF picture is not a JPEG");
            }
        }
        Err(e) => assert!(e.is_client_error(), "server error for a client's PDF: {e:?}"),
    }
    Corpus::Keep
});
