//! Tests of receipt image decoding and renditions.
#![allow(clippy::unwrap_used)]

use super::error::ReceiptError;
use super::image::*;
use super::sniff::Kind;
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, RgbaImage};

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
