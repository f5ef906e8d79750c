//! Finding the receipt in a phone photo: light paper on a darker table. Each side of the paper
//! is the first clear step up in brightness met when coming in from that side of the picture
//! (a ratio, so a shadow across the table and paper does not move it); a straight line is
//! fitted through the steps of each side, and the four lines meet at the paper's corners.

use image::imageops::{self, FilterType};
use image::GrayImage;

use super::warp::Point;

/// The search runs on a copy this long on its long edge.
const WORK_EDGE: u32 = 400;
/// Paper is at least this much brighter than the table next to it (as a ratio).
const MIN_STEP: f32 = 1.2;
/// Pixels of the work copy averaged on each side of a step.
const STEP_SPAN: usize = 3;
/// A step belongs to a side's line when it lies within this many work pixels of it.
const LINE_TOLERANCE: f32 = 1.5;
/// A side's line must hold at least this share of the rows (or columns) searched.
const MIN_INLIERS: f32 = 0.3;
/// The paper must cover at least this share of the picture.
const MIN_AREA: f32 = 0.2;

/// A line `across = slope * along + offset`: for the left and right sides `across` is x and
/// `along` is y, for the top and bottom the other way round.
#[derive(Debug, Clone, Copy)]
struct Line {
    slope: f32,
    offset: f32,
}

/// Brightness on a log scale (a shadow adds a constant to it).
fn log_image(grey: &GrayImage) -> (Vec<f32>, usize, usize) {
    let (w, h) = grey.dimensions();
    let logs = grey
        .pixels()
        .map(|p| f32::from(p[0]).max(4.0).ln())
        .collect();
    (logs, w as usize, h as usize)
}

/// Where the first clear step up in brightness lies along `values` (from its start), if any.
fn first_step(values: &[f32]) -> Option<usize> {
    let min = MIN_STEP.ln();
    let n = values.len();
    let mean = |from: usize, to: usize| values[from..to].iter().sum::<f32>() / (to - from) as f32;
    (STEP_SPAN..n.saturating_sub(STEP_SPAN)).find(|&i| {
        let rise = mean(i, i + STEP_SPAN) - mean(i - STEP_SPAN, i);
        // Paper stays light beyond its edge (a thin light line on the table is not paper), and
        // what lies before it is dark for a stretch (the table; not a letter in a white margin).
        let beyond = (i + 4 * STEP_SPAN).min(n);
        let before = i.saturating_sub(5 * STEP_SPAN);
        rise >= min && mean(i, beyond) - mean(before, i) >= min
    })
}

/// The line through most of `points` (`(along, across)`), fitted to them by least squares;
/// None when too few points agree.
fn fit_line(points: &[(f32, f32)], searched: usize) -> Option<Line> {
    let need = ((searched as f32 * MIN_INLIERS) as usize).max(8);
    if points.len() < need {
        return None;
    }
    // Pairs of points a fixed distance apart in the list propose lines; the one most points
    // agree with wins (deterministic, and cheap for a few hundred points).
    let inliers = |line: &Line| -> Vec<(f32, f32)> {
        points
            .iter()
            .copied()
            .filter(|&(a, c)| (line.slope * a + line.offset - c).abs() <= LINE_TOLERANCE)
            .collect()
    };
    let mut best: Option<(usize, Line)> = None;
    let stride = (points.len() / 40).max(1);
    for i in (0..points.len()).step_by(stride) {
        for j in (i + 1..points.len()).step_by(stride) {
            let ((a1, c1), (a2, c2)) = (points[i], points[j]);
            if (a2 - a1).abs() < points.len() as f32 / 4.0 {
                continue;
            }
            let slope = (c2 - c1) / (a2 - a1);
            if slope.abs() > 0.5 {
                continue;
            }
            let line = Line {
                slope,
                offset: c1 - slope * a1,
            };
            let count = inliers(&line).len();
            if best.is_none_or(|(b, _)| count > b) {
                best = Some((count, line));
            }
        }
    }
    let (count, rough) = best?;
    if count < need {
        return None;
    }
    // Least squares over the points that agree.
    let agree = inliers(&rough);
    let n = agree.len() as f32;
    let (sa, sc) = agree
        .iter()
        .fold((0.0, 0.0), |(sa, sc), (a, c)| (sa + a, sc + c));
    let (ma, mc) = (sa / n, sc / n);
    let (saa, sac) = agree.iter().fold((0.0, 0.0), |(saa, sac), (a, c)| {
        (saa + (a - ma) * (a - ma), sac + (a - ma) * (c - mc))
    });
    let slope = if saa > 0.0 { sac / saa } else { rough.slope };
    Some(Line {
        slope,
        offset: mc - slope * ma,
    })
}

/// Where a left or right line (x by y) meets a top or bottom line (y by x).
fn meet(side: Line, end: Line) -> Option<Point> {
    // x = s y + o, y = t x + p  =>  x = s (t x + p) + o.
    let d = 1.0 - side.slope * end.slope;
    if d.abs() < 1e-3 {
        return None;
    }
    let x = (side.slope * end.offset + side.offset) / d;
    Some((x, end.slope * x + end.offset))
}

/// Twice the signed area of a polygon.
fn twice_area(points: &[Point; 4]) -> f32 {
    (0..4)
        .map(|i| {
            let (a, b) = (points[i], points[(i + 1) % 4]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum()
}

/// The paper's corners in `grey` (top-left, top-right, bottom-right, bottom-left), or None when
/// no clear paper edge is found on all four sides or the shape is not a plausible sheet.
pub(crate) fn find_paper(grey: &GrayImage) -> Option<[Point; 4]> {
    let (w, h) = grey.dimensions();
    let scale = (WORK_EDGE as f32 / w.max(h) as f32).min(1.0);
    let (sw, sh) = (
        ((w as f32 * scale) as u32).max(1),
        ((h as f32 * scale) as u32).max(1),
    );
    if sw < 40 || sh < 40 {
        return None;
    }
    let small = imageops::blur(&imageops::resize(grey, sw, sh, FilterType::Triangle), 1.0);
    let (logs, sw, sh) = log_image(&small);
    let row = |y: usize| logs[y * sw..(y + 1) * sw].to_vec();
    let column = |x: usize| (0..sh).map(|y| logs[y * sw + x]).collect::<Vec<f32>>();

    // The middle stretch of each side only: near the corners a row meets the top or bottom.
    let rows = sh / 10..sh - sh / 10;
    let columns = sw / 10..sw - sw / 10;
    let mut sides: [Vec<(f32, f32)>; 4] = Default::default();
    // The step from each end of a row (left and right sides) or column (top and bottom), at
    // `at` along the other axis.
    let mut edges = |values: Vec<f32>, at: usize, [near, far]: [usize; 2]| {
        let last = values.len().saturating_sub(1);
        if let Some(i) = first_step(&values) {
            sides[near].push((at as f32, i as f32));
        }
        let reversed: Vec<f32> = values.into_iter().rev().collect();
        if let Some(i) = first_step(&reversed) {
            sides[far].push((at as f32, (last - i) as f32));
        }
    };
    for y in rows.clone() {
        edges(row(y), y, [0, 1]);
    }
    for x in columns.clone() {
        edges(column(x), x, [2, 3]);
    }
    let left = fit_line(&sides[0], rows.len())?;
    let right = fit_line(&sides[1], rows.len())?;
    let top = fit_line(&sides[2], columns.len())?;
    let bottom = fit_line(&sides[3], columns.len())?;
    let small_corners = [
        meet(left, top)?,
        meet(right, top)?,
        meet(right, bottom)?,
        meet(left, bottom)?,
    ];
    // A sheet: clockwise, convex, large enough and inside the picture (give or take a little).
    let area = twice_area(&small_corners) / 2.0;
    if area < MIN_AREA * (sw * sh) as f32 {
        return None;
    }
    let margin = 0.05 * sw.max(sh) as f32;
    let inside = small_corners.iter().all(|&(x, y)| {
        (-margin..=sw as f32 + margin).contains(&x) && (-margin..=sh as f32 + margin).contains(&y)
    });
    let convex = (0..4).all(|i| {
        let (a, b, c) = (
            small_corners[i],
            small_corners[(i + 1) % 4],
            small_corners[(i + 2) % 4],
        );
        (b.0 - a.0) * (c.1 - b.1) - (b.1 - a.1) * (c.0 - b.0) > 0.0
    });
    if !inside || !convex {
        return None;
    }
    // Back to the picture's scale, a little inside the edge so no table shows at the border.
    let (fx, fy) = (w as f32 / sw as f32, h as f32 / sh as f32);
    let (cx, cy) = (
        small_corners.iter().map(|p| p.0).sum::<f32>() / 4.0,
        small_corners.iter().map(|p| p.1).sum::<f32>() / 4.0,
    );
    Some(small_corners.map(|(x, y)| {
        let (x, y) = (cx + (x - cx) * 0.99, cy + (y - cy) * 0.99);
        ((x + 0.5) * fx - 0.5, (y + 0.5) * fy - 0.5)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Inside the quadrilateral `q` (clockwise in picture coordinates)?
    fn inside(q: &[Point; 4], (x, y): Point) -> bool {
        (0..4).all(|i| {
            let (a, b) = (q[i], q[(i + 1) % 4]);
            (b.0 - a.0) * (y - a.1) - (b.1 - a.1) * (x - a.0) >= 0.0
        })
    }

    /// A sheet with print on a striped, darker table, a shadow over one corner.
    fn photo(corners: [Point; 4], table: f32) -> GrayImage {
        GrayImage::from_fn(900, 1200, |x, y| {
            let (fx, fy) = (x as f32, y as f32);
            let base = if inside(&corners, (fx, fy)) {
                let print = (y / 30) % 2 == 0 && (x / 7) % 3 != 0 && (x / 70) % 4 != 3;
                if print
                    && inside(
                        &corners.map(|(a, b)| (a * 0.8 + 90.0, b * 0.85 + 90.0)),
                        (fx, fy),
                    )
                {
                    40.0
                } else {
                    245.0
                }
            } else {
                table + if (y / 7) % 2 == 0 { 10.0 } else { -10.0 }
            };
            let shade = 1.0 - 0.6 * (1.0 - (fx + fy) / 900.0).max(0.0);
            Luma([(base * shade).clamp(0.0, 255.0) as u8])
        })
    }

    #[test]
    fn a_tilted_sheet_is_found_within_a_few_pixels() {
        let corners = [
            (140.0, 110.0),
            (760.0, 150.0),
            (800.0, 1100.0),
            (90.0, 1060.0),
        ];
        for table in [80.0, 170.0] {
            let found = find_paper(&photo(corners, table)).expect("the sheet");
            for (f, c) in found.iter().zip(corners) {
                let off = ((f.0 - c.0).powi(2) + (f.1 - c.1).powi(2)).sqrt();
                // The corners are pulled in by 1 % on purpose.
                assert!(off < 18.0, "table {table}: {found:?} vs {corners:?}");
            }
        }
    }

    #[test]
    fn no_sheet_without_a_table() {
        let page = GrayImage::from_fn(800, 1000, |x, y| {
            Luma([if (y / 30) % 2 == 0 && (x / 7) % 3 != 0 {
                30
            } else {
                250
            }])
        });
        assert!(find_paper(&page).is_none());
        assert!(find_paper(&GrayImage::from_pixel(600, 600, Luma([120]))).is_none());
    }
}
