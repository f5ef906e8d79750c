//! Reading a submitted operation form (multipart) within bounds: the CSRF token before any file,
//! files only for the operation's file inputs and spooled to disk as they arrive, the number of
//! parts and the body limited.
use crate::uploads::SpooledFile;
use crate::web::{Signed, WebError};
use actix_multipart::Multipart;
use actix_web::HttpResponse;
use futures_util::StreamExt;
use std::collections::HashMap;

/// The most parts an operation form may have (its inputs are far fewer).
const MAX_PARTS: usize = 64;
/// The most text an operation form may carry, all text fields together.
const MAX_TEXT: usize = 1024 * 1024;
/// The longest one text field may be.
const MAX_TEXT_VALUE: usize = 64 * 1024;
/// Room for multipart framing (boundaries, part headers) in a form's body.
const FRAMING: usize = 64 * 1024;

/// A file received for one of the operation's file inputs, waiting on disk.
pub(super) struct ReceivedFile {
    pub field: String,
    pub filename: String,
    pub file: SpooledFile,
}

/// The parts of a submitted operation form.
pub(super) struct Submitted {
    pub version: Option<i64>,
    pub record: Option<i64>,
    pub text: HashMap<String, String>,
    pub files: Vec<ReceivedFile>,
    /// A file input whose file was over the limit, and the message for it.
    pub too_large: Option<(String, String)>,
}

/// Why a submitted form was refused before it was read to its end.
pub(super) enum Refusal {
    /// The body is over the limit: 413 with this explanation.
    TooLarge(String),
    Web(WebError),
}

impl From<WebError> for Refusal {
    fn from(e: WebError) -> Self {
        Refusal::Web(e)
    }
}

/// What an operation form may contain, known before its body is read.
pub(super) struct FormRules<'a> {
    pub signed: &'a Signed,
    /// The operation's file inputs: the only parts that may carry a file.
    pub file_inputs: Vec<&'a str>,
    pub max_file: usize,
    pub data_dir: &'a std::path::Path,
    /// Parts beyond the usual bound: the cells of the operation's line items.
    pub extra_parts: usize,
    /// Whether a part names a file cell of a line (`items[3][receipt]`), which may carry a file.
    pub line_file: &'a dyn Fn(&str) -> bool,
    /// How many files of the largest size the form may carry in all: 1, or more when its lines
    /// take a file each.
    pub file_slots: usize,
}

impl FormRules<'_> {
    /// The most a form's body may be, as declared or as read: one upload's worth of files, the
    /// text fields and the multipart framing. A file somewhat over the upload limit still fits,
    /// so the form can come back with the message beside its field.
    pub fn max_body(&self) -> usize {
        self.max_file
            .saturating_mul(self.file_slots.max(1))
            .saturating_add(MAX_TEXT)
            .saturating_add(FRAMING)
    }

    /// The refusal of a form of `size` bytes (as declared, or as read so far): worded as the
    /// receipt-size refusal of every surface, since the file is what makes a form this large.
    pub fn too_large(&self, size: usize) -> Refusal {
        Refusal::TooLarge(too_large_message(size, self.max_file))
    }
}

pub(super) fn spool_error(e: std::io::Error) -> WebError {
    match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            crate::store::StoreError::Full.into()
        }
        _ => WebError::Internal(format!("an upload could not be received: {e}")),
    }
}

/// Reads an operation form part by part, refusing it as soon as it breaks a rule, so that no
/// request makes the server hold more than the form's text (at most [`MAX_TEXT`]) in memory:
/// the CSRF token is checked as soon as it arrives and must come before any file; a file is
/// accepted only for one of the operation's file inputs, once, and goes to a temporary file as
/// it arrives; the number of parts and the whole body are bounded.
pub(super) async fn read_form(
    mut mp: Multipart,
    rules: &FormRules<'_>,
) -> Result<Submitted, Refusal> {
    let mut s = Submitted {
        version: None,
        record: None,
        text: HashMap::new(),
        files: vec![],
        too_large: None,
    };
    let mut csrf_checked = false;
    let mut parts = 0usize;
    let mut content = 0usize;
    let mut total_text = 0usize;
    let mut file_fields = std::collections::HashSet::new();
    while let Some(item) = mp.next().await {
        let mut field =
            item.map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))?;
        parts += 1;
        if parts > MAX_PARTS + rules.extra_parts {
            return Err(WebError::BadRequest(format!(
                "the form has more than {} parts; send only the operation's inputs",
                MAX_PARTS + rules.extra_parts
            ))
            .into());
        }
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(String::from));
        if let Some(filename) = filename {
            if !csrf_checked {
                return Err(WebError::BadRequest(
                    "the form's security token (csrf) must come before any file; reload the page and submit the form again".into(),
                )
                .into());
            }
            if !rules.file_inputs.contains(&name.as_str()) && !(rules.line_file)(&name) {
                return Err(WebError::BadRequest(format!(
                    "`{name}` is not a file input of this operation; no file was read"
                ))
                .into());
            }
            if !file_fields.insert(name.clone()) {
                return Err(WebError::BadRequest(format!(
                    "the form has more than one file for `{name}`"
                ))
                .into());
            }
            let mut spooled: Option<SpooledFile> = None;
            let mut size = 0usize;
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| {
                    WebError::BadRequest(format!("the upload was interrupted: {e}"))
                })?;
                content += chunk.len();
                if content > rules.max_body() {
                    return Err(rules.too_large(content));
                }
                size += chunk.len();
                if size > rules.max_file {
                    // Drain the rest (within the form's bound) without keeping it, so the form
                    // can come back with the message beside the field.
                    spooled = None;
                    continue;
                }
                let file = match spooled.as_mut() {
                    Some(f) => f,
                    None => spooled.insert(
                        SpooledFile::create(rules.data_dir)
                            .await
                            .map_err(spool_error)?,
                    ),
                };
                file.write(&chunk).await.map_err(spool_error)?;
            }
            if size > rules.max_file {
                // A file input's value is emptied; a line's cell keeps the file it already held
                // (its hidden attachment id), since the form is refused either way.
                if !(rules.line_file)(&name) {
                    s.text.insert(name.clone(), String::new());
                }
                s.too_large = Some((name, too_large_message(size, rules.max_file)));
            } else if let Some(mut file) = spooled {
                file.finish().await.map_err(spool_error)?;
                s.files.push(ReceivedFile {
                    field: name,
                    filename,
                    file,
                });
            }
            continue;
        }
        let mut buf = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| WebError::BadRequest(format!("the form could not be read: {e}")))?;
            content += chunk.len();
            total_text += chunk.len();
            if buf.len() + chunk.len() > MAX_TEXT_VALUE {
                return Err(
                    WebError::BadRequest(format!("the value of `{name}` is too long")).into(),
                );
            }
            if total_text > MAX_TEXT {
                return Err(WebError::BadRequest("the form is too large".into()).into());
            }
            buf.extend_from_slice(&chunk);
        }
        let v = String::from_utf8(buf)
            .map_err(|_| WebError::BadRequest(format!("`{name}` is not valid text")))?;
        match name.as_str() {
            "csrf" => {
                rules.signed.check_csrf(&v)?;
                csrf_checked = true;
            }
            "_version" => s.version = v.parse().ok(),
            "_record" => s.record = v.parse().ok(),
            _ => {
                // Checkboxes of one field (a multichoice) send one part each: one option a line.
                match s.text.get_mut(&name) {
                    Some(earlier) => {
                        earlier.push('\n');
                        earlier.push_str(&v);
                    }
                    None => {
                        s.text.insert(name, v);
                    }
                }
            }
        }
    }
    if !csrf_checked {
        return Err(WebError::Csrf.into());
    }
    Ok(s)
}

/// "the receipt is 27.3 MB; the largest accepted is 20 MB": the same words MCP uses.
fn too_large_message(size: usize, max: usize) -> String {
    crate::receipts::ReceiptError::TooLarge {
        size: size as u64,
        max: max as u64,
    }
    .to_string()
}

/// A refusal page with 413 Payload Too Large.
pub(super) fn payload_too_large(message: String) -> HttpResponse {
    let mut resp = actix_web::ResponseError::error_response(&WebError::BadRequest(message));
    *resp.status_mut() = actix_web::http::StatusCode::PAYLOAD_TOO_LARGE;
    resp
}
