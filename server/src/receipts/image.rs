//! Safe decoding of receipt photos and the JPEG renditions made from them.
//!
//! Order matters: the header's dimensions are checked against the pixel
//! limit before any pixel buffer exists, and the decoder itself runs under
//! `image::Limits` so a file that lies in its header still cannot make it
//! allocate without bound.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

use super::error::ReceiptError;
use super::sniff::Kind;

/// Long edge of the thumbnail shown in lists.
pub const THUMBNAIL_EDGE: u32 = 320;
/// Long edge of the rendition handed to AI assistants (vision models work
/// best at about this size).
pub const MCP_EDGE: u32 = 1568;
/// JPEG quality of all renditions.
pub const JPEG_QUALITY: u8 = 85;

/// Largest MCP rendition in bytes: clients refuse large images (Claude's limit is 5 MB), and a
/// photo of a receipt reads fine well below this.
pub const MCP_MAX_BYTES: usize = 1_500_000;

/// The renditions made from one receipt image (the tests' view of [`decode_rendition`] and the
/// encoders together).
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct ImageOutput {
    /// Dimensions after EXIF orientation was applied (as a person sees it).
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    pub mcp_image: Vec<u8>,
}

fn format_of(kind: Kind) -> Option<ImageFormat> {
    match kind {
        Kind::Jpeg => Some(ImageFormat::Jpeg),
        Kind::Png => Some(ImageFormat::Png),
        Kind::Webp => Some(ImageFormat::WebP),
        Kind::Pdf => None,
    }
}

/// Bytes the decoder may allocate for an image of `max_pixels` pixels
/// (8-bit RGBA), plus a little room for the decoder's own tables.
pub(crate) fn alloc_budget(max_pixels: u64) -> u64 {
    max_pixels
        .saturating_mul(4)
        .saturating_add(16 * 1024 * 1024)
}

/// Decodes an image from `bytes`, refusing it before allocation when its
/// header declares more than `max_pixels`, and applies EXIF orientation.
pub(crate) fn decode_limited(
    bytes: &[u8],
    kind: Kind,
    max_pixels: u64,
    max_alloc: u64,
) -> Result<DynamicImage, ReceiptError> {
    let format = format_of(kind)
        .ok_or_else(|| ReceiptError::Internal("a PDF was passed to the image decoder".into()))?;
    if kind == Kind::Jpeg {
        jpeg_is_complete(bytes).map_err(ReceiptError::CorruptImage)?;
    }

    // 1. Header only: no pixel buffer is allocated here.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| map_image_error(e, max_alloc))?;
    if width == 0 || height == 0 {
        return Err(ReceiptError::CorruptImage(
            "the image has no pixels".to_string(),
        ));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ReceiptError::TooManyPixels {
            width,
            height,
            max_pixels,
        });
    }

    // 2. Decode under limits, in case the header lied or the decoder needs
    //    more memory than the pixel count suggests.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.clone());
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| map_image_error(e, max_alloc))?;
    // The output buffer counts against the budget (as `ImageReader::decode`
    // does it); the decoder gets what remains for its own allocations.
    limits
        .reserve(decoder.total_bytes())
        .map_err(|e| map_image_error(e, max_alloc))?;
    decoder
        .set_limits(limits)
        .map_err(|e| map_image_error(e, max_alloc))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| map_image_error(e, max_alloc))?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn map_image_error(err: ImageError, max_alloc: u64) -> ReceiptError {
    match err {
        ImageError::Limits(_) => ReceiptError::ImageNeedsTooMuchMemory { max_alloc },
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ReceiptError::CorruptImage(
                "the data ends early; the upload may have been cut off".into(),
            )
        }
        other => ReceiptError::CorruptImage(other.to_string()),
    }
}

/// Width × height from the image's header, without decoding it (0 when it cannot be read: the
/// decoder then refuses the file).
pub(crate) fn header_pixels(bytes: &[u8], kind: Kind) -> u64 {
    let Some(format) = format_of(kind) else {
        return 0;
    };
    ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map(|(w, h)| u64::from(w) * u64::from(h))
        .unwrap_or(0)
}

/// A receipt image decoded, turned as its EXIF tag says and shrunk to the MCP rendition's size;
/// not yet encoded.
pub(crate) struct Rendition {
    /// Dimensions of the upload after EXIF orientation was applied (as a person sees it).
    pub width: u32,
    pub height: u32,
    pub pixels: DynamicImage,
}

/// Decodes a receipt image and shrinks it to the rendition's size; the full-size pixels are
/// gone when it returns.
pub(crate) fn decode_rendition(
    bytes: &[u8],
    kind: Kind,
    max_pixels: u64,
) -> Result<Rendition, ReceiptError> {
    let started = std::time::Instant::now();
    let img = decode_limited(bytes, kind, max_pixels, alloc_budget(max_pixels))?;
    let decoded = started.elapsed();
    let (width, height) = (img.width(), img.height());
    let pixels = shrink(&img, MCP_EDGE);
    drop(img);
    tracing::debug!(
        decode_ms = decoded.as_millis() as u64,
        shrink_ms = (started.elapsed() - decoded).as_millis() as u64,
        "receipt image decoded and shrunk"
    );
    Ok(Rendition {
        width,
        height,
        pixels,
    })
}

/// The MCP rendition of a rendition's pixels, as JPEG.
pub(crate) fn encode_rendition(pixels: &DynamicImage) -> Result<Vec<u8>, ReceiptError> {
    encode_jpeg_within(pixels, MCP_MAX_BYTES)
}

/// The thumbnail of a rendition's pixels, as JPEG (made from the already smaller rendition).
pub(crate) fn encode_thumbnail(pixels: &DynamicImage) -> Result<Vec<u8>, ReceiptError> {
    encode_jpeg(&shrink(pixels, THUMBNAIL_EDGE), JPEG_QUALITY)
}

/// Decodes a receipt image and makes its thumbnail and MCP rendition.
#[cfg(test)]
pub(crate) fn process_image(
    bytes: &[u8],
    kind: Kind,
    max_pixels: u64,
) -> Result<ImageOutput, ReceiptError> {
    let rendition = decode_rendition(bytes, kind, max_pixels)?;
    Ok(ImageOutput {
        width: rendition.width,
        height: rendition.height,
        thumbnail: encode_thumbnail(&rendition.pixels)?,
        mcp_image: encode_rendition(&rendition.pixels)?,
    })
}

/// Scales `img` down so that its long edge is at most `edge` (never up).
pub(crate) fn shrink(img: &DynamicImage, edge: u32) -> DynamicImage {
    if img.width().max(img.height()) <= edge {
        img.clone()
    } else {
        img.thumbnail(edge, edge)
    }
}

/// Encodes as JPEG at the usual quality, lowering it (then the size) until the bytes fit
/// `max_bytes`: noisy scans otherwise come out several megabytes even at 1568 px.
pub(crate) fn encode_jpeg_within(
    img: &DynamicImage,
    max_bytes: usize,
) -> Result<Vec<u8>, ReceiptError> {
    let mut out = encode_jpeg(img, JPEG_QUALITY)?;
    for quality in [70, 55, 40] {
        if out.len() <= max_bytes {
            return Ok(out);
        }
        out = encode_jpeg(img, quality)?;
    }
    let mut edge = img.width().max(img.height());
    while out.len() > max_bytes && edge > 400 {
        edge = edge * 3 / 4;
        out = encode_jpeg(&shrink(img, edge), 40)?;
    }
    Ok(out)
}

/// Encodes as baseline JPEG; transparency is flattened onto white so dark
/// text on a transparent background stays readable.
pub(crate) fn encode_jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, ReceiptError> {
    let rgb = flatten_to_rgb(img);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| ReceiptError::Internal(format!("JPEG encoding failed: {e}")))?;
    Ok(out)
}

fn flatten_to_rgb(img: &DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        for c in 0..3 {
            let v = (u32::from(src[c]) * a + 255 * (255 - a) + 127) / 255;
            dst[c] = v.min(255) as u8;
        }
    }
    rgb
}

/// Checks that a JPEG's marker structure reaches its end-of-image marker.
/// Some decoders silently fill a cut-off image with grey; a receipt that
/// lost its bottom half (usually where the total is) must be re-uploaded.
pub(crate) fn jpeg_is_complete(bytes: &[u8]) -> Result<(), String> {
    const ENDS_EARLY: &str =
        "the JPEG data ends before its end-of-image marker; the upload may have been cut off";
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("the JPEG start-of-image marker is missing".into());
    }
    let mut pos = 2usize;
    loop {
        // Skip to the next marker (tolerating stray bytes between segments),
        // then over fill bytes.
        while pos < bytes.len() && bytes[pos] != 0xFF {
            pos += 1;
        }
        while pos < bytes.len() && bytes[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Err(ENDS_EARLY.into());
        };
        pos += 1;
        match marker {
            0xD9 => return Ok(()),
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let (Some(&hi), Some(&lo)) = (bytes.get(pos), bytes.get(pos + 1)) else {
                    return Err(ENDS_EARLY.into());
                };
                let len = usize::from(u16::from_be_bytes([hi, lo]));
                if len < 2 || pos + len > bytes.len() {
                    return Err(ENDS_EARLY.into());
                }
                pos += len;
                if marker == 0xDA {
                    // Entropy-coded data: stuffed 0xFF00 and restart markers
                    // belong to it; any other marker ends it.
                    loop {
                        match bytes.get(pos..pos + 2) {
                            None => return Err(ENDS_EARLY.into()),
                            Some([0xFF, next])
                                if *next != 0x00 && !(0xD0..=0xD7).contains(next) =>
                            {
                                break
                            }
                            Some(_) => pos += 1,
                        }
                    }
                }
            }
        }
    }
}
