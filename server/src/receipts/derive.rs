//! Amounts the resolver derives when net, tax and total do not all add up: two read amounts that
//! fit the printed rate give the third, a total with "VAT included" at a rate gives net and tax,
//! and with no total label at all the largest amount is a guess. Split from `resolve.rs`, which
//! chooses among what was read.

use rust_decimal::{Decimal, RoundingStrategy};

use super::agree::{included_tax, unit};
use super::amount::scan_amounts;
use super::keywords::{label_hits, Role};
use super::resolve::{best, calculated, Choice, Ctx, Money, UNSURE};
use super::suggest::{Candidate, Suggestion};

/// Two read amounts that fit the printed rate (total and tax, net and tax, or total and net) when
/// the three do not add up; the third is calculated from them.
pub(super) fn rate_pair(
    ctx: &Ctx,
    total: Option<&Choice>,
    nets: &[Choice],
    taxes: &[Choice],
    tip: Decimal,
) -> Option<Money> {
    ctx.rate?;
    let fits = |net: Decimal, tax: Decimal| ctx.rate_says(net, tax) == Some(true);
    let note = "fits the printed rate";
    if let Some(t) = total {
        let by_tax = taxes
            .iter()
            .filter(|x| fits(t.value - x.value - tip, x.value));
        if let Some(x) = best(by_tax) {
            let net = t.value - x.value - tip;
            return Some(Money {
                total: Some(ctx.read(t, t.confidence, None)),
                tax: Some(ctx.read(x, x.confidence, None)),
                net: Some(calculated(
                    net,
                    t.confidence.min(x.confidence) * 0.8,
                    format!("calculated: total {} − tax {} ({note})", t.value, x.value),
                )),
                tip: None,
            });
        }
        let by_net = nets
            .iter()
            .filter(|n| fits(n.value, t.value - n.value - tip));
        if let Some(n) = best(by_net) {
            return Some(Money {
                total: Some(ctx.read(t, t.confidence, None)),
                net: Some(ctx.read(n, n.confidence, None)),
                tax: Some(calculated(
                    t.value - n.value - tip,
                    t.confidence.min(n.confidence) * 0.8,
                    format!("calculated: total {} − net {} ({note})", t.value, n.value),
                )),
                tip: None,
            });
        }
    }
    // A net and tax that fit the rate but not the total read: something printed was not read
    // (a row of a VAT table, a second rate), so the pair is not the receipt's; the caller
    // offers what was read, unsure.
    if total.is_some() {
        return None;
    }
    let mut pairs = Vec::new();
    for n in nets {
        for x in taxes.iter().filter(|x| fits(n.value, x.value)) {
            pairs.push((n, x));
        }
    }
    let (n, x) = pairs.into_iter().max_by(|a, b| {
        (a.0.confidence + a.1.confidence).total_cmp(&(b.0.confidence + b.1.confidence))
    })?;
    let sum = n.value + x.value + tip;
    Some(Money {
        net: Some(ctx.read(n, n.confidence, None)),
        tax: Some(ctx.read(x, x.confidence, None)),
        total: Some(calculated(
            sum,
            n.confidence.min(x.confidence) * 0.75,
            format!("calculated: net {} + tax {} ({note})", n.value, x.value),
        )),
        tip: None,
    })
}

/// A receipt that states only its total and a rate the tax is included in ("inkl. 19% MwSt"):
/// tax = total × rate / (100 + rate), rounded to the minor unit, and net = total − tax.
pub(super) fn included(
    ctx: &Ctx,
    t: &Choice,
    tip: Decimal,
) -> Option<(Suggestion<Decimal>, Suggestion<Decimal>)> {
    let rate = ctx.rate.filter(|r| r.included)?;
    let gross = t.value - tip;
    let tax = included_tax(gross, rate.value)?.round_dp_with_strategy(
        if ctx.zero_decimal { 0 } else { 2 },
        RoundingStrategy::MidpointAwayFromZero,
    );
    let confidence = ctx.read(t, t.confidence, None).confidence.min(0.9) * 0.7;
    let how = format!("{} % included in the total {}", rate.value, t.value);
    Some((
        calculated(
            gross - tax,
            confidence,
            format!("calculated: total − tax ({how})"),
        ),
        calculated(tax, confidence, format!("calculated: {how}")),
    ))
}

/// No net or total read, but a tax and the one rate printed: the largest amount that is not a
/// payment whose share at that rate is the tax is the net, its label garbled ("Subtoul 29.90",
/// "Sales Tax 7.5% 2.24"). Its line is returned with it.
pub(super) fn net_by_rate(ctx: &Ctx, tax: &Choice) -> Option<(Decimal, usize)> {
    ctx.rate.filter(|r| !r.included)?;
    let mut best: Option<(Decimal, usize)> = None;
    for (index, line) in ctx.lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if tax.lines.contains(&index)
            || label_hits(&lower)
                .iter()
                .any(|h| matches!(h.role, Role::Id | Role::Payment | Role::Tip))
        {
            continue;
        }
        for a in scan_amounts(&lower) {
            if a.is_money(ctx.zero_decimal)
                && (a.currency || a.decimals == 2 || ctx.zero_decimal)
                && a.value > tax.value
                && ctx.rate_says(a.value, tax.value) == Some(true)
                && best.is_none_or(|(v, _)| a.value > v)
            {
                best = Some((a.value, index));
            }
        }
    }
    best
}

/// No total label: the largest amount of money in the text, as a guess.
pub(super) fn fallback_total(
    candidates: &[Candidate],
    lines: &[String],
    zero_decimal: bool,
) -> Option<Suggestion<Decimal>> {
    let mut best: Option<(Decimal, usize)> = None;
    for (index, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if label_hits(&lower)
            .iter()
            .any(|h| matches!(h.role, Role::Id | Role::Payment | Role::Tip))
        {
            continue;
        }
        for a in scan_amounts(&lower) {
            if a.is_money(zero_decimal)
                && (a.currency || a.decimals == 2)
                && best.is_none_or(|(v, _)| a.value > v)
            {
                best = Some((a.value, index));
            }
        }
    }
    let (value, line) = best?;
    let paid = candidates
        .iter()
        .any(|c| c.role == Role::Payment && c.value == value);
    Some(Suggestion {
        value,
        confidence: if paid { 0.45 } else { 0.3 },
        source: lines
            .get(line)
            .map(|l| l.trim().to_string())
            .unwrap_or_default(),
    })
}

/// Makes a total read unsure when the tax read is the printed rate's share of another amount
/// printed and not of the total: the total may be the misread one ("SUMME 42,54" above
/// "enth. USt. 19% 6,81", the fuel's 42,64).
pub(super) fn doubt_total_by_tax(ctx: &Ctx, money: &mut Money) {
    let (Some(total), Some(tax)) = (money.total.as_mut(), money.tax.as_ref()) else {
        return;
    };
    if let Some(gross) = gross_of_tax(ctx, total.value, tax.value) {
        total.confidence = total.confidence.min(UNSURE);
        total.source.push_str(&format!(
            " (the tax read is the printed rate's share of {gross}, not of this total)"
        ));
    }
}

/// Another amount printed whose share at the printed rate is the tax read, where the total's
/// share is not: a sign that the total was misread.
fn gross_of_tax(ctx: &Ctx, total: Decimal, tax: Decimal) -> Option<Decimal> {
    let rate = ctx.rate?.value;
    let places = if ctx.zero_decimal { 0 } else { 2 };
    let share = |gross: Decimal| included_tax(gross, rate).map(|t| t.round_dp(places));
    // A tax charged on the net may be a step off the gross's share; more is a disagreement.
    let off = share(total)
        .and_then(|s| s.checked_sub(tax))
        .map(|d| d.abs());
    if off.is_none_or(|off| off <= unit(ctx.zero_decimal)) {
        return None;
    }
    ctx.lines
        .iter()
        .flat_map(|line| scan_amounts(line))
        .filter(|a| !a.percent && !a.negative && !a.glued && a.decimals == places)
        .map(|a| a.value)
        .find(|&g| g != total && g > tax && share(g) == Some(tax))
}
