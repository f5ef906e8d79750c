//! Pictures embedded in PDF pages (scanned receipts), rendered as JPEG.

use std::collections::HashSet;

use image::{DynamicImage, GrayImage, RgbImage};
use pdf_extract::{Document, Object, ObjectId};

use super::image::{
    alloc_budget, decode_limited, encode_jpeg_within, shrink, MCP_EDGE, MCP_MAX_BYTES,
};
use super::pdf::{deref, dict_at, page_resources, MAX_PAGE_IMAGES};
use super::pdf_filters::{decode_chain, steps_of, Decoded};
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

/// Decodes one image XObject: gray, RGB or CMYK samples of 8 bits, or gray of 1 bit, through any
/// chain of the filters `pdf_filters` decodes, or a JPEG at the chain's end.
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
    if dict
        .get(b"ImageMask")
        .and_then(Object::as_bool)
        .unwrap_or(false)
    {
        return None; // a stencil, not a picture
    }
    let bits = dict
        .get(b"BitsPerComponent")
        .and_then(Object::as_i64)
        .unwrap_or(8);
    let components: i64 = match deref(doc, dict.get(b"ColorSpace").ok()?)? {
        Object::Name(n) if n == b"DeviceRGB" || n == b"CalRGB" => 3,
        Object::Name(n) if n == b"DeviceGray" || n == b"CalGray" => 1,
        Object::Name(n) if n == b"DeviceCMYK" => 4,
        Object::Array(a) if a.first().and_then(|o| o.as_name().ok()) == Some(b"ICCBased") => {
            let icc = deref(doc, a.get(1)?)?.as_stream().ok()?;
            icc.dict.get(b"N").and_then(Object::as_i64).ok()?
        }
        Object::Array(a)
            if matches!(
                a.first().and_then(|o| o.as_name().ok()),
                Some(b"CalRGB") | Some(b"CalGray")
            ) =>
        {
            if a.first().and_then(|o| o.as_name().ok()) == Some(b"CalRGB") {
                3
            } else {
                1
            }
        }
        _ => return None, // Indexed, Lab, Separation …: the page is rendered whole
    };
    let (w, h) = (u32::try_from(width).ok()?, u32::try_from(height).ok()?);
    // What the samples take: rows of whole bytes.
    let row = usize::try_from(
        width
            .checked_mul(components)?
            .checked_mul(bits)?
            .checked_add(7)?
            / 8,
    )
    .ok()?;
    let needed = row.checked_mul(usize::try_from(height).ok()?)?;
    let steps = steps_of(&stream.dict, |o| deref(doc, o))?;
    // A predictor adds a byte per row; a JPEG is smaller than its samples.
    let cap = needed
        .checked_add(usize::try_from(height).ok()?)?
        .max(64 * 1024);
    let data = match decode_chain(&stream.content, &steps, cap) {
        Ok(Decoded::Jpeg(jpeg)) => {
            return decode_limited(
                &jpeg,
                Kind::Jpeg,
                limits.max_pixels,
                alloc_budget(limits.max_pixels),
            )
            .ok();
        }
        Ok(Decoded::Samples(data)) => data,
        Err(why) => {
            tracing::debug!(?why, "a PDF picture's data was not decoded");
            return None;
        }
    };
    let data = data.get(..needed)?;
    let inverted = dict
        .get(b"Decode")
        .and_then(Object::as_array)
        .ok()
        .and_then(|d| d.first())
        .and_then(|o| o.as_float().ok())
        .is_some_and(|first| first > 0.5);
    let data: Vec<u8> = match (bits, components) {
        (8, _) => data.to_vec(),
        // One bit per pixel (a black-and-white scan): 0 is black unless the Decode array
        // turns it round.
        (1, 1) => data
            .chunks(row)
            .flat_map(|line| {
                (0..w as usize).map(move |x| {
                    let bit = line.get(x / 8).map_or(0, |b| (b >> (7 - x % 8)) & 1);
                    if (bit == 1) != inverted {
                        255
                    } else {
                        0
                    }
                })
            })
            .collect(),
        _ => return None,
    };
    let components = if components == 4 {
        // CMYK without a profile: the plain conversion, enough to read a receipt.
        return RgbImage::from_raw(
            w,
            h,
            data.chunks(4)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    p[..3]
                        .iter()
                        .map(move |&c| ((255 - u16::from(c)) * k / 255) as u8)
                })
                .collect(),
        )
        .map(DynamicImage::ImageRgb8);
    } else {
        components
    };
    match components {
        3 => RgbImage::from_raw(w, h, data).map(DynamicImage::ImageRgb8),
        1 => GrayImage::from_raw(w, h, data).map(DynamicImage::ImageLuma8),
        _ => None,
    }
}
