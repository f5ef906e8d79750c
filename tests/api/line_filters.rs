//! Views filtered on line items ("has a line whose category is Lodging"), evaluated in the
//! database: a parameter over the web and MCP, a fixed filter, both following lines as they are
//! added, changed and removed; values of the wrong type refused; another person's records still
//! out of sight; definitions filtering on line items in ways Formwork cannot refused with paths;
//! on SQLite the line index that answers them filled at publish, kept by every write and rebuilt
//! at start.
use crate::helpers::*;
use serde_json::{json, Value};

const REPORTS: &str = include_str!("fixtures/travel_report.toml");

/// The trip report app with a number-of-nights column and two views filtering on line items.
fn reports() -> String {
    REPORTS.replace(
        r#"currency    = { type = "currency", label = "Currency", default = "EUR" }"#,
        r#"currency    = { type = "currency", label = "Currency", default = "EUR" }
nights      = { type = "integer", label = "Nights" }"#,
    ) + r#"
[views.by_line]
title = "Reports by line"
roles = ["employee"]
scope = "own"
columns = ["purpose", "items"]
mcp = { enabled = true }
parameters.category = { field = "items.category", op = "eq" }
parameters.nights = { field = "items.nights", op = "eq" }
parameters.currency = { field = "items.currency", op = "eq" }

[views.lodging]
title = "Reports with lodging"
roles = ["employee"]
scope = "own"
columns = ["purpose"]
mcp = { enabled = true }
filters = [{ field = "items.category", op = "eq", value = "Lodging" }]
"#
}

fn import(app: &TestApp, text: &str, publish: bool) -> String {
    let path = app.dir.path().join("reports.toml");
    std::fs::write(&path, text).unwrap();
    let mut args = vec!["app", "import", path.to_str().unwrap()];
    if publish {
        args.push("--publish");
    }
    let out = app.cli_raw(&args, None);
    format!(
        "{}{}{}",
        if out.status.success() {
            "ok\n"
        } else {
            "failed\n"
        },
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn line(category: &str, nights: Option<i64>, currency: &str) -> Value {
    let mut l = json!({"date": "2026-03-02", "description": format!("{category} cost"),
                       "category": category, "net": "10.00", "currency": currency});
    if let Some(n) = nights {
        l["nights"] = json!(n);
    }
    l
}

async fn create(app: &TestApp, token: &str, purpose: &str, items: Value) -> i64 {
    let r = call_tool(
        app,
        token,
        "trip_reports_create",
        json!({"purpose": purpose, "items": items}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    r["structuredContent"]["record_id"].as_i64().unwrap()
}

/// The purposes a view lists for `args`, sorted.
async fn purposes(app: &TestApp, token: &str, tool: &str, args: Value) -> Vec<String> {
    let r = call_tool(app, token, tool, args).await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    let mut out: Vec<String> = rows_of(&r["structuredContent"])
        .iter()
        .map(|row| row["purpose"].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

/// The stored lines of a report, as its record tool gives them.
async fn lines_of(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let r = call_tool(app, token, "trip_reports_mine", json!({"limit": 100})).await;
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .and_then(|row| row["fields"]["items"].as_array().cloned())
        .unwrap()
}

#[tokio::test]
async fn a_view_lists_the_records_having_a_line_with_the_value() {
    let app = spawn_app().await;
    let out = import(&app, &reports(), true);
    assert!(out.starts_with("ok"), "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.enable_mcp().await;
    let alice = app.token("alice");
    let bob = app.token("bob");

    let hotel = create(
        &app,
        &alice,
        "Hotel trip",
        json!([
            line("Transport", None, "EUR"),
            line("Lodging", Some(2), "EUR")
        ]),
    )
    .await;
    create(
        &app,
        &alice,
        "Day trip",
        json!([line("Transport", None, "CHF"), line("Meals", None, "EUR")]),
    )
    .await;
    // Bob's lodging stays his.
    create(
        &app,
        &bob,
        "Bob's hotel",
        json!([line("Lodging", Some(2), "EUR")]),
    )
    .await;

    let by_line = |args: Value| purposes(&app, &alice, "trip_reports_by_line", args);
    assert_eq!(
        by_line(json!({"category": "Lodging"})).await,
        ["Hotel trip"]
    );
    assert_eq!(
        by_line(json!({"category": "Transport"})).await,
        ["Day trip", "Hotel trip"]
    );
    assert!(by_line(json!({"category": "Other"})).await.is_empty());
    assert_eq!(by_line(json!({"nights": 2})).await, ["Hotel trip"]);
    assert_eq!(by_line(json!({"nights": "2"})).await, ["Hotel trip"]);
    assert!(by_line(json!({"nights": 3})).await.is_empty());
    assert_eq!(by_line(json!({"currency": "CHF"})).await, ["Day trip"]);
    // Both conditions, each on some line (not necessarily the same one).
    assert_eq!(
        by_line(json!({"category": "Transport", "currency": "CHF"})).await,
        ["Day trip"]
    );
    assert_eq!(
        purposes(&app, &alice, "trip_reports_lodging", json!({})).await,
        ["Hotel trip"]
    );
    assert_eq!(
        purposes(
            &app,
            &bob,
            "trip_reports_by_line",
            json!({"category": "Lodging"})
        )
        .await,
        ["Bob's hotel"]
    );

    // The tool's schema is the column's.
    let (_, tools) = mcp(&app, &alice, "tools/list", json!({})).await;
    let tool = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "trip_reports_by_line")
        .unwrap()
        .clone();
    let props = &tool["inputSchema"]["properties"];
    assert_eq!(
        props["category"]["enum"],
        json!(["Transport", "Lodging", "Meals", "Other"]),
        "{props}"
    );
    assert_eq!(props["nights"]["type"], "integer", "{props}");
    assert!(
        props["category"]["description"]
            .as_str()
            .unwrap()
            .contains("with a line whose Items · Category equals"),
        "{props}"
    );

    // Values of the wrong type are refused, saying why.
    for (args, message) in [
        (json!({"category": "Spa"}), "Spa"),
        (json!({"nights": "two"}), "two"),
    ] {
        let r = call_tool(&app, &alice, "trip_reports_by_line", args.clone()).await;
        assert_eq!(r["isError"], json!(true), "{args}: {r}");
        let text = r["structuredContent"]["error"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(message), "{args}: {r}");
    }

    // Changing the lines changes what the views list: the lodging line becomes meals…
    let mut lines = lines_of(&app, &alice, hotel).await;
    lines[1]["category"] = json!("Meals");
    let r = call_tool(
        &app,
        &alice,
        "trip_reports_edit",
        json!({"record_id": hotel, "items": lines}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    assert!(by_line(json!({"category": "Lodging"})).await.is_empty());
    assert!(purposes(&app, &alice, "trip_reports_lodging", json!({}))
        .await
        .is_empty());
    assert_eq!(
        by_line(json!({"category": "Meals"})).await,
        ["Day trip", "Hotel trip"]
    );
    // …a lodging line is added…
    let mut lines = lines_of(&app, &alice, hotel).await;
    lines.push(line("Lodging", None, "EUR"));
    let r = call_tool(
        &app,
        &alice,
        "trip_reports_edit",
        json!({"record_id": hotel, "items": lines}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    assert_eq!(
        by_line(json!({"category": "Lodging"})).await,
        ["Hotel trip"]
    );
    // …and the transport line removed.
    let lines: Vec<Value> = lines_of(&app, &alice, hotel)
        .await
        .into_iter()
        .filter(|l| l["category"] != "Transport")
        .collect();
    let r = call_tool(
        &app,
        &alice,
        "trip_reports_edit",
        json!({"record_id": hotel, "items": lines}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    assert_eq!(
        by_line(json!({"category": "Transport"})).await,
        ["Day trip"]
    );

    // Over the web: a select of the column's options, the same records.
    let web = app.sign_in("alice").await;
    let (_, page) = web
        .get_text("/apps/trip_reports/views/by_line?p_category=Lodging")
        .await;
    assert!(
        page.contains(r#"<select name="p_category">"#)
            && page.contains(r#"<option value="Lodging" selected>"#),
        "{page}"
    );
    assert!(
        page.contains("Hotel trip") && !page.contains("Day trip"),
        "{page}"
    );
    assert!(!page.contains("Bob&#x27;s hotel") && !page.contains("Bob's hotel"));
    let (_, page) = web
        .get_text("/apps/trip_reports/views/by_line?p_nights=many")
        .await;
    assert!(
        page.contains("many") && page.contains("whole number"),
        "{page}"
    );
    assert!(!page.contains("Hotel trip"), "{page}");
}

/// The rows the line index holds for the app, as (field, column, value, purpose), sorted; `None`
/// on PostgreSQL, which answers line filters from a GIN index and keeps no such rows.
async fn index_rows(app: &TestApp) -> Option<Vec<(String, String, String, String)>> {
    use sea_orm::{ConnectionTrait, Database};
    if app.db_url.starts_with("postgres") {
        return None;
    }
    let db = Database::connect(&app.db_url).await.unwrap();
    let rows = db
        .query_all(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT v.field, v.col, CAST(v.value AS TEXT) AS value, json_extract(r.data, '$.purpose') AS purpose \
             FROM record_line_values v JOIN records r ON r.id = v.record_id \
             ORDER BY v.field, v.col, v.value, purpose",
        ))
        .await
        .unwrap();
    db.close().await.ok();
    Some(
        rows.iter()
            .map(|r| {
                (
                    r.try_get("", "field").unwrap(),
                    r.try_get("", "col").unwrap(),
                    r.try_get("", "value").unwrap(),
                    r.try_get("", "purpose").unwrap(),
                )
            })
            .collect(),
    )
}

fn row(col: &str, value: &str, purpose: &str) -> (String, String, String, String) {
    ("items".into(), col.into(), value.into(), purpose.into())
}

#[tokio::test]
async fn the_line_index_is_filled_at_publish_follows_every_write_and_is_rebuilt_at_start() {
    let mut app = spawn_app().await;
    // Published without a view filtering on lines: the index keeps nothing for the app.
    let out = import(&app, REPORTS, true);
    assert!(out.starts_with("ok"), "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.enable_mcp().await;
    let alice = app.token("alice");
    let hotel = create(
        &app,
        &alice,
        "Hotel trip",
        json!([line("Transport", None, "EUR"), line("Lodging", None, "EUR")]),
    )
    .await;
    create(
        &app,
        &alice,
        "Day trip",
        json!([line("Transport", None, "CHF")]),
    )
    .await;
    if let Some(rows) = index_rows(&app).await {
        assert!(rows.is_empty(), "{rows:?}");
    }

    // The views filtering on lines are published: the columns they name are filled from the
    // records already there (and only those: the currency column is named, the net is not).
    let with_delete = reports()
        + r#"
[operations.remove]
title = "Delete report"
kind = "delete"
roles = ["employee"]
scope = "own"
mcp = { enabled = true }
"#;
    let out = import(&app, &with_delete, true);
    assert!(out.starts_with("ok"), "{out}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let by_line = |args: Value| purposes(&app, &alice, "trip_reports_by_line", args);
    assert_eq!(
        by_line(json!({"category": "Lodging"})).await,
        ["Hotel trip"]
    );
    assert_eq!(
        by_line(json!({"category": "Transport"})).await,
        ["Day trip", "Hotel trip"]
    );
    let filled = index_rows(&app).await;
    if let Some(rows) = &filled {
        assert_eq!(
            rows,
            &[
                row("category", "Lodging", "Hotel trip"),
                row("category", "Transport", "Day trip"),
                row("category", "Transport", "Hotel trip"),
                row("currency", "CHF", "Day trip"),
                row("currency", "EUR", "Hotel trip"),
            ]
        );
    }

    // A write follows in the same transaction: a number of nights (stored as an integer) added.
    let mut lines = lines_of(&app, &alice, hotel).await;
    lines[1]["nights"] = json!(3);
    let r = call_tool(
        &app,
        &alice,
        "trip_reports_edit",
        json!({"record_id": hotel, "items": lines}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    assert_eq!(by_line(json!({"nights": 3})).await, ["Hotel trip"]);
    if let Some(rows) = index_rows(&app).await {
        assert!(rows.contains(&row("nights", "3", "Hotel trip")), "{rows:?}");
    }

    // A deleted record leaves no row behind.
    let preview = call_tool(
        &app,
        &alice,
        "trip_reports_remove",
        json!({"record_id": hotel}),
    )
    .await;
    let token = preview["structuredContent"]["confirmation_token"].clone();
    let r = call_tool(
        &app,
        &alice,
        "trip_reports_remove",
        json!({"record_id": hotel, "confirmation_token": token}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
    assert!(by_line(json!({"category": "Lodging"})).await.is_empty());
    if let Some(rows) = index_rows(&app).await {
        assert!(rows.iter().all(|r| r.3 == "Day trip"), "{rows:?}");
        assert_eq!(rows.len(), 2, "{rows:?}");
    }

    // A restored backup has no line index (it is derived, so left out): the server fills it
    // again when it starts, and the filters list the same records.
    app.kill();
    if !app.db_url.starts_with("postgres") {
        use sea_orm::{ConnectionTrait, Database};
        let db = Database::connect(&app.db_url).await.unwrap();
        for t in ["line_index_columns", "record_line_values"] {
            db.execute_unprepared(&format!("DELETE FROM {t}"))
                .await
                .unwrap();
        }
        db.close().await.ok();
    }
    app.start(&[]);
    let by_line = |args: Value| purposes(&app, &alice, "trip_reports_by_line", args);
    assert_eq!(
        by_line(json!({"category": "Transport"})).await,
        ["Day trip"]
    );
    assert_eq!(by_line(json!({"currency": "CHF"})).await, ["Day trip"]);
    if let Some(rows) = index_rows(&app).await {
        assert_eq!(
            rows,
            [
                row("category", "Transport", "Day trip"),
                row("currency", "CHF", "Day trip"),
            ]
        );
    }
}

/// On SQLite the plan of a line filter reads the line index's key, not every record's lines.
#[tokio::test]
async fn a_line_filter_reads_the_line_index_on_sqlite() {
    let app = spawn_app().await;
    if app.db_url.starts_with("postgres") {
        return;
    }
    let out = import(&app, &reports(), true);
    assert!(out.starts_with("ok"), "{out}");
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(&app.db_url).await.unwrap();
    let id = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM apps WHERE slug = 'trip_reports'",
        ))
        .await
        .unwrap()
        .unwrap();
    db.close().await.ok();
    let store = formwork::store::Store::connect(&app.db_url).await.unwrap();
    let mut q = formwork::store::RecordQuery {
        app_id: id.try_get("", "id").unwrap(),
        predicates: vec![formwork::store::Predicate {
            field: "items.category".into(),
            kind: formwork::store::ValueKind::Text,
            op: formwork::store::PredicateOp::HasLine,
            value: "\"Lodging\"".into(),
            via: None,
            indexed: true,
            key: None,
        }],
        limit: 25,
        ..Default::default()
    };
    let plan = store.explain_records(&q).await.unwrap().join("\n");
    assert!(plan.contains("record_line_values"), "{plan}");
    q.predicates[0].indexed = false;
    let plan = store.explain_records(&q).await.unwrap().join("\n");
    assert!(!plan.contains("record_line_values"), "{plan}");
    store.close().await.ok();
}

#[tokio::test]
async fn filters_on_line_items_that_cannot_work_are_refused_with_their_path() {
    let app = spawn_app().await;
    for (from, to, message) in [
        (
            r#"parameters.nights = { field = "items.nights", op = "eq" }"#,
            r#"parameters.nights = { field = "items.nights", op = "gte" }"#,
            "views.by_line.parameters.nights.op: `items.nights` is a column of line items; it is filtered with `eq`",
        ),
        (
            r#"parameters.nights = { field = "items.nights", op = "eq" }"#,
            r#"parameters.nights = { field = "items.net", op = "eq" }"#,
            "views.by_line.parameters.nights.field: `items.net` is a money column",
        ),
        (
            r#"parameters.nights = { field = "items.nights", op = "eq" }"#,
            r#"parameters.nights = { field = "items.night", op = "eq" }"#,
            "views.by_line.parameters.nights.field: `items` has no column `night`",
        ),
        (
            r#"value = "Lodging""#,
            r#"value = "Hotel""#,
            "views.lodging.filters[0].value:",
        ),
    ] {
        let text = reports();
        assert!(text.contains(from), "{from}");
        let out = import(&app, &text.replace(from, to), false);
        assert!(out.starts_with("failed"), "{to}: {out}");
        assert!(out.contains(message), "{message} in {out}");
    }
}

/// A value most reports hold is tested on each report the page walks (a probe of the line index
/// per report) instead of listing every report that holds it; a rare one still reads the list.
/// Both answer exactly as the scan of every report's lines does.
#[tokio::test]
async fn a_line_value_many_records_hold_is_probed_per_record_with_the_scans_answers() {
    let app = spawn_app().await;
    if app.db_url.starts_with("postgres") {
        return;
    }
    let out = import(&app, &reports(), true);
    assert!(out.starts_with("ok"), "{out}");
    let store = formwork::store::Store::connect(&app.db_url).await.unwrap();
    let app_id = store.app_by_slug("trip_reports").await.unwrap().unwrap().id;
    // 2,460 reports: five in six have a Lodging line (2,050, past the line of "many"), one in
    // sixty a Taxi line (41).
    let rows: Vec<(i64, Value)> = (0..2_460)
        .map(|i| {
            let mut items =
                vec![json!({"id": format!("l{i}a"), "category": "Meals", "net": "12.00"})];
            if i % 6 != 5 {
                items.push(json!({"id": format!("l{i}b"), "category": "Lodging", "net": "90.00"}));
            }
            if i % 60 == 7 {
                items.push(json!({"id": format!("l{i}c"), "category": "Taxi", "net": "20.00"}));
            }
            (
                1,
                json!({"purpose": format!("Trip {i:04}"), "items": items}),
            )
        })
        .collect();
    store
        .bulk_insert_records(app_id, &rows, chrono::Utc::now())
        .await
        .unwrap();
    let query = |value: &str, indexed: bool, offset: u64| formwork::store::RecordQuery {
        app_id,
        predicates: vec![formwork::store::Predicate {
            field: "items.category".into(),
            kind: formwork::store::ValueKind::Text,
            op: formwork::store::PredicateOp::HasLine,
            value: format!("\"{value}\""),
            via: None,
            indexed,
            key: None,
        }],
        sort: vec![formwork::store::SortKey {
            field: "purpose".into(),
            kind: formwork::store::ValueKind::Text,
            desc: false,
        }],
        limit: 25,
        offset,
        ..Default::default()
    };
    for (value, common) in [("Lodging", true), ("Taxi", false), ("Fuel", false)] {
        let plan = store
            .explain_records(&query(value, true, 0))
            .await
            .unwrap()
            .join("\n");
        assert!(plan.contains("record_line_values"), "{value}: {plan}");
        assert_eq!(plan.contains("CORRELATED"), common, "{value}: {plan}");
        for offset in [0, 2_025] {
            let (indexed, total) = store
                .query_records(&query(value, true, offset))
                .await
                .unwrap();
            let (scanned, scan_total) = store
                .query_records(&query(value, false, offset))
                .await
                .unwrap();
            let ids =
                |rows: &[formwork::store::RecordRow]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
            assert_eq!(ids(&indexed), ids(&scanned), "{value} from {offset}");
            assert_eq!(
                (total.n, total.exact),
                (scan_total.n, scan_total.exact),
                "{value} from {offset}"
            );
        }
    }
    let (first, total) = store
        .query_records(&query("Lodging", true, 0))
        .await
        .unwrap();
    assert_eq!(first.len(), 25);
    assert_eq!(first[0].data["purpose"], "Trip 0000");
    assert!(total.n > 1_000, "{total:?}");
    let (last, total) = store
        .query_records(&query("Lodging", true, 2_025))
        .await
        .unwrap();
    assert_eq!((last.len(), total.n, total.exact), (25, 2_050, true));
    let (taxi, total) = store.query_records(&query("Taxi", true, 0)).await.unwrap();
    assert_eq!((taxi.len(), total.n, total.exact), (25, 41, true));
    store.close().await.ok();
}
