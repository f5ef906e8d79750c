//! The OAuth 2.1 authorization server over real HTTP: discovery, the browser flow through our
//! sign-in and consent pages, token exchange, refresh rotation, revocation, client management
//! from the admin pages and the CLI, dynamic registration. Attacks are in `oauth_attacks`.
use crate::helpers::*;
use crate::oauth_helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn oauth_discovery_documents_agree_on_resource_and_issuer() {
    let app = spawn_app().await;
    let prm: Value = reqwest::get(app.url("/.well-known/oauth-protected-resource/mcp"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prm["resource"], app.url("/mcp"));
    assert_eq!(prm["authorization_servers"], json!([app.base]));
    let r = reqwest::get(app.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let meta: Value = r.json().await.unwrap();
    assert_eq!(meta["issuer"], app.base);
    assert_eq!(meta["authorization_endpoint"], app.url("/oauth/authorize"));
    assert_eq!(meta["token_endpoint"], app.url("/oauth/token"));
    assert_eq!(meta["revocation_endpoint"], app.url("/oauth/revoke"));
    assert_eq!(meta["response_types_supported"], json!(["code"]));
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        meta["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["client_secret_post", "client_secret_basic"])
    );
    assert!(
        meta.get("registration_endpoint").is_none(),
        "DCR is off by default"
    );
}

#[tokio::test]
async fn claude_connects_through_sign_in_and_consent_and_acts_as_the_user() {
    let app = spawn_app().await;
    let client = app.claude().await;
    assert_eq!(
        client.server_url,
        app.url("/mcp"),
        "the URL the server runs with"
    );
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Taxi").await;

    let p = pkce();
    let params = authorize_params(&app, &client.client_id, &p);
    let back = browser_authorize(&app, "alice", &params, "allow").await;
    assert!(back.as_str().starts_with(CLAUDE_CALLBACK), "{back}");
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&back, "iss").as_deref(), Some(app.base.as_str()));
    let code = query(&back, "code").unwrap();

    let (status, headers, body) = exchange(&app, &client, &code, &p.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "mcp");
    let access = body["access_token"].as_str().unwrap().to_string();
    let refresh_token = body["refresh_token"].as_str().unwrap().to_string();

    let names = tool_names(&app, &access).await;
    assert!(
        names.contains(&"expense_claims_my_claims".to_string()),
        "{names:?}"
    );
    let ok = call_tool(&app, &access, "expense_claims_fill_receipt_fields", json!({"record_id": id, "supplier": "Taxi Co", "expense_date": "2026-03-05", "net": "20", "currency": "EUR"})).await;
    assert_eq!(ok["isError"], false, "{ok}");
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(
        page.contains("via MCP · Claude for tests"),
        "client name in history"
    );

    // Refresh rotates: a new pair, and the new access token works.
    let (status, fresh) = refresh(&app, &client, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_ne!(fresh["refresh_token"], refresh_token.as_str());
    assert!(mcp_accepts(&app, fresh["access_token"].as_str().unwrap()).await);

    // The admin sees the connected user and can revoke that user's access.
    let admin = app.sign_in("admin").await;
    let (_, mcp_page) = admin.get_text("/admin/integration/mcp").await;
    assert!(mcp_page.contains("Claude for tests") && mcp_page.contains("Activated"));
    let client_page_url = mcp_page
        .split("href=\"/admin/integration/mcp/clients/")
        .skip(1)
        .find(|s| s.starts_with(|c: char| c.is_ascii_digit()))
        .and_then(|s| s.split('"').next())
        .map(|id| format!("/admin/integration/mcp/clients/{id}"))
        .unwrap();
    let (_, detail) = admin.get_text(&client_page_url).await;
    assert!(detail.contains("alice") && detail.contains(&client.client_id));
    assert!(
        !detail.contains(&client.client_secret),
        "the secret is never shown again"
    );
    let revoke = detail
        .split("action=\"")
        .find(|s| s.contains("/revoke\""))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = admin.post_form(&revoke, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!mcp_accepts(&app, fresh["access_token"].as_str().unwrap()).await);
    let (status, body) = refresh(&app, &client, fresh["refresh_token"].as_str().unwrap()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn oauth_revocation_endpoint_revokes_and_answers_200_for_unknown_tokens() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let t = tokens_for(&app, "alice", &client).await;
    let access = t["access_token"].as_str().unwrap();
    let creds = Some((client.client_id.as_str(), client.client_secret.as_str()));
    let (s, h, _) = post_oauth(&app, "/oauth/revoke", &[("token", "fwa_unknown")], creds).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["cache-control"], "no-store");
    assert!(mcp_accepts(&app, access).await, "nothing else changed");
    let (s, _, _) = post_oauth(&app, "/oauth/revoke", &[("token", access)], creds).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!mcp_accepts(&app, access).await);
    // Revoking the refresh token ends the whole authorization.
    let (s, fresh) = refresh(&app, &client, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = post_oauth(
        &app,
        "/oauth/revoke",
        &[
            ("token", fresh["refresh_token"].as_str().unwrap()),
            ("token_type_hint", "refresh_token"),
        ],
        creds,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!mcp_accepts(&app, fresh["access_token"].as_str().unwrap()).await);
    let (s, _, body) = post_oauth(
        &app,
        "/oauth/revoke",
        &[("token", access)],
        Some((&client.client_id, "wrong")),
    )
    .await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn oauth_the_user_can_deny_and_the_client_learns_access_denied() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let p = pkce();
    let params = authorize_params(&app, &client.client_id, &p);
    let back = browser_authorize(&app, "bob", &params, "deny").await;
    assert!(back.as_str().starts_with(CLAUDE_CALLBACK));
    assert_eq!(query(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&back, "state").as_deref(), Some("st-123"));
    assert!(query(&back, "code").is_none());
}

#[tokio::test]
async fn oauth_admin_adds_a_claude_client_and_sees_the_secret_only_once() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let admin = app.sign_in("admin").await;
    let (status, form) = admin.get_text("/admin/integration/mcp/clients/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains("https://claude.com/api/mcp/auth_callback"),
        "Claude's callbacks pre-filled"
    );
    let r = admin
        .post_form(
            "/admin/integration/mcp/clients",
            &[
                ("name", "Claude (finance)"),
                ("kind", "claude"),
                ("redirect_uris", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(page.contains(&app.url("/mcp")) && page.contains("shown only this once"));
    let code_of = |page: &str, id: &str| {
        page.split(&format!("id=\"{id}\">"))
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .to_string()
    };
    let client = Registered {
        client_id: code_of(&page, "client-id"),
        client_secret: code_of(&page, "client-secret"),
        server_url: code_of(&page, "mcp-url"),
    };
    assert!(client.client_secret.len() >= 43, "≥ 256 bits");
    tokens_for(&app, "alice", &client).await;

    // Regenerate: the old secret stops working, the new one works, users stay connected.
    let detail_path = format!(
        "/admin/integration/mcp/clients/{}",
        page.split("/admin/integration/mcp/clients/")
            .nth(1)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
    );
    // Without the confirmation page's `confirm`, the server shows that page and keeps the secret.
    let r = admin.post_form(&format!("{detail_path}/secret"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("{detail_path}/secret")
    );
    // The old secret still works.
    tokens_for(&app, "maria", &client).await;
    let r = admin
        .post_form(&format!("{detail_path}/secret"), &[("confirm", "yes")])
        .await;
    let rotated = r.text().await.unwrap();
    let new_secret = code_of(&rotated, "client-secret");
    assert_ne!(new_secret, client.client_secret);
    let t = tokens_for(
        &app,
        "bob",
        &Registered {
            client_secret: new_secret.clone(),
            ..client.clone()
        },
    )
    .await;
    let (s, body) = refresh(&app, &client, t["refresh_token"].as_str().unwrap()).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_client");

    // Deactivate from the page: tokens stop at once; delete removes it from the list.
    // Without the confirmation, the server sends the admin to it and the client stays active.
    let r = admin
        .post_form(&format!("{detail_path}/status"), &[("active", "false")])
        .await;
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("{detail_path}/deactivate")
    );
    assert!(mcp_accepts(&app, t["access_token"].as_str().unwrap()).await);
    let r = admin
        .post_form(
            &format!("{detail_path}/status"),
            &[("active", "false"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!mcp_accepts(&app, t["access_token"].as_str().unwrap()).await);
    let (_, list) = admin.get_text("/admin/integration/mcp").await;
    assert!(list.contains("Deactivated"));
    let r = admin
        .post_form(&format!("{detail_path}/delete"), &[("confirm", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = admin.get_text("/admin/integration/mcp").await;
    assert!(!list.contains("Claude (finance)"));
}

#[tokio::test]
async fn oauth_cli_manages_clients_by_client_id() {
    let app = spawn_app().await;
    let out = app.cli(
        &[
            "mcp-client",
            "add",
            "--name",
            "Inspector",
            "--type",
            "generic",
            "--redirect-uri",
            "http://127.0.0.1/callback",
            "--public-url",
            "https://forms.example.com/",
        ],
        None,
    );
    let info: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["server_url"], "https://forms.example.com/mcp");
    assert_eq!(info["redirect_uris"], json!(["http://127.0.0.1/callback"]));
    let id = info["client_id"].as_str().unwrap();
    let list = app.cli(&["mcp-client", "list"], None);
    assert!(list.contains(id) && list.contains("activated"), "{list}");
    app.cli(&["mcp-client", "disable", id], None);
    assert!(app
        .cli(&["mcp-client", "list"], None)
        .contains("deactivated"));
    app.cli(&["mcp-client", "enable", id], None);
    let rotated: Value =
        serde_json::from_str(&app.cli(&["mcp-client", "rotate-secret", id], None)).unwrap();
    assert_ne!(rotated["client_secret"], info["client_secret"]);
    app.cli(&["mcp-client", "delete", id], None);
    assert!(!app.cli(&["mcp-client", "list"], None).contains(id));
    let bad = app.cli_raw(
        &[
            "mcp-client",
            "add",
            "--name",
            "X",
            "--type",
            "generic",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("https"));
}

#[tokio::test]
async fn oauth_dynamic_registration_is_off_by_default_and_listed_when_on() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let body = json!({"redirect_uris": ["http://127.0.0.1/callback"], "client_name": "MCP Inspector", "token_endpoint_auth_method": "none"});
    let r = reqwest::Client::new()
        .post(app.url("/oauth/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form("/admin/integration/mcp/registration", &[("enabled", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let meta: Value = reqwest::get(app.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["registration_endpoint"], app.url("/oauth/register"));
    let bad = json!({"redirect_uris": ["http://evil.example/cb"]});
    let r = reqwest::Client::new()
        .post(app.url("/oauth/register"))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_redirect_uri"
    );
    let r = reqwest::Client::new()
        .post(app.url("/oauth/register"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let reg: Value = r.json().await.unwrap();
    assert!(reg.get("client_secret").is_none(), "public client");
    let (_, list) = admin.get_text("/admin/integration/mcp").await;
    assert!(list.contains("MCP Inspector") && list.contains("dynamic"));

    // A public client: PKCE alone, a loopback redirect on any port.
    let p = pkce();
    let params = vec![
        ("response_type".to_string(), "code".to_string()),
        (
            "client_id".into(),
            reg["client_id"].as_str().unwrap().into(),
        ),
        (
            "redirect_uri".into(),
            "http://127.0.0.1:6274/callback".into(),
        ),
        ("code_challenge".into(), p.challenge.clone()),
        ("code_challenge_method".into(), "S256".into()),
    ];
    let back = browser_authorize(&app, "alice", &params, "allow").await;
    assert!(back.as_str().starts_with("http://127.0.0.1:6274/callback?"));
    let code = query(&back, "code").unwrap();
    let (s, _, t) = post_oauth(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:6274/callback"),
            ("code_verifier", &p.verifier),
            ("client_id", reg["client_id"].as_str().unwrap()),
        ],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert!(mcp_accepts(&app, t["access_token"].as_str().unwrap()).await);
}
