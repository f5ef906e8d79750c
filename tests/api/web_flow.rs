//! The Expense Claims flow through the web UI, as employees and a manager use it.
use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn employee_claims_uploads_fills_submits_and_manager_approves() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Client visit Berlin").await;

    let r = alice
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "receipt.png", png_receipt(10))),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id, 2)),
            &[
                ("supplier", "Deutsche Bahn"),
                ("expense_date", "2026-03-05"),
                ("net", "100.00"),
                ("tax", "19.00"),
                ("currency", "eur"),
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
    let r = alice.run_op("submit", Some((id, 3)), &[], None).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("Submitted"), "status shown");
    assert!(
        page.contains("119.00"),
        "computed total shown with minor units"
    );
    assert!(page.contains("EUR"), "currency normalised");
    assert!(page.contains("receipt.png"), "attachment listed");

    let maria = app.sign_in("maria").await;
    let (status, list) = maria
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("Client visit Berlin"),
        "manager sees the submitted claim"
    );
    let r = maria
        .run_op(
            "approve",
            Some((id, 4)),
            &[("manager_comment", "Fine")],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(page.contains("Approved"));
    // History: newest first, each with actor and field diffs.
    let approve_at = page
        .find("<strong>Approve</strong> by maria")
        .expect("approve entry by maria");
    let submit_at = page
        .find("<strong>Submit</strong> by alice")
        .expect("submit entry by alice");
    let fill_at = page
        .find("<strong>Fill receipt fields</strong> by alice")
        .expect("fill entry");
    assert!(
        approve_at < submit_at && submit_at < fill_at,
        "history is newest first"
    );
    assert!(page.contains("Deutsche Bahn"), "diff shows the supplier");
}

#[tokio::test]
async fn views_filter_by_parameters_search_sort_page_and_export_csv() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    for i in 0..30 {
        let id = alice.new_claim(&format!("Trip {i:02}")).await;
        let supplier = if i % 3 == 0 {
            "Lufthansa"
        } else {
            "Hotel Adlon"
        };
        let date = format!("2026-01-{:02}", i + 1);
        let r = alice
            .run_op(
                "fill_receipt_fields",
                Some((id, 1)),
                &[
                    ("supplier", supplier),
                    ("expense_date", &date),
                    ("net", "10"),
                    ("tax", "1.9"),
                    ("currency", "EUR"),
                ],
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, page) = alice.get_text("/apps/expense_claims/views/my_claims").await;
    assert!(
        page.contains("1–25 of 30"),
        "paged at the view's 25 per page"
    );
    assert!(page.contains("Trip 29"), "newest expense date first");
    let (_, page) = alice
        .get_text("/apps/expense_claims/views/my_claims?page=2")
        .await;
    assert!(page.contains("26–30 of 30"));
    let (_, page) = alice
        .get_text("/apps/expense_claims/views/my_claims?p_supplier=lufth")
        .await;
    assert!(
        page.contains("of 10"),
        "supplier contains, case-insensitive"
    );
    let (_, page) = alice
        .get_text(
            "/apps/expense_claims/views/my_claims?p_date_from=2026-01-10&p_date_to=2026-01-12",
        )
        .await;
    assert!(page.contains("1–3 of 3"), "date range");
    let (_, page) = alice
        .get_text("/apps/expense_claims/views/my_claims?q=Trip%2007")
        .await;
    assert!(page.contains("1–1 of 1"), "quick search");
    let (_, page) = alice
        .get_text("/apps/expense_claims/views/my_claims?sort=purpose")
        .await;
    assert!(
        page.find("Trip 00").unwrap() < page.find("Trip 01").unwrap(),
        "sorted by purpose"
    );
    let (status, page) = alice
        .get_text("/apps/expense_claims/views/my_claims?p_status=Nope")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("is not one of"), "bad parameter explained");
    let csv = alice
        .get("/apps/expense_claims/views/my_claims/export.csv?p_supplier=lufthansa")
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.unwrap();
    assert_eq!(
        body.lines().count(),
        11,
        "header plus the 10 filtered rows: {body}"
    );
    assert!(body.lines().next().unwrap().contains("Supplier name"));
}

#[tokio::test]
async fn pages_need_sign_in_and_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    let anon = client();
    let r = anon
        .get(app.url("/apps/expense_claims/views/my_claims"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));

    let alice = app.sign_in("alice").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", "forged")
        .text("purpose", "x");
    let r = alice
        .http
        .post(alice.url("/apps/expense_claims/ops/new_claim"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, page) = alice.get_text("/apps/expense_claims/views/my_claims").await;
    assert!(
        page.contains("0 of 0") || page.contains("No records match"),
        "nothing was created"
    );
}

#[tokio::test]
async fn wrong_passwords_lock_the_account() {
    let app = spawn_app().await;
    let http = client();
    for _ in 0..5 {
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
            .form(&[("username", "bob"), ("password", "wrong"), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
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
        .form(&[("username", "bob"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "even the right password is refused while locked"
    );
    assert!(r.text().await.unwrap().contains("locked"));
}
