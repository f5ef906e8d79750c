//! Geometric corrections of receipt pictures before OCR: a perspective warp of a quadrilateral
//! onto an upright rectangle, and a rotation about the centre. Both sample the source with
//! bilinear interpolation, on the picture the OCR reads (at most `MCP_EDGE` on its long edge).

use image::{GrayImage, Luma};

/// A point in pixel coordinates (x to the right, y down).
pub(crate) type Point = (f32, f32);

/// A projective map from output coordinates to source coordinates:
/// `x = (h0 u + h1 v + h2) / (h6 u + h7 v + 1)`, `y = (h3 u + h4 v + h5) / (…)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Homography([f64; 8]);

impl Homography {
    /// The map taking each of `from` to the same-numbered point of `to`; None when the points
    /// are degenerate (three on a line).
    pub(crate) fn between(from: [Point; 4], to: [Point; 4]) -> Option<Homography> {
        let mut m = [[0f64; 9]; 8];
        for (i, ((u, v), (x, y))) in from.iter().zip(to.iter()).enumerate() {
            let (u, v, x, y) = (f64::from(*u), f64::from(*v), f64::from(*x), f64::from(*y));
            m[2 * i] = [u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x];
            m[2 * i + 1] = [0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y];
        }
        // Gaussian elimination with partial pivoting.
        for col in 0..8 {
            let pivot = (col..8).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
            if m[pivot][col].abs() < 1e-9 {
                return None;
            }
            m.swap(col, pivot);
            let pivot_row = m[col];
            for (r, row) in m.iter_mut().enumerate() {
                if r != col {
                    let f = row[col] / pivot_row[col];
                    for (cell, p) in row.iter_mut().zip(pivot_row.iter()).skip(col) {
                        *cell -= f * p;
                    }
                }
            }
        }
        let mut h = [0f64; 8];
        for (i, hi) in h.iter_mut().enumerate() {
            *hi = m[i][8] / m[i][i];
        }
        h.iter().all(|v| v.is_finite()).then_some(Homography(h))
    }

    pub(crate) fn apply(&self, (u, v): Point) -> Point {
        let h = &self.0;
        let (u, v) = (f64::from(u), f64::from(v));
        let w = h[6] * u + h[7] * v + 1.0;
        let w = if w.abs() < 1e-12 { 1e-12 } else { w };
        (
            ((h[0] * u + h[1] * v + h[2]) / w) as f32,
            ((h[3] * u + h[4] * v + h[5]) / w) as f32,
        )
    }
}

/// The grey level at a fractional position, or `fill` outside the picture.
fn sample(src: &GrayImage, (x, y): Point, fill: u8) -> u8 {
    let (w, h) = src.dimensions();
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f32 && y <= (h - 1) as f32) {
        return fill;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| f32::from(src.get_pixel(x, y)[0]);
    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
    let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
    (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8
}

/// The quadrilateral `corners` (top-left, top-right, bottom-right, bottom-left) of `src` drawn
/// onto an upright rectangle as large as its longer opposite sides; None when the corners are
/// degenerate or the rectangle would be empty.
pub(crate) fn warp_quad(src: &GrayImage, corners: [Point; 4], fill: u8) -> Option<GrayImage> {
    let dist = |a: Point, b: Point| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let [tl, tr, br, bl] = corners;
    let width = dist(tl, tr).max(dist(bl, br)).round();
    let height = dist(tl, bl).max(dist(tr, br)).round();
    // Never larger than the source could fill (a wild quadrilateral must not allocate much).
    let (sw, sh) = src.dimensions();
    let limit = (sw.max(sh) as f32) * 1.5;
    if !(2.0..=limit).contains(&width) || !(2.0..=limit).contains(&height) {
        return None;
    }
    let (w, h) = (width as u32, height as u32);
    let rect = [
        (0.0, 0.0),
        ((w - 1) as f32, 0.0),
        ((w - 1) as f32, (h - 1) as f32),
        (0.0, (h - 1) as f32),
    ];
    let map = Homography::between(rect, corners)?;
    Some(GrayImage::from_fn(w, h, |u, v| {
        Luma([sample(src, map.apply((u as f32, v as f32)), fill)])
    }))
}

/// The picture turned about its centre so that what ran down to the right by `degrees` runs
/// level (same size; corners that come from outside are `fill`).
pub(crate) fn rotate(src: &GrayImage, degrees: f32, fill: u8) -> GrayImage {
    let (w, h) = src.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let at = (cx + cos * dx - sin * dy, cy + sin * dx + cos * dy);
        Luma([sample(src, at, fill)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_homography_maps_its_four_points_and_degenerate_ones_are_refused() {
        let from = [(0.0, 0.0), (99.0, 0.0), (99.0, 199.0), (0.0, 199.0)];
        let to = [(12.0, 7.0), (90.0, 15.0), (95.0, 180.0), (4.0, 170.0)];
        let map = Homography::between(from, to).expect("a proper quadrilateral");
        for (f, t) in from.iter().zip(to) {
            let got = map.apply(*f);
            assert!(
                (got.0 - t.0).abs() < 0.01 && (got.1 - t.1).abs() < 0.01,
                "{got:?}"
            );
        }
        let line = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)];
        assert!(Homography::between(line, to).is_none());
    }

    #[test]
    fn a_quadrilateral_is_drawn_onto_a_rectangle() {
        // A dark square whose corners are known, in a lighter picture.
        let src = GrayImage::from_fn(200, 200, |x, y| {
            Luma([if (50..150).contains(&x) && (40..160).contains(&y) {
                20
            } else {
                230
            }])
        });
        let out = warp_quad(
            &src,
            [(50.0, 40.0), (149.0, 40.0), (149.0, 159.0), (50.0, 159.0)],
            255,
        )
        .expect("a warped picture");
        assert_eq!(out.dimensions(), (99, 119));
        assert!(out.pixels().all(|p| p[0] < 40));
        // Corners far outside sample the fill.
        let wild = warp_quad(&src, [(0.0, 0.0), (5.0, 0.0), (5.0, 5.0), (0.0, 5.0)], 7)
            .expect("a small picture");
        assert_eq!(wild.get_pixel(0, 0)[0], 230);
        assert!(warp_quad(&src, [(0.0, 0.0); 4], 0).is_none());
    }

    #[test]
    fn rotation_levels_a_line_that_runs_down_to_the_right() {
        let degrees: f32 = 4.0;
        let slope = degrees.to_radians().tan();
        let src = GrayImage::from_fn(300, 200, |x, y| {
            let line = 100.0 + (x as f32 - 149.5) * slope;
            Luma([if (y as f32 - line).abs() < 1.5 {
                0
            } else {
                255
            }])
        });
        let out = rotate(&src, degrees, 255);
        // After the turn the dark pixels lie in a few rows only.
        let rows: std::collections::BTreeSet<u32> = out
            .enumerate_pixels()
            .filter(|(x, _, p)| (20..280).contains(x) && p[0] < 128)
            .map(|(_, y, _)| y)
            .collect();
        assert!(rows.len() <= 4, "{rows:?}");
        assert!(rows.iter().all(|y| (97..=103).contains(y)), "{rows:?}");
    }
}
