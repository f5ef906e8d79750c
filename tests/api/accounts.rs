//! Accounts: changing one's password, temporary passwords from an administrator or the CLI,
//! sessions, connected apps, deleting users and roles from the declared ones. Every endpoint is
//! also tried as the wrong user and without its CSRF token.
use crate::helpers::*;
use crate::oauth_helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const NEW_PASSWORD: &str = "a-brand-new-password";

/// Signs in with a given password; returns the client and the sign-in response.
async fn sign_in_with(
    app: &TestApp,
    user: &str,
    password: &str,
) -> (reqwest::Client, reqwest::Response) {
    let http = client();
    let page = http
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let r = http
        .post(app.url("/login"))
        .form(&[
            ("username", user),
            ("password", password),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    (http, r)
}

/// A user's id, read from the admin's Users page.
async fn user_id(admin: &Session, username: &str) -> String {
    let (_, page) = admin.get_text("/admin/users").await;
    let label = format!("aria-label=\"Save {username}\"");
    page.split("<form id=\"user-")
        .find(|s| s.split('>').next().is_some_and(|tag| tag.contains(&label)))
        .and_then(|s| s.split('"').next())
        .expect("the user has a row")
        .to_string()
}

/// Whether a session still opens the profile.
async fn signed_in(s: &Session) -> bool {
    s.get("/profile").await.status() == StatusCode::OK
}

/// A POST with the session's cookies but no CSRF token.
async fn post_without_csrf(s: &Session, path: &str, fields: &[(&str, &str)]) -> StatusCode {
    s.http
        .post(s.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
        .status()
}

fn change_form<'a>(current: &'a str, new: &'a str, repeat: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("current", current), ("new", new), ("repeat", repeat)]
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one_and_ends_only_the_other_sessions() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let pat = app.token("alice");
    let here = app.sign_in("alice").await;
    let elsewhere = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;

    for (form, says) in [
        (
            change_form("wrong-password-1", NEW_PASSWORD, NEW_PASSWORD),
            "current password is incorrect",
        ),
        (
            change_form(PASSWORD, "short", "short"),
            "at least 10 characters",
        ),
        (
            change_form(PASSWORD, NEW_PASSWORD, "another-password-2"),
            "two new passwords differ",
        ),
    ] {
        let r = here.post_form("/profile/password", &form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.text().await.unwrap().contains(says), "{says}");
    }
    let csrf_less = post_without_csrf(
        &here,
        "/profile/password",
        &change_form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD),
    )
    .await;
    assert_eq!(
        csrf_less,
        StatusCode::BAD_REQUEST,
        "a form without its CSRF field is refused"
    );
    let forged = here
        .http
        .post(here.url("/profile/password"))
        .form(&[
            ("current", PASSWORD),
            ("new", NEW_PASSWORD),
            ("repeat", NEW_PASSWORD),
            ("csrf", bob.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "another session's CSRF token is refused"
    );
    assert!(signed_in(&elsewhere).await, "nothing changed yet");

    let r = here
        .post_form(
            "/profile/password",
            &change_form(PASSWORD, NEW_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/profile?done=password");
    assert!(signed_in(&here).await, "this session stays");
    assert!(!signed_in(&elsewhere).await, "the other session ended");
    assert!(signed_in(&bob).await, "other users keep their sessions");
    assert!(
        mcp_accepts(&app, &pat).await,
        "personal access tokens stay valid"
    );
    let (_, old) = sign_in_with(&app, "alice", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let (_, new) = sign_in_with(&app, "alice", NEW_PASSWORD).await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&new), "/");
}

#[tokio::test]
async fn a_temporary_password_from_an_admin_must_be_changed_before_anything_else() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let pat = app.token("alice");
    let alice_before = app.sign_in("alice").await;
    let admin = app.sign_in("admin").await;
    let bob = app.sign_in("bob").await;
    let alice = user_id(&admin, "alice").await;
    let path = format!("/admin/users/{alice}");

    let r = bob
        .post_form(
            &path,
            &[("action", "password"), ("password", "bobs-choice-123")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "only administrators set passwords"
    );
    assert_eq!(
        bob.get(&format!("/admin/users?user={alice}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = post_without_csrf(
        &admin,
        &path,
        &[("action", "password"), ("password", "temporary-pass-1")],
    )
    .await;
    assert_eq!(r, StatusCode::FORBIDDEN, "CSRF required");
    let r = admin
        .post_form(&path, &[("action", "password"), ("password", "short")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        signed_in(&alice_before).await,
        "a refused password changes nothing"
    );

    let r = admin
        .post_form(
            &path,
            &[("action", "password"), ("password", "temporary-pass-1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&alice_before).await, "the user's sessions end");
    let (_, users) = admin.get_text("/admin/users").await;
    assert!(users.contains("temporary password"));

    let (http, r) = sign_in_with(&app, "alice", "temporary-pass-1").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/profile/password?next=%2F");
    let page = http
        .get(app.url("/profile/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("An administrator set your password"));
    let csrf = csrf_of(&page);
    for p in ["/", "/profile", "/apps/expense_claims", "/admin/users"] {
        let r = http.get(app.url(p)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{p}");
        assert_eq!(location(&r), "/profile/password", "{p}");
    }
    let r = http
        .post(app.url("/profile/tokens"))
        .form(&[("name", "sneaky"), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/profile/password", "no other form either");
    assert!(
        mcp_accepts(&app, &pat).await,
        "MCP bearer tokens are unaffected"
    );

    let r = http
        .post(app.url("/profile/password"))
        .form(&[
            ("current", "temporary-pass-1"),
            ("new", NEW_PASSWORD),
            ("repeat", NEW_PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/profile?done=password");
    let r = http.get(app.url("/profile")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "free to go once changed");
    let r = http.get(app.url("/")).send().await.unwrap();
    assert_ne!(location(&r), "/profile/password");
}

#[tokio::test]
async fn the_cli_sets_passwords_from_stdin_and_the_demo_password_is_flagged_for_admins() {
    let app = spawn_app().await;
    let out = app.cli(
        &["user", "set-password", "bob", "--temporary"],
        Some("from-the-cli-123\n"),
    );
    assert!(out.contains("must change it"), "{out}");
    let (_, r) = sign_in_with(&app, "bob", "from-the-cli-123").await;
    assert_eq!(location(&r), "/profile/password?next=%2F");
    assert!(!app
        .cli_raw(&["user", "set-password", "bob"], Some("short\n"))
        .status
        .success());
    assert!(!app
        .cli_raw(
            &["user", "set-password", "nobody"],
            Some("long-enough-123\n")
        )
        .status
        .success());

    let admin = app.sign_in("admin").await;
    let maria = app.sign_in("maria").await;
    let (_, users) = admin.get_text("/admin/users").await;
    assert!(!users.contains("well-known password"));
    app.cli(&["user", "set-password", "maria"], Some("formwork-demo\n"));
    let (_, users) = admin.get_text("/admin/users").await;
    assert!(
        users.contains("well-known password") && users.contains("for maria"),
        "{users}"
    );
    let (_, profile) = admin.get_text("/profile").await;
    assert!(profile.contains("well-known password"));
    let maria = {
        drop(maria);
        let (http, r) = sign_in_with(&app, "maria", "formwork-demo").await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "not temporary: straight in"
        );
        assert_eq!(location(&r), "/");
        http
    };
    let profile = maria
        .get(app.url("/profile"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !profile.contains("well-known password"),
        "only administrators see the warning"
    );

    let login = client()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("href=\"/login/forgot\""));
    let forgot = client().get(app.url("/login/forgot")).send().await.unwrap();
    assert_eq!(forgot.status(), StatusCode::OK);
    assert!(forgot
        .text()
        .await
        .unwrap()
        .contains("Ask an administrator"));
}

#[tokio::test]
async fn sign_out_everywhere_else_ends_only_ones_own_other_sessions() {
    let app = spawn_app().await;
    let here = app.sign_in("alice").await;
    let elsewhere = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let bob_elsewhere = app.sign_in("bob").await;
    let (_, profile) = here.get_text("/profile").await;
    assert_eq!(profile.matches("this session").count(), 1, "{profile}");
    assert!(profile.contains("Sign out everywhere else"));

    assert_eq!(
        post_without_csrf(&bob, "/profile/sessions/end-others", &[]).await,
        StatusCode::BAD_REQUEST
    );
    let r = bob.post_form("/profile/sessions/end-others", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(signed_in(&bob).await && !signed_in(&bob_elsewhere).await);
    assert!(
        signed_in(&here).await && signed_in(&elsewhere).await,
        "bob cannot end alice's sessions"
    );

    let r = here.post_form("/profile/sessions/end-others", &[]).await;
    assert_eq!(location(&r), "/profile?done=sessions");
    assert!(signed_in(&here).await && !signed_in(&elsewhere).await);
}

#[tokio::test]
async fn connected_apps_are_listed_and_revoked_only_for_their_owner() {
    let app = spawn_app().await;
    let claude = app.claude().await;
    let alice_tokens = tokens_for(&app, "alice", &claude).await;
    let bob_tokens = tokens_for(&app, "bob", &claude).await;
    let alice_access = alice_tokens["access_token"].as_str().unwrap();
    let bob_access = bob_tokens["access_token"].as_str().unwrap();
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let (_, profile) = alice.get_text("/profile").await;
    assert!(profile.contains("Claude for tests"), "{profile}");
    let id = profile
        .split("action=\"/profile/apps/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a revoke form")
        .to_string();
    let path = format!("/profile/apps/{id}/revoke");

    assert_eq!(
        post_without_csrf(&alice, &path, &[]).await,
        StatusCode::BAD_REQUEST
    );
    let r = bob.post_form(&path, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !mcp_accepts(&app, bob_access).await,
        "bob revoked his own access"
    );
    assert!(
        mcp_accepts(&app, alice_access).await,
        "bob cannot revoke alice's access"
    );

    let r = alice.post_form(&path, &[]).await;
    assert_eq!(location(&r), "/profile?done=app");
    assert!(!mcp_accepts(&app, alice_access).await);
    let (s, _) = refresh(
        &app,
        &claude,
        alice_tokens["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "the refresh token went too");
    let (_, profile) = alice.get_text("/profile").await;
    assert!(profile.contains("No connected apps"));
}

#[tokio::test]
async fn admins_delete_users_who_own_no_records_and_are_told_to_deactivate_the_others() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    alice.new_claim("Taxi").await;
    let admin = app.sign_in("admin").await;
    let bob = app.sign_in("bob").await;
    let alice_id = user_id(&admin, "alice").await;
    let maria_id = user_id(&admin, "maria").await;
    let admin_id = user_id(&admin, "admin").await;
    let delete = [("action", "delete"), ("confirm", "on")];
    let r = admin
        .post_form(&format!("/admin/users/{maria_id}"), &[("action", "delete")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "deletion is confirmed");

    let r = admin
        .post_form(&format!("/admin/users/{alice_id}"), &delete)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("owns 1 record,") && body.contains("Deactivate"),
        "{body}"
    );
    assert!(signed_in(&alice).await);

    let r = bob
        .post_form(&format!("/admin/users/{maria_id}"), &delete)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "only administrators delete users"
    );
    assert_eq!(
        post_without_csrf(&admin, &format!("/admin/users/{maria_id}"), &delete).await,
        StatusCode::FORBIDDEN
    );
    let r = admin
        .post_form(&format!("/admin/users/{admin_id}"), &delete)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "not oneself");

    let maria = app.sign_in("maria").await;
    let r = admin
        .post_form(&format!("/admin/users/{maria_id}"), &delete)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in(&maria).await, "her sessions went with her");
    let (_, r) = sign_in_with(&app, "maria", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (_, users) = admin.get_text("/admin/users").await;
    assert!(!users.contains("Save maria"));
}

#[tokio::test]
async fn roles_come_from_checkboxes_of_the_declared_roles_and_the_page_is_valid() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let (_, users) = admin.get_text("/admin/users").await;
    for role in ["admin", "employee", "manager"] {
        assert!(
            users.contains(&format!(
                "type=\"checkbox\" name=\"roles\" value=\"{role}\""
            )),
            "{role}"
        );
    }
    assert!(
        !users.contains("<tr><form") && !users.contains("</form></tr>"),
        "no form inside a row"
    );
    assert!(
        !users.contains("<input name=\"roles\""),
        "no free-text roles"
    );

    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "carol"),
                ("display_name", "Carol"),
                ("password", "carols-password-1"),
                ("roles", "employee"),
                ("roles", "manager"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let out = app.cli(&["user", "list"], None);
    assert!(
        out.lines()
            .any(|l| l.starts_with("carol\tCarol\temployee,manager")),
        "{out}"
    );

    let carol = user_id(&admin, "carol").await;
    let r = admin
        .post_form(
            &format!("/admin/users/{carol}"),
            &[("display_name", "Carol"), ("roles", "manger")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("No app declares the role manger"));
    let r = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "dave"),
                ("password", "daves-password-1"),
                ("roles", "superuser"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let bob = app.sign_in("bob").await;
    let r = bob
        .post_form(
            &format!("/admin/users/{carol}"),
            &[("display_name", "Carol"), ("roles", "admin")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_temporary_password_must_be_changed_before_allowing_an_mcp_client() {
    let app = spawn_app().await;
    let claude = app.claude().await;
    // alice gets a temporary password, signs in with it and goes straight to the authorize URL.
    app.cli(
        &["user", "set-password", "alice", "--temporary"],
        Some("temporary-pass-42\n"),
    );
    let http = client();
    let page = http
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let r = http
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "temporary-pass-42"),
            ("csrf", csrf.as_str()),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = pkce();
    let params = authorize_params(&app, &claude.client_id, &p);
    let r = http.get(authorize_url(&app, &params)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no consent page yet");
    let to = location(&r);
    assert!(
        to.starts_with("/profile/password?next=%2Foauth%2Fauthorize"),
        "{to}"
    );
}

/// An app whose new records start with the person's department and name.
const VISITS: &str = r#"
slug = "dept_visits"
name = "Visits"
roles = ["employee"]
title_field = "place"

[fields]
place      = { type = "text", label = "Place", required = true }
department = { type = "text", label = "Department", default = "$me.department" }
visitor    = { type = "text", label = "Visitor", default = "$me.name" }

[views.mine]
title = "My visits"
roles = ["employee"]
scope = "own"
columns = ["place", "department", "visitor"]
mcp = { enabled = true, format = "full" }

[operations.add]
title = "Add visit"
kind = "create"
roles = ["employee"]
inputs = ["place", "department"]
mcp = { enabled = true }
"#;

#[tokio::test]
async fn a_department_set_by_an_administrator_becomes_the_default_of_new_records() {
    let app = spawn_app().await;
    let path = app.dir.path().join("visits.toml");
    // Only `$me.name` and `$me.department`, and only on text fields.
    for (from, to, words) in [
        (
            "$me.department",
            "$me.age",
            "has `$me.name` and `$me.department`",
        ),
        (
            r#"visitor    = { type = "text""#,
            r#"visitor    = { type = "number""#,
            "it is the default of a text field",
        ),
    ] {
        std::fs::write(&path, VISITS.replace(from, to)).unwrap();
        let out = app.cli_raw(
            &["app", "import", path.to_str().unwrap(), "--publish"],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(words), "{err}");
    }
    std::fs::write(&path, VISITS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    app.enable_mcp().await;
    let admin = app.sign_in("admin").await;
    let alice_id = user_id(&admin, "alice").await;
    let at = format!("/admin/users/{alice_id}");
    let set = [("action", "department"), ("department", "Field service")];

    // Only administrators set it, with the CSRF token, and a department is one short line.
    let bob = app.sign_in("bob").await;
    assert_eq!(
        bob.post_form(&at, &set).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_without_csrf(&admin, &at, &set).await,
        StatusCode::FORBIDDEN
    );
    let long = "x".repeat(121);
    let r = admin
        .post_form(&at, &[("action", "department"), ("department", &long)])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = admin.post_form(&at, &set).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin
        .get_text(&format!("/admin/users?user={alice_id}"))
        .await;
    assert!(page.contains(r#"value="Field service""#), "{page}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // The form starts with it; a record made without the input gets it, over MCP too.
    let alice = app.sign_in("alice").await;
    let (_, form) = alice.get_text("/apps/dept_visits/ops/add").await;
    assert!(form.contains(r#"value="Field service""#), "{form}");
    let token = app.token("alice");
    let r = call_tool(&app, &token, "dept_visits_add", json!({"place": "Depot"})).await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let r = call_tool(&app, &token, "dept_visits_mine", json!({})).await;
    let fields = &r["structuredContent"]["rows"][0]["fields"];
    assert_eq!(fields["department"], json!("Field service"), "{r}");
    assert_eq!(fields["visitor"], json!("alice"), "{r}");
    // Someone without a department gets none; the CLI sets and clears it.
    let r = call_tool(
        &app,
        &app.token("bob"),
        "dept_visits_add",
        json!({"place": "Port"}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let r = call_tool(&app, &app.token("bob"), "dept_visits_mine", json!({})).await;
    assert!(
        r["structuredContent"]["rows"][0]["fields"]["department"].is_null(),
        "{r}"
    );
    let said = app.cli(&["user", "set-department", "bob", "Finance"], None);
    assert!(said.contains("Finance"), "{said}");
    let r = call_tool(
        &app,
        &app.token("bob"),
        "dept_visits_add",
        json!({"place": "Bank"}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let r = call_tool(&app, &app.token("bob"), "dept_visits_mine", json!({})).await;
    assert!(r.to_string().contains("Finance"), "{r}");
}
