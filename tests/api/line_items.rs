//! Line items (a `lines` field) end to end, on a trip report app: a report with 12 lines created
//! over MCP, the sum and count computed over them; lines changed, removed and added on the web
//! form (a table of inputs, no script), "Add rows" showing more blank rows without saving; the
//! history line by line; a bad line refused with its path, beside its cell, nothing saved;
//! another person's report out of sight; a stale version refused; lines in several currencies
//! never added up.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const REPORTS: &str = include_str!("fixtures/travel_report.toml");

async fn publish(app: &TestApp) {
    let path = app.dir.path().join("reports.toml");
    std::fs::write(&path, REPORTS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

/// The stored fields of one report, read through the Full view; Null when not listed.
async fn stored(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "trip_reports_mine", json!({"limit": 100})).await;
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .map(|row| row["fields"].clone())
        .unwrap_or(Value::Null)
}

async fn version_on_page(s: &Session, id: i64) -> i64 {
    let (_, html) = s
        .get_text(&format!("/apps/trip_reports/records/{id}"))
        .await;
    let at = html.find("Version ").expect("version on the page") + "Version ".len();
    html[at..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Twelve costs of a trip, in euros: 10.00, 11.00, … 21.00.
fn twelve_lines() -> Value {
    let categories = ["Transport", "Lodging", "Meals", "Other"];
    Value::Array(
        (0..12)
            .map(|i| {
                json!({
                    "date": format!("2026-03-{:02}", i + 1),
                    "description": format!("Cost {}", i + 1),
                    "category": categories[i % 4],
                    "net": format!("{}.00", 10 + i),
                })
            })
            .collect(),
    )
}

/// The web form's fields for the stored lines, as the edit form names them.
fn form_rows(lines: &[Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        for key in ["id", "date", "description", "category", "net", "currency"] {
            let v = match &l[key] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            out.push((format!("items[{i}][{key}]"), v));
        }
    }
    out.push(("_blank_items".into(), "3".into()));
    out
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[tokio::test]
async fn line_items_go_through_mcp_and_the_web_form_with_line_level_history() {
    let app = spawn_app().await;
    publish(&app).await;
    app.enable_mcp().await;
    let token = app.token("alice");

    // The tool's schema: an array of line objects, each column a property, `id` optional.
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let create = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "trip_reports_create")
        .unwrap()
        .clone();
    let items = &create["inputSchema"]["properties"]["items"];
    assert_eq!(items["type"], "array", "{items}");
    assert_eq!(items["maxItems"], 50);
    assert_eq!(items["minItems"], 1);
    assert_eq!(items["items"]["properties"]["id"]["type"], "string");
    assert_eq!(
        items["items"]["properties"]["category"]["enum"],
        json!(["Transport", "Lodging", "Meals", "Other"])
    );
    assert_eq!(
        items["items"]["required"],
        json!(["date", "description", "net"])
    );
    assert!(
        items["description"]
            .as_str()
            .unwrap()
            .contains("a line without `id` is added"),
        "{items}"
    );

    // Twelve lines over MCP: ids l1…l12 in order, the default currency, the sums.
    let r = call_tool(
        &app,
        &token,
        "trip_reports_create",
        json!({"purpose": "Client visit", "starts": "2026-03-01", "ends": "2026-03-12", "items": twelve_lines()}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("Items: line 12 added"), "{text}");
    assert!(text.contains("ids in order: l1, l2, l3"), "{text}");
    let fields = stored(&app, &token, id).await;
    let lines = fields["items"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 12);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["id"], json!(format!("l{}", i + 1)));
        assert_eq!(l["currency"], "EUR");
    }
    assert_eq!(lines[0]["net"], "10", "stored as a plain decimal");
    // 10 + 11 + … + 21 = 186.
    assert_eq!(fields["total"], "186");
    assert_eq!(fields["line_count"], "12");
    // View Columns: "12 lines", the sum with its minor units.
    let r = call_tool(&app, &token, "trip_reports_list", json!({})).await;
    let row = rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .unwrap();
    assert_eq!(row["items"], "12 lines", "{row}");
    assert_eq!(row["total"], "186.00", "{row}");

    // The record page: a table of the lines, the total in euros.
    let alice = app.sign_in("alice").await;
    let (status, page) = alice
        .get_text(&format!("/apps/trip_reports/records/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<th scope=\"col\">Description</th>"),
        "{page}"
    );
    assert!(page.contains("<td>Cost 12</td>"), "{page}");
    assert!(page.contains("<td>21.00 EUR</td>"), "{page}");
    assert!(page.contains("186.00 EUR"), "{page}");

    // The edit form: a row of inputs per line, labelled per cell, blank rows, "Add rows".
    let (_, form) = alice
        .get_text(&format!("/apps/trip_reports/ops/edit?record={id}"))
        .await;
    for part in [
        r#"name="items[0][id]" value="l1""#,
        r#"name="items[11][net]" value="21.00" aria-label="Net, line 12""#,
        r#"name="items[0][remove]""#,
        r#"name="items[12][description]" value="" aria-label="Description, new line""#,
        r#"name="items[14][net]""#,
        r#"name="_more_items""#,
    ] {
        assert!(form.contains(part), "{part} in {form}");
    }
    assert!(!form.contains(r#"name="items[15][net]""#), "{form}");
    let version = version_on_page(&alice, id).await;
    assert_eq!(version, 1);

    // "Add rows" shows three more blank rows, keeps what was typed, saves nothing.
    let mut rows = form_rows(&lines);
    rows.push(("items[12][description]".into(), "Typed, not saved".into()));
    rows.push(("_more_items".into(), "1".into()));
    let r = alice
        .run_op_in(
            "trip_reports",
            "edit",
            Some((id, version)),
            &pairs(&rows),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let more = r.text().await.unwrap();
    assert!(more.contains(r#"value="Typed, not saved""#), "{more}");
    assert!(more.contains(r#"name="items[17][net]""#), "{more}");
    assert!(more.contains(r#"name="_blank_items" value="6""#), "{more}");
    assert_eq!(version_on_page(&alice, id).await, 1);

    // Line 1's amount changed, line 2 removed, one line added in a blank row.
    let mut rows = form_rows(&lines);
    rows.retain(|(k, _)| k != "items[0][net]");
    rows.push(("items[0][net]".into(), "12.00".into()));
    rows.push(("items[1][remove]".into(), "1".into()));
    for (k, v) in [
        ("date", "2026-03-13"),
        ("description", "Parking"),
        ("category", "Transport"),
        ("net", "7.50"),
        ("currency", "EUR"),
    ] {
        rows.push((format!("items[12][{k}]"), v.into()));
    }
    // A blank row sends empty cells: it is no line.
    rows.push(("items[13][description]".into(), String::new()));
    let r = alice
        .run_op_in("trip_reports", "edit", Some((id, 1)), &pairs(&rows), None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let fields = stored(&app, &token, id).await;
    let after = fields["items"].as_array().unwrap().clone();
    assert_eq!(after.len(), 12);
    assert_eq!(after[0]["id"], "l1");
    assert_eq!(after[0]["net"], "12");
    assert!(after.iter().all(|l| l["id"] != "l2"));
    assert_eq!(after[11]["id"], "l13", "ids are never reused");
    assert_eq!(after[11]["description"], "Parking");
    // 186 + 2 - 11 + 7.50
    assert_eq!(fields["total"], "184.5");
    let (_, page) = alice
        .get_text(&format!("/apps/trip_reports/records/{id}"))
        .await;
    for change in [
        "line 2 removed",
        "line 12 added",
        "line 1 · Net 10.00 → 12.00",
    ] {
        assert!(page.contains(change), "{change} in {page}");
    }
    assert!(page.contains("184.50 EUR"), "{page}");

    // A bad line on the web: refused beside its cell, nothing saved.
    let mut rows = form_rows(&after);
    rows.retain(|(k, _)| k != "items[3][net]");
    rows.push(("items[3][net]".into(), "abc".into()));
    let r = alice
        .run_op_in("trip_reports", "edit", Some((id, 2)), &pairs(&rows), None)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = r.text().await.unwrap();
    assert!(
        refused.contains(r#"aria-invalid="true" aria-describedby="f-items-3-net-e""#),
        "{refused}"
    );
    assert!(
        refused
            .contains(r#"<small class="error-text" id="f-items-3-net-e">`abc` is not an amount"#),
        "{refused}"
    );
    assert!(refused.contains(r#"value="abc""#), "{refused}");
    assert_eq!(stored(&app, &token, id).await["items"], json!(after));

    // A bad line over MCP: its path in the field error, nothing saved.
    let mut sent = after.clone();
    sent[2]["net"] = json!("-5");
    sent.push(json!({"date": "2026-03-14", "description": "Taxi", "net": "9.00"}));
    let r = call_tool(
        &app,
        &token,
        "trip_reports_edit",
        json!({"record_id": id, "items": sent}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    let message = r["structuredContent"]["error"].to_string();
    assert!(
        message.contains("items[2].net: amounts cannot be negative"),
        "{message}"
    );
    // An unknown line id, and too few lines.
    let r = call_tool(
        &app,
        &token,
        "trip_reports_edit",
        json!({"record_id": id, "items": [{"id": "l2", "date": "2026-03-02", "description": "Back", "net": "1"}]}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert!(
        r["structuredContent"]["error"]
            .to_string()
            .contains("items[0].id: this record has no line `l2`"),
        "{r}"
    );
    let r = call_tool(
        &app,
        &token,
        "trip_reports_edit",
        json!({"record_id": id, "items": []}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert!(
        r["structuredContent"]["error"]
            .to_string()
            .contains("at least 1 line"),
        "{r}"
    );
    assert_eq!(stored(&app, &token, id).await["items"], json!(after));

    // A stale version is refused before anything else.
    let r = call_tool(
        &app,
        &token,
        "trip_reports_edit",
        json!({"record_id": id, "expected_version": 1, "items": [{"id": "l1"}]}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert_eq!(
        r["structuredContent"]["error"]["code"], "stale_version",
        "{r}"
    );
    let r = alice
        .run_op_in(
            "trip_reports",
            "edit",
            Some((id, 1)),
            &pairs(&form_rows(&after)),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Lines over MCP: l1 kept whole (only its id), the rest removed, one in dollars added. The
    // sum refuses to add euros and dollars.
    let r = call_tool(
        &app,
        &token,
        "trip_reports_edit",
        json!({"record_id": id, "expected_version": 2, "items": [
            {"id": "l1"},
            {"date": "2026-03-15", "description": "Ferry", "net": "30", "currency": "usd"}
        ]}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("Items: line 2 added"), "{text}");
    assert!(text.contains("ids in order: l1, l14"), "{text}");
    let fields = stored(&app, &token, id).await;
    assert_eq!(fields["items"][0]["net"], "12");
    assert_eq!(fields["items"][1]["currency"], "USD");
    assert_eq!(fields["total"], Value::Null);
    assert_eq!(fields["line_count"], "2");
    let (_, page) = alice
        .get_text(&format!("/apps/trip_reports/records/{id}"))
        .await;
    assert!(page.contains("several currencies"), "{page}");
    assert!(page.contains("line 3 removed"), "{page}");

    // Another employee sees none of it.
    let bob_token = app.token("bob");
    assert_eq!(stored(&app, &bob_token, id).await, Value::Null);
    let r = call_tool(
        &app,
        &bob_token,
        "trip_reports_edit",
        json!({"record_id": id, "items": [{"id": "l1"}]}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    let bob = app.sign_in("bob").await;
    let (status, _) = bob
        .get_text(&format!("/apps/trip_reports/records/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = bob
        .get_text(&format!("/apps/trip_reports/ops/edit?record={id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = bob
        .run_op_in(
            "trip_reports",
            "edit",
            Some((id, 3)),
            &pairs(&form_rows(&after)),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(stored(&app, &token, id).await["line_count"], "2");

    // The CSV export counts lines.
    let (status, csv) = alice
        .get_text("/apps/trip_reports/views/list/export.csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("Client visit,2,"), "{csv}");
}

#[tokio::test]
async fn a_definition_with_bad_columns_is_refused_with_its_path() {
    let app = spawn_app().await;
    let bad = REPORTS.replace(
        r#"category    = { type = "choice""#,
        r#"project = { type = "lookup", label = "Project" }
receipt = { type = "file", label = "Receipt", default = "1" }
category    = { type = "choice""#,
    );
    let path = app.dir.path().join("bad.toml");
    std::fs::write(&path, bad).unwrap();
    let out = app.cli_raw(&["app", "import", path.to_str().unwrap()], None);
    assert!(!out.status.success());
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.contains(
            "fields.items.columns.project.app: a lookup field needs `app`, the slug of the app it refers to"
        ),
        "{out}"
    );
    // A file column is supported, but each line's file is uploaded: it has no default.
    assert!(
        out.contains("fields.items.columns.receipt.default: a file or photo column has no default"),
        "{out}"
    );
}
