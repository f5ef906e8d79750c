//! Receipts end to end through MCP: upload (base64), read back as an image plus text, fill the
//! fields, and the checks that guard them; hostile files are refused and the server stays up.
use crate::helpers::*;
use base64::Engine as _;
use serde_json::{json, Value};

fn corpus() -> Vec<Value> {
    let text =
        std::fs::read_to_string(repo_root().join("seed-data/receipts/manifest.json")).unwrap();
    let m: Value = serde_json::from_str(&text).unwrap();
    m["receipts"].as_array().unwrap().clone()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) async fn draft_with_receipt(app: &TestApp, token: &str, file: &str) -> (i64, Value) {
    let bytes = std::fs::read(repo_root().join("seed-data/receipts").join(file)).unwrap();
    let created = call_tool(
        app,
        token,
        "expense_claims_new_claim",
        json!({"purpose": format!("Receipt {file}")}),
    )
    .await;
    assert_eq!(created["isError"], false, "{created}");
    let id = created["structuredContent"]["record_id"].as_i64().unwrap();
    let up = call_tool(
        app,
        token,
        "expense_claims_upload_receipt",
        json!({"record_id": id, "receipt": {"filename": file, "content_base64": b64(&bytes)}}),
    )
    .await;
    assert_eq!(up["isError"], false, "{file}: {up}");
    let read = call_tool(
        app,
        token,
        "expense_claims_read_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert_eq!(read["isError"], false, "{file}: {read}");
    (id, read)
}

#[tokio::test]
async fn every_corpus_receipt_goes_through_upload_read_and_fill() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    for r in corpus() {
        let file = r["file"].as_str().unwrap();
        let (id, read) = draft_with_receipt(&app, &token, file).await;
        let content = read["content"].as_array().unwrap();
        let images: Vec<&Value> = content.iter().filter(|c| c["type"] == "image").collect();
        let is_text_pdf = file.ends_with(".pdf") && !r["scanned"].as_bool().unwrap_or(false);
        if is_text_pdf {
            assert!(
                read["structuredContent"]["pdf_text"].is_string(),
                "{file}: PDF text layer returned"
            );
        } else {
            assert!(!images.is_empty(), "{file}: an image Claude can read");
        }
        for img in images {
            assert_eq!(img["mimeType"], "image/jpeg");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(img["data"].as_str().unwrap())
                .unwrap();
            let decoded = image::load_from_memory(&bytes).unwrap();
            assert!(
                decoded.width().max(decoded.height()) <= 1568,
                "{file}: long edge bounded"
            );
        }
        let args = json!({
            "record_id": id,
            "expected_version": 2,
            "supplier": r["supplier"], "expense_date": r["expense_date"], "net": r["net"], "tax": r["tax"],
            "currency": r["currency"], "total": r["total"],
        });
        let filled = call_tool(&app, &token, "expense_claims_fill_receipt_fields", args).await;
        assert_eq!(filled["isError"], false, "{file}: {filled}");
        assert!(
            filled["structuredContent"]["record"]["receipt_check"].is_null(),
            "{file}: the true values raise no flag: {}",
            filled["structuredContent"]["record"]["receipt_check"]
        );
    }
}

#[tokio::test]
async fn values_that_disagree_with_the_receipt_are_flagged_for_the_approver() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let r = corpus()
        .into_iter()
        .find(|r| {
            r["file"].as_str().unwrap().ends_with(".pdf")
                && !r["scanned"].as_bool().unwrap_or(false)
        })
        .unwrap();
    let (id, read) = draft_with_receipt(&app, &token, r["file"].as_str().unwrap()).await;
    assert!(
        read["structuredContent"]["server_suggestions"]["net"]["value"].is_string(),
        "suggestions returned beside the document"
    );
    let wrong = call_tool(&app, &token, "expense_claims_fill_receipt_fields", json!({
        "record_id": id, "supplier": r["supplier"], "expense_date": r["expense_date"], "net": "999.00", "tax": r["tax"], "currency": r["currency"],
    })).await;
    assert_eq!(
        wrong["isError"], false,
        "a disagreement is noted, not refused"
    );
    let note = wrong["structuredContent"]["record"]["receipt_check"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        note.contains("Net amount") && note.contains("999"),
        "{note}"
    );
    let alice = app.sign_in("alice").await;
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(
        page.contains("Check against the receipt"),
        "shown on the claim"
    );
}

#[tokio::test]
async fn hostile_files_are_refused_cleanly_and_the_server_stays_up() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let created = call_tool(
        &app,
        &token,
        "expense_claims_new_claim",
        json!({"purpose": "Hostile"}),
    )
    .await;
    let id = created["structuredContent"]["record_id"].as_i64().unwrap();
    let dir = repo_root().join("seed-data/receipts/hostile");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    // A 22 MB file is more than `/mcp` reads: refused by its size, as an answer to the call.
    let big = b64(&vec![0xFF; 22_000_000]);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "expense_claims_upload_receipt", "arguments": {"record_id": id, "receipt": {"filename": "big.jpg", "content_base64": big}}}});
    let r = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(
        answer["result"]["structuredContent"]["error"]["code"],
        "too_large"
    );
    for (name, bytes) in files {
        let r = call_tool(
            &app,
            &token,
            "expense_claims_upload_receipt",
            json!({"record_id": id, "receipt": {"filename": name, "content_base64": b64(&bytes)}}),
        )
        .await;
        let refused = r["isError"] == true || r.get("error").is_some();
        assert!(refused, "{name} must be refused: {r}");
        let msg = r["content"][0]["text"]
            .as_str()
            .or(r["error"]["message"].as_str())
            .unwrap_or_default()
            .to_string();
        assert!(!msg.is_empty(), "{name}: the refusal says why");
        let ping = call_tool(
            &app,
            &token,
            "expense_claims_my_claims",
            json!({"limit": 1}),
        )
        .await;
        assert_eq!(ping["isError"], false, "server still answers after {name}");
    }
    let alice = app.sign_in("alice").await;
    assert_eq!(
        version_of(&alice, id).await,
        1,
        "no hostile file was attached"
    );
}

#[tokio::test]
async fn the_same_receipt_twice_is_noticed() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let a = alice.new_claim("First").await;
    let b = alice.new_claim("Second").await;
    let png = png_receipt(77);
    alice
        .run_op(
            "upload_receipt",
            Some((a, 1)),
            &[],
            Some(("receipt", "r.png", png.clone())),
        )
        .await;
    let r = alice
        .run_op(
            "upload_receipt",
            Some((b, 1)),
            &[],
            Some(("receipt", "r.png", png)),
        )
        .await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("note=duplicate"));
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{b}"))
        .await;
    assert!(
        page.contains("possible duplicate claim"),
        "the record page warns"
    );
}

/// The tuning receipts of the held-apart corpus that print a tip (`seed-data/receipts/corpus`;
/// only the tuning part may be named by a test).
fn tuning_receipts_with_a_tip() -> Vec<Value> {
    let text = std::fs::read_to_string(repo_root().join("seed-data/receipts/corpus/manifest.json"))
        .unwrap();
    let m: Value = serde_json::from_str(&text).unwrap();
    m["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["part"] == "tuning" && r["tip"].as_str().is_some_and(|t| !t.is_empty()))
        .cloned()
        .collect()
}

/// A photographed restaurant receipt with a tip, end to end over MCP: the server reads the tip,
/// and with the tip entered in the sample app's tip field the printed grand total (net + tax +
/// tip) is the claim's total and is accepted as the total to verify; the same grand total is
/// refused on a claim whose receipt prints no tip (its tip left empty, counting as 0), and a
/// total off by more than the tip is refused on the tipped claim too.
#[tokio::test]
async fn the_printed_total_of_a_receipt_with_a_tip_is_accepted() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let tipped = tuning_receipts_with_a_tip();
    let r = tipped
        .first()
        .expect("the tuning part has a receipt with a tip");
    let file = format!("corpus/{}", r["file"].as_str().unwrap());
    let (id, read) = draft_with_receipt(&app, &token, &file).await;
    let tip = &read["structuredContent"]["server_suggestions"]["tip"];
    assert_eq!(tip["value"], r["tip"], "the tip is read: {read}");
    assert!(
        tip["confidence"].as_f64().unwrap() >= 0.6,
        "and shown as sure: {tip}"
    );
    let fill = |id: i64, total: &str, tip: &Value| {
        let mut args = json!({
            "record_id": id, "supplier": r["supplier"], "expense_date": r["expense_date"],
            "net": r["net"], "tax": r["tax"], "currency": r["currency"], "total": total,
        });
        if !tip.is_null() {
            args["tip"] = tip.clone();
        }
        args
    };
    let off = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        fill(id, "999.99", &r["tip"]),
    )
    .await;
    assert_eq!(
        off["isError"], true,
        "a total that is not net + tax (+ tip): {off}"
    );
    let filled = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        fill(id, r["total"].as_str().unwrap(), &r["tip"]),
    )
    .await;
    assert_eq!(
        filled["isError"], false,
        "the printed grand total: {filled}"
    );
    let record = &filled["structuredContent"]["record"];
    assert_eq!(record["net"], r["net"]);
    assert_eq!(record["tax"], r["tax"]);
    let as_number = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    let (stored, printed) = (as_number(&record["total"]), as_number(&r["total"]));
    assert!(
        stored
            .zip(printed)
            .is_some_and(|(a, b)| (a - b).abs() < 0.005),
        "the total includes the tip: {record}"
    );

    // The same amounts on a claim whose receipt prints no tip: the grand total does not add up.
    let (plain, _) = draft_with_receipt(&app, &token, "01_cafe_berlin.jpg").await;
    let refused = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        fill(plain, r["total"].as_str().unwrap(), &Value::Null),
    )
    .await;
    assert_eq!(
        refused["isError"], true,
        "no tip to make up the difference: {refused}"
    );
    let text = refused["content"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("does not match"), "{text}");
}
