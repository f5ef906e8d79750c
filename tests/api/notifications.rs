//! Notifications: operations that declare `notify` write notices in the change's transaction;
//! each user sees only their own; the email outbox is claimed by one worker at a time.
use crate::engine_rules::submitted_claim;
use crate::helpers::*;
use reqwest::StatusCode;

fn unread(page: &str) -> u64 {
    let (_, rest) = page
        .split_once("id=\"unread-count\">")
        .expect("the notifications page shows the unread count");
    rest.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number of unread notices")
}

fn notice_ids(page: &str) -> Vec<i64> {
    page.split("action=\"/notifications/")
        .skip(1)
        .filter_map(|s| s.split('/').next()?.parse().ok())
        .collect()
}

#[tokio::test]
async fn a_submit_tells_the_managers_and_a_decision_tells_the_owner() {
    let app = spawn_app().await;
    app.cli(&["user", "set-email", "maria", "maria@example.com"], None);
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;

    let id = submitted_claim(&alice, "Train to Lyon").await;
    let (status, page) = maria.get_text("/notifications").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unread(&page), 1, "{page}");
    assert!(page.contains("Train to Lyon"));
    assert!(page.contains("Submit"));
    assert!(page.contains(&format!("/apps/expense_claims/records/{id}")));
    let (_, badge) = maria.get_text("/notifications/unread.svg").await;
    assert!(badge.contains(">1<"), "{badge}");
    // Nobody else is told of a submit: not the other employee, not the one who did it.
    let (_, page) = bob.get_text("/notifications").await;
    assert_eq!(unread(&page), 0);
    assert!(!page.contains("Train to Lyon"));
    let (_, page) = alice.get_text("/notifications").await;
    assert_eq!(unread(&page), 0);

    let r = maria
        .run_op("approve", Some((id, 4)), &[("manager_comment", "ok")], None)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = alice.get_text("/notifications").await;
    assert_eq!(unread(&page), 1);
    assert!(
        page.contains("Approve") && page.contains("<td>maria</td>"),
        "{page}"
    );

    // The outbox holds maria's email (no SMTP server: it stays queued); alice has no address.
    let admin = app.sign_in("admin").await;
    let (status, outbox) = admin.get_text("/admin/outbox?status=queued").await;
    assert_eq!(status, StatusCode::OK);
    assert!(outbox.contains("maria@example.com"), "{outbox}");
    assert!(outbox.contains("Submit: Train to Lyon"));
    assert!(!outbox.contains("Approve: Train to Lyon"));
    let (status, _) = maria.get_text("/admin/outbox").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_user_can_mark_only_their_own_notices_read() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;
    submitted_claim(&alice, "Taxi").await;
    submitted_claim(&bob, "Hotel").await;
    let (_, page) = maria.get_text("/notifications").await;
    assert_eq!(unread(&page), 2);
    let ids = notice_ids(&page);
    assert_eq!(ids.len(), 2, "{page}");

    // Bob marks maria's notice as read: nothing changes for her.
    let r = bob
        .post_form(&format!("/notifications/{}/read", ids[0]), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = maria.get_text("/notifications").await;
    assert_eq!(unread(&page), 2);
    // Without the CSRF token, refused.
    let r = maria
        .http
        .post(maria.url(&format!("/notifications/{}/read", ids[0])))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::SEE_OTHER);

    let r = maria
        .post_form(&format!("/notifications/{}/read", ids[0]), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = maria.get_text("/notifications").await;
    assert_eq!(unread(&page), 1);
    let r = maria.post_form("/notifications/read", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = maria.get_text("/notifications").await;
    assert_eq!(unread(&page), 0);
    let (_, badge) = maria.get_text("/notifications/unread.svg").await;
    assert!(!badge.contains("<text"));
}

#[tokio::test]
async fn two_workers_never_claim_the_same_email() {
    let app = spawn_app().await;
    app.cli(&["user", "set-email", "maria", "maria@example.com"], None);
    let alice = app.sign_in("alice").await;
    for i in 0..6 {
        submitted_claim(&alice, &format!("Claim {i}")).await;
    }
    let store = formwork::store::Store::connect(&app.db_url).await.unwrap();
    let now = chrono::Utc::now() + chrono::Duration::seconds(1);
    let stale = now - chrono::Duration::minutes(5);
    let (a, b) = tokio::join!(
        store.claim_emails("worker-a", now, stale),
        store.claim_emails("worker-b", now, stale)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<i64> = a.iter().chain(b.iter()).map(|n| n.id).collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!(before, 6, "every queued email is claimed once");
    assert_eq!(all.len(), 6, "no email is claimed twice");
    // A claimed email is not claimed again while the claim is fresh.
    let again = store.claim_emails("worker-c", now, stale).await.unwrap();
    assert!(again.is_empty());
    // Only the claim holder records the outcome.
    let first = a.first().or(b.first()).unwrap();
    store.email_sent(first.id, "worker-c", now).await.unwrap();
    let holder = if a.iter().any(|n| n.id == first.id) {
        "worker-a"
    } else {
        "worker-b"
    };
    let queued = store.outbox(Some("queued"), 100).await.unwrap();
    assert_eq!(queued.len(), 6);
    store.email_sent(first.id, holder, now).await.unwrap();
    let sent = store.outbox(Some("sent"), 100).await.unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].idempotency_key, first.idempotency_key);
    // A worker that died keeps its claim only until it is stale.
    let later = now + chrono::Duration::minutes(10);
    let taken = store
        .claim_emails("worker-d", later, later - chrono::Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(taken.len(), 5);
    store.close().await.unwrap();
}

#[tokio::test]
async fn the_app_editor_sets_who_is_told() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let path = "/admin/apps/expense_claims/operations/approve/edit";
    let (status, page) = admin.get_text(path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"name="notify_owner" value="on" checked"#),
        "approve tells the owner in the sample app"
    );
    let base = [
        ("title", "Approve"),
        ("kind", "transition"),
        ("roles", "manager"),
        ("scope", "all"),
        ("not_own", "on"),
        ("inputs", "manager_comment"),
        ("from", "Submitted"),
        ("to", "Approved"),
    ];
    let mut fields = base.to_vec();
    fields.extend([("notify_owner", "on"), ("notify_role", "manager")]);
    let r = admin.post_form(path, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let toml = app.cli(&["app", "export", "expense_claims"], None);
    assert!(
        toml.contains("[[operations.approve.notify]]\nto = \"role\"\nrole = \"manager\""),
        "{toml}"
    );
    // An undeclared role is refused beside the "Tell" controls, and nothing changes.
    let mut fields = base.to_vec();
    fields.push(("notify_role", "managr"));
    let r = admin.post_form(path, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("unknown role `managr`"), "{page}");
    let again = app.cli(&["app", "export", "expense_claims"], None);
    assert_eq!(toml, again);
}

#[tokio::test]
async fn email_addresses_are_checked_by_the_cli() {
    let app = spawn_app().await;
    let out = app.cli_raw(&["user", "set-email", "maria", "not-an-address"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an email address"));
    let out = app.cli_raw(&["user", "set-email", "nobody", "n@example.com"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named `nobody`"));
    let out = app.cli_raw(
        &[
            "user",
            "add",
            "--username",
            "eve",
            "--role",
            "employee",
            "--email",
            "eve@",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(!out.status.success(), "a bad address creates no user");
    let said = app.cli(
        &[
            "user",
            "add",
            "--username",
            "eve",
            "--role",
            "employee",
            "--email",
            "eve@example.com",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        said.contains("eve's email address is now eve@example.com"),
        "{said}"
    );
    let said = app.cli(&["user", "set-email", "eve", ""], None);
    assert!(said.contains("eve has no email address now"), "{said}");
}

#[tokio::test]
async fn a_notice_about_a_record_one_can_no_longer_open_has_no_dead_link() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let maria = app.sign_in("maria").await;
    let id = submitted_claim(&alice, "Hotel in Porto").await;
    let link = format!("href=\"/apps/expense_claims/records/{id}\"");
    let (_, page) = maria.get_text("/notifications").await;
    assert!(page.contains(&link), "while it waits for her: {page}");
    let r = maria
        .run_op("approve", Some((id, 4)), &[("manager_comment", "ok")], None)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The sample app grants managers the claims waiting for them, not approved ones.
    let (status, _) = maria
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = maria.get_text("/notifications").await;
    assert!(page.contains("Hotel in Porto"), "the notice stays: {page}");
    assert!(
        !page.contains(&link),
        "but without a link to a page that would say 404"
    );
    assert!(page.contains("no longer open to you"));
}
