//! Workflow: routing to the person's own manager (team scopes), stand-ins, conditional
//! transitions (a claim over the limit also needs finance), the rejection loop, and bulk
//! decisions with per-record results.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// A claim of `s` filled with `net` in `currency` on `date`, uploaded and submitted; its id.
async fn claim(s: &Session, purpose: &str, net: &str, currency: &str, date: &str) -> i64 {
    let id = s.new_claim(purpose).await;
    let r = s
        .run_op(
            "upload_receipt",
            Some((id, 1)),
            &[],
            Some(("receipt", "r.png", png_receipt(purpose.len() as u8 ^ 0x5a))),
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
                ("supplier", "Rail Co"),
                ("expense_date", date),
                ("net", net),
                ("tax", "0"),
                ("currency", currency),
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
    let r = s.run_op("submit", Some((id, 3)), &[], None).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    id
}

fn add_user(app: &TestApp, name: &str, roles: &[&str]) {
    let mut args = vec!["user", "add", "--username", name];
    for r in roles {
        args.push("--role");
        args.push(r);
    }
    app.cli(&args, Some(&format!("{PASSWORD}\n")));
}

fn record(id: i64) -> String {
    format!("/apps/expense_claims/records/{id}")
}

async fn status_of(s: &Session, id: i64) -> String {
    let (code, page) = s.get_text(&record(id)).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    let marker = "class=\"badge status-";
    let at = page.find(marker).expect("status badge") + marker.len();
    page[at..]
        .split('>')
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_manager_sees_and_decides_only_the_claims_of_their_own_reports() {
    let app = spawn_app().await;
    add_user(&app, "carl", &["employee"]);
    add_user(&app, "tom", &["manager", "employee"]);
    app.cli(&["user", "set-manager", "carl", "tom"], None);
    let bob = app.sign_in("bob").await;
    let carl = app.sign_in("carl").await;
    let maria = app.sign_in("maria").await;
    let tom = app.sign_in("tom").await;
    let bobs = claim(&bob, "Bob's train", "40", "EUR", "2026-02-01").await;
    let carls = claim(&carl, "Carl's taxi", "30", "EUR", "2026-02-01").await;

    let (_, page) = maria
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    assert!(page.contains("s train"), "{page}");
    assert!(
        !page.contains("Carl"),
        "another team's claim is listed: {page}"
    );
    let (_, page) = tom
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    assert!(page.contains("Carl"), "{page}");
    assert!(!page.contains("Bob"), "{page}");

    // Not in Maria's team: she can neither open nor approve it.
    let (code, _) = maria.get_text(&record(carls)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let r = maria
        .run_op(
            "approve",
            Some((carls, 4)),
            &[("manager_comment", "ok")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&carl, carls).await, "Submitted");
    // Her own report's claim she may.
    let r = maria
        .run_op(
            "approve",
            Some((bobs, 4)),
            &[("manager_comment", "ok")],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(status_of(&bob, bobs).await, "Approved");

    // Over MCP the same view gives the same rows.
    app.enable_mcp().await;
    let token = app.token("tom");
    let result = call_tool(&app, &token, "expense_claims_claims_to_approve", json!({})).await;
    let rows = rows_of(&result["structuredContent"]);
    assert_eq!(rows.len(), 1, "{result}");
    assert_eq!(rows[0]["id"], json!(carls), "{result}");
}

#[tokio::test]
async fn a_manager_cannot_be_made_a_report_of_their_own_report() {
    let app = spawn_app().await;
    let out = app.cli_raw(&["user", "set-manager", "maria", "bob"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loop"), "{err}");
    let out = app.cli_raw(&["user", "set-manager", "bob", "bob"], None);
    assert!(!out.status.success());
    assert!(app
        .cli(&["user", "set-manager", "bob", ""], None)
        .contains("reports to nobody"));

    // The admin page does the same, and only for administrators.
    let admin = app.sign_in("admin").await;
    let (_, users) = admin.get_text("/admin/users").await;
    let maria_id = id_in(&users, "maria");
    let alice_id = id_in(&users, "alice");
    let r = admin
        .post_form(
            &format!("/admin/users/{maria_id}"),
            &[("action", "manager"), ("manager", &alice_id.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("loop"));
    let alice = app.sign_in("alice").await;
    let r = alice
        .post_form(
            &format!("/admin/users/{alice_id}"),
            &[("action", "manager"), ("manager", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// A user's id from the users admin page's links.
fn id_in(page: &str, username: &str) -> i64 {
    let at = page
        .find(&format!("> {username}</span>"))
        .unwrap_or_else(|| panic!("{username} on the page"));
    let before = &page[..at];
    let link = before.rfind("/admin/users?user=").expect("user link") + "/admin/users?user=".len();
    before[link..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .expect("user id")
}

#[tokio::test]
async fn a_claim_over_the_limit_goes_to_finance_after_the_manager() {
    let app = spawn_app().await;
    add_user(&app, "fiona", &["finance", "employee"]);
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;
    let fiona = app.sign_in("fiona").await;
    // 2,000 USD on 2026-02-01 at the rate of 2026-01-02 (1.172 per EUR) is 1,706.48 EUR.
    let big = claim(&bob, "Client workshop", "2000", "USD", "2026-02-01").await;
    let small = claim(&bob, "Taxi", "50", "USD", "2026-02-01").await;

    let (_, page) = bob.get_text(&record(big)).await;
    assert!(
        page.contains("1,706.48") || page.contains("1706.48"),
        "{page}"
    );
    let (_, page) = maria.get_text(&record(big)).await;
    assert!(page.contains("Approve and send to finance"), "{page}");
    assert!(
        page.contains("is not available: only when"),
        "the unmet condition is explained: {page}"
    );
    // The condition holds on the server, whatever the form sends.
    let r = maria
        .run_op(
            "approve",
            Some((big, 4)),
            &[("manager_comment", "ok")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(body.contains("at most 1000"), "{body}");
    let r = maria
        .run_op(
            "approve_over_limit",
            Some((big, 4)),
            &[("manager_comment", "fine by me")],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(status_of(&bob, big).await, "Manager approved");
    // The small one is approved in one step, and is never finance's.
    let r = maria
        .run_op("approve_over_limit", Some((small, 4)), &[], None)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = maria.run_op("approve", Some((small, 4)), &[], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&bob, small).await, "Approved");

    let (_, queue) = fiona
        .get_text("/apps/expense_claims/views/finance_review")
        .await;
    assert!(
        queue.contains("Client workshop") && !queue.contains("Taxi"),
        "{queue}"
    );
    let (_, notices) = fiona.get_text("/notifications").await;
    assert!(
        notices.contains("Client workshop"),
        "finance is told: {notices}"
    );
    let r = fiona
        .run_op("finance_approve", Some((big, 5)), &[], None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(status_of(&bob, big).await, "Approved");
    // Maria is no finance: the step is not hers.
    let (_, page) = maria
        .get_text("/apps/expense_claims/views/finance_review")
        .await;
    assert!(!page.contains("Client workshop"));
}

#[tokio::test]
async fn a_rejected_claim_goes_back_to_its_owner_to_fix_and_submit_again() {
    let app = spawn_app().await;
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;
    let id = claim(&bob, "Hotel Lyon", "120", "EUR", "2026-02-01").await;
    let r = maria
        .run_op(
            "reject",
            Some((id, 4)),
            &[("manager_comment", "Wrong receipt attached")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&bob, id).await, "Rejected");

    // The owner sees the comment where they fix the claim.
    let (code, form) = bob
        .get_text(&format!(
            "/apps/expense_claims/ops/upload_receipt?record={id}"
        ))
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(form.contains("Wrong receipt attached"), "{form}");
    let r = bob
        .run_op(
            "upload_receipt",
            Some((id, 5)),
            &[],
            Some(("receipt", "right.png", png_receipt(201))),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let r = bob
        .run_op(
            "fill_receipt_fields",
            Some((id, 6)),
            &[
                ("supplier", "Hotel Lyon"),
                ("expense_date", "2026-02-01"),
                ("net", "110"),
                ("tax", "10"),
                ("currency", "EUR"),
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
    let r = bob.run_op("submit", Some((id, 7)), &[], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&bob, id).await, "Submitted");
    // Someone else cannot fix it.
    let alice = app.sign_in("alice").await;
    let (code, _) = alice.get_text(&record(id)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_stand_in_decides_on_behalf_of_the_manager_away() {
    let app = spawn_app().await;
    add_user(&app, "tom", &["manager", "employee"]);
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;
    let tom = app.sign_in("tom").await;
    let id = claim(&bob, "Trade fair", "80", "EUR", "2026-02-01").await;
    let (_, page) = tom
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    assert!(!page.contains("Trade fair"));

    let (_, users) = maria.get_text("/profile/stand-ins").await;
    let tom_id = users
        .split("<option value=\"")
        .skip(1)
        .find(|o| o.contains("(tom)"))
        .and_then(|o| o.split('"').next())
        .expect("tom is offered")
        .to_string();
    let today = chrono::Utc::now().date_naive();
    let until = (today + chrono::Duration::days(7)).to_string();
    // A stand-in period that already ended is refused.
    let r = maria
        .post_form(
            "/profile/stand-ins",
            &[
                ("delegate", &tom_id),
                ("starts_on", "2020-01-01"),
                ("ends_on", "2020-01-05"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = maria
        .post_form(
            "/profile/stand-ins",
            &[
                ("delegate", &tom_id),
                ("starts_on", &today.to_string()),
                ("ends_on", &until),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (_, page) = tom
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    assert!(page.contains("Trade fair"), "{page}");
    let (_, page) = tom.get_text("/profile/stand-ins").await;
    assert!(page.contains("maria"), "{page}");
    let r = tom
        .run_op(
            "approve",
            Some((id, 4)),
            &[("manager_comment", "for Maria")],
            None,
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = bob.get_text(&record(id)).await;
    assert!(page.contains("by tom on behalf of maria"), "{page}");

    // Only Maria can withdraw it; then Tom's reach ends.
    let (_, mine) = maria.get_text("/profile/stand-ins").await;
    let sid = mine
        .split("/profile/stand-ins/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a withdraw form")
        .to_string();
    let r = tom
        .post_form(&format!("/profile/stand-ins/{sid}/remove"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = maria
        .http
        .post(maria.url(&format!("/profile/stand-ins/{sid}/remove")))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = maria
        .post_form(&format!("/profile/stand-ins/{sid}/remove"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let second = claim(&bob, "Second fair", "80", "EUR", "2026-02-01").await;
    let (code, _) = tom.get_text(&record(second)).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bulk_approval_applies_the_rest_and_lists_the_stale_one() {
    let app = spawn_app().await;
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(claim(&bob, &format!("Lunch {i:02}"), "12.50", "EUR", "2026-02-01").await);
    }
    let (_, page) = maria
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    let mut picks: Vec<String> = page
        .split("name=\"pick\" value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(String::from))
        .collect();
    assert_eq!(picks.len(), 20, "{page}");
    // One of them was changed after the page was read: its version is old now.
    let stale = picks[7].split(':').next().unwrap().parse::<i64>().unwrap();
    picks[7] = format!("{stale}:1");

    // Reject needs the comment: refused as a whole, nothing changed.
    let mut fields: Vec<(&str, &str)> = picks.iter().map(|p| ("pick", p.as_str())).collect();
    fields.push(("_op", "reject"));
    let r = maria
        .post_form("/apps/expense_claims/views/claims_to_approve/bulk", &fields)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_of(&bob, ids[0]).await, "Submitted");

    // Someone without the role gets nothing.
    let alice = app.sign_in("alice").await;
    let mut approve = fields.clone();
    approve.pop();
    approve.push(("_op", "approve"));
    let r = alice
        .post_form(
            "/apps/expense_claims/views/claims_to_approve/bulk",
            &approve,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    approve.push(("manager_comment", "Approved in bulk"));
    let r = maria
        .post_form(
            "/apps/expense_claims/views/claims_to_approve/bulk",
            &approve,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.contains("Applied to 19 records"), "{body}");
    assert!(body.contains("Not applied to 1 record"), "{body}");
    assert!(body.contains("changed since"), "{body}");
    for id in &ids {
        let want = if *id == stale {
            "Submitted"
        } else {
            "Approved"
        };
        assert_eq!(status_of(&bob, *id).await, want, "claim {id}");
    }
    // Each record got its own history entry.
    let (_, page) = bob.get_text(&record(ids[0])).await;
    assert!(page.contains("Approved in bulk"), "{page}");
}

#[tokio::test]
async fn the_app_editor_sets_team_scopes_conditions_shown_fields_and_bulk_operations() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let op = "/admin/apps/expense_claims/operations/approve/edit";
    let form = |value: &'static str| {
        vec![
            ("title", "Approve"),
            ("description", ""),
            ("kind", "transition"),
            ("roles", "manager"),
            ("scope", "all_reports"),
            ("not_own", "on"),
            ("inputs", "manager_comment"),
            ("from", "Submitted"),
            ("to", "Approved"),
            ("notify_owner", "on"),
            ("when_field", "total_home"),
            ("when_op", "lte"),
            ("when_value", value),
            ("when_field", ""),
            ("when_op", "eq"),
            ("when_value", ""),
            ("show", "receipt_check"),
        ]
    };
    let r = admin.post_form(op, &form("lots")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("is not a number"), "{page}");
    let r = admin.post_form(op, &form("500")).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin.get_text(op).await;
    assert!(page.contains("value=\"all_reports\" selected"), "{page}");

    let (_, view) = admin
        .get_text("/admin/apps/expense_claims/views/claims_to_approve/edit")
        .await;
    assert!(
        view.contains("name=\"bulk\" value=\"approve\" checked"),
        "{view}"
    );

    let r = admin
        .post_form("/admin/apps/expense_claims/publish", &[("note", "routing")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let toml = app.cli(&["app", "export", "expense_claims"], None);
    assert!(toml.contains("scope = \"all_reports\""), "{toml}");
    assert!(toml.contains("value = \"500\""), "{toml}");
    assert!(toml.contains("show = [\"receipt_check\"]"), "{toml}");

    // Not for anyone else.
    let maria = app.sign_in("maria").await;
    let r = maria.post_form(op, &form("500")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn over_mcp_an_unmet_condition_is_refused_with_its_reason_and_described_in_the_tool() {
    let app = spawn_app().await;
    // The sample app with a condition on an operation its MCP surface offers.
    let toml = std::fs::read_to_string(repo_root().join("seed-data/apps/expense_claims.toml"))
        .unwrap()
        .replace(
            "to = \"Submitted\"\n",
            "to = \"Submitted\"\nwhen = [{ field = \"total_home\", op = \"lte\", value = \"25\" }]\n",
        );
    let path = app.dir.path().join("claims.toml");
    std::fs::write(&path, toml).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    app.enable_mcp().await;
    let bob = app.sign_in("bob").await;
    let id = bob.new_claim("Dinner").await;
    let r = bob
        .run_op(
            "fill_receipt_fields",
            Some((id, 1)),
            &[
                ("supplier", "Bistro"),
                ("expense_date", "2026-02-01"),
                ("net", "40"),
                ("tax", "0"),
                ("currency", "EUR"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let token = app.token("bob");
    let (_, listed) = mcp(&app, &token, "tools/list", json!({})).await;
    let submit = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "expense_claims_submit")
        .cloned()
        .expect("the submit tool");
    let text = submit.to_string();
    assert!(
        text.contains("Only possible when Total in home currency is at most 25"),
        "{text}"
    );
    let result = call_tool(
        &app,
        &token,
        "expense_claims_submit",
        json!({"record_id": id}),
    )
    .await;
    assert_eq!(result["isError"], json!(true), "{result}");
    let said = result.to_string();
    assert!(
        said.contains("only when Total in home currency is at most 25"),
        "{said}"
    );
    assert!(said.contains("40.00"), "{said}");
}

#[tokio::test]
async fn the_whole_team_scope_reaches_reports_of_reports() {
    let app = spawn_app().await;
    add_user(&app, "tom", &["manager", "employee"]);
    app.cli(&["user", "set-manager", "maria", "tom"], None);
    let toml = std::fs::read_to_string(repo_root().join("seed-data/apps/expense_claims.toml"))
        .unwrap()
        .replace(
            "scope = \"reports\"\ncolumns",
            "scope = \"all_reports\"\ncolumns",
        );
    assert!(toml.contains("all_reports"));
    let path = app.dir.path().join("claims.toml");
    std::fs::write(&path, toml).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    let bob = app.sign_in("bob").await;
    let maria = app.sign_in("maria").await;
    let tom = app.sign_in("tom").await;
    claim(&bob, "Bob's hotel", "90", "EUR", "2026-02-01").await;
    claim(&maria, "Maria's flight", "300", "EUR", "2026-02-01").await;
    let (_, page) = tom
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    assert!(
        page.contains("s hotel") && page.contains("s flight"),
        "{page}"
    );
    let (_, page) = maria
        .get_text("/apps/expense_claims/views/claims_to_approve")
        .await;
    assert!(
        page.contains("s hotel") && !page.contains("s flight"),
        "{page}"
    );
}
