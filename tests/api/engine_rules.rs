//! Permissions, concurrency, definitions and bad input, through the real server.
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn employee_cannot_see_or_change_another_employees_claim() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let id = alice.new_claim("Alice's dinner").await;

    let (status, _) = bob
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = bob.get_text("/apps/expense_claims/views/my_claims").await;
    assert!(!list.contains("Alice's dinner"));
    let r = bob
        .run_op(
            "fill_receipt_fields",
            Some((id, 1)),
            &[
                ("supplier", "Bob was here"),
                ("expense_date", "2026-01-01"),
                ("net", "1"),
                ("currency", "EUR"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = bob.get_text("/apps/expense_claims/views/all_claims").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the admin view is not granted to employees"
    );
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(!page.contains("Bob was here"));
}

#[tokio::test]
async fn employees_cannot_approve_and_managers_cannot_approve_their_own() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let maria = app.sign_in("maria").await;
    let id = submitted_claim(&alice, "Taxi").await;
    let r = alice.run_op("approve", Some((id, 4)), &[], None).await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "approve is not an operation alice has"
    );
    let own = submitted_claim(&maria, "Maria's train").await;
    let r = maria.run_op("approve", Some((own, 4)), &[], None).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("your own record"));
    let r = maria
        .run_op("reject", Some((id, 4)), &[("manager_comment", "")], None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "reject needs a comment"
    );
    assert!(r.text().await.unwrap().contains("is required"));
}

pub async fn submitted_claim(s: &Session, purpose: &str) -> i64 {
    let id = s.new_claim(purpose).await;
    let r = s
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "r.png", png_receipt(purpose.len() as u8))),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let r = s
        .run_op(
            "fill_receipt_fields",
            Some((id, 2)),
            &[
                ("supplier", "Uber"),
                ("expense_date", "2026-02-01"),
                ("net", "20"),
                ("tax", "0"),
                ("currency", "USD"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = s.run_op("submit", Some((id, 3)), &[], None).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    id
}

#[tokio::test]
async fn a_stale_version_is_refused_and_nothing_is_overwritten() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Conference").await;
    let fill = |supplier: &'static str| {
        [
            ("supplier", supplier),
            ("expense_date", "2026-01-02"),
            ("net", "5"),
            ("tax", "1"),
            ("currency", "GBP"),
        ]
    };
    let r = alice
        .run_op("fill_receipt_fields", Some((id, 1)), &fill("First"), None)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A second tab still holds version 1.
    let r = alice
        .run_op("fill_receipt_fields", Some((id, 1)), &fill("Second"), None)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(body.contains("changed since you read it"), "{body}");
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("First") && !page.contains(">Second<"));
    assert_eq!(version_of(&alice, id).await, 2);
}

#[tokio::test]
async fn invalid_input_gets_per_field_errors_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Books").await;
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id, 1)),
            &[
                ("supplier", "Shop"),
                ("expense_date", "2999-01-01"),
                ("net", "-4"),
                ("tax", "1.234"),
                ("currency", "EURO"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("in the future"), "date rule");
    assert!(body.contains("cannot be negative"), "amount rule");
    assert!(body.contains("ISO 4217"), "currency rule");
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id, 1)),
            &[
                ("supplier", "Shop"),
                ("expense_date", "2026-01-01"),
                ("net", "4"),
                ("tax", "1.234"),
                ("currency", "EUR"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("EUR amounts have at most 2"),
        "minor units per currency"
    );
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id, 1)),
            &[
                ("supplier", "Shop"),
                ("expense_date", "2026-01-01"),
                ("net", "1500.5"),
                ("tax", "0"),
                ("currency", "JPY"),
            ],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "JPY has no minor units"
    );
    assert_eq!(version_of(&alice, id).await, 1, "nothing was written");
    let r = alice.run_op("submit", Some((id, 1)), &[], None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("must be filled in before"));
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Uploads").await;
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.resize(4096, 0);
    let mut truncated = png_receipt(3);
    truncated.truncate(truncated.len() / 2);
    // Over the 20 MB file limit but within the form's body limit, so it is refused beside its
    // field (a body past that limit gets the 413 page; tests/api/uploads_robust.rs).
    let big = vec![0xFFu8; 20_500_000];
    for (name, bytes, expect) in [
        ("invoice.jpg", exe, "not a JPEG"),
        ("cut.png", truncated, "truncated"),
        (
            "huge.jpg",
            big,
            "the receipt is 20.5 MB; the largest accepted is 20 MB",
        ),
    ] {
        let r = alice
            .run_op(
                "upload_receipt",
                Some((id, 1)),
                &[],
                Some(("receipt", name, bytes)),
            )
            .await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert!(
            body.to_lowercase().contains(&expect.to_lowercase()),
            "{name}: expected `{expect}` in the error"
        );
    }
    assert_eq!(version_of(&alice, id).await, 1);
    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "ok.png", png_receipt(9))),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the server is still up and accepts a good file"
    );
}

#[tokio::test]
async fn an_unpublished_draft_is_invisible_until_published() {
    let app = spawn_app().await;
    let draft = r#"
slug = "trips"
name = "Trips"
[fields]
title = { type = "text", label = "Title", required = true }
[views.all]
title = "All trips"
roles = ["employee"]
scope = "all"
columns = ["title"]
[operations.add]
title = "Add trip"
kind = "create"
roles = ["employee"]
inputs = ["title"]
"#;
    let path = app.dir.path().join("trips.toml");
    std::fs::write(&path, draft).unwrap();
    app.cli(&["app", "import", path.to_str().unwrap()], None);
    let alice = app.sign_in("alice").await;
    let (status, _) = alice.get_text("/apps/trips/views/all").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a draft is not visible");
    app.cli(&["app", "publish", "trips"], None);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = alice.get_text("/apps/trips/views/all").await;
    assert_eq!(status, StatusCode::OK, "published now");
}

#[tokio::test]
async fn bad_definitions_are_refused_with_the_path_of_the_problem() {
    let app = spawn_app().await;
    let path = app.dir.path().join("bad.toml");
    let def =
        std::fs::read_to_string(repo_root().join("seed-data/apps/expense_claims.toml")).unwrap();
    std::fs::write(
        &path,
        def.replace(
            "parameters.status    = { field = \"status\"",
            "parameters.status    = { stat = \"status\"",
        ),
    )
    .unwrap();
    let out = app.cli_raw(&["app", "import", path.to_str().unwrap()], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("views.my_claims.parameters.status: unknown field `stat`"),
        "{err}"
    );

    let admin = app.sign_in("admin").await;
    let bad = "slug = \"x\"\nname = \"X\"\n[fields]\na = { type = \"text\", label = \"A\" }\n[views.v]\ntitle = \"V\"\nroles = [\"r\"]\ncolumns = [\"zz\"]\n";
    let form = reqwest::multipart::Form::new()
        .text("csrf", admin.csrf.clone())
        .text("definition", bad);
    let r = admin
        .http
        .post(admin.url("/admin/apps/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("views.v.columns[0]: unknown field `zz`"));
    let (_, page) = admin.get_text("/admin/apps").await;
    assert!(!page.contains("/admin/apps/x\""), "nothing was imported");
}
