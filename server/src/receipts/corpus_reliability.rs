//! A reliability table over a corpus part: for bands of stated confidence, how many suggestions
//! were made and what fraction of them were right, per field and over all fields. A suggester
//! whose confidences mean something has, in each band, about that fraction right; the table is
//! what the calibration in `calibrate.rs` is fitted to (on the `calibration` part only).

use super::corpus_scoring::FIELDS;

/// Lower bounds of the confidence bands; the first band is the "unsure" one (below the web
/// form's `SURE_FROM`, 0.6).
pub(crate) const BANDS: [f32; 4] = [0.0, 0.6, 0.75, 0.9];

fn band_of(confidence: f32) -> usize {
    BANDS.iter().rposition(|b| confidence >= *b).unwrap_or(0)
}

fn band_label(i: usize) -> String {
    match BANDS.get(i + 1) {
        Some(hi) => format!("{:.2}-{:.2}", BANDS[i], hi),
        None => format!(">={:.2}", BANDS[i]),
    }
}

/// Suggestions made and suggestions right, per field (in the order of [`FIELDS`]) and band.
#[derive(Default, Clone)]
pub(crate) struct Reliability {
    made: [[usize; BANDS.len()]; FIELDS.len()],
    right: [[usize; BANDS.len()]; FIELDS.len()],
}

impl Reliability {
    /// One suggestion of field `field` (an index into [`FIELDS`]) at `confidence`.
    pub fn add(&mut self, field: usize, confidence: f32, right: bool) {
        let band = band_of(confidence);
        if let (Some(made), Some(ok)) = (self.made.get_mut(field), self.right.get_mut(field)) {
            made[band] += 1;
            ok[band] += usize::from(right);
        }
    }

    fn cell(made: usize, right: usize) -> String {
        if made == 0 {
            return format!("{:>12}", "-");
        }
        format!(
            "{:>12}",
            format!("{right}/{made} {:.0}%", 100.0 * right as f64 / made as f64)
        )
    }

    /// Prints one row per field and an `all` row: right/made and the fraction per band.
    pub fn print(&self, title: &str) {
        let bands: Vec<String> = (0..BANDS.len())
            .map(|i| format!("{:>12}", band_label(i)))
            .collect();
        println!("reliability ({title}): right/made per stated-confidence band");
        println!("    {:<13}{}", "field", bands.join(""));
        let mut all_made = [0usize; BANDS.len()];
        let mut all_right = [0usize; BANDS.len()];
        for (f, name) in FIELDS.iter().enumerate() {
            let cells: Vec<String> = (0..BANDS.len())
                .map(|b| {
                    all_made[b] += self.made[f][b];
                    all_right[b] += self.right[f][b];
                    Self::cell(self.made[f][b], self.right[f][b])
                })
                .collect();
            println!("    {name:<13}{}", cells.join(""));
        }
        let cells: Vec<String> = (0..BANDS.len())
            .map(|b| Self::cell(all_made[b], all_right[b]))
            .collect();
        println!("    {:<13}{}", "all", cells.join(""));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidences_fall_in_their_band() {
        assert_eq!(band_of(0.0), 0);
        assert_eq!(band_of(0.59), 0);
        assert_eq!(band_of(0.6), 1);
        assert_eq!(band_of(0.8), 2);
        assert_eq!(band_of(0.97), 3);
        let mut r = Reliability::default();
        r.add(2, 0.95, true);
        r.add(2, 0.95, false);
        assert_eq!(r.made[2][3], 2);
        assert_eq!(r.right[2][3], 1);
    }
}
