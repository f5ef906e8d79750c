//! Telling a receipt's language from the words an English reading found, so it can be read
//! again with that language's model.

/// Words that tell a receipt's language (lower case; each counts once), read even through an
/// English-only reading: labels, thanks, months, legal forms.
#[rustfmt::skip]
const LANGUAGE_WORDS: &[(&str, &[&str])] = &[
    ("eng", &["subtotal", "sub-total", "thank", "thanks", "change", "receipt", "gratuity", "tip",
              "due", "tendered", "ltd", "inc", "llc", "january", "february", "march", "june",
              "july", "october", "december", "sales", "qty", "item", "items", "amount"]),
    ("deu", &["summe", "mwst", "betrag", "gesamt", "rechnung", "datum", "netto", "brutto",
              "quittung", "danke", "kasse", "ust", "steuer", "inkl", "zwischensumme", "gmbh",
              "januar", "februar", "märz", "mai", "juni", "juli", "oktober", "dezember", "uhr",
              "bar", "rückgeld", "gegeben", "beleg", "vielen", "dank", "ohg", "kg", "str"]),
    ("fra", &["tva", "ttc", "ht", "merci", "facture", "montant", "espèces", "especes", "janvier",
              "février", "fevrier", "mars", "avril", "juin", "juillet", "août", "aout",
              "décembre", "decembre", "sarl", "rue", "addition", "payer", "total ttc", "sas",
              "reçu", "recu", "ticket", "carte", "bancaire"]),
    ("ita", &["iva", "totale", "scontrino", "grazie", "contanti", "importo", "gennaio",
              "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "settembre",
              "ottobre", "dicembre", "srl", "via", "documento", "commerciale", "imponibile",
              "assolta", "resto", "pagamento"]),
    ("spa", &["importe", "gracias", "factura", "efectivo", "imponible", "enero", "febrero",
              "abril", "mayo", "junio", "julio", "septiembre", "octubre", "noviembre",
              "diciembre", "calle", "pagar", "cambio", "tarjeta", "sl", "s.l.", "incluido"]),
    ("nld", &["btw", "totaal", "bedankt", "kassabon", "betalen", "januari", "februari", "maart",
              "mei", "augustus", "bv", "b.v.", "straat", "pin", "bedrag", "wisselgeld", "incl",
              "dank", "u"]),
    ("swe", &["moms", "summa", "betala", "tack", "kvitto", "kontant", "maj", "augusti", "ab",
              "totalt", "varav", "kort", "att", "exkl", "kronor"]),
    ("dan", &["moms", "alt", "tak", "kvittering", "beløb", "belob", "kontant", "marts", "maj",
              "aps", "a/s", "ialt", "betalt", "dankort", "kr"]),
];

/// The language whose telling words the text holds most, when it leads clearly.
pub(crate) fn language_of(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    let words: std::collections::HashSet<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '.' || c == '-'))
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut scores: Vec<(usize, &'static str)> = LANGUAGE_WORDS
        .iter()
        .map(|(lang, telling)| (telling.iter().filter(|w| words.contains(*w)).count(), *lang))
        .collect();
    scores.sort_by_key(|s| std::cmp::Reverse(s.0));
    match scores.as_slice() {
        [(best, lang), (next, _), ..] if *best >= 2 && *best > *next => Some(lang),
        _ => None,
    }
}
