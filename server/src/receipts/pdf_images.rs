//! Pictures embedded in PDF pages (scanned receipts), rendered as JPEG.

use std::collections::HashSet;

use image::{DynamicImage, GrayImage, RgbImage};
use pdf_extract::{Document, Object, ObjectId};

use super::image::{
    alloc_budget, decode_limited, encode_jpeg_within, shrink, MCP_EDGE, MCP_MAX_BYTES,
};
use super::pdf::{deref, dict_at, page_resources, MAX_PAGE_IMAGES};
use super::sniff::Kind;
use super::Limits;

/// Pictures smaller than this (logos, icons) are skipped.
const MIN_IMAGE_PIXELS: i64 = 100_000;

/// JPEG renditions of the first large pictures on the pages.
pub(crate) fn extract_images(doc: &Document, pages: &[ObjectId], limits: &Limits) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for &page in pages {
        let Some(xobjects) = page_resources(doc, page).and_then(|r| dict_at(doc, r, b"XObject"))
        else {
            continue;
        };
        for (_, value) in xobjects.iter() {
            if out.len() >= MAX_PAGE_IMAGES {
                return out;
            }
            let Ok(id) = value.as_reference() else {
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
                continue;
            };
            match picture_of(doc, stream, limits) {
                Some(img) => match encode_jpeg_within(&shrink(&img, MCP_EDGE), MCP_MAX_BYTES) {
                    Ok(jpeg) => out.push(jpeg),
                    Err(e) => tracing::debug!(error = %e, "could not encode PDF picture"),
                },
                None => continue,
            }
        }
    }
    out
}

/// Decodes one image XObject (JPEG, or 8-bit Flate/uncompressed gray or RGB).
fn picture_of(
    doc: &Document,
    stream: &pdf_extract::Stream,
    limits: &Limits,
) -> Option<DynamicImage> {
    let dict = &stream.dict;
    if dict.get(b"Subtype").and_then(Object::as_name).ok()? != b"Image" {
        return None;
    }
    let width = dict.get(b"Width").and_then(Object::as_i64).ok()?;
    let height = dict.get(b"Height").and_then(Object::as_i64).ok()?;
    let pixels = width.checked_mul(height)?;
    if width <= 0 || height <= 0 || pixels < MIN_IMAGE_PIXELS {
        return None;
    }
    if u64::try_from(pixels).ok()? > limits.max_pixels {
        return None;
    }
    let filters = stream.filters().unwrap_or_default();
    if filters.last().is_some_and(|f| *f == b"DCTDecode") {
        if filters.len() != 1 {
            return None;
        }
        return decode_limited(
            &stream.content,
            Kind::Jpeg,
            limits.max_pixels,
            alloc_budget(limits.max_pixels),
        )
        .ok();
    }
    if filters.iter().any(|f| *f != b"FlateDecode") {
        return None; // JPX, JBIG2, CCITT … are not rendered
    }
    if dict
        .get(b"BitsPerComponent")
        .and_then(Object::as_i64)
        .ok()?
        != 8
    {
        return None;
    }
    let components = match deref(doc, dict.get(b"ColorSpace").ok()?)? {
        Object::Name(n) if n == b"DeviceRGB" => 3,
        Object::Name(n) if n == b"DeviceGray" => 1,
        Object::Array(a) if a.first().and_then(|o| o.as_name().ok()) == Some(b"ICCBased") => {
            let icc = deref(doc, a.get(1)?)?.as_stream().ok()?;
            icc.dict.get(b"N").and_then(Object::as_i64).ok()?
        }
        _ => return None,
    };
    let data = if filters.is_empty() {
        stream.content.clone()
    } else {
        stream.decompressed_content().ok()?
    };
    let (w, h) = (u32::try_from(width).ok()?, u32::try_from(height).ok()?);
    let needed = usize::try_from(pixels)
        .ok()?
        .checked_mul(usize::try_from(components).ok()?)?;
    let data = data.get(..needed)?.to_vec();
    match components {
        3 => RgbImage::from_raw(w, h, data).map(DynamicImage::ImageRgb8),
        1 => GrayImage::from_raw(w, h, data).map(DynamicImage::ImageLuma8),
        _ => None,
    }
}
