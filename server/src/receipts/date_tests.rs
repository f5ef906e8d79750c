//! Dates on receipts: the formats read, the locale's order of day, month and year, and the
//! dates that lose (due dates, stays, the future).
#![allow(clippy::unwrap_used)]

use super::DateOrder::{Dmy, Mdy, Ymd};
use super::*;
use chrono::NaiveDate;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
}

fn one(line: &str, mdy: bool) -> Option<String> {
    in_order(line, if mdy { Mdy } else { Dmy })
}

fn in_order(line: &str, order: DateOrder) -> Option<String> {
    pick_date(&[line.to_string()], order, today()).map(|s| s.value.to_string())
}

#[test]
fn regexes_compile() {
    for r in [&*YMD, &*YMD_CJK, &*NUMERIC, &*DAY_MONTH, &*MONTH_DAY] {
        assert!(r.is_some());
    }
}

#[test]
fn many_formats() {
    let cases = [
        ("Date: 2024-03-05", "2024-03-05"),
        ("2024/05/10 14:32", "2024-05-10"),
        ("05.03.2024 12:01", "2024-03-05"),
        ("05.03.24", "2024-03-05"),
        ("5 Mar 2024", "2024-03-05"),
        ("05-Mar-2024", "2024-03-05"),
        ("March 5, 2024", "2024-03-05"),
        ("Mar. 5th 2024", "2024-03-05"),
        ("5th of March 2024", "2024-03-05"),
        ("5. März 2024", "2024-03-05"),
        ("Le 5 mars 2024", "2024-03-05"),
        ("1er avril 2024", "2024-04-01"),
        ("5 de marzo de 2024", "2024-03-05"),
        ("12 décembre 2024", "2024-12-12"),
        ("2024年3月5日", "2024-03-05"),
        // OCR's spacing, and a misread 日.
        ("2024 年 3 月 19 晶 15:47 Bon 252", "2024-03-19"),
        // Month names of every language OCR reads (Swedish, Danish, Dutch, Austrian German).
        ("Datum: 2 maj 2024 17:01", "2024-05-02"),
        ("5. marts 2024", "2024-03-05"),
        ("12 augusti 2024", "2024-08-12"),
        ("5 mrt 2024", "2024-03-05"),
        ("3. Jänner 2024", "2024-01-03"),
        ("3. Jän. 2024", "2024-01-03"),
        ("7. Feber 2024", "2024-02-07"),
        ("14/03/2024", "2024-03-14"),
        ("03/14/2024", "2024-03-14"),
    ];
    for (text, want) in cases {
        assert_eq!(one(text, false).as_deref(), Some(want), "{text}");
    }
}

#[test]
fn ambiguous_numeric_dates_follow_the_locale_hint() {
    assert_eq!(one("04/05/2024", false).as_deref(), Some("2024-05-04"));
    assert_eq!(one("04/05/2024", true).as_deref(), Some("2024-04-05"));
    // Dots are European whatever the currency.
    assert_eq!(one("04.05.2024", true).as_deref(), Some("2024-05-04"));
    // A reading in the future loses to one in the past.
    let today = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    let s = pick_date(&["04/05/2024".to_string()], Mdy, today).unwrap();
    assert_eq!(s.value.to_string(), "2024-04-05");
    let s = pick_date(&["04/05/2024".to_string()], Dmy, today).unwrap();
    assert_eq!(s.value.to_string(), "2024-04-05");
}

#[test]
fn due_dates_and_stay_periods_lose() {
    let lines: Vec<String> = [
        "Arrival: 01/03/2024",
        "Departure: 04/03/2024",
        "Due date: 2024-04-04",
        "Invoice date: 2024-03-05",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let s = pick_date(&lines, Dmy, today()).unwrap();
    assert_eq!(s.value.to_string(), "2024-03-05");
    assert!(s.source.contains("Invoice date"));
}

#[test]
fn not_dates() {
    assert_eq!(one("Total 12.50", false), None);
    assert_eq!(one("Tel 030 1234 5678", false), None);
    assert_eq!(one("32/13/2024", false), None);
    assert_eq!(one("Table 5 Mar", false), None);
    assert_eq!(one("2 items 2024", false), None);
}

#[test]
fn two_digit_year_first_dates_by_locale_or_when_nothing_else_fits() {
    // Today is 2024-12-31: read day first, 24-07-27 would be 24 July 1927 (or 2027).
    assert_eq!(
        one("Datum: 24-07-27 12:51", false).as_deref(),
        Some("2024-07-27")
    );
    assert_eq!(
        in_order("Datum: 24-07-27", Ymd).as_deref(),
        Some("2024-07-27")
    );
    // Where every reading is plausible, the locale decides.
    assert_eq!(in_order("24-05-04", Ymd).as_deref(), Some("2024-05-04"));
    assert_eq!(in_order("04-05-24", Dmy).as_deref(), Some("2024-05-04"));
    assert_eq!(in_order("05-04-24", Mdy).as_deref(), Some("2024-05-04"));
    // Dots are day first everywhere, and four-digit years are read as they are.
    assert_eq!(in_order("04.05.24", Ymd).as_deref(), Some("2024-05-04"));
    assert_eq!(in_order("2024-05-04", Dmy).as_deref(), Some("2024-05-04"));
}

fn pick(lines: &[&str], order: DateOrder) -> Suggestion<NaiveDate> {
    let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    pick_date(&lines, order, today()).unwrap()
}

#[test]
fn where_both_orders_are_usual_an_ambiguous_date_stays_unsure() {
    // Canada writes day and month first: a label does not make 12/10/2024 sure.
    let s = pick(&["Invoice date: 12/10/2024"], DateOrder::Either);
    assert_eq!(s.value.to_string(), "2024-12-10");
    assert!(s.confidence < 0.6, "{}", s.confidence);
    // Where one order is the country's, the label makes it sure, as before.
    let s = pick(&["Invoice date: 12/10/2024"], Mdy);
    assert!(s.confidence >= 0.6, "{}", s.confidence);
    // A date that can be read one way only is sure in any order.
    let s = pick(&["Invoice date: 25/10/2024"], DateOrder::Either);
    assert_eq!(s.value.to_string(), "2024-10-25");
    assert!(s.confidence >= 0.6, "{}", s.confidence);
}

#[test]
fn the_receipt_itself_settles_an_ambiguous_date() {
    // A due date it cannot be after: 2024-12-10 would be past it.
    let s = pick(
        &["Invoice date: 12/10/2024", "Due: 2024-11-11"],
        DateOrder::Either,
    );
    assert_eq!(s.value.to_string(), "2024-10-12");
    assert!(s.confidence >= 0.6, "{}", s.confidence);
    // Another date with a part over 12 shows day first, even against the currency's order.
    let s = pick(&["Date: 03/04/2024", "Delivered 25/03/2024"], Mdy);
    assert_eq!(s.value.to_string(), "2024-04-03");
    // Both readings before the due date: the order is not settled.
    let s = pick(
        &["Invoice date: 03/04/2024", "Due: 2024-06-30"],
        DateOrder::Either,
    );
    assert!(s.confidence < 0.6, "{}", s.confidence);
    // Dates that disagree on their order show none.
    let s = pick(
        &[
            "Date: 03/04/2024",
            "Delivery: 25/03/2024",
            "Delivery: 03/25/2024",
        ],
        DateOrder::Either,
    );
    assert_eq!(s.value.to_string(), "2024-03-04");
    assert!(s.confidence < 0.6, "{}", s.confidence);
}

#[test]
fn a_date_that_lost_a_separator_is_offered_but_never_sure() {
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    let damaged = pick_date(
        &lines("Taxi\nDate: 17/0623 21:00\nTOTAL 25,40"),
        Dmy,
        today(),
    )
    .unwrap();
    assert_eq!(damaged.value.to_string(), "2023-06-17");
    assert!(damaged.confidence < 0.6, "{}", damaged.confidence);
    // A date read whole wins over a damaged one.
    let whole = "Datum: 04.02 23\nRechnung vom 05.02.2023";
    assert_eq!(
        pick_date(&lines(whole), Dmy, today())
            .unwrap()
            .value
            .to_string(),
        "2023-02-05"
    );
}
