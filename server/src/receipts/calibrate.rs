//! Calibration of the suggester's stated confidences, so that "0.8" means about eight in ten such
//! suggestions are right. The rules in `resolve.rs`, `vat_table.rs` and elsewhere score how a
//! value was found; how often such a value turns out right on real-looking uploads is measured,
//! and each field's confidence is capped, per band of the rules' own (raw) confidence, at the
//! precision observed in that band. Caps only lower a confidence, never raise it: a band that
//! reads better than it claims keeps its claim.
//!
//! Derived from the `calibration` part of `seed-data/receipts/corpus` only (its aggregate table,
//! never its receipts one by one), with
//!
//! ```sh
//! FORMWORK_HELDOUT_PARTS=calibration FORMWORK_HELDOUT_CALIBRATE=1 \
//!     cargo test -p formwork --lib receipts::heldout -- --nocapture
//! ```
//!
//! which prints the reliability table of the raw confidences; its rows are [`MEASURED`]. The cap
//! of a field in a band is the precision observed there, shrunk toward the precision of all
//! fields in that band by [`PRIOR_WEIGHT`] receipts' worth (a field seen a few times in a band
//! says little on its own): `(right + PRIOR_WEIGHT × pooled) / (made + PRIOR_WEIGHT)`.
//!
//! As measured (33 calibration receipts, December 2026, measured again after amounts whose
//! decimal point was lost were read in stop 37), the sure bands read about as well as they
//! claim (0.6–0.75: 33 of 34 right; 0.75–0.9: 43 of 44; 0.9 and above: 109 of 110), so the caps
//! bite only where a field did worse than its band: a total stated at 0.9 or more (19 of 20
//! right: at most 0.96), a currency between 0.75 and 0.9 (4 of 5: at most 0.89) and the unsure
//! suggestions of supplier, net, tax and total (stated below 0.6, right about half the time or
//! less). Claims are not raised: from 33 receipts that would fit the part rather than uploads.

use super::suggest::{Suggestion, Suggestions};

/// Lower bounds of the raw-confidence bands the caps are given for (those of the corpus test's
/// reliability table).
const BANDS: [f32; 4] = [0.0, 0.6, 0.75, 0.9];

/// How many suggestions' worth the pooled precision of a band counts for in a field's cap.
const PRIOR_WEIGHT: f32 = 4.0;

/// The calibration part's reliability table of raw confidences: per field (supplier, date, net,
/// tax, total, currency, tax rate) and band of [`BANDS`], (right, made).
#[rustfmt::skip]
const MEASURED: [[(u32, u32); 4]; 7] = [
    [(0, 3), (19, 20), (0, 0), (10, 10)],  // supplier
    [(1, 1), (3, 3), (20, 20), (7, 7)],    // expense_date
    [(0, 3), (6, 6), (2, 2), (19, 19)],    // net
    [(1, 4), (0, 0), (10, 10), (17, 17)],  // tax
    [(2, 4), (1, 1), (7, 7), (19, 20)],    // total
    [(5, 5), (4, 4), (4, 5), (18, 18)],    // currency
    [(5, 5), (0, 0), (0, 0), (19, 19)],    // tax_rate
];

/// The fields of [`MEASURED`], by row.
#[derive(Clone, Copy)]
enum Field {
    Supplier = 0,
    Date,
    Net,
    Tax,
    Total,
    Currency,
    Rate,
}

/// The highest confidence stated for a raw confidence in `band` of `field`: the precision
/// measured there, shrunk toward that of all fields in the band.
fn cap_of(field: Field, band: usize) -> f32 {
    let (mut right, mut made) = (0u32, 0u32);
    for row in &MEASURED {
        if let Some((r, m)) = row.get(band) {
            right += r;
            made += m;
        }
    }
    if made == 0 {
        return 1.0;
    }
    let pooled = right as f32 / made as f32;
    let (r, m) = MEASURED
        .get(field as usize)
        .and_then(|row| row.get(band))
        .copied()
        .unwrap_or((0, 0));
    (r as f32 + PRIOR_WEIGHT * pooled) / (m as f32 + PRIOR_WEIGHT)
}

/// The stated confidence for a raw one: the raw one, at most the cap of its band.
fn capped(raw: f32, field: Field) -> f32 {
    let band = BANDS.iter().rposition(|b| raw >= *b).unwrap_or(0);
    raw.min(cap_of(field, band))
}

fn cap<T>(s: &mut Option<Suggestion<T>>, field: Field) {
    if let Some(s) = s {
        s.confidence = capped(s.confidence, field);
    }
}

/// Maps every suggestion's raw confidence to its calibrated one. The tip is not a form field
/// measured on its own and keeps its confidence.
pub(crate) fn calibrate(s: &mut Suggestions) {
    #[cfg(test)]
    if RAW.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    cap(&mut s.supplier, Field::Supplier);
    cap(&mut s.expense_date, Field::Date);
    cap(&mut s.net, Field::Net);
    cap(&mut s.tax, Field::Tax);
    cap(&mut s.total, Field::Total);
    cap(&mut s.currency, Field::Currency);
    cap(&mut s.tax_rate, Field::Rate);
}

/// Set by the corpus test under `FORMWORK_HELDOUT_CALIBRATE` to measure the raw confidences the
/// caps are derived from.
#[cfg(test)]
static RAW: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether [`calibrate`] leaves confidences raw (test builds only: the corpus test's
/// `FORMWORK_HELDOUT_CALIBRATE`).
#[cfg(test)]
pub(crate) fn measure_raw(raw: bool) {
    RAW.store(raw, std::sync::atomic::Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_lower_a_confidence_and_never_raise_one() {
        // Sure bands that read as well as they claim keep their claims.
        assert_eq!(capped(0.7, Field::Net), 0.7);
        assert_eq!(capped(0.9, Field::Date), 0.9);
        // A total stated at 0.97 was right 19 times in 20.
        let total = capped(0.97, Field::Total);
        assert!((0.94..0.965).contains(&total), "{total}");
        // Unsure stays unsure, and lower where it was mostly wrong.
        assert!(capped(0.55, Field::Net) < 0.5);
        assert!(capped(0.55, Field::Rate) <= 0.55);
        for field in [Field::Supplier, Field::Total, Field::Currency] {
            for raw in [0.05, 0.3, 0.59] {
                assert!(capped(raw, field) <= raw);
            }
        }
    }
}
