//! The words dates on receipts are told apart by: month names, the labels of the date a
//! receipt is issued and of other dates (due, delivery, stay), and due dates.

/// Month names and abbreviations (lower case, without a trailing dot).
pub(super) fn month_number(name: &str) -> Option<u32> {
    #[rustfmt::skip]
    const MONTHS: [&[&str]; 12] = [
        &["jan", "january", "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio",
          "gen", "januari", "jän"],
        &["feb", "february", "februar", "février", "fevrier", "févr", "fevr", "febrero",
          "febbraio", "februari", "feber"],
        &["mar", "march", "märz", "maerz", "mrz", "mars", "marzo", "maart", "mrt", "marts"],
        &["apr", "april", "avril", "avr", "abril", "abr", "aprile"],
        &["may", "mai", "mayo", "maggio", "mag", "mei", "maj"],
        &["jun", "june", "juni", "juin", "junio", "giugno", "giu"],
        &["jul", "july", "juli", "juillet", "juil", "julio", "luglio", "lug"],
        &["aug", "august", "août", "aout", "agosto", "ago", "augustus", "augusti"],
        &["sep", "sept", "september", "septembre", "septiembre", "setiembre", "settembre", "set"],
        &["oct", "october", "oktober", "okt", "octobre", "octubre", "ottobre", "ott"],
        &["nov", "november", "novembre", "noviembre"],
        &["dec", "december", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic",
          "dicembre"],
    ];
    let name = name.trim_end_matches('.').to_lowercase();
    MONTHS
        .iter()
        .position(|names| names.contains(&name.as_str()))
        .and_then(|i| u32::try_from(i + 1).ok())
}

pub(super) const DATE_WORDS: &[&str] = &[
    "date",
    "datum",
    "fecha",
    "data",
    "dated",
    "issued",
    "le",
    "du",
    "rechnungsdatum",
    "belegdatum",
    "invoice date",
    "date de facture",
    "fecha de emisión",
    "date of issue",
];
/// Labels of dates other than the one a receipt is issued on, besides [`DUE_WORDS`]:
/// validity, delivery, stays, birth.
pub(super) const OTHER_DATE_WORDS: &[&str] = &[
    "valid",
    "gültig",
    "expires",
    "expiry",
    "exp",
    "best",
    "mhd",
    "delivery",
    "lieferdatum",
    "leistungsdatum",
    "period",
    "from",
    "until",
    "bis",
    "check-in",
    "check-out",
    "arrival",
    "departure",
    "anreise",
    "abreise",
    "arrivée",
    "départ",
    "birth",
    "geburtsdatum",
];

pub(super) fn has_any_word(lower: &str, words: &[&str]) -> bool {
    words.iter().any(|w| {
        lower.match_indices(w).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + w.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

/// Words of a payment's due date: the date a receipt or invoice is issued is not after it.
pub(super) const DUE_WORDS: &[&str] = &[
    "due",
    "fällig",
    "faellig",
    "zahlbar",
    "échéance",
    "echeance",
    "payable",
    "vencimiento",
    "scadenza",
    "förfallodatum",
    "forfaldsdato",
    "vervaldatum",
];
