//! The total the payment lines settle: the cash given less the change returned ("Bar 21,65",
//! "Rückgeld 15,00": 6,65), or the one amount charged to a card ("Kort 234,90"). Most receipts
//! print the payment away from the total, so when the total's own line is damaged (a digit or
//! its decimal point lost) the payment lines still tell it; and when they tell something else,
//! the total read is not sure. Cash may be rounded (to 5 centimes, to 50 øre) and a card may be
//! charged a tip or cash back beside the total, so the figure is never sure on its own.

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

/// Labels of a payment by card, at the start of a line.
const CARD: &[&str] = &[
    "card",
    "credit card",
    "debit card",
    "visa",
    "mastercard",
    "maestro",
    "amex",
    "contactless",
    "ec-karte",
    "ec karte",
    "girocard",
    "kartenzahlung",
    "karte",
    "cb",
    "carte",
    "carte bancaire",
    "carte bleue",
    "tarjeta",
    "carta",
    "bancomat",
    "pin",
    "pinbetaling",
    "kort",
    "bankkort",
    "kortbetalning",
    "dankort",
    "クレジット",
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

/// What the payment lines say was paid, and how.
#[derive(Debug, Clone)]
pub(super) struct Paid {
    pub choice: Choice,
    /// "cash given less change" or "paid by card", for the suggestion's note.
    pub how: &'static str,
}

/// The total the payment lines settle: cash given less change where both are printed once (the
/// change after the cash given and smaller), else the one amount charged to a card where no cash
/// is printed. None when the lines are unclear (two payments of a kind, a split payment).
pub(super) fn paid(lines: &[String], zero_decimal: bool) -> Option<Paid> {
    // A frame or the paper's edge read as a bar before the label ("| Kort 234,90") is no word.
    let lowers: Vec<String> = lines
        .iter()
        .map(|l| {
            l.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '|' | '!' | '*' | '-'))
                .trim_end()
                .to_lowercase()
        })
        .collect();
    // Lines opening with one of the labels and holding one amount, with that amount.
    let find = |labels: &[&str]| -> Vec<(usize, Decimal)> {
        lowers
            .iter()
            .enumerate()
            .filter(|(_, l)| starts_with_label(l, labels))
            .filter_map(|(i, l)| one_amount(l, zero_decimal).map(|v| (i, v)))
            .collect()
    };
    let given = find(GIVEN);
    let change = find(CHANGE);
    if let ([given], [change]) = (given.as_slice(), change.as_slice()) {
        if change.0 <= given.0 || change.1 >= given.1 {
            return None;
        }
        return Some(Paid {
            choice: Choice {
                value: given.1 - change.1,
                confidence: 0.5,
                lines: vec![given.0, change.0],
                whole: false,
            },
            how: "cash given less change",
        });
    }
    if !given.is_empty() || !change.is_empty() {
        return None;
    }
    match find(CARD).as_slice() {
        [(line, value)] if !value.is_zero() => Some(Paid {
            choice: Choice {
                value: *value,
                confidence: 0.5,
                lines: vec![*line],
                whole: false,
            },
            how: "paid by card",
        }),
        _ => None,
    }
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

    fn cash_settled(lines: &[String], zero_decimal: bool) -> Option<Choice> {
        paid(lines, zero_decimal).map(|p| p.choice)
    }

    #[test]
    fn one_card_payment_is_the_total() {
        let p = paid(
            &lines("ATTBETALA 23490 kr\ninkl. moms 25%\n| Kort 234,90"),
            false,
        )
        .unwrap();
        assert_eq!(p.choice.value, Decimal::new(23490, 2));
        assert_eq!((p.choice.lines.clone(), p.how), (vec![2], "paid by card"));
        let p = paid(&lines("SUMME 79,28\nEC-Karte EUR 79,28"), false).unwrap();
        assert_eq!(p.choice.value, Decimal::new(7928, 2));
        // A card number is no amount; two card payments, or card and cash, settle nothing.
        assert!(paid(&lines("TOTAL 39.70\nVISA **** 1147"), false).is_none());
        assert!(paid(&lines("Visa 10.00\nMastercard 5.00"), false).is_none());
        assert!(paid(&lines("Kort 10,00\nKontant 5,00"), false).is_none());
        // A word after the label makes it something else ("Card fee", "Karte verloren").
        assert!(paid(&lines("Card fee 0.50"), false).is_none());
        // Cash given less change comes first.
        let p = paid(&lines("Bar 21,65\nRückgeld 15,00"), false).unwrap();
        assert_eq!(p.how, "cash given less change");
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
