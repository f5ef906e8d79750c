//! Everyday use: "forgot password" (the reset by email itself is driven with a real SMTP sink in
//! tests/python/test_password_reset.py), a message after every action, the server's own
//! confirmation of dangerous actions, what a submit lacks, comma decimals, the person's time
//! zone, and receipts beside the form that survive a refused submission.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The anonymous forgot form's CSRF token, with its cookie in `http`.
async fn forgot_csrf(app: &TestApp, http: &reqwest::Client) -> String {
    let page = http
        .get(app.url("/login/forgot"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csrf_of(&page)
}

async fn ask_reset(app: &TestApp, http: &reqwest::Client, who: &str) -> (StatusCode, String) {
    let csrf = forgot_csrf(app, http).await;
    let r = http
        .post(app.url("/login/forgot"))
        .form(&[("csrf", csrf.as_str()), ("who", who)])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A server that believes it can send mail (nothing listens there: sending fails quietly).
async fn spawn_app_with_mail() -> TestApp {
    spawn_app_with(&[
        "--smtp-url",
        "smtp://127.0.0.1:9",
        "--mail-from",
        "Formwork <forms@example.com>",
    ])
    .await
}

#[tokio::test]
async fn forgot_password_without_email_says_to_ask_an_administrator() {
    let app = spawn_app().await;
    let http = client();
    let (status, page) = {
        let r = http.get(app.url("/login/forgot")).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Ask an administrator"), "{page}");
    assert!(!page.contains("Email me a link"), "{page}");
    assert!(!page.contains("name=\"csrf\""), "no form to send: {page}");
}

#[tokio::test]
async fn forgot_password_answers_the_same_whether_or_not_the_account_exists() {
    let app = spawn_app_with_mail().await;
    app.cli(&["user", "set-email", "alice", "alice@example.com"], None);
    let http = client();
    let (_, form) = {
        let r = http.get(app.url("/login/forgot")).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert!(form.contains("Email me a link"), "{form}");
    let mut answers = Vec::new();
    for who in ["alice", "alice@example.com", "nobody", "nobody@example.com"] {
        let (status, page) = ask_reset(&app, &http, who).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        answers.push(page.replace(who, "WHO"));
    }
    assert!(answers[0].contains("a link to choose a new password is on its way"));
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "known and unknown names get the same page"
    );
}

#[tokio::test]
async fn forgot_and_reset_forms_refuse_a_missing_or_foreign_csrf_token() {
    let app = spawn_app_with_mail().await;
    let http = client();
    // No cookie at all.
    let r = http
        .post(app.url("/login/forgot"))
        .form(&[("csrf", "x"), ("who", "alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A token from another browser's page.
    let other = client();
    let foreign = forgot_csrf(&app, &other).await;
    forgot_csrf(&app, &http).await;
    let r = http
        .post(app.url("/login/forgot"))
        .form(&[("csrf", foreign.as_str()), ("who", "alice")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = http
        .post(app.url("/login/reset/fwr_whatever"))
        .form(&[
            ("csrf", "x"),
            ("new", "a-new-password-1"),
            ("repeat", "a-new-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_unknown_reset_link_is_refused_and_sets_nothing() {
    let app = spawn_app_with_mail().await;
    let http = client();
    let r = http
        .get(app.url("/login/reset/fwr_not-a-real-link"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    let page = r.text().await.unwrap();
    assert!(page.contains("invalid, already used or expired"), "{page}");
    assert!(page.contains("/login/forgot"));
    assert!(!page.contains("name=\"new\""), "no password form: {page}");
    let csrf = forgot_csrf(&app, &http).await;
    let r = http
        .post(app.url("/login/reset/fwr_not-a-real-link"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("new", "a-new-password-1"),
            ("repeat", "a-new-password-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    app.sign_in("alice").await;
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address() {
    let app = spawn_app_with_mail().await;
    let http = client();
    for i in 0..10 {
        let (status, _) = ask_reset(&app, &http, &format!("someone{i}")).await;
        assert_eq!(status, StatusCode::OK, "request {i}");
    }
    let (status, page) = ask_reset(&app, &http, "alice").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("try again in"), "{page}");
}

#[tokio::test]
async fn every_admin_action_on_users_says_what_it_did() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "carol"),
                ("password", "a-long-password-1"),
                ("roles", "employee"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/admin/users?done=added");
    let (_, page) = admin.get_text(&location(&r)).await;
    assert!(page.contains("The user was added."), "{page}");
    let id = page
        .split("action=\"/admin/users/")
        .filter_map(|s| s.split('"').next()?.parse::<i64>().ok())
        .max()
        .unwrap();
    let path = format!("/admin/users/{id}");
    let r = admin
        .post_form(&path, &[("display_name", "Carol C"), ("roles", "employee")])
        .await;
    assert_eq!(location(&r), "/admin/users?done=saved");
    assert!(admin
        .get_text(&location(&r))
        .await
        .1
        .contains("The changes to the user were saved."));
    let r = admin
        .post_form(&path, &[("roles", "employee"), ("disabled", "on")])
        .await;
    assert_eq!(location(&r), "/admin/users?done=deactivated");
    assert!(admin
        .get_text(&location(&r))
        .await
        .1
        .contains("The user was deactivated"));
    let r = admin
        .post_form(
            &path,
            &[("action", "password"), ("password", "temporary-pass-9")],
        )
        .await;
    assert_eq!(
        location(&r),
        format!("/admin/users?user={id}&done=password")
    );
    assert!(admin
        .get_text(&location(&r))
        .await
        .1
        .contains("The temporary password was set."));
    let r = admin
        .post_form(&path, &[("action", "delete"), ("confirm", "on")])
        .await;
    assert_eq!(location(&r), "/admin/users?done=deleted");
    assert!(admin
        .get_text(&location(&r))
        .await
        .1
        .contains("The user was deleted."));
    // Not for anyone else, and not without the form's token.
    let alice = app.sign_in("alice").await;
    let r = alice
        .post_form(
            "/admin/users",
            &[
                ("username", "eve"),
                ("password", "a-long-password-1"),
                ("roles", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .http
        .post(admin.url("/admin/users"))
        .form(&[
            ("username", "eve"),
            ("password", "a-long-password-1"),
            ("roles", "employee"),
            ("csrf", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn importing_revoking_and_reading_say_what_they_did() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let def = std::fs::read_to_string(repo_root().join("seed-data/apps/expense_claims.toml"))
        .unwrap()
        .replace("slug = \"expense_claims\"", "slug = \"expense_claims_2\"");
    let form = reqwest::multipart::Form::new()
        .text("csrf", admin.csrf.clone())
        .text("definition", def);
    let r = admin
        .http
        .post(admin.url("/admin/apps/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin.get_text(&location(&r)).await;
    assert!(page.contains("Imported as a draft."), "{page}");

    let alice = app.sign_in("alice").await;
    let r = alice
        .post_form("/profile/tokens", &[("name", "laptop"), ("days", "1")])
        .await;
    let page = r.text().await.unwrap();
    let tid: i64 = page
        .split("action=\"/profile/tokens/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    // Bob cannot revoke Alice's token; Alice can, and is told so.
    let bob = app.sign_in("bob").await;
    bob.post_form(&format!("/profile/tokens/{tid}/revoke"), &[])
        .await;
    assert!(!alice.get_text("/profile").await.1.contains(">revoked<"));
    let r = alice
        .post_form(&format!("/profile/tokens/{tid}/revoke"), &[])
        .await;
    assert_eq!(location(&r), "/profile?done=token");
    assert!(alice
        .get_text(&location(&r))
        .await
        .1
        .contains("The token was revoked"));

    let r = alice.post_form("/notifications/read", &[]).await;
    assert_eq!(location(&r), "/notifications?done=read-all");
    assert!(alice
        .get_text(&location(&r))
        .await
        .1
        .contains("All notifications marked as read."));
}

#[tokio::test]
async fn no_form_leaves_the_browser_on_a_url_that_answers_404() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    for path in [
        "/logout",
        "/profile/tokens",
        "/profile/tokens/1/revoke",
        "/profile/time-zone",
        "/profile/sessions/end-others",
        "/notifications/read",
        "/admin/users/1",
        "/admin/apps/import",
        "/admin/apps/expense_claims/general",
        "/admin/apps/expense_claims/publish",
        "/admin/apps/expense_claims/rollback",
        "/admin/apps/expense_claims/fields/purpose/move",
        "/admin/outbox/1/retry",
        "/login/forgot",
    ] {
        let r = admin.get(path).await;
        assert!(
            r.status() == StatusCode::OK || r.status() == StatusCode::SEE_OTHER,
            "{path}: {}",
            r.status()
        );
        if r.status() == StatusCode::SEE_OTHER {
            let to = location(&r);
            let (status, _) = admin.get_text(&to).await;
            assert!(
                status == StatusCode::OK || status == StatusCode::SEE_OTHER,
                "{path} → {to}: {status}"
            );
        }
    }
    // Signed out, these ask for a sign-in rather than answering.
    let r = client()
        .get(app.url("/admin/users/1"))
        .send()
        .await
        .unwrap();
    assert!(location(&r).starts_with("/login"));
}

/// A claim with a receipt (PNG), on version 2, owned by `s`.
async fn claim_with_receipt(s: &Session, purpose: &str, file: &str) -> i64 {
    let id = s.new_claim(purpose).await;
    let r = s
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", file, png_receipt(7))),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    id
}

async fn fill(s: &Session, id: i64, net: &str) -> reqwest::Response {
    let version = version_of(s, id).await;
    s.run_op(
        "fill_receipt_fields",
        Some((id, version)),
        &[
            ("supplier", "Café"),
            ("expense_date", "2026-02-01"),
            ("net", net),
            ("tax", "0"),
            ("currency", "EUR"),
        ],
        None,
    )
    .await
}

#[tokio::test]
async fn comma_decimals_are_read_where_unambiguous_and_amounts_shown_grouped() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = claim_with_receipt(&alice, "Dinner", "r.png").await;
    let r = fill(&alice, id, "20,00").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("20.00 EUR"), "{page}");

    let r = fill(&alice, id, "1,234").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("ambiguous"), "{page}");
    assert!(page.contains("1234") && page.contains("1.234"), "{page}");

    let r = fill(&alice, id, "1.234,56").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("1,234.56 EUR"), "{page}");
    // The form takes back what it shows: no separators, no currency in the input.
    let (_, form) = alice
        .get_text(&format!(
            "/apps/expense_claims/ops/fill_receipt_fields?record={id}"
        ))
        .await;
    assert!(form.contains("value=\"1234.56\""), "{form}");

    // MCP keeps the machine value.
    app.enable_mcp().await;
    let token = app.token("alice");
    let got = call_tool(&app, &token, "expense_claims_my_claims", json!({})).await;
    let text = got["structuredContent"].to_string();
    assert!(text.contains("1234.56"), "{text}");
    assert!(!text.contains("1,234.56"), "{text}");
}

#[tokio::test]
async fn times_are_shown_in_the_persons_time_zone() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Taxi").await;
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains(" UTC"), "UTC until a zone is chosen");

    let r = alice
        .post_form("/profile/time-zone", &[("time_zone", "asia/tokyo")])
        .await;
    assert_eq!(location(&r), "/profile?done=time-zone");
    let (_, profile) = alice.get_text("/profile?done=time-zone").await;
    assert!(profile.contains("Your time zone was saved."));
    assert!(profile.contains("value=\"Asia/Tokyo\""), "{profile}");
    assert!(
        profile.contains(" JST</td>"),
        "sessions in Tokyo time: {profile}"
    );
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains(" JST"), "history in Tokyo time: {page}");
    // Bob still sees UTC.
    let bob = app.sign_in("bob").await;
    assert!(!bob.get_text("/profile").await.1.contains(" JST"));

    // Not a zone: refused with a sentence, nothing saved.
    let r = alice
        .post_form("/profile/time-zone", &[("time_zone", "Mars/Olympus")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("is not a time zone name"));
    assert!(alice
        .get_text("/profile")
        .await
        .1
        .contains("value=\"Asia/Tokyo\""));
    // Not without the form's token.
    let r = alice
        .http
        .post(alice.url("/profile/time-zone"))
        .form(&[("time_zone", "UTC"), ("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Empty: back to UTC.
    alice
        .post_form("/profile/time-zone", &[("time_zone", "")])
        .await;
    assert!(!alice.get_text("/profile").await.1.contains(" JST"));
}

#[tokio::test]
async fn a_submit_that_cannot_succeed_says_what_is_missing_and_where_to_fill_it() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Team lunch").await;
    let (status, page) = alice
        .get_text(&format!("/apps/expense_claims/ops/submit?record={id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("This cannot be done yet"), "{page}");
    let missing = page.split("class=\"missing\"").nth(1).unwrap();
    let missing = missing.split("</div>").next().unwrap();
    assert!(missing.contains("Receipt"), "{missing}");
    assert!(missing.contains("Net amount"), "{missing}");
    assert!(
        missing.contains(&format!(
            "href=\"/apps/expense_claims/ops/upload_receipt?record={id}\""
        )),
        "{missing}"
    );
    assert!(
        missing.contains(&format!(
            "href=\"/apps/expense_claims/ops/fill_receipt_fields?record={id}\""
        )),
        "{missing}"
    );
    assert!(page.contains("type=\"submit\" disabled"), "{page}");

    // Once everything is there: no list, and a summary of what goes to the manager.
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "lunch.png", png_receipt(3))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = fill(&alice, id, "1234.5").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/ops/submit?record={id}"))
        .await;
    assert!(!page.contains("This cannot be done yet"), "{page}");
    assert!(page.contains("What will be submitted"), "{page}");
    let summary = page.split("class=\"fields summary\"").nth(1).unwrap();
    assert!(summary.contains("Team lunch"), "{summary}");
    assert!(summary.contains("1,234.50 EUR"), "{summary}");
    assert!(summary.contains("lunch.png"), "{summary}");
    // Someone who cannot see the record gets nothing of it.
    let bob = app.sign_in("bob").await;
    let (status, page) = bob
        .get_text(&format!("/apps/expense_claims/ops/submit?record={id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("Team lunch"));
}

#[tokio::test]
async fn a_chosen_file_survives_a_validation_error_elsewhere_in_the_form() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    // Purpose is required: the receipt comes with a form that is refused.
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", ""), ("category", "Travel")],
            Some(("receipt", "kept.png", png_receipt(11))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("kept.png"), "{page}");
    let kept: String = page
        .split("name=\"_kept_receipt\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();

    // Bob cannot use Alice's kept file.
    let bob = app.sign_in("bob").await;
    let r = bob
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Mine now"), ("_kept_receipt", &kept)],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not one of your uploads"));

    // Alice sends the form again without choosing the file again.
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[
                ("purpose", "Conference"),
                ("category", "Travel"),
                ("_kept_receipt", &kept),
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
    let id = record_id_of(&r);
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("kept.png"), "{page}");
    // A kept file is used once: attached now, it cannot start another claim.
    let r = alice
        .run_op(
            "new_claim",
            None,
            &[("purpose", "Again"), ("_kept_receipt", &kept)],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn replacing_a_receipt_lists_only_the_new_one_and_history_keeps_the_old() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = claim_with_receipt(&alice, "Hotel", "first.png").await;
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 2)),
            &[],
            Some(("receipt", "second.png", png_receipt(99))),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    let attachments = page
        .split("<h2>Attachments</h2>")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(attachments.contains("second.png"), "{attachments}");
    assert!(!attachments.contains("first.png"), "{attachments}");
    let history = page.split("<h2>History</h2>").nth(1).unwrap();
    assert!(history.contains("first.png"), "{history}");
}

#[tokio::test]
async fn the_fill_form_shows_the_receipt_and_can_use_the_values_read_from_it() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Hotel in Paris").await;
    let pdf = std::fs::read(repo_root().join("seed-data/receipts/04_hotel_paris.pdf")).unwrap();
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "hotel.pdf", pdf)),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let path = format!("/apps/expense_claims/ops/fill_receipt_fields?record={id}");
    let (status, page) = alice.get_text(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("class=\"card op-file\""), "{page}");
    assert!(page.contains("hotel.pdf"), "{page}");
    assert!(
        page.contains("/page1\"") || page.contains("class=\"op-file-text\""),
        "the PDF's page or its text: {page}"
    );
    assert!(page.contains("Read from the file"), "{page}");
    assert!(page.contains("&amp;use=suggestions"), "{page}");
    // One click: the form comes back with the values read, nothing saved yet.
    let (_, filled) = alice.get_text(&format!("{path}&use=suggestions")).await;
    assert!(filled.contains("The values read from the file are filled in below"));
    let net_input = filled
        .split("name=\"net\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    assert!(!net_input.is_empty(), "{filled}");
    assert_eq!(
        version_of(&alice, id).await,
        2,
        "nothing saved by prefilling"
    );
    // Bob sees neither the form nor the file.
    let bob = app.sign_in("bob").await;
    let (status, page) = bob.get_text(&format!("{path}&use=suggestions")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!page.contains("hotel.pdf"));
}
