//! The combinations of read amounts that add up (net + tax + tip = total within a rounding
//! step), and which of them the resolver takes. Split from `resolve.rs`.

use rust_decimal::Decimal;

use super::agree::plausible_rate;
use super::resolve::{Choice, Ctx};

/// A combination of read amounts that adds up.
pub(super) struct Agreeing<'a> {
    pub total: &'a Choice,
    pub net: &'a Choice,
    pub tax: &'a Choice,
    pub tip: Option<&'a Choice>,
    /// Net and tax were read under each other's labels (the tax read is the larger).
    pub swapped: bool,
    pub rate: Option<bool>,
    /// Net, tax and total are the cells of one row of a VAT table: a row adds up by
    /// construction, so its agreement confirms nothing about the receipt's own total.
    pub one_row: bool,
}

impl Agreeing<'_> {
    /// An agreement of separately printed amounts first, then the largest total (the grand
    /// total, not one rate's row of a tax table, and the total a tip is in), then the tax that
    /// fits the printed rate, then the most confident labels.
    fn rank(&self) -> (bool, Decimal, bool, f32) {
        let confidence = self.total.confidence + self.net.confidence + self.tax.confidence;
        (
            !self.one_row,
            self.total.value,
            self.rate != Some(false),
            confidence,
        )
    }
}

pub(super) fn agreeing<'a>(
    ctx: &Ctx,
    totals: &'a [Choice],
    nets: &'a [Choice],
    taxes: &'a [Choice],
    tips: &'a [Choice],
) -> Option<Agreeing<'a>> {
    let mut found: Option<Agreeing> = None;
    let tip_options: Vec<Option<&Choice>> =
        std::iter::once(None).chain(tips.iter().map(Some)).collect();
    for t in totals {
        for n in nets {
            for x in taxes {
                for tip in &tip_options {
                    let mut parts = vec![n.value, x.value];
                    parts.extend(tip.map(|p| p.value));
                    if !ctx.adds_up(&parts, t.value) {
                        continue;
                    }
                    let swapped = x.value > n.value;
                    let (net, tax) = if swapped { (x, n) } else { (n, x) };
                    // Amounts that add up only with a tax no country levies (items of a
                    // receipt, say) are no agreement.
                    if !plausible_rate(net.value, tax.value) {
                        continue;
                    }
                    let a = Agreeing {
                        total: t,
                        net,
                        tax,
                        tip: *tip,
                        swapped,
                        rate: ctx.rate_says(net.value, tax.value),
                        one_row: ctx.one_row(t, n, x),
                    };
                    if found.as_ref().is_none_or(|f| a.rank() > f.rank()) {
                        found = Some(a);
                    }
                }
            }
        }
    }
    found
}
