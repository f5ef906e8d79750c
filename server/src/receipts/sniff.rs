//! File-type detection from magic bytes only (never from the file name or
//! the client's Content-Type header).

use serde::Serialize;

use super::error::ReceiptError;

/// The kinds of receipt files Formwork accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl Kind {
    /// The MIME type to store and serve the file with.
    pub fn content_type(&self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
        }
    }

    /// The usual file-name extension, without the dot.
    pub fn extension(&self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
            Kind::Pdf => "pdf",
        }
    }

    pub fn is_image(&self) -> bool {
        !matches!(self, Kind::Pdf)
    }
}

/// How far into the file a `%PDF-` header may start (readers tolerate a
/// little leading junk, e.g. a byte-order mark or a mail header).
const PDF_HEADER_WINDOW: usize = 1024;

/// Detects the kind of a receipt from its first bytes.
pub fn sniff(bytes: &[u8]) -> Result<Kind, ReceiptError> {
    if bytes.is_empty() {
        return Err(ReceiptError::Empty);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Kind::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Kind::Webp);
    }
    let window = &bytes[..bytes.len().min(PDF_HEADER_WINDOW)];
    if find(window, b"%PDF-").is_some() {
        return Ok(Kind::Pdf);
    }
    Err(ReceiptError::UnsupportedType {
        looks_like: describe(bytes),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A short human description of what an unsupported file seems to be.
pub(crate) fn describe(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"MZ", "a Windows executable"),
        (b"\x7fELF", "a Linux executable"),
        (b"\xCA\xFE\xBA\xBE", "a macOS executable"),
        (b"\xCF\xFA\xED\xFE", "a macOS executable"),
        (b"\xFE\xED\xFA\xCF", "a macOS executable"),
        (b"#!", "a script"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"BM", "a BMP image"),
        (b"II*\0", "a TIFF image"),
        (b"MM\0*", "a TIFF image"),
        (b"\0\0\x01\0", "an icon file"),
        (b"8BPS", "a Photoshop document"),
        (b"PK\x03\x04", "a ZIP archive or Office document"),
        (b"PK\x05\x06", "a ZIP archive"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "a legacy Microsoft Office document",
        ),
        (b"Rar!", "a RAR archive"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"BZh", "a bzip2 archive"),
        (b"\xFD7zXZ\0", "an XZ archive"),
        (b"%!PS", "a PostScript document"),
        (b"{\\rtf", "an RTF document"),
        (b"ID3", "an MP3 audio file"),
        (b"OggS", "an Ogg audio or video file"),
        (b"fLaC", "a FLAC audio file"),
        (b"\x1A\x45\xDF\xA3", "a Matroska/WebM video"),
        (b"SQLite format 3\0", "an SQLite database"),
        (b"\0asm", "a WebAssembly module"),
    ];
    for (magic, what) in SIGNATURES {
        if bytes.starts_with(magic) {
            return Some(what);
        }
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" {
        return Some(match &bytes[8..12] {
            b"WAVE" => "a WAV audio file",
            b"AVI " => "an AVI video",
            _ => "a RIFF media file",
        });
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some(match &bytes[8..12] {
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                "a HEIC/HEIF photo; please export it as JPEG"
            }
            b"avif" | b"avis" => "an AVIF image",
            _ => "an MP4/QuickTime video",
        });
    }
    describe_text(bytes)
}

fn describe_text(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096)];
    // A multi-byte UTF-8 character may be cut at the end of the window.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.valid_up_to() + 4 >= head.len() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return None,
    };
    if text.is_empty() || text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return None;
    }
    let lower = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_lowercase();
    if lower.starts_with("<svg") || (lower.starts_with("<?xml") && lower.contains("<svg")) {
        Some("an SVG image")
    } else if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        Some("a web page (HTML)")
    } else if lower.starts_with("<?xml") {
        Some("an XML document")
    } else if lower.starts_with('{') || lower.starts_with('[') {
        Some("a JSON or text file")
    } else {
        Some("a text file")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_kind() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF").unwrap(), Kind::Jpeg);
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR").unwrap(),
            Kind::Png
        );
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 ").unwrap(), Kind::Webp);
        assert_eq!(sniff(b"%PDF-1.7\n%\xE2\xE3").unwrap(), Kind::Pdf);
        assert_eq!(sniff(b"\xEF\xBB\xBF%PDF-1.4\n").unwrap(), Kind::Pdf);
        assert_eq!(Kind::Pdf.content_type(), "application/pdf");
        assert_eq!(Kind::Webp.content_type(), "image/webp");
    }

    #[test]
    fn refuses_other_files_with_a_description() {
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF";
        let err = sniff(exe).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the file is not a JPEG, PNG, WebP image or PDF (it looks like a Windows executable)"
        );
        assert!(matches!(sniff(b""), Err(ReceiptError::Empty)));
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert!(sniff(heic).unwrap_err().to_string().contains("HEIC"));
        assert!(sniff(b"GIF89a\x01\0")
            .unwrap_err()
            .to_string()
            .contains("GIF"));
        assert!(sniff(b"hello, world\n")
            .unwrap_err()
            .to_string()
            .contains("a text file"));
        let random = [0x13u8, 0x99, 0x02, 0xF0, 0x00, 0x42, 0x17, 0x88];
        assert_eq!(
            sniff(&random).unwrap_err().to_string(),
            "the file is not a JPEG, PNG, WebP image or PDF (its contents were not recognised)"
        );
        // A PDF header too far into the file does not count.
        let mut late = vec![b' '; 2000];
        late.extend_from_slice(b"%PDF-1.4");
        assert!(sniff(&late).is_err());
        // Truncated magic numbers are not enough.
        assert!(sniff(b"\xFF\xD8").is_err());
        assert!(sniff(b"RIFF\0\0\0\0WEB").is_err());
    }

    #[test]
    fn never_panics_on_short_inputs() {
        for len in 0..16 {
            for fill in [0u8, 0xFF, b'R', b'%', 0x89] {
                let _ = sniff(&vec![fill; len]);
            }
        }
    }
}
