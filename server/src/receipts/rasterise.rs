//! Page images of PDFs that carry no picture of their own — a vector invoice, or a scan whose
//! pictures could not be decoded — so that an AI assistant always gets a page to look at and OCR
//! has something to read. The pages are rendered by Poppler's `pdftoppm` (Debian's
//! `poppler-utils`), a maintained renderer, in a child process bounded like the PDF worker:
//! address space and CPU time by rlimits, wall-clock time by the PDF timeout, an empty
//! environment, and a private temporary folder that is removed afterwards.
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::error::ReceiptError;
use super::Limits;

/// The renderer's program name (found on `PATH`).
const PDFTOPPM: &str = "pdftoppm";
/// The long edge of a rendered page, as the image given to AI assistants.
const LONG_EDGE: u32 = 1568;
/// Rendered pages are cut at this size each (a page that renders larger is refused).
const MAX_PAGE_BYTES: u64 = 8 * 1024 * 1024;

/// Whether `pdftoppm` can be started here (looked up once).
pub fn available() -> bool {
    static FOUND: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| {
        std::process::Command::new(PDFTOPPM)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    })
}

/// A private folder under the system's temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    async fn new() -> std::io::Result<Scratch> {
        let name = format!("formwork-render-{:016x}", rand::random::<u64>());
        let path = std::env::temp_dir().join(name);
        tokio::fs::create_dir(&path).await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tokio::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).await?;
        }
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// JPEG renditions (long edge 1568 px) of the first `pages` pages of a PDF, in order.
pub async fn render_pages(
    bytes: &[u8],
    pages: usize,
    limits: &Limits,
) -> Result<Vec<Vec<u8>>, ReceiptError> {
    if pages == 0 {
        return Ok(Vec::new());
    }
    if !available() {
        return Err(ReceiptError::RendererUnavailable);
    }
    let io = |what: &str, e: std::io::Error| {
        ReceiptError::Internal(format!("could not {what} for rendering the PDF: {e}"))
    };
    let scratch = Scratch::new().await.map_err(|e| io("make a folder", e))?;
    let input = scratch.0.join("in.pdf");
    tokio::fs::write(&input, bytes)
        .await
        .map_err(|e| io("write the file", e))?;
    let mut cmd = tokio::process::Command::new(PDFTOPPM);
    cmd.arg("-jpeg")
        .args(["-jpegopt", "quality=85"])
        .args(["-scale-to", &LONG_EDGE.to_string()])
        .args(["-f", "1", "-l", &pages.to_string()])
        .arg(&input)
        .arg(scratch.0.join("page"))
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    {
        let memory = limits.pdf_memory_bytes;
        let cpu = limits.pdf_timeout.as_secs().saturating_add(1);
        // SAFETY: as for the PDF worker: only setrlimit runs between fork and exec.
        unsafe {
            cmd.pre_exec(move || super::worker::apply_rlimits(memory, cpu));
        }
    }
    let child = cmd
        .spawn()
        .map_err(|e| ReceiptError::Internal(format!("could not start {PDFTOPPM}: {e}")))?;
    let output = match tokio::time::timeout(limits.pdf_timeout, child.wait_with_output()).await {
        Ok(out) => out.map_err(|e| io("wait for the renderer", e))?,
        Err(_) => {
            return Err(ReceiptError::PdfTimeout {
                timeout: limits.pdf_timeout,
            })
        }
    };
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        let said = said
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        return Err(ReceiptError::RenderFailed(said));
    }
    read_pages(&scratch.0).await
}

/// The rendered pages in page order (`page-1.jpg`, … or `page-01.jpg`, … as pdftoppm pads them).
async fn read_pages(dir: &Path) -> Result<Vec<Vec<u8>>, ReceiptError> {
    let mut names = Vec::new();
    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|e| ReceiptError::Internal(format!("could not read the rendered pages: {e}")))?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().to_string();
        let number = name
            .strip_prefix("page-")
            .and_then(|n| n.strip_suffix(".jpg"))
            .and_then(|n| n.parse::<u32>().ok());
        if let Some(n) = number {
            names.push((n, entry.path()));
        }
    }
    names.sort();
    let mut pages = Vec::with_capacity(names.len());
    for (_, path) in names {
        let size = tokio::fs::metadata(&path)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        if size == 0 || size > MAX_PAGE_BYTES {
            continue;
        }
        if let Ok(jpeg) = tokio::fs::read(&path).await {
            pages.push(jpeg);
        }
    }
    Ok(pages)
}
