//! Helpers for the OAuth tests: register a client with the CLI, drive the browser part of the
//! authorization (sign-in and consent forms) like a person would, and call the token endpoint.
use crate::helpers::*;
use base64::Engine as _;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const CLAUDE_CALLBACK: &str = "https://claude.ai/api/mcp/auth_callback";

/// A client as the CLI prints its activation information.
#[derive(Clone)]
pub struct Registered {
    pub client_id: String,
    pub client_secret: String,
    pub server_url: String,
}

impl TestApp {
    /// `formwork mcp-client add …`; `redirect` empty for Claude's callbacks.
    pub fn add_client(&self, name: &str, kind: &str, redirect: &[&str]) -> Registered {
        let mut args = vec!["mcp-client", "add", "--name", name, "--type", kind];
        for r in redirect {
            args.push("--redirect-uri");
            args.push(r);
        }
        let out = self.cli(&args, None);
        let v: Value = serde_json::from_str(&out).expect("activation info is JSON");
        Registered {
            client_id: v["client_id"].as_str().unwrap().to_string(),
            client_secret: v["client_secret"].as_str().unwrap().to_string(),
            server_url: v["server_url"].as_str().unwrap().to_string(),
        }
    }

    /// A Claude client registered by the CLI, with the MCP surface on.
    pub async fn claude(&self) -> Registered {
        self.enable_mcp().await;
        self.add_client("Claude for tests", "claude", &[])
    }
}

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// The usual authorization request parameters for a client and a PKCE pair.
pub fn authorize_params(app: &TestApp, client_id: &str, p: &Pkce) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CLAUDE_CALLBACK),
        ("code_challenge", &p.challenge),
        ("code_challenge_method", "S256"),
        ("state", "st-123"),
        ("resource", &app.url("/mcp")),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Replaces (or with an empty value removes) one parameter.
pub fn with(params: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = params.iter().filter(|(k, _)| k != key).cloned().collect();
    if !value.is_empty() {
        out.push((key.to_string(), value.to_string()));
    }
    out
}

pub fn authorize_url(app: &TestApp, params: &[(String, String)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    app.url(&format!("/oauth/authorize?{}", q.finish()))
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// Every `<input type="hidden" name=… value=…>` of a page, in order.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.split_once("value=\"")?.1.split('"').next()?;
            Some((name.to_string(), unescape(value)))
        })
        .collect()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The browser part: open the authorize URL, sign in on our login page as `user`, answer the
/// consent page with `decision`; returns the redirect back to the client.
pub async fn browser_authorize(
    app: &TestApp,
    user: &str,
    params: &[(String, String)],
    decision: &str,
) -> url::Url {
    let http = client();
    let r = http.get(authorize_url(app, params)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "to the sign-in page");
    let login = location(&r);
    assert!(
        login.starts_with("/login?next=%2Foauth%2Fauthorize"),
        "{login}"
    );
    let page = http
        .get(app.url(&login))
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
    let back = location(&r);
    assert!(
        back.starts_with("/oauth/authorize?"),
        "back to authorize: {back}"
    );
    let r = http.get(app.url(&back)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "consent page");
    let consent = r.text().await.unwrap();
    assert!(consent.contains("Allow"), "{consent}");
    let mut form = hidden_fields(&consent);
    // The sign-out form's CSRF field comes first; the consent form repeats the same token.
    form.dedup_by(|a, b| a.0 == "csrf" && b.0 == "csrf");
    form.push(("decision".into(), decision.into()));
    let r = http
        .post(app.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "answered");
    url::Url::parse(&location(&r)).expect("absolute redirect to the client")
}

/// A query parameter of a URL.
pub fn query(u: &url::Url, key: &str) -> Option<String> {
    u.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.to_string())
}

/// Authorizes `user` and returns the code.
pub async fn code_for(app: &TestApp, user: &str, client: &Registered, p: &Pkce) -> String {
    let back = browser_authorize(
        app,
        user,
        &authorize_params(app, &client.client_id, p),
        "allow",
    )
    .await;
    query(&back, "code").expect("a code")
}

/// A POST to the token endpoint (or another OAuth form endpoint).
pub async fn post_oauth(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = reqwest::Client::new().post(app.url(path)).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Exchanges a code with client_secret_post.
pub async fn exchange(
    app: &TestApp,
    client: &Registered,
    code: &str,
    verifier: &str,
) -> (StatusCode, HeaderMap, Value) {
    post_oauth(
        app,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CLAUDE_CALLBACK),
            ("code_verifier", verifier),
            ("client_id", &client.client_id),
            ("client_secret", &client.client_secret),
        ],
        None,
    )
    .await
}

/// Authorizes `user` through the whole flow and returns the token response.
pub async fn tokens_for(app: &TestApp, user: &str, client: &Registered) -> Value {
    let p = pkce();
    let code = code_for(app, user, client, &p).await;
    let (status, _, body) = exchange(app, client, &code, &p.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Refreshes with client_secret_basic.
pub async fn refresh(app: &TestApp, client: &Registered, token: &str) -> (StatusCode, Value) {
    let (s, _, b) = post_oauth(
        app,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
        Some((&client.client_id, &client.client_secret)),
    )
    .await;
    (s, b)
}

/// Asserts an OAuth JSON error.
pub fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "helpful description: {body}"
    );
}

/// Runs SQL against the app's database (to age or re-bind tokens as time or an attacker would).
pub async fn sql(app: &TestApp, statement: &str, values: Vec<sea_orm::Value>) {
    use sea_orm::ConnectionTrait;
    let backend = if app.db_url.starts_with("postgres") {
        sea_orm::DatabaseBackend::Postgres
    } else {
        sea_orm::DatabaseBackend::Sqlite
    };
    let mut text = String::new();
    let mut n = 0;
    for c in statement.chars() {
        if c == '?' && backend == sea_orm::DatabaseBackend::Postgres {
            n += 1;
            text.push_str(&format!("${n}"));
        } else {
            text.push(c);
        }
    }
    let db = sea_orm::Database::connect(&app.db_url).await.unwrap();
    db.execute(sea_orm::Statement::from_sql_and_values(
        backend, text, values,
    ))
    .await
    .unwrap();
    db.close().await.ok();
}

/// Whether a bearer token is accepted on `/mcp`.
pub async fn mcp_accepts(app: &TestApp, token: &str) -> bool {
    let (status, _) = mcp(app, token, "tools/list", serde_json::json!({})).await;
    status == StatusCode::OK
}
