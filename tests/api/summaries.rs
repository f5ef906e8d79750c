//! View summaries and totals: computed in the database over exactly the records the view shows
//! the person (row scope, fixed filters, parameters); money per currency, rounded to minor units;
//! they match an independent computation.
use crate::helpers::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Creates a claim and fills its amounts; returns its id.
async fn claim(
    s: &Session,
    purpose: &str,
    category: &str,
    date: &str,
    net: &str,
    tax: &str,
    cur: &str,
) -> i64 {
    let r = s
        .run_op(
            "new_claim",
            None,
            &[("purpose", purpose), ("category", category)],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = record_id_of(&r);
    let r = s
        .run_op(
            "fill_receipt_fields",
            Some((id, version_of(s, id).await)),
            &[
                ("supplier", "Shop"),
                ("expense_date", date),
                ("net", net),
                ("tax", tax),
                ("currency", cur),
            ],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    id
}

/// The rows of a summary CSV as (key columns joined by '|') → last column.
fn csv_rows(text: &str) -> BTreeMap<String, String> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let cells: Vec<&str> = rec.iter().collect();
            let n = cells.len();
            (cells[..n - 2].join("|"), cells[n - 1].to_string())
        })
        .collect()
}

#[tokio::test]
async fn summaries_sum_money_per_currency_over_exactly_the_records_the_view_shows() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    // Amounts whose float sum is not exact (0.1 + 0.2), two currencies, two categories.
    let mine = [
        ("Travel", "2026-01-05", "0.10", "0.00", "EUR"),
        ("Travel", "2026-01-20", "0.20", "0.00", "EUR"),
        ("Travel", "2026-02-03", "100.00", "19.00", "EUR"),
        ("Meals", "2026-02-10", "33.33", "3.34", "USD"),
        ("Meals", "2026-02-11", "1000", "0", "JPY"),
    ];
    for (i, (cat, date, net, tax, cur)) in mine.iter().enumerate() {
        claim(&alice, &format!("mine {i}"), cat, date, net, tax, cur).await;
    }
    // Bob's claim never counts for alice.
    claim(&bob, "bob's", "Travel", "2026-01-07", "5000", "0", "EUR").await;

    // The independent computation: sum of net + tax per (category, currency).
    let mut expected: BTreeMap<String, Decimal> = BTreeMap::new();
    for (cat, _, net, tax, cur) in mine {
        *expected.entry(format!("{cat}|{cur}")).or_default() +=
            Decimal::from_str(net).unwrap() + Decimal::from_str(tax).unwrap();
    }
    let (status, csv) = alice
        .get_text("/apps/expense_claims/views/my_claims/summaries/by_category.csv")
        .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let got = csv_rows(&csv);
    assert_eq!(got.len(), expected.len(), "{csv}");
    for (k, v) in &expected {
        let minor = if k.ends_with("JPY") { 0 } else { 2 };
        assert_eq!(got[k], format!("{:.*}", minor, v), "{k} in {csv}");
    }
    assert_eq!(got["Travel|EUR"], "119.30", "0.10 + 0.20 + 119.00, exactly");

    // Parameters apply: February only.
    let (_, feb) = alice
        .get_text(
            "/apps/expense_claims/views/my_claims/summaries/by_category.csv?p_date_from=2026-02-01",
        )
        .await;
    let feb = csv_rows(&feb);
    assert_eq!(feb["Travel|EUR"], "119.00");
    assert!(!feb.contains_key("Travel|CHF"));

    // Date buckets: claims per month.
    let (_, months) = alice
        .get_text("/apps/expense_claims/views/my_claims/summaries/per_month.csv")
        .await;
    let mut r = csv::Reader::from_reader(months.as_bytes());
    let per: Vec<(String, String)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (x[0].to_string(), x[1].to_string())
        })
        .collect();
    assert_eq!(
        per,
        vec![
            ("2026-01".into(), "2".into()),
            ("2026-02".into(), "3".into())
        ]
    );

    // The web page: the totals row and a chart with its numbers.
    let (_, page) = alice.get_text("/apps/expense_claims/views/my_claims").await;
    assert!(page.contains("<strong>Totals</strong>"), "{page}");
    assert!(
        page.contains("119.30 EUR") && page.contains("1,000 JPY"),
        "{page}"
    );
    assert!(page.contains("<svg class=\"chart\""), "a chart");
    assert!(!page.contains("5,000"), "bob's claim does not count");

    // Another person's summary is their own; a person without the view gets 404.
    let (_, bobs) = bob
        .get_text("/apps/expense_claims/views/my_claims/summaries/by_category.csv")
        .await;
    assert_eq!(
        csv_rows(&bobs).get("Travel|EUR").map(String::as_str),
        Some("5000.00")
    );
    let (status, _) = alice
        .get_text("/apps/expense_claims/views/claims_to_approve/summaries/waiting.csv")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = alice
        .get_text("/apps/expense_claims/views/my_claims/summaries/nope.csv")
        .await;
    assert!(status.is_client_error(), "an unknown summary: {status}");
}

#[tokio::test]
async fn the_summary_tool_answers_in_one_call_within_the_callers_permissions() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    claim(&alice, "a", "Travel", "2026-03-01", "10.10", "0.20", "EUR").await;
    claim(&alice, "b", "Travel", "2026-03-02", "5.00", "0.00", "EUR").await;
    claim(&alice, "c", "Meals", "2026-03-03", "7", "0", "USD").await;
    claim(&bob, "d", "Travel", "2026-03-04", "999", "0", "EUR").await;
    let token = app.token("alice");
    let names = tool_names(&app, &token).await;
    assert!(
        names.contains(&"expense_claims_my_claims_summary".to_string()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"expense_claims_claims_to_approve_summary".to_string()),
        "an employee gets no manager's summary"
    );
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims_summary",
        serde_json::json!({"summary": "by_category"}),
    )
    .await;
    let sc = &r["structuredContent"];
    assert_eq!(sc["summary"], "by_category", "{r}");
    assert_eq!(
        sc["columns"],
        serde_json::json!(["Category", "Currency", "records", "Sum of Total"])
    );
    let groups = sc["groups"].as_array().unwrap();
    let find = |cat: &str, cur: &str| groups.iter().find(|g| g[0] == cat && g[1] == cur).cloned();
    assert_eq!(find("Travel", "EUR").unwrap()[3], "15.30");
    assert_eq!(
        find("Travel", "EUR").unwrap()[2],
        2,
        "bob's claim is not counted"
    );
    assert_eq!(find("Meals", "USD").unwrap()[3], "7.00");
    assert_eq!(sc["groups_cut"], false);
    let bytes = serde_json::to_string(&r).unwrap().len();
    assert!(bytes < 2048, "one compact call: {bytes} bytes");
    // The view's parameters apply; a bad one is refused with the field named.
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims_summary",
        serde_json::json!({"summary": "by_category", "date_from": "2026-03-02"}),
    )
    .await;
    assert_eq!(
        r["structuredContent"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g[2].as_u64().unwrap())
            .sum::<u64>(),
        2
    );
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims_summary",
        serde_json::json!({"date_from": "yesterday"}),
    )
    .await;
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(r["structuredContent"]["error"]["code"], "invalid_input");
    drop(bob);
}
