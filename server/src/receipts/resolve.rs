//! Choosing net, tax, tip and total from the labelled amounts. The combination that adds up
//! (net + tax + tip = total, within a rounding step) wins, and among those the one whose tax fits
//! the printed rate; a missing value is calculated from the others. Amounts that do not add up,
//! a tax larger than its net, a tax far from any rate and a number without its decimal point are
//! never suggested as sure. With no label at all, the largest amount is a low-confidence guess.
//! The cash given less the change returned (`cash.rs`) settles a total read damaged or not at
//! all, and makes a total it contradicts unsure.

use rust_decimal::Decimal;

use super::agree::{fits_rate, sums_to};
use super::agreeing::agreeing;
use super::amount::scan_amounts;
use super::cash::{contradicts, paid, Paid};
use super::derive::{doubt_total_by_tax, rate_pair};
use super::keywords::{label_hits, Role};
use super::rates::PrintedRate;
use super::suggest::{Candidate, Suggestion};
use unconfirmed::resolve_unconfirmed;

#[derive(Debug, Default)]
pub(crate) struct Money {
    pub net: Option<Suggestion<Decimal>>,
    pub tax: Option<Suggestion<Decimal>>,
    pub total: Option<Suggestion<Decimal>>,
    pub tip: Option<Suggestion<Decimal>>,
}

/// Below this a suggestion is shown as unsure (the web form's `SURE_FROM` is 0.6).
pub(super) const UNSURE: f32 = 0.55;

/// A value that is either one candidate or the sum of several.
#[derive(Debug, Clone)]
pub(super) struct Choice {
    pub value: Decimal,
    pub confidence: f32,
    pub lines: Vec<usize>,
    /// Read without decimals.
    pub whole: bool,
}

/// What the choices are read from and how amounts are written.
pub(super) struct Ctx<'a> {
    pub lines: &'a [String],
    pub zero_decimal: bool,
    pub rate: Option<PrintedRate>,
}

impl Ctx<'_> {
    fn source(&self, at: &[usize]) -> String {
        at.iter()
            .filter_map(|&i| self.lines.get(i))
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// One read value as a suggestion; `why` is added to its source when it is not sure.
    pub(super) fn read(
        &self,
        o: &Choice,
        confidence: f32,
        why: Option<&str>,
    ) -> Suggestion<Decimal> {
        let mut confidence = confidence.clamp(0.05, 0.97);
        let mut source = self.source(&o.lines);
        if let Some(why) = why {
            confidence = confidence.min(UNSURE);
            source = format!("{source} ({why})");
        }
        if o.whole && !self.zero_decimal {
            confidence = confidence.min(UNSURE);
            source = format!("{source} (read without decimals: the decimal point may be lost)");
        }
        Suggestion {
            value: o.value,
            confidence,
            source,
        }
    }

    pub(super) fn adds_up(&self, parts: &[Decimal], total: Decimal) -> bool {
        sums_to(parts, total, self.zero_decimal)
    }

    /// Whether a total was read from a row of a table: a line without any label (the table's
    /// header names its columns) that holds three amounts or more.
    fn in_table_row(&self, total: &Choice) -> bool {
        total.lines.iter().any(|&at| {
            self.lines.get(at).is_some_and(|l| {
                let lower = l.to_lowercase();
                label_hits(&lower).is_empty() && scan_amounts(&lower).len() >= 3
            })
        })
    }

    /// Whether total, net and tax of an agreement stand on one table row.
    pub(super) fn one_row(&self, total: &Choice, net: &Choice, tax: &Choice) -> bool {
        self.in_table_row(total)
            && total
                .lines
                .iter()
                .any(|at| net.lines.contains(at) || tax.lines.contains(at))
    }

    /// Whether the tax fits the printed rate on the net: `None` when no one rate is printed.
    pub(super) fn rate_says(&self, net: Decimal, tax: Decimal) -> Option<bool> {
        self.rate
            .map(|r| fits_rate(net, tax, r.value, self.zero_decimal))
    }
}

pub(super) fn calculated(value: Decimal, confidence: f32, source: String) -> Suggestion<Decimal> {
    Suggestion {
        value,
        confidence: confidence.clamp(0.05, 0.97),
        source,
    }
}

/// Distinct values of one role (best confidence per value), plus their sum
/// when there are several (e.g. GST + PST, or two VAT rates) and `sum` is asked. Amounts read
/// as cents whose decimal point was lost are offered alone, never in the sum.
fn options(candidates: &[Candidate], role: Role, sum: bool) -> Vec<Choice> {
    let of_role = candidates.iter().filter(|c| c.role == role);
    let (lost, read): (Vec<&Candidate>, Vec<&Candidate>) = of_role.partition(|c| c.lost_cents);
    let mut out = distinct(&read);
    if sum && out.len() > 1 && out.len() <= 4 {
        let total = out
            .iter()
            .fold(Decimal::ZERO, |acc, o| acc.saturating_add(o.value));
        let confidence = out.iter().map(|o| o.confidence).fold(1.0f32, f32::min) * 0.8;
        let lines = out.iter().flat_map(|o| o.lines.clone()).collect();
        let whole = out.iter().any(|o| o.whole);
        out.push(Choice {
            value: total,
            confidence,
            lines,
            whole,
        });
    }
    let lost: Vec<Choice> = distinct(&lost)
        .into_iter()
        .filter(|l| out.iter().all(|o| o.value != l.value))
        .collect();
    out.extend(lost);
    out
}

/// Distinct values among candidates, each with its best confidence.
fn distinct(candidates: &[&Candidate]) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    for c in candidates {
        match out.iter_mut().find(|o| o.value == c.value) {
            Some(o) => {
                o.confidence = o.confidence.max(c.confidence);
                o.whole &= c.whole;
            }
            None => out.push(Choice {
                value: c.value,
                confidence: c.confidence,
                lines: vec![c.line],
                whole: c.whole,
            }),
        }
    }
    out
}

pub(super) fn best<'a>(options: impl IntoIterator<Item = &'a Choice>) -> Option<&'a Choice> {
    options.into_iter().max_by(|a, b| {
        a.confidence
            .total_cmp(&b.confidence)
            .then(a.value.cmp(&b.value))
    })
}

pub(crate) fn resolve(
    candidates: &[Candidate],
    lines: &[String],
    zero_decimal: bool,
    rate: Option<PrintedRate>,
) -> Money {
    let ctx = Ctx {
        lines,
        zero_decimal,
        rate,
    };
    let totals: Vec<Choice> = options(candidates, Role::Total, true)
        .into_iter()
        .filter(|o| o.lines.len() == 1 && o.value > Decimal::ZERO)
        .collect();
    let nets = options(candidates, Role::Net, true);
    let taxes = options(candidates, Role::Tax, true);
    let tips: Vec<Choice> = options(candidates, Role::Tip, false)
        .into_iter()
        .filter(|o| o.value > Decimal::ZERO)
        .collect();

    // 1. Net + tax (+ tip) = total: all confirmed. Not by one row of a VAT table, though: when
    // a total is printed outside the table and does not agree, a row was likely lost to OCR
    // and the table's row is not the receipt (the total printed is read below); with no such
    // total the row is offered, unsure.
    let outside_table = totals.iter().any(|t| !ctx.in_table_row(t));
    if let Some(a) =
        agreeing(&ctx, &totals, &nets, &taxes, &tips).filter(|a| !(a.one_row && outside_table))
    {
        let why = if a.one_row {
            Some("one row of a VAT table: no total printed elsewhere confirms it")
        } else if a.swapped && a.rate != Some(true) {
            Some("read under the other label of net and tax")
        } else {
            None
        };
        // A single tip printed below the total and left out of it: the total paid (a grand
        // total OCR lost) is likely larger.
        let tip_after = match (a.tip, tips.as_slice()) {
            (None, [one]) => one.lines.iter().min() > a.total.lines.iter().max(),
            _ => false,
        };
        let total_why = why.filter(|_| a.one_row).or(tip_after.then_some(
            "a tip printed below this total is not in it: the total paid may be larger",
        ));
        return Money {
            total: Some(ctx.read(a.total, a.total.confidence + 0.2, total_why)),
            net: Some(ctx.read(a.net, a.net.confidence + 0.2, why)),
            tax: Some(ctx.read(a.tax, a.tax.confidence + 0.2, why)),
            tip: a.tip.map(|p| ctx.read(p, p.confidence + 0.1, None)),
        };
    }
    // A tip is added only where it is the one tip printed.
    let tip = match tips.as_slice() {
        [one] => Some(one),
        _ => None,
    };
    let money = Money {
        tip: tip.map(|p| ctx.read(p, p.confidence * 0.7, None)),
        ..Money::default()
    };
    let tip_value = tip.map_or(Decimal::ZERO, |p| p.value);
    // A total printed apart from any table beats a table row's gross: the row is one rate's
    // share, and here nothing confirmed it as the receipt's total.
    let mut total = best(totals.iter().filter(|t| !ctx.in_table_row(t))).or_else(|| best(&totals));

    // A total smaller than a net or tax read with its decimals is contradicted by it (a digit
    // of the total was likely lost): it, and what is calculated from it, stays unsure.
    let below_a_read = |t: &Choice| {
        nets.iter()
            .chain(&taxes)
            .any(|o| o.lines.len() == 1 && !o.whole && o.value > t.value)
    };
    let mut contradicted = total.is_some_and(below_a_read);

    // What was paid (cash given less change, or the one card payment) settles a total that was
    // not read, or read damaged (without its decimals, or smaller than a net); it stays unsure
    // (cash may be rounded, a card charged a tip).
    let cash = paid(lines, zero_decimal);
    let by_cash = cash
        .as_ref()
        .map(|p| &p.choice)
        .filter(|c| total.is_none_or(|t| t.whole || contradicted) && !below_a_read(c));
    if by_cash.is_some() {
        (total, contradicted) = (by_cash, false);
    }

    // 2. Two amounts that fit the printed rate; the third is calculated from them. A
    // contradicted total takes no part: a net and tax that fit the rate give the total instead,
    // unsure, beside the note of what was printed.
    let pair_total = total.filter(|_| !contradicted);
    if let Some(mut m) = rate_pair(&ctx, pair_total, &nets, &taxes, tip_value) {
        if let (true, Some(printed)) = (contradicted, total) {
            for s in [&mut m.total, &mut m.net, &mut m.tax].into_iter().flatten() {
                s.confidence = s.confidence.min(UNSURE);
            }
            if let Some(t) = &mut m.total {
                t.source.push_str(&format!(
                    " (the total printed, {}, is smaller than the net read)",
                    printed.value
                ));
            }
        }
        doubt_total_by_tax(&ctx, &mut m);
        return settled(
            Money {
                tip: money.tip,
                ..m
            },
            cash.as_ref(),
            by_cash.is_some(),
            zero_decimal,
        );
    }

    // 3. No agreement: the most confident reading of each, a tax never above its net.
    let mut money = resolve_unconfirmed(&ctx, candidates, total, &nets, &taxes, tip, money);
    doubt_total_by_tax(&ctx, &mut money);
    if contradicted {
        for s in [&mut money.total, &mut money.net, &mut money.tax]
            .into_iter()
            .flatten()
        {
            s.confidence = s.confidence.min(UNSURE);
        }
        if let Some(t) = &mut money.total {
            t.source
                .push_str(" (a net or tax larger than this total is printed)");
        }
    }
    settled(money, cash.as_ref(), by_cash.is_some(), zero_decimal)
}

/// What the payment says of the money chosen: a total calculated from it is unsure, and so is
/// what was calculated from that total; a total read that it contradicts is unsure.
fn settled(mut money: Money, paid: Option<&Paid>, by_cash: bool, zero_decimal: bool) -> Money {
    let Some(Paid { choice: cash, how }) = paid else {
        return money;
    };
    let tip = money.tip.as_ref().map_or(Decimal::ZERO, |t| t.value);
    if by_cash {
        for s in [&mut money.total, &mut money.net, &mut money.tax]
            .into_iter()
            .flatten()
        {
            s.confidence = s.confidence.min(UNSURE);
        }
        if let Some(t) = money.total.as_mut().filter(|t| t.value == cash.value) {
            t.source = format!("calculated: {how} ({})", t.source);
        }
    } else if let Some(t) = money
        .total
        .as_mut()
        .filter(|t| contradicts(cash, t.value, tip, zero_decimal))
    {
        t.confidence = t.confidence.min(UNSURE);
        t.source.push_str(&format!(" ({how} is {})", cash.value));
    }
    money
}

#[path = "resolve_unconfirmed.rs"]
mod unconfirmed;
