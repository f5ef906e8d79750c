//! A file per line (file and photo columns of a `lines` field), end to end: receipts uploaded
//! inside the lines of an MCP call and in the cells of the web form; each line's file read by
//! `record_id` + `line_id` with the server's suggestions for that line; thumbnails in the record's
//! table; kept lines keep their files, a replaced file is history; another person's upload, or a
//! line or record out of reach, refused with its path and nothing saved.
use crate::helpers::*;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SHEETS: &str = include_str!("fixtures/receipt_lines.toml");

async fn publish(app: &TestApp) {
    let path = app.dir.path().join("sheets.toml");
    std::fs::write(&path, SHEETS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

fn upload(name: &str, seed: u8) -> Value {
    json!({
        "filename": name,
        "content_base64": base64::engine::general_purpose::STANDARD.encode(png_receipt(seed)),
    })
}

/// The stored fields of one sheet, read through the Full view.
async fn stored(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "cost_sheets_mine", json!({"limit": 100})).await;
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .map(|row| row["fields"].clone())
        .unwrap_or(Value::Null)
}

fn error_of(r: &Value) -> String {
    r["structuredContent"]["error"].to_string()
}

#[tokio::test]
async fn each_line_carries_its_own_receipt_over_mcp_and_reads_it_back_by_line_id() {
    let app = spawn_app().await;
    publish(&app).await;
    app.enable_mcp().await;
    let alice = app.token("alice");
    let bob = app.token("bob");

    // The schema of a line's file: an upload, or the attachment id the line holds.
    let (_, tools) = mcp(&app, &alice, "tools/list", json!({})).await;
    let tools = tools["result"]["tools"].as_array().unwrap().clone();
    let create = tools
        .iter()
        .find(|t| t["name"] == "cost_sheets_create")
        .unwrap();
    let receipt = &create["inputSchema"]["properties"]["items"]["items"]["properties"]["receipt"];
    assert_eq!(receipt["anyOf"][0]["type"], "object", "{receipt}");
    assert_eq!(receipt["anyOf"][1]["type"], "integer", "{receipt}");
    let read = tools
        .iter()
        .find(|t| t["name"] == "cost_sheets_read_items_receipt")
        .expect("a read tool for the line's receipt");
    assert_eq!(
        read["inputSchema"]["required"],
        json!(["record_id", "line_id"])
    );
    assert!(tools
        .iter()
        .any(|t| t["name"] == "cost_sheets_read_items_snapshot"));

    // Three lines, two with a receipt uploaded inside the line.
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_create",
        json!({
            "purpose": "Client visit",
            "items": [
                {"receipt": upload("train.png", 10), "supplier": "Rail"},
                {"supplier": "Parking", "net": "4.00"},
                {"receipt": upload("hotel.png", 20)},
            ]
        }),
    )
    .await;
    assert_eq!(r["isError"], json!(false), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let fields = stored(&app, &alice, id).await;
    let lines = fields["items"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 3, "{fields}");
    let train = lines[0]["receipt"].as_i64().expect("an attachment id");
    let hotel = lines[2]["receipt"].as_i64().expect("an attachment id");
    assert!(lines[1]["receipt"].is_null());
    assert_ne!(train, hotel);

    // Each line's file by its line id, with the suggestions read from it.
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_read_items_receipt",
        json!({"record_id": id, "line_id": "l3"}),
    )
    .await;
    assert_eq!(r["isError"], json!(false), "{r}");
    assert_eq!(r["structuredContent"]["attachment_id"], json!(hotel));
    assert_eq!(r["structuredContent"]["line_id"], json!("l3"));
    assert_eq!(r["structuredContent"]["filename"], "hotel.png");
    assert!(r["structuredContent"]
        .as_object()
        .unwrap()
        .contains_key("server_suggestions"));
    assert!(r["content"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "image"));
    assert!(r["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("line l3 of record"));
    // No line id, an unknown line, a line without a file: said plainly.
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_read_items_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert!(error_of(&r).contains("line_id"), "{r}");
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_read_items_receipt",
        json!({"record_id": id, "line_id": "l9"}),
    )
    .await;
    assert!(error_of(&r).contains("no_line"), "{r}");
    assert!(error_of(&r).contains("l1, l2, l3"), "{r}");
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_read_items_receipt",
        json!({"record_id": id, "line_id": "l2"}),
    )
    .await;
    assert!(error_of(&r).contains("no_file"), "{r}");
    // Another person cannot read the line's file, nor the file itself.
    let r = call_tool(
        &app,
        &bob,
        "cost_sheets_read_items_receipt",
        json!({"record_id": id, "line_id": "l1"}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert!(!r.to_string().contains("train.png"), "{r}");
    let bob_web = app.sign_in("bob").await;
    let resp = bob_web.get(&format!("/files/{train}")).await;
    assert!(
        resp.status() == StatusCode::NOT_FOUND || resp.status() == StatusCode::FORBIDDEN,
        "{}",
        resp.status()
    );

    // Filling a line from its receipt keeps the file: the line is sent back with its id.
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_edit",
        json!({
            "record_id": id,
            "expected_version": 1,
            "items": [
                {"id": "l1", "supplier": "Rail Co", "net": "42.50", "currency": "EUR"},
                {"id": "l2"},
                {"id": "l3", "supplier": "Hotel Lago", "net": "120.00", "currency": "CHF"},
            ]
        }),
    )
    .await;
    assert_eq!(r["isError"], json!(false), "{r}");
    let fields = stored(&app, &alice, id).await;
    assert_eq!(fields["items"][0]["receipt"], json!(train), "{fields}");
    assert_eq!(fields["items"][2]["receipt"], json!(hotel), "{fields}");
    assert_eq!(fields["items"][2]["supplier"], "Hotel Lago");

    // Bob's own upload cannot be put into Alice's line: refused with its path, nothing saved.
    let r = call_tool(
        &app,
        &bob,
        "cost_sheets_create",
        json!({"purpose": "Bob's", "items": [{"receipt": upload("bob.png", 30)}]}),
    )
    .await;
    let bob_id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let bobs_file = stored(&app, &bob, bob_id).await["items"][0]["receipt"]
        .as_i64()
        .unwrap();
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_edit",
        json!({
            "record_id": id,
            "expected_version": 2,
            "items": [{"id": "l1", "receipt": bobs_file}, {"id": "l2"}, {"id": "l3"}]
        }),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert!(
        error_of(&r).contains("items[0].receipt")
            && error_of(&r).contains("not one of your uploads"),
        "{r}"
    );
    assert_eq!(
        stored(&app, &alice, id).await["items"][0]["receipt"],
        json!(train)
    );

    // A stale version is refused, whatever the lines carry.
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_edit",
        json!({
            "record_id": id,
            "expected_version": 1,
            "items": [{"id": "l1", "receipt": upload("late.png", 40)}]
        }),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert_eq!(
        stored(&app, &alice, id).await["items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Replacing a line's file: the new one is read, the history names the change.
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_edit",
        json!({
            "record_id": id,
            "expected_version": 2,
            "items": [{"id": "l1", "receipt": upload("train-2.png", 50)}, {"id": "l2"}, {"id": "l3"}]
        }),
    )
    .await;
    assert_eq!(r["isError"], json!(false), "{r}");
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_read_items_receipt",
        json!({"record_id": id, "line_id": "l1"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["filename"], "train-2.png", "{r}");
    let web = app.sign_in("alice").await;
    let (_, page) = web
        .get_text(&format!("/apps/cost_sheets/records/{id}"))
        .await;
    assert!(page.contains("line 1 · Receipt"), "{page}");
    // The record's table shows each line's file with its preview.
    let new_train = r["structuredContent"]["attachment_id"].as_i64().unwrap();
    assert!(
        page.contains(&format!("/files/{new_train}/thumb")),
        "thumbnail of line 1"
    );
    assert!(
        page.contains(&format!("/files/{hotel}/thumb")),
        "thumbnail of line 3"
    );
    assert!(page.contains("train-2.png"));
}

#[tokio::test]
async fn the_web_form_takes_a_file_in_each_line_and_keeps_it_through_a_refusal() {
    let app = spawn_app().await;
    publish(&app).await;
    let web = app.sign_in("alice").await;

    // The form offers a file input in every row of the table.
    let (status, form) = web.get_text("/apps/cost_sheets/ops/create").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(r#"type="file" name="items[0][receipt]""#),
        "{form}"
    );
    assert!(form.contains(r#"name="items[0][snapshot]""#));
    assert!(form.contains(r#"capture="environment""#));

    // Two receipts in two rows, one row invalid: refused beside its cell, the files kept.
    let mut mp = reqwest::multipart::Form::new()
        .text("csrf", web.csrf.clone())
        .text("purpose", "Fair")
        .text("_blank_items", "3")
        .text("items[0][supplier]", "Taxi")
        .text("items[0][net]", "12.00")
        .text("items[1][supplier]", "Dinner")
        .text("items[1][net]", "-5");
    for (cell, name, seed) in [
        ("items[0][receipt]", "taxi.png", 60u8),
        ("items[1][receipt]", "dinner.png", 70u8),
    ] {
        mp = mp.part(
            cell,
            reqwest::multipart::Part::bytes(png_receipt(seed)).file_name(name),
        );
    }
    let r = web
        .http
        .post(web.url("/apps/cost_sheets/ops/create"))
        .multipart(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("amounts cannot be negative"), "{page}");
    let kept = |page: &str, cell: &str| -> Option<i64> {
        let marker = format!(r#"type="hidden" name="{cell}" value=""#);
        let at = page.find(&marker)? + marker.len();
        page[at..].split('"').next()?.parse().ok()
    };
    let taxi = kept(&page, "items[0][receipt]").expect("the taxi receipt kept in its cell");
    let dinner = kept(&page, "items[1][receipt]").expect("the dinner receipt kept in its cell");

    // Sent again, corrected: both lines keep their receipts.
    let r = web
        .run_op_in(
            "cost_sheets",
            "create",
            None,
            &[
                ("purpose", "Fair"),
                ("_blank_items", "3"),
                ("items[0][supplier]", "Taxi"),
                ("items[0][net]", "12.00"),
                ("items[0][receipt]", &taxi.to_string()),
                ("items[1][supplier]", "Dinner"),
                ("items[1][net]", "35.00"),
                ("items[1][receipt]", &dinner.to_string()),
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
    let id = record_id_of(&r);
    let (_, page) = web
        .get_text(&format!("/apps/cost_sheets/records/{id}"))
        .await;
    assert!(page.contains(&format!("/files/{taxi}/thumb")), "{page}");
    assert!(page.contains("dinner.png"));

    // The edit form shows each line's file and keeps it when other cells change; a file chosen
    // for a line replaces its own only.
    let (_, edit) = web
        .get_text(&format!("/apps/cost_sheets/ops/edit?record={id}"))
        .await;
    assert_eq!(kept(&edit, "items[0][receipt]"), Some(taxi), "{edit}");
    let mp = reqwest::multipart::Form::new()
        .text("csrf", web.csrf.clone())
        .text("_record", id.to_string())
        .text("_version", "1")
        .text("purpose", "Fair")
        .text("_blank_items", "3")
        .text("items[0][id]", "l1")
        .text("items[0][supplier]", "Taxi Nord")
        .text("items[0][net]", "12.00")
        .text("items[0][receipt]", taxi.to_string())
        .text("items[1][id]", "l2")
        .text("items[1][supplier]", "Dinner")
        .text("items[1][net]", "35.00")
        .text("items[1][receipt]", dinner.to_string())
        .part(
            "items[1][receipt]",
            reqwest::multipart::Part::bytes(png_receipt(80)).file_name("dinner-2.png"),
        );
    let r = web
        .http
        .post(web.url("/apps/cost_sheets/ops/edit"))
        .multipart(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = web
        .get_text(&format!("/apps/cost_sheets/records/{id}"))
        .await;
    assert!(page.contains(&format!("/files/{taxi}/thumb")), "{page}");
    assert!(page.contains("dinner-2.png"), "{page}");
    assert!(!page.contains(&format!("/files/{dinner}/thumb")), "{page}");
    assert!(page.contains("line 2 · Receipt"), "{page}");

    // A file part for a cell that is not a file column is refused before anything is read.
    let mp = reqwest::multipart::Form::new()
        .text("csrf", web.csrf.clone())
        .text("purpose", "Sneaky")
        .part(
            "items[0][supplier]",
            reqwest::multipart::Part::bytes(png_receipt(90)).file_name("x.png"),
        );
    let r = web
        .http
        .post(web.url("/apps/cost_sheets/ops/create"))
        .multipart(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Another person's upload id typed into a cell is refused with its row, nothing saved.
    let bob = app.sign_in("bob").await;
    let r = bob
        .run_op_in(
            "cost_sheets",
            "create",
            None,
            &[
                ("purpose", "Borrowed"),
                ("_blank_items", "3"),
                ("items[0][supplier]", "Taxi"),
                ("items[0][receipt]", &taxi.to_string()),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not one of your uploads"));
}
