//! Uploads sent with an operation that is then refused leave nothing behind (no attachment row;
//! blob files only as unreferenced leftovers that `blobs gc` removes), through the web form and
//! MCP, for each kind of refusal; and an upload over the size limit is refused in the same words
//! and unit on both surfaces, also when the whole MCP request is over `/mcp`'s HTTP limit.
use crate::helpers::*;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

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

/// The content files in the data directory's blob store (not temporary or incoming files).
fn blob_files(app: &TestApp) -> BTreeSet<String> {
    let root = app.dir.path().join("blobs");
    let mut out = BTreeSet::new();
    for sub in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        if sub.file_name() == "incoming" || !sub.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(sub.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = f.file_name().to_string_lossy().to_string();
            if !name.ends_with(".tmp") && !name.starts_with('.') {
                out.insert(name);
            }
        }
    }
    out
}

/// What was stored before a refusal, to compare with after it.
struct Before {
    rows: i64,
    blobs: BTreeSet<String>,
}

async fn before(app: &TestApp) -> Before {
    Before {
        rows: attachment_rows(app).await,
        blobs: blob_files(app),
    }
}

/// No attachment row was added, and once `blobs gc` has run the blob files are as before.
async fn nothing_left(app: &TestApp, b: &Before, what: &str) {
    assert_eq!(
        attachment_rows(app).await,
        b.rows,
        "{what}: attachment rows"
    );
    app.cli(&["blobs", "gc", "--min-age-secs", "0"], None);
    assert_eq!(blob_files(app), b.blobs, "{what}: blob files after gc");
}

/// A claim of alice's with a receipt, taken to Submitted over MCP; returns its id.
async fn submitted_claim(app: &TestApp, token: &str) -> i64 {
    let created = call_tool(
        app,
        token,
        "expense_claims_new_claim",
        json!({"purpose": "Taxi", "category": "Travel",
               "receipt": {"filename": "a.png", "content_base64": b64(&png_receipt(1))}}),
    )
    .await;
    assert_eq!(created["isError"], false, "{created}");
    let id = created["structuredContent"]["record_id"].as_i64().unwrap();
    let filled = call_tool(
        app,
        token,
        "expense_claims_fill_receipt_fields",
        json!({"record_id": id, "supplier": "Cab Co", "expense_date": "2026-11-02",
               "net": "10.00", "tax": "1.90", "currency": "EUR", "tax_rate": "19"}),
    )
    .await;
    assert_eq!(filled["isError"], false, "{filled}");
    let sent = call_tool(
        app,
        token,
        "expense_claims_submit",
        json!({"record_id": id}),
    )
    .await;
    assert_eq!(sent["isError"], false, "{sent}");
    id
}

fn code_of(r: &Value) -> String {
    r["structuredContent"]["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_upload_with_a_refused_mcp_call_leaves_no_attachment_behind() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let submitted = submitted_claim(&app, &alice).await;
    let draft = call_tool(
        &app,
        &alice,
        "expense_claims_new_claim",
        json!({"purpose": "Lunch"}),
    )
    .await["structuredContent"]["record_id"]
        .as_i64()
        .unwrap();
    let file = |seed: u8| json!({"filename": "r.png", "content_base64": b64(&png_receipt(seed))});
    let cases = [
        (
            "wrong state",
            &alice,
            "expense_claims_upload_receipt",
            json!({"record_id": submitted, "receipt": file(20)}),
            "precondition_failed",
        ),
        (
            "stale version",
            &alice,
            "expense_claims_upload_receipt",
            json!({"record_id": draft, "expected_version": 99, "receipt": file(21)}),
            "stale_version",
        ),
        (
            "another input invalid",
            &alice,
            "expense_claims_new_claim",
            json!({"category": "Travel", "receipt": file(22)}),
            "invalid_input",
        ),
        (
            "another person's claim",
            &bob,
            "expense_claims_upload_receipt",
            json!({"record_id": draft, "receipt": file(23)}),
            "not_found",
        ),
    ];
    for (what, token, tool, args, code) in cases {
        let b = before(&app).await;
        let r = call_tool(&app, token, tool, args).await;
        assert_eq!(r["isError"], true, "{what}: {r}");
        assert_eq!(code_of(&r), code, "{what}: {r}");
        nothing_left(&app, &b, what).await;
    }
    // The same upload accepted is kept: the comparison above can see a stored file.
    let b = before(&app).await;
    let r = call_tool(
        &app,
        &alice,
        "expense_claims_upload_receipt",
        json!({"record_id": draft, "receipt": file(24)}),
    )
    .await;
    assert_eq!(r["isError"], false, "{r}");
    assert_eq!(attachment_rows(&app).await, b.rows + 1);
    app.cli(&["blobs", "gc", "--min-age-secs", "0"], None);
    assert!(
        blob_files(&app).len() > b.blobs.len(),
        "the file and derivatives stay"
    );
}

#[tokio::test]
async fn an_upload_with_a_refused_web_form_is_kept_only_when_the_form_can_be_sent_again() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let submitted = submitted_claim(&app, &app.token("alice")).await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let draft = alice.new_claim("Lunch").await;
    let version = version_of(&alice, draft).await;
    // Refusals of the operation itself: the file could never be sent again with this form.
    let b = before(&app).await;
    let r = alice
        .run_op(
            "upload_receipt",
            Some((submitted, version_of(&alice, submitted).await)),
            &[],
            Some(("receipt", "r.png", png_receipt(30))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "wrong state");
    assert!(!r.text().await.unwrap().contains("_kept_receipt"));
    nothing_left(&app, &b, "web, wrong state").await;
    let b = before(&app).await;
    let r = bob
        .run_op(
            "upload_receipt",
            Some((draft, version)),
            &[],
            Some(("receipt", "r.png", png_receipt(31))),
        )
        .await;
    assert!(
        r.status().is_client_error(),
        "another person's claim: {}",
        r.status()
    );
    nothing_left(&app, &b, "web, another person's claim").await;
    // Refusals the person can put right: the form keeps the file and offers it back, and that
    // one kept file is all that stays.
    for (what, record, fields) in [
        ("stale version", Some((draft, version + 5)), vec![]),
        ("another input invalid", None, vec![("category", "Travel")]),
    ] {
        let b = before(&app).await;
        let r = alice
            .run_op(
                if record.is_some() {
                    "upload_receipt"
                } else {
                    "new_claim"
                },
                record,
                &fields,
                Some(("receipt", "r.png", png_receipt(32))),
            )
            .await;
        assert!(r.status().is_client_error(), "{what}: {}", r.status());
        let page = r.text().await.unwrap();
        assert!(
            page.contains("name=\"_kept_receipt\""),
            "{what}: offered back"
        );
        assert_eq!(
            attachment_rows(&app).await,
            b.rows + 1,
            "{what}: only the kept file"
        );
    }
}

#[tokio::test]
async fn an_over_size_upload_gets_the_same_words_on_the_web_and_over_mcp() {
    let app = spawn_app_with(&["--max-upload-bytes", "1000000"]).await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let want = "the receipt is 1.3 MB; the largest accepted is 1 MB";
    // The web form, beside its field.
    let alice = app.sign_in("alice").await;
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Big")],
            Some(("receipt", "big.png", vec![0u8; 1_300_000])),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(want));
    // MCP, inside the HTTP limit: the tool call sees the file and refuses it.
    let b = before(&app).await;
    let r = call_tool(
        &app,
        &token,
        "expense_claims_new_claim",
        json!({"purpose": "Big", "receipt": {"filename": "big.png",
               "content_base64": b64(&vec![0u8; 1_300_000])}}),
    )
    .await;
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(code_of(&r), "too_large");
    assert_eq!(r["content"][0]["text"], want);
    // Just over the limit, the upload itself is refused, beside its field.
    let r = call_tool(
        &app,
        &token,
        "expense_claims_new_claim",
        json!({"purpose": "Big", "receipt": {"filename": "big.png",
               "content_base64": b64(&vec![0u8; 1_030_000])}}),
    )
    .await;
    assert_eq!(code_of(&r), "too_large", "{r}");
    assert_eq!(
        r["structuredContent"]["error"]["fields"]["receipt"],
        "the receipt is 1.0 MB; the largest accepted is 1 MB"
    );
    // MCP, over the HTTP limit (about 2.3 MB of JSON here): the same tool error, as the answer
    // to that very request (its id), with the size read from the body.
    let body = json!({"jsonrpc": "2.0", "id": 41, "method": "tools/call", "params": {
        "name": "expense_claims_new_claim",
        "arguments": {"purpose": "Huge", "receipt": {"filename": "huge.png",
                      "content_base64": b64(&vec![0u8; 2_000_000])}}}});
    let r = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Protocol-Version", "2025-06-18")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["id"], 41, "{answer}");
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(code_of(&answer["result"]), "too_large");
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("the receipt is 2.0 MB; the largest accepted is 1 MB"),
        "{text}"
    );
    // The server still answers, and nothing was stored.
    let ping = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"limit": 1}),
    )
    .await;
    assert_eq!(ping["isError"], false, "{ping}");
    nothing_left(&app, &b, "over-size uploads").await;
}
