//! Step 3 of choosing net, tax and total (`resolve.rs`, whose child module this is): nothing
//! adds up, so each is the most confident reading, a missing one calculated from the others and
//! left unsure where what it is calculated from is doubtful.

use rust_decimal::Decimal;

use super::super::agree::plausible_rate;
use super::super::derive::{fallback_total, included, net_by_rate};
use super::super::suggest::Candidate;
use super::{best, calculated, Choice, Ctx, Money, UNSURE};

/// Step 3 of [`resolve`]: no agreement, the most confident reading of each.
pub(super) fn resolve_unconfirmed(
    ctx: &Ctx,
    candidates: &[Candidate],
    total: Option<&Choice>,
    nets: &[Choice],
    taxes: &[Choice],
    tip: Option<&Choice>,
    mut money: Money,
) -> Money {
    let (lines, zero_decimal) = (ctx.lines, ctx.zero_decimal);
    let tip_value = tip.map_or(Decimal::ZERO, |p| p.value);
    let within = |o: &&Choice| total.is_none_or(|t| o.value <= t.value);
    let net = best(
        nets.iter()
            .filter(within)
            // A "net" equal to the total is a subtotal before an included tax.
            .filter(|n| {
                let included = ctx.rate.is_some_and(|r| r.included);
                total.is_none_or(|t| n.value < t.value || (taxes.is_empty() && !included))
            }),
    );
    let tax = best(taxes.iter().filter(within).filter(|x| {
        let base = match (net, total) {
            (Some(n), _) => n.value,
            (None, Some(t)) => t.value - x.value - tip_value,
            (None, None) => x.value,
        };
        x.value <= base
    }));
    // A value calculated from one read without its decimals is no surer than that one.
    let unsure_if = |lost: bool, confidence: f32| {
        if lost {
            confidence.min(UNSURE)
        } else {
            confidence
        }
    };
    let lost = |o: &Choice| o.whole && !zero_decimal;
    // No total or net read: a tax and the printed rate may tell the net.
    if let (None, None, Some(x)) = (total, net, tax) {
        if let Some((value, at)) = net_by_rate(ctx, x) {
            let line = lines.get(at).map_or("", |l| l.trim());
            let confidence = x.confidence.min(UNSURE);
            money.tax = Some(ctx.read(x, confidence, None));
            money.net = Some(calculated(
                value,
                confidence,
                format!("{line} (the tax {} is the printed rate on it)", x.value),
            ));
            money.total = Some(calculated(
                value.saturating_add(x.value).saturating_add(tip_value),
                confidence,
                format!("calculated: net {value} + tax {}{}", x.value, tip_note(tip)),
            ));
            return money;
        }
    }
    match (total, net, tax) {
        (Some(t), Some(n), Some(x)) => {
            let why = Some("net + tax does not add up to the total read");
            money.total = Some(ctx.read(t, t.confidence * 0.8, why));
            money.net = Some(ctx.read(n, n.confidence * 0.7, why));
            money.tax = Some(ctx.read(x, x.confidence * 0.7, why));
        }
        (Some(t), None, Some(x)) => {
            let value = t.value.saturating_sub(x.value).saturating_sub(tip_value);
            let why = implausible(ctx, value, x.value);
            money.total = Some(ctx.read(t, t.confidence, None));
            money.tax = Some(ctx.read(x, x.confidence, why));
            let confidence = t.confidence.min(x.confidence) * 0.75;
            money.net = Some(calculated(
                value,
                unsure_if(why.is_some() || lost(t) || lost(x), confidence),
                format!(
                    "calculated: total {} − tax {}{}",
                    t.value,
                    x.value,
                    tip_note(tip)
                ),
            ));
        }
        (Some(t), Some(n), None) => {
            let value = t.value.saturating_sub(n.value).saturating_sub(tip_value);
            // A net that leaves a tax larger than itself, or far from any rate, is likely one
            // amount of a tax table read as the net.
            let why = implausible(ctx, n.value, value);
            money.total = Some(ctx.read(t, t.confidence, None));
            money.net = Some(ctx.read(n, n.confidence, why));
            money.tax = Some(calculated(
                value,
                unsure_if(lost(t) || lost(n), t.confidence.min(n.confidence) * 0.6),
                format!(
                    "calculated: total {} − net {}{}",
                    t.value,
                    n.value,
                    tip_note(tip)
                ),
            ));
        }
        (Some(t), None, None) => {
            money.total = Some(ctx.read(t, t.confidence, None));
            if let Some((net, tax)) = included(ctx, t, tip_value) {
                money.net = Some(net);
                money.tax = Some(tax);
            }
        }
        (None, Some(n), Some(x)) => {
            let why = implausible(ctx, n.value, x.value);
            money.net = Some(ctx.read(n, n.confidence, why));
            money.tax = Some(ctx.read(x, x.confidence, why));
            money.total = Some(calculated(
                n.value.saturating_add(x.value).saturating_add(tip_value),
                unsure_if(lost(n) || lost(x), n.confidence.min(x.confidence) * 0.7),
                format!(
                    "calculated: net {} + tax {}{}",
                    n.value,
                    x.value,
                    tip_note(tip)
                ),
            ));
        }
        (None, n, x) => {
            money.net = n.map(|n| ctx.read(n, n.confidence, None));
            money.total = fallback_total(candidates, lines, zero_decimal);
            // Without a total read under its label nothing confirms the tax; one as large as the
            // largest amount on the receipt is the total or a payment, not a tax.
            let why = |x: &Choice| {
                money
                    .total
                    .as_ref()
                    .is_some_and(|t| x.value >= t.value)
                    .then_some("the tax read is as large as the largest amount")
            };
            money.tax = x.map(|x| ctx.read(x, x.confidence, why(x)));
            if let (None, None, Some(t)) = (n, x, &money.total) {
                let guess = Choice {
                    value: t.value,
                    confidence: t.confidence,
                    lines: vec![],
                    whole: false,
                };
                if let Some((net, tax)) = included(ctx, &guess, tip_value) {
                    money.net = Some(net);
                    money.tax = Some(tax);
                }
            }
        }
    }
    money
}

fn tip_note(tip: Option<&Choice>) -> String {
    tip.map(|p| format!(" − tip {}", p.value))
        .unwrap_or_default()
}

/// Why a net and tax no total confirms are unlikely: the tax is larger than the net, or (with
/// no rate printed to confirm it) far from any tax rate.
fn implausible(ctx: &Ctx, net: Decimal, tax: Decimal) -> Option<&'static str> {
    match ctx.rate_says(net, tax) {
        Some(true) => None,
        _ if tax > net => Some("the tax read is larger than the net"),
        Some(false) => Some("the tax does not fit the printed rate"),
        None if !plausible_rate(net, tax) => Some("the tax is far from any usual rate on the net"),
        None => None,
    }
}
