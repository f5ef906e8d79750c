//! Regressions from the outside security and fault review (issue 12).
use crate::helpers::*;
use crate::oauth_helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// A raw POST to `/mcp`: (status, content type, body as JSON or Null).
async fn post_mcp(
    app: &TestApp,
    token: &str,
    content_type: &str,
    accept: &str,
    body: &str,
) -> (StatusCode, String, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(token)
        .header("Accept", accept)
        .header("Content-Type", content_type)
        .header("Mcp-Protocol-Version", "2025-06-18")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    (
        status,
        ct,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

const BOTH: &str = "application/json, text/event-stream";

#[tokio::test]
async fn malformed_json_rpc_is_answered_with_json_rpc_errors() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");

    // Not JSON: a parse error, id null (JSON-RPC 2.0 §5.1).
    for body in [
        "{not json",
        "",
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list""#,
    ] {
        let (status, ct, v) = post_mcp(&app, &token, "application/json", BOTH, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {v}");
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_eq!(v["jsonrpc"], "2.0", "{v}");
        assert_eq!(v["error"]["code"], -32700, "{v}");
        assert!(v["id"].is_null(), "{v}");
    }
    // JSON that is not a request: invalid request.
    let (status, _, v) = post_mcp(&app, &token, "application/json", BOTH, "[1, 2]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["code"], -32600, "{v}");

    // A wrong Content-Type is still refused, with a JSON-RPC error body.
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let (status, ct, v) = post_mcp(&app, &token, "text/plain", BOTH, list).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(ct.starts_with("application/json"), "{ct}");
    assert_eq!(v["jsonrpc"], "2.0", "{v}");
    assert!(v["error"]["code"].is_i64(), "{v}");
    // So is a missing Accept, which rmcp refuses in plain text.
    let (status, ct, v) = post_mcp(&app, &token, "application/json", "text/html", list).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    assert!(ct.starts_with("application/json"), "{ct}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Accept") || m.contains("accept")),
        "{v}"
    );

    // tools/call whose arguments are not an object: invalid params, with the request's id.
    for args in [json!("receipt.png"), json!([1, 2]), json!(5)] {
        let (status, body) = mcp(
            &app,
            &token,
            "tools/call",
            json!({"name": "expense_claims_my_claims", "arguments": args}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["error"]["code"], -32602, "{body}");
        assert_eq!(body["id"], 1, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("arguments")),
            "{body}"
        );
    }
    // A known method whose params miss what it needs is invalid params too, not "not found".
    let (status, body) = mcp(&app, &token, "tools/call", json!({"arguments": {}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["error"]["code"], -32602, "{body}");
    // An unknown method is still method-not-found, and good requests still work.
    let (_, body) = mcp(&app, &token, "no/such/method", json!({})).await;
    assert_eq!(body["error"]["code"], -32601, "{body}");
    assert!(tool_names(&app, &token)
        .await
        .contains(&"expense_claims_my_claims".to_string()));
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"limit": 1}),
    )
    .await;
    assert!(r.get("error").is_none(), "{r}");
}

/// Opens `GET /mcp` as an event stream; an admitted stream has sent its opening comment.
async fn open_stream(app: &TestApp, token: &str) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .get(app.url("/mcp"))
        .bearer_auth(token)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    if r.status() == StatusCode::OK {
        let first = tokio::time::timeout(Duration::from_secs(5), r.chunk())
            .await
            .expect("the stream opens at once")
            .unwrap()
            .unwrap();
        assert!(first.starts_with(b":"), "{first:?}");
    }
    r
}

#[tokio::test]
async fn event_streams_are_capped_per_token_and_per_user_and_freed_when_clients_leave() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let first = app.token("alice");
    let mut held = Vec::new();
    for _ in 0..4 {
        let s = open_stream(&app, &first).await;
        assert_eq!(s.status(), StatusCode::OK);
        held.push(s);
    }
    // A fifth stream by the same token is refused, and says when to try again.
    let refused = open_stream(&app, &first).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let body: Value = refused.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");

    // Another token of the same user gets its own four, then the user's cap of eight applies.
    let second = app.token("alice");
    for _ in 0..4 {
        let s = open_stream(&app, &second).await;
        assert_eq!(s.status(), StatusCode::OK);
        held.push(s);
    }
    let third = app.token("alice");
    assert_eq!(
        open_stream(&app, &third).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another user is not affected.
    let bob = app.token("bob");
    let s = open_stream(&app, &bob).await;
    assert_eq!(s.status(), StatusCode::OK);
    drop(s);

    // The client of one stream leaves: its slot frees within a few seconds.
    drop(held.remove(0));
    let left = tokio::time::Instant::now();
    let admitted = loop {
        let s = open_stream(&app, &first).await;
        if s.status() == StatusCode::OK {
            break s;
        }
        assert_eq!(s.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            left.elapsed() < Duration::from_secs(6),
            "the slot of a closed stream was not freed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drop(admitted);
    drop(held);
}

/// Runs a query returning one integer against the app's database.
async fn count(app: &TestApp, query: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = if app.db_url.starts_with("postgres") {
        sea_orm::DatabaseBackend::Postgres
    } else {
        sea_orm::DatabaseBackend::Sqlite
    };
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    let row = db
        .query_one(Statement::from_string(backend, query.to_string()))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get_by_index(0).unwrap();
    db.close().await.ok();
    n
}

#[tokio::test]
async fn bogus_bearer_tokens_write_nothing_and_real_events_stay_listed() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    // A real event: a tool that does not exist.
    let r = call_tool(&app, &token, "expense_claims_no_such_tool", json!({})).await;
    assert!(r.get("error").is_some(), "{r}");
    let rows = count(&app, "SELECT CAST(COUNT(*) AS BIGINT) FROM mcp_events").await;
    let last = count(
        &app,
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM mcp_events",
    )
    .await;
    assert!(rows >= 1);

    let http = reqwest::Client::new();
    for i in 0..200 {
        let r = http
            .post(app.url("/mcp"))
            .bearer_auth(format!("fwp_bogus{i}"))
            .header("Accept", BOTH)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().contains_key("www-authenticate"));
    }
    assert_eq!(
        count(&app, "SELECT CAST(COUNT(*) AS BIGINT) FROM mcp_events").await,
        rows,
        "refused tokens wrote events"
    );
    assert_eq!(
        count(
            &app,
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM mcp_events"
        )
        .await,
        last
    );

    let admin = app.sign_in("admin").await;
    let (status, page) = admin.get_text("/admin/integration/mcp").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("expense_claims_no_such_tool"),
        "the real event is still listed"
    );
    assert!(
        page.contains(r#"<b id="rejected-tokens">200</b>"#),
        "the refused tokens are counted apart"
    );
    assert!(page.contains("127.0.0.1"), "by address");
}

#[tokio::test]
async fn mcp_client_add_prints_the_url_the_server_runs_with_or_says_it_is_unknown() {
    let mut app = spawn_app().await;
    let info: Value = serde_json::from_str(&app.cli(
        &["mcp-client", "add", "--name", "Claude", "--type", "claude"],
        None,
    ))
    .unwrap();
    assert_eq!(info["server_url"], app.url("/mcp"));

    // Behind a proxy: the public URL the server runs with.
    app.kill();
    app.start(&["--public-url", "https://forms.example.com"]);
    let info: Value = serde_json::from_str(&app.cli(
        &[
            "mcp-client",
            "add",
            "--name",
            "Claude 2",
            "--type",
            "claude",
        ],
        None,
    ))
    .unwrap();
    assert_eq!(info["server_url"], "https://forms.example.com/mcp");
    let id = info["client_id"].as_str().unwrap();
    let rotated: Value =
        serde_json::from_str(&app.cli(&["mcp-client", "rotate-secret", id], None)).unwrap();
    assert_eq!(rotated["server_url"], "https://forms.example.com/mcp");

    // A database no server has run on: unknown, and how to fix it — never a made-up URL.
    sql(
        &app,
        "DELETE FROM settings WHERE key = ?",
        vec!["site.base_url".into()],
    )
    .await;
    let out = app.cli_raw(
        &[
            "mcp-client",
            "add",
            "--name",
            "Claude 3",
            "--type",
            "claude",
        ],
        None,
    );
    assert!(out.status.success());
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(info["server_url"].is_null(), "{info}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown") && err.contains("FORMWORK_PUBLIC_URL"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("127.0.0.1:8080"));
}

/// Signs `user` in through the authorization request and returns the consent page.
async fn consent_page(app: &TestApp, user: &str, params: &[(String, String)]) -> String {
    let http = client();
    let r = http.get(authorize_url(app, params)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "to the sign-in page");
    let page = http
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form = hidden_fields(&page);
    form.push(("username".into(), user.into()));
    form.push(("password".into(), PASSWORD.into()));
    let r = http
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let r = http.get(app.url(&location(&r))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "consent page");
    r.text().await.unwrap()
}

const MARKING: &str = "registered itself; not verified by your administrator";

#[tokio::test]
async fn the_consent_page_marks_self_registered_clients_and_shows_where_the_code_goes() {
    let app = spawn_app().await;
    let admin_registered = app.claude().await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form("/admin/integration/mcp/registration", &[("enabled", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let look_alike = "https://claude.ai.example-callback.net/api/mcp/auth_callback";
    let r = reqwest::Client::new()
        .post(app.url("/oauth/register"))
        .json(&json!({"redirect_uris": [look_alike], "client_name": "Claude"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let reg: Value = r.json().await.unwrap();

    let p = pkce();
    let params = with(
        &authorize_params(&app, reg["client_id"].as_str().unwrap(), &p),
        "redirect_uri",
        look_alike,
    );
    let page = consent_page(&app, "alice", &params).await;
    assert!(page.contains(MARKING), "{page}");
    assert!(
        page.contains("<b><code>claude.ai.example-callback.net</code></b>"),
        "the redirect host, prominently: {page}"
    );

    let params = authorize_params(&app, &admin_registered.client_id, &p);
    let page = consent_page(&app, "alice", &params).await;
    assert!(!page.contains(MARKING), "{page}");
    assert!(page.contains("<b><code>claude.ai</code></b>"), "{page}");
}

#[tokio::test]
async fn a_code_presented_by_another_client_is_refused_and_stays_usable_by_its_own() {
    let app = spawn_app().await;
    let rightful = app.claude().await;
    let other = app.add_client("Another Claude", "claude", &[]);
    let p = pkce();
    let code = code_for(&app, "alice", &rightful, &p).await;

    let (status, _, body) = exchange(&app, &other, &code, &p.verifier).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");

    let (status, _, body) = exchange(&app, &rightful, &code, &p.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert!(mcp_accepts(&app, access).await);
    // Spent now: a second use by its own client is refused as a replay.
    let (status, _, body) = exchange(&app, &rightful, &code, &p.verifier).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
}
