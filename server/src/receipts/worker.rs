//! The PDF worker: a child process of our own binary that parses one PDF.
//!
//! Parent → child: the PDF on stdin; limits in environment variables (the
//! rest of the environment is cleared, so no secrets reach the parser).
//! Child → parent: one line of JSON on stdout, either
//! `{"text": "...", "pages": 3, "images": ["<base64 JPEG>", ...], "notes": [...]}`
//! or `{"error": {"code": "...", "message": "...", ...}}`.
//!
//! The parent limits the child's address space (RLIMIT_AS) and CPU time
//! (RLIMIT_CPU), disables core dumps, and kills it after `pdf_timeout`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::ReceiptError;
use super::pdf::{extract_pdf_in_process, panic_message, PdfContent};
use super::wire::{parse_reply, WireContent, WireError, WireFailure};
use super::Limits;

const ENV_MAX_PAGES: &str = "FORMWORK_PDF_MAX_PAGES";
const ENV_MAX_PIXELS: &str = "FORMWORK_PDF_MAX_PIXELS";
const ENV_MAX_BYTES: &str = "FORMWORK_PDF_MAX_BYTES";
/// The most the parent reads from the child's stdout / stderr.
const MAX_REPLY_BYTES: u64 = 32 * 1024 * 1024;
const MAX_STDERR_BYTES: u64 = 64 * 1024;

/// How to start the PDF worker. The server uses its own executable:
/// `PdfWorker { exe: std::env::current_exe()?, args: vec!["internal".into(), "pdf-worker".into()] }`
/// and its `main` calls [`run_pdf_worker_stdio`] when started that way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfWorker {
    pub exe: PathBuf,
    pub args: Vec<String>,
}

impl PdfWorker {
    /// The worker as the server binary starts it: `<current exe> internal pdf-worker`.
    pub fn from_current_exe() -> std::io::Result<PdfWorker> {
        Ok(PdfWorker {
            exe: std::env::current_exe()?,
            args: vec!["internal".to_string(), "pdf-worker".to_string()],
        })
    }

    /// Parses `bytes` in a sandboxed child process.
    pub async fn extract(&self, bytes: &[u8], limits: &Limits) -> Result<PdfContent, ReceiptError> {
        run_child(self, bytes, limits).await
    }
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The whole `main` of the worker process: reads a PDF from stdin and
/// writes one JSON object to stdout. Never panics; exits 0 whenever it could
/// write an answer (also for an unreadable PDF).
pub fn run_pdf_worker_stdio() -> ExitCode {
    let defaults = Limits::default();
    let limits = Limits {
        max_pdf_pages: env_number(ENV_MAX_PAGES, defaults.max_pdf_pages),
        max_pixels: env_number(ENV_MAX_PIXELS, defaults.max_pixels),
        max_bytes: env_number(ENV_MAX_BYTES, defaults.max_bytes),
        ..defaults
    };
    let reply = std::panic::catch_unwind(|| worker_reply(&limits)).unwrap_or_else(|payload| {
        let e = ReceiptError::PdfReaderFailed("the reader stopped on malformed data".into());
        let mut wire = WireError::from_error(&e);
        wire.code = "panic".to_string();
        wire.detail = Some(panic_message(payload.as_ref()));
        serde_json::to_string(&WireFailure { error: wire }).unwrap_or_default()
    });
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(reply.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if written.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn worker_reply(limits: &Limits) -> String {
    let mut input = Vec::new();
    let cap = u64::try_from(limits.max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let result = match std::io::stdin().lock().take(cap).read_to_end(&mut input) {
        Err(e) => Err(ReceiptError::PdfReaderFailed(format!(
            "could not read the input: {e}"
        ))),
        Ok(n) if n > limits.max_bytes => Err(ReceiptError::TooLarge {
            size: n as u64,
            max: limits.max_bytes as u64,
        }),
        Ok(_) => extract_pdf_in_process(&input, limits),
    };
    let json = match result {
        Ok(content) => serde_json::to_string(&WireContent {
            text: content.text,
            pages: content.pages,
            images: content
                .images
                .iter()
                .map(|i| base64::engine::general_purpose::STANDARD.encode(i))
                .collect(),
            notes: content.notes,
        }),
        Err(e) => serde_json::to_string(&WireFailure {
            error: WireError::from_error(&e),
        }),
    };
    json.unwrap_or_else(|_| {
        r#"{"error":{"code":"internal","message":"could not encode the reply"}}"#.to_string()
    })
}

/// Limits applied in the forked child before `exec`.
#[cfg(unix)]
pub(super) fn apply_rlimits(memory: u64, cpu_seconds: u64) -> std::io::Result<()> {
    let set = |resource, soft: u64, hard: u64| {
        let lim = libc::rlimit {
            rlim_cur: soft as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: setrlimit only reads the struct we pass by reference.
        if unsafe { libc::setrlimit(resource, &lim) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    set(libc::RLIMIT_AS, memory, memory)?;
    set(libc::RLIMIT_CPU, cpu_seconds, cpu_seconds.saturating_add(1))?;
    set(libc::RLIMIT_CORE, 0, 0)?;
    Ok(())
}

/// At most this many PDF workers run at once (one per CPU); further
/// uploads wait for a free slot before their timeout starts.
fn worker_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

async fn run_child(
    worker: &PdfWorker,
    bytes: &[u8],
    limits: &Limits,
) -> Result<PdfContent, ReceiptError> {
    let mut cmd = tokio::process::Command::new(&worker.exe);
    cmd.args(&worker.args)
        .env_clear()
        .env(ENV_MAX_PAGES, limits.max_pdf_pages.to_string())
        .env(ENV_MAX_PIXELS, limits.max_pixels.to_string())
        .env(ENV_MAX_BYTES, limits.max_bytes.to_string())
        // Fewer malloc arenas: each reserves address space under RLIMIT_AS.
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    {
        let memory = limits.pdf_memory_bytes;
        let cpu = limits.pdf_timeout.as_secs().saturating_add(1);
        // SAFETY: the closure runs in the forked child between fork and exec,
        // where only async-signal-safe functions may be called. It calls only
        // setrlimit (async-signal-safe), does not allocate (the io::Error it
        // may build holds just an errno), and takes no locks.
        unsafe {
            cmd.pre_exec(move || apply_rlimits(memory, cpu));
        }
    }
    let _slot = worker_slots()
        .acquire()
        .await
        .map_err(|e| ReceiptError::Internal(format!("PDF worker slots closed: {e}")))?;
    let mut child = cmd
        .spawn()
        .map_err(|e| ReceiptError::Internal(format!("could not start the PDF worker: {e}")))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let exchange = async {
        let write = async {
            if let Some(mut stdin) = stdin {
                // The child may stop reading early (e.g. on a too-large
                // file); its answer then explains why.
                let _ = stdin.write_all(bytes).await;
                let _ = stdin.shutdown().await;
            }
        };
        let read_out = async {
            let mut buf = Vec::new();
            if let Some(out) = stdout {
                let _ = out.take(MAX_REPLY_BYTES).read_to_end(&mut buf).await;
            }
            buf
        };
        let read_err = async {
            let mut buf = Vec::new();
            if let Some(err) = stderr {
                let _ = err.take(MAX_STDERR_BYTES).read_to_end(&mut buf).await;
            }
            buf
        };
        let ((), out, err) = tokio::join!(write, read_out, read_err);
        let status = child.wait().await;
        (out, err, status)
    };
    let (out, err, status) = match tokio::time::timeout(limits.pdf_timeout, exchange).await {
        Ok(done) => done,
        Err(_) => {
            let _ = child.start_kill();
            return Err(ReceiptError::PdfTimeout {
                timeout: limits.pdf_timeout,
            });
        }
    };
    let stderr_text = String::from_utf8_lossy(&err);
    if !stderr_text.trim().is_empty() {
        tracing::debug!(stderr = %stderr_text, "PDF worker stderr");
    }
    let status = status
        .map_err(|e| ReceiptError::Internal(format!("could not wait for the PDF worker: {e}")))?;
    if let Some(reply) = parse_reply(&out) {
        return reply;
    }
    Err(classify_failure(status, &stderr_text, limits))
}

fn classify_failure(
    status: std::process::ExitStatus,
    stderr: &str,
    limits: &Limits,
) -> ReceiptError {
    let lower = stderr.to_ascii_lowercase();
    if lower.contains("memory allocation of") || lower.contains("out of memory") {
        return ReceiptError::PdfTooMuchMemory {
            limit: limits.pdf_memory_bytes,
        };
    }
    if lower.contains("overflowed its stack") {
        return ReceiptError::PdfStructureLoop;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            tracing::warn!(signal, "PDF worker was killed by a signal");
            if signal == libc::SIGXCPU || signal == libc::SIGKILL {
                return ReceiptError::PdfTimeout {
                    timeout: limits.pdf_timeout,
                };
            }
            return ReceiptError::PdfReaderFailed("the reader stopped unexpectedly".to_string());
        }
    }
    tracing::warn!(?status, "PDF worker gave no answer");
    ReceiptError::PdfReaderFailed("the reader gave no answer".to_string())
}
