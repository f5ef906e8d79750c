//! Tests of the PDF filter chains (`pdf_filters.rs`).
#![allow(clippy::unwrap_used)]

use super::super::test_support::{ascii85_encoded, zlib_compressed};
use super::*;

fn step(name: &[u8]) -> Step<'_> {
    Step { name, params: None }
}

fn samples() -> Vec<u8> {
    (0..3000u32).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn every_text_and_compression_filter_in_any_order() {
    let raw = samples();
    let hex: Vec<u8> = raw
        .iter()
        .flat_map(|b| format!("{b:02x} ").into_bytes())
        .collect();
    let cases: Vec<(Vec<u8>, Vec<&[u8]>)> = vec![
        (hex.clone(), vec![b"ASCIIHexDecode"]),
        (ascii85_encoded(&raw), vec![b"ASCII85Decode"]),
        (zlib_compressed(&raw), vec![b"FlateDecode"]),
        (ascii85_encoded(&zlib_compressed(&raw)), vec![b"A85", b"Fl"]),
        (
            zlib_compressed(&ascii85_encoded(&raw)),
            vec![b"FlateDecode", b"ASCII85Decode"],
        ),
        (
            {
                let mut rl = Vec::new();
                for chunk in raw.chunks(128) {
                    rl.push((chunk.len() - 1) as u8);
                    rl.extend_from_slice(chunk);
                }
                rl.extend_from_slice(&[255, 9, 128]); // a run of two nines, then the end
                rl
            },
            vec![b"RunLengthDecode"],
        ),
        (
            {
                let mut e = weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
                e.encode(&raw).unwrap()
            },
            vec![b"LZWDecode"],
        ),
    ];
    for (data, names) in cases {
        let steps: Vec<Step<'_>> = names.iter().map(|n| step(n)).collect();
        let got = decode_chain(&data, &steps, 1 << 20).unwrap();
        let mut want = raw.clone();
        if names == [b"RunLengthDecode".as_slice()] {
            want.extend_from_slice(&[9, 9]);
        }
        assert_eq!(got, Decoded::Samples(want), "{names:?}");
    }
}

#[test]
fn dct_last_leaves_the_jpeg_and_anywhere_else_is_refused() {
    let jpeg = b"\xff\xd8 pretend \xff\xd9".to_vec();
    let steps = [step(b"ASCIIHexDecode"), step(b"DCTDecode")];
    let hex: Vec<u8> = jpeg
        .iter()
        .flat_map(|b| format!("{b:02X}").into_bytes())
        .collect();
    assert_eq!(
        decode_chain(&hex, &steps, 1 << 20).unwrap(),
        Decoded::Jpeg(jpeg.clone())
    );
    let steps = [step(b"DCTDecode"), step(b"FlateDecode")];
    assert!(matches!(
        decode_chain(&jpeg, &steps, 1 << 20),
        Err(Undecoded::Unsupported(_))
    ));
    for other in [
        b"JPXDecode".as_slice(),
        b"JBIG2Decode",
        b"CCITTFaxDecode",
        b"Crypt",
    ] {
        assert_eq!(
            decode_chain(&jpeg, &[step(other)], 1 << 20),
            Err(Undecoded::Unsupported(
                String::from_utf8_lossy(other).into_owned()
            ))
        );
    }
}

#[test]
fn png_and_tiff_predictors() {
    // Two rows of three gray pixels, PNG Sub then Up: 10 20 30 / 11 22 33.
    let encoded = [1u8, 10, 10, 10, 2, 1, 2, 3];
    let mut params = Dictionary::new();
    params.set("Predictor", 12);
    params.set("Columns", 3);
    let steps = [Step {
        name: b"FlateDecode",
        params: Some(&params),
    }];
    assert_eq!(
        decode_chain(&zlib_compressed(&encoded), &steps, 1 << 20).unwrap(),
        Decoded::Samples(vec![10, 20, 30, 11, 22, 33])
    );
    let mut tiff = Dictionary::new();
    tiff.set("Predictor", 2);
    tiff.set("Columns", 3);
    let steps = [Step {
        name: b"FlateDecode",
        params: Some(&tiff),
    }];
    assert_eq!(
        decode_chain(&zlib_compressed(&[10, 10, 10]), &steps, 1 << 20).unwrap(),
        Decoded::Samples(vec![10, 20, 30])
    );
}

#[test]
fn nothing_inflates_past_the_cap_and_broken_data_is_an_error() {
    let bomb = zlib_compressed(&vec![0u8; 50_000_000]);
    assert!(bomb.len() < 100_000);
    assert_eq!(
        decode_chain(&bomb, &[step(b"FlateDecode")], 1_000_000),
        Err(Undecoded::Broken(
            "the picture's data is larger than it can be"
        ))
    );
    let runs: Vec<u8> = std::iter::repeat_n([129u8, 0], 100_000).flatten().collect();
    assert!(decode_chain(&runs, &[step(b"RunLengthDecode")], 1_000_000).is_err());
    assert!(decode_chain(b"zz", &[step(b"ASCIIHexDecode")], 100).is_err());
    assert!(decode_chain(b"\x01\x02\x03", &[step(b"FlateDecode")], 100).is_err());
    assert!(decode_chain(&[5, 1], &[step(b"RunLengthDecode")], 100).is_err());
    assert!(decode_chain(b"!", &[step(b"ASCII85Decode")], 100).is_err());
}
