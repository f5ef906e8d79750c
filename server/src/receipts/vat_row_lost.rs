//! A VAT table's row whose decimal points OCR lost in every cell ("AW 2077 208 2285" for
//! 20,77 2,08 22,85), under a header too garbled to name its columns. Read as cents, the row
//! adds up; where its gross is also the total read elsewhere and its tax a rate some tax is
//! charged at, it gives the net and tax that were not read, unsure (a decimal point is guessed).

use rust_decimal::Decimal;

use super::agree::plausible_rate;
use super::amount::scan_amounts;
use super::resolve::{Money, UNSURE};
use super::suggest::Suggestion;

/// The last three numbers of a line, each read without decimals, as net, tax and gross in
/// cents, when net + tax = gross exactly.
fn row_in_cents(lower: &str) -> Option<(Decimal, Decimal, Decimal)> {
    let numbers: Vec<Decimal> = scan_amounts(lower)
        .into_iter()
        .filter(|a| !(a.percent || a.glued || a.negative || a.currency))
        .map(|a| (a.decimals == 0).then_some(a.value))
        .collect::<Option<Vec<_>>>()?;
    let [net, tax, gross] = numbers.get(numbers.len().checked_sub(3)?..)? else {
        return None;
    };
    let hundred = Decimal::from(100);
    (*gross >= hundred && *tax > Decimal::ZERO && net.checked_add(*tax)? == *gross)
        .then(|| (*net / hundred, *tax / hundred, *gross / hundred))
}

/// Fills in a net and tax that were not read from such a row, where its gross is the total.
pub(crate) fn apply(money: &mut Money, lines: &[String], zero_decimal: bool) {
    if zero_decimal || (money.net.is_some() && money.tax.is_some()) {
        return;
    }
    let Some(total) = money.total.as_ref() else {
        return;
    };
    let tip = money.tip.as_ref().map_or(Decimal::ZERO, |t| t.value);
    let gross_wanted = total.value - tip;
    let found = lines.iter().find_map(|line| {
        let (net, tax, gross) = row_in_cents(&line.to_lowercase())?;
        (gross == gross_wanted && plausible_rate(net, tax)).then_some((net, tax, line))
    });
    let Some((net, tax, line)) = found else {
        return;
    };
    let source = format!(
        "VAT table row '{}' read without its decimal points: net + tax = the total",
        line.trim()
    );
    let suggestion = |value: Decimal| Suggestion {
        value,
        confidence: UNSURE,
        source: source.clone(),
    };
    money.net.get_or_insert_with(|| suggestion(net));
    money.tax.get_or_insert_with(|| suggestion(tax));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn total(value: &str) -> Money {
        Money {
            total: Some(Suggestion {
                value: value.parse().unwrap(),
                confidence: 0.8,
                source: "Total".into(),
            }),
            ..Money::default()
        }
    }

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn a_row_that_lost_every_decimal_point_gives_net_and_tax_where_it_is_the_total() {
        let text = lines("Toul AUD $22.85\nGst © mulexGST GSbulincGST\nAW 2077 208 2285");
        let mut m = total("22.85");
        apply(&mut m, &text, false);
        assert_eq!(m.net.as_ref().unwrap().value.to_string(), "20.77");
        assert_eq!(m.tax.as_ref().unwrap().value.to_string(), "2.08");
        assert!(m.net.as_ref().unwrap().confidence < 0.6);
    }

    #[test]
    fn a_row_that_is_not_the_total_or_at_no_rate_gives_nothing() {
        // Its gross is not the total; its tax is no rate; it does not add up; a yen receipt.
        for (text, t, zero) in [
            ("AW 2077 208 2285", "22.95", false),
            ("AW 1000 900 1900", "19.00", false),
            ("AW 2077 209 2285", "22.85", false),
            ("AW 2077 208 2285", "2285", true),
        ] {
            let mut m = total(t);
            apply(&mut m, &lines(text), zero);
            assert!(m.net.is_none() && m.tax.is_none(), "{text}: {:?}", m.net);
        }
    }
}
