//! Labels that tell what an amount on a receipt line is, in English, German, French, Spanish,
//! Italian, Dutch, the Scandinavian languages and Japanese.

use super::cjk::is_cjk;

/// What a labelled amount is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Total,
    Net,
    Tax,
    /// Cash given, change, card payment, discount: not a receipt total.
    Payment,
    /// A tip, gratuity or service charge added on top of net and tax.
    Tip,
    /// Registration numbers, invoice numbers, phone numbers: ignore the line.
    Id,
}

/// One label found in a line (byte offsets in the lower-case line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub role: Role,
    pub confidence: f32,
}

const STRONG_TOTAL: f32 = 0.9;
const WEAK_TOTAL: f32 = 0.75;
const NET: f32 = 0.85;
const TAX: f32 = 0.85;

/// Labels by role (lower case). Multi-word labels win over single words.
#[rustfmt::skip]
const TABLE: &[(&[&str], Role, f32)] = &[
    (&[
        "total due", "amount due", "balance due", "grand total", "total to pay", "total amount",
        "amount payable", "total payable", "invoice total", "total ttc", "montant ttc",
        "net à payer", "net a payer", "à payer", "total à payer", "gesamtbetrag", "gesamtsumme",
        "rechnungsbetrag", "gesamttotal", "endbetrag", "endsumme", "zu zahlen", "zahlbetrag", "bruttobetrag",
        "summe brutto", "brutto", "importe total", "total a pagar", "total factura",
        "totale da pagare", "totale complessivo", "te betalen", "totaalbedrag", "合計", "お会計",
        "お支払金額", "お支払い金額", "ご請求金額", "請求金額", "合計金額", "税込合計",
        "att betala", "summa att betala", "at betale", "å betale", "i alt", "totalt att betala",
    ], Role::Total, STRONG_TOTAL),
    (&[
        "total", "totale", "totaal", "summe", "gesamt", "betrag", "importe", "montant", "sum",
        "amount", "ttc", "gross", "total général", "total general", "saldo", "totalt", "summa",
        "totalsum",
    ], Role::Total, WEAK_TOTAL),
    (&[
        "subtotal", "sub-total", "sub total", "net", "netto", "nettobetrag", "nettosumme",
        "summe netto", "zwischensumme", "ht", "h.t.", "total ht", "montant ht", "hors taxes",
        "hors taxe", "sous-total", "sous total", "base imponible", "base", "imponibile", "excl",
        "excl.", "exkl", "exkl.", "excluding", "before tax", "pre-tax", "subtotaal", "net amount",
        "net total", "warenwert", "ex gst", "ex. gst", "ex vat", "ex. vat", "ex tax", "小計",
        "税抜金額", "税抜合計", "税抜",
    ], Role::Net, NET),
    (&[
        "vat", "v.a.t.", "tax", "taxes", "sales tax", "gst", "hst", "pst", "qst", "tps", "tvq",
        "gst/hst", "mwst", "mwst.", "mwst-betrag", "ust", "ust.", "umsatzsteuer", "mehrwertsteuer",
        "steuer", "tva", "iva", "i.v.a.", "igic", "btw", "moms", "mva", "消費税", "内税", "consumption tax",
        "enthaltene mwst", "inkl. mwst", "incl. vat",
    ], Role::Tax, TAX),
    (&[
        "cash", "change", "tendered", "visa", "mastercard", "amex", "card", "credit", "debit",
        "ec", "ec-karte", "girocard", "paid", "payment", "bar", "gegeben", "rückgeld", "zurück",
        "espèces", "especes", "cb", "carte", "rendu", "monnaie", "efectivo", "tarjeta", "cambio",
        "contanti", "resto", "rounding", "kontant", "kontanter", "växel", "vaxel", "byttepenge",
        "veksel", "kort", "betalt", "お預り", "お預かり", "お釣り", "お釣", "釣銭",
        "rundung", "discount", "rabatt", "remise", "descuento", "savings", "you saved", "deposit",
        "pfand",
    ], Role::Payment, 0.5),
    (&[
        "tip", "tips", "gratuity", "trinkgeld", "pourboire", "mancia", "propina", "dricks",
        "drikkepenge", "fooi", "service", "service charge", "servizio", "servicio",
    ], Role::Tip, 0.8),
    (&[
        "vat no", "vat reg", "vat number", "vat id", "vat reg no", "vat registration", "tax id",
        "tax no", "tax number", "tax reg", "ust-id", "ust-idnr", "ust-idnr.", "ust id",
        "ust-id-nr", "steuernummer", "steuer-nr", "st.-nr", "st-nr", "mwst-nr", "mwst nr", "uid",
        "tva intracom", "tva intracommunautaire", "n° tva", "no tva", "numéro de tva", "siret",
        "siren", "rcs", "gst no", "gst #", "gst reg", "hst no", "hst #", "gst/hst #", "gst/hst no",
        "registration", "reg no", "abn", "nif", "cif", "invoice no", "invoice number", "invoice #",
        "receipt no", "receipt #", "order no", "order #", "rechnungsnummer", "rechnung nr",
        "rechnungs-nr", "beleg-nr", "bon-nr", "facture n°", "n° de facture", "factura n", "tel",
        "tel.", "phone", "fax", "telefon", "tél", "tél.", "iban", "bic", "konto", "card no",
        "auth", "terminal", "trans", "items", "artikel", "articles", "qty", "page", "seite",
    ], Role::Id, 0.0),
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Every label of `TABLE` with its role and confidence, each row's labels followed by those of
/// several words with their spaces lost ("IALT", "ATTBETALA", "GRANDTOTAL"): OCR joins short
/// words printed close together. Built once, as every line read looks for all of them.
static PHRASES: std::sync::LazyLock<Vec<(String, Role, f32)>> = std::sync::LazyLock::new(|| {
    TABLE
        .iter()
        .flat_map(|(phrases, role, confidence)| {
            let joined = phrases
                .iter()
                .filter(|p| p.contains(' '))
                .map(|p| p.replace(' ', ""));
            phrases
                .iter()
                .map(|p| p.to_string())
                .chain(joined)
                .map(move |p| (p, *role, *confidence))
        })
        .collect()
});

/// All labels in a lower-case line; where labels overlap, the longest wins.
pub(crate) fn label_hits(lower: &str) -> Vec<Hit> {
    let mut found: Vec<Hit> = Vec::new();
    for (phrase, role, confidence) in PHRASES.iter() {
        let phrase = phrase.as_str();
        let mut from = 0;
        while let Some(pos) = lower.get(from..).and_then(|s| s.find(phrase)) {
            let start = from + pos;
            let end = start + phrase.len();
            // Japanese and Chinese write words without spaces: a label in that script
            // needs no boundary.
            let cjk = phrase.chars().all(is_cjk);
            let before_ok = cjk || !lower[..start].chars().next_back().is_some_and(is_word_char);
            let after_ok = cjk || !lower[end..].chars().next().is_some_and(is_word_char);
            if before_ok && after_ok {
                found.push(Hit {
                    start,
                    end,
                    role: *role,
                    confidence: *confidence,
                });
            }
            from = end;
        }
    }
    // Longest first; drop anything overlapping an already kept hit.
    found.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Hit> = Vec::new();
    for hit in found {
        if kept
            .iter()
            .all(|k| hit.end <= k.start || hit.start >= k.end)
        {
            kept.push(hit);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}

const INCLUDING: &[&str] = &[
    "incl",
    "inkl",
    "including",
    "inc",
    "ttc",
    "brutto",
    "gross",
    "included",
    "includes",
    "inclus",
    "incluido",
    "incluse",
    "inclus",
    "inclusa",
    "incluida",
    "inclusive",
    "inklusive",
    "inkluderet",
    "inbegriffen",
    "compris",
    "comprise",
];

/// "Of which" / "contained" before a tax ("enth. USt.", "dont TVA", "varav moms", "heraf moms",
/// "waarvan btw"): read as "included" only on a line whose tax label OCR garbled
/// (`rates::included_unnamed`); elsewhere the tax label tells.
const CONTAINED: &[&str] = &["enth", "enthalten", "dont", "varav", "heraf", "waarvan"];

/// Whether `label` (lower case) says the amount is already included ("inkl.", "TVA incluse").
pub(crate) fn says_included(label: &str) -> bool {
    has_word(label, INCLUDING)
}

/// Whether a line says its tax is contained in an amount ([`CONTAINED`]).
pub(crate) fn says_contained(label: &str) -> bool {
    has_word(label, CONTAINED)
}

pub(crate) fn has_word(text: &str, words: &[&str]) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| words.contains(&w))
}

/// The role of a label made of adjacent hits (e.g. "total incl. vat").
pub(crate) fn group_role(label: &str, hits: &[Hit]) -> Option<(Role, f32)> {
    let has = |r: Role| hits.iter().any(|h| h.role == r);
    let best = |r: Role| {
        hits.iter()
            .filter(|h| h.role == r)
            .map(|h| h.confidence)
            .fold(0.0f32, f32::max)
    };
    if has(Role::Id) {
        return Some((Role::Id, 0.0));
    }
    let incl = has_word(label, INCLUDING);
    if has(Role::Tip) {
        // "Total incl. tip" is a total; "service compris" is no tip on top.
        return Some(match (has(Role::Total), incl) {
            (true, true) => (Role::Total, best(Role::Total)),
            (false, true) => (Role::Payment, 0.5),
            _ => (Role::Tip, best(Role::Tip)),
        });
    }
    if has(Role::Payment) {
        return Some((Role::Payment, 0.5));
    }
    let (total, tax, net) = (has(Role::Total), has(Role::Tax), has(Role::Net));
    if net && !(total && incl) {
        return Some((Role::Net, best(Role::Net)));
    }
    if total && tax {
        return Some(if incl {
            (Role::Total, best(Role::Total).max(WEAK_TOTAL))
        } else {
            (Role::Tax, best(Role::Tax))
        });
    }
    if tax {
        return Some((Role::Tax, best(Role::Tax)));
    }
    if total {
        return Some((Role::Total, best(Role::Total)));
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn role_of(line: &str) -> Option<Role> {
        let lower = line.to_lowercase();
        let hits = label_hits(&lower);
        group_role(&lower, &hits).map(|(r, _)| r)
    }

    #[test]
    fn classifies_labels_in_several_languages() {
        assert_eq!(role_of("TOTAL DUE"), Some(Role::Total));
        assert_eq!(role_of("Total TTC"), Some(Role::Total));
        assert_eq!(role_of("Total HT"), Some(Role::Net));
        assert_eq!(role_of("Total TVA"), Some(Role::Tax));
        assert_eq!(role_of("Total incl. VAT"), Some(Role::Total));
        assert_eq!(role_of("Total excl. VAT"), Some(Role::Net));
        assert_eq!(role_of("Summe"), Some(Role::Total));
        assert_eq!(role_of("Gesamt"), Some(Role::Total));
        assert_eq!(role_of("Nettobetrag"), Some(Role::Net));
        assert_eq!(role_of("Zwischensumme"), Some(Role::Net));
        assert_eq!(role_of("enthaltene MwSt 19%"), Some(Role::Tax));
        assert_eq!(role_of("inkl. MwSt"), Some(Role::Tax));
        assert_eq!(role_of("USt 19%"), Some(Role::Tax));
        assert_eq!(role_of("IVA 21%"), Some(Role::Tax));
        assert_eq!(role_of("Importe total"), Some(Role::Total));
        assert_eq!(role_of("Base imponible"), Some(Role::Net));
        assert_eq!(role_of("GST/HST 13%"), Some(Role::Tax));
        assert_eq!(role_of("VAT amount"), Some(Role::Tax));
        assert_eq!(role_of("Net amount"), Some(Role::Net));
        assert_eq!(role_of("Subtotal"), Some(Role::Net));
        assert_eq!(role_of("VAT No: GB 123 4567 89"), Some(Role::Id));
        assert_eq!(role_of("USt-IdNr. DE123456789"), Some(Role::Id));
        assert_eq!(role_of("Change"), Some(Role::Payment));
        assert_eq!(role_of("Rückgeld"), Some(Role::Payment));
        assert_eq!(role_of("Tip"), Some(Role::Tip));
        assert_eq!(role_of("Service charge 12.5%"), Some(Role::Tip));
        assert_eq!(role_of("Trinkgeld"), Some(Role::Tip));
        assert_eq!(role_of("Service compris"), Some(Role::Payment));
        assert_eq!(role_of("Total incl. tip"), Some(Role::Total));
        assert_eq!(role_of("Total ex GST"), Some(Role::Net));
        assert_eq!(role_of("ATT BETALA 12,40 kr"), Some(Role::Total));
        assert_eq!(role_of("At betale 242,70 kr."), Some(Role::Total));
        assert_eq!(role_of("I ALT 242,70"), Some(Role::Total));
        assert_eq!(role_of("Totalt 215,55 kr"), Some(Role::Total));
        assert_eq!(role_of("varav moms 6% 0,70"), Some(Role::Tax));
        assert_eq!(role_of("Kontant 259,70"), Some(Role::Payment));
        assert_eq!(role_of("Växel 10,00"), Some(Role::Payment));
        assert_eq!(role_of("Byttepenge 17,00"), Some(Role::Payment));
        assert_eq!(role_of("税抜金額 33,550"), Some(Role::Net));
        assert_eq!(role_of("お支払金額 ¥36,905"), Some(Role::Total));
        assert_eq!(role_of("合計金額 ¥36,905"), Some(Role::Total));
        assert_eq!(role_of("(内税10%) 65"), Some(Role::Tax));
        assert_eq!(role_of("お預り 3,338"), Some(Role::Payment));
        assert_eq!(role_of("Internet"), None);
        assert_eq!(role_of("Coffee"), None);
    }

    #[test]
    fn longest_label_wins() {
        let hits = label_hits("total ht");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].role, Role::Net);
        let hits = label_hits("netto 20,00 mwst 3,80 brutto 23,80");
        let roles: Vec<Role> = hits.iter().map(|h| h.role).collect();
        assert_eq!(roles, vec![Role::Net, Role::Tax, Role::Total]);
    }
}
