//! Choosing net, tax, tip and total from the labelled amounts. The combination that adds up
//! (net + tax + tip = total, within a rounding step) wins, and among those the one whose tax fits
//! the printed rate; a missing value is calculated from the others. Amounts that do not add up,
//! a tax larger than its net, a tax far from any rate and a number without its decimal point are
//! never suggested as sure. With no label at all, the largest amount is a low-confidence guess.

use rust_decimal::{Decimal, RoundingStrategy};

use super::agree::{fits_rate, included_tax, plausible_rate, unit};
use super::amount::scan_amounts;
use super::keywords::{label_hits, Role};
use super::rates::PrintedRate;
use super::suggest::{Candidate, Suggestion};

#[derive(Debug, Default)]
pub(crate) struct Money {
    pub net: Option<Suggestion<Decimal>>,
    pub tax: Option<Suggestion<Decimal>>,
    pub total: Option<Suggestion<Decimal>>,
    pub tip: Option<Suggestion<Decimal>>,
}

/// Below this a suggestion is shown as unsure (the web form's `SURE_FROM` is 0.6).
const UNSURE: f32 = 0.55;

/// A value that is either one candidate or the sum of several.
#[derive(Debug, Clone)]
struct Choice {
    value: Decimal,
    confidence: f32,
    lines: Vec<usize>,
    /// Read without decimals.
    whole: bool,
}

/// What the choices are read from and how amounts are written.
struct Ctx<'a> {
    lines: &'a [String],
    zero_decimal: bool,
    rate: Option<PrintedRate>,
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
    fn read(&self, o: &Choice, confidence: f32, why: Option<&str>) -> Suggestion<Decimal> {
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

    fn tolerance(&self) -> Decimal {
        unit(self.zero_decimal)
    }

    fn adds_up(&self, parts: &[Decimal], total: Decimal) -> bool {
        let sum = parts
            .iter()
            .fold(Decimal::ZERO, |acc, p| acc.saturating_add(*p));
        (sum - total).abs() <= self.tolerance()
    }

    /// Whether the tax fits the printed rate on the net: `None` when no one rate is printed.
    fn rate_says(&self, net: Decimal, tax: Decimal) -> Option<bool> {
        self.rate
            .map(|r| fits_rate(net, tax, r.value, self.zero_decimal))
    }
}

fn calculated(value: Decimal, confidence: f32, source: String) -> Suggestion<Decimal> {
    Suggestion {
        value,
        confidence: confidence.clamp(0.05, 0.97),
        source,
    }
}

/// Distinct values of one role (best confidence per value), plus their sum
/// when there are several (e.g. GST + PST, or two VAT rates) and `sum` is asked.
fn options(candidates: &[Candidate], role: Role, sum: bool) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    for c in candidates.iter().filter(|c| c.role == role) {
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
    out
}

fn best<'a>(options: impl IntoIterator<Item = &'a Choice>) -> Option<&'a Choice> {
    options.into_iter().max_by(|a, b| {
        a.confidence
            .total_cmp(&b.confidence)
            .then(a.value.cmp(&b.value))
    })
}

/// A combination of read amounts that adds up.
struct Agreeing<'a> {
    total: &'a Choice,
    net: &'a Choice,
    tax: &'a Choice,
    tip: Option<&'a Choice>,
    /// Net and tax were read under each other's labels (the tax read is the larger).
    swapped: bool,
    rate: Option<bool>,
}

impl Agreeing<'_> {
    /// The largest total first (the grand total, not one rate's row of a tax table, and the
    /// total a tip is in), then the tax that fits the printed rate, then the most confident labels.
    fn rank(&self) -> (Decimal, bool, f32) {
        let confidence = self.total.confidence + self.net.confidence + self.tax.confidence;
        (self.total.value, self.rate != Some(false), confidence)
    }
}

fn agreeing<'a>(
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
                    let a = Agreeing {
                        total: t,
                        net,
                        tax,
                        tip: *tip,
                        swapped,
                        rate: ctx.rate_says(net.value, tax.value),
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

    // 1. Net + tax (+ tip) = total: all confirmed.
    if let Some(a) = agreeing(&ctx, &totals, &nets, &taxes, &tips) {
        let why = if a.swapped && a.rate != Some(true) {
            Some("read under the other label of net and tax")
        } else {
            None
        };
        return Money {
            total: Some(ctx.read(a.total, a.total.confidence + 0.2, None)),
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
    let mut money = Money {
        tip: tip.map(|p| ctx.read(p, p.confidence * 0.7, None)),
        ..Money::default()
    };
    let tip_value = tip.map_or(Decimal::ZERO, |p| p.value);
    let total = best(&totals);

    // 2. Two amounts that fit the printed rate; the third is calculated from them.
    if let Some(m) = rate_pair(&ctx, total, &nets, &taxes, tip_value) {
        return Money {
            tip: money.tip,
            ..m
        };
    }

    // 3. No agreement: the most confident reading of each, a tax never above its net.
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
    match (total, net, tax) {
        (Some(t), Some(n), Some(x)) => {
            let why = Some("net + tax does not add up to the total read");
            money.total = Some(ctx.read(t, t.confidence * 0.8, why));
            money.net = Some(ctx.read(n, n.confidence * 0.7, why));
            money.tax = Some(ctx.read(x, x.confidence * 0.7, why));
        }
        (Some(t), None, Some(x)) => {
            let value = t.value.saturating_sub(x.value).saturating_sub(tip_value);
            let why = implausible(&ctx, value, x.value);
            money.total = Some(ctx.read(t, t.confidence, None));
            money.tax = Some(ctx.read(x, x.confidence, why));
            let confidence = t.confidence.min(x.confidence) * 0.75;
            money.net = Some(calculated(
                value,
                if why.is_some() {
                    confidence.min(UNSURE)
                } else {
                    confidence
                },
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
            let why = implausible(&ctx, n.value, value);
            money.total = Some(ctx.read(t, t.confidence, None));
            money.net = Some(ctx.read(n, n.confidence, why));
            money.tax = Some(calculated(
                value,
                t.confidence.min(n.confidence) * 0.6,
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
            if let Some((net, tax)) = included(&ctx, t, tip_value) {
                money.net = Some(net);
                money.tax = Some(tax);
            }
        }
        (None, Some(n), Some(x)) => {
            let why = implausible(&ctx, n.value, x.value);
            money.net = Some(ctx.read(n, n.confidence, why));
            money.tax = Some(ctx.read(x, x.confidence, why));
            money.total = Some(calculated(
                n.value.saturating_add(x.value).saturating_add(tip_value),
                n.confidence.min(x.confidence) * 0.7,
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
                if let Some((net, tax)) = included(&ctx, &guess, tip_value) {
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

/// Two read amounts that fit the printed rate (total and tax, net and tax, or total and net) when
/// the three do not add up; the third is calculated from them.
fn rate_pair(
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
    let why = total.map(|t| format!("the total read, {}, does not add up", t.value));
    Some(Money {
        net: Some(ctx.read(n, n.confidence, None)),
        tax: Some(ctx.read(x, x.confidence, None)),
        total: Some(calculated(
            sum,
            n.confidence.min(x.confidence) * if why.is_some() { 0.6 } else { 0.75 },
            match why {
                Some(why) => format!(
                    "calculated: net {} + tax {} ({note}; {why})",
                    n.value, x.value
                ),
                None => format!("calculated: net {} + tax {} ({note})", n.value, x.value),
            },
        )),
        tip: None,
    })
}

/// A receipt that states only its total and a rate the tax is included in ("inkl. 19% MwSt"):
/// tax = total × rate / (100 + rate), rounded to the minor unit, and net = total − tax.
fn included(
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

/// No total label: the largest amount of money in the text, as a guess.
fn fallback_total(
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
