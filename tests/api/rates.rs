//! Exchange rates, the home currency and converted fields: importing the ECB's CSV (gaps,
//! trailing commas, bad files refused whole), conversion with the nearest earlier rate, cross
//! rates, missing rates said in words, views filtering, sorting and summing converted amounts,
//! recomputing after rates arrive, and the admin page's access control.
use crate::helpers::*;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use std::str::FromStr;

/// How many rates `formwork rates list` says are stored (every test site starts with the few of
/// `tests/api/fixtures/rates.csv`).
fn rate_count(app: &TestApp) -> u64 {
    let listed = app.cli(&["rates", "list"], None);
    let line = listed.lines().nth(1).unwrap_or_default();
    line.split(' ').next().unwrap_or_default().parse().unwrap()
}

/// A small ECB-layout file: USD and GBP per EUR, a gap, a legacy column, trailing commas.
const ECB: &str = "Date,USD,JPY,CYP,GBP,\n\
2026-03-04,1.0850,161.20,N/A,0.8500,\n\
2026-03-03,1.0800,N/A,N/A,0.8400,\n\
2026-03-02,1.0700,160.50,N/A,0.8300,\n";

/// A generic app (nothing to do with expense claims) with a converted field.
const TRIPS: &str = r#"
slug = "trips"
name = "Trips"
[fields]
place = { type = "text", label = "Place" }
day = { type = "date", label = "Day" }
amount = { type = "money", label = "Amount", currency_field = "cur" }
cur = { type = "currency", label = "Currency" }
home = { type = "converted", label = "Home amount", source = "amount", date_field = "day" }
[views.all]
title = "All trips"
roles = ["employee", "admin"]
scope = "all"
columns = ["place", "amount", "cur", "home"]
sort = ["place"]
parameters.min_home = { field = "home", op = "gte", label = "Home at least" }
summaries.home_total = { title = "Home total", aggregate = "sum", field = "home" }
[operations.add]
title = "Add"
kind = "create"
roles = ["employee"]
inputs = ["place", "day", "amount", "cur"]
"#;

fn write(app: &TestApp, name: &str, text: &str) -> String {
    let p = app.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

async fn with_trips() -> TestApp {
    let app = spawn_app().await;
    let def = write(&app, "trips.toml", TRIPS);
    app.cli(&["app", "import", &def, "--publish"], None);
    let rates = write(&app, "ecb.csv", ECB);
    app.cli(&["rates", "import", &rates], None);
    app.cli(&["rates", "home-currency", "EUR"], None);
    app
}

/// Runs `trips.add` from the web form; returns the new record's id.
async fn trip(s: &Session, place: &str, day: &str, amount: &str, cur: &str) -> i64 {
    let form = reqwest::multipart::Form::new()
        .text("csrf", s.csrf.clone())
        .text("place", place.to_string())
        .text("day", day.to_string())
        .text("amount", amount.to_string())
        .text("cur", cur.to_string());
    let r = s
        .http
        .post(s.url("/apps/trips/ops/add"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    record_id_of(&r)
}

async fn record_page(s: &Session, id: i64) -> String {
    let (status, html) = s.get_text(&format!("/apps/trips/records/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    html
}

#[tokio::test]
async fn the_ecb_file_imports_with_gaps_and_trailing_commas_and_a_bad_file_imports_nothing() {
    let app = spawn_app().await;
    let before = rate_count(&app);
    let good = write(&app, "ecb.csv", ECB);
    let out = app.cli(&["rates", "import", &good], None);
    assert!(
        out.contains("Stored 8 rates of 3 currencies against EUR from 2026-03-02 to 2026-03-04. 1 empty (N/A) cells skipped."),
        "{out}"
    );
    assert!(out.contains("CYP"), "legacy column named as skipped: {out}");
    assert_eq!(rate_count(&app), before + 8);
    let listed = app.cli(&["rates", "list", "--limit", "100"], None);
    assert!(listed.contains("2026-03-04\tUSD\t1.085"), "{listed}");
    assert!(
        !listed.contains("2026-03-03\tJPY"),
        "a gap is no rate: {listed}"
    );

    let bad = write(
        &app,
        "bad.csv",
        "Date,USD,\n2026-04-02,1.1,\n2026-04-01,one,\n2026/03/31,1.2,\n",
    );
    let out = app.cli_raw(&["rates", "import", &bad], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(err.contains("line 3: USD rate `one`"), "{err}");
    assert!(err.contains("line 4: `2026/03/31` is not a date"), "{err}");
    assert_eq!(
        rate_count(&app),
        before + 8,
        "the good first row was not stored either"
    );

    // The long layout, and a rate set by hand.
    let long = write(
        &app,
        "long.csv",
        "date,currency,rate\n2026-03-05,CHF,0.95\n",
    );
    assert!(app
        .cli(&["rates", "import", &long], None)
        .contains("Stored 1 rate"));
    app.cli(&["rates", "set", "USD", "2026-03-05", "1.09"], None);
    let listed = app.cli(&["rates", "list", "--limit", "100"], None);
    assert!(listed.contains("2026-03-05\tUSD\t1.09"), "{listed}");
    assert!(listed.contains("2026-03-05\tCHF\t0.95"), "{listed}");
}

#[tokio::test]
async fn an_amount_is_converted_with_the_nearest_earlier_rate_and_a_missing_rate_is_said() {
    let app = with_trips().await;
    let alice = app.sign_in("alice").await;
    // Sunday 2026-03-08 has no rate: the latest day before it (03-04) is used.
    let id = trip(&alice, "Boston", "2026-03-08", "108.50", "USD").await;
    let html = record_page(&alice, id).await;
    assert!(
        html.contains("100.00 EUR"),
        "108.50 / 1.085 = 100.00: {html}"
    );
    assert!(html.contains("rate of 2026-03-04"), "{html}");
    // The home currency itself needs no rate.
    let id = trip(&alice, "Paris", "2020-01-01", "12.5", "EUR").await;
    assert!(record_page(&alice, id).await.contains("12.50 EUR"));
    // No rate at all: a message, never a zero.
    let early = trip(&alice, "Oslo", "2026-03-01", "100", "NOK").await;
    let html = record_page(&alice, early).await;
    assert!(
        html.contains("no NOK rate on or before 2026-03-01"),
        "{html}"
    );
    assert!(!html.contains("0.00 EUR"), "{html}");
    let (_, view) = alice.get_text("/apps/trips/views/all").await;
    assert!(
        view.contains("no NOK rate on or before 2026-03-01"),
        "{view}"
    );

    // Rates that arrive later change nothing until an administrator recomputes.
    let more = write(
        &app,
        "more.csv",
        "date,currency,rate\n2026-02-27,NOK,12.5\n",
    );
    app.cli(&["rates", "import", &more], None);
    assert!(record_page(&alice, early).await.contains("no NOK rate"));
    let out = app.cli(&["rates", "recompute", "trips"], None);
    assert!(
        out.contains("1 record(s) updated; 0 amount(s) still without a rate"),
        "{out}"
    );
    let html = record_page(&alice, early).await;
    assert!(html.contains("8.00 EUR"), "100 / 12.5: {html}");
    assert!(
        html.contains("Recompute home-currency amounts"),
        "history entry: {html}"
    );
    // Nothing left to do: a second run changes nothing.
    let out = app.cli(&["rates", "recompute", "trips"], None);
    assert!(out.starts_with("0 record(s) updated"), "{out}");
}

#[tokio::test]
async fn a_cross_rate_goes_through_the_base_when_the_home_currency_is_not_the_base() {
    let app = with_trips().await;
    app.cli(&["rates", "home-currency", "GBP"], None);
    let alice = app.sign_in("alice").await;
    // 100 USD on 03-03: / 1.08 × 0.84 = 77.777… → 77.78 GBP.
    let id = trip(&alice, "Austin", "2026-03-03", "100", "USD").await;
    let html = record_page(&alice, id).await;
    assert!(html.contains("77.78 GBP"), "{html}");
    // JPY has no rate on 03-03: the latest day with both JPY and GBP (03-02) is used:
    // 10000 / 160.5 × 0.83 = 51.713… → 51.71 GBP.
    let id = trip(&alice, "Tokyo", "2026-03-03", "10000", "JPY").await;
    let html = record_page(&alice, id).await;
    assert!(html.contains("51.71 GBP"), "{html}");
    assert!(html.contains("rate of 2026-03-02"), "{html}");
    // From the base into the home currency.
    let id = trip(&alice, "Rome", "2026-03-04", "10", "EUR").await;
    assert!(record_page(&alice, id).await.contains("8.50 GBP"));
}

#[tokio::test]
async fn a_view_filters_sorts_and_sums_the_converted_field_in_the_home_currency() {
    let app = with_trips().await;
    let alice = app.sign_in("alice").await;
    let amounts = [
        ("A", "2026-03-04", "217", "USD"),
        ("B", "2026-03-03", "54", "USD"),
        ("C", "2026-03-02", "30", "EUR"),
        ("D", "2026-03-04", "85", "GBP"),
        ("E", "2026-03-01", "5", "NOK"),
    ];
    for (p, d, a, c) in amounts {
        trip(&alice, p, d, a, c).await;
    }
    // Independently: 217/1.085 = 200.00; 54/1.08 = 50.00; 30; 85/0.85 = 100.00; no NOK rate.
    let expected: Decimal = ["200.00", "50.00", "30.00", "100.00"]
        .iter()
        .map(|s| Decimal::from_str(s).unwrap())
        .sum();
    let (_, html) = alice.get_text("/apps/trips/views/all?sort=-home").await;
    let order: Vec<usize> = ["200.00 EUR", "100.00 EUR", "50.00 EUR", "30.00 EUR"]
        .iter()
        .map(|s| {
            html.find(s)
                .unwrap_or_else(|| panic!("{s} missing: {html}"))
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sorted descending: {order:?}"
    );
    let totals = format!("{} EUR", expected.round_dp(2));
    assert!(html.contains(&totals), "totals row {totals}: {html}");
    // Filtering on the converted amount.
    let (_, html) = alice.get_text("/apps/trips/views/all?p_min_home=60").await;
    assert!(
        html.contains("200.00 EUR") && html.contains("100.00 EUR"),
        "{html}"
    );
    assert!(
        !html.contains("50.00 EUR") && !html.contains("30.00 EUR"),
        "{html}"
    );
    // The summary (CSV export) is in the home currency and matches.
    let (status, csv) = alice
        .get_text("/apps/trips/views/all/summaries/home_total.csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("EUR"), "{csv}");
    assert!(csv.contains(&expected.round_dp(2).to_string()), "{csv}");
}

#[tokio::test]
async fn the_mcp_summary_tool_sums_home_currency_amounts_with_the_currency_code() {
    let app = spawn_app().await;
    let rates = write(&app, "ecb.csv", ECB);
    app.cli(&["rates", "import", &rates], None);
    app.cli(&["rates", "home-currency", "EUR"], None);
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    for (net, cur, date) in [("100", "USD", "2026-03-04"), ("20", "EUR", "2026-03-03")] {
        let id = alice.new_claim("Trip").await;
        let r = alice
            .run_op(
                "fill_receipt_fields",
                Some((id, version_of(&alice, id).await)),
                &[
                    ("supplier", "Shop"),
                    ("expense_date", date),
                    ("net", net),
                    ("tax", "0"),
                    ("currency", cur),
                ],
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let token = app.token("alice");
    let sc = call_tool(
        &app,
        &token,
        "expense_claims_my_claims_summary",
        serde_json::json!({"summary": "home_per_month"}),
    )
    .await;
    // 100 / 1.085 = 92.17 (half away from zero), + 20 = 112.17 EUR in March 2026.
    let groups = sc["structuredContent"]["groups"].to_string();
    assert!(groups.contains("\"2026-03\",\"EUR\",2,\"112.17\""), "{sc}");
}

#[tokio::test]
async fn the_rates_page_is_for_administrators_and_checks_csrf() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let admin = app.sign_in("admin").await;
    assert_eq!(
        alice.get("/admin/rates").await.status(),
        StatusCode::FORBIDDEN
    );
    for (path, fields) in [
        ("/admin/rates/home", vec![("currency", "USD")]),
        (
            "/admin/rates/set",
            vec![("currency", "USD"), ("day", "2026-03-01"), ("rate", "1.1")],
        ),
        ("/admin/rates/recompute", vec![("app", "expense_claims")]),
    ] {
        let r = alice.post_form(path, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} as alice");
        let mut bad = fields.clone();
        bad.push(("csrf", "forged"));
        let r = admin
            .http
            .post(admin.url(path))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "{path} with a forged token"
        );
    }
    let upload = |s: &Session, csrf: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(ECB.as_bytes().to_vec()).file_name("ecb.csv"),
            );
        s.http
            .post(s.url("/admin/rates/import"))
            .multipart(form)
            .send()
    };
    assert_eq!(
        upload(&alice, &alice.csrf).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        upload(&admin, "forged").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let before = rate_count(&app);

    // The administrator's own forms work and say so.
    let r = upload(&admin, &admin.csrf).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.get_text("/admin/rates?done=imported&n=8").await;
    assert!(html.contains("Imported 8 rates."), "{html}");
    assert!(html.contains("1.085"), "{html}");
    let r = admin
        .post_form("/admin/rates/home", &[("currency", "GBP")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form(
            "/admin/rates/set",
            &[("currency", "CHF"), ("day", "2026-03-05"), ("rate", "0.93")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.get_text("/admin/rates").await;
    assert!(html.contains("<option value=\"GBP\" selected>"), "{html}");
    assert!(html.contains("0.93"), "{html}");
    // A refused rate is explained on the page, and nothing is stored.
    let r = admin
        .post_form(
            "/admin/rates/set",
            &[("currency", "CHF"), ("day", "2026-03-06"), ("rate", "-1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("is not a rate"));
    assert_eq!(rate_count(&app), before + 9);
}

#[tokio::test]
async fn the_app_editor_adds_checks_and_renames_a_converted_field_and_stored_rates_follow() {
    let app = with_trips().await;
    let alice = app.sign_in("alice").await;
    let id = trip(&alice, "Boston", "2026-03-04", "108.50", "USD").await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/trips/fields",
            &[
                ("label", "Home again"),
                ("name", "home2"),
                ("type", "converted"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.get_text("/admin/apps/trips/fields/home2").await;
    assert!(page.contains("<option value=\"amount\" selected"), "{page}");
    assert!(page.contains("<option value=\"day\" selected"), "{page}");
    // A source that is not an amount is refused on the form.
    let r = admin
        .post_form(
            "/admin/apps/trips/fields/home2",
            &[
                ("label", "Home again"),
                ("name", "home2"),
                ("type", "converted"),
                ("source", "place"),
                ("date_field", "day"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("is not a money field"), "{body}");
    // Renaming the published converted field moves its values and rate details at publish.
    let r = admin
        .post_form(
            "/admin/apps/trips/fields/home",
            &[
                ("label", "Home amount"),
                ("name", "home_eur"),
                ("type", "converted"),
                ("source", "amount"),
                ("date_field", "day"),
            ],
        )
        .await;
    let status = r.status();
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let r = admin
        .post_form("/admin/apps/trips/publish", &[("note", "rename")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let html = record_page(&alice, id).await;
    assert!(
        html.contains("100.00 EUR (1 USD = 0.92165899 EUR, rate of 2026-03-04)"),
        "{html}"
    );
}
