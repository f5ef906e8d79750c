//! The small skew of a receipt picture (a photo taken at a slant, a page fed crookedly into a
//! scanner), estimated from its lines of print: at the right angle the lines' projection is
//! sharpest (dark rows and empty gaps between them).

use image::imageops::{self, FilterType};
use image::GrayImage;

/// Skews up to this many degrees either way are looked for.
const MAX_DEGREES: f32 = 8.0;
/// The coarse search steps by this, the fine search around its best by a tenth of it.
const COARSE_STEP: f32 = 1.0;
/// The estimate is made on a copy this long on its long edge.
const WORK_EDGE: u32 = 600;
/// A pixel counts as print when it is at most this share of the paper's brightness around it.
const INK_RATIO: f32 = 0.82;
/// The sharpest angle must beat the level reading by this factor to be trusted.
const MIN_GAIN: f64 = 1.05;

/// Dark pixels of a picture, as offsets from its centre with a weight (how dark).
struct Ink {
    points: Vec<(f32, f32, f32)>,
    /// Half the diagonal: bins of a projection run from -reach to +reach.
    reach: f32,
}

/// Print on the picture: pixels clearly darker than the lightest pixels near them (so that a
/// shadow or a dark table does not count as print).
fn ink_of(grey: &GrayImage) -> Ink {
    let (w, h) = grey.dimensions();
    let radius = 6u32;
    // The paper's brightness near each pixel: the lightest value in a coarse cell and its
    // neighbours.
    let (cw, ch) = (w.div_ceil(radius), h.div_ceil(radius));
    let mut cells = vec![0u8; (cw * ch) as usize];
    for (x, y, p) in grey.enumerate_pixels() {
        let c = &mut cells[((y / radius) * cw + x / radius) as usize];
        *c = (*c).max(p[0]);
    }
    let paper_at = |x: u32, y: u32| {
        let (gx, gy) = (x / radius, y / radius);
        let mut lightest = 0u8;
        for yy in gy.saturating_sub(1)..=(gy + 1).min(ch - 1) {
            for xx in gx.saturating_sub(1)..=(gx + 1).min(cw - 1) {
                lightest = lightest.max(cells[(yy * cw + xx) as usize]);
            }
        }
        f32::from(lightest)
    };
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut points = Vec::new();
    for (x, y, p) in grey.enumerate_pixels() {
        let paper = paper_at(x, y);
        if paper < 40.0 {
            continue;
        }
        let ratio = f32::from(p[0]) / paper;
        if ratio < INK_RATIO {
            points.push((x as f32 - cx, y as f32 - cy, 1.0 - ratio));
        }
    }
    Ink {
        points,
        reach: (cx * cx + cy * cy).sqrt() + 2.0,
    }
}

/// How sharp the projection of the print is across lines running at `degrees` (down to the
/// right), or across columns when `columns` (a picture turned a quarter).
fn sharpness(ink: &Ink, degrees: f32, columns: bool, bins: &mut Vec<f64>) -> f64 {
    let (sin, cos) = degrees.to_radians().sin_cos();
    bins.clear();
    bins.resize((2.0 * ink.reach) as usize + 2, 0.0);
    for &(dx, dy, weight) in &ink.points {
        let at = if columns {
            cos * dx + sin * dy
        } else {
            cos * dy - sin * dx
        };
        let bin = (at + ink.reach) as usize;
        if let Some(b) = bins.get_mut(bin) {
            *b += f64::from(weight);
        }
    }
    bins.iter().map(|b| b * b).sum()
}

/// The angle in degrees to turn the picture by (`warp::rotate`) so that its lines of print run
/// level: the angle by which lines read across run down to the right, or in a picture turned a
/// quarter, the turn that makes its lines run straight down the page. Zero when no angle is
/// clearly sharper than none, None when there is too little print to tell.
pub(crate) fn skew_degrees(grey: &GrayImage) -> Option<f32> {
    let (w, h) = grey.dimensions();
    let scale = (WORK_EDGE as f32 / w.max(h) as f32).min(1.0);
    let small = if scale < 1.0 {
        imageops::resize(
            grey,
            ((w as f32 * scale) as u32).max(1),
            ((h as f32 * scale) as u32).max(1),
            FilterType::Triangle,
        )
    } else {
        grey.clone()
    };
    let ink = ink_of(&small);
    if ink.points.len() < 200 {
        return None;
    }
    let mut bins = Vec::new();
    let mut best: Option<(f64, f32, bool)> = None;
    let mut level = 0f64;
    for columns in [false, true] {
        level = level.max(sharpness(&ink, 0.0, columns, &mut bins));
        let steps = (MAX_DEGREES / COARSE_STEP) as i32;
        for i in -steps..=steps {
            let degrees = i as f32 * COARSE_STEP;
            let s = sharpness(&ink, degrees, columns, &mut bins);
            if best.is_none_or(|(b, _, _)| s > b) {
                best = Some((s, degrees, columns));
            }
        }
    }
    let (_, coarse, columns) = best?;
    let fine_step = COARSE_STEP / 10.0;
    let (score, degrees) = (-10..=10)
        .map(|i| coarse + i as f32 * fine_step)
        .map(|d| (sharpness(&ink, d, columns, &mut bins), d))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    Some(if score >= level * MIN_GAIN {
        degrees
    } else {
        0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Lines of "words" (dark dashes) on light paper, running down to the right by `degrees`,
    /// drawn directly at that slant; `columns` draws them down the page instead.
    fn slanted_page(degrees: f32, columns: bool) -> GrayImage {
        let slope = degrees.to_radians().tan();
        GrayImage::from_fn(700, 900, |x, y| {
            let (along, across) = if columns {
                (
                    y as f32 - 450.0,
                    x as f32 - 350.0 - (y as f32 - 450.0) * slope,
                )
            } else {
                (
                    x as f32 - 350.0,
                    y as f32 - 450.0 - (x as f32 - 350.0) * slope,
                )
            };
            let in_line = across.rem_euclid(36.0) < 14.0;
            let in_word = (along + 400.0).rem_euclid(90.0) < 70.0 && along.abs() < 300.0;
            let letter = (along + 400.0).rem_euclid(9.0) < 6.0;
            Luma([if in_line && in_word && letter && across.abs() < 380.0 {
                40
            } else {
                235
            }])
        })
    }

    #[test]
    fn a_known_slant_is_found_within_half_a_degree() {
        for degrees in [3.7f32, -2.2, 5.6, -0.8] {
            let got = skew_degrees(&slanted_page(degrees, false)).expect("an angle");
            assert!((got - degrees).abs() < 0.5, "{degrees}: {got}");
        }
        // A picture turned a quarter (lines down the page, leaning 3° to the left going down)
        // is straightened by the opposite turn.
        let got = skew_degrees(&slanted_page(-3.0, true)).expect("an angle");
        assert!((got - 3.0).abs() < 0.5, "{got}");
    }

    #[test]
    fn a_level_page_is_level_and_a_blank_one_has_no_angle() {
        let got = skew_degrees(&slanted_page(0.0, false)).expect("an angle");
        assert!(got.abs() < 0.3, "{got}");
        assert_eq!(
            skew_degrees(&GrayImage::from_pixel(300, 400, Luma([240]))),
            None
        );
    }
}
