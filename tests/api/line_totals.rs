//! Totals over line items end to end, on a trip-totals app (tests/api/fixtures/line_totals.toml):
//! totals per currency and a home-currency total (each line at the rate of its own date) that
//! follow the lines as they are added, changed and removed; a missing rate said in words; the
//! record page, the CSV export, View Columns and Full MCP rows and a view summary; a Full page
//! with a record of 800 lines kept within the byte budget, the rest of its lines read once each
//! through the lines' read tool, which another employee cannot use on that record.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

const TRIP_TOTALS: &str = include_str!("fixtures/line_totals.toml");

/// The default byte budget of one MCP tool result (`--mcp-max-result-bytes`).
const BUDGET: usize = 100_000;

async fn publish(app: &TestApp) {
    let path = app.dir.path().join("line_totals.toml");
    std::fs::write(&path, TRIP_TOTALS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

fn ok(r: &Value) {
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
}

/// The stored fields of one trip, read through the Full view.
async fn stored(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "trip_totals_mine", json!({"limit": 100})).await;
    ok(&r);
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .map(|row| row["fields"].clone())
        .unwrap_or(Value::Null)
}

/// One trip's View Columns row, as displayed.
async fn listed(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "trip_totals_list", json!({})).await;
    ok(&r);
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .unwrap_or(Value::Null)
}

async fn edit(app: &TestApp, token: &str, id: i64, items: Value) {
    let r = call_tool(
        app,
        token,
        "trip_totals_edit",
        json!({"record_id": id, "items": items}),
    )
    .await;
    ok(&r);
}

#[tokio::test]
async fn totals_per_currency_and_in_the_home_currency_follow_the_lines() {
    let app = spawn_app().await;
    publish(&app).await;
    app.enable_mcp().await;
    let token = app.token("alice");

    // The Full view's schema describes the totals as an object of amounts.
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let mine = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "trip_totals_mine")
        .unwrap()
        .clone();
    let totals = &mine["outputSchema"]["properties"]["rows"]["items"]["properties"]["fields"]
        ["properties"]["totals"];
    assert_eq!(totals["type"], json!(["object", "null"]), "{totals}");
    assert_eq!(totals["additionalProperties"]["type"], "string");

    // Euros and francs: added up per currency; in euros, the francs at the rate of 2026-01-02
    // (0.9290 CHF per EUR): 33 CHF = 35.52 EUR.
    let r = call_tool(
        &app,
        &token,
        "trip_totals_create",
        json!({"purpose": "Zurich", "departed": "2026-03-02", "items": [
            {"date": "2026-03-02", "description": "Train", "net": "100.50"},
            {"date": "2026-03-05", "description": "Hotel", "net": "33", "currency": "CHF"},
            {"date": "2026-03-06", "description": "Dinner", "net": "20.00", "currency": "EUR"}
        ]}),
    )
    .await;
    ok(&r);
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    assert_eq!(
        r["structuredContent"]["record"]["totals"],
        json!({"CHF": "33.00", "EUR": "120.50"}),
        "an operation's result carries the object: {r}"
    );
    let fields = stored(&app, &token, id).await;
    assert_eq!(fields["totals"], json!({"CHF": "33.00", "EUR": "120.50"}));
    assert_eq!(fields["total_home"], "156.02");
    assert_eq!(fields["total_home:rate"]["lines"], 3);
    assert_eq!(
        fields["total_home:rate"]["rates"],
        json!([{"from": "CHF", "rate": "1.07642626", "day": "2026-01-02"}])
    );
    let row = listed(&app, &token, id).await;
    assert_eq!(row["items"], "3 lines", "{row}");
    assert_eq!(row["totals"], "CHF 33.00 · EUR 120.50", "{row}");
    assert_eq!(row["total_home"], "156.02 EUR", "{row}");

    // A line changed, one removed, one in dollars added: every total follows.
    edit(
        &app,
        &token,
        id,
        json!([
            {"id": "l1"},
            {"id": "l2", "net": "44"},
            {"date": "2026-03-07", "description": "Taxi", "net": "100", "currency": "USD"}
        ]),
    )
    .await;
    let fields = stored(&app, &token, id).await;
    assert_eq!(
        fields["totals"],
        json!({"CHF": "44.00", "EUR": "100.50", "USD": "100.00"})
    );
    // 100.50 + 44 / 0.9290 (47.36) + 100 / 1.1720 (85.32).
    assert_eq!(fields["total_home"], "233.18");
    assert_eq!(fields["total_home:rate"]["lines"], 3);

    // The record page shows both, and the history the totals before and after.
    let alice = app.sign_in("alice").await;
    let (status, page) = alice
        .get_text(&format!("/apps/trip_totals/records/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("CHF 44.00 · EUR 100.50 · USD 100.00"),
        "{page}"
    );
    assert!(
        page.contains("233.18 EUR (3 lines; 1 CHF = 1.07642626 EUR, rate of 2026-01-02; 1 USD = 0.85324232 EUR, rate of 2026-01-02)"),
        "{page}"
    );
    assert!(page.contains("CHF 33.00 · EUR 120.50"), "history: {page}");

    // The CSV export: the totals as displayed, the home total with its currency.
    let (status, csv) = alice
        .get_text("/apps/trip_totals/views/list/export.csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("Zurich,3,CHF 44.00 · EUR 100.50 · USD 100.00,233.18 EUR"),
        "{csv}"
    );

    // The view's totals line adds up the home-currency totals only: totals per currency do
    // not add up across records.
    let (status, list_page) = alice.get_text("/apps/trip_totals/views/list").await;
    assert_eq!(status, StatusCode::OK);
    let totals_line = list_page
        .split("<p class=\"totals\">")
        .nth(1)
        .and_then(|t| t.split("</p>").next())
        .unwrap_or_default();
    assert!(totals_line.contains("Total in EUR"), "{totals_line}");
    assert!(!totals_line.contains("Totals <span"), "{totals_line}");

    // The view summary adds up the home-currency totals.
    let r = call_tool(&app, &token, "trip_totals_list_summary", json!({})).await;
    ok(&r);
    let groups = r["structuredContent"]["groups"].to_string();
    assert!(groups.contains("\"233.18\""), "{r}");

    // Back to euros only: one total, no rates needed.
    edit(&app, &token, id, json!([{"id": "l1"}])).await;
    let fields = stored(&app, &token, id).await;
    assert_eq!(fields["totals"], json!({"EUR": "100.50"}));
    assert_eq!(fields["total_home"], "100.50");
    assert_eq!(fields["total_home:rate"]["rates"], json!([]));

    // A line from before any franc rate: the home total is empty and says which line.
    edit(
        &app,
        &token,
        id,
        json!([
            {"id": "l1"},
            {"date": "1999-12-01", "description": "Old ticket", "net": "10", "currency": "CHF"}
        ]),
    )
    .await;
    let fields = stored(&app, &token, id).await;
    assert_eq!(fields["total_home"], Value::Null);
    assert_eq!(
        fields["total_home:rate"]["missing"],
        "no CHF rate on or before 1999-12-01 (line 2)"
    );
    assert_eq!(fields["totals"], json!({"CHF": "10.00", "EUR": "100.50"}));
    let row = listed(&app, &token, id).await;
    assert_eq!(
        row["total_home"], "— no CHF rate on or before 1999-12-01 (line 2)",
        "{row}"
    );
    let (_, page) = alice
        .get_text(&format!("/apps/trip_totals/records/{id}"))
        .await;
    assert!(
        page.contains("— no CHF rate on or before 1999-12-01 (line 2)"),
        "{page}"
    );

    // Another employee sees none of it.
    let bob = app.token("bob");
    assert_eq!(stored(&app, &bob, id).await, Value::Null);
}

/// `n` lines of a long trip, in euros, each line with its number in the description.
fn many_lines(n: usize) -> Value {
    Value::Array(
        (1..=n)
            .map(|i| {
                json!({
                    "date": format!("2026-03-{:02}", i % 28 + 1),
                    "description": format!("Line number {i} of a long trip with a longer description"),
                    "net": format!("{}.{:02}", i, i % 100),
                })
            })
            .collect(),
    )
}

/// A result's size as the budget counts it: the structured content and the text.
fn size_of(r: &Value) -> usize {
    serde_json::to_string(&r["structuredContent"])
        .unwrap()
        .len()
        + r["content"][0]["text"].as_str().unwrap_or_default().len()
}

fn ids_of(lines: &Value) -> Vec<String> {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_full_page_keeps_a_long_record_within_the_budget_and_its_lines_are_read_once_each() {
    let app = spawn_app().await;
    publish(&app).await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let small = call_tool(
        &app,
        &token,
        "trip_totals_create",
        json!({"purpose": "A short trip", "items": many_lines(2)}),
    )
    .await;
    ok(&small);
    let long = call_tool(
        &app,
        &token,
        "trip_totals_create",
        json!({"purpose": "B long trip", "items": many_lines(800)}),
    )
    .await;
    ok(&long);
    let id = long["structuredContent"]["record_id"].as_i64().unwrap();

    // The first page: the short trip whole; the long one does not fit after it.
    let first = call_tool(&app, &token, "trip_totals_mine", json!({})).await;
    ok(&first);
    assert!(size_of(&first) <= BUDGET, "{}", size_of(&first));
    let rows = rows_of(&first["structuredContent"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["fields"]["purpose"], "A short trip");
    assert_eq!(first["structuredContent"]["truncated"], true);
    let cursor = first["structuredContent"]["next_cursor"].clone();

    // The next page: the long trip alone, with the first lines that fit and a note of the rest.
    let second = call_tool(&app, &token, "trip_totals_mine", json!({"cursor": cursor})).await;
    ok(&second);
    assert!(size_of(&second) <= BUDGET, "{}", size_of(&second));
    let rows = rows_of(&second["structuredContent"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], json!(id));
    assert_eq!(second["structuredContent"]["next_cursor"], Value::Null);
    let fields = &rows[0]["fields"];
    let note = &fields["items:truncated"];
    let returned = note["returned"].as_u64().unwrap() as usize;
    assert_eq!(note["total"], 800, "{note}");
    assert_eq!(note["next_lines_offset"], json!(returned));
    assert!(returned > 50 && returned < 800, "{note}");
    let mut seen = ids_of(&fields["items"]);
    assert_eq!(seen.len(), returned);
    let text = second["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!(
            "Record {id}: items cut to the first {returned} of 800 lines to fit the size budget; read the rest with `trip_totals_read_items` (record_id {id}, lines_offset {returned})."
        )),
        "{}",
        text.chars().take(400).collect::<String>()
    );
    // The totals cover every line, not only those shown.
    assert_eq!(fields["total_home:rate"]["lines"], 800);

    // The rest through the read tool, page by page within the same budget.
    let mut offset = note["next_lines_offset"].clone();
    let mut pages = 0;
    while !offset.is_null() {
        let r = call_tool(
            &app,
            &token,
            "trip_totals_read_items",
            json!({"record_id": id, "lines_offset": offset}),
        )
        .await;
        ok(&r);
        assert!(size_of(&r) <= BUDGET, "{}", size_of(&r));
        let sc = &r["structuredContent"];
        assert_eq!(sc["total"], 800);
        assert_eq!(sc["offset"], offset);
        seen.extend(ids_of(&sc["lines"]));
        offset = sc["next_lines_offset"].clone();
        pages += 1;
        assert!(pages < 10, "paging must end");
    }
    let expected: Vec<String> = (1..=800).map(|i| format!("l{i}")).collect();
    assert_eq!(seen, expected, "every line once, in order");
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 800);

    // Another employee may not read the record's lines, from any offset; a bad offset is refused.
    let bob = app.token("bob");
    for args in [
        json!({"record_id": id}),
        json!({"record_id": id, "lines_offset": returned}),
    ] {
        let r = call_tool(&app, &bob, "trip_totals_read_items", args).await;
        assert_eq!(r["isError"], json!(true), "{r}");
        assert_eq!(r["structuredContent"]["error"]["code"], "not_found", "{r}");
        assert!(r["structuredContent"].get("lines").is_none(), "{r}");
    }
    let r = call_tool(
        &app,
        &token,
        "trip_totals_read_items",
        json!({"record_id": id, "lines_offset": -1}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert_eq!(r["structuredContent"]["error"]["code"], "invalid_input");
    // A record of another app is not reached through this tool.
    let claim = app.sign_in("alice").await.new_claim("Not a trip").await;
    let r = call_tool(
        &app,
        &token,
        "trip_totals_read_items",
        json!({"record_id": claim}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
}
