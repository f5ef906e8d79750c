//! Tests of the currency read off a receipt (`currency.rs`).
#![allow(clippy::unwrap_used)]

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
    // A Swiss rate on a row under a VAT table's header counts too.
    assert_eq!(
        code("Gesamttotal 23.30\nMWST Netto MWST Brutto\nA8.1% 21.55 1.75 23.30").as_deref(),
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

fn detected(text: &str) -> Suggestion<String> {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    detect(&lines).unwrap()
}

#[test]
fn dollar_hints_that_name_different_countries_leave_the_dollar_unsure() {
    // "Vic" is also a name: a US address beside it makes neither sure.
    let s = detected("Vic's Diner\n700 Congress Ave\nAustin, TX 78701\nTotal $18.40");
    assert!(s.confidence < 0.6, "{s:?}");
    // A US address alone says US dollars, surely.
    let s = detected("Lone Star Diner\n700 Congress Ave\nAustin, TX 78701\nTotal $18.40");
    assert_eq!(s.value, "USD");
    assert!(s.confidence >= 0.6, "{s:?}");
    // A Canadian postcode with the provincial tax: Canadian dollars, sure.
    let s = detected("Bistro\nVancouver, BC V6H 3R9\nPST 7% $1.40\nTotal $22.40");
    assert_eq!(s.value, "CAD");
    assert!(s.confidence >= 0.6, "{s:?}");
}

#[test]
fn a_plain_dollar_on_a_receipt_that_charges_vat_is_unsure_and_a_uk_vat_number_tells_pounds() {
    // No hint at all: a plain `$` is taken as US dollars.
    let s = detected("Corner Cafe\nBalance due $55.40");
    assert_eq!(s.value, "USD");
    assert!(s.confidence >= 0.6, "{s:?}");
    // A VAT line: the `$` is likely a misread sign, so the dollar is unsure.
    let s = detected("Corner Cafe\nVAT 20% 9.23\nBalance due $55.40");
    assert!(s.confidence < 0.6, "{s:?}");
    // A United Kingdom VAT number says pounds, unsure on its own.
    let s = detected("Corner Cafe\nVAT Reg No. GB 91322392\nContactless $5.40");
    assert_eq!(s.value, "GBP");
    assert!(s.confidence < 0.6, "{s:?}");
    // Beside a pound sign it only adds to it.
    let s = detected("Corner Cafe\nVAT Reg No. GB 913 2239 92\nTotal £55.40");
    assert_eq!(s.value, "GBP");
    assert!(s.confidence >= 0.6, "{s:?}");
}

#[test]
fn the_sign_beside_the_total_wins_and_a_rival_sign_leaves_it_unsure() {
    let lines: Vec<String> =
        "Super £10 PS\n40,04 x 1,9841 79,28\nSUMME 79,28 €\nenth. USt. 19% 12,66"
            .lines()
            .map(str::to_string)
            .collect();
    let s = detect(&lines).unwrap();
    assert_eq!(s.value, "EUR");
    assert!(
        s.confidence < 0.6,
        "a pound sign elsewhere: {}",
        s.confidence
    );
    // One currency alone stays sure.
    let lines = vec!["Bread 2,50 €".to_string(), "SUMME 4,85 €".to_string()];
    assert!(detect(&lines).unwrap().confidence >= 0.9);
}
