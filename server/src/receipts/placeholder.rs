//! A generated thumbnail for PDFs that contain no picture: a sheet of paper
//! with a folded corner, a few "text" lines and a red PDF badge, drawn with
//! plain pixel operations.

use image::{DynamicImage, Rgb, RgbImage};

use super::error::ReceiptError;
use super::image::{encode_jpeg, JPEG_QUALITY};

const W: u32 = 240;
const H: u32 = 320;

const BACKGROUND: Rgb<u8> = Rgb([236, 239, 243]);
const PAPER: Rgb<u8> = Rgb([255, 255, 255]);
const EDGE: Rgb<u8> = Rgb([150, 158, 170]);
const FOLD: Rgb<u8> = Rgb([214, 219, 226]);
const LINE: Rgb<u8> = Rgb([196, 202, 211]);
const BADGE: Rgb<u8> = Rgb([200, 38, 38]);

/// 5×7 bitmaps of the letters P, D and F (one byte per row, low 5 bits).
const GLYPHS: [[u8; 7]; 3] = [
    [
        0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000,
    ],
    [
        0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110,
    ],
    [
        0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000,
    ],
];

fn fill(img: &mut RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, color: Rgb<u8>) {
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            img.put_pixel(x, y, color);
        }
    }
}

/// The placeholder as an image (240×320).
pub(crate) fn placeholder_image() -> RgbImage {
    let mut img = RgbImage::from_pixel(W, H, BACKGROUND);
    let (left, top, right, bottom) = (40u32, 30u32, 200u32, 290u32);
    let fold = 36u32;

    // Paper with a one-pixel edge; the top-right corner is cut diagonally.
    for y in top..=bottom {
        for x in left..=right {
            let dx = right - x; // distance from the right edge
            let dy = y - top; // distance from the top edge
            if dx + dy < fold {
                continue; // cut-off corner shows the background
            }
            let on_edge = x == left || x == right || y == top || y == bottom || dx + dy == fold;
            img.put_pixel(x, y, if on_edge { EDGE } else { PAPER });
        }
    }
    // The folded-over flap.
    for y in top..top + fold {
        for x in right - fold..=right {
            let dx = right - x;
            let dy = y - top;
            if dx + dy == fold || x == right - fold || y == top + fold - 1 {
                if dx + dy >= fold {
                    img.put_pixel(x, y, EDGE);
                }
            } else if dx + dy > fold {
                img.put_pixel(x, y, FOLD);
            }
        }
    }
    // Text lines of varying length.
    let lengths = [100u32, 130, 120, 90, 135, 110, 70];
    for (i, len) in lengths.iter().enumerate() {
        let y = top + 60 + i as u32 * 18;
        fill(&mut img, left + 16, y, left + 16 + len, y + 6, LINE);
    }
    // Red badge with white "PDF".
    let (bx, by, bw, bh) = (left + 16, bottom - 62, 92u32, 40u32);
    fill(&mut img, bx, by, bx + bw, by + bh, BADGE);
    let scale = 4u32;
    for (i, glyph) in GLYPHS.iter().enumerate() {
        let gx = bx + 10 + i as u32 * 6 * scale;
        let gy = by + 6;
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..5u32 {
                if bits & (1 << (4 - col)) != 0 {
                    let x = gx + col * scale;
                    let y = gy + row as u32 * scale;
                    fill(&mut img, x, y, x + scale, y + scale, PAPER);
                }
            }
        }
    }
    img
}

/// The placeholder as a JPEG thumbnail.
pub(crate) fn placeholder_jpeg() -> Result<Vec<u8>, ReceiptError> {
    encode_jpeg(&DynamicImage::ImageRgb8(placeholder_image()), JPEG_QUALITY)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_is_a_small_jpeg() {
        let jpeg = placeholder_jpeg().unwrap();
        let img = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((img.width(), img.height()), (W, H));
        let raw = placeholder_image();
        assert_eq!(*raw.get_pixel(0, 0), BACKGROUND);
        assert_eq!(*raw.get_pixel(45, 100), PAPER);
    }
}
