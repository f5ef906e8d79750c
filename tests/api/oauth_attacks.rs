//! The OAuth authorization server under attack: each test asserts the exact error and that
//! nothing changed (no token issued, no redirect to a foreign site, other tokens untouched).
use crate::helpers::*;
use crate::oauth_helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn oauth_wrong_secret_and_unknown_client_are_invalid_client_and_spend_nothing() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let p = pkce();
    let code = code_for(&app, "alice", &client, &p).await;
    let pairs: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("code_verifier", &p.verifier),
        ("client_id", &client.client_id),
        ("client_secret", "fwcs_wrong"),
    ];
    // client_secret_post with a wrong secret: 401 without a Basic challenge.
    let (s, h, body) = post_oauth(&app, "/oauth/token", &pairs, None).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(h.get("www-authenticate").is_none());
    // client_secret_basic with a wrong secret: 401 with `WWW-Authenticate: Basic`.
    let basic_form: Vec<(&str, &str)> = pairs
        .iter()
        .copied()
        .filter(|(k, _)| !k.starts_with("client_"))
        .collect();
    let (s, h, body) = post_oauth(
        &app,
        "/oauth/token",
        &basic_form,
        Some((&client.client_id, "fwcs_wrong")),
    )
    .await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(h["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    // An unknown client.
    let (s, _, body) = post_oauth(
        &app,
        "/oauth/token",
        &basic_form,
        Some(("fwcl_unknown", "x")),
    )
    .await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    // No client authentication at all.
    let (s, _, body) = post_oauth(&app, "/oauth/token", &basic_form, None).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    // Nothing was spent: the right client still redeems the code.
    let (s, _, body) = post_oauth(
        &app,
        "/oauth/token",
        &basic_form,
        Some((&client.client_id, &client.client_secret)),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn oauth_a_deactivated_client_is_refused_everywhere_and_its_tokens_stop_at_once() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let t = tokens_for(&app, "alice", &client).await;
    let access = t["access_token"].as_str().unwrap();
    app.cli(&["mcp-client", "disable", &client.client_id], None);
    assert!(!mcp_accepts(&app, access).await);
    let (s, body) = refresh(&app, &client, t["refresh_token"].as_str().unwrap()).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "unauthorized_client");
    let p = pkce();
    let r = client_http()
        .get(authorize_url(
            &app,
            &authorize_params(&app, &client.client_id, &p),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an error page, not a redirect"
    );
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("deactivated"));
    // Activating again does not bring the revoked tokens back.
    app.cli(&["mcp-client", "enable", &client.client_id], None);
    assert!(!mcp_accepts(&app, access).await);
}

fn client_http() -> reqwest::Client {
    client()
}

#[tokio::test]
async fn oauth_authorize_never_redirects_to_an_unregistered_uri() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let p = pkce();
    let good = authorize_params(&app, &client.client_id, &p);
    for bad in [
        with(
            &good,
            "redirect_uri",
            "https://evil.example/api/mcp/auth_callback",
        ),
        with(
            &good,
            "redirect_uri",
            "https://claude.ai/api/mcp/auth_callback/../../evil",
        ),
        with(
            &good,
            "redirect_uri",
            "https://claude.ai/api/mcp/auth_callback?x=1",
        ),
        with(&good, "client_id", "fwcl_unknown"),
        with(&good, "client_id", ""),
    ] {
        let r = client_http()
            .get(authorize_url(&app, &bad))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(r.headers().get("location").is_none(), "{bad:?}");
    }
    // A parameter sent twice is refused on a page too.
    let mut twice = good.clone();
    twice.push(("redirect_uri".into(), "https://evil.example/cb".into()));
    let r = client_http()
        .get(authorize_url(&app, &twice))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // After sign-in, `next` never leaves the site.
    for next in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let http = client_http();
        let page = http
            .get(app.url(&format!("/login?next={}", urlenc(next))))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut form = hidden_fields(&page);
        assert!(
            form.iter().any(|(k, v)| k == "next" && v == "/"),
            "{next}: {form:?}"
        );
        form.retain(|(k, _)| k != "next");
        form.push(("next".into(), next.into()));
        form.push(("username".into(), "alice".into()));
        form.push(("password".into(), PASSWORD.into()));
        let r = http
            .post(app.url("/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(location(&r), "/", "{next}");
    }
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn oauth_loopback_redirect_uris_match_on_any_port_and_nothing_else() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let client = app.add_client("Local app", "generic", &["http://127.0.0.1/callback"]);
    let p = pkce();
    let base = with(
        &authorize_params(&app, &client.client_id, &p),
        "redirect_uri",
        "http://127.0.0.1:53999/callback",
    );
    let back = browser_authorize(&app, "alice", &base, "allow").await;
    assert_eq!(back.port(), Some(53999));
    for bad in [
        "http://localhost:53999/callback",
        "http://127.0.0.1:53999/other",
        "https://127.0.0.1:53999/callback",
    ] {
        let r = client_http()
            .get(authorize_url(&app, &with(&base, "redirect_uri", bad)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn oauth_pkce_s256_is_required_and_a_wrong_verifier_spends_the_code() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let p = pkce();
    let good = authorize_params(&app, &client.client_id, &p);
    for (params, want) in [
        (with(&good, "code_challenge", ""), "invalid_request"),
        (
            with(&good, "code_challenge_method", "plain"),
            "invalid_request",
        ),
        (with(&good, "code_challenge_method", ""), "invalid_request"),
        (
            with(&good, "response_type", "token"),
            "unsupported_response_type",
        ),
        (
            with(&good, "resource", "https://other.example/mcp"),
            "invalid_target",
        ),
    ] {
        let r = client_http()
            .get(authorize_url(&app, &params))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FOUND, "{params:?}");
        let to = url::Url::parse(&location(&r)).unwrap();
        assert!(to.as_str().starts_with(CLAUDE_CALLBACK));
        assert_eq!(query(&to, "error").as_deref(), Some(want), "{params:?}");
        assert_eq!(query(&to, "state").as_deref(), Some("st-123"));
        assert!(query(&to, "code").is_none());
    }
    let code = code_for(&app, "alice", &client, &p).await;
    let (s, _, body) = exchange(&app, &client, &code, "").await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let wrong = pkce();
    let (s, _, body) = exchange(&app, &client, &code, &wrong.verifier).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("code_verifier"));
    let (s, _, body) = exchange(&app, &client, &code, &p.verifier).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    let admin = app.sign_in("admin").await;
    let (_, page) = admin.get_text("/admin/integration/mcp").await;
    assert!(
        page.contains("<td class=\"num\">0</td>"),
        "no user got a token"
    );
}

#[tokio::test]
async fn oauth_a_reused_code_revokes_the_tokens_it_issued() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let other = tokens_for(&app, "bob", &client).await;
    let p = pkce();
    let code = code_for(&app, "alice", &client, &p).await;
    let (s, _, t) = exchange(&app, &client, &code, &p.verifier).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, body) = exchange(&app, &client, &code, &p.verifier).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("already used"));
    assert!(!mcp_accepts(&app, t["access_token"].as_str().unwrap()).await);
    let (s, body) = refresh(&app, &client, t["refresh_token"].as_str().unwrap()).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        mcp_accepts(&app, other["access_token"].as_str().unwrap()).await,
        "other authorizations untouched"
    );
}

#[tokio::test]
async fn oauth_refresh_token_reuse_revokes_the_whole_family() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let t = tokens_for(&app, "alice", &client).await;
    let first = t["refresh_token"].as_str().unwrap();
    let (s, second) = refresh(&app, &client, first).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = refresh(&app, &client, first).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("already used"));
    assert!(!mcp_accepts(&app, second["access_token"].as_str().unwrap()).await);
    let (s, body) = refresh(&app, &client, second["refresh_token"].as_str().unwrap()).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    let (s, _, body) = post_oauth(
        &app,
        "/oauth/token",
        &[("grant_type", "password"), ("username", "alice")],
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "unsupported_grant_type");
}

#[tokio::test]
async fn oauth_expired_and_foreign_resource_tokens_are_refused() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let t = tokens_for(&app, "alice", &client).await;
    let access = t["access_token"].as_str().unwrap();
    assert!(mcp_accepts(&app, access).await);
    sql(
        &app,
        "UPDATE tokens SET resource = ? WHERE kind = 'access'",
        vec!["https://other.example/mcp".into()],
    )
    .await;
    // Edited behind the server's back: its cache of verified tokens notices within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(
        !mcp_accepts(&app, access).await,
        "a token for another resource"
    );
    let (s, body) = refresh(&app, &client, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let fresh = body["access_token"].as_str().unwrap().to_string();
    assert!(mcp_accepts(&app, &fresh).await);
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    sql(&app, "UPDATE tokens SET expires_at = ?", vec![past.into()]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(!mcp_accepts(&app, &fresh).await, "an expired access token");
    let (s, body) = refresh(&app, &client, body["refresh_token"].as_str().unwrap()).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    let p = pkce();
    let code = code_for(&app, "alice", &client, &p).await;
    sql(
        &app,
        "UPDATE oauth_codes SET expires_at = ?",
        vec![past.into()],
    )
    .await;
    let (s, _, body) = exchange(&app, &client, &code, &p.verifier).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test]
async fn oauth_tokens_act_only_as_their_user_and_stop_when_the_user_is_disabled() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let bob = app.sign_in("bob").await;
    let bobs = bob.new_claim("Bob only").await;
    let t = tokens_for(&app, "alice", &client).await;
    let access = t["access_token"].as_str().unwrap();
    let r = call_tool(&app, access, "expense_claims_my_claims", json!({})).await;
    assert_eq!(r["structuredContent"]["rows"].as_array().unwrap().len(), 0);
    let r = call_tool(&app, access, "expense_claims_fill_receipt_fields", json!({"record_id": bobs, "supplier": "x", "expense_date": "2026-01-01", "net": "1", "currency": "EUR"})).await;
    assert_eq!(r["structuredContent"]["error"]["code"], "not_found");
    assert_eq!(version_of(&bob, bobs).await, 1, "bob's claim unchanged");
    let admin = app.sign_in("admin").await;
    let (_, users) = admin.get_text("/admin/users").await;
    let alice_id = users
        .split("action=\"/admin/users/")
        .find(|s| s.contains("value=\"Alice") || s.contains("alice"))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = admin
        .post_form(
            &format!("/admin/users/{alice_id}"),
            &[
                ("display_name", "alice"),
                ("roles", "employee"),
                ("disabled", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!mcp_accepts(&app, access).await);
    let (s, body) = refresh(&app, &client, t["refresh_token"].as_str().unwrap()).await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_grant");
}
