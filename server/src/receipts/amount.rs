//! Finding and parsing money amounts in a line of receipt text:
//! `23.80`, `23,80`, `1.234,56`, `1,234.56`, `1 234,56`, `1'234.50`, `¥1,980`.

use std::str::FromStr;

use rust_decimal::Decimal;

/// A number found in a line (byte offsets refer to the line searched).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Amount {
    pub value: Decimal,
    /// Digits after the decimal separator (0 for whole numbers).
    pub decimals: u32,
    pub start: usize,
    pub end: usize,
    /// Followed by `%`: a tax rate, not money.
    pub percent: bool,
    /// Written with a minus sign (discounts, refunds).
    pub negative: bool,
    /// Directly preceded by a letter, as in IDs (`GB123456789`).
    pub glued: bool,
    /// A currency symbol or code stands right before or after it.
    pub currency: bool,
}

impl Amount {
    /// A bare whole number of three to six digits (no currency sign, no rate, no minus) read
    /// as cents whose decimal separator OCR lost: `354` as 3.54. Longer numbers are IDs (a VAT
    /// number after "P.IVA"). Only for currencies with cents, and only ever offered as read
    /// without decimals.
    pub fn as_lost_cents(&self) -> Option<Decimal> {
        let bare = self.decimals == 0 && !self.currency && !self.percent;
        let digits = Decimal::ONE_HUNDRED..Decimal::from(1_000_000);
        (bare && !self.glued && !self.negative && digits.contains(&self.value))
            .then(|| self.value / Decimal::ONE_HUNDRED)
    }

    /// Whether the number reads as an amount of money. Whole numbers count
    /// only next to a currency sign or in a currency without minor units.
    pub fn is_money(&self, zero_decimal_currency: bool) -> bool {
        if self.percent || self.glued || self.negative {
            return false;
        }
        match self.decimals {
            2 => true,
            0 => self.currency || zero_decimal_currency,
            1 => self.currency,
            _ => false,
        }
    }
}

/// Currency signs and codes that may stand next to an amount (lower case,
/// since lines are searched in lower case).
const CURRENCY_MARKS: &[&str] = &[
    "€", "£", "$", "¥", "￥", "円", "₹", "₩", "₽", "₺", "₪", "฿", "₱", "₫", "zł", "kč", "eur",
    "usd", "gbp", "chf", "jpy", "cad", "aud", "nzd", "sek", "nok", "dkk", "pln", "czk", "huf",
    "inr", "cny", "rmb", "hkd", "sgd", "zar", "mxn", "brl", "krw", "fr.", "sfr.", "kr.", "kr",
    "rs.", "rs", "ft", "eu",
];

fn is_currency_word(word: &str) -> bool {
    CURRENCY_MARKS.contains(&word)
}

fn ends_with_currency(before: &str) -> bool {
    let t = before.trim_end();
    CURRENCY_MARKS.iter().any(|m| {
        t.ends_with(m) && {
            // A letter code must be a whole word ("eur", not "teur").
            let rest = &t[..t.len() - m.len()];
            !m.chars().all(char::is_alphabetic)
                || !rest.chars().next_back().is_some_and(char::is_alphanumeric)
        }
    })
}

fn starts_with_currency(after: &str) -> bool {
    let t = after.trim_start();
    CURRENCY_MARKS.iter().any(|m| {
        t.starts_with(m) && {
            let rest = &t[m.len()..];
            !m.chars().all(char::is_alphabetic)
                || !rest.chars().next().is_some_and(char::is_alphanumeric)
        }
    })
}

/// Longest integer part accepted as an amount.
const MAX_INTEGER_DIGITS: usize = 15;

/// Parses one number token. Returns the value and the count of decimals.
pub(crate) fn parse_number(raw: &str) -> Option<(Decimal, u32)> {
    let groups: Vec<&str> = raw.split(|c: char| !c.is_ascii_digit()).collect();
    let seps: Vec<char> = raw.chars().filter(|c| !c.is_ascii_digit()).collect();
    if groups.iter().any(|g| g.is_empty()) || raw.len() > 40 {
        return None;
    }
    let Some(&last) = seps.last() else {
        return Decimal::from_str(raw).ok().map(|d| (d, 0));
    };
    let tail = groups.last()?;
    let first = groups.first()?;
    let decimal_sep = matches!(last, '.' | ',')
        && (tail.len() <= 2 || (tail.len() == 3 && seps.len() == 1 && *first == "0"));
    let (int_groups, frac, thousands) = if decimal_sep {
        (
            &groups[..groups.len() - 1],
            Some(*tail),
            &seps[..seps.len() - 1],
        )
    } else if tail.len() == 3 {
        (&groups[..], None, &seps[..])
    } else {
        return None;
    };
    if let Some(&t) = thousands.first() {
        let consistent = thousands.iter().all(|&c| c == t);
        let grouped = first.len() <= 3 && int_groups.iter().skip(1).all(|g| g.len() == 3);
        if !consistent || !grouped || (decimal_sep && t == last) {
            return None;
        }
    }
    let digits: String = int_groups.concat();
    // No receipt reaches a quadrillion; this also keeps sums far from
    // Decimal's range limit.
    if digits.trim_start_matches('0').len() > MAX_INTEGER_DIGITS {
        return None;
    }
    let text = match frac {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let decimals = frac.map_or(0, |f| f.len() as u32);
    Decimal::from_str(&text).ok().map(|d| (d, decimals))
}

/// A rate followed by one number and nothing else numeric ("19% 6,81", "(AR 10%) 236"): the
/// two, when `amounts` (one line's) are exactly that.
pub(crate) fn rate_then_number(amounts: &[Amount]) -> Option<(&Amount, &Amount)> {
    match amounts {
        [rate, number] if rate.percent && !number.percent && rate.end <= number.start => {
            Some((rate, number))
        }
        _ => None,
    }
}

/// All numbers in `line` (which should already be in lower case).
pub(crate) fn scan_amounts(line: &str) -> Vec<Amount> {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let digit_at = |k: usize| chars.get(k).is_some_and(|(_, c)| c.is_ascii_digit());
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !digit_at(i) || (i > 0 && digit_at(i - 1)) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut group_len = 0usize;
        let mut has_point_or_comma = false;
        let mut only_spaces = true;
        let mut first_space: Option<usize> = None;
        while let Some(&(_, ch)) = chars.get(j) {
            if ch.is_ascii_digit() {
                group_len += 1;
                j += 1;
            } else if matches!(ch, '.' | ',' | '\'' | '’') && digit_at(j + 1) {
                has_point_or_comma |= matches!(ch, '.' | ',');
                only_spaces &= !has_point_or_comma;
                group_len = 0;
                j += 1;
            } else if ch == ' '
                && !has_point_or_comma
                && only_spaces
                && group_len <= 3
                && (1..=3).all(|k| digit_at(j + k))
                && !digit_at(j + 4)
            {
                first_space.get_or_insert(j);
                group_len = 0;
                j += 1;
            } else {
                break;
            }
        }
        let start = chars[i].0;
        let mut end = chars.get(j).map_or(line.len(), |(b, _)| *b);
        let mut parsed = parse_number(&line[start..end]);
        // Spaces group thousands only in an amount with decimals; otherwise
        // they separate columns ("2 500" is two numbers).
        if let Some(space) = first_space {
            if parsed.as_ref().is_none_or(|(_, d)| *d == 0) {
                j = space;
                end = chars[space].0;
                parsed = parse_number(&line[start..end]);
            }
        }
        let Some((value, decimals)) = parsed else {
            i = j.max(i + 1);
            continue;
        };
        let before = &line[..start];
        let after = &line[end..];
        let prev = before.chars().next_back();
        let word_before: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphabetic())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let glued = prev.is_some_and(char::is_alphabetic) && !is_currency_word(&word_before);
        let before_sign = before.trim_end_matches(|c: char| "€£$¥ ".contains(c));
        let leading_minus = before_sign
            .strip_suffix(['-', '−'])
            .is_some_and(|rest| !rest.chars().next_back().is_some_and(char::is_alphanumeric));
        let trailing_minus = after
            .strip_prefix('-')
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()));
        let negative = leading_minus || trailing_minus;
        let percent = after.trim_start().starts_with('%');
        out.push(Amount {
            value,
            decimals,
            start,
            end,
            percent,
            negative,
            glued,
            currency: ends_with_currency(before) || starts_with_currency(after),
        });
        i = j.max(i + 1);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn num(s: &str) -> Option<String> {
        parse_number(s).map(|(d, _)| d.to_string())
    }

    #[test]
    fn parses_common_notations() {
        assert_eq!(num("23.80").as_deref(), Some("23.80"));
        assert_eq!(num("23,80").as_deref(), Some("23.80"));
        assert_eq!(num("1.234,56").as_deref(), Some("1234.56"));
        assert_eq!(num("1,234.56").as_deref(), Some("1234.56"));
        assert_eq!(num("1,234,567.89").as_deref(), Some("1234567.89"));
        assert_eq!(num("1'234.50").as_deref(), Some("1234.50"));
        assert_eq!(num("1,980").as_deref(), Some("1980"));
        assert_eq!(num("1.980").as_deref(), Some("1980"));
        assert_eq!(num("0.500").as_deref(), Some("0.500"));
        assert_eq!(num("12,5").as_deref(), Some("12.5"));
        assert_eq!(num("42").as_deref(), Some("42"));
        assert_eq!(num("1.234.56"), None);
        assert_eq!(num("12.3456"), None);
        assert_eq!(num("1,23,45"), None);
        assert_eq!(num("05.03.2024"), None);
    }

    #[test]
    fn scans_amounts_with_context() {
        let a = scan_amounts("summe eur 1.320,98");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].value.to_string(), "1320.98");
        assert!(a[0].currency && a[0].is_money(false));

        let a = scan_amounts("mwst 19% 3,80");
        assert!(a[0].percent && !a[0].is_money(false));
        assert_eq!(a[1].value.to_string(), "3.80");

        let a = scan_amounts("total ttc 1 234,56 €");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].value.to_string(), "1234.56");

        let a = scan_amounts("2 500");
        assert_eq!(a.len(), 2);

        let a = scan_amounts("total ¥1,980");
        assert_eq!(a[0].value.to_string(), "1980");
        assert!(a[0].currency && a[0].is_money(false));

        let a = scan_amounts("vat no gb123456789");
        assert!(a[0].glued && !a[0].is_money(false));

        let a = scan_amounts("discount -2.00");
        assert!(a[0].negative);
        let a = scan_amounts("rabatt 2,00-");
        assert!(a[0].negative);

        let a = scan_amounts("date 2024-03-05 12:30");
        assert!(a.iter().all(|x| !x.is_money(false)));
        let a = scan_amounts("tva 5,5 % 0,65");
        assert!(a[0].percent);
        assert_eq!(a[1].value.to_string(), "0.65");
    }

    #[test]
    fn never_panics() {
        let samples = [
            "",
            "1",
            ",",
            "1,",
            ",1",
            "1..2",
            "€€1",
            "1 2 3 4 5",
            "9'9'9",
            "−1",
            "1-",
            "%",
            "１２３",
            "1’000.00",
            "99999999999999999999999999999999999.99",
        ];
        for s in samples {
            let _ = scan_amounts(s);
        }
    }
}
