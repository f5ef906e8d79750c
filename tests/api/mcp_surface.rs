//! The MCP surface over real HTTP with personal access tokens.
use crate::engine_rules::submitted_claim;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn mcp_needs_a_bearer_token_and_points_at_resource_metadata() {
    let app = spawn_app().await;
    let r = reqwest::Client::new()
        .post(app.url("/mcp"))
        .json(&json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let h = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        h.starts_with("Bearer resource_metadata=\"")
            && h.contains("/.well-known/oauth-protected-resource/mcp"),
        "{h}"
    );
    let (status, _) = mcp(&app, "fwp_forged", "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let meta: serde_json::Value =
        reqwest::get(app.url("/.well-known/oauth-protected-resource/mcp"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(meta["resource"], app.url("/mcp"));
}

#[tokio::test]
async fn the_site_switch_turns_the_surface_off_with_an_explanation() {
    let app = spawn_app().await;
    let token = app.token("alice");
    let (status, body) = mcp(&app, &token, "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Configure > Integration > MCP"));
    app.enable_mcp().await;
    let names = tool_names(&app, &token).await;
    assert!(
        names.contains(&"expense_claims_my_claims".to_string()),
        "{names:?}"
    );
}

#[tokio::test]
async fn tools_are_listed_per_role_with_schemas_and_annotations() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = tool_names(&app, &app.token("alice")).await;
    let maria = tool_names(&app, &app.token("maria")).await;
    assert!(alice.contains(&"expense_claims_fill_receipt_fields".into()));
    assert!(
        !alice.contains(&"expense_claims_claims_to_approve".into()),
        "managers only"
    );
    assert!(maria.contains(&"expense_claims_claims_to_approve".into()));
    assert!(
        !alice.iter().any(|n| n == "expense_claims_approve"),
        "approve is not enabled for MCP"
    );
    assert!(
        !alice.iter().any(|n| n == "expense_claims_all_claims"),
        "admin view is not enabled"
    );
    let (_, body) = mcp(&app, &app.token("alice"), "tools/list", json!({})).await;
    let tools = body["result"]["tools"].as_array().unwrap();
    let view = tools
        .iter()
        .find(|t| t["name"] == "expense_claims_my_claims")
        .unwrap();
    assert_eq!(view["annotations"]["readOnlyHint"], true);
    assert_eq!(
        view["inputSchema"]["properties"]["status"]["enum"],
        json!([
            "Draft",
            "Submitted",
            "Manager approved",
            "Approved",
            "Rejected"
        ])
    );
    assert_eq!(
        view["inputSchema"]["properties"]["date_from"]["format"],
        "date"
    );
    let del = tools
        .iter()
        .find(|t| t["name"] == "expense_claims_delete_draft")
        .unwrap();
    assert_eq!(del["annotations"]["destructiveHint"], true);
    let fill = tools
        .iter()
        .find(|t| t["name"] == "expense_claims_fill_receipt_fields")
        .unwrap();
    assert_eq!(fill["annotations"]["readOnlyHint"], false);
    assert!(fill["inputSchema"]["required"]
        .as_array()
        .unwrap()
        .contains(&json!("record_id")));
    for t in tools {
        let n = t["name"].as_str().unwrap();
        assert!(
            n.len() <= 64
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{n}"
        );
    }
}

#[tokio::test]
async fn an_employee_token_never_returns_another_employees_claims() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let a = alice.new_claim("Alice only").await;
    bob.new_claim("Bob only").await;
    let token = app.token("bob");
    let r = call_tool(&app, &token, "expense_claims_my_claims", json!({})).await;
    let rows = rows_of(&r["structuredContent"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["purpose"], "Bob only");
    let r = call_tool(&app, &token, "expense_claims_fill_receipt_fields", json!({"record_id": a, "supplier": "x", "expense_date": "2026-01-01", "net": "1", "currency": "EUR"})).await;
    assert_eq!(r["isError"], true);
    assert_eq!(r["structuredContent"]["error"]["code"], "not_found");
    assert_eq!(version_of(&alice, a).await, 1);
}

#[tokio::test]
async fn view_tools_filter_in_the_database_and_page_with_a_cursor() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    for i in 0..7 {
        let id = alice.new_claim(&format!("Meal {i}")).await;
        let supplier = if i < 3 { "Pret A Manger" } else { "Coop" };
        alice
            .run_op(
                "fill_receipt_fields",
                Some((id, 1)),
                &[
                    ("supplier", supplier),
                    (
                        "expense_date",
                        "2026-02-0%d".replace("%d", &(i + 1).to_string()).as_str(),
                    ),
                    ("net", "8.5"),
                    ("tax", "0.5"),
                    ("currency", "GBP"),
                ],
                None,
            )
            .await;
    }
    let token = app.token("alice");
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"supplier": "pret", "limit": 2}),
    )
    .await;
    let sc = &r["structuredContent"];
    assert_eq!(sc["total"], 3);
    assert_eq!(sc["rows"].as_array().unwrap().len(), 2);
    assert_eq!(rows_of(sc)[0]["total"], "9.00", "money with minor units");
    assert_eq!(
        sc["columns"][0], "id",
        "View Columns: names once, rows as arrays"
    );
    assert!(sc["rows"][0].is_array());
    let cursor = sc["next_cursor"].as_str().unwrap().to_string();
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"supplier": "pret", "limit": 2, "cursor": cursor}),
    )
    .await;
    assert_eq!(r["structuredContent"]["rows"].as_array().unwrap().len(), 1);
    assert!(r["structuredContent"]["next_cursor"].is_null());
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"status": "Pending"}),
    )
    .await;
    assert_eq!(r["isError"], true);
    assert!(r["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("is not one of"));
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"limit": 5000}),
    )
    .await;
    assert_eq!(r["isError"], true, "limit above 200 is refused");
}

#[tokio::test]
async fn fill_receipt_fields_via_mcp_validates_and_lands_in_history_with_the_icon() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Hotel").await;
    let token = app.token("alice");
    let bad = call_tool(&app, &token, "expense_claims_fill_receipt_fields", json!({"record_id": id, "supplier": "Marriott", "expense_date": "05/03/2026", "net": "100", "currency": "USD"})).await;
    assert_eq!(bad["isError"], true);
    assert_eq!(
        bad["structuredContent"]["error"]["fields"][0]["field"],
        "expense_date"
    );
    let stale = call_tool(&app, &token, "expense_claims_fill_receipt_fields", json!({"record_id": id, "expected_version": 7, "supplier": "Marriott", "expense_date": "2026-03-05", "net": "100", "currency": "USD"})).await;
    assert_eq!(stale["structuredContent"]["error"]["code"], "stale_version");
    let ok = call_tool(&app, &token, "expense_claims_fill_receipt_fields", json!({"record_id": id, "expected_version": 1, "supplier": "Marriott", "expense_date": "2026-03-05", "net": "100", "tax": "8.25", "currency": "usd"})).await;
    assert_eq!(ok["isError"], false, "{ok}");
    assert_eq!(ok["structuredContent"]["version"], 2);
    assert_eq!(ok["structuredContent"]["record"]["total"], "108.25");
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("Changed via MCP"), "MCP icon in history");
    assert!(
        page.contains("token &#34;tests&#34;")
            || page.contains("token \"tests\"")
            || page.contains("token &quot;tests&quot;"),
        "client name shown"
    );
    let (_, only_mcp) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}?history=mcp"))
        .await;
    assert!(
        only_mcp.contains("Fill receipt fields")
            && !only_mcp.contains("<strong>New claim</strong>"),
        "MCP filter"
    );
}

#[tokio::test]
async fn deleting_through_mcp_needs_a_confirmation_token() {
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
    assert_eq!(preview["structuredContent"]["applied"], false);
    let confirm = preview["structuredContent"]["confirmation_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(version_of(&alice, id).await, 1, "preview changed nothing");
    let other = call_tool(
        &app,
        &token,
        "expense_claims_delete_draft",
        json!({"record_id": id + 1000, "confirmation_token": confirm}),
    )
    .await;
    assert_eq!(
        other["structuredContent"]["error"]["code"], "confirmation_invalid",
        "bound to the arguments"
    );
    let done = call_tool(
        &app,
        &token,
        "expense_claims_delete_draft",
        json!({"record_id": id, "confirmation_token": confirm}),
    )
    .await;
    assert_eq!(done["structuredContent"]["applied"], true, "{done}");
    let again = call_tool(
        &app,
        &token,
        "expense_claims_delete_draft",
        json!({"record_id": id, "confirmation_token": confirm}),
    )
    .await;
    assert_eq!(
        again["structuredContent"]["error"]["code"], "confirmation_invalid",
        "single use"
    );
    let (status, _) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn protocol_edges_behave_as_clients_expect() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |body: &'static str| {
        http.post(app.url("/mcp"))
            .bearer_auth(&token)
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let r = post("{not json").await.unwrap();
    assert!(
        r.status().is_client_error() || r.status() == StatusCode::OK,
        "malformed JSON-RPC answered, not crashed: {}",
        r.status()
    );
    let r = post(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let (_, body) = mcp(
        &app,
        &token,
        "tools/call",
        json!({"name": "no_such_tool", "arguments": {}}),
    )
    .await;
    assert_eq!(body["error"]["code"], -32602);
    let r = http
        .get(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_ACCEPTABLE,
        "GET is only the event stream"
    );
    let r = http
        .delete(app.url("/mcp"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "no sessions to delete"
    );
    let r = http
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Origin", "http://evil.example")
        .header("Accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "foreign Origin refused (DNS rebinding)"
    );
    let alice = app.sign_in("alice").await;
    let id = submitted_claim(&alice, "x").await;
    let r = call_tool(&app, &token, "expense_claims_fill_receipt_fields", json!({"record_id": id, "supplier": "y", "expense_date": "2026-01-01", "net": "1", "currency": "EUR"})).await;
    assert_eq!(
        r["structuredContent"]["error"]["code"],
        "precondition_failed"
    );
}

#[tokio::test]
async fn disabling_a_view_takes_effect_only_when_published_and_is_diagnosed() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let admin = app.sign_in("admin").await;
    let (_, tab) = admin
        .get_text("/admin/apps/expense_claims/views/my_claims")
        .await;
    assert!(tab.contains("Allow AI assistants and LLM tools to access this view through MCP"));
    assert!(tab.contains("View Columns"));
    save_my_claims_without_mcp(&admin).await;
    assert!(
        tool_names(&app, &token)
            .await
            .contains(&"expense_claims_my_claims".into()),
        "the draft is not live yet"
    );
    let (_, page) = admin.get_text("/admin/apps/expense_claims").await;
    assert!(page.contains("unpublished changes"));
    let r = admin
        .post_form("/admin/apps/expense_claims/publish", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !tool_names(&app, &token)
            .await
            .contains(&"expense_claims_my_claims".into()),
        "gone once published"
    );
    let (_, body) = mcp(
        &app,
        &token,
        "tools/call",
        json!({"name": "expense_claims_my_claims", "arguments": {}}),
    )
    .await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not enabled for MCP"));
    let (_, diag) = admin.get_text("/admin/integration/mcp").await;
    assert!(
        diag.contains("tool_unavailable") && diag.contains("expense_claims_my_claims"),
        "the refusal shows in diagnostics"
    );
    assert!(diag.contains("tools/list bytes"), "context budget shown");
    // Custom texts survive and "regenerate" restores the generated ones.
    let (_, tab) = admin
        .get_text("/admin/apps/expense_claims/views/my_claims")
        .await;
    assert!(tab.contains(">Mine</textarea>") && tab.contains("edited"));
    admin
        .post_form(
            "/admin/apps/expense_claims/views/my_claims",
            &[
                ("enabled", "on"),
                ("format", "full"),
                ("description", ""),
                ("instructions", ""),
                ("action", "regenerate"),
            ],
        )
        .await;
    admin
        .post_form("/admin/apps/expense_claims/publish", &[])
        .await;
    let (_, listed) = mcp(&app, &token, "tools/list", json!({})).await;
    let t = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "expense_claims_my_claims")
        .cloned()
        .expect("back after publish");
    assert!(
        t["description"]
            .as_str()
            .unwrap()
            .starts_with("Lists your own records"),
        "generated description restored"
    );
    let alice = app.sign_in("alice").await;
    alice.new_claim("Full format").await;
    let r = call_tool(&app, &token, "expense_claims_my_claims", json!({})).await;
    assert_eq!(
        r["structuredContent"]["rows"][0]["fields"]["purpose"], "Full format",
        "full records nest the fields"
    );
}

#[tokio::test]
async fn results_never_exceed_the_byte_budget() {
    let app = spawn_app_with(&["--mcp-max-result-bytes", "2000"]).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    for i in 0..12 {
        alice
            .new_claim(&format!(
                "A fairly long purpose text to fill the budget quickly, number {i}"
            ))
            .await;
    }
    let token = app.token("alice");
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"limit": 12}),
    )
    .await;
    let sc = &r["structuredContent"];
    assert_eq!(sc["truncated"], true);
    assert!(sc["returned"].as_u64().unwrap() < 12);
    assert!(sc["next_cursor"].is_string(), "a cursor to continue");
    assert!(serde_json::to_string(&r).unwrap().len() < 4000);
}

#[tokio::test]
async fn a_total_sent_for_verification_must_match_net_plus_tax() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Dinner").await;
    let token = app.token("alice");
    let args = |total: &str| json!({"record_id": id, "supplier": "Bistro", "expense_date": "2026-03-01", "net": "100.00", "tax": "19.00", "currency": "EUR", "total": total});
    let r = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        args("120.00"),
    )
    .await;
    assert_eq!(r["isError"], true);
    assert_eq!(
        r["structuredContent"]["error"]["fields"][0]["field"],
        "total"
    );
    assert!(r["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("does not match net + tax + tip = 119"));
    assert_eq!(version_of(&alice, id).await, 1, "nothing written");
    let r = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        args("119.01"),
    )
    .await;
    assert_eq!(r["isError"], false, "within one minor unit: {r}");
    assert_eq!(
        r["structuredContent"]["record"]["total"], "119.00",
        "the computed total is stored, not the sent one"
    );
}

/// The sample app's total is net + tax + tip: a tip entered counts, and a tip left blank counts
/// as its default, 0, so a claim without one still has a total.
#[tokio::test]
async fn a_tip_counts_in_the_total_and_a_blank_tip_counts_as_zero() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Dinner").await;
    let token = app.token("alice");
    let fill = |tip: &str, total: &str| json!({"record_id": id, "supplier": "Bistro", "expense_date": "2026-03-01", "net": "100.00", "tax": "19.00", "tip": tip, "currency": "EUR", "total": total});
    let r = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        fill("", "119.00"),
    )
    .await;
    assert_eq!(r["isError"], false, "a blank tip: {r}");
    let record = &r["structuredContent"]["record"];
    assert_eq!(record["total"], "119.00", "{record}");
    let r = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        fill("12.50", "131.50"),
    )
    .await;
    assert_eq!(r["isError"], false, "a tip of 12.50: {r}");
    assert_eq!(r["structuredContent"]["record"]["total"], "131.50");
    let r = call_tool(
        &app,
        &token,
        "expense_claims_fill_receipt_fields",
        fill("12.50", "119.00"),
    )
    .await;
    assert_eq!(r["isError"], true, "the total without the tip entered: {r}");
}

#[tokio::test]
async fn protocol_versions_are_negotiated_and_unknown_headers_refused() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    for v in ["2025-11-25", "2025-06-18"] {
        // Clients send no Mcp-Protocol-Version header before the version is negotiated.
        let r = reqwest::Client::new()
            .post(app.url("/mcp"))
            .bearer_auth(&token)
            .header("Accept", "application/json, text/event-stream")
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": v, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["result"]["protocolVersion"], v);
        assert_eq!(body["result"]["serverInfo"]["name"], "formwork");
    }
    let r = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "application/json, text/event-stream")
        .header("Mcp-Protocol-Version", "1999-01-01")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Unsupported MCP-Protocol-Version"));
}

/// Reads an event stream until `needle` shows up or `secs` pass; returns what was read.
async fn read_stream_until(r: &mut reqwest::Response, needle: &str, secs: u64) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !seen.contains(needle) {
        match tokio::time::timeout_at(deadline, r.chunk()).await {
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            _ => break,
        }
    }
    seen
}

#[tokio::test]
async fn a_publish_that_changes_the_catalog_is_announced_on_the_event_stream() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let (_, init) = mcp(
        &app,
        &token,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    )
    .await;
    assert_eq!(
        init["result"]["capabilities"]["tools"]["listChanged"], true,
        "{init}"
    );
    let mut stream = client()
        .get(app.url("/mcp"))
        .bearer_auth(&token)
        .header("Accept", "text/event-stream")
        .header("MCP-Protocol-Version", "2025-11-25")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let opened = read_stream_until(&mut stream, "\n\n", 5).await;
    assert!(
        opened.starts_with(':'),
        "a comment opens the stream: {opened:?}"
    );

    // A draft change announces nothing; publishing it does.
    let admin = app.sign_in("admin").await;
    save_my_claims_without_mcp(&admin).await;
    let quiet = read_stream_until(&mut stream, "list_changed", 3).await;
    assert!(!quiet.contains("list_changed"), "{quiet:?}");
    let r = admin
        .post_form("/admin/apps/expense_claims/publish", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let told = read_stream_until(&mut stream, "list_changed", 10).await;
    assert!(
        told.contains(
            "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}"
        ),
        "{told:?}"
    );
    let (_, diag) = admin.get_text("/admin/integration/mcp").await;
    assert!(diag.contains("Clients listening for tool-list changes"));

    // Without a token there is no stream.
    let r = client()
        .get(app.url("/mcp"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Turning the site switch off tells the listener, then ends the stream.
    app.cli(&["mcp", "disable"], None);
    let last = read_stream_until(&mut stream, "list_changed", 10).await;
    assert!(last.contains("list_changed"), "{last:?}");
    let end = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk()).await;
    assert!(matches!(end, Ok(Ok(None))), "the stream ends: {end:?}");
}

#[tokio::test]
async fn totals_stop_counting_a_thousand_records_past_the_page() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    app.cli(
        &["demo", "generate", "--claims", "1200", "--users", "1"],
        None,
    );
    let token = app.token("emp001");
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"limit": 10}),
    )
    .await;
    let sc = &r["structuredContent"];
    assert_eq!(sc["total"], 1010, "{sc}");
    assert_eq!(sc["total_exact"], false);
    assert!(sc["next_cursor"].is_string());
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("10 of more than 1010 matching records"),
        "{text}"
    );
    // A narrower filter is counted exactly.
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"status": "Approved", "limit": 10}),
    )
    .await;
    let sc = &r["structuredContent"];
    let n = sc["total"].as_u64().unwrap();
    assert!(sc["total_exact"] == true && n > 10 && n < 1010, "{sc}");
    // Paging on keeps counting ahead of the page, so the last pages are exact again.
    let mut cursor = None;
    let mut seen = 0;
    loop {
        let mut args = json!({"limit": 200});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = call_tool(&app, &token, "expense_claims_my_claims", args).await;
        let sc = &r["structuredContent"];
        seen += sc["returned"].as_u64().unwrap();
        match sc["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert_eq!(sc["total"], 1200, "{sc}");
                assert_eq!(sc["total_exact"], true);
                break;
            }
        }
    }
    assert_eq!(seen, 1200);
    // A forged cursor with an absurd offset is refused, not passed to SQL.
    use base64::Engine as _;
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("o:18446744073709551615");
    let r = call_tool(
        &app,
        &token,
        "expense_claims_my_claims",
        json!({"cursor": forged}),
    )
    .await;
    assert_eq!(
        r["structuredContent"]["error"]["code"], "invalid_input",
        "{r}"
    );
}

/// Saves My claims' Integration tab with the MCP checkbox off (a draft change, not yet live).
async fn save_my_claims_without_mcp(admin: &Session) {
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/views/my_claims",
            &[
                ("format", "columns"),
                ("description", "Mine"),
                ("instructions", "Use it"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
