//! Regressions from the outside security and fault review (issue 12).
use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A fresh browser that posts the sign-in form with `next` (and the right password).
async fn sign_in_with_next(app: &TestApp, next: &str) -> reqwest::Response {
    let http = client();
    let page = http.get(app.url("/login")).send().await.unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    http.post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", next),
        ])
        .send()
        .await
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn sign_in_sends_people_only_to_paths_on_this_site() {
    let app = spawn_app().await;
    let r = sign_in_with_next(&app, "/apps/expense_claims?x=1").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/apps/expense_claims?x=1");
    for off_site in [
        "/\t/evil.example/x",
        "/%09/evil.example/x",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%2f/evil.example",
        "/%5c%5cevil.example",
        "https://evil.example/",
        "/\u{85}/evil.example",
    ] {
        let r = sign_in_with_next(&app, off_site).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{off_site:?}");
        assert_eq!(location(&r), "/", "{off_site:?}");
    }
    // Characters no header may carry are a bad request, not a server error.
    for malformed in [
        "/\r\nSet-Cookie: a=b",
        "/\n//evil.example",
        "/\x0b/evil",
        "/\0",
    ] {
        let r = sign_in_with_next(&app, malformed).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{malformed:?}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    let http = client();
    let r = http
        .get(app.url("/login?next=/%0d%0aSet-Cookie:%20a=b"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A link with an off-site `next` still shows the sign-in page, leading home.
    let r = http
        .get(app.url("/login?next=/%09/evil.example/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"name="next" value="/""#),
        "next falls back to the home page"
    );
}

/// One sign-in attempt, through a proxy that reports `from` as the client's address if given;
/// returns the status and the page's error message. The form's CSRF token is double-submitted
/// (cookie and field), so attempts need no page first and can run side by side.
pub(crate) async fn attempt(
    app: &TestApp,
    from: Option<&str>,
    username: &str,
    password: &str,
) -> (StatusCode, String) {
    let csrf = "burst-csrf-token";
    let mut request = reqwest::Client::new()
        .post(app.url("/login"))
        .header("Cookie", format!("formwork_login={csrf}"));
    if let Some(from) = from {
        request = request.header("X-Forwarded-For", from);
    }
    let r = request
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", csrf),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status();
    let page = r.text().await.unwrap();
    let message = page
        .split(r#"role="alert">"#)
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_default()
        .to_string();
    (status, message)
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_checks_no_more_passwords_than_the_lockout_allows() {
    // Behind a proxy on loopback, so each guess can come from an address of its own (a botnet)
    // and only the per-account lockout stands in the way.
    let app = spawn_app_with(&["--public-url", "http://127.0.0.1:1"]).await;
    let guesses = (0..60).map(|i| {
        let app = &app;
        async move {
            let from = format!("10.0.{}.{}", i / 200, i % 200 + 1);
            attempt(app, Some(&from), "bob", &format!("guess-{i}")).await
        }
    });
    let answers = join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|(_, m)| m.contains("incorrect"))
        .count();
    assert!(
        answers.iter().all(|(s, m)| *s == StatusCode::UNAUTHORIZED
            && (m.contains("incorrect") || m.contains("locked"))),
        "{answers:?}"
    );
    assert!(
        checked <= 5,
        "{checked} passwords were checked; the lockout allows 5"
    );
    let (status, message) = attempt(&app, Some("10.9.9.9"), "bob", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        message.contains("locked"),
        "the right password is refused while locked: {message}"
    );
}

#[tokio::test]
async fn a_burst_from_one_address_gets_no_more_attempts_than_its_limit() {
    let app = spawn_app().await;
    let guesses = (0..40).map(|i| {
        let app = &app;
        async move {
            // Many names, so the per-account lockout is not what stops them.
            let name = format!("guess-{}", i % 8);
            attempt(app, None, &name, "wrong-password").await
        }
    });
    let answers = join_all(guesses).await;
    let admitted = answers
        .iter()
        .filter(|(s, _)| *s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        admitted <= 20,
        "{admitted} attempts got through; the limit is 20"
    );
    let (status, _) = attempt(&app, None, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn unknown_usernames_lock_in_the_same_words_as_real_ones() {
    let app = spawn_app_with(&["--public-url", "http://127.0.0.1:1"]).await;
    // Digits aside (the time the lock ends), the answers must not differ.
    let shape = |m: &str| m.replace(|c: char| c.is_ascii_digit(), "#");
    for round in 0..7 {
        let real = attempt(&app, Some("10.1.0.1"), "bob", "wrong-password").await;
        let unknown = attempt(&app, Some("10.2.0.1"), "nobody", "wrong-password").await;
        assert_eq!(real.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            (real.0, shape(&real.1)),
            (unknown.0, shape(&unknown.1)),
            "attempt {round}"
        );
        let expected = if round < 5 { "incorrect" } else { "locked" };
        assert!(real.1.contains(expected), "attempt {round}: {}", real.1);
    }
}

/// Sends a request head announcing a 100-byte body, then a few bytes of it, then nothing; returns
/// what the server answered before it closed the connection.
async fn stall_body(app: &TestApp, path: &str, extra_headers: &str) -> String {
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n{extra_headers}\r\nabc"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // The body deadline is 20 s of silence: allow for it with room to spare.
    let read = tokio::time::timeout(Duration::from_secs(60), conn.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "{path}: the connection was still open after 60 s"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_stalled_request_body_is_answered_408_and_its_connection_closed() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let mcp_headers = format!(
        "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nAuthorization: Bearer {token}\r\n"
    );
    let (login, oauth, mcp) = tokio::join!(
        stall_body(&app, "/login", form),
        stall_body(&app, "/oauth/token", form),
        stall_body(&app, "/mcp", &mcp_headers),
    );
    for (path, answer) in [("/login", login), ("/oauth/token", oauth), ("/mcp", mcp)] {
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(answer.contains("connection: close"), "{path}: {answer}");
    }
    // A body that keeps coming, however slowly, is read to its end.
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let body = "username=nobody&password=x&csrf=x";
    conn.write_all(
        format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\n{form}Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    for piece in body.as_bytes().chunks(12) {
        tokio::time::sleep(Duration::from_millis(700)).await;
        conn.write_all(piece).await.unwrap();
    }
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    // No CSRF cookie: the form is refused, but only once it has been read.
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
}

const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn pages_and_files_are_not_cached_and_pages_carry_a_strict_policy() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Taxi to the airport").await;
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "r.png", png_receipt(7))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let record = alice
        .get(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert_eq!(header(&record, "cache-control"), "no-store");
    assert_eq!(header(&record, "content-security-policy"), POLICY);
    assert_eq!(header(&record, "x-frame-options"), "DENY");
    let html = record.text().await.unwrap();
    let file = html
        .split("href=\"/files/")
        .nth(1)
        .and_then(|rest| rest.split(['"', '/']).next())
        .expect("a link to the receipt");
    let receipt = alice.get(&format!("/files/{file}")).await;
    assert_eq!(receipt.status(), StatusCode::OK);
    assert_eq!(header(&receipt, "cache-control"), "no-store");
    assert!(header(&receipt, "content-security-policy").contains("sandbox"));
    let thumb = alice.get(&format!("/files/{file}/thumb")).await;
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(header(&thumb, "cache-control"), "no-store");
    for path in ["/", "/profile", "/apps/expense_claims/views/my_claims"] {
        let r = alice.get(path).await;
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&r, "content-security-policy"), POLICY, "{path}");
    }
    let login = client().get(app.url("/login")).send().await.unwrap();
    assert_eq!(header(&login, "content-security-policy"), POLICY);
    // Static assets are the same for everyone and may be cached.
    let css = client()
        .get(app.url("/static/formwork.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert!(header(&css, "cache-control").starts_with("public"));
}

/// Same-site links and `/static/` references in a page.
fn references(html: &str) -> Vec<String> {
    ["href=\"", "src=\""]
        .iter()
        .flat_map(|attr| html.split(attr).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|url| url.starts_with('/') && !url.starts_with("//"))
        .map(|url| url.replace("&amp;", "&"))
        .collect()
}

/// What CSP forbids in a page: inline scripts, inline styles, handlers, `javascript:` links.
fn inline_code(html: &str) -> Option<&'static str> {
    let lower = html.to_ascii_lowercase();
    if lower
        .split("<script")
        .skip(1)
        .any(|s| !s.split('>').next().unwrap_or("").contains("src="))
    {
        return Some("an inline <script>");
    }
    if lower.contains("<style") || lower.contains(" style=") {
        return Some("an inline style");
    }
    if lower.contains("javascript:") {
        return Some("a javascript: URL");
    }
    has_event_handler(&lower).then_some("an inline event handler")
}

/// ` onclick=`, ` onload=`, …: an attribute named `on` + letters.
fn has_event_handler(lower: &str) -> bool {
    lower.match_indices(" on").any(|(at, _)| {
        let name: String = lower[at + 3..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase())
            .collect();
        !name.is_empty() && lower[at + 3 + name.len()..].starts_with('=')
    })
}

/// Opens every page `s` can reach from `start` by same-site links (up to `max` pages) and
/// returns the `/static/` assets they reference.
async fn crawl(s: &Session, start: &[&str], max: usize) -> BTreeSet<String> {
    let mut queue: VecDeque<String> = start.iter().map(|p| p.to_string()).collect();
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut assets = BTreeSet::new();
    let mut opened = 0;
    while let Some(path) = queue.pop_front() {
        if opened == max {
            break;
        }
        opened += 1;
        let r = s.get(&path).await;
        let is_html = header(&r, "content-type").starts_with("text/html");
        let status = r.status();
        assert!(status.as_u16() < 500, "{path}: {status}");
        if !is_html {
            continue;
        }
        let html = r.text().await.unwrap();
        if let Some(what) = inline_code(&html) {
            panic!("{path} has {what}, which the Content-Security-Policy blocks");
        }
        for url in references(&html) {
            if url.starts_with("/static/") {
                assets.insert(url);
                continue;
            }
            let skip = url.starts_with("/files/")
                || url.starts_with("/logout")
                || url.contains("export.csv")
                || url.ends_with(".json")
                || (url.contains("/ops/")
                    && seen.iter().filter(|u| u.contains("/ops/")).count() > 12);
            if !skip && seen.insert(url.clone()) {
                queue.push_back(url);
            }
        }
    }
    assets
}

#[tokio::test]
async fn every_asset_the_pages_reference_is_served() {
    let app = spawn_app().await;
    // A registered MCP client, so its page is among those crawled.
    app.claude().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Hotel in Lyon").await;
    let admin = app.sign_in("admin").await;
    let record = format!("/apps/expense_claims/records/{id}");
    let mut assets = crawl(
        &alice,
        &[
            "/",
            "/apps/expense_claims",
            "/apps/expense_claims/views/my_claims",
            &record,
            "/apps/expense_claims/ops/new_claim",
            "/profile",
            "/apps/nothing-here",
        ],
        80,
    )
    .await;
    assets.extend(
        crawl(
            &admin,
            &[
                "/",
                "/admin/apps",
                "/admin/users",
                "/admin/integration/mcp",
                "/admin/integration/mcp/clients/new",
                "/admin/apps/expense_claims",
                "/admin/apps/expense_claims/fields",
                "/admin/apps/expense_claims/views",
                "/admin/apps/expense_claims/versions",
                "/admin/apps/new",
            ],
            150,
        )
        .await,
    );
    for needed in [
        "/static/formwork.css",
        "/static/clients.js",
        "/static/error.js",
    ] {
        assert!(
            assets.contains(needed),
            "no page referenced {needed}: {assets:?}"
        );
    }
    let http = reqwest::Client::new();
    for asset in &assets {
        let r = http.get(app.url(asset)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
    }
}

#[tokio::test]
async fn a_page_number_past_any_possible_end_is_a_bad_request() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    alice.new_claim("Lunch with a client").await;
    let view = "/apps/expense_claims/views/my_claims";
    for page in [
        "400000000000000000",
        "18446744073709551615",
        "99999999999999999999999",
    ] {
        let (status, html) = alice.get_text(&format!("{view}?page={page}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "page={page}");
        assert!(html.contains("`page` goes from 1 to"), "{html}");
        let (status, _) = alice
            .get_text(&format!("{view}/export.csv?page={page}"))
            .await;
        assert!(status.as_u16() < 500, "export with page={page}: {status}");
    }
    // The last page that can exist is merely empty.
    let last = (1u64 << 40) / 25 + 1;
    let (status, html) = alice.get_text(&format!("{view}?page={last}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, _) = alice.get_text(&format!("{view}?page=2")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_consent_form_may_lead_to_the_clients_redirect_uri_and_nowhere_else() {
    use crate::oauth_helpers::*;
    let app = spawn_app().await;
    let claude = app.claude().await;
    let alice = app.sign_in("alice").await;
    let params = authorize_params(&app, &claude.client_id, &pkce());
    let r = alice
        .http
        .get(authorize_url(&app, &params))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Browsers apply `form-action` to the redirect that follows Allow or Deny.
    assert_eq!(
        header(&r, "content-security-policy"),
        format!("{POLICY} https://claude.ai")
    );
    assert_eq!(header(&r, "cache-control"), "no-store");
}
