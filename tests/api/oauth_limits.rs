//! Rate limits in front of the OAuth flow: the per-account lockout and the per-address limit on
//! failed sign-ins, and the per-address limit on failed client authentications.
use crate::helpers::*;
use crate::oauth_helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn oauth_repeated_failed_sign_ins_lock_the_account_then_the_address() {
    let app = spawn_app().await;
    let http = client();
    let attempt = |user: &'static str, password: &'static str| {
        let http = http.clone();
        let url = app.url("/login");
        async move {
            let page = http.get(&url).send().await.unwrap().text().await.unwrap();
            let mut form = hidden_fields(&page);
            form.push(("username".into(), user.into()));
            form.push(("password".into(), password.into()));
            let r = http.post(&url).form(&form).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    for _ in 0..5 {
        let (s, _) = attempt("alice", "wrong-password").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, page) = attempt("alice", PASSWORD).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        page.contains("locked"),
        "the right password is refused while locked"
    );
    let (s, _) = attempt("bob", PASSWORD).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "other accounts unaffected");
    // Guessing across many accounts trips the per-address limit.
    let mut limited = false;
    for _ in 0..20 {
        let (s, _) = attempt("nobody", "guess").await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "the address is limited");
    let (s, page) = attempt("bob", PASSWORD).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("too many failed attempts"));
}

#[tokio::test]
async fn oauth_failed_client_authentications_are_rate_limited() {
    let app = spawn_app().await;
    let client = app.claude().await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "fwr_x")];
    for _ in 0..20 {
        let (s, _, body) = post_oauth(
            &app,
            "/oauth/token",
            &form,
            Some((&client.client_id, "wrong")),
        )
        .await;
        assert_error(s, &body, StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let (s, h, body) = post_oauth(
        &app,
        "/oauth/token",
        &form,
        Some((&client.client_id, &client.client_secret)),
    )
    .await;
    assert_error(
        s,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
    );
    assert!(h.get("retry-after").is_some());
}
