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

/// A claim as the test's own model of it.
#[derive(Clone)]
struct Modelled {
    owner: &'static str,
    category: &'static str,
    date: String,
    total: Decimal,
    currency: String,
    status: &'static str,
}

/// What a summary CSV should hold for `owner`'s claims: (group keys joined by '|') → count and
/// sum, computed here from the model.
fn modelled(
    claims: &BTreeMap<i64, Modelled>,
    keep: impl Fn(&Modelled) -> bool,
    key: impl Fn(&Modelled) -> String,
) -> BTreeMap<String, (u64, Decimal)> {
    let mut out: BTreeMap<String, (u64, Decimal)> = BTreeMap::new();
    for c in claims.values().filter(|c| keep(c)) {
        let e = out.entry(key(c)).or_default();
        e.0 += 1;
        e.1 += c.total;
    }
    out
}

/// A summary CSV as (keys joined by '|') → (records, value).
fn csv_groups(text: &str) -> BTreeMap<String, (u64, String)> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let cells: Vec<&str> = rec.iter().collect();
            let n = cells.len();
            (
                cells[..n - 2].join("|"),
                (cells[n - 2].parse().unwrap(), cells[n - 1].to_string()),
            )
        })
        .collect()
}

async fn assert_summary(
    s: &Session,
    view: &str,
    summary: &str,
    want: &BTreeMap<String, (u64, Decimal)>,
    step: &str,
) {
    let (status, csv) = s
        .get_text(&format!(
            "/apps/expense_claims/views/{view}/summaries/{summary}.csv"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let got = csv_groups(&csv);
    let want: BTreeMap<String, (u64, String)> = want
        .iter()
        .map(|(k, (n, sum))| {
            let minor = if k.ends_with("JPY") { 0 } else { 2 };
            (k.clone(), (*n, format!("{:.*}", minor, sum)))
        })
        .collect();
    assert_eq!(got, want, "{view}/{summary} after {step}:\n{csv}");
}

/// Summaries without parameters read rollups kept up to date by each write; whatever the
/// writes — creations, updates that move a claim between groups and currencies, deletions,
/// transitions in and out of a view's fixed filter, a refused stale write — the figures equal
/// the model's.
#[tokio::test]
async fn summary_rollups_follow_every_write_exactly() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;
    let mut model: BTreeMap<i64, Modelled> = BTreeMap::new();
    let rows = [
        (&alice, "alice", "Travel", "2026-01-05", "0.10", "EUR"),
        (&alice, "alice", "Travel", "2026-01-20", "0.20", "EUR"),
        (&alice, "alice", "Meals", "2026-02-03", "33.33", "USD"),
        (&alice, "alice", "Lodging", "2026-02-28", "1000", "JPY"),
        (&bob, "bob", "Travel", "2026-01-07", "77.70", "EUR"),
    ];
    for (i, (s, owner, cat, date, net, cur)) in rows.into_iter().enumerate() {
        let id = claim(s, &format!("claim {i}"), cat, date, net, "1.00", cur).await;
        model.insert(
            id,
            Modelled {
                owner,
                category: cat,
                date: date.into(),
                total: Decimal::from_str(net).unwrap() + Decimal::ONE,
                currency: cur.into(),
                status: "Draft",
            },
        );
    }
    let check = |model: BTreeMap<i64, Modelled>, step: &'static str| {
        let (alice, maria) = (&alice, &maria);
        async move {
            let mine = |c: &Modelled| c.owner == "alice";
            assert_summary(
                alice,
                "my_claims",
                "by_category",
                &modelled(&model, mine, |c| format!("{}|{}", c.category, c.currency)),
                step,
            )
            .await;
            assert_summary(
                alice,
                "my_claims",
                "by_month_and_category",
                &modelled(&model, mine, |c| {
                    format!("{}|{}|{}", &c.date[..7], c.category, c.currency)
                }),
                step,
            )
            .await;
            // Counts: the value column is the count again.
            let (_, csv) = alice
                .get_text("/apps/expense_claims/views/my_claims/summaries/per_month.csv")
                .await;
            let want: BTreeMap<String, (u64, String)> =
                modelled(&model, mine, |c| c.date[..7].to_string())
                    .into_iter()
                    .map(|(k, (n, _))| (k, (n, n.to_string())))
                    .collect();
            let got: BTreeMap<String, (u64, String)> = {
                let mut r = csv::Reader::from_reader(csv.as_bytes());
                r.records()
                    .map(|x| {
                        let x = x.unwrap();
                        (x[0].to_string(), (x[1].parse().unwrap(), x[1].to_string()))
                    })
                    .collect()
            };
            assert_eq!(got, want, "per_month after {step}:\n{csv}");
            // The manager's view: submitted claims of her reports, by employee.
            assert_summary(
                maria,
                "claims_to_approve",
                "waiting",
                &modelled(
                    &model,
                    |c| c.status == "Submitted",
                    |c| format!("{}|{}", c.owner, c.currency),
                ),
                step,
            )
            .await;
        }
    };
    check(model.clone(), "creations").await;

    // An update that moves a claim to another month and currency.
    let (id2, _) = model.iter().nth(1).map(|(k, v)| (*k, v.clone())).unwrap();
    let v = version_of(&alice, id2).await;
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id2, v)),
            &[
                ("supplier", "Shop"),
                ("expense_date", "2026-03-15"),
                ("net", "12.34"),
                ("tax", "0.66"),
                ("currency", "CHF"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let m = model.get_mut(&id2).unwrap();
    m.date = "2026-03-15".into();
    m.total = Decimal::from_str("13.00").unwrap();
    m.currency = "CHF".into();
    check(model.clone(), "an update").await;

    // A stale write is refused and changes nothing.
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id2, v)),
            &[
                ("supplier", "Shop"),
                ("expense_date", "2026-04-01"),
                ("net", "999"),
                ("tax", "0"),
                ("currency", "EUR"),
            ],
            None,
        )
        .await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER, "a stale version");
    check(model.clone(), "a refused stale write").await;

    // A deletion.
    let id1 = *model.keys().next().unwrap();
    let v = version_of(&alice, id1).await;
    let r = alice
        .run_op("delete_draft", Some((id1, v)), &[], None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    model.remove(&id1);
    check(model.clone(), "a deletion").await;

    // Into the manager's fixed filter (Submitted) and out of it again (Rejected).
    let ids: Vec<(i64, &'static str)> = model.iter().map(|(k, v)| (*k, v.owner)).collect();
    for (id, owner) in &ids {
        let s = if *owner == "alice" { &alice } else { &bob };
        let v = version_of(s, *id).await;
        let r = s
            .run_op(
                "upload_receipt",
                Some((*id, v)),
                &[],
                Some(("receipt", "r.png", png_receipt(*id as u8))),
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = s.run_op("submit", Some((*id, v + 1)), &[], None).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
        model.get_mut(id).unwrap().status = "Submitted";
    }
    check(model.clone(), "submissions").await;
    let (first, _) = ids[0];
    let v = version_of(&maria, first).await;
    let r = maria
        .run_op(
            "reject",
            Some((first, v)),
            &[("manager_comment", "Which trip?")],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    model.get_mut(&first).unwrap().status = "Rejected";
    check(model.clone(), "a rejection").await;

    // The figures above came from the rollups: a cell changed behind Formwork's back shows in a
    // summary without parameters, and not in one with a parameter (computed over the records).
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    db.execute_unprepared("UPDATE summary_cells SET n = n + 1000")
        .await
        .unwrap();
    let (_, csv) = alice
        .get_text("/apps/expense_claims/views/my_claims/summaries/per_month.csv")
        .await;
    assert!(csv.contains(",100"), "read from the cells: {csv}");
    let (_, csv) = alice
        .get_text(
            "/apps/expense_claims/views/my_claims/summaries/per_month.csv?p_date_from=2000-01-01",
        )
        .await;
    assert!(!csv.contains(",100"), "computed over the records: {csv}");
    db.close().await.ok();
}

/// Generated data (the bulk insert behind `formwork demo generate`) lands in the rollups too: a
/// summary read from them equals the same summary grouped over the records (a parameter that
/// keeps every record sends the call down that path).
#[tokio::test]
async fn bulk_generated_records_are_in_the_rollups() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    app.cli(
        &["demo", "generate", "--claims", "600", "--users", "3"],
        None,
    );
    let token = app
        .cli(
            &["token", "create", "--user", "emp002", "--name", "check"],
            None,
        )
        .trim()
        .to_string();
    for summary in ["by_category", "by_month_and_category", "per_month"] {
        let cells = call_tool(
            &app,
            &token,
            "expense_claims_my_claims_summary",
            serde_json::json!({ "summary": summary }),
        )
        .await;
        let rows = call_tool(
            &app,
            &token,
            "expense_claims_my_claims_summary",
            serde_json::json!({ "summary": summary, "date_from": "2000-01-01" }),
        )
        .await;
        let groups = &cells["structuredContent"]["groups"];
        assert!(groups.as_array().is_some_and(|g| !g.is_empty()), "{cells}");
        assert_eq!(groups, &rows["structuredContent"]["groups"], "{summary}");
        let n: u64 = groups
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|g| g.as_array())
            .map(|g| {
                let at = if summary == "per_month" {
                    1
                } else {
                    g.len() - 2
                };
                g[at].as_u64().unwrap()
            })
            .sum();
        assert_eq!(n, 200, "{summary}: emp002 has a third of 600 claims");
    }
}
