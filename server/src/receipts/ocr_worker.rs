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

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::ReceiptError;

/// The largest reply the parent reads (Tesseract's TSV of a dense page is well under 1 MB).
const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;
/// Idle workers kept at most (one per CPU, like the readings that may run at once).
fn idle_kept() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[derive(Serialize, Deserialize)]
pub(super) struct Request {
    pub langs: String,
    pub psm: i32,
}

#[derive(Serialize, Deserialize, Default)]
pub(super) struct Reply {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The library could not be loaded: the parent stops using workers.
    #[serde(default)]
    pub unavailable: bool,
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
