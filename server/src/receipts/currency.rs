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
pub(crate) const DOLLAR_CODES: &[&str] = &["USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"];
/// A United Kingdom VAT registration number beside its label (`VAT Reg No. GB 913 2239 92`).
static UK_VAT_NUMBER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bvat\b[^\n]{0,24}\bGB ?\d{3}").ok());
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
    // On the tax line itself, or on a row under a VAT table's header ("MWST Netto Brutto").
    let tax_words = ["mwst", "tva", "iva", "vat", "mehrwertsteuer"];
    let lines: Vec<&str> = lower.lines().collect();
    let rate_on_tax_line = lines.iter().enumerate().any(|(i, line)| {
        let above = i.checked_sub(1).and_then(|a| lines.get(a)).copied();
        matches(&SWISS_RATE, line)
            && (has_word(line, &tax_words) || above.is_some_and(|a| has_word(a, &tax_words)))
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
/// elsewhere on the receipt ("Total AUD $22.85") says it best; then an address (a state with its
/// postcode, a Canadian postcode) or a word that names a country or its taxes. Hints that name
/// different countries ("Vic's Diner, Austin, TX 78701") leave the strongest unsure.
fn resolve_dollar(all: &str, lower: &str) -> (&'static str, f32) {
    let matches = |re: &LazyLock<Option<Regex>>| re.as_ref().is_some_and(|r| r.is_match(all));
    let coded: Vec<&'static str> = DOLLAR_CODES
        .iter()
        .copied()
        .filter(|code| {
            all.match_indices(code)
                .any(|(at, _)| is_code_at(all, at, code.len()))
        })
        .collect();
    let mut hints: Vec<(&'static str, f32)> = Vec::new();
    if let [code] = coded[..] {
        hints.push((code, 0.85));
    }
    if matches(&AU_STATE_POSTCODE) {
        hints.push(("AUD", 0.7));
    }
    if matches(&CA_POSTCODE) || has_word(lower, CANADIAN_WORDS) {
        hints.push(("CAD", 0.75));
    }
    if matches(&US_STATE_ZIP) {
        hints.push(("USD", 0.7));
    }
    if has_word(lower, &["abn", "australia", "nsw", "vic", "qld"]) {
        hints.push(("AUD", 0.75));
    }
    if lower.contains("new zealand") {
        hints.push(("NZD", 0.75));
    }
    if has_word(lower, &["singapore", "uen"]) {
        hints.push(("SGD", 0.75));
    }
    if lower.contains("hong kong") {
        hints.push(("HKD", 0.75));
    }
    if has_word(lower, &["méxico", "mexico", "rfc"]) {
        hints.push(("MXN", 0.7));
    }
    let Some(&(code, confidence)) = hints.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
        return if has_word(lower, &["gst"]) {
            ("CAD", 0.55)
        } else if has_word(lower, &["vat", "mwst", "tva", "iva", "moms", "btw"]) {
            // No dollar country levies a VAT: the `$` is likely another sign misread.
            ("USD", 0.45)
        } else {
            ("USD", 0.6)
        };
    };
    if hints.iter().any(|(other, _)| *other != code) {
        (code, confidence.min(0.5))
    } else {
        (code, confidence)
    }
}

/// Words of Canadian receipts: the country, provinces and the names of its sales taxes.
const CANADIAN_WORDS: &[&str] = &[
    "hst", "pst", "qst", "tps", "tvq", "canada", "ontario", "québec", "quebec",
];

/// The most a currency is sure of beside strong signs of another.
const RIVALLED: f32 = 0.5;

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
        // A sign beside the total says most: elsewhere a sign may be a letter misread
        // ("Super E10" read "Super £10").
        let on_total = has_amount
            && super::keywords::label_hits(&lower)
                .iter()
                .any(|h| h.role == super::keywords::Role::Total);
        let weight = match (has_amount, on_total) {
            (_, true) => 3.0,
            (true, false) => 1.5,
            (false, _) => 1.0,
        };
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
        if UK_VAT_NUMBER.as_ref().is_some_and(|r| r.is_match(line)) {
            // A business registered for VAT in the United Kingdom, most likely paid in pounds;
            // a weak sign beside a currency printed.
            add("GBP", 0.55, index, 1.5);
        }
        if plain_dollars > 0 {
            let (code, confidence) =
                *dollar.get_or_insert_with(|| resolve_dollar(&all, &lower_all));
            add(code, confidence, index, weight * 0.8 * plain_dollars as f32);
        }
    }
    let mut ranked: Vec<(&'static str, (f32, f32, usize))> = evidence.into_iter().collect();
    ranked.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0).then(a.1 .2.cmp(&b.1 .2)));
    if let Some(&(code, (score, confidence, line))) = ranked.first() {
        // Signs of another currency half as strong or more: one of them is misread, and which
        // is not sure.
        let rival = ranked.get(1).is_some_and(|r| r.1 .0 * 2.0 >= score);
        return Some(Suggestion {
            value: code.to_string(),
            confidence: if rival {
                confidence.min(RIVALLED)
            } else {
                confidence
            },
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
#[path = "currency_tests.rs"]
mod tests;
