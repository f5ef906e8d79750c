//! Test helpers: the seed corpus, a tiny PDF writer, and a PDF worker that
//! runs inside the test binary itself.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use super::PdfWorker;

/// `seed-data/receipts/` of the repository (from the server crate, or from
/// a scratch crate next to the repository checkout), or
/// `$FORMWORK_RECEIPTS_CORPUS`.
pub(crate) fn corpus_dir() -> Option<PathBuf> {
    // Where cargo runs the test from, before the path baked in at build time (a binary built
    // from another checkout into a shared target directory may be reused).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let mut candidates = Vec::new();
    if let Ok(dir) = std::env::var("FORMWORK_RECEIPTS_CORPUS") {
        candidates.push(PathBuf::from(dir));
    }
    candidates.push(manifest.join("../seed-data/receipts"));
    candidates.push(manifest.join("../main/seed-data/receipts"));
    candidates
        .into_iter()
        .find(|d| d.join("manifest.json").is_file())
}

pub(crate) fn corpus_file(name: &str) -> Vec<u8> {
    let dir =
        corpus_dir().expect("seed-data/receipts not found; run seed-data/receipts/generate.py");
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Marker argument that makes [`pdf_worker_entry_point`] act as the worker.
const WORKER_MARKER: &str = "formwork_receipts_pdf_worker_marker";

/// A worker that re-runs this test binary, selecting only
/// `pdf_worker_entry_point`; libtest's own output before our JSON line is
/// ignored by the parent.
pub(crate) fn test_worker() -> PdfWorker {
    PdfWorker {
        exe: std::env::current_exe().unwrap(),
        args: vec![
            "pdf_worker_entry_point".to_string(),
            WORKER_MARKER.to_string(),
            "--test-threads=1".to_string(),
            "--quiet".to_string(),
        ],
    }
}

#[test]
fn pdf_worker_entry_point() {
    if std::env::args().any(|a| a == WORKER_MARKER) {
        let _ = super::run_pdf_worker_stdio();
        std::process::exit(0);
    }
}

/// Encodes text for a PDF literal string in WinAnsi (Latin-1 + €).
fn pdf_string(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            '€' => out.push(0x80),
            c if (c as u32) < 256 => out.push(c as u32 as u8),
            _ => out.push(b'?'),
        }
    }
    out.push(b')');
    out
}

/// Writes numbered objects (1 = catalog) with a correct xref table.
pub(crate) fn raw_pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

pub(crate) fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A PDF with one page per entry, each showing its lines in Helvetica.
pub(crate) fn text_pdf(pages: &[Vec<String>]) -> Vec<u8> {
    let n = pages.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    for (i, lines) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            )
            .into_bytes(),
        );
        let mut content = b"BT /F1 11 Tf 14 TL 50 800 Td\n".to_vec();
        for line in lines {
            content.extend(pdf_string(line));
            content.extend_from_slice(b" Tj T*\n");
        }
        content.extend_from_slice(b"ET");
        objects.push(stream("", &content));
    }
    raw_pdf(&objects)
}

/// One page whose form XObject draws itself (pdf-extract would recurse
/// until the stack overflows).
pub(crate) fn self_drawing_form_pdf() -> Vec<u8> {
    raw_pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /X1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X1 4 0 R >> >>",
            b"/X1 Do",
        ),
        stream("", b"/X1 Do"),
    ])
}

/// A page whose /Parent chain loops (pdf-extract follows it recursively).
pub(crate) fn parent_loop_pdf() -> Vec<u8> {
    raw_pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 4 0 R >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 /Parent 2 0 R >>".to_vec(),
        stream("", b"BT ET"),
    ])
}

/// One page whose content stream inflates to `size` bytes of spaces.
pub(crate) fn inflating_pdf(size: usize) -> Vec<u8> {
    let mut stream = pdf_extract::Stream::new(pdf_extract::Dictionary::new(), vec![b' '; size]);
    stream.compress().unwrap();
    let data = stream.content;
    let mut content = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        data.len()
    )
    .into_bytes();
    content.extend_from_slice(&data);
    content.extend_from_slice(b"\nendstream");
    raw_pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>".to_vec(),
        content,
    ])
}

/// `data` zlib-compressed, as a PDF's FlateDecode stream holds it.
pub(crate) fn zlib_compressed(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `data` in ASCII85 with its `~>` end marker, as a PDF's ASCII85Decode stream holds it.
pub(crate) fn ascii85_encoded(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in data.chunks(4) {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        let mut v = u32::from_be_bytes(word);
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = (v % 85) as u8 + b'!';
            v /= 85;
        }
        out.extend_from_slice(&digits[..chunk.len() + 1]);
    }
    out.extend_from_slice(b"~>");
    out
}
