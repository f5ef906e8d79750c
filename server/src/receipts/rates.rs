//! Tax rates printed on a receipt: beside a tax label ("MwSt 19%", "TVA 5,5 %") or in the rows
//! of a VAT table, and the one rate suggested for the receipt.

use rust_decimal::Decimal;

use super::amount::{rate_then_number, scan_amounts};
use super::keywords::{has_word, label_hits, says_contained, says_included, Hit, Role};
use super::suggest::{Suggestion, SURE};

/// The one tax rate a receipt prints, and whether it says the tax is included in the prices
/// ("inkl. 19% MwSt", "TVA 20 % incluse").
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PrintedRate {
    pub value: Decimal,
    pub included: bool,
}

/// A rate printed beside a tax label, the line it stands on and whether that line says included.
pub(crate) struct RateLine {
    value: Decimal,
    line: usize,
    included: bool,
}

pub(crate) fn one_rate(printed: &[RateLine]) -> Option<PrintedRate> {
    let first = printed.first()?;
    printed
        .iter()
        .all(|r| r.value == first.value)
        .then(|| PrintedRate {
            value: first.value,
            included: printed.iter().any(|r| r.included),
        })
}

/// The percentages printed on a line. A rate written with three decimals ("8.875%") is read
/// as such, not as thousands: no tax rate runs into the thousands.
fn rates_in(lower: &str) -> Vec<Decimal> {
    scan_amounts(lower)
        .into_iter()
        .filter(|a| a.percent)
        .filter_map(|a| {
            let raw = lower.get(a.start..a.end)?;
            let three_decimals = a.decimals == 0 && raw.matches(['.', ',']).count() == 1;
            if three_decimals {
                raw.replace(',', ".").parse::<Decimal>().ok()
            } else {
                Some(a.value)
            }
        })
        .map(|v| v.normalize())
        .collect()
}

/// A line that names the columns of a tax table: a tax label and a net or total label, and
/// nothing but labels.
fn is_table_header(lower: &str, hits: &[Hit]) -> bool {
    scan_amounts(lower).is_empty()
        && hits.iter().any(|h| h.role == Role::Tax)
        && hits
            .iter()
            .any(|h| matches!(h.role, Role::Net | Role::Total))
}

/// "incl." as OCR often reads it on a tax line, its "cl" run together into a "d" ("ind. 21%
/// BTW"): counted only here, on a line with a tax label and a rate.
fn has_misread_incl(lower: &str) -> bool {
    has_word(lower, &["ind"]) && lower.contains('%')
}

/// "inkl. 19% MwSı." or "enth. USL. 19% 681": a line that says included (or "contained"), with
/// one rate and at most one number after it, whose tax label OCR garbled. Any other label on it
/// (a service charge, a discount) rules it out.
fn included_unnamed(lower: &str, hits: &[Hit]) -> bool {
    let amounts = scan_amounts(lower);
    let one_rate = match amounts.as_slice() {
        [one] => one.percent,
        two => rate_then_number(two).is_some(),
    };
    hits.is_empty() && (says_included(lower) || says_contained(lower)) && one_rate
}

/// Every rate printed beside a tax label, or in the row below a tax table's header.
pub(crate) fn printed_rates(lines: &[String]) -> Vec<RateLine> {
    let mut printed = Vec::new();
    let lowers: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
    for (i, lower) in lowers.iter().enumerate() {
        let hits = label_hits(lower);
        let unnamed = included_unnamed(lower, &hits);
        if !hits.iter().any(|h| h.role == Role::Tax) && !unnamed {
            continue;
        }
        let rates = rates_in(lower);
        let mut rows = vec![(i, rates)];
        let mut included = says_included(lower) || has_misread_incl(lower) || unnamed;
        // A table's header ("MwSt%  Netto  MwSt  Brutto", "Moms Netto Moms Brutto"): the rates
        // are on the rows below. Its "Brutto" or "gross" names a column, and says nothing of
        // the receipt's total including a rate.
        if rows[0].1.is_empty() && (lower.contains('%') || is_table_header(lower, &hits)) {
            included = false;
            rows = lowers
                .iter()
                .enumerate()
                .skip(i + 1)
                .take(4)
                .take_while(|(_, n)| label_hits(n).is_empty())
                .map(|(at, n)| {
                    let rates = rates_in(n);
                    // A row whose rate lost its `%`, where the row's amounts show that rate.
                    if rates.is_empty() {
                        (at, super::vat_table::bare_rate(n).into_iter().collect())
                    } else {
                        (at, rates)
                    }
                })
                .collect();
        }
        for (at, rates) in rows {
            for value in rates {
                if value > Decimal::ZERO && value <= Decimal::from(50) {
                    printed.push(RateLine {
                        value,
                        line: at,
                        included,
                    });
                }
            }
        }
    }
    printed
}

/// The tax rate printed beside a tax label ("MwSt 19%", "TVA 5,5 %", "Tax (10%)"): suggested
/// as sure only when one rate is printed for the tax and the tax and net read agree with it
/// (tax ≈ net × rate); one printed rate the amounts do not confirm is offered as unsure; several
/// different rates (a receipt taxed at two rates) give none, since no one rate is right.
pub(crate) fn pick_tax_rate(
    lines: &[String],
    printed: &[RateLine],
    net: Option<&Suggestion<Decimal>>,
    tax: Option<&Suggestion<Decimal>>,
) -> Option<Suggestion<Decimal>> {
    let rate = one_rate(printed)?.value;
    let source = printed
        .first()
        .and_then(|r| lines.get(r.line))
        .map_or("", String::as_str);
    // The tax the rate gives on the net read, within a rounding step of the tax read; both
    // read as sure (a net and tax that are one row of a VAT table whose other rows were lost
    // agree with that row's rate, and are unsure: the receipt may have several rates).
    let agrees = match (net, tax) {
        (Some(n), Some(t))
            if n.value > Decimal::ZERO && n.confidence >= SURE && t.confidence >= SURE =>
        {
            n.value
                .checked_mul(rate)
                .and_then(|x| x.checked_div(Decimal::from(100)))
                .and_then(|expected| expected.checked_sub(t.value))
                .is_some_and(|gap| {
                    gap.abs() <= Decimal::new(2, 2).max(t.value / Decimal::from(200))
                })
        }
        _ => false,
    };
    Some(Suggestion {
        value: rate,
        confidence: if agrees { 0.9 } else { 0.4 },
        source: if agrees {
            format!("{source} (agrees with the net and tax read)")
        } else {
            source.to_string()
        },
    })
}
