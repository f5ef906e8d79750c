//! The receipt's currency (ISO 4217) from codes, symbols and country hints.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::date::DateOrder;
use super::suggest::Suggestion;

/// ISO codes recognised when written in capitals as a word.
const CODES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
    "HUF", "INR", "CNY", "RMB", "HKD", "SGD", "ZAR", "MXN", "BRL", "KRW", "RUB", "ILS", "THB",
    "AED", "SAR", "RON", "BGN", "ISK",
];

/// Symbols that name one currency.
const SYMBOLS: &[(&str, &str)] = &[
    ("€", "EUR"),
    ("£", "GBP"),
    ("₹", "INR"),
    ("₩", "KRW"),
    ("₽", "RUB"),
    ("₺", "TRY"),
    ("₪", "ILS"),
    ("฿", "THB"),
    ("₱", "PHP"),
    ("₫", "VND"),
    ("zł", "PLN"),
    ("kč", "CZK"),
    ("円", "JPY"),
];

/// Dollar signs with a country prefix (lower case).
const DOLLARS: &[(&str, &str)] = &[
    ("us$", "USD"),
    ("au$", "AUD"),
    ("a$", "AUD"),
    ("ca$", "CAD"),
    ("c$", "CAD"),
    ("nz$", "NZD"),
    ("hk$", "HKD"),
    ("sg$", "SGD"),
    ("s$", "SGD"),
    ("r$", "BRL"),
    ("mx$", "MXN"),
];

/// Currencies whose amounts are written without minor units.
pub(crate) fn is_zero_decimal(code: &str) -> bool {
    matches!(code, "JPY" | "KRW" | "HUF" | "ISK" | "VND" | "CLP")
}

/// The order of numeric dates in the countries that pay in this currency. Canada writes both
/// day and month first.
pub(crate) fn date_order(code: Option<&str>) -> DateOrder {
    match code {
        Some("USD") => DateOrder::Mdy,
        Some("CAD") => DateOrder::Either,
        Some("SEK" | "JPY" | "CNY" | "KRW" | "HUF") => DateOrder::Ymd,
        _ => DateOrder::Dmy,
    }
}

static CA_POSTCODE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]\d[A-Z] ?\d[A-Z]\d\b").ok());
static US_STATE_ZIP: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|",
        r"NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY),? \d{5}(?:-\d{4})?\b"
    ))
    .ok()
});
/// An Australian state or territory with its four-digit postcode: `WA 6160`, `NSW 2000`.
static AU_STATE_POSTCODE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT) \d{4}\b").ok());
/// The codes of the currencies written with a plain `$`.
const DOLLAR_CODES: &[&str] = &["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"];
static UK_POSTCODE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b").ok());

/// "Fr." or "SFr." written against an amount with cents ("Fr. 86.50", "86.50 Fr."), not a
/// country code such as the `FR` of a French VAT number.
static FRANC_AMOUNT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^\p{L}])s?fr\.?\s*\d[\d'’ ]*[.,]\d{2}\b|\d[.,]\d{2}\s*s?fr\b").ok()
});
/// The Swiss company number (UID), printed next to the VAT number: `CHE-123.456.789`.
static SWISS_UID: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\bCHE[- ]+\d").ok());
/// A Swiss VAT rate (since 2024 and before) printed as a percentage.
static SWISS_RATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d.,])(?:8[.,]1|2[.,]6|3[.,]8|7[.,]7|2[.,]5|3[.,]7) ?%").ok()
});
/// An amount grouped with an apostrophe (`1'462.80`), the Swiss way of writing thousands.
static APOSTROPHE_THOUSANDS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\d['’]\d{3}[.,]\d{2}\b").ok());

/// How many signs of a Swiss receipt the text holds, besides a currency: the Swiss company
/// number, the country's name, a Swiss VAT rate on a tax line, thousands grouped with an
/// apostrophe.
fn swiss_signs(all: &str, lower: &str) -> usize {
    let matches =
        |re: &LazyLock<Option<Regex>>, text: &str| re.as_ref().is_some_and(|r| r.is_match(text));
    let rate_on_tax_line = lower.lines().any(|line| {
        has_word(line, &["mwst", "tva", "iva", "vat", "mehrwertsteuer"])
            && matches(&SWISS_RATE, line)
    });
    [
        matches(&SWISS_UID, all),
        has_word(lower, &["schweiz", "suisse", "svizzera", "switzerland"]),
        rate_on_tax_line,
        matches(&APOSTROPHE_THOUSANDS, all),
    ]
    .into_iter()
    .filter(|&sign| sign)
    .count()
}

fn words(lower: &str) -> impl Iterator<Item = &str> {
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '$' || c == '.' || c == '/'))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
}

fn has_word(lower: &str, wanted: &[&str]) -> bool {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| wanted.contains(&w))
}

fn is_code_at(line: &str, at: usize, len: usize) -> bool {
    let before = line[..at].chars().next_back();
    let after = line[at + len..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Which dollar a plain `$` means, from hints in the whole text. A dollar's own code printed
/// elsewhere on the receipt ("Total AUD $22.85") says it best.
fn resolve_dollar(all: &str, lower: &str) -> (&'static str, f32) {
    let coded: Vec<&'static str> = DOLLAR_CODES
        .iter()
        .copied()
        .filter(|code| {
            all.match_indices(code)
                .any(|(at, _)| is_code_at(all, at, code.len()))
        })
        .collect();
    if let [code] = coded[..] {
        return (code, 0.85);
    }
    if AU_STATE_POSTCODE.as_ref().is_some_and(|r| r.is_match(all)) {
        return ("AUD", 0.7);
    }
    let ca_post = CA_POSTCODE.as_ref().is_some_and(|r| r.is_match(all));
    if ca_post
        || has_word(
            lower,
            &[
                "hst", "pst", "qst", "tps", "tvq", "canada", "ontario", "québec", "quebec",
            ],
        )
    {
        return ("CAD", 0.75);
    }
    if has_word(lower, &["abn", "australia", "nsw", "vic", "qld"]) {
        return ("AUD", 0.75);
    }
    if lower.contains("new zealand") {
        return ("NZD", 0.75);
    }
    if has_word(lower, &["singapore", "uen"]) {
        return ("SGD", 0.75);
    }
    if lower.contains("hong kong") {
        return ("HKD", 0.75);
    }
    if has_word(lower, &["méxico", "mexico", "rfc"]) {
        return ("MXN", 0.7);
    }
    if has_word(lower, &["gst"]) {
        return ("CAD", 0.55);
    }
    ("USD", 0.6)
}

/// Detects the currency of the receipt.
pub(crate) fn detect(lines: &[String]) -> Option<Suggestion<String>> {
    let all = lines.join("\n");
    let lower_all = all.to_lowercase();
    // code → (score, best confidence, first source line)
    let mut evidence: HashMap<&'static str, (f32, f32, usize)> = HashMap::new();
    let mut add = |code: &'static str, confidence: f32, line: usize, weight: f32| {
        let e = evidence.entry(code).or_insert((0.0, 0.0, line));
        e.0 += weight;
        e.1 = e.1.max(confidence);
    };
    // Which dollar a plain `$` means is read off the whole text: once, at the first `$`.
    let mut dollar: Option<(&'static str, f32)> = None;
    for (index, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        let has_amount = line.chars().any(|c| c.is_ascii_digit());
        let weight = if has_amount { 1.5 } else { 1.0 };
        for code in CODES {
            for (at, _) in line.match_indices(code) {
                if is_code_at(line, at, code.len()) {
                    let code = if *code == "RMB" { "CNY" } else { code };
                    add(code, 0.95, index, weight + 0.5);
                }
            }
        }
        for (symbol, code) in SYMBOLS {
            let n = lower.matches(symbol).count();
            if n > 0 {
                add(code, 0.9, index, weight * n as f32);
            }
        }
        if line.contains('¥') || line.contains('￥') {
            let chinese = has_word(&lower_all, &["rmb", "cny"]) || all.contains('元');
            add(if chinese { "CNY" } else { "JPY" }, 0.85, index, weight);
        }
        let mut plain_dollars = lower.matches('$').count();
        for word in words(&lower) {
            if let Some((_, code)) = DOLLARS.iter().find(|(p, _)| word.starts_with(p)) {
                add(code, 0.9, index, weight);
                plain_dollars = plain_dollars.saturating_sub(1);
            }
            match word {
                // "Fr" alone is also an OCR fragment or a French abbreviation: a weak sign.
                "fr" if FRANC_AMOUNT.as_ref().is_some_and(|r| r.is_match(line)) => {
                    add("CHF", 0.55, index, weight)
                }
                "sfr" if has_amount => add("CHF", 0.85, index, weight),
                "kr" if has_amount => {
                    let code = if has_word(&lower_all, &["mva", "norge"]) {
                        "NOK"
                    } else if has_word(&lower_all, &["cvr", "danmark"])
                        || super::ocr_language::language_of(&all) == Some("dan")
                    {
                        "DKK"
                    } else {
                        "SEK"
                    };
                    add(code, 0.5, index, weight * 0.5);
                }
                "rs" if has_amount => add("INR", 0.7, index, weight * 0.5),
                _ => {}
            }
        }
        if plain_dollars > 0 {
            let (code, confidence) =
                *dollar.get_or_insert_with(|| resolve_dollar(&all, &lower_all));
            add(code, confidence, index, weight * 0.8 * plain_dollars as f32);
        }
    }
    let best = evidence
        .into_iter()
        .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(b.1 .2.cmp(&a.1 .2)));
    if let Some((code, (_, confidence, line))) = best {
        return Some(Suggestion {
            value: code.to_string(),
            confidence,
            source: lines
                .get(line)
                .map(|l| l.trim().to_string())
                .unwrap_or_default(),
        });
    }
    // No sign at all: a weak guess from the address or the tax labels.
    let matches = |re: &LazyLock<Option<Regex>>| re.as_ref().is_some_and(|r| r.is_match(&all));
    let fallback = if matches(&US_STATE_ZIP) {
        Some(("USD", 0.45, "United States address"))
    } else if matches(&CA_POSTCODE) {
        Some(("CAD", 0.45, "Canadian address"))
    } else if has_word(&lower_all, &["vat"]) && matches(&UK_POSTCODE) {
        Some(("GBP", 0.4, "United Kingdom address"))
    } else if swiss_signs(&all, &lower_all) > 0 {
        Some((
            "CHF",
            0.45,
            "Swiss company number, VAT rate or number style",
        ))
    } else if has_word(
        &lower_all,
        &["mwst", "ust", "tva", "iva", "btw", "umsatzsteuer"],
    ) {
        Some(("EUR", 0.3, "language of the tax labels"))
    } else {
        None
    };
    fallback.map(|(code, confidence, why)| Suggestion {
        value: code.to_string(),
        confidence,
        source: why.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<String> {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        detect(&lines).map(|s| s.value)
    }

    #[test]
    fn symbols_codes_and_hints() {
        assert_eq!(code("Total 23,80 €").as_deref(), Some("EUR"));
        assert_eq!(code("Summe EUR 23,80").as_deref(), Some("EUR"));
        assert_eq!(code("Total £21.60").as_deref(), Some("GBP"));
        assert_eq!(code("Total $50.05").as_deref(), Some("USD"));
        assert_eq!(
            code("HST 13% $195.00\nTotal $1,695.00").as_deref(),
            Some("CAD")
        );
        assert_eq!(
            code("Toronto ON M5V 2T6\nTotal $134.40").as_deref(),
            Some("CAD")
        );
        assert_eq!(code("Total A$45.00").as_deref(), Some("AUD"));
        assert_eq!(code("Total $45.00 CAD").as_deref(), Some("CAD"));
        assert_eq!(code("Total CHF 86.50").as_deref(), Some("CHF"));
        assert_eq!(code("Total Fr. 86.50").as_deref(), Some("CHF"));
        assert_eq!(code("Total ¥1,980").as_deref(), Some("JPY"));
        assert_eq!(code("合計 1,980円").as_deref(), Some("JPY"));
        assert_eq!(code("Total ₹1,250.00").as_deref(), Some("INR"));
        assert_eq!(code("Summa 120,00 kr\nMoms 24,00").as_deref(), Some("SEK"));
        assert_eq!(code("Totalt 120,00 kr\nMVA 25%").as_deref(), Some("NOK"));
        // Krone of a receipt whose words are Danish, with no company number or country named.
        assert_eq!(
            code("Boghandel\nI alt 120,00 kr\nHeraf moms 24,00\nTak for besøget").as_deref(),
            Some("DKK")
        );
        assert_eq!(
            code("Bokhandel\nSumma 120,00 kr\nMoms 24,00\nTack för besöket").as_deref(),
            Some("SEK")
        );
        assert_eq!(code("MwSt 19% 3,80\nSumme 23,80").as_deref(), Some("EUR"));
        assert_eq!(code("Coffee 3.50"), None);
        assert_eq!(
            code("Austin, TX 78701\nTotal 35.18").as_deref(),
            Some("USD")
        );
        assert_eq!(
            code("London WC2A 1LS\nVAT 3.00\nTotal 18.00").as_deref(),
            Some("GBP")
        );
        assert_eq!(code("Euro-Pallet"), None);
    }

    #[test]
    fn a_french_vat_number_is_no_franc_and_swiss_signs_tell_francs_from_euros() {
        // "FR" followed by digits is a French VAT number; the euro sign decides.
        assert_eq!(
            code("N° TVA FR 80363492\nTotal 8,60 €").as_deref(),
            Some("EUR")
        );
        assert_eq!(code("Total 86.50 Fr.").as_deref(), Some("CHF"));
        // No currency printed: the Swiss company number, a Swiss rate or the apostrophe decide.
        assert_eq!(
            code("MWST-Nr. CHE-252.878.46\nGesamttotal 177.00").as_deref(),
            Some("CHF")
        );
        assert_eq!(
            code("Gesamttotal 177.00\ninkl. 8.1% MWST").as_deref(),
            Some("CHF")
        );
        assert_eq!(
            code("Netto 4'252.70\nGesamt 4'597.17").as_deref(),
            Some("CHF")
        );
        assert_eq!(code("Summe 23,80\nMwSt 19% 3,80").as_deref(), Some("EUR"));
        // A rate that only looks Swiss outside a tax line is no sign.
        assert_eq!(code("Rabatt 2.5%\nMwSt 19% 3,80").as_deref(), Some("EUR"));
    }

    #[test]
    fn a_plain_dollar_is_the_dollar_whose_code_or_country_is_printed() {
        // GST alone would say Canada; the code printed on the total line says which dollar.
        let text = "GST incl\nItem $ 10.70\nTotal AUD $22.85\nEFTPOS $22.85";
        assert_eq!(code(text).as_deref(), Some("AUD"));
        // An Australian state with its four-digit postcode.
        let text = "2 Mews Rd\nFremantle WA 6160\nGST 2.08\nTotal $22.85";
        assert_eq!(code(text).as_deref(), Some("AUD"));
        // A Washington address has a five-digit ZIP code.
        let text = "Seattle, WA 98101\nTotal $22.85";
        assert_eq!(code(text).as_deref(), Some("USD"));
        // Two dollars' codes: the plain ones are told from the other hints.
        let text = "1 USD = 1.37 CAD\nHST $1.30\nTotal $11.30";
        assert_eq!(code(text).as_deref(), Some("CAD"));
    }

    #[test]
    fn code_beats_a_stray_symbol() {
        let text = "Rate: 1 USD = 0.92 EUR\nTotal USD 12.00\nPaid USD 12.00";
        assert_eq!(code(text).as_deref(), Some("USD"));
    }
}
