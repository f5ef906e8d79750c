//! Text recognition with the `tesseract` command-line program, when it is
//! installed (Debian: `apt-get install tesseract-ocr tesseract-ocr-eng`,
//! plus `tesseract-ocr-deu`, `-fra`, … for other languages).

use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::ReceiptError;

const PROGRAM: &str = "tesseract";
/// Languages used when their trained data is installed, in this order.
const WANTED_LANGUAGES: &[&str] = &["eng", "deu", "fra", "spa", "ita", "nld"];
/// Page segmentation mode 6: "a single uniform block of text"; it keeps
/// labels and right-aligned amounts of receipts on one line (mode 4 and
/// the automatic mode 3 often separate them).
const PAGE_SEGMENTATION: &str = "6";
const MAX_OUTPUT_BYTES: u64 = 512 * 1024;

/// True when `tesseract --version` runs successfully.
pub fn tesseract_available() -> bool {
    std::process::Command::new(PROGRAM)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// [`tesseract_available`], checked once per process.
pub fn tesseract_available_cached() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(tesseract_available)
}

/// The `-l` argument: the wanted languages that are installed.
fn languages() -> &'static str {
    static LANGS: OnceLock<String> = OnceLock::new();
    LANGS.get_or_init(|| {
        let listed = std::process::Command::new(PROGRAM)
            .arg("--list-langs")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let installed: Vec<&str> = listed.lines().map(str::trim).collect();
        let chosen: Vec<&str> = WANTED_LANGUAGES
            .iter()
            .copied()
            .filter(|l| installed.contains(l))
            .collect();
        if chosen.is_empty() {
            "eng".to_string()
        } else {
            chosen.join("+")
        }
    })
}

/// Recognises the text of an image (any format tesseract reads; we pass
/// JPEG). The process is killed when `timeout` passes.
pub async fn ocr_image(jpeg: &[u8], timeout: Duration) -> Result<String, ReceiptError> {
    let langs = tokio::task::spawn_blocking(languages)
        .await
        .map_err(|e| ReceiptError::Internal(format!("OCR set-up failed: {e}")))?;
    run_tesseract(PROGRAM, langs, jpeg, timeout).await
}

async fn run_tesseract(
    program: &str,
    langs: &str,
    jpeg: &[u8],
    timeout: Duration,
) -> Result<String, ReceiptError> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(["stdin", "stdout", "-l", langs, "--psm", PAGE_SEGMENTATION])
        // One thread: the server has other work; OpenMP threads mostly spin.
        .env("OMP_THREAD_LIMIT", "1");
    exchange(cmd, jpeg, timeout).await
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
async fn exchange(
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image::{DynamicImage, Rgb, RgbImage};

    #[tokio::test]
    async fn ocr_reports_unavailable_or_reads_text() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(200, 80, Rgb([255, 255, 255])));
        let jpeg = super::super::image::encode_jpeg(&img, 85).unwrap();
        let result = ocr_image(&jpeg, Duration::from_secs(30)).await;
        if tesseract_available() {
            // A blank page gives (nearly) no text, but no error.
            assert!(result.unwrap().trim().len() < 5);
        } else {
            assert!(matches!(result, Err(ReceiptError::OcrUnavailable)));
        }
    }

    #[tokio::test]
    async fn missing_program_and_timeout() {
        let r = run_tesseract(
            "/nonexistent/tesseract",
            "eng",
            b"x",
            Duration::from_secs(5),
        )
        .await;
        assert!(matches!(r, Err(ReceiptError::OcrUnavailable)), "{r:?}");
        // A program that does not finish is killed when the timeout passes.
        let started = std::time::Instant::now();
        let mut sleeper = tokio::process::Command::new("sleep");
        sleeper.arg("30");
        let r = exchange(sleeper, b"x", Duration::from_millis(300)).await;
        assert!(matches!(r, Err(ReceiptError::OcrTimeout { .. })), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn garbage_input_is_an_error_not_a_panic() {
        if !tesseract_available() {
            return;
        }
        let result = ocr_image(b"not an image at all", Duration::from_secs(30)).await;
        assert!(
            matches!(result, Err(ReceiptError::OcrFailed(_))),
            "{result:?}"
        );
    }
}
