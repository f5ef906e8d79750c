//! Regressions from the outside security and fault review (issue 12).
use crate::helpers::*;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A signed-in session whose cookies can be read, for requests sent on a raw connection.
async fn raw_session(app: &TestApp, user: &str) -> (String, String) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let r = http
        .post(app.url("/login"))
        .form(&[
            ("username", user),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let profile = http
        .get(app.url("/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    use reqwest::cookie::CookieStore;
    let cookies = jar
        .cookies(&app.url("/").parse().unwrap())
        .expect("session cookie");
    (cookies.to_str().unwrap().to_string(), csrf_of(&profile))
}

/// Sends the head of a POST and the start of its body on a raw connection, keeping the
/// connection open as a slow or endless upload would; returns the status and body of the answer
/// the server gives without waiting for the rest.
async fn early_answer(
    app: &TestApp,
    path: &str,
    headers: &str,
    body_start: &[u8],
) -> (u16, String) {
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n");
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body_start).await.unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 8192];
        loop {
            let n = conn.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if body.len() >= len {
                    break;
                }
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server answered without waiting for the whole body"
    );
    let text = String::from_utf8_lossy(&got).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

const BOUNDARY: &str = "XfwBoundary7";

fn text_part(name: &str, value: &str) -> String {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

fn file_part_head(name: &str, filename: &str) -> String {
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: image/png\r\n\r\n")
}

/// Headers of a chunked multipart POST with the session cookie, and one chunk of body.
fn chunked(cookie: &str, body: &[u8]) -> (String, Vec<u8>) {
    let headers = format!(
        "Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\n"
    );
    let mut chunk = format!("{:x}\r\n", body.len()).into_bytes();
    chunk.extend_from_slice(body);
    chunk.extend_from_slice(b"\r\n");
    (headers, chunk)
}

#[tokio::test]
async fn a_file_before_the_csrf_token_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let (cookie, _) = raw_session(&app, "alice").await;
    // The file part never ends: the server must answer from its head alone.
    let mut body = file_part_head("receipt", "r.png").into_bytes();
    body.extend_from_slice(&vec![0u8; 64 * 1024]);
    let (headers, chunk) = chunked(&cookie, &body);
    let (status, text) =
        early_answer(&app, "/apps/expense_claims/ops/new_claim", &headers, &chunk).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("must come before any file"), "{text}");
}

#[tokio::test]
async fn a_file_for_a_field_that_is_not_a_file_input_is_refused_before_it_is_read() {
    let app = spawn_app().await;
    let (cookie, csrf) = raw_session(&app, "alice").await;
    for (op, field) in [
        ("new_claim", "purpose"),
        ("new_claim", "avatar"),
        ("submit", "receipt"),
    ] {
        let mut body = text_part("csrf", &csrf).into_bytes();
        body.extend_from_slice(file_part_head(field, "r.png").as_bytes());
        body.extend_from_slice(&vec![0u8; 64 * 1024]);
        let (headers, chunk) = chunked(&cookie, &body);
        let (status, text) = early_answer(
            &app,
            &format!("/apps/expense_claims/ops/{op}"),
            &headers,
            &chunk,
        )
        .await;
        assert_eq!(status, 400, "{op}/{field}: {text}");
        assert!(
            text.contains("is not a file input of this operation"),
            "{op}/{field}: {text}"
        );
    }
}

#[tokio::test]
async fn an_operation_form_with_many_parts_or_files_is_refused() {
    let app = spawn_app().await;
    let (cookie, csrf) = raw_session(&app, "alice").await;
    // Many small parts.
    let mut body = text_part("csrf", &csrf);
    for i in 0..100 {
        body.push_str(&text_part(&format!("x{i}"), "y"));
    }
    let (headers, chunk) = chunked(&cookie, body.as_bytes());
    let (status, text) =
        early_answer(&app, "/apps/expense_claims/ops/new_claim", &headers, &chunk).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("more than 64 parts"), "{text}");
    // A second file for the one file input: refused from its head, the first one not kept.
    let mut body = text_part("csrf", &csrf).into_bytes();
    body.extend_from_slice(file_part_head("receipt", "a.png").as_bytes());
    body.extend_from_slice(&png_receipt(1));
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(file_part_head("receipt", "b.png").as_bytes());
    body.extend_from_slice(&vec![0u8; 64 * 1024]);
    let (headers, chunk) = chunked(&cookie, &body);
    let (status, text) =
        early_answer(&app, "/apps/expense_claims/ops/new_claim", &headers, &chunk).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("more than one file for `receipt`"), "{text}");
    // A declared body past the upload limit and the text allowance: refused by its length.
    let headers = format!(
        "Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n",
        1024u64 * 1024 * 1024
    );
    let (status, text) = early_answer(
        &app,
        "/apps/expense_claims/ops/new_claim",
        &headers,
        text_part("csrf", &csrf).as_bytes(),
    )
    .await;
    assert_eq!(status, 413, "{text}");
    assert!(
        text.contains("the receipt is 1073.7 MB; the largest accepted is 20 MB"),
        "{text}"
    );
    // The ordinary form with its receipt still works.
    let alice = app.sign_in("alice").await;
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Taxi"), ("category", "Travel")],
            Some(("receipt", "taxi.png", png_receipt(3))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = record_id_of(&r);
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("taxi.png"), "the receipt is attached");
    // No temporary file is left behind, whether the form was refused or went through.
    let incoming = app.dir.path().join("blobs/incoming");
    let left = std::fs::read_dir(&incoming).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "temporary upload files are removed");
}

#[tokio::test]
async fn a_web_file_over_the_limit_is_refused_beside_its_field() {
    let app = spawn_app_with(&["--max-upload-bytes", "100000"]).await;
    let alice = app.sign_in("alice").await;
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Big")],
            Some(("receipt", "big.png", vec![0u8; 150_000])),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("the receipt is 0.1 MB; the largest accepted is 0.1 MB"));
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Huge")],
            Some(("receipt", "huge.png", vec![0u8; 3_000_000])),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The id of the first attachment shown on a record page.
async fn attachment_on(s: &Session, id: i64) -> i64 {
    let (_, page) = s
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    let at = page.find("href=\"/files/").expect("an attachment link") + "href=\"/files/".len();
    page[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn concurrent_claims_cannot_share_one_upload() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    // An upload of alice's that is attached to nothing: its draft was deleted.
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Mistake")],
            Some(("receipt", "r.png", png_receipt(9))),
        )
        .await;
    let draft = record_id_of(&r);
    let att = attachment_on(&alice, draft).await;
    let r = alice
        .run_op("delete_draft", Some((draft, 1)), &[], None)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = app.token("alice");
    let calls = (0..4).map(|i| {
        let (app, token) = (&app, token.clone());
        async move {
            call_tool(
                app,
                &token,
                "expense_claims_new_claim",
                json!({"purpose": format!("Race {i}"), "receipt": att}),
            )
            .await
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let ok: Vec<&Value> = results.iter().filter(|r| r["isError"] == false).collect();
    assert_eq!(
        ok.len(),
        1,
        "exactly one claim takes the upload: {results:?}"
    );
    for r in results.iter().filter(|r| r["isError"] == true) {
        let msg = r["content"][0]["text"].as_str().unwrap_or_default();
        assert!(
            msg.contains("already attached to another record")
                || msg.contains("is not one of your uploads"),
            "{msg}"
        );
    }
    let (_, page) = alice.get_text("/apps/expense_claims/views/my_claims").await;
    assert_eq!(
        page.matches("Race ").count(),
        1,
        "no claim without its file"
    );
    // Re-attaching the same upload to the same record still works.
    let id = ok[0]["structuredContent"]["record_id"].as_i64().unwrap();
    let again = call_tool(
        &app,
        &token,
        "expense_claims_upload_receipt",
        json!({"record_id": id, "receipt": att}),
    )
    .await;
    assert_eq!(again["isError"], false, "{again}");
}

/// Creates alice's claim with a receipt on the web; returns (record id, attachment id).
async fn claim_with_receipt(alice: &Session, purpose: &str, seed: u8) -> (i64, i64) {
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", purpose), ("category", "Meals")],
            Some(("receipt", "r.png", png_receipt(seed))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = record_id_of(&r);
    (id, attachment_on(alice, id).await)
}

#[tokio::test]
async fn a_manager_sees_an_employees_claim_only_once_it_is_submitted() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let maria = app.sign_in("maria").await;
    let bob = app.sign_in("bob").await;
    let admin = app.sign_in("admin").await;
    let maria_token = app.token("maria");
    let (id, att) = claim_with_receipt(&alice, "Team lunch", 21).await;
    let hidden = "does not exist or is not visible to you";
    for path in [
        format!("/apps/expense_claims/records/{id}"),
        format!("/files/{att}"),
        format!("/files/{att}/thumb"),
        format!("/apps/expense_claims/ops/approve?record={id}"),
    ] {
        let (status, page) = maria.get_text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "maria, draft: {path}");
        if path.starts_with("/apps/expense_claims/records") {
            assert!(page.contains(hidden), "{page}");
        }
        let (status, _) = bob.get_text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "bob, draft: {path}");
    }
    let read = call_tool(
        &app,
        &maria_token,
        "expense_claims_read_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert_eq!(read["isError"], true, "{read}");
    assert!(
        read["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains(hidden),
        "{read}"
    );
    for s in [&alice, &admin] {
        for path in [
            format!("/apps/expense_claims/records/{id}"),
            format!("/files/{att}"),
        ] {
            let (status, _) = s.get_text(&path).await;
            assert_eq!(status, StatusCode::OK, "owner and admin: {path}");
        }
    }
    // Submitted, it is in maria's "Claims to approve".
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id, 1)),
            &[
                ("supplier", "Cafe"),
                ("expense_date", "2025-03-01"),
                ("net", "10.00"),
                ("tax", "1.90"),
                ("currency", "EUR"),
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
    let r = alice.run_op("submit", Some((id, 2)), &[], None).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    for path in [
        format!("/apps/expense_claims/records/{id}"),
        format!("/files/{att}"),
        format!("/files/{att}/thumb"),
    ] {
        let (status, _) = maria.get_text(&path).await;
        assert_eq!(status, StatusCode::OK, "maria, submitted: {path}");
        let (status, _) = bob.get_text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "bob, submitted: {path}");
    }
    let read = call_tool(
        &app,
        &maria_token,
        "expense_claims_read_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert_eq!(read["isError"], false, "{read}");
}

#[tokio::test]
async fn a_view_with_fixed_filters_lets_one_read_exactly_the_records_it_lists() {
    let app = spawn_app().await;
    let def = r#"
slug = "bulletin"
name = "Bulletin"
state_field = "status"
title_field = "title"
roles = ["employee"]

[fields]
title  = { type = "text", label = "Title", required = true }
status = { type = "choice", label = "Status", options = ["Draft", "Public"], default = "Draft" }

[views.mine]
title = "Mine"
roles = ["employee"]
scope = "own"
columns = ["title", "status"]

[views.public]
title = "Public notes"
roles = ["employee"]
scope = "all"
columns = ["title"]
filters = [{ field = "status", op = "eq", value = "Public" }]

[operations.post]
title = "Post"
kind = "create"
roles = ["employee"]
inputs = ["title"]

[operations.publish]
title = "Publish"
kind = "transition"
roles = ["employee"]
scope = "own"
from = ["Draft"]
to = "Public"
"#;
    let path = app.dir.path().join("bulletin.toml");
    std::fs::write(&path, def).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let r = alice
        .http
        .post(alice.url("/apps/bulletin/ops/post"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf", alice.csrf.clone())
                .text("title", "Lunch on Friday"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = record_id_of(&r);
    let page = format!("/apps/bulletin/records/{id}");
    assert_eq!(alice.get_text(&page).await.0, StatusCode::OK);
    assert_eq!(
        bob.get_text(&page).await.0,
        StatusCode::NOT_FOUND,
        "a draft is in no view of bob's"
    );
    let r = alice
        .http
        .post(alice.url("/apps/bulletin/ops/publish"))
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf", alice.csrf.clone())
                .text("_record", id.to_string())
                .text("_version", "1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        bob.get_text(&page).await.0,
        StatusCode::OK,
        "\"Public notes\" lists it now"
    );
}

/// The duplicate warning on a record page, if any.
async fn duplicate_warning(s: &Session, id: i64) -> Option<String> {
    let (_, page) = s
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    let at = page.find("<p class=\"warning\">The same file")? + "<p class=\"warning\">".len();
    page[at..].split("</p>").next().map(String::from)
}

#[tokio::test]
async fn the_duplicate_receipt_note_names_only_claims_the_reader_may_see() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let png = png_receipt(55);
    let (a, _) = claim_with_receipt(&alice, "Dinner", 55).await;
    // Bob's claim with the same file: told of another claim, not of its number.
    let r = bob
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Dinner too")],
            Some(("receipt", "r.png", png.clone())),
        )
        .await;
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("note=duplicate"));
    let b = record_id_of(&r);
    let note = duplicate_warning(&bob, b).await.expect("bob is warned");
    assert!(note.contains("another claim"), "{note}");
    assert!(!note.contains(&format!("#{a}")), "{note}");
    // Over MCP: bob may read his own claim, so that one is named; alice's is not.
    let token = app.token("bob");
    let c = call_tool(
        &app,
        &token,
        "expense_claims_new_claim",
        json!({"purpose": "Dinner again", "receipt": {"filename": "r.png", "content_base64": b64(&png)}}),
    )
    .await;
    assert_eq!(c["isError"], false, "{c}");
    let note = c["structuredContent"]["note"].as_str().expect("a note");
    assert!(
        note.contains(&format!("claim #{b} and another claim")),
        "{note}"
    );
    assert!(!note.contains(&format!("#{a}")), "{note}");
    let texts: Vec<&str> = c["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["text"].as_str())
        .collect();
    assert!(texts.contains(&note), "the note is in the text too");
    // Alice's second claim with her own file names her first.
    let (a2, _) = claim_with_receipt(&alice, "Dinner, second try", 55).await;
    let note = duplicate_warning(&alice, a2)
        .await
        .expect("alice is warned");
    assert!(
        note.contains(&format!("claim #{a} and another claim")),
        "{note}"
    );
}

#[tokio::test]
async fn a_delete_confirmation_is_void_once_the_record_changes() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Mistake").await;
    let token = app.token("alice");
    let preview = call_tool(
        &app,
        &token,
        "expense_claims_delete_draft",
        json!({"record_id": id}),
    )
    .await;
    let confirm = preview["structuredContent"]["confirmation_token"]
        .as_str()
        .unwrap()
        .to_string();
    // The record changes after the preview.
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "r.png", png_receipt(4))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let refused = call_tool(
        &app,
        &token,
        "expense_claims_delete_draft",
        json!({"record_id": id, "confirmation_token": confirm}),
    )
    .await;
    assert_eq!(
        refused["structuredContent"]["error"]["code"], "confirmation_invalid",
        "{refused}"
    );
    let msg = refused["content"][0]["text"].as_str().unwrap();
    assert!(
        msg.contains("changed since the preview") && msg.contains("preview the change again"),
        "{msg}"
    );
    assert_eq!(version_of(&alice, id).await, 2, "the record is still there");
    // A fresh preview of the record as it is now confirms.
    let preview = call_tool(
        &app,
        &token,
        "expense_claims_delete_draft",
        json!({"record_id": id}),
    )
    .await;
    let confirm = preview["structuredContent"]["confirmation_token"]
        .as_str()
        .unwrap()
        .to_string();
    let done = call_tool(
        &app,
        &token,
        "expense_claims_delete_draft",
        json!({"record_id": id, "confirmation_token": confirm}),
    )
    .await;
    assert_eq!(done["structuredContent"]["applied"], true, "{done}");
}
