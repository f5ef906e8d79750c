//! The supplier: the first line near the top that reads like a business
//! name (not a heading, date, address, phone number or registration).

use super::suggest::Suggestion;

/// How many non-empty lines from the top are considered.
const TOP_LINES: usize = 10;

const HEADINGS: &[&str] = &[
    "receipt",
    "invoice",
    "tax",
    "sales",
    "simplified",
    "rechnung",
    "quittung",
    "kassenbon",
    "kassenbeleg",
    "beleg",
    "bon",
    "facture",
    "reçu",
    "recu",
    "ticket",
    "de",
    "caisse",
    "factura",
    "recibo",
    "ricevuta",
    "scontrino",
    "fattura",
    "fiscale",
    "simplificada",
    "copy",
    "customer",
    "merchant",
    "duplicate",
    "original",
    "welcome",
    "to",
    "willkommen",
    "bienvenue",
    "bienvenido",
    "thank",
    "you",
    "thanks",
    "danke",
    "merci",
    "gracias",
    "order",
    "page",
    "seite",
    "of",
    "von",
    "statement",
    "bill",
    "note",
    "quote",
    "the",
    "a",
    "and",
    "for",
    "your",
    "visit",
    "nr",
    "no",
];
const BUYER_MARKERS: &[&str] = &[
    "bill to",
    "billed to",
    "sold to",
    "ship to",
    "invoice to",
    "customer:",
    "kunde",
    "client :",
    "client:",
    "rechnungsempfänger",
    "destinataire",
    "cliente",
];
const CONTACT_MARKERS: &[&str] = &[
    "tel", "tél", "phone", "fax", "telefon", "mobile", "email", "e-mail", "mail", "web", "www",
    "http", "@", "vat", "ust", "uid", "siret", "siren", "abn", "gst", "hst", "tva", "iva", "nif",
    "cif", "steuer", "reg", "hrb", "rcs", "iban",
];
const STREET_WORDS: &[&str] = &[
    "street",
    "st",
    "road",
    "rd",
    "avenue",
    "ave",
    "av",
    "blvd",
    "boulevard",
    "lane",
    "ln",
    "drive",
    "dr",
    "way",
    "suite",
    "floor",
    "unit",
    "straße",
    "strasse",
    "str",
    "weg",
    "platz",
    "allee",
    "gasse",
    "ring",
    "damm",
    "rue",
    "chemin",
    "place",
    "bd",
    "quai",
    "calle",
    "avda",
    "plaza",
    "via",
    "piazza",
    "corso",
    "po",
    "box",
    "square",
    "sq",
    "high",
];
const LEGAL_SUFFIXES: &[&str] = &[
    "gmbh",
    "ltd",
    "ltd.",
    "limited",
    "inc",
    "inc.",
    "llc",
    "llp",
    "plc",
    "corp",
    "corporation",
    "co.",
    "company",
    "sarl",
    "s.a.r.l.",
    "sas",
    "s.a.s.",
    "sa",
    "s.a.",
    "ag",
    "kg",
    "ohg",
    "ug",
    "e.k.",
    "bv",
    "b.v.",
    "nv",
    "oy",
    "ab",
    "as",
    "a/s",
    "pty",
    "srl",
    "s.r.l.",
    "spa",
    "s.p.a.",
    "s.l.",
    "sl",
    "k.k.",
];

fn tokens(lower: &str) -> Vec<&str> {
    lower
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '(' | ')' | '|' | '*'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn contains_marker(lower: &str, markers: &[&str]) -> bool {
    markers.iter().any(|m| {
        lower.match_indices(m).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + m.len()..].chars().next();
            let word_like = m.chars().all(char::is_alphanumeric);
            !word_like
                || (!before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric))
        })
    })
}

fn looks_like_domain(lower: &str) -> bool {
    const TLDS: &[&str] = &[
        ".com", ".de", ".fr", ".co.uk", ".uk", ".ch", ".net", ".org", ".io", ".es", ".it", ".jp",
        ".ca", ".eu", ".at", ".nl", ".be",
    ];
    TLDS.iter().any(|t| {
        lower.match_indices(t).any(|(i, _)| {
            i > 0
                && !lower[i + t.len()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric)
        })
    })
}

/// The line without a store or branch number ("QUICKFUEL #2231",
/// "Filiale 123"), which says nothing about the name.
fn without_store_number(line: &str) -> String {
    const MARKERS: &[&str] = &[
        "store",
        "filiale",
        "branch",
        "succursale",
        "no.",
        "nr.",
        "n°",
    ];
    let is_number = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit());
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut kept = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w.strip_prefix('#').is_some_and(is_number) {
            i += 1;
        } else if MARKERS.contains(&w.to_lowercase().as_str())
            && words
                .get(i + 1)
                .is_some_and(|n| is_number(n.trim_start_matches('#')))
        {
            i += 2;
        } else {
            kept.push(w);
            i += 1;
        }
    }
    kept.join(" ")
}

/// Why a line is not a supplier name (None: it may be one).
fn rejected(line: &str) -> Option<&'static str> {
    let lower = line.to_lowercase();
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    let digits = line.chars().filter(|c| c.is_ascii_digit()).count();
    let visible = line.chars().filter(|c| !c.is_whitespace()).count();
    if letters < 3 || letters * 10 < visible * 6 {
        return Some("too few letters");
    }
    if line.chars().count() > 60 {
        return Some("too long");
    }
    if digits >= 4 {
        return Some("number, date, postcode or phone");
    }
    if contains_marker(&lower, CONTACT_MARKERS) || looks_like_domain(&lower) {
        return Some("contact or registration");
    }
    let words = tokens(&lower);
    if words.iter().all(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        w.is_empty() || HEADINGS.contains(&w) || w.chars().all(|c| c.is_ascii_digit() || c == '#')
    }) {
        return Some("heading");
    }
    if digits > 0 {
        let street = words.iter().any(|w| {
            STREET_WORDS.contains(&w.trim_end_matches('.'))
                || w.ends_with("str.")
                || w.ends_with("straße")
                || w.ends_with("strasse")
        });
        let starts_with_number = words
            .first()
            .is_some_and(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
        if street || starts_with_number {
            return Some("address");
        }
    }
    None
}

fn clean(line: &str) -> String {
    let trimmed = line.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '*' | '-' | '=' | '#' | ':' | '_' | '~' | '|' | '>' | '<')
    });
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Confidence of a name that shows a sign of being misread: shown, but as unsure.
const UNSURE: f32 = 0.5;

/// Why a name looks misread or cut (OCR fragments, stray symbols), if it does. Names are
/// words: a letter on its own, a doubled letter alone, symbols between words, digits inside
/// words, a lone short word or a long lower-case word among capitalised ones are not.
fn misread_sign(name: &str) -> Option<&'static str> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let symbols = name
        .chars()
        .filter(|c| {
            !c.is_alphanumeric()
                && !c.is_whitespace()
                && !matches!(c, '.' | '&' | '\'' | '-' | ',' | '’')
        })
        .count();
    if symbols > 0 {
        return Some("symbols");
    }
    let mut capitalised = 0usize;
    let mut long_lower = 0usize;
    for word in &words {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        let letters: Vec<char> = bare.chars().filter(|c| c.is_alphabetic()).collect();
        let is_legal = [word.to_lowercase(), bare.to_lowercase()]
            .iter()
            .any(|w| LEGAL_SUFFIXES.contains(&w.as_str()));
        if bare.is_empty() || is_legal {
            continue;
        }
        if bare.chars().any(|c| c.is_ascii_digit()) && !letters.is_empty() {
            return Some("digits inside a word");
        }
        if letters.len() == 1 && !word.ends_with('.') {
            return Some("a letter on its own");
        }
        if letters.len() == 2 && letters[0] == letters[1] {
            return Some("a doubled letter on its own");
        }
        match letters.first() {
            Some(c) if c.is_uppercase() => capitalised += 1,
            Some(_) if letters.len() >= 4 => long_lower += 1,
            _ => {}
        }
    }
    if long_lower > 0 && capitalised > 0 {
        return Some("a lower-case word among capitalised ones");
    }
    if words.len() == 1 && name.chars().filter(|c| c.is_alphabetic()).count() <= 4 {
        return Some("a lone short word");
    }
    None
}

/// A word of a name read with less confidence than this (Tesseract's scale, 0–100) may be
/// misread: a letter taken for a like one ("Warbor" for "Harbor") still reads as a word. Set on
/// the corpus's tuning part: names read right had words of 90 or more, bar two (54 and 72); the
/// one name misread as sure had a word of 84.
const DOUBTFUL_BELOW: f32 = 88.0;

/// Makes a suggested name unsure when OCR read one of its words with little confidence
/// (`words`: the words read, each with Tesseract's confidence). A word OCR did not report as
/// such (a name joined from fragments) leaves the confidence as it is.
pub(crate) fn doubt(supplier: &mut Option<Suggestion<String>>, words: &[(String, f32)]) {
    let Some(s) = supplier else {
        return;
    };
    let bare = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let least = s
        .value
        .split_whitespace()
        .filter_map(|w| {
            let w = bare(w);
            words
                .iter()
                .filter(|(read, _)| bare(read) == w)
                .map(|(_, c)| *c)
                .reduce(f32::max)
        })
        .reduce(f32::min);
    if least.is_some_and(|c| c < DOUBTFUL_BELOW) {
        tracing::trace!(name = %s.value, least, "OCR unsure of a word of the supplier name");
        s.confidence = s.confidence.min(UNSURE);
    }
}

/// Picks the supplier from the top of the text.
pub(crate) fn pick_supplier(lines: &[String]) -> Option<Suggestion<String>> {
    let mut position = 0usize;
    let mut skip_buyer_lines = 0usize;
    for line in lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(TOP_LINES)
    {
        position += 1;
        let lower = line.to_lowercase();
        if contains_marker(&lower, BUYER_MARKERS) {
            skip_buyer_lines = 3;
            continue;
        }
        if skip_buyer_lines > 0 {
            skip_buyer_lines -= 1;
            continue;
        }
        let line = &without_store_number(line);
        if let Some(why) = rejected(line) {
            tracing::trace!(line = %line, why, "not a supplier line");
            continue;
        }
        let name = clean(line);
        if name.chars().filter(|c| c.is_alphabetic()).count() < 3 {
            continue;
        }
        let legal = tokens(&name.to_lowercase())
            .iter()
            .any(|w| LEGAL_SUFFIXES.contains(w));
        let mut confidence: f32 = if position <= 2 { 0.7 } else { 0.5 };
        if legal {
            confidence += 0.2;
        }
        if let Some(why) = misread_sign(&name) {
            tracing::trace!(name = %name, why, "supplier name may be misread");
            confidence = confidence.min(UNSURE);
        }
        return Some(Suggestion {
            value: name,
            confidence: confidence.min(0.9),
            source: line.trim().to_string(),
        });
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn supplier(text: &str) -> Option<String> {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        pick_supplier(&lines).map(|s| s.value)
    }

    #[test]
    fn skips_headings_addresses_and_contacts() {
        let text = "RECEIPT\n*** Blue Plate Diner ***\n1200 Main Street\nAustin, TX 78701\nTel (512) 555-0147";
        assert_eq!(supplier(text).as_deref(), Some("Blue Plate Diner"));
        let text = "Rechnung\n05.03.2024\nCafé Sonnenschein GmbH\nHauptstr. 12\n10115 Berlin";
        assert_eq!(supplier(text).as_deref(), Some("Café Sonnenschein GmbH"));
        let text = "www.example.com\nTel: +41 44 123 45 67\nRestaurant Zum Löwen AG";
        assert_eq!(supplier(text).as_deref(), Some("Restaurant Zum Löwen AG"));
        let text = "TAX INVOICE\nInvoice No. 1234\nBill to:\nJane Doe\nAcme Ltd\n5 Road\nNorthwind Traders";
        assert_eq!(supplier(text).as_deref(), Some("Northwind Traders"));
        let text = "QUICKFUEL #2231\n1800 W Broadway\nLouisville KY 40203";
        assert_eq!(supplier(text).as_deref(), Some("QUICKFUEL"));
        let text = "12 rue de Rivoli\n75004 Paris\nHôtel du Marais";
        assert_eq!(supplier(text).as_deref(), Some("Hôtel du Marais"));
    }

    #[test]
    fn confidence_reflects_position_and_legal_form() {
        let lines = vec!["Sakura Mart".to_string()];
        let s = pick_supplier(&lines).unwrap();
        assert!((s.confidence - 0.7).abs() < 1e-6);
        let lines = vec!["Thames Cabs Ltd".to_string()];
        assert!(pick_supplier(&lines).unwrap().confidence > 0.85);
        assert!(pick_supplier(&["".to_string(), "12".to_string(), "--".to_string()]).is_none());
    }

    #[test]
    fn a_name_that_looks_misread_is_unsure() {
        for misread in [
            "ll a",
            "Tankstelle H",
            "Kaffee Z; Bar",
            "Ca5a Nova",
            "oort",
            "Hotel zentrum Nord",
        ] {
            let s = pick_supplier(&[misread.to_string()]).unwrap();
            assert!(s.confidence < 0.6, "{misread}: {}", s.confidence);
        }
        for name in [
            "Papeterie Meier & Co.",
            "Smørrebrød hos Jensen",
            "Joe's Diner",
            "Müller GmbH",
            "S. Rossi S.p.A.",
        ] {
            let s = pick_supplier(&[name.to_string()]).unwrap();
            assert!(s.confidence >= 0.6, "{name}: {}", s.confidence);
        }
    }

    #[test]
    fn a_name_with_a_word_ocr_was_unsure_of_is_unsure() {
        let read = |words: &[(&str, f32)]| -> Vec<(String, f32)> {
            words.iter().map(|(w, c)| (w.to_string(), *c)).collect()
        };
        let name = || pick_supplier(&["Warbor Crab Shack".to_string()]);
        let mut s = name();
        doubt(
            &mut s,
            &read(&[("Warbor", 84.0), ("Crab", 95.0), ("Shack", 96.0)]),
        );
        assert!(s.unwrap().confidence < 0.6);
        // Every word read with confidence, or seen again elsewhere with confidence: still sure.
        let mut s = name();
        doubt(
            &mut s,
            &read(&[("Warbor", 95.0), ("Crab", 95.0), ("Shack,", 96.0)]),
        );
        assert!(s.unwrap().confidence >= 0.6);
        let mut s = name();
        let words = [
            ("Warbor", 60.0),
            ("Crab", 95.0),
            ("Shack", 96.0),
            ("WARBOR", 97.0),
        ];
        doubt(&mut s, &read(&words));
        assert!(s.unwrap().confidence >= 0.6);
        // Words OCR did not report (no reading of them at all): nothing known, nothing changed.
        let mut s = name();
        doubt(&mut s, &[]);
        assert!((s.unwrap().confidence - 0.7).abs() < 1e-6);
        let mut none = None;
        doubt(&mut none, &read(&[("Warbor", 10.0)]));
        assert!(none.is_none());
    }
}
