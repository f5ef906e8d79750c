//! PDF reading: page count, text layer and embedded pictures (scanned
//! receipts). This is the core of the PDF worker process (see `worker.rs`);
//! it can also be called directly, e.g. in tests.
//!
//! What this code absorbs by itself (returns an error, no crash):
//! - panics inside `pdf-extract`/lopdf (caught with `catch_unwind`);
//! - a page tree whose `/Kids` loop back, a `/Parent` chain that loops
//!   (pdf-extract follows it recursively), and form XObjects that draw
//!   themselves (pdf-extract recurses on `Do`): all found by bounded walks
//!   before the text is extracted.
//!
//! What needs the child process: a file nested so deeply that lopdf's
//! recursive parser overflows the stack (that aborts a process and cannot be
//! caught), unbounded allocation (e.g. a Flate stream that inflates to
//! gigabytes), and endless loops. The worker runs with RLIMIT_AS, RLIMIT_CPU
//! and a wall-clock timeout for those.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{Dictionary, Document, Object, ObjectId};
use serde::{Deserialize, Serialize};

use super::error::ReceiptError;
use super::Limits;

/// At most this many embedded pictures are rendered.
pub const MAX_PAGE_IMAGES: usize = 3;
/// Extracted text is cut at this many bytes.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// Bounds for walks over the object graph.
const MAX_DEPTH: usize = 64;
const MAX_VISITS: usize = 100_000;
const MAX_FORM_DEPTH: usize = 32;

/// What the worker found in a PDF.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PdfContent {
    /// The text layer (empty for scanned documents).
    pub text: String,
    pub pages: u32,
    /// JPEG renditions (long edge ≤ 1568) of the first embedded pictures.
    pub images: Vec<Vec<u8>>,
    /// Things that went wrong without making the PDF unusable.
    pub notes: Vec<String>,
}

/// Reads a PDF in the current process (the worker's core).
pub fn extract_pdf_in_process(bytes: &[u8], limits: &Limits) -> Result<PdfContent, ReceiptError> {
    match catch_unwind(AssertUnwindSafe(|| extract(bytes, limits))) {
        Ok(result) => result,
        Err(payload) => {
            tracing::warn!(panic = %panic_message(payload.as_ref()), "PDF reader panicked");
            Err(ReceiptError::PdfReaderFailed(
                "the reader stopped on malformed data".to_string(),
            ))
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn extract(bytes: &[u8], limits: &Limits) -> Result<PdfContent, ReceiptError> {
    let mut doc = Document::load_mem(bytes).map_err(|e| match e {
        pdf_extract::Error::Decryption(_) => ReceiptError::EncryptedPdf,
        other => ReceiptError::CorruptPdf(short_error(&other.to_string())),
    })?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(ReceiptError::EncryptedPdf);
    }

    let pages = page_ids(&doc)?;
    let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if count == 0 {
        return Err(ReceiptError::PdfNoPages);
    }
    if count > limits.max_pdf_pages {
        return Err(ReceiptError::PdfTooManyPages {
            pages: count,
            max: limits.max_pdf_pages,
        });
    }
    for &page in &pages {
        check_parent_chain(&doc, page)?;
    }
    check_form_recursion(&doc, &pages)?;

    let mut content = PdfContent {
        pages: count,
        ..PdfContent::default()
    };
    match catch_unwind(AssertUnwindSafe(|| extract_text(&doc))) {
        Ok(Ok(text)) => content.text = text,
        Ok(Err(e)) => content
            .notes
            .push(format!("the text layer could not be read: {e}")),
        Err(payload) => {
            tracing::warn!(panic = %panic_message(payload.as_ref()), "PDF text extraction panicked");
            content
                .notes
                .push("the text layer could not be read".to_string());
        }
    }
    match catch_unwind(AssertUnwindSafe(|| {
        super::pdf_images::extract_images(&doc, &pages, limits)
    })) {
        Ok(images) => content.images = images,
        Err(_) => content
            .notes
            .push("the pictures in the PDF could not be read".to_string()),
    }
    Ok(content)
}

fn short_error(message: &str) -> String {
    let mut s: String = message.chars().take(200).collect();
    if s.is_empty() {
        s = "unknown error".to_string();
    }
    s
}

fn extract_text(doc: &Document) -> Result<String, String> {
    let mut text = String::new();
    {
        let mut output = pdf_extract::PlainTextOutput::new(&mut text);
        pdf_extract::output_doc(doc, &mut output).map_err(|e| short_error(&format!("{e:?}")))?;
    }
    if text.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Ok(text)
}

pub(crate) fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    doc.dereference(obj).ok().map(|(_, o)| o)
}

pub(crate) fn dict_at<'a>(
    doc: &'a Document,
    dict: &'a Dictionary,
    key: &[u8],
) -> Option<&'a Dictionary> {
    deref(doc, dict.get(key).ok()?)?.as_dict().ok()
}

/// The pages in document order, found by a bounded walk of the page tree
/// that refuses loops (a `/Pages` node reached twice).
pub(crate) fn page_ids(doc: &Document) -> Result<Vec<ObjectId>, ReceiptError> {
    let root = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| p.as_reference().ok())
        .ok_or_else(|| ReceiptError::CorruptPdf("it has no page tree".to_string()))?;
    let mut pages = Vec::new();
    let mut seen_nodes = HashSet::new();
    let mut stack = vec![(root, 0usize)];
    let mut visits = 0usize;
    while let Some((id, depth)) = stack.pop() {
        visits += 1;
        if visits > MAX_VISITS || depth > MAX_DEPTH {
            return Err(ReceiptError::PdfStructureLoop);
        }
        let Ok(dict) = doc.get_dictionary(id) else {
            continue; // a dangling kid is skipped, as readers do
        };
        match dict.get_type() {
            Ok(b"Pages") => {
                if !seen_nodes.insert(id) {
                    return Err(ReceiptError::PdfStructureLoop);
                }
                if let Some(kids) = dict
                    .get(b"Kids")
                    .ok()
                    .and_then(|k| deref(doc, k))
                    .and_then(|k| k.as_array().ok())
                {
                    for kid in kids.iter().rev() {
                        if let Ok(kid_id) = kid.as_reference() {
                            stack.push((kid_id, depth + 1));
                        }
                    }
                }
            }
            Ok(b"Page") => pages.push(id),
            _ => {}
        }
    }
    Ok(pages)
}

/// pdf-extract looks up inherited attributes by following `/Parent`
/// recursively; a loop there would overflow the stack.
fn check_parent_chain(doc: &Document, page: ObjectId) -> Result<(), ReceiptError> {
    let mut seen = HashSet::new();
    let mut current = page;
    for _ in 0..MAX_DEPTH {
        if !seen.insert(current) {
            return Err(ReceiptError::PdfStructureLoop);
        }
        let Some(parent) = doc
            .get_dictionary(current)
            .ok()
            .and_then(|d| d.get(b"Parent").ok())
            .and_then(|p| p.as_reference().ok())
        else {
            return Ok(());
        };
        current = parent;
    }
    Err(ReceiptError::PdfStructureLoop)
}

/// The page's resources, possibly inherited from an ancestor.
pub(crate) fn page_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut current = page;
    for _ in 0..MAX_DEPTH {
        let dict = doc.get_dictionary(current).ok()?;
        if let Some(res) = dict_at(doc, dict, b"Resources") {
            return Some(res);
        }
        current = dict.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// Names of the XObjects a content stream draws with `Do`.
fn invoked_xobjects(stream: &pdf_extract::Stream) -> Vec<Vec<u8>> {
    let data = match stream.filters() {
        Ok(f) if !f.is_empty() => match stream.decompressed_content() {
            Ok(d) => d,
            Err(_) => return Vec::new(),
        },
        _ => stream.content.clone(),
    };
    let Ok(content) = pdf_extract::content::Content::decode(&data) else {
        return Vec::new();
    };
    content
        .operations
        .iter()
        .filter(|op| op.operator == "Do")
        .filter_map(|op| op.operands.first())
        .filter_map(|o| o.as_name().ok())
        .map(<[u8]>::to_vec)
        .collect()
}

/// pdf-extract draws form XObjects recursively; refuse forms that (directly
/// or through others) draw themselves.
fn check_form_recursion(doc: &Document, pages: &[ObjectId]) -> Result<(), ReceiptError> {
    let mut budget = MAX_VISITS;
    for &page in pages {
        let Some(res) = page_resources(doc, page) else {
            continue;
        };
        let Some(xobjects) = dict_at(doc, res, b"XObject") else {
            continue;
        };
        let names: Vec<Vec<u8>> = xobjects.iter().map(|(k, _)| k.clone()).collect();
        let mut path = Vec::new();
        walk_forms(doc, res, &names, &mut path, &mut budget)?;
    }
    Ok(())
}

fn walk_forms(
    doc: &Document,
    resources: &Dictionary,
    names: &[Vec<u8>],
    path: &mut Vec<ObjectId>,
    budget: &mut usize,
) -> Result<(), ReceiptError> {
    let Some(xobjects) = dict_at(doc, resources, b"XObject") else {
        return Ok(());
    };
    for name in names {
        let Some(id) = xobjects.get(name).ok().and_then(|o| o.as_reference().ok()) else {
            continue;
        };
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        if !stream.dict.has_type(b"XObject") && stream.dict.get(b"Subtype").is_err() {
            continue;
        }
        let is_form = stream
            .dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .is_ok_and(|s| s == b"Form");
        if !is_form {
            continue;
        }
        if path.contains(&id) || path.len() >= MAX_FORM_DEPTH {
            return Err(ReceiptError::PdfStructureLoop);
        }
        *budget = budget
            .checked_sub(1)
            .ok_or(ReceiptError::PdfStructureLoop)?;
        let inner = dict_at(doc, &stream.dict, b"Resources").unwrap_or(resources);
        let invoked = invoked_xobjects(stream);
        path.push(id);
        walk_forms(doc, inner, &invoked, path, budget)?;
        path.pop();
    }
    Ok(())
}
