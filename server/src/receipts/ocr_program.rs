//! Running the `tesseract` program: a reading of a picture (by a resident OCR worker when one
//! is running, else by the program), its orientation and script detection, and the exchange
//! with a child process under a time limit.

use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use image::GrayImage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::ReceiptError;
use super::ocr::{blocking, PROGRAM};
use super::ocr_reading::{parse_tsv, Reading};
use super::ocr_worker::{self, WorkerError};
use super::prepare::{self, Turn};

/// Page segmentation mode 6: "a single uniform block of text"; it keeps
/// labels and right-aligned amounts of receipts on one line (mode 4 and
/// the automatic mode 3 often separate them).
pub(super) const PAGE_SEGMENTATION: i32 = 6;
pub(super) const MAX_OUTPUT_BYTES: u64 = 512 * 1024;

/// The turn that makes the picture upright and its script, by Tesseract's orientation
/// detection; None when it cannot tell (too little text) or fails.
pub(super) async fn detect_orientation(grey: &GrayImage, timeout: Duration) -> Option<Orientation> {
    let grey = grey.clone();
    let pgm = blocking(move || Ok(prepare::encode_pgm(&prepare::legible(&grey))))
        .await
        .ok()?;
    let mut cmd = tokio::process::Command::new(PROGRAM);
    cmd.args(["stdin", "stdout", "--psm", "0"])
        .env("OMP_THREAD_LIMIT", "1");
    let report = exchange(cmd, &pgm, timeout).await.ok()?;
    parse_orientation(&report)
}

/// What Tesseract's orientation and script detection (`--psm 0`) reports.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Orientation {
    pub turn: Turn,
    pub confidence: f32,
    pub script: String,
}

pub(super) fn parse_orientation(report: &str) -> Option<Orientation> {
    let field = |name: &str| {
        report.lines().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            (key.trim() == name).then(|| value.trim().to_string())
        })
    };
    Some(Orientation {
        turn: Turn::from_degrees(field("Rotate")?.parse().ok()?)?,
        confidence: field("Orientation confidence")?.parse().ok()?,
        script: field("Script").unwrap_or_default(),
    })
}

pub(super) async fn run_tesseract(
    program: &str,
    langs: &str,
    picture: &[u8],
    timeout: Duration,
) -> Result<Reading, ReceiptError> {
    if program == PROGRAM {
        if let Some(workers) = ocr_worker::workers() {
            let started = std::time::Instant::now();
            let read = {
                let _slot = ocr_slots()
                    .acquire()
                    .await
                    .map_err(|e| ReceiptError::Internal(format!("OCR slots closed: {e}")))?;
                workers
                    .read(langs, PAGE_SEGMENTATION, picture, timeout)
                    .await
            };
            match read {
                Ok(tsv) => {
                    let ms = started.elapsed().as_millis() as u64;
                    tracing::debug!(langs, ms, "OCR reading by a worker");
                    return Ok(parse_tsv(&tsv).in_languages(langs));
                }
                Err(WorkerError::Reading(e)) => return Err(e),
                // Read by the program instead (the same reading, with its models loaded anew).
                Err(WorkerError::Unavailable(why) | WorkerError::Lost(why)) => {
                    tracing::debug!(reason = %why, "OCR through the tesseract program");
                }
            }
        }
    }
    let mut cmd = tokio::process::Command::new(program);
    cmd.args([
        "stdin",
        "stdout",
        "-l",
        langs,
        "--psm",
        &PAGE_SEGMENTATION.to_string(),
        "tsv",
    ])
    // One thread: the server has other work; OpenMP threads mostly spin.
    .env("OMP_THREAD_LIMIT", "1");
    let started = std::time::Instant::now();
    let tsv = exchange(cmd, picture, timeout).await?;
    let ms = started.elapsed().as_millis() as u64;
    tracing::debug!(langs, ms, "OCR reading by the tesseract program");
    Ok(parse_tsv(&tsv).in_languages(langs))
}

/// At most this many tesseract processes run at once (one per CPU).
fn ocr_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

/// Runs `cmd` with `input` on stdin and returns its stdout, killing it when
/// `timeout` passes.
pub(super) async fn exchange(
    mut cmd: tokio::process::Command,
    input: &[u8],
    timeout: Duration,
) -> Result<String, ReceiptError> {
    let _slot = ocr_slots()
        .acquire()
        .await
        .map_err(|e| ReceiptError::Internal(format!("OCR slots closed: {e}")))?;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReceiptError::OcrUnavailable,
            _ => ReceiptError::OcrFailed(format!("could not start tesseract: {e}")),
        })?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let conversation = async {
        let write = async {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(input).await;
                let _ = stdin.shutdown().await;
            }
        };
        let read_out = async {
            let mut buf = Vec::new();
            if let Some(out) = stdout {
                let _ = out.take(MAX_OUTPUT_BYTES).read_to_end(&mut buf).await;
            }
            buf
        };
        let read_err = async {
            let mut buf = Vec::new();
            if let Some(err) = stderr {
                let _ = err.take(16 * 1024).read_to_end(&mut buf).await;
            }
            buf
        };
        let ((), out, err) = tokio::join!(write, read_out, read_err);
        (out, err, child.wait().await)
    };
    let (out, err, status) = match tokio::time::timeout(timeout, conversation).await {
        Ok(done) => done,
        Err(_) => {
            let _ = child.start_kill();
            return Err(ReceiptError::OcrTimeout { timeout });
        }
    };
    let status =
        status.map_err(|e| ReceiptError::OcrFailed(format!("tesseract did not finish: {e}")))?;
    if !status.success() {
        let msg = String::from_utf8_lossy(&err);
        let msg = msg
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(ReceiptError::OcrFailed(format!(
            "tesseract exited with {status}{}{}",
            if msg.is_empty() { "" } else { ": " },
            msg.chars().take(200).collect::<String>()
        )));
    }
    Ok(String::from_utf8_lossy(&out).replace('\u{c}', "\n"))
}
