//! Choosing net, tax and total from the labelled amounts: totals that add
//! up (net + tax = total) win; a missing value is calculated from the other
//! two; with no label at all, the largest amount is a low-confidence guess.

use rust_decimal::Decimal;

use super::amount::scan_amounts;
use super::keywords::{label_hits, Role};
use super::suggest::{Candidate, Suggestion};

#[derive(Debug, Default)]
pub(crate) struct Money {
    pub net: Option<Suggestion<Decimal>>,
    pub tax: Option<Suggestion<Decimal>>,
    pub total: Option<Suggestion<Decimal>>,
}

/// A value that is either one candidate or the sum of several.
#[derive(Debug, Clone)]
struct Choice {
    value: Decimal,
    confidence: f32,
    lines: Vec<usize>,
}

fn source(lines: &[String], at: &[usize]) -> String {
    at.iter()
        .filter_map(|&i| lines.get(i))
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" + ")
}

fn suggestion(o: &Choice, confidence: f32, lines: &[String]) -> Suggestion<Decimal> {
    Suggestion {
        value: o.value,
        confidence: confidence.clamp(0.05, 0.97),
        source: source(lines, &o.lines),
    }
}

/// Distinct values of one role (best confidence per value), plus their sum
/// when there are several (e.g. GST + PST, or two VAT rates).
fn options(candidates: &[Candidate], role: Role) -> Vec<Choice> {
    let mut out: Vec<Choice> = Vec::new();
    for c in candidates.iter().filter(|c| c.role == role) {
        match out.iter_mut().find(|o| o.value == c.value) {
            Some(o) => o.confidence = o.confidence.max(c.confidence),
            None => out.push(Choice {
                value: c.value,
                confidence: c.confidence,
                lines: vec![c.line],
            }),
        }
    }
    if out.len() > 1 && out.len() <= 4 {
        let sum = out
            .iter()
            .fold(Decimal::ZERO, |acc, o| acc.saturating_add(o.value));
        let confidence = out.iter().map(|o| o.confidence).fold(1.0f32, f32::min) * 0.8;
        let lines = out.iter().flat_map(|o| o.lines.clone()).collect();
        out.push(Choice {
            value: sum,
            confidence,
            lines,
        });
    }
    out
}

fn best(options: &[Choice]) -> Option<&Choice> {
    options.iter().max_by(|a, b| {
        a.confidence
            .total_cmp(&b.confidence)
            .then(a.value.cmp(&b.value))
    })
}

pub(crate) fn resolve(candidates: &[Candidate], lines: &[String], zero_decimal: bool) -> Money {
    let totals: Vec<Choice> = options(candidates, Role::Total)
        .into_iter()
        .filter(|o| o.lines.len() == 1 && o.value > Decimal::ZERO)
        .collect();
    let nets = options(candidates, Role::Net);
    let taxes = options(candidates, Role::Tax);

    // 1. Net + tax = total: all three confirmed; the largest such total wins.
    let mut consistent: Option<(&Choice, &Choice, &Choice)> = None;
    for t in &totals {
        for n in &nets {
            for x in &taxes {
                if n.value.checked_add(x.value) == Some(t.value)
                    && consistent.is_none_or(|(bt, _, _)| t.value > bt.value)
                {
                    consistent = Some((t, n, x));
                }
            }
        }
    }
    if let Some((t, n, x)) = consistent {
        return Money {
            total: Some(suggestion(t, t.confidence + 0.2, lines)),
            net: Some(suggestion(n, n.confidence + 0.2, lines)),
            tax: Some(suggestion(x, x.confidence + 0.2, lines)),
        };
    }

    let mut money = Money::default();
    let total = best(&totals).cloned();
    let below = |o: &&Choice| total.as_ref().is_none_or(|t| o.value <= t.value);
    let tax = {
        let fitting: Vec<Choice> = taxes.iter().filter(below).cloned().collect();
        best(&fitting).cloned()
    };
    let net = {
        let fitting: Vec<Choice> = nets.iter().filter(below).cloned().collect();
        best(&fitting).cloned()
    };
    match (&total, &net, &tax) {
        (Some(t), Some(n), Some(x)) => {
            // Found but they do not add up: keep them, with less confidence.
            money.total = Some(suggestion(t, t.confidence * 0.8, lines));
            money.net = Some(suggestion(n, n.confidence * 0.7, lines));
            money.tax = Some(suggestion(x, x.confidence * 0.7, lines));
        }
        (Some(t), None, Some(x)) => {
            money.total = Some(suggestion(t, t.confidence, lines));
            money.tax = Some(suggestion(x, x.confidence, lines));
            money.net = Some(Suggestion {
                value: t.value.saturating_sub(x.value),
                confidence: t.confidence.min(x.confidence) * 0.75,
                source: format!("calculated: total {} − tax {}", t.value, x.value),
            });
        }
        (Some(t), Some(n), None) => {
            money.total = Some(suggestion(t, t.confidence, lines));
            money.net = Some(suggestion(n, n.confidence, lines));
            money.tax = Some(Suggestion {
                value: t.value.saturating_sub(n.value),
                confidence: t.confidence.min(n.confidence) * 0.6,
                source: format!("calculated: total {} − net {}", t.value, n.value),
            });
        }
        (Some(t), None, None) => money.total = Some(suggestion(t, t.confidence, lines)),
        (None, Some(n), Some(x)) => {
            money.net = Some(suggestion(n, n.confidence, lines));
            money.tax = Some(suggestion(x, x.confidence, lines));
            money.total = Some(Suggestion {
                value: n.value.saturating_add(x.value),
                confidence: n.confidence.min(x.confidence) * 0.7,
                source: format!("calculated: net {} + tax {}", n.value, x.value),
            });
        }
        (None, n, x) => {
            money.net = n.as_ref().map(|n| suggestion(n, n.confidence, lines));
            money.tax = x.as_ref().map(|x| suggestion(x, x.confidence, lines));
            money.total = fallback_total(candidates, lines, zero_decimal);
        }
    }
    money
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
            .any(|h| h.role == Role::Id || h.role == Role::Payment)
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
