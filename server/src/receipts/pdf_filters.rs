//! The filter chains of PDF picture streams (ISO 32000-1, 7.4): ASCIIHex, ASCII85, LZW, Flate,
//! RunLength in any order and number, with PNG and TIFF predictors, optionally ending in DCT (a
//! JPEG the image decoder reads). Every step's output is capped, so a small stream cannot
//! inflate past what the picture needs. JPX, JBIG2 and CCITT are not decoded here: a page whose
//! pictures all use them is rendered whole by Poppler instead (`rasterise.rs`).

use std::io::Read;

use pdf_extract::{Dictionary, Object};

/// What a chain leaves: the picture's samples, or a JPEG still to decode.
#[derive(Debug, PartialEq)]
pub(crate) enum Decoded {
    Samples(Vec<u8>),
    Jpeg(Vec<u8>),
}

/// Why a chain was not decoded (said in the debug log; the page is then rendered whole).
#[derive(Debug, PartialEq)]
pub(crate) enum Undecoded {
    /// A filter this module does not decode (JPX, JBIG2, CCITT, Crypt, an unknown name).
    Unsupported(String),
    /// The data is not what its filter says, or would grow past the cap.
    Broken(&'static str),
}

/// One filter of a chain with its parameters (`DecodeParms`, parallel to `Filter`).
pub(crate) struct Step<'a> {
    pub name: &'a [u8],
    pub params: Option<&'a Dictionary>,
}

/// Runs `data` through `steps` in order. Each intermediate or final output may hold at most
/// `cap` bytes. DCT may only come last.
pub(crate) fn decode_chain(
    data: &[u8],
    steps: &[Step<'_>],
    cap: usize,
) -> Result<Decoded, Undecoded> {
    let mut current = data.to_vec();
    for (i, step) in steps.iter().enumerate() {
        current = match step.name {
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&current, cap)?,
            b"ASCII85Decode" | b"A85" => ascii85(&current, cap)?,
            b"LZWDecode" | b"LZW" => predict(lzw(&current, step.params, cap)?, step.params, cap)?,
            b"FlateDecode" | b"Fl" => predict(flate(&current, cap)?, step.params, cap)?,
            b"RunLengthDecode" | b"RL" => run_length(&current, cap)?,
            b"DCTDecode" | b"DCT" if i + 1 == steps.len() => return Ok(Decoded::Jpeg(current)),
            other => {
                return Err(Undecoded::Unsupported(
                    String::from_utf8_lossy(other).into_owned(),
                ))
            }
        };
    }
    Ok(Decoded::Samples(current))
}

fn int(params: Option<&Dictionary>, key: &[u8], default: i64) -> i64 {
    params
        .and_then(|p| p.get(key).ok())
        .and_then(|o| o.as_i64().ok())
        .unwrap_or(default)
}

fn ascii_hex(data: &[u8], cap: usize) -> Result<Vec<u8>, Undecoded> {
    let mut out = Vec::with_capacity((data.len() / 2).min(cap));
    let mut high: Option<u8> = None;
    for &c in data {
        if c == b'>' {
            break;
        }
        if c.is_ascii_whitespace() {
            continue;
        }
        let v = (c as char).to_digit(16).ok_or(Undecoded::Broken(
            "ASCIIHex data holds a character that is not hex",
        ))? as u8;
        match high.take() {
            None => high = Some(v),
            Some(h) => out.push(h << 4 | v),
        }
        if out.len() > cap {
            return Err(Undecoded::Broken(
                "the picture's data is larger than it can be",
            ));
        }
    }
    if let Some(h) = high {
        out.push(h << 4); // an odd last digit is followed by an implied 0
    }
    Ok(out)
}

fn ascii85(data: &[u8], cap: usize) -> Result<Vec<u8>, Undecoded> {
    let mut out = Vec::with_capacity((data.len() * 4 / 5).min(cap));
    let mut group = [0u8; 5];
    let mut n = 0;
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        i += 1;
        match c {
            b'~' => break,
            c if c.is_ascii_whitespace() => continue,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    out.extend_from_slice(&a85_word(&group)?.to_be_bytes());
                    n = 0;
                }
            }
            _ => {
                return Err(Undecoded::Broken(
                    "ASCII85 data holds a character out of range",
                ))
            }
        }
        if out.len() > cap {
            return Err(Undecoded::Broken(
                "the picture's data is larger than it can be",
            ));
        }
    }
    if n == 1 {
        return Err(Undecoded::Broken("ASCII85 data ends with a lone character"));
    }
    if n > 1 {
        for slot in group.iter_mut().skip(n) {
            *slot = 84; // padded with 'u'
        }
        let word = a85_word(&group)?.to_be_bytes();
        out.extend_from_slice(&word[..n - 1]);
    }
    Ok(out)
}

fn a85_word(group: &[u8; 5]) -> Result<u32, Undecoded> {
    group
        .iter()
        .try_fold(0u32, |acc, &d| {
            acc.checked_mul(85)?.checked_add(u32::from(d))
        })
        .ok_or(Undecoded::Broken("ASCII85 group is out of range"))
}

fn lzw(data: &[u8], params: Option<&Dictionary>, cap: usize) -> Result<Vec<u8>, Undecoded> {
    use weezl::{decode::Decoder, BitOrder, LzwStatus};
    let mut decoder = if int(params, b"EarlyChange", 1) != 0 {
        Decoder::with_tiff_size_switch(BitOrder::Msb, 8)
    } else {
        Decoder::new(BitOrder::Msb, 8)
    };
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut input = data;
    loop {
        let r = decoder.decode_bytes(input, &mut buf);
        input = &input[r.consumed_in..];
        out.extend_from_slice(&buf[..r.consumed_out]);
        if out.len() > cap {
            return Err(Undecoded::Broken(
                "the picture's data is larger than it can be",
            ));
        }
        match r.status {
            Ok(LzwStatus::Done) => break,
            Ok(LzwStatus::NoProgress) if r.consumed_out == 0 => break,
            Ok(_) => {}
            // A stream cut short keeps what it decoded, as readers of PDFs do.
            Err(_) if !out.is_empty() => break,
            Err(_) => return Err(Undecoded::Broken("LZW data is corrupt")),
        }
    }
    Ok(out)
}

fn flate(data: &[u8], cap: usize) -> Result<Vec<u8>, Undecoded> {
    let mut out = Vec::new();
    let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
    let read = flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out);
    if out.len() > cap {
        return Err(Undecoded::Broken(
            "the picture's data is larger than it can be",
        ));
    }
    match read {
        Ok(_) => Ok(out),
        // Truncated streams are common in scanned PDFs; keep what was inflated.
        Err(_) if !out.is_empty() => Ok(out),
        Err(_) => Err(Undecoded::Broken("Flate data is corrupt")),
    }
}

fn run_length(data: &[u8], cap: usize) -> Result<Vec<u8>, Undecoded> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let len = data[i];
        i += 1;
        match len {
            128 => break,
            0..=127 => {
                let n = usize::from(len) + 1;
                let run = data
                    .get(i..i + n)
                    .ok_or(Undecoded::Broken("RunLength data ends inside a run"))?;
                out.extend_from_slice(run);
                i += n;
            }
            _ => {
                let b = *data
                    .get(i)
                    .ok_or(Undecoded::Broken("RunLength data ends inside a run"))?;
                out.resize(out.len() + 257 - usize::from(len), b);
                i += 1;
            }
        }
        if out.len() > cap {
            return Err(Undecoded::Broken(
                "the picture's data is larger than it can be",
            ));
        }
    }
    Ok(out)
}

/// Undoes a Flate or LZW predictor (`Predictor` 2: TIFF, 10–15: PNG per row).
fn predict(data: Vec<u8>, params: Option<&Dictionary>, cap: usize) -> Result<Vec<u8>, Undecoded> {
    let predictor = int(params, b"Predictor", 1);
    if predictor <= 1 {
        return Ok(data);
    }
    let colors = int(params, b"Colors", 1);
    let bits = int(params, b"BitsPerComponent", 8);
    let columns = int(params, b"Columns", 1);
    if !(1..=32).contains(&colors) || ![1, 2, 4, 8, 16].contains(&bits) || columns < 1 {
        return Err(Undecoded::Broken(
            "the predictor's parameters are out of range",
        ));
    }
    let row_bits = colors
        .checked_mul(bits)
        .and_then(|b| b.checked_mul(columns))
        .ok_or(Undecoded::Broken("the predictor's rows are too long"))?;
    let row = usize::try_from((row_bits + 7) / 8)
        .map_err(|_| Undecoded::Broken("the predictor's rows are too long"))?;
    if row > cap {
        return Err(Undecoded::Broken("the predictor's rows are too long"));
    }
    // Bytes per pixel for the PNG filters' left neighbour (at least one).
    let bpp = usize::try_from(((colors * bits) + 7) / 8)
        .unwrap_or(1)
        .max(1);
    match predictor {
        2 if bits == 8 => {
            let mut out = data;
            for line in out.chunks_mut(row) {
                for x in bpp..line.len() {
                    line[x] = line[x].wrapping_add(line[x - bpp]);
                }
            }
            Ok(out)
        }
        2 => Err(Undecoded::Unsupported("TIFF predictor below 8 bits".into())),
        10..=15 => {
            let mut out = Vec::with_capacity(data.len());
            let mut prev = vec![0u8; row];
            for chunk in data.chunks(row + 1) {
                let (&kind, line) = match chunk.split_first() {
                    Some(split) => split,
                    None => break,
                };
                let mut cur = line.to_vec();
                cur.resize(row, 0);
                for x in 0..row {
                    let left = if x >= bpp { cur[x - bpp] } else { 0 };
                    let up = prev[x];
                    let up_left = if x >= bpp { prev[x - bpp] } else { 0 };
                    cur[x] = match kind {
                        0 => cur[x],
                        1 => cur[x].wrapping_add(left),
                        2 => cur[x].wrapping_add(up),
                        3 => cur[x].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                        4 => cur[x].wrapping_add(paeth(left, up, up_left)),
                        _ => {
                            return Err(Undecoded::Broken(
                                "a PNG predictor row has an unknown type",
                            ))
                        }
                    };
                }
                out.extend_from_slice(&cur);
                prev = cur;
            }
            Ok(out)
        }
        _ => Err(Undecoded::Unsupported(format!("predictor {predictor}"))),
    }
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// The steps of a stream's chain: `Filter` (a name or an array) with `DecodeParms` (a
/// dictionary or an array of them, `null` for none), each resolved through `deref`.
pub(crate) fn steps_of<'a>(
    dict: &'a Dictionary,
    deref: impl Fn(&'a Object) -> Option<&'a Object>,
) -> Option<Vec<Step<'a>>> {
    let filter = match dict.get(b"Filter") {
        Ok(f) => deref(f)?,
        Err(_) => return Some(Vec::new()),
    };
    let names: Vec<&[u8]> = match filter {
        Object::Name(n) => vec![n.as_slice()],
        Object::Array(a) => a
            .iter()
            .map(|o| deref(o).and_then(|o| o.as_name().ok()))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let params: Vec<Option<&Dictionary>> = match dict.get(b"DecodeParms").ok().and_then(&deref) {
        None => vec![None; names.len()],
        Some(Object::Dictionary(d)) => vec![Some(d)],
        Some(Object::Array(a)) => a
            .iter()
            .map(|o| deref(o).and_then(|o| o.as_dict().ok()))
            .collect(),
        Some(_) => vec![None; names.len()],
    };
    Some(
        names
            .into_iter()
            .enumerate()
            .map(|(i, name)| Step {
                name,
                params: params.get(i).copied().flatten(),
            })
            .collect(),
    )
}

#[cfg(test)]
#[path = "pdf_filters_tests.rs"]
mod tests;
