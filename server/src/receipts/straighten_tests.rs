//! The cost of straightening a receipt photo before OCR, and (on demand) the straightened
//! tuning photos written out to look at.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use image::imageops::{self, FilterType};
use image::DynamicImage;

use super::image::process_image;
use super::prepare::{decode_grey, straighten};
use super::sniff::Kind;
use super::test_support::corpus_dir;

/// A 12-megapixel photo (a tuning photo of the held-apart corpus, enlarged) goes the way of an
/// upload: its MCP rendition is made, decoded to grey and straightened, as OCR does it. Prints
/// the milliseconds straightening takes; asserts only that it stays far below the second the
/// whole upload may take (in an optimised build; a debug build is many times slower).
#[test]
fn straightening_a_12_megapixel_photo_is_cheap() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let photo = std::fs::read(dir.join("corpus/01_de-de_feinkost_albrecht_sohne.jpg")).unwrap();
    let small = image::load_from_memory(&photo).unwrap();
    let big = DynamicImage::ImageRgb8(imageops::resize(
        &small.to_rgb8(),
        4000,
        3000,
        FilterType::Triangle,
    ));
    let jpeg = super::image::encode_jpeg(&big, 85).unwrap();
    let rendition = process_image(&jpeg, Kind::Jpeg, 40_000_000).unwrap();
    let grey = decode_grey(&rendition.mcp_image).unwrap();
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let out = straighten(&grey);
        times.push(started.elapsed().as_millis());
        assert!(out.width() > 100 && out.height() > 100);
    }
    times.sort_unstable();
    println!(
        "straighten: {} ms on the {}x{} rendition of a 12 MP photo (median of 3)",
        times[1],
        grey.width(),
        grey.height()
    );
    let limit = if cfg!(debug_assertions) { 3000 } else { 200 };
    assert!(times[1] < limit, "{times:?}");
}

/// `FORMWORK_STRAIGHTEN_DUMP=<dir>`: writes each tuning photo straightened, as PNG.
#[test]
fn straightened_tuning_photos_on_demand() {
    let (Some(out), Some(dir)) = (
        std::env::var_os("FORMWORK_STRAIGHTEN_DUMP"),
        corpus_dir().map(|d| d.join("corpus")),
    ) else {
        return;
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    for r in manifest["receipts"].as_array().unwrap() {
        let file = r["file"].as_str().unwrap();
        if r["part"] != "tuning" || !file.ends_with(".jpg") {
            continue;
        }
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let rendition = process_image(&bytes, Kind::Jpeg, 40_000_000).unwrap();
        let grey = decode_grey(&rendition.mcp_image).unwrap();
        let started = Instant::now();
        let done = straighten(&grey);
        println!(
            "{file}: {} ms, paper {:?}, skew after {:?}",
            started.elapsed().as_millis(),
            super::paper::find_paper(&grey),
            super::deskew::skew_degrees(&done)
        );
        done.save(std::path::Path::new(&out).join(format!("{file}.png")))
            .unwrap();
    }
}
