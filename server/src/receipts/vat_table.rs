//! A receipt's VAT table: one row per tax rate with the net, the tax and the gross amount
//! (`A 19%  27,35  5,20  32,55`). Where every row adds up (net + tax = gross, tax = net × rate)
//! the table gives the receipt's net and tax as the sums of its rows, even when it has several
//! rates and no one line says "net" or "tax" for the whole receipt.

use rust_decimal::Decimal;

use super::agree::{plausible_rate, sums_to, unit};
use super::amount::{scan_amounts, Amount};
use super::resolve::Money;
use super::suggest::{Suggestion, SURE};

/// How sure net and tax from a table are when the receipt's total confirms the table's gross.
const CONFIRMED: f32 = 0.9;
/// How sure they are when no total confirms it (filled in only where nothing else was read).
const UNCONFIRMED: f32 = 0.5;

/// The sums over a VAT table's rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VatTable {
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
    /// The line of its first row.
    pub line: usize,
    /// The lines of all its rows.
    pub rows: Vec<usize>,
    /// Whether every row printed its rate (none was counted only for its amounts adding up).
    pub rated: bool,
}

/// One row: the rate printed on it and the last three amounts, when they add up.
fn row(line: &str, zero_decimal: bool) -> Option<(Decimal, Decimal, Decimal)> {
    let amounts = scan_amounts(line);
    let Some(rate_at) = amounts.iter().position(|a| a.percent) else {
        return row_with_bare_rate(&amounts, zero_decimal).map(|(_, row)| row);
    };
    let rate = amounts.get(rate_at)?.value;
    let (net, tax, gross) = last_three_adding_up(amounts.get(rate_at + 1..)?, zero_decimal)?;
    rate_fits(rate, net, tax, zero_decimal).then_some((net, tax, gross))
}

/// Whether `tax` is `rate` per cent of `net`, within a rounding step (or 1 % of the tax).
fn rate_fits(rate: Decimal, net: Decimal, tax: Decimal, zero_decimal: bool) -> bool {
    let step = unit(zero_decimal);
    let expected = net
        .checked_mul(rate)
        .and_then(|n| n.checked_div(Decimal::from(100)));
    let fits = expected
        .and_then(|e| e.checked_sub(tax))
        .is_some_and(|gap| gap.abs() <= step.max(tax / Decimal::from(100)));
    net > Decimal::ZERO && tax < net && fits
}

/// A row whose rate lost its `%` to OCR ("A 20  58,92  11,78  70,70"): three amounts at its end
/// that add up, after a number up to 50 that is the rate they show (the tax is that share of
/// the net). Both must hold, so an item line with a quantity is not taken for a row.
fn row_with_bare_rate(
    amounts: &[Amount],
    zero_decimal: bool,
) -> Option<(Decimal, (Decimal, Decimal, Decimal))> {
    let (net, tax, gross) = last_three_adding_up(amounts, zero_decimal)?;
    let money_at = amounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_money(zero_decimal))
        .map(|(i, _)| i)
        .collect::<Vec<_>>();
    let first_of_three = *money_at.get(money_at.len().checked_sub(3)?)?;
    let rate = amounts
        .get(..first_of_three)?
        .iter()
        .rev()
        .find(|a| !a.glued && !a.negative)?
        .value;
    (rate > Decimal::ZERO && rate <= Decimal::from(50) && rate_fits(rate, net, tax, zero_decimal))
        .then_some((rate, (net, tax, gross)))
}

/// The rate of a tax table's row that lost its `%` ([`row_with_bare_rate`]), in a currency
/// with cents.
pub(crate) fn bare_rate(line: &str) -> Option<Decimal> {
    row_with_bare_rate(&scan_amounts(line), false).map(|(rate, _)| rate)
}

/// A row whose rate OCR garbled ("48.1" for "A 8.1%"): three amounts at its end where net + tax
/// = gross and the tax is a rate some tax is charged at. Counted only beside a row with a rate.
fn row_without_rate(line: &str, zero_decimal: bool) -> Option<(Decimal, Decimal, Decimal)> {
    let amounts = scan_amounts(line);
    if amounts.iter().any(|a| a.percent) {
        return None;
    }
    let (net, tax, gross) = last_three_adding_up(&amounts, zero_decimal)?;
    (tax > Decimal::ZERO && plausible_rate(net, tax)).then_some((net, tax, gross))
}

/// The last three amounts of money among `amounts`, as net, tax and gross, when net + tax is
/// the gross within a rounding step. Failing that, in a currency with cents, the last three
/// numbers where a whole number of three digits or more is read as cents whose decimal
/// separator OCR lost ("640 135 7,75" for 6,40 1,35 7,75), when at least one of them has its
/// cents and they then add up; the row's rate is checked against them as well by the caller.
fn last_three_adding_up(
    amounts: &[Amount],
    zero_decimal: bool,
) -> Option<(Decimal, Decimal, Decimal)> {
    let money: Vec<Decimal> = amounts
        .iter()
        .filter(|a| a.is_money(zero_decimal))
        .map(|a| a.value)
        .collect();
    let adding_up = |three: &[Decimal]| match three {
        [net, tax, gross] => {
            sums_to(&[*net, *tax], *gross, zero_decimal).then_some((*net, *tax, *gross))
        }
        _ => None,
    };
    let read = money
        .get(money.len().saturating_sub(3)..)
        .filter(|three| three.len() == 3)
        .and_then(adding_up);
    if read.is_some() || zero_decimal {
        return read;
    }
    let hundred = Decimal::from(100);
    let numbers: Vec<&Amount> = amounts
        .iter()
        .filter(|a| !(a.percent || a.glued || a.negative))
        .collect();
    let three = numbers.get(numbers.len().checked_sub(3)?..)?;
    let lost_cents = |a: &Amount| a.decimals == 0 && a.value >= hundred;
    if !three.iter().any(|a| a.decimals == 2) || !three.iter().any(|a| lost_cents(a)) {
        return None;
    }
    let values: Option<Vec<Decimal>> = three
        .iter()
        .map(|a| match a.decimals {
            2 => Some(a.value),
            _ if lost_cents(a) => a.value.checked_div(hundred),
            _ => None,
        })
        .collect();
    adding_up(&values?)
}

/// The VAT table of a receipt, if its rows add up: rows are the lines that print a rate followed
/// by a net, a tax and a gross amount that agree with each other, and lines next to such a row
/// whose three amounts add up though their rate could not be read. Rows need not be adjacent
/// (a table may have a blank or unreadable line), but there must be at least one with a rate.
pub(crate) fn vat_table(lines: &[String], zero_decimal: bool) -> Option<VatTable> {
    let with_rate: Vec<Option<(Decimal, Decimal, Decimal)>> =
        lines.iter().map(|l| row(l, zero_decimal)).collect();
    let has_rate = |at: Option<usize>| {
        at.and_then(|i| with_rate.get(i))
            .is_some_and(Option::is_some)
    };
    let mut table: Option<VatTable> = None;
    for (index, line) in lines.iter().enumerate() {
        let rated = with_rate.get(index).copied().flatten();
        let found = rated.or_else(|| {
            (has_rate(index.checked_sub(1)) || has_rate(index.checked_add(1)))
                .then(|| row_without_rate(line, zero_decimal))
                .flatten()
        });
        let Some((net, tax, gross)) = found else {
            continue;
        };
        let rated = rated.is_some();
        match &mut table {
            Some(t) => {
                t.net = t.net.checked_add(net)?;
                t.tax = t.tax.checked_add(tax)?;
                t.gross = t.gross.checked_add(gross)?;
                t.rows.push(index);
                t.rated &= rated;
            }
            None => {
                table = Some(VatTable {
                    net,
                    tax,
                    gross,
                    line: index,
                    rows: vec![index],
                    rated,
                })
            }
        }
    }
    table
}

/// Net and tax from the VAT table. When the total read (less any tip after it) is the table's
/// gross, the table's sums replace the net and tax read elsewhere (a row of the table read as
/// "the" net is a common mistake on receipts with two rates) and are sure. When no total was
/// read, the table fills in what is missing, unsure. When a total disagrees with the table,
/// the table only fills in a missing net or tax, unsure.
///
/// Only a total that is independent evidence confirms the table: one read as sure under its own
/// label, not calculated and not read from the table's own rows. A total taken from the table
/// (or summed from it) equals its gross whether or not a row was lost to OCR, so it confirms
/// nothing.
pub(crate) fn apply(money: &mut Money, lines: &[String], zero_decimal: bool) {
    let Some(table) = vat_table(lines, zero_decimal) else {
        super::vat_row_lost::apply(money, lines, zero_decimal);
        return;
    };
    let step = unit(zero_decimal);
    let tip = money.tip.as_ref().map_or(Decimal::ZERO, |t| t.value);
    let near = |a: Decimal, b: Decimal| a.checked_sub(b).is_some_and(|gap| gap.abs() <= step);
    let from_table = |source: &str| {
        table
            .rows
            .iter()
            .filter_map(|&at| lines.get(at))
            .any(|row| source.contains(row.trim()))
    };
    let independent = money.total.as_ref().is_some_and(|total| {
        total.confidence >= SURE
            && !total.source.starts_with("calculated")
            && !from_table(&total.source)
    });
    let agrees = independent
        && money.total.as_ref().is_some_and(|total| {
            near(total.value, table.gross)
                || total
                    .value
                    .checked_sub(tip)
                    .is_some_and(|less_tip| near(less_tip, table.gross))
        });
    let row = lines.get(table.line).map_or("", |l| l.trim());
    let source = format!("VAT table from '{row}' (net + tax = gross on every row)");
    let suggestion = |value: Decimal, confidence: f32| Suggestion {
        value,
        confidence,
        source: source.clone(),
    };
    if agrees {
        money.net = Some(suggestion(table.net, CONFIRMED));
        money.tax = Some(suggestion(table.tax, CONFIRMED));
        return;
    }
    // Every row prints a rate its amounts fit, and the total read is the rows' gross but for
    // one digit ("合計 839" over rows of 320 and 510): the total is the likelier misreading, so
    // the table gives all three, unsure.
    let one_digit_off = money.total.as_ref().is_some_and(|total| {
        total
            .value
            .checked_sub(tip)
            .is_some_and(|less_tip| one_digit_apart(less_tip, table.gross))
    });
    if table.rated && one_digit_off {
        let read = money.total.as_ref().map_or(Decimal::ZERO, |t| t.value);
        money.total = Some(Suggestion {
            value: table.gross.saturating_add(tip),
            confidence: UNCONFIRMED,
            source: format!("{source}; the total read, {read}, differs from it in one digit"),
        });
        money.net = Some(suggestion(table.net, UNCONFIRMED));
        money.tax = Some(suggestion(table.tax, UNCONFIRMED));
        return;
    }
    if money.total.is_none() {
        money.total = Some(suggestion(table.gross, UNCONFIRMED));
    }
    if money.net.is_none() {
        money.net = Some(suggestion(table.net, UNCONFIRMED));
    }
    if money.tax.is_none() {
        money.tax = Some(suggestion(table.tax, UNCONFIRMED));
    }
}

/// Whether two amounts are written with the same digits but one (`839` and `830`, `42,54` and
/// `42,64`), counted in cents.
fn one_digit_apart(a: Decimal, b: Decimal) -> bool {
    let cents = |v: Decimal| {
        v.checked_mul(Decimal::from(100))
            .map(|c| c.round().to_string())
    };
    match (cents(a), cents(b)) {
        (Some(a), Some(b)) if a.len() == b.len() && a != b => {
            a.chars().zip(b.chars()).filter(|(x, y)| x != y).count() == 1
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn table(text: &str, zero_decimal: bool) -> Option<(String, String, String)> {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        vat_table(&lines, zero_decimal)
            .map(|t| (t.net.to_string(), t.tax.to_string(), t.gross.to_string()))
    }

    #[test]
    fn rows_that_add_up_are_summed() {
        let two_rates = "TOTAL TTC 113,95 €\nTVA Total HT TVA sers\n\
                         A 20% 43,37 8,68 52,05\nB 10% 56,27 5,63 61,90\nEspèces 115,95";
        assert_eq!(
            table(two_rates, false),
            Some(("99.64".into(), "14.31".into(), "113.95".into()))
        );
        let glued = "Moms Netto Moms = Brutto\nA25% 172,44 43,11 215,55";
        assert_eq!(
            table(glued, false),
            Some(("172.44".into(), "43.11".into(), "215.55".into()))
        );
        let yen = "A 10% 2,309 231 2,540\nB 8% 722 58 780";
        assert_eq!(
            table(yen, true),
            Some(("3031".into(), "289".into(), "3320".into()))
        );
    }

    #[test]
    fn a_rate_that_lost_its_percent_sign_still_makes_a_row_when_the_amounts_show_it() {
        let lost = "Net à payer 70,70 €\nTVA Total HT TVA TTC\nA 20 58,92 11,78 70,70\nRendu 10,00";
        assert_eq!(
            table(lost, false),
            Some(("58.92".into(), "11.78".into(), "70.70".into()))
        );
        // Cents whose decimal separator OCR lost, on a row whose rate and sums confirm them.
        let lost = "A21% 640 135 7,75\nB 10% 29,00 2,90 31,90";
        assert_eq!(
            table(lost, false),
            Some(("35.40".into(), "4.25".into(), "39.65".into()))
        );
        // Read so, they would not add up: no row.
        assert_eq!(table("A21% 640 135 9,75", false), None);
        // A number before three amounts that add up but is not their rate: no row.
        assert_eq!(table("A 10 58,92 11,78 70,70", false), None);
        // An item line: a quantity and prices that do not add up.
        assert_eq!(table("2 x 1,90 Pain au chocolat 3,80", false), None);
    }

    #[test]
    fn a_table_the_total_confirms_replaces_a_net_read_from_one_row() {
        let today = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let text = "Brasserie\nTOTAL TTC 113,95 €\nTVA Total HT TVA sers\n\
                    A 20% 43,37 8,68 52,05\nB 10% 56,27 5,63 61,90\nEspèces 115,95\n";
        let s = super::super::suggest::suggest(text, today);
        let (net, tax) = (s.net.unwrap(), s.tax.unwrap());
        assert_eq!(net.value.to_string(), "99.64");
        assert_eq!(tax.value.to_string(), "14.31");
        assert!(net.confidence >= 0.6 && tax.confidence >= 0.6);
        // A total that is not the table's gross: the table does not overrule what was read.
        let text = "Shop\nNet 43,37\nTax 8,68\nTotal 60,00\nA 20% 43,37 8,68 52,05\n";
        let s = super::super::suggest::suggest(text, today);
        assert_eq!(s.total.unwrap().value.to_string(), "60.00");
    }

    #[test]
    fn a_total_one_digit_off_a_table_whose_rows_fit_their_rates_gives_way_to_it() {
        let today = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let text = "スーパー\n合計 ¥839\n消費税 税抜金額 消費税 合計\nA 10% 291 29 320\n\
                    B 8% 472 38 510\nお釣り 1\n";
        let s = super::super::suggest::suggest(text, today);
        let (net, tax, total) = (s.net.unwrap(), s.tax.unwrap(), s.total.unwrap());
        assert_eq!(
            (
                net.value.to_string(),
                tax.value.to_string(),
                total.value.to_string()
            ),
            ("763".into(), "67".into(), "830".into())
        );
        assert!(total.confidence < 0.6 && net.confidence < 0.6);
        // Two digits off: the total read stays.
        let text = "スーパー\n合計 ¥849\nA 10% 291 29 320\nB 8% 472 38 510\n";
        let s = super::super::suggest::suggest(text, today);
        assert_eq!(s.total.unwrap().value.to_string(), "849");
    }

    #[test]
    fn amounts_one_digit_apart() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(one_digit_apart(d("839"), d("830")));
        assert!(one_digit_apart(d("42.54"), d("42.64")));
        assert!(!one_digit_apart(d("42.54"), d("42.54")));
        assert!(!one_digit_apart(d("849"), d("830")));
        assert!(!one_digit_apart(d("1830"), d("830")));
    }

    #[test]
    fn one_row_of_a_table_whose_other_row_was_lost_is_not_sure() {
        let today = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        // Two rates printed; the 7 % row was not read. The row left adds up on its own, which
        // says nothing about the receipt: the total printed apart is kept, net and tax unsure.
        let text = "Markt\nSUMME 48,20 €\nMwSt Netto MwSt Brutto\nA 19% 10,00 1,90 11,90\n\
                    EC-Karte 48,20\n";
        let s = super::super::suggest::suggest(text, today);
        let total = s.total.unwrap();
        assert_eq!(total.value.to_string(), "48.20");
        assert!(s.net.is_none_or(|n| n.confidence < 0.6));
        assert!(s.tax.is_none_or(|t| t.confidence < 0.6));
        assert!(s.tax_rate.is_none_or(|r| r.confidence < 0.6));
        // Nor is the row's rate the receipt's included rate: the header's "Brutto" names a
        // column, so net and tax are not calculated from the total at that rate.
        let text = "Markt\nSUMME 30,30 €\nMwst Netto MwSt Brutto\nA19% 4,96 0,94 5,90\n\
                    EC-Karte 30,30\n";
        let s = super::super::suggest::suggest(text, today);
        assert!(
            s.tax
                .as_ref()
                .is_none_or(|t| t.value != "4.84".parse().unwrap()),
            "{s:?}"
        );
        assert_ne!(s.adds_up(), Some(true), "{s:?}");
        // With no total printed apart, the row is offered, unsure.
        let text = "Markt\nMwSt Netto MwSt Brutto\nA 19% 10,00 1,90 11,90\n";
        let s = super::super::suggest::suggest(text, today);
        assert!(s.total.is_none_or(|t| t.confidence < 0.6));
        assert!(s.net.is_none_or(|n| n.confidence < 0.6));
    }

    #[test]
    fn a_row_whose_rate_was_garbled_counts_beside_a_row_with_a_rate() {
        let garbled = "MWST Netto MWST Brutto\n48.1 10.41 0.84 11.25\nB2.6% 7.89 0.21 8.10";
        assert_eq!(
            table(garbled, false),
            Some(("18.30".into(), "1.05".into(), "19.35".into()))
        );
        // Alone, three amounts that add up are no table: an item line or a payment may.
        assert_eq!(table("48.1 10.41 0.84 11.25", false), None);
        // Beside a row, amounts whose "tax" is no rate of their "net" are not a row.
        let payment = "A 19% 27,35 5,20 32,55\nBar 20,00 30,00 50,00";
        assert_eq!(
            table(payment, false),
            Some(("27.35".into(), "5.20".into(), "32.55".into()))
        );
    }

    #[test]
    fn rows_that_do_not_add_up_or_fit_their_rate_are_no_table() {
        // Net + tax is not the gross.
        assert_eq!(table("A 19% 27,35 5,20 33,55", false), None);
        // Adds up, but 5,20 is not 19 % of 27,35.
        assert_eq!(table("A 7% 27,35 5,20 32,55", false), None);
        // A tax line with two amounts only, and an item line without a rate.
        assert_eq!(table("MwSt 19% 5,20 32,55\n2 x 3,50 7,00", false), None);
    }
}
