//! The OCR worker: a long-lived child process of our own binary that keeps Tesseract's language
//! models loaded and reads one picture per request.
//!
//! Every run of the `tesseract` program loads its models again: 0.1–0.25 s of a 0.4–0.6 s
//! reading of a receipt, and a receipt in another language than English is read twice. The
//! worker loads `libtesseract` at run time (`dlopen`, through the `libloading` crate) and calls
//! its C API (`capi.h`, stable across Tesseract 4 and 5), keeping one engine per language set.
//! Nothing is linked at build time, so a machine without Tesseract builds and runs as before;
//! a machine with the program but without the library (or a worker that cannot start) reads
//! through the program, as before.
//!
//! The readings are the program's: the same picture (the PGM the program would get on stdin),
//! the same page segmentation mode, the same TSV (a test compares them word for word).
//!
//! Parent → child, repeated: a little-endian u32 length and a JSON header
//! `{"langs": "deu+eng", "psm": 6}`, then a u32 length and the picture (binary PGM).
//! Child → parent: a u32 length and JSON, `{"tsv": "..."}` or `{"error": "...", "unavailable": bool}`.
//! The child's environment is cleared but for `TESSDATA_PREFIX` and one OpenMP thread; a
//! reading that outlasts its timeout kills the child (the next request starts another).

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::ReceiptError;

/// The largest picture a request may carry (a 1568 × 1568 grey picture is 2.5 MB).
const MAX_PICTURE_BYTES: usize = 64 * 1024 * 1024;
/// The largest reply the parent reads (Tesseract's TSV of a dense page is well under 1 MB).
const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;
/// Language sets a worker keeps loaded (English, and the receipt languages seen lately).
const ENGINES_KEPT: usize = 4;
/// Idle workers kept at most (one per CPU, like the readings that may run at once).
fn idle_kept() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[derive(Serialize, Deserialize)]
struct Request {
    langs: String,
    psm: i32,
}

#[derive(Serialize, Deserialize, Default)]
struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tsv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The library could not be loaded: the parent stops using workers.
    #[serde(default)]
    unavailable: bool,
}

/// Why a reading through a worker did not happen.
#[derive(Debug)]
pub(crate) enum WorkerError {
    /// No worker can read here (no library, or workers will not start): use the program.
    Unavailable(String),
    /// The worker stopped during this reading (it is replaced): read it with the program.
    Lost(String),
    /// This reading failed or timed out.
    Reading(ReceiptError),
}

/// How the server starts its OCR workers: `<current exe> internal ocr-worker`.
pub struct OcrWorkers {
    exe: PathBuf,
    args: Vec<String>,
    idle: Mutex<Vec<Worker>>,
    off: AtomicBool,
    /// New workers that stopped before their first reply, one after another.
    failed_starts: AtomicU32,
}

/// New workers that may stop before answering before the workers are switched off.
const STARTS_TRIED: u32 = 3;

static WORKERS: OnceLock<OcrWorkers> = OnceLock::new();

/// Lets OCR read through workers started as `exe args…` (the server calls it once at start-up;
/// without it, every reading runs the `tesseract` program).
pub fn use_ocr_workers(exe: PathBuf, args: Vec<String>) {
    let _ = WORKERS.set(OcrWorkers {
        exe,
        args,
        idle: Mutex::new(Vec::new()),
        off: AtomicBool::new(false),
        failed_starts: AtomicU32::new(0),
    });
}

/// The workers, unless none were set up or they turned out not to work here.
pub(crate) fn workers() -> Option<&'static OcrWorkers> {
    WORKERS.get().filter(|w| !w.off.load(Ordering::Relaxed))
}

struct Worker {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::process::ChildStdout,
    /// Readings it has answered.
    answered: u64,
}

impl OcrWorkers {
    /// Reads `picture` (a binary PGM) with `langs` in page segmentation mode `psm`, returning
    /// Tesseract's TSV. The caller holds an OCR slot, so at most one reading per CPU runs.
    pub(crate) async fn read(
        &self,
        langs: &str,
        psm: i32,
        picture: &[u8],
        timeout: Duration,
    ) -> Result<String, WorkerError> {
        let mut worker = match self.take_idle() {
            Some(w) => w,
            None => self.start().map_err(|e| self.switch_off(e))?,
        };
        let header = serde_json::to_vec(&Request {
            langs: langs.to_string(),
            psm,
        })
        .map_err(|e| WorkerError::Reading(ReceiptError::Internal(e.to_string())))?;
        let conversation = async {
            write_frame(&mut worker.stdin, &header).await?;
            write_frame(&mut worker.stdin, picture).await?;
            worker.stdin.flush().await?;
            read_frame(&mut worker.stdout, MAX_REPLY_BYTES).await
        };
        let reply = match tokio::time::timeout(timeout, conversation).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(e)) => {
                // The worker died or spoke out of turn: it is dropped (and killed). A new one
                // that never answered may not be able to run here at all.
                let _ = worker.child.start_kill();
                let why = format!("the OCR worker stopped: {e}");
                if worker.answered == 0
                    && self.failed_starts.fetch_add(1, Ordering::Relaxed) + 1 >= STARTS_TRIED
                {
                    return Err(self.switch_off(why));
                }
                return Err(WorkerError::Lost(why));
            }
            Err(_) => {
                let _ = worker.child.start_kill();
                return Err(WorkerError::Reading(ReceiptError::OcrTimeout { timeout }));
            }
        };
        let reply: Reply = serde_json::from_slice(&reply).map_err(|e| {
            WorkerError::Reading(ReceiptError::OcrFailed(format!(
                "the OCR worker's reply was unreadable: {e}"
            )))
        })?;
        if reply.unavailable {
            let _ = worker.child.start_kill();
            return Err(self.switch_off(reply.error.unwrap_or_default()));
        }
        worker.answered += 1;
        self.failed_starts.store(0, Ordering::Relaxed);
        match (reply.tsv, reply.error) {
            (Some(tsv), _) => {
                self.put_back(worker);
                Ok(tsv)
            }
            (None, e) => {
                self.put_back(worker);
                Err(WorkerError::Reading(ReceiptError::OcrFailed(
                    e.unwrap_or_else(|| "the OCR worker gave no reading".to_string()),
                )))
            }
        }
    }

    fn take_idle(&self) -> Option<Worker> {
        self.idle.lock().ok()?.pop()
    }

    fn put_back(&self, worker: Worker) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < idle_kept() {
                idle.push(worker);
            }
        }
    }

    fn switch_off(&self, why: String) -> WorkerError {
        if !self.off.swap(true, Ordering::Relaxed) {
            tracing::warn!(reason = %why, "OCR workers unavailable; OCR runs the tesseract program");
        }
        WorkerError::Unavailable(why)
    }

    fn start(&self) -> Result<Worker, String> {
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.args(&self.args)
            .env_clear()
            // One thread: the server has other work; OpenMP threads mostly spin.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(prefix) = std::env::var_os("TESSDATA_PREFIX") {
            cmd.env("TESSDATA_PREFIX", prefix);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start the OCR worker: {e}"))?;
        match (child.stdin.take(), child.stdout.take()) {
            (Some(stdin), Some(stdout)) => Ok(Worker {
                child,
                stdin,
                stdout,
                answered: 0,
            }),
            _ => Err("the OCR worker has no pipes".to_string()),
        }
    }
}

async fn write_frame(
    to: &mut tokio::process::ChildStdin,
    bytes: &[u8],
) -> Result<(), std::io::Error> {
    let len = u32::try_from(bytes.len()).map_err(|_| std::io::Error::other("a frame over 4 GB"))?;
    to.write_all(&len.to_le_bytes()).await?;
    to.write_all(bytes).await
}

async fn read_frame(
    from: &mut tokio::process::ChildStdout,
    max: usize,
) -> Result<Vec<u8>, std::io::Error> {
    let mut len = [0u8; 4];
    from.read_exact(&mut len).await?;
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::other(format!("a reply of {len} bytes")));
    }
    let mut buf = vec![0u8; len];
    from.read_exact(&mut buf).await?;
    Ok(buf)
}

// ---- The child ----------------------------------------------------------------------------

/// The worker's main loop (`formwork internal ocr-worker`): requests on stdin, replies on
/// stdout, until stdin closes.
pub fn run_ocr_worker_stdio() -> ExitCode {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut input = stdin.lock();
    let mut output = stdout.lock();
    let library = TessLibrary::load();
    let mut engines: Vec<(String, Engine)> = Vec::new();
    loop {
        let header = match read_frame_blocking(&mut input, 64 * 1024) {
            Ok(Some(h)) => h,
            Ok(None) => return ExitCode::SUCCESS,
            Err(_) => return ExitCode::FAILURE,
        };
        let picture = match read_frame_blocking(&mut input, MAX_PICTURE_BYTES) {
            Ok(Some(p)) => p,
            _ => return ExitCode::FAILURE,
        };
        let reply = match &library {
            Err(why) => Reply {
                error: Some(why.clone()),
                unavailable: true,
                ..Reply::default()
            },
            Ok(lib) => match serve(lib, &mut engines, &header, &picture) {
                Ok(tsv) => Reply {
                    tsv: Some(tsv),
                    ..Reply::default()
                },
                Err(e) => Reply {
                    error: Some(e),
                    ..Reply::default()
                },
            },
        };
        let Ok(bytes) = serde_json::to_vec(&reply) else {
            return ExitCode::FAILURE;
        };
        let Ok(len) = u32::try_from(bytes.len()) else {
            return ExitCode::FAILURE;
        };
        if output.write_all(&len.to_le_bytes()).is_err()
            || output.write_all(&bytes).is_err()
            || output.flush().is_err()
        {
            return ExitCode::FAILURE;
        }
    }
}

fn read_frame_blocking(from: &mut impl Read, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match from.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut buf = vec![0u8; len];
    from.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// One reading in the child.
fn serve(
    lib: &TessLibrary,
    engines: &mut Vec<(String, Engine)>,
    header: &[u8],
    picture: &[u8],
) -> Result<String, String> {
    let request: Request =
        serde_json::from_slice(header).map_err(|e| format!("a request unreadable: {e}"))?;
    let (width, height, pixels) = parse_pgm(picture)?;
    let at = match engines.iter().position(|(l, _)| *l == request.langs) {
        Some(i) => i,
        None => {
            if engines.len() >= ENGINES_KEPT {
                // The oldest-loaded set goes (dropping it frees its models).
                engines.remove(0);
            }
            engines.push((request.langs.clone(), Engine::new(lib, &request.langs)?));
            engines.len() - 1
        }
    };
    engines[at].1.read_tsv(request.psm, width, height, pixels)
}

/// Width, height and pixels of a binary PGM with a maximum value of 255 (what
/// `prepare::encode_pgm` writes).
pub(crate) fn parse_pgm(bytes: &[u8]) -> Result<(u32, u32, &[u8]), String> {
    let mut fields = Vec::with_capacity(4);
    let mut at = 0;
    while fields.len() < 4 {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if start == at || at >= bytes.len() {
            return Err("the picture is not a binary PGM".to_string());
        }
        fields.push(std::str::from_utf8(&bytes[start..at]).unwrap_or(""));
    }
    at += 1; // the one whitespace byte after the maximum value
    let number = |s: &str| {
        s.parse::<u32>()
            .map_err(|_| "a PGM header field is not a number")
    };
    if fields[0] != "P5" || number(fields[3])? != 255 {
        return Err("the picture is not an 8-bit binary PGM".to_string());
    }
    let (width, height) = (number(fields[1])?, number(fields[2])?);
    let size = (width as usize).checked_mul(height as usize);
    match (size, bytes.get(at..)) {
        (Some(n), Some(rest)) if n > 0 && rest.len() == n => Ok((width, height, rest)),
        _ => Err("the PGM's pixels do not match its size".to_string()),
    }
}

type CreateFn = unsafe extern "C" fn() -> *mut c_void;
type DeleteFn = unsafe extern "C" fn(*mut c_void);
type Init3Fn = unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char) -> c_int;
type SetPsmFn = unsafe extern "C" fn(*mut c_void, c_int);
type SetImageFn = unsafe extern "C" fn(*mut c_void, *const u8, c_int, c_int, c_int, c_int);
type RecognizeFn = unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int;
type GetTsvFn = unsafe extern "C" fn(*mut c_void, c_int) -> *mut c_char;
type DeleteTextFn = unsafe extern "C" fn(*const c_char);
type ClearFn = unsafe extern "C" fn(*mut c_void);

/// The functions of Tesseract's C API the worker calls, from the library loaded at run time.
struct TessLibrary {
    create: CreateFn,
    delete: DeleteFn,
    init3: Init3Fn,
    set_psm: SetPsmFn,
    set_image: SetImageFn,
    recognize: RecognizeFn,
    get_tsv: GetTsvFn,
    delete_text: DeleteTextFn,
    clear: ClearFn,
    /// Keeps the library loaded while the pointers above are used.
    _library: libloading::Library,
}

/// Names the library goes by (Debian 12: libtesseract5; the unversioned name needs -dev).
const LIBRARY_NAMES: &[&str] = &["libtesseract.so.5", "libtesseract.so.4", "libtesseract.so"];

impl TessLibrary {
    fn load() -> Result<TessLibrary, String> {
        let mut last = String::from("no library name tried");
        for name in LIBRARY_NAMES {
            // SAFETY: loading libtesseract runs its initialisers, which only set up C++ statics.
            match unsafe { libloading::Library::new(name) } {
                Ok(library) => return Self::from_library(library),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("libtesseract could not be loaded: {last}"))
    }

    fn from_library(library: libloading::Library) -> Result<TessLibrary, String> {
        fn symbol<T: Copy>(library: &libloading::Library, name: &str) -> Result<T, String> {
            // SAFETY: each name is looked up with the signature `capi.h` declares for it.
            unsafe { library.get::<T>(name.as_bytes()) }
                .map(|s| *s)
                .map_err(|e| format!("libtesseract lacks {name}: {e}"))
        }
        Ok(TessLibrary {
            create: symbol(&library, "TessBaseAPICreate")?,
            delete: symbol(&library, "TessBaseAPIDelete")?,
            init3: symbol(&library, "TessBaseAPIInit3")?,
            set_psm: symbol(&library, "TessBaseAPISetPageSegMode")?,
            set_image: symbol(&library, "TessBaseAPISetImage")?,
            recognize: symbol(&library, "TessBaseAPIRecognize")?,
            get_tsv: symbol(&library, "TessBaseAPIGetTsvText")?,
            delete_text: symbol(&library, "TessDeleteText")?,
            clear: symbol(&library, "TessBaseAPIClear")?,
            _library: library,
        })
    }
}

/// One Tesseract engine with its language models loaded.
struct Engine {
    handle: *mut c_void,
    delete: DeleteFn,
    set_psm: SetPsmFn,
    set_image: SetImageFn,
    recognize: RecognizeFn,
    get_tsv: GetTsvFn,
    delete_text: DeleteTextFn,
    clear: ClearFn,
}

impl Engine {
    fn new(lib: &TessLibrary, langs: &str) -> Result<Engine, String> {
        let wanted = CString::new(langs).map_err(|_| "a language list with a NUL")?;
        // SAFETY: TessBaseAPICreate has no preconditions; the handle is deleted in Drop.
        let handle = unsafe { (lib.create)() };
        if handle.is_null() {
            return Err("Tesseract could not make an engine".to_string());
        }
        let engine = Engine {
            handle,
            delete: lib.delete,
            set_psm: lib.set_psm,
            set_image: lib.set_image,
            recognize: lib.recognize,
            get_tsv: lib.get_tsv,
            delete_text: lib.delete_text,
            clear: lib.clear,
        };
        // SAFETY: a live handle; a null data path means the library's own (or TESSDATA_PREFIX).
        let failed = unsafe { (lib.init3)(handle, std::ptr::null(), wanted.as_ptr()) };
        if failed != 0 {
            return Err(format!("Tesseract could not load the languages {langs}"));
        }
        Ok(engine)
    }

    fn read_tsv(
        &mut self,
        psm: i32,
        width: u32,
        height: u32,
        pixels: &[u8],
    ) -> Result<String, String> {
        let (w, h) = (
            c_int::try_from(width).map_err(|_| "too wide")?,
            c_int::try_from(height).map_err(|_| "too tall")?,
        );
        // SAFETY: a live handle; `pixels` holds width × height bytes (checked by parse_pgm) and
        // outlives the reading; one byte per pixel, one row of `w` bytes after another.
        unsafe {
            (self.set_psm)(self.handle, psm);
            (self.set_image)(self.handle, pixels.as_ptr(), w, h, 1, w);
            if (self.recognize)(self.handle, std::ptr::null_mut()) != 0 {
                (self.clear)(self.handle);
                return Err("Tesseract could not read the picture".to_string());
            }
            let text = (self.get_tsv)(self.handle, 0);
            let tsv = if text.is_null() {
                String::new()
            } else {
                let s = CStr::from_ptr(text).to_string_lossy().into_owned();
                (self.delete_text)(text);
                s
            };
            (self.clear)(self.handle);
            Ok(tsv)
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the handle came from TessBaseAPICreate and is deleted once.
        unsafe { (self.delete)(self.handle) }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pgm_headers_are_read_and_bad_ones_refused() {
        let mut ok = b"P5\n3 2\n255\n".to_vec();
        ok.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let (w, h, px) = parse_pgm(&ok).unwrap();
        assert_eq!((w, h, px), (3, 2, &[1u8, 2, 3, 4, 5, 6][..]));
        assert!(
            parse_pgm(b"P5\n3 2\n255\n\x01\x02").is_err(),
            "too few pixels"
        );
        assert!(parse_pgm(b"P6\n1 1\n255\n\x01\x02\x03").is_err(), "colour");
        assert!(parse_pgm(b"P5\n1 1\n65535\n\x01\x02").is_err(), "16-bit");
        assert!(parse_pgm(b"P5\n0 0\n255\n").is_err(), "no pixels");
        assert!(parse_pgm(b"P5\n99999999999 2\n255\n").is_err(), "overflow");
        assert!(parse_pgm(b"").is_err());
        assert!(parse_pgm(b"P5").is_err());
    }
}
