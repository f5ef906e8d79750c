//! Tests of the supplier pick (`supplier.rs`).
#![allow(clippy::unwrap_used)]

use super::*;

fn supplier(text: &str) -> Option<String> {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    pick_supplier(&lines).map(|s| s.value)
}

#[test]
fn skips_headings_addresses_and_contacts() {
    let text =
        "RECEIPT\n*** Blue Plate Diner ***\n1200 Main Street\nAustin, TX 78701\nTel (512) 555-0147";
    assert_eq!(supplier(text).as_deref(), Some("Blue Plate Diner"));
    let text = "Rechnung\n05.03.2024\nCafé Sonnenschein GmbH\nHauptstr. 12\n10115 Berlin";
    assert_eq!(supplier(text).as_deref(), Some("Café Sonnenschein GmbH"));
    let text = "www.example.com\nTel: +41 44 123 45 67\nRestaurant Zum Löwen AG";
    assert_eq!(supplier(text).as_deref(), Some("Restaurant Zum Löwen AG"));
    let text =
        "TAX INVOICE\nInvoice No. 1234\nBill to:\nJane Doe\nAcme Ltd\n5 Road\nNorthwind Traders";
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
        &[],
    );
    assert!(s.unwrap().confidence < 0.6);
    // Every word read with confidence, or seen again elsewhere with confidence: still sure.
    let mut s = name();
    doubt(
        &mut s,
        &read(&[("Warbor", 95.0), ("Crab", 95.0), ("Shack,", 96.0)]),
        &[],
    );
    assert!(s.unwrap().confidence >= 0.6);
    let mut s = name();
    let words = [
        ("Warbor", 60.0),
        ("Crab", 95.0),
        ("Shack", 96.0),
        ("WARBOR", 97.0),
    ];
    doubt(&mut s, &read(&words), &[]);
    assert!(s.unwrap().confidence >= 0.6);
    // Words OCR did not report (no reading of them at all): nothing known, nothing changed.
    let mut s = name();
    doubt(&mut s, &[], &[]);
    assert!((s.unwrap().confidence - 0.7).abs() < 1e-6);
    let mut none = None;
    doubt(&mut none, &read(&[("Warbor", 10.0)]), &[]);
    assert!(none.is_none());
}

#[test]
fn typographic_apostrophes_are_typed_as_the_keyboards() {
    let text = "Bayou Po’ Boys\n630 Decatur St\nNew Orleans, LA 70130";
    assert_eq!(supplier(text).as_deref(), Some("Bayou Po' Boys"));
}

#[test]
fn a_misread_line_above_a_name_read_with_confidence_gives_way_to_it() {
    let read = |words: &[(&str, f32)]| -> Vec<(String, f32)> {
        words.iter().map(|(w, c)| (w.to_string(), *c)).collect()
    };
    let lines: Vec<String> = [
        "Beagle es",
        "| Gasthaus Adler Appenzell |",
        "| Hauptgasse 30 |",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect();
    let words = [
        ("Beagle", 41.0),
        ("es", 30.0),
        ("Gasthaus", 94.0),
        ("Adler", 95.0),
        ("Appenzell", 92.0),
    ];
    let mut s = pick_supplier(&lines);
    assert_eq!(s.as_ref().unwrap().value, "Beagle es");
    doubt(&mut s, &read(&words), &lines);
    let s = s.unwrap();
    assert_eq!(s.value, "Gasthaus Adler Appenzell");
    assert!(s.confidence < 0.6, "{}", s.confidence);
    assert!(s.source.contains("little confidence"), "{}", s.source);
    // A line below read with as little confidence is no better: the first stays, unsure.
    let mut s = pick_supplier(&lines);
    let unsure_below = [
        ("Beagle", 41.0),
        ("es", 30.0),
        ("Gasthaus", 60.0),
        ("Adler", 95.0),
    ];
    doubt(&mut s, &read(&unsure_below), &lines);
    assert_eq!(s.unwrap().value, "Beagle es");
}

#[test]
fn a_name_read_without_the_accent_its_language_writes_is_unsure() {
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    let sure = |name: &str| Suggestion {
        value: name.to_string(),
        confidence: 0.7,
        source: name.to_string(),
    };
    let german = lines("Cafe Kranzler Eck\nDatum 12.03.2024\nSumme 12,00\nMwSt 19%\nVielen Dank");
    let mut s = Some(sure("Cafe Kranzler Eck"));
    accent_doubt(&mut s, &german);
    let s = s.unwrap();
    assert!(s.confidence < 0.6, "{s:?}");
    assert!(s.source.contains("accent"), "{s:?}");
    // Written with its accent, or on an English receipt, the name stays as sure as it was.
    let mut s = Some(sure("Café Kranzler Eck"));
    accent_doubt(&mut s, &german);
    assert_eq!(s.unwrap().confidence, 0.7);
    let english = lines("Cafe Nero\nSubtotal 4.00\nVAT 0.80\nTotal 4.80\nThank you");
    let mut s = Some(sure("Cafe Nero"));
    accent_doubt(&mut s, &english);
    assert_eq!(s.unwrap().confidence, 0.7);
    // Spanish names ending in -ería.
    let spanish = lines("Fruteria Gil\nImporte total 24,00\nEfectivo 40,00\nGracias");
    let mut s = Some(sure("Fruteria Gil"));
    accent_doubt(&mut s, &spanish);
    assert!(s.unwrap().confidence < 0.6);
}

#[test]
fn a_name_with_a_look_alike_letter_in_a_business_word_is_unsure() {
    let sure = |name: &str| {
        Some(Suggestion {
            value: name.to_string(),
            confidence: 0.7,
            source: name.to_string(),
        })
    };
    let mut s = sure("The Crooked Spire Cale");
    misread_doubt(&mut s);
    let s = s.unwrap();
    assert!(s.confidence < 0.6, "{s:?}");
    assert!(s.source.contains("'cafe'"), "{s:?}");
    // The business word itself, or a word a letter away that is not a look-alike, stays sure.
    for name in [
        "The Crooked Spire Cafe",
        "Bay of Fundy Outfitters",
        "Carl's Books",
    ] {
        let mut s = sure(name);
        misread_doubt(&mut s);
        assert_eq!(s.unwrap().confidence, 0.7, "{name}");
    }
}

#[test]
fn street_names_joined_to_their_street_word_and_streets_without_a_number_are_addresses() {
    let text = "Hamngatan 4\n411 14 Göteborg\nRestaurang Skeppet";
    assert_eq!(supplier(text).as_deref(), Some("Restaurang Skeppet"));
    let text = "Nørrevej 12\nBageriet Korn";
    assert_eq!(supplier(text).as_deref(), Some("Bageriet Korn"));
    let text = "Kalverstraat 92\n1012 PH Amsterdam\nBoekhandel Spui";
    assert_eq!(supplier(text).as_deref(), Some("Boekhandel Spui"));
    let text = "Route de Bayonne\n40100 Dax\nStation Relais des Landes";
    assert_eq!(supplier(text).as_deref(), Some("Station Relais des Landes"));
    let text = "Rue de la Paix\nVia del Corso\nCafé Central";
    assert_eq!(supplier(text).as_deref(), Some("Café Central"));
    // A rate is no name ("inkl. moms 25%").
    assert_eq!(
        supplier("inkl. moms 25%\nTack!\nKaffebaren").as_deref(),
        Some("Kaffebaren")
    );
    // A house number read as a letter before the street word.
    let text = "A rue Sart-Jean\n4000 Liège\nPrimeur Laurent";
    assert_eq!(supplier(text).as_deref(), Some("Primeur Laurent"));
    assert_eq!(
        supplier("Le Quai Bistro").as_deref(),
        Some("Le Quai Bistro")
    );
    // A street word without a linking word, or a name ending like a street without a number,
    // stays a name.
    assert_eq!(
        supplier("Place Café\n12 rue Haute").as_deref(),
        Some("Place Café")
    );
    assert_eq!(
        supplier("Via Roma Pizzeria").as_deref(),
        Some("Via Roma Pizzeria")
    );
    assert_eq!(
        supplier("Kaffegatan\nStorgatan 3").as_deref(),
        Some("Kaffegatan")
    );
}

#[test]
fn a_one_word_name_that_is_the_town_of_the_address_below_is_unsure() {
    let lines: Vec<String> = "Cardiff\nqi\nCardiff CF19 IE}\nFare 39.70"
        .lines()
        .map(str::to_string)
        .collect();
    let mut s = pick_supplier(&lines);
    assert!(s.as_ref().unwrap().confidence > 0.6);
    town_doubt(&mut s, &lines);
    let s = s.unwrap();
    assert_eq!(s.value, "Cardiff");
    assert!(s.confidence <= UNSURE, "{s:?}");
    assert!(s.source.contains("town"), "{}", s.source);
    // A name of two words, or a one-word name that is not the town, is left as it was.
    for text in [
        "Cardiff Cabs\nCardiff CF10 1EP",
        "Tesco\nSt Mellons Road\nCardiff CF3 0EG",
    ] {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut s = pick_supplier(&lines);
        let before = s.as_ref().unwrap().confidence;
        town_doubt(&mut s, &lines);
        assert_eq!(s.unwrap().confidence, before, "{text}");
    }
}
