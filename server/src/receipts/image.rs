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

/// The renditions made from one receipt image.
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

/// Decodes a receipt image and makes its thumbnail and MCP rendition.
pub(crate) fn process_image(
    bytes: &[u8],
    kind: Kind,
    max_pixels: u64,
) -> Result<ImageOutput, ReceiptError> {
    let img = decode_limited(bytes, kind, max_pixels, alloc_budget(max_pixels))?;
    let (width, height) = (img.width(), img.height());
    let mcp = shrink(&img, MCP_EDGE);
    // The thumbnail is made from the (already smaller) MCP rendition.
    let thumb = shrink(&mcp, THUMBNAIL_EDGE);
    Ok(ImageOutput {
        width,
        height,
        mcp_image: encode_jpeg_within(&mcp, MCP_MAX_BYTES)?,
        thumbnail: encode_jpeg(&thumb, JPEG_QUALITY)?,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgb, RgbaImage};

    fn sample_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        encode_jpeg(&DynamicImage::ImageRgb8(img), 90).unwrap()
    }

    #[test]
    fn a_noisy_scan_still_fits_the_mcp_byte_budget() {
        let mut seed = 0x2545_f491_u32;
        let noise = RgbImage::from_fn(MCP_EDGE, MCP_EDGE, |_, _| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
        });
        let img = DynamicImage::ImageRgb8(noise);
        assert!(
            encode_jpeg(&img, JPEG_QUALITY).unwrap().len() > MCP_MAX_BYTES,
            "the test image is hard to compress"
        );
        let out = encode_jpeg_within(&img, MCP_MAX_BYTES).unwrap();
        assert!(out.len() <= MCP_MAX_BYTES, "{} bytes", out.len());
        assert!(::image::load_from_memory(&out).is_ok());
    }

    #[test]
    fn complete_jpeg_passes_and_truncated_is_refused() {
        let jpeg = sample_jpeg(200, 100);
        assert!(jpeg_is_complete(&jpeg).is_ok());
        let cut = &jpeg[..jpeg.len() * 2 / 3];
        assert!(jpeg_is_complete(cut).is_err());
        let err = decode_limited(cut, Kind::Jpeg, 1_000_000, alloc_budget(1_000_000)).unwrap_err();
        assert!(matches!(err, ReceiptError::CorruptImage(_)), "{err:?}");
        assert!(err
            .to_string()
            .starts_with("the image is truncated or corrupt: "));
        // Only the header.
        assert!(jpeg_is_complete(&jpeg[..20]).is_err());
    }

    #[test]
    fn renditions_respect_edges() {
        let out = process_image(&sample_jpeg(2000, 1000), Kind::Jpeg, 40_000_000).unwrap();
        assert_eq!((out.width, out.height), (2000, 1000));
        let mcp = image::load_from_memory(&out.mcp_image).unwrap();
        assert_eq!(mcp.width().max(mcp.height()), MCP_EDGE);
        let thumb = image::load_from_memory(&out.thumbnail).unwrap();
        assert_eq!(thumb.width().max(thumb.height()), THUMBNAIL_EDGE);
        // Small images are not enlarged.
        let small = process_image(&sample_jpeg(100, 50), Kind::Jpeg, 40_000_000).unwrap();
        let mcp = image::load_from_memory(&small.mcp_image).unwrap();
        assert_eq!((mcp.width(), mcp.height()), (100, 50));
    }

    #[test]
    fn transparency_is_flattened_on_white() {
        let img = RgbaImage::from_pixel(4, 4, image::Rgba([0, 0, 0, 0]));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 4, 4, image::ExtendedColorType::Rgba8)
            .unwrap();
        let out = process_image(&png, Kind::Png, 100).unwrap();
        let back = image::load_from_memory(&out.mcp_image).unwrap().to_rgb8();
        assert!(back
            .pixels()
            .all(|p| p[0] > 240 && p[1] > 240 && p[2] > 240));
    }

    #[test]
    fn decoder_limits_refuse_before_allocating() {
        // A PNG whose header is within the pixel limit but whose decode
        // would exceed the allocation budget is refused by image::Limits.
        let img = RgbImage::from_pixel(1000, 1000, Rgb([255, 255, 255]));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 1000, 1000, image::ExtendedColorType::Rgb8)
            .unwrap();
        let result = decode_limited(&png, Kind::Png, 10_000_000, 100_000);
        assert!(
            matches!(result, Err(ReceiptError::ImageNeedsTooMuchMemory { .. })),
            "expected a memory-limit error"
        );
    }

    #[test]
    fn garbage_after_magic_is_corrupt_not_a_panic() {
        for kind in [Kind::Jpeg, Kind::Png, Kind::Webp] {
            let mut bytes = match kind {
                Kind::Jpeg => b"\xFF\xD8\xFF\xE0".to_vec(),
                Kind::Png => b"\x89PNG\r\n\x1a\n".to_vec(),
                _ => b"RIFF\0\0\0\0WEBP".to_vec(),
            };
            bytes.extend((0..500u32).map(|i| (i * 7919 % 251) as u8));
            assert!(process_image(&bytes, kind, 1_000_000).is_err());
        }
    }
}
