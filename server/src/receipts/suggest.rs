//! The built-in suggester: reads receipt text (a PDF's text layer or OCR
//! output) and proposes supplier, date, net, tax, total and currency, each
//! with a confidence and the text it came from.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::agree::{plausible_rate, sums_to};
pub(crate) use super::candidates::collect_candidates;
use super::currency::{self, date_order, is_zero_decimal};
use super::date::pick_date;
use super::keywords::Role;
use super::rates::{one_rate, pick_tax_rate, printed_rates};
use super::supplier::pick_supplier;

/// One suggested value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion<T> {
    pub value: T,
    /// 0..1: how the value was found (a labelled line that adds up with the
    /// others scores high; a guess scores low).
    pub confidence: f32,
    /// The text the value was read from, or how it was calculated.
    pub source: String,
}

/// Suggested form values. Money is a decimal serialised as a string, the
/// date as `YYYY-MM-DD`, the currency as an ISO 4217 code.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Suggestions {
    pub supplier: Option<Suggestion<String>>,
    pub expense_date: Option<Suggestion<NaiveDate>>,
    pub net: Option<Suggestion<Decimal>>,
    pub tax: Option<Suggestion<Decimal>>,
    pub total: Option<Suggestion<Decimal>>,
    pub currency: Option<Suggestion<String>>,
    /// The tax rate in percent (19 for 19 % VAT), when one rate is printed for the tax.
    pub tax_rate: Option<Suggestion<Decimal>>,
    /// A tip, gratuity or service charge printed on top of net and tax: net + tax + tip = total.
    pub tip: Option<Suggestion<Decimal>>,
}

impl Suggestions {
    pub fn is_empty(&self) -> bool {
        self == &Suggestions::default()
    }

    /// These suggestions with the amounts (net, tax, total, tip and tax rate) of `other`, a
    /// second reading of the same receipt; supplier, date and currency stay these, or are
    /// `other`'s where these have none, except that of two dollars the surer is kept (the other
    /// reading may show the address that tells which dollar a plain `$` is).
    pub fn with_amounts_of(self, other: Suggestions) -> Suggestions {
        Suggestions {
            supplier: self.supplier.or(other.supplier),
            expense_date: self.expense_date.or(other.expense_date),
            currency: surer_dollar(self.currency, other.currency),
            net: other.net,
            tax: other.tax,
            total: other.total,
            tax_rate: other.tax_rate,
            tip: other.tip,
        }
    }

    /// These suggestions with the supplier made unsure when OCR was unsure of a word of its name
    /// (`words`: words read with Tesseract's confidence in each; `text`: the text they were
    /// suggested from, where a name read with confidence may stand below).
    pub(crate) fn doubting(mut self, words: &[(String, f32)], text: &str) -> Suggestions {
        let lines = normalize_lines(text);
        super::supplier::doubt(&mut self.supplier, words, &lines);
        super::supplier::town_doubt(&mut self.supplier, &lines);
        super::supplier::accent_doubt(&mut self.supplier, &lines);
        super::supplier::misread_doubt(&mut self.supplier);
        self
    }

    /// Whether net + tax (+ tip) is the total, within the currency's smallest step, and the tax
    /// is a rate some tax is charged at on the net (a tax larger than the net adds up as well as
    /// any other); None when one of the three was not read.
    pub fn adds_up(&self) -> Option<bool> {
        let (net, tax, total) = (self.net.as_ref()?, self.tax.as_ref()?, self.total.as_ref()?);
        let zero_decimal = self
            .currency
            .as_ref()
            .is_some_and(|c| is_zero_decimal(&c.value));
        let tip = self.tip.as_ref().map_or(Decimal::ZERO, |t| t.value);
        Some(
            sums_to(&[net.value, tax.value, tip], total.value, zero_decimal)
                && plausible_rate(net.value, tax.value),
        )
    }
}

const MAX_TEXT_BYTES: usize = 256 * 1024;
const MAX_LINES: usize = 4000;
const MAX_LINE_BYTES: usize = 400;

/// Of two readings' currencies, the first; but where both are dollars, the surer.
fn surer_dollar(
    first: Option<Suggestion<String>>,
    other: Option<Suggestion<String>>,
) -> Option<Suggestion<String>> {
    let dollar = |c: &Suggestion<String>| currency::DOLLAR_CODES.contains(&c.value.as_str());
    match (first, other) {
        (Some(a), Some(b)) if dollar(&a) && dollar(&b) && b.confidence > a.confidence => Some(b),
        (a, b) => a.or(b),
    }
}

fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Lines with unusual spaces unified and surrounding space trimmed.
fn normalize_lines(text: &str) -> Vec<String> {
    let lines = cut(text, MAX_TEXT_BYTES)
        .lines()
        .take(MAX_LINES)
        .map(|l| {
            let l: String = cut(l, MAX_LINE_BYTES)
                .chars()
                .map(|c| match c {
                    '\u{a0}' | '\u{2007}' | '\u{2009}' | '\u{202f}' | '\t' => ' ',
                    c if c.is_control() => ' ',
                    c => c,
                })
                .collect();
            l.trim().to_string()
        })
        .filter(|l| !l.is_empty())
        .collect();
    super::cjk::tidy_lines(lines)
}

/// From this confidence on a suggestion is sure: the web form shows it without "unsure" and a
/// claim's cross-check holds it against the values entered. Below it, it is offered as unsure.
pub const SURE_FROM: f64 = 0.6;
/// [`SURE_FROM`] for the suggester's own `f32` confidences.
pub(crate) const SURE: f32 = SURE_FROM as f32;

/// How sure a currency is at most when no amount of money was read at all (below the web
/// form's `SURE_FROM`, 0.6).
const CURRENCY_WITHOUT_AMOUNT: f32 = 0.5;

/// Reads suggestions from receipt text. Never panics.
pub fn suggest(text: &str, today: NaiveDate) -> Suggestions {
    let lines = normalize_lines(text);
    if lines.is_empty() {
        return Suggestions::default();
    }
    let currency = currency::detect(&lines);
    let code_read = currency.as_ref().map(|c| c.value.clone());
    let code = code_read.as_deref();
    let zero_decimal = code.is_some_and(is_zero_decimal);
    let candidates = collect_candidates(&lines, zero_decimal);
    let printed = printed_rates(&lines);
    let rate = one_rate(&printed);
    let mut money = super::resolve::resolve(&candidates, &lines, zero_decimal, rate);
    super::vat_table::apply(&mut money, &lines, zero_decimal);
    let tax_rate = pick_tax_rate(&lines, &printed, money.net.as_ref(), money.tax.as_ref());
    // A currency sign or code on a receipt where not one amount of money could be read is more
    // likely a stray mark of an unreadable picture than the receipt's currency.
    let currency = currency.map(|c| match money.total {
        Some(_) => c,
        None => Suggestion {
            confidence: c.confidence.min(CURRENCY_WITHOUT_AMOUNT),
            source: format!("{} (no amount of money read)", c.source),
            ..c
        },
    });
    let mut suggestions = Suggestions {
        supplier: pick_supplier(&lines),
        expense_date: pick_date(&lines, date_order(code), today),
        net: money.net,
        tax: money.tax,
        total: money.total,
        currency,
        tax_rate,
        tip: money.tip,
    };
    super::calibrate::calibrate(&mut suggestions);
    suggestions
}

/// A labelled amount found in the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Candidate {
    pub role: Role,
    pub value: Decimal,
    pub confidence: f32,
    pub line: usize,
    /// Read without decimals (in a currency with minor units the decimal point may be lost).
    pub whole: bool,
    /// A bare whole number read as cents whose decimal point was lost (`354` as 3.54): never
    /// part of a sum of several amounts of its role, only itself.
    pub lost_cents: bool,
}
