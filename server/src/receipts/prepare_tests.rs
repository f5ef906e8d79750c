//! Tests of the pictures made legible for OCR (`prepare.rs`).
#![allow(clippy::unwrap_used)]

use super::*;

/// Dark print on paper whose left half lies in a shadow.
fn shadowed_page() -> GrayImage {
    GrayImage::from_fn(320, 160, |x, y| {
        let paper = if x < 160 { 110.0 } else { 230.0 };
        let print = (x / 8 + y / 8) % 5 == 0 && (20..140).contains(&y);
        Luma([if print { paper * 0.35 } else { paper } as u8])
    })
}

#[test]
fn a_shadow_becomes_white_paper_and_print_stays_dark() {
    let page = shadowed_page();
    let flat = legible(&page);
    // Paper in the shadow and paper in the light end up alike and light.
    let shadow_paper = flat.get_pixel(60, 5)[0];
    let lit_paper = flat.get_pixel(260, 5)[0];
    assert!(
        shadow_paper > 200 && lit_paper > 200,
        "{shadow_paper} {lit_paper}"
    );
    // Print in the shadow is darker than the paper it lies on, by far.
    let (px, py) = (0..160)
        .flat_map(|x| (20..140).map(move |y| (x, y)))
        .find(|&(x, y)| page.get_pixel(x, y)[0] < 60)
        .unwrap();
    assert!(
        flat.get_pixel(px, py)[0] < 120,
        "{}",
        flat.get_pixel(px, py)[0]
    );
    // Before, the paper in the shadow was darker than the print in the light.
    assert!(page.get_pixel(60, 5)[0] < page.get_pixel(260, 5)[0] / 2);
}

#[test]
fn faded_print_is_stretched_to_black_and_blank_pages_stay_as_they_are() {
    let faded = GrayImage::from_fn(100, 100, |x, _| Luma([if x % 10 == 0 { 170 } else { 240 }]));
    let out = stretch_contrast(&faded);
    assert_eq!(out.get_pixel(0, 0)[0], 0);
    assert_eq!(out.get_pixel(1, 0)[0], 255);
    let blank = GrayImage::from_pixel(50, 50, Luma([250]));
    assert_eq!(stretch_contrast(&blank), blank);
}

#[test]
fn a_page_with_no_sheet_cut_out_is_turned_only_for_a_clear_skew() {
    assert!(
        least_skew(false) > 1.8,
        "a scanner's skew is left to Tesseract"
    );
    assert!(least_skew(true) < 1.0);
    // Lines of print across a white page (no table around it), skewed by 1.2 degrees:
    // left as it is.
    let slope = 1.2f32.to_radians().tan();
    let page = GrayImage::from_fn(400, 300, |x, y| {
        let along = y as f32 - x as f32 * slope;
        let print = (along as i32).rem_euclid(20) < 4 && (x / 6) % 4 != 3;
        Luma([if print { 30 } else { 245 }])
    });
    assert_eq!(straighten(&page), page);
}

#[test]
fn faint_print_is_darkened_and_paper_stays_white() {
    let mut page = GrayImage::from_pixel(200, 100, Luma([245]));
    for x in 20..60 {
        for y in 40..50 {
            page.put_pixel(x, y, Luma([20]));
            page.put_pixel(x + 100, y, Luma([190]));
        }
    }
    let plain = legible(&page);
    let dark = darken_faint(&page);
    assert!(dark.get_pixel(130, 45)[0] < plain.get_pixel(130, 45)[0] - 40);
    assert!(
        dark.get_pixel(130, 45)[0] < 128,
        "faint print is below mid-grey"
    );
    assert!(dark.get_pixel(40, 45)[0] < 10, "dark print stays black");
    assert!(dark.get_pixel(100, 10)[0] > 240, "paper stays white");
}

#[test]
fn turns_are_clockwise_quarter_turns() {
    let img = GrayImage::from_fn(3, 2, |x, y| Luma([(y * 3 + x) as u8]));
    assert_eq!(turn(&img, Turn::None), img);
    let q = turn(&img, Turn::Quarter);
    assert_eq!(q.dimensions(), (2, 3));
    // The top-left pixel goes to the top-right corner.
    assert_eq!(q.get_pixel(1, 0)[0], 0);
    assert_eq!(turn(&img, Turn::Half).get_pixel(2, 1)[0], 0);
    assert_eq!(turn(&img, Turn::ThreeQuarters).get_pixel(0, 2)[0], 0);
    assert_eq!(Turn::from_degrees(270), Some(Turn::ThreeQuarters));
    assert_eq!(Turn::from_degrees(45), None);
}

#[test]
fn soft_print_is_enlarged_and_its_edges_made_steeper() {
    // A dark bar whose edges fade over eight pixels, as a blurred stroke does.
    let soft = GrayImage::from_fn(120, 40, |x, _| {
        let d = (x as i32 - 60).abs();
        Luma([(40 + (d - 10).clamp(0, 8) * 25) as u8])
    });
    let sharp = sharpen(&soft);
    assert_eq!(
        sharp.dimensions(),
        (240, 80),
        "a small picture is enlarged twice"
    );
    let steepest = |img: &GrayImage, y: u32| {
        (1..img.width())
            .map(|x| {
                (i32::from(img.get_pixel(x, y)[0]) - i32::from(img.get_pixel(x - 1, y)[0])).abs()
            })
            .max()
            .unwrap()
    };
    // Per pixel of the original: twice the enlarged picture's step.
    assert!(steepest(&sharp, 40) * 2 > steepest(&soft, 20) * 3 / 2);
    // Paper stays paper and the bar's middle stays dark.
    assert!(sharp.get_pixel(10, 40)[0] >= 235);
    assert!(sharp.get_pixel(120, 40)[0] <= 45);
    // A picture too large to enlarge keeps its size.
    let large = GrayImage::from_pixel(SHARPEN_UP_TO + 1, 8, Luma([200]));
    assert_eq!(sharpen(&large).dimensions(), large.dimensions());
    // The reading for soft print sharpens and darkens: same size as sharpen's.
    assert_eq!(sharpen_soft(&soft).dimensions(), (240, 80));
}

#[test]
fn faint_print_inside_a_dark_frame_is_still_stretched_to_black() {
    // A strip of the table left along a cut-out sheet's edges: black, more than 1 % of the
    // picture. The print inside is faint (200 on paper of 240).
    let framed = GrayImage::from_fn(400, 300, |x, y| {
        let frame = x < 6 || y < 6 || x >= 394 || y >= 294;
        let print = (x / 6 + y / 6) % 7 == 0 && (40..260).contains(&y) && (40..360).contains(&x);
        Luma([if frame {
            10
        } else if print {
            200
        } else {
            240
        }])
    });
    let out = stretch_contrast(&framed);
    let print = out.get_pixel(42, 42)[0];
    assert_eq!(framed.get_pixel(42, 42)[0], 200, "the sample is on print");
    assert!(print < 40, "faint print stretched to {print}");
    assert!(out.get_pixel(200, 150)[0] > 240 || out.get_pixel(201, 150)[0] > 240);
}

#[test]
fn paper_beside_a_shadows_edge_leaves_no_grey_band() {
    // A shadow's edge through blank paper: the closing follows the edge, so the paper on both
    // sides comes out white within a few levels from 40 pixels off the edge on.
    let edge = GrayImage::from_fn(640, 320, |x, _| Luma([if x < 320 { 120 } else { 235 }]));
    let flat = flatten_background(&edge);
    for x in [200, 280, 360, 450] {
        let level = flat.get_pixel(x, 160)[0];
        assert!(level >= 225, "paper at x = {x} came out {level}");
    }
}
