//! The total a cash payment settles: the cash given less the change returned ("Bar 21,65",
//! "Rückgeld 15,00": 6,65). Most receipts paid in cash print both, away from the total, so when
//! the total's own line is damaged (a digit or its decimal point lost) the payment lines still
//! tell it; and when they tell something else, the total read is not sure. Cash may be rounded
//! (to 5 centimes, to 50 øre), so the figure is never sure on its own.

use rust_decimal::Decimal;

use super::amount::scan_amounts;
use super::resolve::Choice;

/// Labels of the cash given, at the start of a line.
const GIVEN: &[&str] = &[
    "cash",
    "cash tendered",
    "tendered",
    "amount tendered",
    "given",
    "bar",
    "bargeld",
    "gegeben",
    "espèces",
    "especes",
    "efectivo",
    "entregado",
    "contanti",
    "contante",
    "contant",
    "kontant",
    "kontanter",
    "お預り",
    "お預かり",
];

/// Labels of the change returned, at the start of a line.
const CHANGE: &[&str] = &[
    "change",
    "change due",
    "rückgeld",
    "ruckgeld",
    "zurück",
    "rendu",
    "monnaie",
    "rendu monnaie",
    "cambio",
    "vuelto",
    "resto",
    "wisselgeld",
    "retour",
    "växel",
    "vaxel",
    "byttepenge",
    "veksel",
    "お釣り",
    "お釣",
    "釣銭",
];

/// Words that may follow the label besides the amount.
#[rustfmt::skip]
const CURRENCY_WORDS: &[&str] = &[
    "eur", "usd", "gbp", "chf", "sek", "dkk", "nok", "jpy", "aud", "cad", "nzd", "kr", "fr",
    "sfr", "yen",
];

/// Whether the line is a label and its amount: it starts with one of the labels, and no word
/// but a currency's follows ("Cash back 20.00" is no cash given).
fn starts_with_label(lower: &str, labels: &[&str]) -> bool {
    labels.iter().any(|label| {
        // Japanese labels run straight into what follows ("お預り金").
        let cjk = label.chars().any(|c| c >= '\u{3000}');
        lower.strip_prefix(label).is_some_and(|rest| {
            cjk || rest
                .split(|c: char| !c.is_alphabetic())
                .all(|w| w.is_empty() || CURRENCY_WORDS.contains(&w))
        })
    })
}

/// The one amount of money on a line, if it holds exactly one.
fn one_amount(lower: &str, zero_decimal: bool) -> Option<Decimal> {
    let money: Vec<Decimal> = scan_amounts(lower)
        .into_iter()
        .filter(|a| a.is_money(zero_decimal) && (a.decimals == 2 || zero_decimal))
        .map(|a| a.value)
        .collect();
    match money.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Cash given less change: one line of each, the change below the cash, both with one amount
/// read with its decimals, the change smaller. `None` on anything less clear.
pub(super) fn cash_settled(lines: &[String], zero_decimal: bool) -> Option<Choice> {
    let lowers: Vec<String> = lines.iter().map(|l| l.trim().to_lowercase()).collect();
    let find = |labels: &[&str]| -> Vec<(usize, Decimal)> {
        lowers
            .iter()
            .enumerate()
            .filter(|(_, l)| starts_with_label(l, labels))
            .filter_map(|(i, l)| one_amount(l, zero_decimal).map(|v| (i, v)))
            .collect()
    };
    let (given, change) = match (find(GIVEN).as_slice(), find(CHANGE).as_slice()) {
        ([given], [change]) => (*given, *change),
        _ => return None,
    };
    if change.0 <= given.0 || change.1 >= given.1 {
        return None;
    }
    Some(Choice {
        value: given.1 - change.1,
        confidence: 0.5,
        lines: vec![given.0, change.0],
        whole: false,
    })
}

/// Whether a total read differs from the cash settlement by more than cash rounding could
/// explain (at most half a unit of the currency; none where it has no minor unit), with or
/// without the tip printed apart from it (a tip may be paid in the same cash).
pub(super) fn contradicts(cash: &Choice, total: Decimal, tip: Decimal, zero_decimal: bool) -> bool {
    let step = if zero_decimal {
        Decimal::ZERO
    } else {
        Decimal::new(5, 1)
    };
    let off = |paid: Decimal| (cash.value - paid).abs() > step;
    off(total) && off(total.saturating_add(tip))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn cash_given_less_change_is_the_total() {
        let c = cash_settled(&lines("Gesamtbetrag 65€\nBar 21,65\nRückgeld 15,00"), false).unwrap();
        assert_eq!(c.value, Decimal::new(665, 2));
        assert_eq!(c.lines, vec![1, 2]);
        let c = cash_settled(&lines("TOTAL 4.85\nCASH 10.00\nCHANGE 5.15"), false).unwrap();
        assert_eq!(c.value, Decimal::new(485, 2));
        let c = cash_settled(&lines("合計 ¥1,280\nお預り ¥2,000\nお釣り ¥720"), true).unwrap();
        assert_eq!(c.value, Decimal::new(1280, 0));
    }

    #[test]
    fn anything_unclear_settles_nothing() {
        // No change line; change above the cash; two cash lines; change not smaller.
        assert!(cash_settled(&lines("Total 4.85\nCash 10.00"), false).is_none());
        assert!(cash_settled(&lines("Change 5.15\nCash 10.00"), false).is_none());
        assert!(cash_settled(&lines("Cash 5.00\nCash 5.00\nChange 5.15"), false).is_none());
        assert!(cash_settled(&lines("Cash 5.00\nChange 5.00"), false).is_none());
        // A lost decimal point, a word that only starts like the label, a supplier's name.
        assert!(cash_settled(&lines("Cash 1000\nChange 5.15"), false).is_none());
        assert!(cash_settled(&lines("Cashew nuts 3.00\nChange 1.00"), false).is_none());
        assert!(cash_settled(&lines("Barista 3.00\nChange 1.00"), false).is_none());
        assert!(cash_settled(&lines("Cash 10.00 5.00\nChange 1.00"), false).is_none());
        assert!(cash_settled(&lines("Cash back 20.00\nChange 1.00"), false).is_none());
        assert!(cash_settled(&lines("CASH EUR 20.00\nCHANGE EUR 1.00"), false).is_some());
    }

    #[test]
    fn cash_rounding_is_no_contradiction() {
        let c = cash_settled(&lines("Bar 10.00\nRückgeld 3.35"), false).unwrap();
        let none = Decimal::ZERO;
        assert!(!contradicts(&c, Decimal::new(663, 2), none, false));
        assert!(contradicts(&c, Decimal::new(1665, 2), none, false));
        // A tip printed apart from the total, paid in the same cash.
        assert!(!contradicts(&c, Decimal::new(565, 2), Decimal::ONE, false));
        let yen = cash_settled(&lines("お預り 2000\nお釣り 720"), true).unwrap();
        assert!(contradicts(&yen, Decimal::new(1281, 0), none, true));
    }
}
