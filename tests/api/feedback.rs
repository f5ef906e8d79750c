//! Feedback and errors (issue 18): styled 404s, HEAD like GET, the favicon, compression that
//! leaves streams and files alone, success messages after actions, confirmations before
//! dangerous ones, and engine messages in plain words on the web.
use crate::helpers::*;
use reqwest::StatusCode;
use std::time::Duration;

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn unknown_urls_answer_a_styled_page_and_programs_get_json() {
    let app = spawn_app().await;
    let http = client();
    for path in [
        "/nope",
        "/apps/expense_claims/nope/deeper",
        "/static/nope.css",
    ] {
        let r = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            header(&r, "content-type").starts_with("text/html"),
            "{path}"
        );
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<h1>Not found</h1>") && html.contains("/static/formwork.css"),
            "{path}: {html}"
        );
    }
    // Signed in, the same page.
    let alice = app.sign_in("alice").await;
    let (status, html) = alice.get_text("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("There is no page at this address"), "{html}");
    // Under /mcp a bearer token comes first (401 without one), then the same JSON 404.
    app.enable_mcp().await;
    let token = app.token("alice");
    for path in ["/mcp/nope", "/oauth/nope", "/.well-known/nope"] {
        let r = http
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            header(&r, "content-type").starts_with("application/json"),
            "{path}"
        );
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"], "not_found", "{path}: {v}");
    }
}

#[tokio::test]
async fn head_answers_like_get_with_no_body() {
    let app = spawn_app().await;
    let http = client();
    for (path, status) in [
        ("/login", StatusCode::OK),
        ("/static/formwork.css", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/favicon.ico", StatusCode::OK),
        ("/", StatusCode::SEE_OTHER),
        ("/nope", StatusCode::NOT_FOUND),
    ] {
        let get = http.get(app.url(path)).send().await.unwrap();
        let head = http.head(app.url(path)).send().await.unwrap();
        assert_eq!(get.status(), status, "GET {path}");
        assert_eq!(head.status(), status, "HEAD {path}");
        assert_eq!(
            header(&head, "content-type"),
            header(&get, "content-type"),
            "{path}"
        );
        let get_len = header(&get, "content-length");
        assert_eq!(header(&head, "content-length"), get_len, "{path}");
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    // A signed-in page too.
    let alice = app.sign_in("alice").await;
    let r = alice
        .http
        .head(alice.url("/apps/expense_claims/views/my_claims"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header(&r, "content-type").starts_with("text/html"));
}

#[tokio::test]
async fn favicon_is_served_and_pages_and_css_are_compressed() {
    let app = spawn_app().await;
    let http = client();
    let r = http.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-type"), "image/svg+xml");
    assert!(r.text().await.unwrap().contains("<svg"));
    for path in ["/login", "/static/formwork.css"] {
        let plain = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(header(&plain, "content-encoding"), "", "{path}");
        let plain_len = plain.bytes().await.unwrap().len();
        let r = http
            .get(app.url(path))
            .header("Accept-Encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "content-encoding"), "gzip", "{path}");
        let zipped = r.bytes().await.unwrap();
        assert!(zipped.starts_with(&[0x1f, 0x8b]), "{path}: gzip bytes");
        assert!(zipped.len() < plain_len, "{path}: smaller");
    }
}

#[tokio::test]
async fn file_downloads_and_the_event_stream_are_not_compressed() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let png = png_receipt(7);
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Taxi")],
            Some(("receipt", "taxi.png", png.clone())),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = record_id_of(&r);
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    let file = page
        .split("href=\"/files/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = alice
        .http
        .get(alice.url(&format!("/files/{file}")))
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-encoding"), "");
    assert_eq!(header(&r, "content-length"), png.len().to_string());
    assert_eq!(r.bytes().await.unwrap().as_ref(), png.as_slice());

    // The MCP event stream delivers its first comment at once, uncompressed.
    let token = app.token("alice");
    let mut r = reqwest::Client::new()
        .get(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "text/event-stream")
        .header("Accept-Encoding", "gzip, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "content-encoding"), "");
    let first = tokio::time::timeout(Duration::from_secs(5), r.chunk())
        .await
        .expect("the stream's first comment arrives promptly")
        .unwrap()
        .unwrap();
    assert!(first.starts_with(b":"), "{first:?}");
    // HEAD on the stream answers at once and ends.
    let head = tokio::time::timeout(
        Duration::from_secs(5),
        reqwest::Client::new()
            .head(app.url("/mcp"))
            .bearer_auth(&token)
            .header("Accept", "text/event-stream")
            .send(),
    )
    .await
    .expect("HEAD /mcp does not hang")
    .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
}

#[tokio::test]
async fn operations_say_what_they_did_on_the_next_page() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Train"), ("category", "Travel")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&r).ends_with("?done=new_claim"),
        "{}",
        location(&r)
    );
    let id = record_id_of(&r);
    let (_, page) = alice.get_text(&location(&r)).await;
    assert!(
        page.contains("<p class=\"flash\">Claim created.</p>"),
        "{page}"
    );
    // Without the flag, no message; an unknown flag says nothing either.
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(!page.contains("class=\"flash\""));
    let (_, page) = alice
        .get_text(&format!(
            "/apps/expense_claims/records/{id}?done=%3Cb%3Ehacked"
        ))
        .await;
    assert!(!page.contains("class=\"flash\"") && !page.contains("hacked"));

    let fill = [
        ("supplier", "DB"),
        ("expense_date", "2026-01-05"),
        ("net", "20.00"),
        ("tax", "3.80"),
        ("currency", "EUR"),
    ];
    let r = alice
        .run_op("fill_receipt_fields", Some((id, 1)), &fill, None)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = alice.get_text(&location(&r)).await;
    assert!(page.contains("Filled receipt fields."), "{page}");
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 2)),
            &[],
            Some(("receipt", "r.png", png_receipt(3))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = alice.run_op("submit", Some((id, 3)), &[], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = alice.get_text(&location(&r)).await;
    assert!(page.contains("<p class=\"flash\">Submitted.</p>"), "{page}");
    let maria = app.sign_in("maria").await;
    let r = maria.run_op("approve", Some((id, 4)), &[], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", location(&r));
    let (_, page) = maria.get_text(&location(&r)).await;
    assert!(page.contains("<p class=\"flash\">Approved.</p>"), "{page}");
}

#[tokio::test]
async fn engine_messages_on_the_web_are_plain_sentences() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Hotel").await;
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id, 1)),
            &[
                ("supplier", "Hotel"),
                ("expense_date", "yesterday"),
                ("net", "abc"),
                ("currency", "EUR"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Net amount: “abc” is not an amount; write it like 12.50."),
        "{page}"
    );
    assert!(page.contains("“yesterday” is not a date"), "{page}");
    assert!(!page.contains('`'), "no backticks: {page}");
    // Away from any input, the same sentences.
    let r = alice.run_op("submit", Some((id, 1)), &[], None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Supplier name must be filled in before"),
        "{page}"
    );
    assert!(!page.contains("(`supplier`)"), "{page}");
    // A view filter that cannot be read.
    let (status, page) = alice
        .get_text("/apps/expense_claims/views/my_claims?p_date_from=soon")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Date from: “soon” is not a date"), "{page}");
    assert!(
        !page.contains("date_from`") && !page.contains("`soon`"),
        "{page}"
    );
}

/// The id of the client the admin's create answer shows.
fn client_id_in(page: &str) -> i64 {
    page.split("/admin/integration/mcp/clients/")
        .filter_map(|s| s.split(['/', '"', '#']).next())
        .find_map(|s| s.parse().ok())
        .expect("client id in page")
}

#[tokio::test]
async fn adding_an_mcp_client_leaves_no_dead_url_and_dangerous_actions_are_confirmed() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/integration/mcp/clients",
            &[
                ("name", "Claude (ops)"),
                ("kind", "claude"),
                ("redirect_uris", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("MCP client added."), "{page}");
    let id = client_id_in(&page);
    let base = format!("/admin/integration/mcp/clients/{id}");
    // The address the create answer leaves in the browser answers GET.
    let r = admin.get("/admin/integration/mcp/clients").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/admin/integration/mcp"));
    // Regenerate and deactivate are links to a confirmation page, not one-click buttons.
    let (_, page) = admin.get_text(&base).await;
    assert!(page.contains(&format!("href=\"{base}/secret\"")), "{page}");
    assert!(
        page.contains(&format!("href=\"{base}/deactivate\"")),
        "{page}"
    );
    for (path, button) in [
        ("secret", "Regenerate secret"),
        ("deactivate", "Deactivate"),
        ("delete", "Delete client"),
    ] {
        let (status, confirm) = admin.get_text(&format!("{base}/{path}")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(confirm.contains("What will happen"), "{path}: {confirm}");
        assert!(confirm.contains(&format!(">{button}</button>")), "{path}");
        assert!(confirm.contains("name=\"confirm\" value=\"yes\""), "{path}");
    }
    // Regenerating shows the new secret once, with a message.
    let r = admin
        .post_form(&format!("{base}/secret"), &[("confirm", "yes")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("New secret made"));
    // Deactivating, from the confirmation page's form, ends on the client with a message.
    let r = admin
        .post_form(
            &format!("{base}/status"),
            &[("active", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.get_text(&location(&r)).await;
    assert!(page.contains("Client deactivated"), "{page}");
    assert!(!admin
        .get(&format!("{base}/status"))
        .await
        .status()
        .is_client_error());
    // Delete without the confirmation goes to the confirmation page; nothing is deleted.
    let r = admin.post_form(&format!("{base}/delete"), &[]).await;
    assert_eq!(location(&r), format!("{base}/delete"));
    assert_eq!(admin.get(&base).await.status(), StatusCode::OK);
    let r = admin
        .post_form(&format!("{base}/delete"), &[("confirm", "yes")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.get_text(&location(&r)).await;
    assert!(page.contains("Client deleted"), "{page}");
    assert_eq!(admin.get(&base).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn settings_saves_say_so() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form("/admin/integration/mcp", &[("enabled", "on")])
        .await;
    let (_, page) = admin.get_text(&location(&r)).await;
    assert!(page.contains("Saved: the MCP server is on."), "{page}");
    let r = admin
        .post_form("/admin/integration/mcp/registration", &[])
        .await;
    let (_, page) = admin.get_text(&location(&r)).await;
    assert!(
        page.contains("Saved: MCP clients can no longer register themselves."),
        "{page}"
    );
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/views/my_claims",
            &[
                ("enabled", "on"),
                ("format", "columns"),
                ("description", ""),
                ("instructions", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.get_text(&location(&r)).await;
    assert!(page.contains("Saved to the draft."), "{page}");
}

#[tokio::test]
async fn the_new_client_pages_are_for_administrators_only() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/integration/mcp/clients",
            &[
                ("name", "Claude"),
                ("kind", "claude"),
                ("redirect_uris", ""),
            ],
        )
        .await;
    let id = client_id_in(&r.text().await.unwrap());
    let alice = app.sign_in("alice").await;
    let anonymous = client();
    for path in [
        "/admin/integration/mcp/clients".to_string(),
        format!("/admin/integration/mcp/clients/{id}/secret"),
        format!("/admin/integration/mcp/clients/{id}/deactivate"),
        format!("/admin/integration/mcp/clients/{id}/delete"),
        format!("/admin/integration/mcp/clients/{id}/status"),
        "/admin/integration/mcp/registration".to_string(),
    ] {
        let (status, page) = alice.get_text(&path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(!page.contains("What will happen"), "{path}");
        let r = anonymous.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/login"), "{path}");
    }
    // Alice cannot deactivate or delete with a form of her own.
    let r = alice
        .post_form(
            &format!("/admin/integration/mcp/clients/{id}/status"),
            &[("active", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = alice
        .post_form(
            &format!("/admin/integration/mcp/clients/{id}/delete"),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, page) = admin.get_text("/admin/integration/mcp").await;
    assert!(page.contains("Activated"), "still active: {page}");
}
