//! Pictures made legible for OCR: grey, the paper's uneven light divided out (shadows, faded
//! thermal paper), the contrast stretched, and turned upright when asked.

use image::imageops::{self, FilterType};
use image::{GenericImageView, GrayImage, Luma};

use super::error::ReceiptError;
use super::image::{alloc_budget, decode_limited, MCP_EDGE};
use super::sniff::Kind;
use super::{deskew, paper, warp};

/// The background is estimated on a picture this many times smaller than the page: large
/// enough to step over letters, small enough to follow a shadow's edge.
const BACKGROUND_SCALE: u32 = 16;
/// Share of the darkest and of the lightest pixels left out when the contrast is stretched.
const STRETCH_CLIP: f32 = 0.01;
/// The levels to stretch between are counted inside a margin of 1/this of each side.
const STRETCH_MARGIN: u32 = 20;
/// The power grey levels are raised to when faint print is darkened (a level of 200 of 255, light
/// grey print, becomes 123; 240, paper's grain, becomes 213).
const FAINT_POWER: i32 = 3;

/// A quarter turn clockwise, as Tesseract's orientation detection reports it ("Rotate: 90").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Turn {
    #[default]
    None,
    Quarter,
    Half,
    ThreeQuarters,
}

impl Turn {
    /// From the degrees of a clockwise rotation; None for anything but 0, 90, 180, 270.
    pub(crate) fn from_degrees(degrees: u32) -> Option<Turn> {
        match degrees {
            0 => Some(Turn::None),
            90 => Some(Turn::Quarter),
            180 => Some(Turn::Half),
            270 => Some(Turn::ThreeQuarters),
            _ => None,
        }
    }
}

/// Decodes a JPEG made by us (a rendition or a PDF page, long edge ≤ MCP_EDGE) to grey.
pub(crate) fn decode_grey(jpeg: &[u8]) -> Result<GrayImage, ReceiptError> {
    let max = u64::from(MCP_EDGE) * u64::from(MCP_EDGE) * 4;
    Ok(decode_limited(jpeg, Kind::Jpeg, max, alloc_budget(max))?.to_luma8())
}

/// Turns the picture clockwise.
pub(crate) fn turn(grey: &GrayImage, turn: Turn) -> GrayImage {
    match turn {
        Turn::None => grey.clone(),
        Turn::Quarter => imageops::rotate90(grey),
        Turn::Half => imageops::rotate180(grey),
        Turn::ThreeQuarters => imageops::rotate270(grey),
    }
}

/// Divides every pixel by the paper's brightness around it, so a shadow or a faded patch
/// becomes white paper again and the print keeps its darkness relative to it.
pub(crate) fn flatten_background(grey: &GrayImage) -> GrayImage {
    let (w, h) = grey.dimensions();
    let small = imageops::resize(
        grey,
        (w / BACKGROUND_SCALE).max(1),
        (h / BACKGROUND_SCALE).max(1),
        FilterType::Triangle,
    );
    // The brightest pixel nearby is paper, not print: a small maximum filter. A minimum filter
    // of the same size then gives back the ground the maximum took from a shadow's edge (a
    // morphological closing: print, narrower than the filter, stays gone), and a light blur
    // leaves the estimate without edges of its own. Without the minimum the paper beside a
    // shadow's edge was estimated as bright as the lit paper, and a grey band stayed behind.
    let paper = imageops::blur(&darkest_nearby(&lightest_nearby(&small, 2), 2), 1.0);
    let paper = imageops::resize(&paper, w, h, FilterType::Triangle);
    GrayImage::from_fn(w, h, |x, y| {
        let p = f32::from(grey.get_pixel(x, y)[0]);
        let b = f32::from(paper.get_pixel(x, y)[0]).max(1.0);
        Luma([(p / b * 255.0).clamp(0.0, 255.0) as u8])
    })
}

/// Each pixel replaced by the lightest within `radius` (a square).
fn lightest_nearby(grey: &GrayImage, radius: u32) -> GrayImage {
    nearby(grey, radius, 0, u8::max)
}

/// Each pixel replaced by the darkest within `radius` (a square).
fn darkest_nearby(grey: &GrayImage, radius: u32) -> GrayImage {
    nearby(grey, radius, 255, u8::min)
}

/// Each pixel replaced by `pick` folded over the square within `radius`, from `start`.
fn nearby(grey: &GrayImage, radius: u32, start: u8, pick: fn(u8, u8) -> u8) -> GrayImage {
    let (w, h) = grey.dimensions();
    GrayImage::from_fn(w, h, |x, y| {
        let mut picked = start;
        for yy in y.saturating_sub(radius)..=(y + radius).min(h - 1) {
            for xx in x.saturating_sub(radius)..=(x + radius).min(w - 1) {
                picked = pick(picked, grey.get_pixel(xx, yy)[0]);
            }
        }
        Luma([picked])
    })
}

/// Skews smaller than this many degrees are left alone (Tesseract reads them as well).
const MIN_SKEW: f32 = 0.3;
/// On a picture where no sheet was cut out (a scan, a PDF page, a photo whose paper edges do
/// not stand out), skews smaller than this are left alone too: Tesseract reads a page turned
/// by a degree or two about as well as a level one, while turning it resamples every pixel and
/// softens thin print, and the estimate has no paper edges to confirm it.
const MIN_SKEW_UNCUT: f32 = 2.0;

/// The receipt cut out of the photo and drawn upright: when the paper's four edges stand out
/// from the table, the sheet is warped onto a rectangle (this undoes perspective and skew);
/// any skew left (or of a page without a table, such as a scan) is then turned level. A sheet
/// cut out has its shadows and faded print evened out too ([`legible`]): with the table gone
/// there is no wood grain left for it to sharpen into letters.
pub(crate) fn straighten(grey: &GrayImage) -> GrayImage {
    let started = std::time::Instant::now();
    let fill = paper_level(grey);
    let sheet = paper::find_paper(grey).and_then(|corners| warp::warp_quad(grey, corners, fill));
    let cut = sheet.is_some();
    let sheet = sheet.unwrap_or_else(|| grey.clone());
    let skew = deskew::skew_degrees(&sheet).filter(|d| d.abs() >= least_skew(cut));
    let out = match skew {
        Some(degrees) => warp::rotate(&sheet, degrees, fill),
        None => sheet,
    };
    let out = if cut { legible(&out) } else { out };
    tracing::debug!(
        cut,
        skew,
        ms = started.elapsed().as_millis() as u64,
        "receipt picture straightened"
    );
    out
}

/// The smallest skew worth turning the picture for: small once a sheet was cut out (its
/// edges have already been made straight), larger when no sheet was found.
fn least_skew(cut: bool) -> f32 {
    if cut {
        MIN_SKEW
    } else {
        MIN_SKEW_UNCUT
    }
}

/// The brightness of the paper: the level nine in ten pixels are darker than.
fn paper_level(grey: &GrayImage) -> u8 {
    let want = grey.pixels().len() as u64 * 9 / 10;
    if want == 0 {
        return 0;
    }
    // At least `want` pixels at or below the level: more than `want - 1`.
    level_past(&histogram(grey.pixels().map(|p| p[0])), 0..256, want - 1).map_or(255, |l| l as u8)
}

/// How many of the grey levels given are each level.
fn histogram(levels: impl Iterator<Item = u8>) -> [u64; 256] {
    let mut histogram = [0u64; 256];
    for level in levels {
        histogram[usize::from(level)] += 1;
    }
    histogram
}

/// The first of `levels`, in their order, by which more than `count` pixels have been counted.
fn level_past(
    histogram: &[u64; 256],
    levels: impl Iterator<Item = usize>,
    count: u64,
) -> Option<usize> {
    let mut seen = 0u64;
    for l in levels {
        seen += histogram[l];
        if seen > count {
            return Some(l);
        }
    }
    None
}

/// Spreads the grey levels so that the darkest print is black and the paper white (faded
/// print comes out dark again).
pub(crate) fn stretch_contrast(grey: &GrayImage) -> GrayImage {
    // The levels are read off the inside of the picture: a cut-out sheet's edges may keep a
    // strip of the table, dark enough to count as the darkest print, and faint print then
    // stayed as faint as it was.
    let (w, h) = grey.dimensions();
    let (mx, my) = (w / STRETCH_MARGIN, h / STRETCH_MARGIN);
    let inside = imageops::crop_imm(grey, mx, my, w - 2 * mx, h - 2 * my);
    let histogram = histogram(inside.pixels().map(|(_, _, p)| p[0]));
    let clip = ((w - 2 * mx) as f32 * (h - 2 * my) as f32 * STRETCH_CLIP) as u64;
    let dark = level_past(&histogram, 0..256, clip).unwrap_or(0);
    let light = level_past(&histogram, (0..256).rev(), clip).unwrap_or(0);
    if light <= dark + 16 {
        // A blank or nearly uniform picture: nothing to stretch.
        return grey.clone();
    }
    let (dark, span) = (dark as f32, (light - dark) as f32);
    let mut out = grey.clone();
    for p in out.pixels_mut() {
        p[0] = ((f32::from(p[0]) - dark) / span * 255.0).clamp(0.0, 255.0) as u8;
    }
    out
}

/// The picture as Tesseract reads it best: background flattened, contrast stretched.
pub(crate) fn legible(grey: &GrayImage) -> GrayImage {
    stretch_contrast(&flatten_background(grey))
}

/// Faint print drawn darker, for a second reading of a receipt whose amounts did not add up:
/// the picture made [`legible`], then every grey level raised to the power [`FAINT_POWER`]. Paper
/// stays white and dark print stays black, while print only a little darker than the paper (a
/// row of a thermal receipt printed lightly, a faded line) becomes dark enough to survive
/// Tesseract's binarisation, which sets it apart from the paper with one threshold for the page.
/// Only for a second reading: it also thickens print that was already dark.
pub(crate) fn darken_faint(grey: &GrayImage) -> GrayImage {
    darken(legible(grey))
}

/// Soft print (a blurred photo) made crisper for a reading after [`darken_faint`]'s: the
/// picture made [`legible`], [`sharpen`]ed, and darkened as there. Not for every second reading:
/// sharpening also sharpens a faint row's grain, and such a row is then lost.
pub(crate) fn sharpen_soft(grey: &GrayImage) -> GrayImage {
    darken(sharpen(&legible(grey)))
}

/// Every grey level raised to the power [`FAINT_POWER`].
fn darken(mut out: GrayImage) -> GrayImage {
    let curve: Vec<u8> = (0..=255u8)
        .map(|level| (255.0 * (f32::from(level) / 255.0).powi(FAINT_POWER)).round() as u8)
        .collect();
    for p in out.pixels_mut() {
        p[0] = curve[usize::from(p[0])];
    }
    out
}

/// The picture enlarged this many times before it is sharpened, when it is small enough.
const SHARPEN_SCALE: u32 = 2;
/// Only pictures whose long edge is at most this are enlarged.
const SHARPEN_UP_TO: u32 = 1700;
/// The spread (in pixels of the enlarged picture) of the blur an unsharp mask takes away.
const SHARPEN_SIGMA: f32 = 3.0;
/// How much of the difference from the blurred picture is added back.
const SHARPEN_AMOUNT: f32 = 1.5;

/// Soft print made crisper: the picture enlarged (small, soft letters keep more of their
/// strokes through Tesseract's binarisation at twice the size) and an unsharp mask applied.
pub(crate) fn sharpen(grey: &GrayImage) -> GrayImage {
    let (w, h) = grey.dimensions();
    let big = if w.max(h) <= SHARPEN_UP_TO {
        imageops::resize(
            grey,
            w * SHARPEN_SCALE,
            h * SHARPEN_SCALE,
            FilterType::CatmullRom,
        )
    } else {
        grey.clone()
    };
    let soft = imageops::blur(&big, SHARPEN_SIGMA);
    let mut out = big;
    for (p, s) in out.pixels_mut().zip(soft.pixels()) {
        let (v, b) = (f32::from(p[0]), f32::from(s[0]));
        p[0] = (v + SHARPEN_AMOUNT * (v - b)).round().clamp(0.0, 255.0) as u8;
    }
    out
}

/// The picture as Tesseract reads it from a pipe: a binary PGM (Netpbm "P5"), which Leptonica
/// reads as it is. A PNG made the same pixels and cost a zlib compression here and a
/// decompression in Tesseract for every reading.
pub(crate) fn encode_pgm(grey: &GrayImage) -> Vec<u8> {
    let header = format!("P5\n{} {}\n255\n", grey.width(), grey.height());
    let mut out = Vec::with_capacity(header.len() + grey.as_raw().len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(grey.as_raw());
    out
}

#[cfg(test)]
#[path = "prepare_tests.rs"]
mod tests;
