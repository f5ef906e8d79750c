//! Whether amounts agree with each other and with a printed tax rate.

use rust_decimal::Decimal;

/// The smallest step of an amount: a cent, or one unit in a currency without minor units.
pub(crate) fn unit(zero_decimal: bool) -> Decimal {
    Decimal::new(1, if zero_decimal { 0 } else { 2 })
}

/// Whether `parts` sum to `total` within the smallest step of the currency.
pub(crate) fn sums_to(parts: &[Decimal], total: Decimal, zero_decimal: bool) -> bool {
    let sum = parts
        .iter()
        .fold(Decimal::ZERO, |acc, p| acc.saturating_add(*p));
    sum.checked_sub(total)
        .is_some_and(|gap| gap.abs() <= unit(zero_decimal))
}

/// Whether `tax` is `rate` percent of `net`, within two rounding steps or half a percent of the
/// tax (taxes rounded line by line drift a little).
pub(crate) fn fits_rate(net: Decimal, tax: Decimal, rate: Decimal, zero_decimal: bool) -> bool {
    if net <= Decimal::ZERO || tax < Decimal::ZERO {
        return false;
    }
    let Some(expected) = net
        .checked_mul(rate)
        .and_then(|x| x.checked_div(Decimal::from(100)))
    else {
        return false;
    };
    let slack = (unit(zero_decimal) * Decimal::from(2)).max(tax / Decimal::from(200));
    (expected - tax).abs() <= slack
}

/// Lowest and highest rate a tax on goods and services is found at, in percent (a tax below or
/// above these is more likely a misread than a rate).
const LOWEST_RATE: i64 = 1;
const HIGHEST_RATE: i64 = 30;

/// Whether `tax` on `net` is a rate some tax is charged at (no tax at all counts as one).
pub(crate) fn plausible_rate(net: Decimal, tax: Decimal) -> bool {
    if tax == Decimal::ZERO {
        return true;
    }
    if net <= Decimal::ZERO || tax < Decimal::ZERO {
        return false;
    }
    let percent = tax
        .checked_mul(Decimal::from(100))
        .and_then(|x| x.checked_div(net));
    percent.is_some_and(|p| p >= Decimal::from(LOWEST_RATE) && p <= Decimal::from(HIGHEST_RATE))
}

/// The tax included in `gross` at `rate` percent: gross × rate / (100 + rate), unrounded.
pub(crate) fn included_tax(gross: Decimal, rate: Decimal) -> Option<Decimal> {
    gross
        .checked_mul(rate)?
        .checked_div(Decimal::from(100).checked_add(rate)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn a_tax_fits_its_rate_within_rounding() {
        assert!(fits_rate(d("100.00"), d("19.00"), d("19"), false));
        assert!(fits_rate(d("27.35"), d("5.20"), d("19"), false));
        assert!(!fits_rate(d("27.35"), d("6.20"), d("19"), false));
        assert!(!fits_rate(d("5.20"), d("27.35"), d("19"), false));
        assert!(fits_rate(d("1800"), d("180"), d("10"), true));
    }

    #[test]
    fn rates_outside_usual_taxes_are_implausible() {
        assert!(plausible_rate(d("100.00"), d("20.00")));
        assert!(plausible_rate(d("100.00"), d("0")));
        assert!(!plausible_rate(d("121.20"), d("0.71")));
        assert!(!plausible_rate(d("6.00"), d("28.60")));
    }

    #[test]
    fn included_tax_is_the_rate_on_the_net() {
        let tax = included_tax(d("119.00"), d("19")).unwrap();
        assert_eq!(tax.round_dp(2), d("19.00"));
        let tax = included_tax(d("177.00"), d("8.1")).unwrap();
        assert_eq!(tax.round_dp(2), d("13.26"));
    }
}
