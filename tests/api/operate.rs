//! What operators see: `/healthz`, `/readyz`, `/metrics` (and who may read it), request ids in
//! headers, error pages and MCP error results, JSON logs.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn health_and_readiness_answer_without_signing_in() {
    let app = spawn_app().await;
    let http = client();
    let r = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http.head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"ready": true, "database": "ok", "files": "ok"})
    );
}

fn metric(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name_and_labels))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_tool_calls_and_failed_sign_ins_by_route_not_path() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    for _ in 0..3 {
        let (code, _) = alice.get_text("/apps/expense_claims/views/my_claims").await;
        assert_eq!(code, StatusCode::OK);
    }
    let token = app.token("alice");
    let ok = call_tool(&app, &token, "expense_claims_my_claims", json!({})).await;
    assert_eq!(ok["isError"], json!(false), "{ok}");
    let bad = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"status": "Nope"}),
    )
    .await;
    assert_eq!(bad["isError"], json!(true), "{bad}");
    let http = client();
    let page = http
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = http
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "wrong-password-1"),
            ("csrf", &csrf_of(&page)),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let r = http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    assert!(
        metric(&text, "formwork_http_requests_total{route=\"/apps/{app}/views/{view}\",status=\"2xx\",surface=\"web\"}") >= 3.0,
        "{text}"
    );
    assert!(
        !text.contains("my_claims\",status"),
        "paths never become labels"
    );
    assert_eq!(
        metric(
            &text,
            "formwork_mcp_tool_calls_total{outcome=\"ok\",tool=\"expense_claims_my_claims\"}"
        ),
        1.0,
        "{text}"
    );
    assert_eq!(metric(&text, "formwork_mcp_tool_calls_total{outcome=\"invalid_input\",tool=\"expense_claims_my_claims\"}"), 1.0, "{text}");
    assert_eq!(
        metric(&text, "formwork_mcp_errors_total{code=\"invalid_input\"}"),
        1.0,
        "{text}"
    );
    assert!(
        metric(&text, "formwork_sign_in_failures_total") >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("formwork_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains("formwork_db_pool_connections{state=\"open\"}"),
        "{text}"
    );

    // Through a proxy the request is not this machine's own: refused without a token.
    let r = http
        .get(app.url("/metrics"))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn with_a_metrics_token_only_its_holder_reads_the_metrics() {
    let app = spawn_app_with(&["--metrics-token", "scrape-secret-7f3a"]).await;
    let http = client();
    let r = http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .get(app.url("/metrics"))
        .bearer_auth("scrape-secret-7f3b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .get(app.url("/metrics"))
        .bearer_auth("scrape-secret-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A signed-in administrator's session is no substitute for the token.
    let admin = app.sign_in("admin").await;
    let (code, _) = admin.get_text("/metrics").await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_answer_carries_a_request_id_shown_on_error_pages_and_in_mcp_errors() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let http = client();
    let r = http.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 16);
    let page = r.text().await.unwrap();
    assert!(page.contains(&id), "{page}");

    // A proxy's own id is kept when it is plain; anything else is replaced.
    let r = http
        .get(app.url("/healthz"))
        .header("X-Request-Id", "edge-2f9c41aa")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "edge-2f9c41aa");
    let r = http
        .get(app.url("/healthz"))
        .header("X-Request-Id", "<b>x</b> injected id")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "<b>x</b> injected id");

    let token = app.token("alice");
    let r = http
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "application/json, text/event-stream")
        .header("X-Request-Id", "trace-0001-abcd")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "expense_claims_my_claims", "arguments": {"status": "Nope"}}}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["result"]["isError"], json!(true), "{body}");
    assert_eq!(
        body["result"]["structuredContent"]["error"]["request_id"],
        json!("trace-0001-abcd"),
        "{body}"
    );
}

#[tokio::test]
async fn logs_are_json_lines_when_asked() {
    let app = spawn_app().await;
    let mut child = Command::new(bin())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &app.db_url)
        .env("FORMWORK_DATA_DIR", app.dir.path())
        .env("FORMWORK_LOG_FORMAT", "json")
        .env("FORMWORK_LOG", "info")
        .current_dir(repo_root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut serving = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["fields"]["message"] == "formwork is serving" {
            serving = Some(v);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let v = serving.expect("the serving line");
    assert_eq!(v["level"], "INFO");
    assert!(v["timestamp"].is_string());
}
