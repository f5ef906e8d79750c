//! Upload links: a chat cannot carry a photo's bytes, so an MCP tool hands out a short-lived,
//! single-use link to one record's file input; its page (no sign-in) takes the file through the
//! usual upload checks and runs the operation that sets it, with history. A used or expired
//! link is gone (410), a record that can no longer take the file refuses (409) and keeps
//! nothing, and nobody gets a link to someone else's record.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SHEETS: &str = include_str!("fixtures/receipt_lines.toml");

async fn attachment_rows(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM attachments",
        ))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    db.close().await.ok();
    n
}

/// Asks for a link; returns the tool's structured content.
async fn link(app: &TestApp, token: &str, tool: &str, args: Value) -> Value {
    let r = call_tool(app, token, tool, args).await;
    assert_ne!(r["isError"], json!(true), "{r}");
    r["structuredContent"].clone()
}

/// Posts a file to an upload link's page the way its form does.
async fn send(http: &reqwest::Client, url: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let token = url.rsplit('/').next().unwrap().to_string();
    let form = reqwest::multipart::Form::new().text("token", token).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    http.post(url).multipart(form).send().await.unwrap()
}

#[tokio::test]
async fn a_receipt_sent_through_an_upload_link_lands_on_the_record_with_history() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice_web = app.sign_in("alice").await;
    let alice = app.token("alice");
    let id = alice_web.new_claim("Taxi to the airport").await;

    let names = tool_names(&app, &alice).await;
    assert!(
        names.contains(&"expense_claims_upload_link".to_string()),
        "{names:?}"
    );
    let sc = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    let url = sc["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&app.url("/upload/fwu_")), "{url}");
    assert_eq!(sc["operation"], "upload_receipt");
    assert_eq!(sc["status"], "waiting");
    let link_id = sc["link_id"].as_i64().unwrap();

    // The page needs no sign-in: a file input that opens the camera, and a QR code of itself.
    let anon = client();
    let page = anon.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"capture="environment""#), "{html}");
    assert!(
        html.contains(r#"accept="image/*,application/pdf""#),
        "{html}"
    );
    assert!(
        html.contains("data:image/svg+xml;base64,"),
        "a QR code: {html}"
    );
    assert!(html.contains(&format!("Expense Claims #{id}")), "{html}");

    // Nothing has arrived yet.
    let status = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt", "link_id": link_id}),
    )
    .await;
    assert_eq!(status["status"], "waiting", "{status}");

    let r = send(&anon, &url, "taxi.png", png_receipt(7)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let done = r.text().await.unwrap();
    assert!(
        done.contains("Receipt received; you can go back to the chat."),
        "{done}"
    );

    // The record holds the file, history says who set it and how.
    let read = call_tool(
        &app,
        &alice,
        "expense_claims_read_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert_ne!(read["isError"], json!(true), "{read}");
    assert_eq!(read["structuredContent"]["filename"], "taxi.png");
    let (_, record) = alice_web
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(
        record.contains("<strong>Upload receipt</strong> by alice"),
        "{record}"
    );

    // The tool that made the link tells the model the file is there.
    let status = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt", "link_id": link_id}),
    )
    .await;
    assert_eq!(status["status"], "received", "{status}");
    assert_eq!(status["filename"], "taxi.png");
    assert_eq!(status["read_tool"], "expense_claims_read_receipt");

    // Spent: neither the page nor another upload works again, and nothing more is stored.
    let rows = attachment_rows(&app).await;
    assert_eq!(
        anon.get(&url).send().await.unwrap().status(),
        StatusCode::GONE
    );
    let again = send(&anon, &url, "other.png", png_receipt(9)).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(attachment_rows(&app).await, rows);
    let read = call_tool(
        &app,
        &alice,
        "expense_claims_read_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert_eq!(read["structuredContent"]["filename"], "taxi.png");
}

#[tokio::test]
async fn an_expired_or_unknown_link_is_gone_and_stores_nothing() {
    let app = spawn_app_with(&["--upload-link-seconds", "1"]).await;
    app.enable_mcp().await;
    let alice_web = app.sign_in("alice").await;
    let alice = app.token("alice");
    let id = alice_web.new_claim("Hotel").await;
    let sc = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    let url = sc["url"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let rows = attachment_rows(&app).await;
    let anon = client();
    let page = anon.get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(page.text().await.unwrap().contains("expired"));
    let r = send(&anon, &url, "late.png", png_receipt(3)).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(attachment_rows(&app).await, rows);
    let status = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt", "link_id": sc["link_id"]}),
    )
    .await;
    assert_eq!(status["status"], "expired", "{status}");

    // A made-up or cut-off link opens nothing.
    let bogus = format!("{}x", &url[..url.len() - 5]);
    assert_eq!(
        anon.get(&bogus).send().await.unwrap().status(),
        StatusCode::GONE
    );
    assert_eq!(
        anon.get(app.url("/upload/not-a-link"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::GONE
    );
}

#[tokio::test]
async fn nobody_gets_a_link_to_someone_elses_record_and_a_link_acts_only_as_its_person() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice_web = app.sign_in("alice").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let id = alice_web.new_claim("Conference fee").await;

    // Bob may not see Alice's claim: no link, the same words as for a record that does not exist.
    let r = call_tool(
        &app,
        &bob,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert_eq!(r["structuredContent"]["error"]["code"], "not_found", "{r}");
    // Not a file input: refused with the inputs there are.
    let r = call_tool(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "purpose"}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert!(r["structuredContent"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("receipt"));

    let sc = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    // Bob cannot ask about Alice's link either.
    let r = call_tool(
        &app,
        &bob,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt", "link_id": sc["link_id"]}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");

    // Bob, signed in, opens and uses Alice's link: it acts as Alice on that record only, and
    // gives Bob nothing (he still cannot open the claim).
    let bob_web = app.sign_in("bob").await;
    let url = sc["url"].as_str().unwrap();
    let r = send(&bob_web.http, url, "fee.png", png_receipt(11)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, record) = alice_web
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(
        record.contains("<strong>Upload receipt</strong> by alice"),
        "{record}"
    );
    assert!(!record.contains("by bob"), "{record}");
    let (status, _) = bob_web
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The form takes the link's secret and one file, nothing else.
    let sc = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    let url = sc["url"].as_str().unwrap();
    let rows = attachment_rows(&app).await;
    let wrong_token = reqwest::multipart::Form::new()
        .text("token", "fwu_somethingelse")
        .part(
            "file",
            reqwest::multipart::Part::bytes(png_receipt(1)).file_name("x.png"),
        );
    let r = client()
        .post(url)
        .multipart(wrong_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let no_token = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png_receipt(1)).file_name("x.png"),
    );
    let r = client().post(url).multipart(no_token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let extra = reqwest::multipart::Form::new()
        .text("token", url.rsplit('/').next().unwrap().to_string())
        .text("purpose", "changed")
        .part(
            "file",
            reqwest::multipart::Part::bytes(png_receipt(1)).file_name("x.png"),
        );
    let r = client().post(url).multipart(extra).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(attachment_rows(&app).await, rows);
    // A file the upload checks refuse: the page says why, and the link stays usable.
    let r = send(&client(), url, "notes.txt", b"not a receipt".to_vec()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    assert_eq!(attachment_rows(&app).await, rows);
    // Still usable after those refusals.
    assert_eq!(
        client().get(url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let r = send(&client(), url, "fee2.png", png_receipt(12)).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_record_that_can_no_longer_take_the_file_refuses_and_keeps_nothing() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice_web = app.sign_in("alice").await;
    let alice = app.token("alice");
    let id = alice_web.new_claim("Train").await;
    // A receipt and amounts, so the claim can be submitted.
    let v = version_of(&alice_web, id).await;
    let r = alice_web
        .run_op(
            "fill_receipt_fields",
            Some((id, v)),
            &[
                ("supplier", "Rail"),
                ("expense_date", "2026-01-10"),
                ("net", "10.00"),
                ("tax", "1.90"),
                ("currency", "EUR"),
                ("tax_rate", "19"),
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
    let sc = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    let url = sc["url"].as_str().unwrap().to_string();
    // The claim moves on before the file is sent.
    let first = link(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    let r = send(
        &client(),
        first["url"].as_str().unwrap(),
        "a.png",
        png_receipt(2),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = version_of(&alice_web, id).await;
    let r = alice_web.run_op("submit", Some((id, v)), &[], None).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    let rows = attachment_rows(&app).await;
    let page = client().get(&url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::CONFLICT);
    assert!(page.text().await.unwrap().contains("Nothing was changed"));
    let r = send(&client(), &url, "late.png", png_receipt(5)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(attachment_rows(&app).await, rows, "no attachment row left");
    let read = call_tool(
        &app,
        &alice,
        "expense_claims_read_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert_eq!(read["structuredContent"]["filename"], "a.png");
    // And no new link for it.
    let r = call_tool(
        &app,
        &alice,
        "expense_claims_upload_link",
        json!({"record_id": id, "field": "receipt"}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert_eq!(
        r["structuredContent"]["error"]["code"], "precondition_failed",
        "{r}"
    );
}

#[tokio::test]
async fn a_line_items_link_adds_a_line_or_sets_one_lines_file_keeping_the_others() {
    let app = spawn_app().await;
    let path = app.dir.path().join("sheets.toml");
    std::fs::write(&path, SHEETS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.enable_mcp().await;
    let alice = app.token("alice");
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_create",
        json!({"purpose": "Trip", "items": [
            {"supplier": "Cafe", "net": "4.50"},
            {"supplier": "Taxi", "net": "20.00"}
        ]}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();

    // A receipt for line l2.
    let sc = link(
        &app,
        &alice,
        "cost_sheets_upload_link",
        json!({"record_id": id, "field": "items.receipt", "line_id": "l2"}),
    )
    .await;
    let r = send(
        &client(),
        sc["url"].as_str().unwrap(),
        "taxi.png",
        png_receipt(4),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    // A photo for a new line.
    let new_line = link(
        &app,
        &alice,
        "cost_sheets_upload_link",
        json!({"record_id": id, "field": "items.snapshot"}),
    )
    .await;
    let page = client()
        .get(new_line["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"accept="image/*""#),
        "a photo column takes images: {html}"
    );
    let r = send(
        &client(),
        new_line["url"].as_str().unwrap(),
        "desk.png",
        png_receipt(6),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let status = link(
        &app,
        &alice,
        "cost_sheets_upload_link",
        json!({"record_id": id, "field": "items.snapshot", "link_id": new_line["link_id"]}),
    )
    .await;
    assert_eq!(status["status"], "received", "{status}");
    assert_eq!(status["line_id"], "l3", "{status}");

    let view = call_tool(&app, &alice, "cost_sheets_mine", json!({})).await;
    let row = rows_of(&view["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .unwrap();
    let items = row["fields"]["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0]["supplier"], "Cafe");
    assert!(items[0]["receipt"].is_null());
    assert_eq!(items[1]["supplier"], "Taxi");
    assert_eq!(items[1]["net"], "20");
    assert!(items[1]["receipt"].is_i64(), "{items:?}");
    assert!(items[2]["snapshot"].is_i64(), "{items:?}");
    let read = call_tool(
        &app,
        &alice,
        "cost_sheets_read_items_receipt",
        json!({"record_id": id, "line_id": "l2"}),
    )
    .await;
    assert_eq!(read["structuredContent"]["filename"], "taxi.png", "{read}");

    // A line that does not exist: no link.
    let r = call_tool(
        &app,
        &alice,
        "cost_sheets_upload_link",
        json!({"record_id": id, "field": "items.receipt", "line_id": "l9"}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
}
