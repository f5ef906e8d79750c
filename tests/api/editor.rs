//! The App Editor on a published app with records: no edit loses data. A rename keeps values
//! and history, a removed field keeps its values and gets them back when re-added, a type change
//! or a dropped option that stored values do not fit is refused with a count, a rollback renames
//! back; expression indexes follow. Also: access control on every editor route, "nothing to
//! publish", versions with notes, and the CLI's export/versions/rollback.
use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};

/// The stored value of `key` in a record's data, read straight from the database.
async fn stored(app: &TestApp, id: i64, key: &str) -> Option<String> {
    let db = Database::connect(&app.db_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            format!("SELECT data->>'{key}' AS v FROM records WHERE id = $1")
        }
        _ => format!("SELECT json_extract(data, '$.{key}') AS v FROM records WHERE id = ?"),
    };
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            &sql,
            vec![id.into()],
        ))
        .await
        .unwrap();
    let v = row.and_then(|r| r.try_get::<Option<String>>("", "v").ok().flatten());
    db.close().await.ok();
    v
}

/// Names of the app's expression indexes.
async fn index_names(app: &TestApp) -> Vec<String> {
    let db = Database::connect(&app.db_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT indexname AS name FROM pg_indexes WHERE tablename = 'records'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records'",
    };
    let rows = db
        .query_all(Statement::from_string(backend, sql))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .filter(|n| n.starts_with("ix_rec_"))
        .collect()
}

/// The form of a text field, as the editor posts it.
fn text_field_form<'a>(label: &'a str, name: &'a str, max_len: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("label", label),
        ("name", name),
        ("type", "text"),
        ("help", ""),
        ("default", ""),
        ("max_len", max_len),
    ]
}

async fn publish(admin: &Session, note: &str) -> reqwest::Response {
    admin
        .post_form("/admin/apps/expense_claims/publish", &[("note", note)])
        .await
}

#[tokio::test]
async fn renaming_a_field_keeps_every_value_its_history_and_its_index() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Taxi to the airport").await;
    let r = alice
        .run_op(
            "fill_receipt_fields",
            Some((id, version_of(&alice, id).await)),
            &[
                ("supplier", "Blue Cabs"),
                ("expense_date", "2026-11-01"),
                ("currency", "EUR"),
                ("net", "20"),
                ("tax", "2"),
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
    assert!(index_names(&app)
        .await
        .iter()
        .any(|n| n.contains("_supplier_")));

    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields/supplier",
            &text_field_form("Vendor", "vendor", "200"),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    // Until it is published, the records keep the old key and the app works as before.
    assert_eq!(
        stored(&app, id, "supplier").await.as_deref(),
        Some("Blue Cabs")
    );
    let (_, diff) = admin.get_text("/admin/apps/expense_claims/versions").await;
    assert!(diff.contains("renamed from `supplier`"), "{diff}");
    // Another tab's save (Integration) keeps the pending rename.
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/views/my_claims",
            &[
                ("enabled", "on"),
                ("format", "columns"),
                ("description", ""),
                ("instructions", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = publish(&admin, "supplier is now vendor").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    assert_eq!(
        stored(&app, id, "vendor").await.as_deref(),
        Some("Blue Cabs")
    );
    assert_eq!(stored(&app, id, "supplier").await, None);
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(
        page.contains("Vendor") && page.contains("Blue Cabs"),
        "{page}"
    );
    assert!(
        page.contains("Supplier name"),
        "the history keeps the label of its time"
    );
    let history = &page[page.find("History").unwrap()..];
    assert!(history.contains("Blue Cabs"), "and its values: {history}");
    let (_, list) = alice
        .get_text("/apps/expense_claims/views/my_claims?p_supplier=blue")
        .await;
    assert!(
        list.contains("Taxi to the airport"),
        "the parameter follows the rename"
    );
    let names = index_names(&app).await;
    assert!(names.iter().any(|n| n.contains("_vendor_")), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("_supplier_")), "{names:?}");
    let (_, versions) = admin.get_text("/admin/apps/expense_claims/versions").await;
    assert!(versions.contains("supplier is now vendor") && versions.contains("supplier → vendor"));

    // Rolling back to version 1 renames it back, values and all.
    let out = app.cli(&["app", "rollback", "expense_claims", "--to", "1"], None);
    assert!(out.contains("now the draft"), "{out}");
    app.cli(
        &["app", "publish", "expense_claims", "--note", "back"],
        None,
    );
    assert_eq!(
        stored(&app, id, "supplier").await.as_deref(),
        Some("Blue Cabs")
    );
    assert_eq!(stored(&app, id, "vendor").await, None);
    let listed = app.cli(&["app", "versions", "expense_claims"], None);
    assert!(
        listed.lines().count() == 3 && listed.contains("back"),
        "{listed}"
    );
}

#[tokio::test]
async fn a_removed_field_keeps_its_values_and_gets_them_back_when_added_again() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Hotel in Lyon").await;
    let toml = app.cli(&["app", "export", "expense_claims"], None);
    // Without `purpose` (and its uses): the title and the inputs go too.
    let def_path = app.dir.path().join("without.toml");
    let mut def: toml::Value = toml::from_str(&toml).unwrap();
    let t = def.as_table_mut().unwrap();
    t.remove("title_field");
    t["fields"].as_table_mut().unwrap().remove("purpose");
    for (_, op) in t["operations"].as_table_mut().unwrap().iter_mut() {
        for key in ["inputs", "required", "requires"] {
            if let Some(list) = op.get_mut(key).and_then(|l| l.as_array_mut()) {
                list.retain(|v| v.as_str() != Some("purpose"));
            }
        }
    }
    for (_, view) in t["views"].as_table_mut().unwrap().iter_mut() {
        if let Some(list) = view.get_mut("columns").and_then(|l| l.as_array_mut()) {
            list.retain(|v| v.as_str() != Some("purpose"));
        }
    }
    std::fs::write(&def_path, toml::to_string(&def).unwrap()).unwrap();
    app.cli(
        &["app", "import", def_path.to_str().unwrap(), "--publish"],
        None,
    );
    // The server notices a publication by another process within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        stored(&app, id, "purpose").await.as_deref(),
        Some("Hotel in Lyon")
    );
    let (_, page) = alice
        .get_text(&format!("/apps/expense_claims/records/{id}"))
        .await;
    assert!(!page.contains("<dt>Purpose</dt>"), "the field is hidden");
    assert!(page.contains("Hotel in Lyon"), "its history stays readable");

    // Back again: the value shows.
    let orig = repo_root().join("seed-data/apps/expense_claims.toml");
    app.cli(
        &["app", "import", orig.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, page) = alice.get_text("/apps/expense_claims/views/my_claims").await;
    assert!(page.contains("Hotel in Lyon"), "{page}");
}

#[tokio::test]
async fn a_type_change_that_stored_values_do_not_fit_is_refused_with_a_count() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let a = alice.new_claim("12").await;
    let b = alice.new_claim("Dinner").await;
    let c = alice.new_claim("Lunch").await;
    let admin = app.sign_in("admin").await;
    let mut form = text_field_form("Purpose", "purpose", "");
    form[2] = ("type", "number");
    form.push(("min", ""));
    form.push(("max", ""));
    let r = admin
        .post_form("/admin/apps/expense_claims/fields/purpose", &form)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("2 records hold values that do not fit"),
        "{page}"
    );
    assert!(
        page.contains(&format!("/apps/expense_claims/records/{b}")),
        "links the records"
    );
    assert!(page.contains(&format!("#{c}")));
    assert!(
        !page.contains(&format!("records/{a}\"")),
        "12 fits a number"
    );
    let (_, versions) = admin.get_text("/admin/apps/expense_claims/versions").await;
    assert!(versions.contains("nothing to publish"), "nothing was saved");
}

#[tokio::test]
async fn dropping_an_option_in_use_needs_a_mapping_and_the_mapping_moves_the_records() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let id = alice.new_claim("Train").await; // category Travel
    let admin = app.sign_in("admin").await;
    let choice = |opts: &'static str| {
        vec![
            ("label", "Category"),
            ("name", "category"),
            ("type", "choice"),
            ("help", ""),
            ("default", ""),
            ("options", opts),
        ]
    };
    let opts = "Meals\nLodging\nOffice supplies\nSoftware\nTraining\nOther";
    let r = admin
        .post_form("/admin/apps/expense_claims/fields/category", &choice(opts))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("1 record use options this change drops"),
        "{page}"
    );
    assert!(
        page.contains("name=\"map_from\" value=\"Travel\""),
        "offers a mapping"
    );
    let mut with_map = choice(opts);
    with_map.push(("map_from", "Travel"));
    with_map.push(("map_to", "Other"));
    let r = admin
        .post_form("/admin/apps/expense_claims/fields/category", &with_map)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        stored(&app, id, "category").await.as_deref(),
        Some("Travel")
    );
    let (_, before) = alice
        .get_text("/apps/expense_claims/views/my_claims/summaries/by_category.csv")
        .await;
    assert!(before.contains("\nTravel,"), "{before}");
    let r = publish(&admin, "no more Travel").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app, id, "category").await.as_deref(), Some("Other"));
    // The summaries follow the rewritten records (their rollups are built again).
    let (_, after) = alice
        .get_text("/apps/expense_claims/views/my_claims/summaries/by_category.csv")
        .await;
    assert!(
        after.contains("\nOther,") && !after.contains("Travel"),
        "{after}"
    );
}

#[tokio::test]
async fn publishing_an_unchanged_draft_is_refused() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let r = publish(&admin, "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("nothing to publish"));
    let out = app.cli_raw(&["app", "publish", "expense_claims"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to publish"));
}

#[tokio::test]
async fn an_administrator_builds_an_app_from_blank_and_a_typo_in_a_role_is_refused() {
    let app = spawn_app().await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/new",
            &[
                ("name", "Site Visits"),
                ("slug", ""),
                ("description", "Visits"),
                ("template", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let base = "/admin/apps/site_visits";
    for (label, kind) in [
        ("Visited on", "date"),
        ("Hours", "number"),
        ("State", "choice"),
    ] {
        let r = admin
            .post_form(
                &format!("{base}/fields"),
                &[("label", label), ("type", kind)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{label}");
    }
    let r = admin
        .post_form(
            &format!("{base}/general"),
            &[
                ("name", "Site Visits"),
                ("slug", "site_visits"),
                ("description", "Visits"),
                ("title_field", "title"),
                ("state_field", "state"),
                ("roles", "staff\nadmin"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let r = admin
        .post_form(&format!("{base}/views"), &[("title", "My visits")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let view_form = |role: &'static str| {
        vec![
            ("title", "My visits"),
            ("description", ""),
            ("roles", role),
            ("scope", "own"),
            ("columns", "title"),
            ("columns", "visited_on"),
            ("sort", "-visited_on"),
            ("filter_field", ""),
            ("filter_op", "eq"),
            ("filter_value", ""),
            ("param_name", "state"),
            ("param_field", "state"),
            ("param_op", "eq"),
            ("param_label", "State"),
            ("param_required", "no"),
            ("per_page", "25"),
        ]
    };
    let r = admin
        .post_form(&format!("{base}/views/my_visits/edit"), &view_form("staf"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("unknown role `staf`; did you mean `staff`?"),
        "{page}"
    );
    let r = admin
        .post_form(&format!("{base}/views/my_visits/edit"), &view_form("staff"))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let r = admin
        .post_form(
            &format!("{base}/operations"),
            &[("title", "Log a visit"), ("kind", "create")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = publish_app(&admin, "site_visits").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let toml = app.cli(&["app", "export", "site_visits"], None);
    assert!(
        toml.contains("[views.my_visits]") && toml.contains("\"staff\","),
        "{toml}"
    );
    // What the editor produced imports back to the same app.
    let path = app.dir.path().join("site_visits.toml");
    std::fs::write(&path, &toml).unwrap();
    let out = app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    assert!(out.contains("nothing to publish"), "{out}");
}

async fn publish_app(admin: &Session, slug: &str) -> reqwest::Response {
    admin
        .post_form(&format!("/admin/apps/{slug}/publish"), &[("note", "first")])
        .await
}

#[tokio::test]
async fn only_administrators_reach_the_app_editor() {
    let app = spawn_app().await;
    let alice = app.sign_in("alice").await;
    let maria = app.sign_in("maria").await;
    let gets = [
        "/admin/apps/new",
        "/admin/apps/expense_claims",
        "/admin/apps/expense_claims/fields",
        "/admin/apps/expense_claims/fields/purpose",
        "/admin/apps/expense_claims/views",
        "/admin/apps/expense_claims/views/my_claims/edit",
        "/admin/apps/expense_claims/operations",
        "/admin/apps/expense_claims/operations/submit/edit",
        "/admin/apps/expense_claims/versions",
    ];
    let posts = [
        "/admin/apps/new",
        "/admin/apps/expense_claims/general",
        "/admin/apps/expense_claims/fields",
        "/admin/apps/expense_claims/fields/purpose",
        "/admin/apps/expense_claims/fields/purpose/move",
        "/admin/apps/expense_claims/fields/purpose/remove",
        "/admin/apps/expense_claims/views",
        "/admin/apps/expense_claims/views/my_claims/edit",
        "/admin/apps/expense_claims/views/my_claims/remove",
        "/admin/apps/expense_claims/operations",
        "/admin/apps/expense_claims/operations/submit/edit",
        "/admin/apps/expense_claims/operations/submit/remove",
        "/admin/apps/expense_claims/publish",
        "/admin/apps/expense_claims/rollback",
    ];
    for s in [&alice, &maria] {
        for path in gets {
            let (status, _) = s.get_text(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "GET {path}");
        }
        for path in posts {
            let r = s
                .post_form(path, &[("to", "1"), ("name", "x"), ("title", "x")])
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "POST {path}");
        }
    }
    // Signed out: sent to sign in. A forged form (no CSRF token) from an admin: refused.
    let anon = client();
    let r = anon
        .get(app.url("/admin/apps/expense_claims/fields"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let admin = app.sign_in("admin").await;
    let r = admin
        .http
        .post(app.url("/admin/apps/expense_claims/fields/purpose/remove"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, fields) = admin.get_text("/admin/apps/expense_claims/fields").await;
    assert!(
        fields.contains("<code>purpose</code>"),
        "nothing was removed"
    );
}
