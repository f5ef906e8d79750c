//! The OCR worker's own side (`formwork internal ocr-worker`): requests on stdin, Tesseract's C
//! API (`capi.h`) from `libtesseract` loaded at run time, replies on stdout.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{Read, Write};
use std::process::ExitCode;

use super::ocr_worker::{Reply, Request};

/// The largest picture a request may carry (a 1568 × 1568 grey picture is 2.5 MB).
const MAX_PICTURE_BYTES: usize = 64 * 1024 * 1024;
/// Language sets a worker keeps loaded (English, and the receipt languages seen lately).
const ENGINES_KEPT: usize = 4;

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
fn serve<'l>(
    lib: &'l TessLibrary,
    engines: &mut Vec<(String, Engine<'l>)>,
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
struct Engine<'a> {
    handle: *mut c_void,
    lib: &'a TessLibrary,
}

impl<'a> Engine<'a> {
    fn new(lib: &'a TessLibrary, langs: &str) -> Result<Engine<'a>, String> {
        let wanted = CString::new(langs).map_err(|_| "a language list with a NUL")?;
        // SAFETY: TessBaseAPICreate has no preconditions; the handle is deleted in Drop.
        let handle = unsafe { (lib.create)() };
        if handle.is_null() {
            return Err("Tesseract could not make an engine".to_string());
        }
        let engine = Engine { handle, lib };
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
            (self.lib.set_psm)(self.handle, psm);
            (self.lib.set_image)(self.handle, pixels.as_ptr(), w, h, 1, w);
            if (self.lib.recognize)(self.handle, std::ptr::null_mut()) != 0 {
                (self.lib.clear)(self.handle);
                return Err("Tesseract could not read the picture".to_string());
            }
            let text = (self.lib.get_tsv)(self.handle, 0);
            let tsv = if text.is_null() {
                String::new()
            } else {
                let s = CStr::from_ptr(text).to_string_lossy().into_owned();
                (self.lib.delete_text)(text);
                s
            };
            (self.lib.clear)(self.handle);
            Ok(tsv)
        }
    }
}

impl Drop for Engine<'_> {
    fn drop(&mut self) {
        // SAFETY: the handle came from TessBaseAPICreate and is deleted once.
        unsafe { (self.lib.delete)(self.handle) }
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
