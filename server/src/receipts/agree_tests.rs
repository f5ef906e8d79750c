//! Amounts that must agree: net + tax (+ tip) = total, a tax that fits its printed rate, the tax
//! included in a total, tips and a lost decimal point, on small texts.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::suggest::{suggest, Suggestion, Suggestions};

// The web form's `SURE_FROM`.
use super::suggest::SURE as SURE_FROM;

fn s(text: &str) -> Suggestions {
    suggest(text, NaiveDate::from_ymd_opt(2024, 12, 31).unwrap())
}

fn value(v: &Option<Suggestion<Decimal>>) -> Option<String> {
    v.as_ref().map(|s| s.value.to_string())
}

fn sure(v: &Option<Suggestion<Decimal>>) -> bool {
    v.as_ref().is_some_and(|s| s.confidence >= SURE_FROM)
}

#[test]
fn amounts_that_do_not_add_up_are_not_sure() {
    let r = s("Corner Shop\nSubtotal 40.00\nVAT 8.00\nTotal 50.00");
    assert_eq!(value(&r.total).as_deref(), Some("50.00"));
    for (name, field) in [("net", &r.net), ("tax", &r.tax), ("total", &r.total)] {
        assert!(!sure(field), "{name} must not be sure: {field:?}");
    }
    assert!(r.total.unwrap().source.contains("does not add up"));
}

#[test]
fn amounts_that_add_up_within_a_rounding_step_are_sure() {
    let r = s("Corner Shop\nSubtotal 10.01\nVAT 2.00\nTotal 12.00");
    assert!(sure(&r.total) && sure(&r.net) && sure(&r.tax));
}

#[test]
fn a_tax_larger_than_the_net_is_not_chosen_over_one_that_fits() {
    // The "excl." label misread: its amount lands among the taxes.
    let r = s("Koffiebar\nTOTAAL €34,60\nExel. BTW 28,60\nBTW 6,00");
    assert_eq!(value(&r.tax).as_deref(), Some("6.00"));
    assert_eq!(value(&r.net).as_deref(), Some("28.60"));
}

#[test]
fn net_and_tax_read_the_other_way_round_are_swapped_when_the_rate_says_so() {
    let r = s("Bakery\nNet 19.00\nVAT 20% 95.00\nTotal 114.00");
    assert_eq!(value(&r.net).as_deref(), Some("95.00"));
    assert_eq!(value(&r.tax).as_deref(), Some("19.00"));
    assert!(sure(&r.total));
    // Without a rate to confirm the swap, neither is sure.
    let r = s("Bakery\nNet 19.00\nVAT 95.00\nTotal 114.00");
    assert_eq!(value(&r.net).as_deref(), Some("95.00"));
    assert!(!sure(&r.net) && !sure(&r.tax));
}

#[test]
fn amounts_that_add_up_only_at_an_impossible_rate_are_no_agreement() {
    // 12.30 + 11.70 = 24.00, but no tax is 95 % of its net: nothing is confirmed.
    let r = s("Bar\nTotal 24.00\nBase 12.30\nIVA 11.70");
    assert_eq!(value(&r.total).as_deref(), Some("24.00"));
    assert!(!sure(&r.net) && !sure(&r.tax), "{:?} {:?}", r.net, r.tax);
}

#[test]
fn the_combination_that_fits_the_printed_rate_wins() {
    // Two readings add up; only one has the printed 10 % tax.
    let r = s("Cafe\nSubtotal 50.00\nSubtotal 45.00\nGST 10% 5.00\nGST 10% 10.00\nTotal 55.00");
    assert_eq!(value(&r.net).as_deref(), Some("50.00"));
    assert_eq!(value(&r.tax).as_deref(), Some("5.00"));
}

#[test]
fn a_total_and_tax_that_fit_the_rate_replace_a_misread_net() {
    let r = s("Garage\nNetto 8,00\nMwSt 19% 19,00\nSumme 119,00");
    assert_eq!(value(&r.net).as_deref(), Some("100.00"));
    assert_eq!(value(&r.tax).as_deref(), Some("19.00"));
    assert!(r.net.unwrap().source.contains("rate"));
}

#[test]
fn a_tax_far_from_any_rate_is_not_sure_without_a_total() {
    let r = s("Diner\nSubtotal 121.20\nSales Tax 0.71");
    assert_eq!(value(&r.tax).as_deref(), Some("0.71"));
    assert!(!sure(&r.tax));
}

#[test]
fn vat_included_gives_net_as_total_minus_tax() {
    let r = s("Gasthaus\nGesamttotal 177.00\ninkl. 8.1% MWST");
    assert_eq!(value(&r.total).as_deref(), Some("177.00"));
    assert_eq!(value(&r.tax).as_deref(), Some("13.26"));
    assert_eq!(value(&r.net).as_deref(), Some("163.74"));
    for text in [
        "Crêperie\nTotal 8,60 €\nTVA 20 % incluse",
        "Bar\nImporte total 12,10 €\nIVA 10% incluido",
        "Smørrebrød\nTotal 242,70 kr.\nInkl. moms 25%",
        // "incl." as OCR often reads it.
        "Friettent\nTOTAAL €36,40\nind. 21% BTW",
    ] {
        let r = s(text);
        let total = r.total.as_ref().unwrap().value;
        let net = r.net.as_ref().map(|n| n.value);
        assert_ne!(net, Some(total), "the total is never the net: {text}");
        let tax = r.tax.as_ref().unwrap().value;
        assert_eq!(net, Some(total - tax), "{text}");
    }
}

#[test]
fn a_subtotal_equal_to_the_total_is_not_the_net_when_tax_is_included() {
    let r = s("Shop\nSubtotal 8.60\nTotal 8.60\nincl. VAT 20%");
    assert_eq!(value(&r.net).as_deref(), Some("7.17"));
    assert_eq!(value(&r.tax).as_deref(), Some("1.43"));
}

#[test]
fn a_tip_is_separated_so_that_the_amounts_add_up() {
    let r = s("Smoky BBQ\nSubtotal 121.20\nSales Tax 8.875% 10.76\nTip 26.39\nTOTAL 158.35");
    assert_eq!(value(&r.net).as_deref(), Some("121.20"));
    assert_eq!(value(&r.tax).as_deref(), Some("10.76"));
    assert_eq!(value(&r.tip).as_deref(), Some("26.39"));
    assert_eq!(value(&r.total).as_deref(), Some("158.35"));
    assert!(sure(&r.total) && sure(&r.tip) && sure(&r.tax));
}

#[test]
fn tips_in_several_languages_and_service_charges() {
    for (text, tip) in [
        (
            "Netto 20,00\nMwSt 19% 3,80\nTrinkgeld 2,20\nSumme 26,00",
            "2.20",
        ),
        (
            "Total HT 50,00\nTVA 10 % 5,00\nPourboire 5,00\nTotal TTC 60,00",
            "5.00",
        ),
        (
            "Subtotal 80.00\nVAT 20% 16.00\nService charge 12.5% 10.00\nTotal 106.00",
            "10.00",
        ),
        (
            "Imponibile 10,00\nIVA 10% 1,00\nMancia 1,00\nTotale 12,00",
            "1.00",
        ),
        (
            "Netto 100,00\nMoms 25% 25,00\nDricks 10,00\nTotalt 135,00",
            "10.00",
        ),
    ] {
        let r = s(text);
        assert_eq!(value(&r.tip).as_deref(), Some(tip), "{text}");
    }
}

#[test]
fn suggested_tips_and_room_service_are_not_tips() {
    let r = s("Subtotal 100.00\nTax 8.00\nTotal 108.00\nSuggested tip 15% 16.20");
    assert!(r.tip.is_none() || !sure(&r.tip));
    assert_eq!(value(&r.total).as_deref(), Some("108.00"));
    let r = s("Room service 25.00\nNet 25.00\nVAT 5.00\nTotal 30.00");
    assert!(r.tip.is_none());
}

#[test]
fn a_lost_decimal_point_is_not_sure() {
    let r = s("Kiosk\nTotal € 595\nMwSt 19% 0,95");
    assert_eq!(value(&r.total).as_deref(), Some("595"));
    assert!(!sure(&r.total));
    assert!(r.total.unwrap().source.contains("decimal point"));
    // Even where it adds up with the others.
    let r = s("Kiosk\nNetto € 500\nMwSt € 95\nSumme € 595");
    assert!(!sure(&r.total) && !sure(&r.net) && !sure(&r.tax));
}

#[test]
fn whole_amounts_in_a_currency_without_minor_units_stay_sure() {
    let r = s("Sakura Mart\nSubtotal ¥1,800\nTax 10% ¥180\nTotal ¥1,980");
    assert!(sure(&r.total) && sure(&r.tax) && sure(&r.net));
}

#[test]
fn the_tip_is_serialised_with_the_other_suggestions() {
    let r = s("Subtotal 10.00\nTax 1.00\nTip 2.00\nTotal 13.00");
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["tip"]["value"], "2.00");
}

#[test]
fn a_total_smaller_than_the_net_printed_is_not_sure() {
    // A blurred photo lost the total's first digit (44,15 read as 4,15) and the tax's comma.
    // The net and the tax that fits the rate give the total instead, all unsure.
    let r = s("Bäckerei\nSUMME 4,15€\nNetto 37,10\nMwSt 19% 706\nEC-Karte 415");
    assert_eq!(value(&r.net).as_deref(), Some("37.10"));
    assert_eq!(value(&r.total).as_deref(), Some("44.16"));
    assert!(!sure(&r.total), "{:?}", r.total);
    assert!(r.total.unwrap().source.contains("the total printed, 4.15"));
    assert!(!sure(&r.net) && !sure(&r.tax));
    // With no tax that fits a rate, the printed total stays, unsure, with the reason.
    let r = s("Bäckerei\nSUMME 4,15€\nNetto 37,10\nEC-Karte 415");
    assert_eq!(value(&r.total).as_deref(), Some("4.15"));
    assert!(!sure(&r.total), "{:?}", r.total);
    assert!(r.total.unwrap().source.contains("larger than this total"));
    // A total that is larger than every amount read keeps its confidence.
    let r = s("Bäckerei\nSUMME 44,15€\nMwSt 19% 706\nEC-Karte 44,15");
    assert!(sure(&r.total), "{:?}", r.total);
}

#[test]
fn a_tip_below_a_total_that_leaves_it_out_makes_the_total_unsure() {
    // The grand total under the tip was lost: the total read is before the tip.
    let r = s("Noodle Bar\nSubtotal 40.00\nSales Tax 8% 3.20\nTotal 43.20\nTip 8.64");
    assert_eq!(value(&r.total).as_deref(), Some("43.20"));
    assert!(!sure(&r.total), "{:?}", r.total);
    assert!(r.total.unwrap().source.contains("tip printed below"));
    assert!(sure(&r.net) && sure(&r.tax));
    // Read whole, the grand total agrees with the tip and is sure.
    let r = s(
        "Noodle Bar\nSubtotal 40.00\nSales Tax 8% 3.20\nTotal 43.20\nTip 8.64\nGrand Total 51.84",
    );
    assert_eq!(value(&r.total).as_deref(), Some("51.84"));
    assert!(sure(&r.total));
}

#[test]
fn amounts_whose_decimal_point_was_lost_count_where_they_add_up() {
    // A blurred photo: the tax and the tip lost their decimal points.
    let r = s("Bistro\nSubtotal 27.20\nHST 13% 354\nTip 461\nTOTAL $35.35");
    assert_eq!(value(&r.tax).as_deref(), Some("3.54"));
    assert_eq!(value(&r.tip).as_deref(), Some("4.61"));
    assert_eq!(value(&r.net).as_deref(), Some("27.20"));
    assert!(sure(&r.total) && sure(&r.net));
    // Read without decimals, they are never sure themselves.
    assert!(!sure(&r.tax) && !sure(&r.tip));
    assert!(r.tax.unwrap().source.contains("decimal point"));
    // Nothing calculated from an amount read without decimals is sure either.
    let r = s("Kiosk\nTotal 12.00\nMwSt 192");
    assert!(!sure(&r.net), "{:?}", r.net);
}

#[test]
fn an_id_after_a_tax_label_is_no_amount_whose_decimal_point_was_lost() {
    let r = s(concat!(
        "Bar\nP.IVA IT 20390737\nTOTALE €30,20\nIVA Imponibile IVA Totale\n",
        "A 22% 14,75 3,25 18,00\nB 10% 11,09 1,11 12,20"
    ));
    assert_eq!(value(&r.net).as_deref(), Some("25.84"));
    assert_eq!(value(&r.tax).as_deref(), Some("4.36"));
    assert_eq!(value(&r.total).as_deref(), Some("30.20"));
}

#[test]
fn a_total_that_includes_a_rate_gives_net_and_tax() {
    let r = s("Kiosk\nDate: 17/08/2023\nTotal AUD $80.95\nTotal includes GST 10%\nEFTPOS 80.95");
    assert_eq!(value(&r.total).as_deref(), Some("80.95"));
    assert_eq!(value(&r.tax).as_deref(), Some("7.36"));
    assert_eq!(value(&r.net).as_deref(), Some("73.59"));
}

#[test]
fn a_tax_table_whose_gross_column_has_no_label_is_read_from_the_left() {
    let r = s(concat!(
        "サン ドイ ッ チ 290 A\n2x お に ぎり 420 B\n合計 \\1,670\n",
        "消費 税 税 抜 金額 消費 税 税込\nA 10% 400 40 440\nB 8% 1,139 91 1,239\n",
        "お 預り 1, 681\nお 釣り 11"
    ));
    assert_eq!(value(&r.net).as_deref(), Some("1539"));
    assert_eq!(value(&r.tax).as_deref(), Some("131"));
    assert_eq!(value(&r.total).as_deref(), Some("1670"));
}

#[test]
fn the_rate_of_a_table_row_that_lost_its_percent_sign_is_suggested() {
    let r = s(
        "Tabac\nNet à payer 70,70 €\nTVA Total HT TVA Tre\nA 20 58,92 11,78 70,70\nEspèces 80,70",
    );
    assert_eq!(value(&r.net).as_deref(), Some("58.92"));
    assert_eq!(value(&r.tax).as_deref(), Some("11.78"));
    assert_eq!(
        r.tax_rate.as_ref().map(|s| s.value.to_string()).as_deref(),
        Some("20")
    );
    // A line of an item with a quantity is no such row.
    let r = s("Tabac\n3 Cafés 1,90 5,70\nTotal 5,70\nTVA 20% 0,95");
    assert_eq!(
        r.tax_rate.as_ref().map(|s| s.value.to_string()).as_deref(),
        Some("20")
    );
}

#[test]
fn a_total_smaller_than_the_net_gives_way_to_a_net_and_tax_that_fit_the_rate() {
    // A digit of the total lost to OCR: 44,15 read as 4,15.
    let r = s("Bäckerei\nSUMME 4,15€\nNetto 37,10\nMwSt 19% 7,05\nEC-Karte");
    assert_eq!(value(&r.net).as_deref(), Some("37.10"));
    assert_eq!(value(&r.tax).as_deref(), Some("7.05"));
    assert_eq!(value(&r.total).as_deref(), Some("44.15"));
    for (name, field) in [("net", &r.net), ("tax", &r.tax), ("total", &r.total)] {
        assert!(!sure(field), "{name} must not be sure: {field:?}");
    }
    assert!(r.total.unwrap().source.contains("smaller than the net"));
    // The one card payment printed settles it too, unsure as well.
    let r = s("Bäckerei\nSUMME 4,15€\nNetto 37,10\nMwSt 19% 7,05\nEC-Karte 44,15");
    assert_eq!(value(&r.total).as_deref(), Some("44.15"));
    assert!(!sure(&r.total));
}

#[test]
fn an_amount_between_two_totals_that_is_their_difference_is_a_tip() {
    // The tip's label was garbled ("Tp") and the tax lost its decimal point.
    let text =
        "Bayou\nSubtotal 69.70\nSales Tax 7.5% 623\nTOTAL $74.93\nTp 13.49\nGRAND TOTAL $88.42";
    let r = s(text);
    assert_eq!(value(&r.tip).as_deref(), Some("13.49"));
    assert_eq!(value(&r.total).as_deref(), Some("88.42"));
    assert_eq!(value(&r.net).as_deref(), Some("69.70"));
    assert_eq!(value(&r.tax).as_deref(), Some("5.23"));
    // An amount that is not the difference, or a line with a label, is no tip.
    let r = s("Cafe\nTOTAL 74.93\nTp 12.00\nGRAND TOTAL 88.42");
    assert!(r.tip.is_none(), "{:?}", r.tip);
    let r = s("Cafe\nTOTAL 74.93\nCash 13.49\nGRAND TOTAL 88.42");
    assert!(r.tip.is_none(), "{:?}", r.tip);
}

#[test]
fn cash_given_less_change_settles_a_total_read_damaged() {
    // The total's line lost its first digit and decimal point; the cash lines tell 6,65, and
    // the rate whose tax label OCR garbled gives net and tax, all unsure.
    let r = s(
        "Imbiss\nLaugenstange 1,75\nGesamtbetrag 65€\ninkl. 19% MwSı.\nBar 21,65\nRückgeld 15,00",
    );
    assert_eq!(value(&r.total).as_deref(), Some("6.65"));
    assert_eq!(value(&r.tax).as_deref(), Some("1.06"));
    assert_eq!(value(&r.net).as_deref(), Some("5.59"));
    assert_eq!(
        r.tax_rate.as_ref().map(|t| t.value.to_string()).as_deref(),
        Some("19")
    );
    for (name, field) in [("net", &r.net), ("tax", &r.tax), ("total", &r.total)] {
        assert!(!sure(field), "{name} must not be sure: {field:?}");
    }
    // A total read whole that the cash agrees with stays; one it contradicts is not sure.
    let r = s("Shop\nSubtotal 4.49\nTax 0.36\nTotal 4.85\nCash 10.00\nChange 5.15");
    assert!(sure(&r.total), "{:?}", r.total);
    let r = s("Shop\nTotal 14.85\nCash 10.00\nChange 5.15");
    assert_eq!(value(&r.total).as_deref(), Some("14.85"));
    assert!(!sure(&r.total), "{:?}", r.total);
    // "incl. 10% service" is no tax rate.
    let r = s("Bistro\nTotal 22.00\nincl. 10% service");
    assert!(r.tax_rate.is_none(), "{:?}", r.tax_rate);
}

#[test]
fn an_amount_the_tax_is_the_printed_rate_of_is_the_net_when_no_net_or_total_is_read() {
    // Subtotal's and total's labels garbled; 7.5 % of 29.90 is 2.24.
    let r = s(
        "Hardware\nClub sandwich 15.25\nSubtoul 29.90\nSales Tax 7.5% 2.24\nTOTAL S314\nVISA 32.14",
    );
    assert_eq!(value(&r.net).as_deref(), Some("29.90"));
    assert_eq!(value(&r.tax).as_deref(), Some("2.24"));
    assert_eq!(value(&r.total).as_deref(), Some("32.14"));
    for (name, field) in [("net", &r.net), ("tax", &r.tax), ("total", &r.total)] {
        assert!(!sure(field), "{name} must not be sure: {field:?}");
    }
    // No amount fits the rate: nothing is made up.
    let r = s("Hardware\nClub sandwich 15.25\nSubtoul 29.90\nSales Tax 7.5% 3.10\nTOTAL S314");
    assert_ne!(value(&r.net).as_deref(), Some("29.90"));
}
