//! The labelled amounts of a receipt's text: amounts next to a label (total, net, tax, tip,
//! payment), the rows of a table under column headers, and a tax whose label OCR garbled.

use rust_decimal::Decimal;

use super::amount::{rate_then_number, scan_amounts, Amount};
use super::keywords::{group_role, label_hits, Hit, Role};
use super::suggest::Candidate;

/// Words that may stand on a label-only line besides the label itself.
const LABEL_FILLERS: &[&str] = &[
    "eur",
    "usd",
    "gbp",
    "chf",
    "jpy",
    "cad",
    "aud",
    "incl",
    "inkl",
    "excl",
    "exkl",
    "including",
    "the",
    "fr",
    "sfr",
    "kr",
    "all",
    "due",
    "now",
];

fn is_label_only(lower: &str, hits: &[Hit]) -> bool {
    let mut rest = String::with_capacity(lower.len());
    let mut at = 0;
    for h in hits {
        rest.push_str(lower.get(at..h.start).unwrap_or(""));
        rest.push(' ');
        at = h.end;
    }
    rest.push_str(lower.get(at..).unwrap_or(""));
    rest.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .all(|w| LABEL_FILLERS.contains(&w))
}

/// Column headers ("MwSt%  Netto  MwSt  Brutto") with rows of amounts below.
fn table_rows(
    lowers: &[String],
    header: usize,
    hits: &[Hit],
    zero_decimal: bool,
) -> Vec<Candidate> {
    let header_line = &lowers[header];
    let columns: Vec<(Role, bool)> = hits
        .iter()
        .map(|h| {
            let after = header_line[h.end..].trim_start();
            let rate = after.starts_with('%')
                || ["satz", "rate", "taux", "%"]
                    .iter()
                    .any(|w| after.starts_with(w));
            (h.role, rate)
        })
        .collect();
    let mut out = Vec::new();
    for (row, lower) in lowers.iter().enumerate().skip(header + 1).take(4) {
        if !label_hits(lower).is_empty() {
            break;
        }
        let values: Vec<_> = scan_amounts(lower)
            .into_iter()
            .filter(|a| !a.glued && !a.negative)
            .collect();
        if values.is_empty() {
            break;
        }
        // The tax word over a column of rates, and a last column the header leaves unnamed
        // ("消費税 税抜金額 消費税 税込" over "A 10% 400 40 440", where "税込" is no label):
        // read from the left.
        let rate_first = values.first().is_some_and(|a| a.percent)
            && columns.first().is_some_and(|(role, _)| *role == Role::Tax);
        let pairs: Vec<_> =
            if values.len() == columns.len() || (rate_first && values.len() == columns.len() + 1) {
                columns.iter().zip(values.iter()).collect()
            } else {
                let cols: Vec<_> = columns.iter().filter(|(_, rate)| !rate).collect();
                let vals: Vec<_> = values.iter().filter(|a| !a.percent).collect();
                if cols.len() != vals.len() {
                    break;
                }
                cols.into_iter().zip(vals).collect()
            };
        for ((role, rate), amount) in pairs {
            if !rate
                && matches!(role, Role::Net | Role::Tax | Role::Total)
                && amount.is_money(zero_decimal)
            {
                out.push(Candidate {
                    role: *role,
                    value: amount.value,
                    confidence: 0.7,
                    line: row,
                    whole: amount.decimals == 0,
                    lost_cents: false,
                });
            }
        }
    }
    out
}

/// How sure a tax read from a line with a rate but no label is: unsure even when net, tax and
/// total add up with it (the resolver adds 0.2 for that), as the line may be anything priced in
/// percent.
const UNLABELLED_TAX: f32 = 0.35;

/// A line whose label OCR garbled but whose rate survived ("(AR 10%) 236" for "(内税 10%) 236"):
/// a rate followed by one amount of money (or a whole number read as cents whose decimal point
/// was lost, "19% 681") and nothing else numeric is offered as a tax, unsure,
/// where no tax was read under a label. The resolver keeps it only where it fits: the rate
/// printed, with the total or net read.
fn unlabelled_tax(lower: &str, line: usize, zero_decimal: bool) -> Option<Candidate> {
    let amounts = scan_amounts(lower);
    let (_, amount) = rate_then_number(&amounts)?;
    if amount.is_money(zero_decimal) {
        return Some(Candidate {
            role: Role::Tax,
            value: amount.value,
            confidence: UNLABELLED_TAX,
            line,
            whole: amount.decimals == 0,
            lost_cents: false,
        });
    }
    // "19% 681": a whole number where cents are written, its decimal point likely lost.
    let value = (!zero_decimal).then(|| amount.as_lost_cents()).flatten()?;
    Some(Candidate {
        role: Role::Tax,
        value,
        confidence: UNLABELLED_TAX * 0.9,
        line,
        whole: true,
        lost_cents: true,
    })
}

/// Labelled amounts on every line.
pub(crate) fn collect_candidates(lines: &[String], zero_decimal: bool) -> Vec<Candidate> {
    let lowers: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
    let mut out = Vec::new();
    let mut unlabelled = Vec::new();
    // Amounts whose decimal point was lost: no sign that a tax was read under a label.
    let mut lost = Vec::new();
    for (index, lower) in lowers.iter().enumerate() {
        let hits = label_hits(lower);
        if hits.is_empty() {
            unlabelled.extend(unlabelled_tax(lower, index, zero_decimal));
            continue;
        }
        let amounts = scan_amounts(lower);
        let keyword_hits = hits
            .iter()
            .filter(|h| h.role != Role::Id && h.role != Role::Payment);
        if amounts.is_empty() && keyword_hits.count() >= 2 {
            let rows = table_rows(&lowers, index, &hits, zero_decimal);
            if !rows.is_empty() {
                out.extend(rows);
                continue;
            }
        }
        // Adjacent labels with no number between them form one label.
        let mut groups: Vec<Vec<Hit>> = Vec::new();
        for hit in &hits {
            let joins = groups.last().and_then(|g| g.last()).is_some_and(|prev| {
                !amounts
                    .iter()
                    .any(|a| a.start >= prev.end && a.end <= hit.start)
            });
            match groups.last_mut() {
                Some(g) if joins => g.push(*hit),
                _ => groups.push(vec![*hit]),
            }
        }
        for (g, group) in groups.iter().enumerate() {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            let span_end = groups
                .get(g + 1)
                .and_then(|n| n.first())
                .map_or(lower.len(), |n| n.start);
            let label = &lower[first.start..last.end];
            let Some((role, confidence)) = group_role(label, group) else {
                continue;
            };
            // A tip stands at the start of its line ("Tip 5.00", "Service 12.5% 4.10");
            // "Room service 25.00" or "Suggested tip" are not.
            if role == Role::Id
                || (role == Role::Tip && lower[..first.start].chars().any(char::is_alphanumeric))
            {
                continue;
            }
            let after = |a: &&Amount| a.start >= last.end && a.end <= span_end;
            let money = amounts
                .iter()
                .rev()
                .find(|a| after(a) && a.is_money(zero_decimal));
            // The last number after the label, a whole one where cents are written: its
            // decimal point was likely lost (the resolver counts it only where it adds up).
            let lost_cents = (!zero_decimal)
                .then(|| amounts.iter().rev().find(|a| after(a) && !a.percent))
                .flatten()
                .and_then(Amount::as_lost_cents);
            if let Some(a) = money {
                out.push(Candidate {
                    role,
                    value: a.value,
                    confidence,
                    line: index,
                    whole: a.decimals == 0,
                    lost_cents: false,
                });
            } else if let Some(value) = lost_cents {
                lost.push(Candidate {
                    role,
                    value,
                    confidence: confidence * 0.9,
                    line: index,
                    whole: true,
                    lost_cents: true,
                });
            } else if g + 1 == groups.len()
                && !amounts.iter().any(|a| a.start >= last.end && !a.percent)
                && is_label_only(lower, &hits)
            {
                // The value stands on the next line.
                let next = lowers
                    .iter()
                    .enumerate()
                    .skip(index + 1)
                    .take(2)
                    .find(|(_, l)| !l.is_empty());
                if let Some((j, next)) = next {
                    let value = label_hits(next)
                        .is_empty()
                        .then(|| scan_amounts(next))
                        .and_then(|a| a.into_iter().rev().find(|a| a.is_money(zero_decimal)));
                    if let Some(a) = value {
                        out.push(Candidate {
                            role,
                            value: a.value,
                            confidence: confidence * 0.9,
                            line: j,
                            whole: a.decimals == 0,
                            lost_cents: false,
                        });
                    }
                }
            }
        }
    }
    // Only where no tax was read under a label: item lines priced with their rate ("Cahier
    // (20%) 48,40") are not taxes beside the tax lines of an invoice.
    if !out.iter().any(|c| c.role == Role::Tax) {
        out.extend(unlabelled);
    }
    out.extend(lost);
    if !out.iter().any(|c| c.role == Role::Tip) {
        out.extend(tip_between_totals(&out, &lowers, zero_decimal));
    }
    out
}

/// How sure a tip found only by the totals around it is.
const TIP_BETWEEN_TOTALS: f32 = 0.6;

/// A line with no label read between two totals whose one amount is the second total less the
/// first ("TOTAL 74.93", "Tp 13.49", "GRAND TOTAL 88.42"): a tip or charge added after the
/// total whose label OCR garbled.
fn tip_between_totals(
    found: &[Candidate],
    lowers: &[String],
    zero_decimal: bool,
) -> Option<Candidate> {
    let totals: Vec<&Candidate> = found
        .iter()
        .filter(|c| c.role == Role::Total && !c.whole)
        .collect();
    for (k, first) in totals.iter().enumerate() {
        for second in totals.iter().skip(k + 1) {
            let Some(added) = second.value.checked_sub(first.value) else {
                continue;
            };
            if added <= Decimal::ZERO || second.line <= first.line + 1 {
                continue;
            }
            for (line, lower) in lowers
                .iter()
                .enumerate()
                .take(second.line)
                .skip(first.line + 1)
            {
                let amounts: Vec<Amount> = scan_amounts(lower)
                    .into_iter()
                    .filter(|a| a.is_money(zero_decimal))
                    .collect();
                let only_the_difference = matches!(amounts.as_slice(), [one] if one.value == added);
                if label_hits(lower).is_empty() && only_the_difference {
                    return Some(Candidate {
                        role: Role::Tip,
                        value: added,
                        confidence: TIP_BETWEEN_TOTALS,
                        line,
                        whole: false,
                        lost_cents: false,
                    });
                }
            }
        }
    }
    None
}
