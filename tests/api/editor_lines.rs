//! The App Editor on a lines field's columns, on the trip report app: a column added, edited,
//! renamed, moved and removed, the bounds set, a new lines field made, each published and used
//! by the operation form; no edit loses data — a removed (or renamed) column that lines have
//! values in is refused with its count, a retype is refused when values do not fit and converted
//! when they all do, a dropped option in use is refused with its count; only administrators
//! reach the new pages. And lines moved on the web form without a script: the order shown is the
//! order saved, and the history says "lines reordered".
use crate::helpers::*;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;

const REPORTS: &str = include_str!("fixtures/travel_report.toml");
const FIELD: &str = "/admin/apps/trip_reports/fields/items";

async fn import(app: &TestApp) {
    let path = app.dir.path().join("reports.toml");
    std::fs::write(&path, REPORTS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

/// A record's stored lines, read straight from the database.
async fn stored_lines(app: &TestApp, id: i64) -> Vec<Value> {
    let db = Database::connect(&app.db_url).await.unwrap();
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT CAST(data AS TEXT) AS d FROM records WHERE id = $1"
        }
        _ => "SELECT data AS d FROM records WHERE id = ?",
    };
    let row = db
        .query_one(Statement::from_sql_and_values(
            backend,
            sql,
            vec![id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let text: String = row.try_get("", "d").unwrap();
    db.close().await.ok();
    let data: Value = serde_json::from_str(&text).unwrap();
    data["items"].as_array().cloned().unwrap_or_default()
}

/// Creates a report on the web form with these lines (column → value each); returns its id.
async fn report(s: &Session, purpose: &str, lines: &[&[(&str, &str)]]) -> i64 {
    let mut form: Vec<(String, String)> = vec![
        ("purpose".into(), purpose.into()),
        ("_blank_items".into(), "3".into()),
    ];
    for (i, line) in lines.iter().enumerate() {
        for (k, v) in line.iter() {
            form.push((format!("items[{i}][{k}]"), v.to_string()));
        }
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = s
        .run_op_in("trip_reports", "create", None, &pairs, None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    record_id_of(&r)
}

fn line<'a>(day: &'a str, what: &'a str, net: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("date", day),
        ("description", what),
        ("net", net),
        ("currency", "EUR"),
    ]
}

async fn publish(admin: &Session, note: &str) {
    let r = admin
        .post_form("/admin/apps/trip_reports/publish", &[("note", note)])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

/// A column's form as the editor posts it.
fn column_form<'a>(
    label: &'a str,
    name: &'a str,
    kind: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("label", label),
        ("name", name),
        ("type", kind),
        ("help", ""),
        ("default", ""),
    ];
    f.extend_from_slice(extra);
    f
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn an_administrator_adds_edits_moves_and_removes_columns_and_the_form_takes_them() {
    let app = spawn_app().await;
    import(&app).await;
    let admin = app.sign_in("admin").await;

    // The field's page lists its columns in order, with an "Add a column" form.
    let (status, page) = admin.get_text(FIELD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Columns of Items"), "{page}");
    let at = |p: &str, col: &str| p.find(&format!("/items/columns/{col}\"")).unwrap();
    assert!(at(&page, "date") < at(&page, "description"));
    assert!(page.contains(r#"aria-label="Remove column Net""#), "{page}");
    assert!(page.contains(r#"<label for="col-type">Column type</label>"#));
    assert!(!page.contains("columns set in the definition file"));

    // Add a column: it opens on its own page with its type's settings.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns"),
            &[("column_label", "Receipt number"), ("column_type", "text")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(
        location(&r),
        "/admin/apps/trip_reports/fields/items/columns/receipt_number?saved=1"
    );
    let (status, page) = admin
        .get_text(&format!("{FIELD}/columns/receipt_number"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for part in [
        r#"<label for="c-max_len">"#,
        "Required on every line",
        r#"<option value="integer">"#,
    ] {
        assert!(page.contains(part), "{part} in {page}");
    }
    assert!(
        !page.contains(r#"<option value="lines">"#),
        "only column types: no table in a table"
    );
    for kind in ["lookup", "computed", "converted", "multichoice", "datetime"] {
        assert!(
            page.contains(&format!(r#"<option value="{kind}">"#)),
            "a column may be of type {kind}"
        );
    }
    assert!(
        page.contains(r#"<option value="file">"#),
        "a line may carry a file"
    );
    assert!(!page.contains("c-visible_when"), "no conditions on columns");

    // Edit it: new label, a rename (no values yet), a maximum length, required.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/receipt_number"),
            &column_form(
                "Receipt no.",
                "receipt_no",
                "text",
                &[("max_len", "12"), ("required", "on")],
            ),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert!(location(&r).ends_with("/columns/receipt_no?saved=1"));
    // A bad setting is refused beside its control, nothing saved.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/receipt_no"),
            &column_form("Receipt no.", "receipt_no", "text", &[("max_len", "many")]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("`many` is not a positive whole number"),
        "{body}"
    );

    // Move it up, before Currency; a choice column and an integer with a unit.
    let r = admin
        .post_form(&format!("{FIELD}/columns/receipt_no/move"), &[("to", "up")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = admin.get_text(FIELD).await;
    assert!(at(&page, "receipt_no") < at(&page, "currency"), "{page}");
    assert!(at(&page, "net") < at(&page, "receipt_no"), "{page}");
    let r = admin
        .post_form(
            &format!("{FIELD}/columns"),
            &[
                ("column_label", "Nights"),
                ("column_name", "nights"),
                ("column_type", "integer"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/nights"),
            &column_form(
                "Nights",
                "nights",
                "integer",
                &[("min", "0"), ("max", "30"), ("unit", "nights")],
            ),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    // A column name taken, and a type columns cannot have: refused.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns"),
            &[("column_label", "Net"), ("column_type", "text")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("there is already a column `net`"));
    let r = admin
        .post_form(
            &format!("{FIELD}/columns"),
            &[("column_label", "Project"), ("column_type", "lines")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A file column is one (a receipt per line).
    let r = admin
        .post_form(
            &format!("{FIELD}/columns"),
            &[("column_label", "Scan"), ("column_type", "file")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The bounds, on the field's form.
    let r = admin
        .post_form(
            FIELD,
            &[
                ("label", "Items"),
                ("name", "items"),
                ("type", "lines"),
                ("help", ""),
                ("min_rows", "2"),
                ("max_rows", "20"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    // A new lines field, made with a first column.
    let r = admin
        .post_form(
            "/admin/apps/trip_reports/fields",
            &[("label", "Stops"), ("type", "lines")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin
        .get_text("/admin/apps/trip_reports/fields/stops")
        .await;
    assert!(page.contains("/stops/columns/description\""), "{page}");
    // A rename while no line has a value: what names the column follows (the computed total).
    let money = [("currency_field", "currency"), ("required", "on")];
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/net"),
            &column_form("Net", "amount", "money", &money),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, total) = admin
        .get_text("/admin/apps/trip_reports/fields/total")
        .await;
    assert!(total.contains("sum(items.amount)"), "{total}");
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/amount"),
            &column_form("Net", "net", "money", &money),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    // The Versions tab says what changed, column by column.
    let (_, versions) = admin.get_text("/admin/apps/trip_reports/versions").await;
    for part in ["column `receipt_no` added", "column `nights` added"] {
        assert!(versions.contains(part), "{part} in {versions}");
    }
    publish(&admin, "receipt numbers").await;

    // The published operation takes the new column, in its place, and its rules.
    let alice = app.sign_in("alice").await;
    let (_, form) = alice.get_text("/apps/trip_reports/ops/create").await;
    assert!(
        form.find("aria-label=\"Net, new line\"").unwrap()
            < form.find("aria-label=\"Receipt no., new line\"").unwrap(),
        "{form}"
    );
    let mut first = line("2026-03-01", "Taxi", "20.00");
    first.push(("receipt_no", "R-1"));
    first.push(("nights", "2"));
    let mut second = line("2026-03-02", "Hotel", "80.00");
    second.push(("receipt_no", "R-2"));
    let id = report(&alice, "Visit", &[&first, &second]).await;
    let lines = stored_lines(&app, id).await;
    assert_eq!(lines[0]["receipt_no"], "R-1");
    assert_eq!(lines[0]["nights"], 2);
    // Required on every line; at least two lines.
    let mut bad = line("2026-03-03", "Bus", "3.00");
    bad.push(("receipt_no", ""));
    let mut pairs: Vec<(String, String)> = vec![
        ("purpose".into(), "Visit".into()),
        ("_blank_items".into(), "3".into()),
    ];
    for (k, v) in bad {
        pairs.push((format!("items[0][{k}]"), v.into()));
    }
    let p: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = alice
        .run_op_in("trip_reports", "create", None, &p, None)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A column no line has a value in goes; the app publishes without it.
    let r = admin
        .post_form(&format!("{FIELD}/columns/category/remove"), &[])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    publish(&admin, "no categories").await;
    let (_, form) = alice.get_text("/apps/trip_reports/ops/create").await;
    assert!(!form.contains("Category, new line"), "{form}");
}

#[tokio::test]
async fn a_column_that_lines_have_values_in_is_not_removed_renamed_or_narrowed() {
    let app = spawn_app().await;
    import(&app).await;
    let alice = app.sign_in("alice").await;
    let admin = app.sign_in("admin").await;
    let mut a = line("2026-03-01", "Taxi", "20.00");
    a.push(("category", "Transport"));
    let mut b = line("2026-03-02", "Dinner", "30.00");
    b.push(("category", "Meals"));
    let c = line("2026-03-03", "Parking", "4.00");
    let first = report(&alice, "One", &[&a, &b, &c]).await;
    let mut d = line("2026-03-04", "Lunch", "12.00");
    d.push(("category", "Meals"));
    let second = report(&alice, "Two", &[&d]).await;

    // Removing Category: three lines in two records have a value; refused with the count.
    let r = admin
        .post_form(&format!("{FIELD}/columns/category/remove"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "3 lines in 2 records have a value in column `category` (e.g. #{first}, #{second})"
        )),
        "{body}"
    );
    let (_, page) = admin.get_text(FIELD).await;
    assert!(page.contains("/items/columns/category\""), "still there");

    // Renaming it is the same for the stored lines: refused on the name.
    let options = "Transport\nLodging\nMeals\nOther";
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/category"),
            &column_form("Category", "kind", "choice", &[("options", options)]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("3 lines in 2 records have a value in column `category`"),
        "{body}"
    );
    assert!(
        body.contains(&format!("href=\"/apps/trip_reports/records/{first}\"")),
        "{body}"
    );

    // Dropping Meals, which two lines in two records use: refused with the count.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/category"),
            &column_form(
                "Category",
                "category",
                "choice",
                &[("options", "Transport\nLodging\nOther")],
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("2 lines in 2 records use options this change drops from column `category`"),
        "{body}"
    );
    // Dropping Other, which no line uses, is fine.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/category"),
            &column_form(
                "Category",
                "category",
                "choice",
                &[("options", "Transport\nLodging\nMeals")],
            ),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    // Retyping Description to a whole number: the texts do not fit; refused with the count.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/description"),
            &column_form("Description", "description", "integer", &[]),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(
            "4 lines in 2 records hold values that do not fit the new type of column `description`"
        ),
        "{body}"
    );

    // A value written after the draft changed is caught at publication: a text column of
    // numbers becomes an integer column and its values are converted; one that stops fitting
    // before publication refuses the publication.
    let r = admin
        .post_form(
            &format!("{FIELD}/columns"),
            &[
                ("column_label", "Quantity"),
                ("column_name", "qty"),
                ("column_type", "text"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    publish(&admin, "quantities").await;
    let mut e = line("2026-03-05", "Tickets", "9.00");
    e.push(("qty", "3"));
    let third = report(&alice, "Three", &[&e]).await;
    let r = admin
        .post_form(
            &format!("{FIELD}/columns/qty"),
            &column_form("Quantity", "qty", "integer", &[]),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let mut f = line("2026-03-06", "Snacks", "2.00");
    f.push(("qty", "a few"));
    let fourth = report(&alice, "Four", &[&f]).await;
    let r = admin
        .post_form(
            "/admin/apps/trip_reports/publish",
            &[("note", "whole quantities")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!(
            "1 line in 1 record holds values that do not fit the new type of column `qty` (e.g. #{fourth}"
        )),
        "{body}"
    );
    assert_eq!(
        stored_lines(&app, third).await[0]["qty"],
        "3",
        "nothing changed"
    );
    // With that line's value emptied, the publication converts the rest.
    let lines = stored_lines(&app, fourth).await;
    let id_of = lines[0]["id"].as_str().unwrap().to_string();
    let mut rows: Vec<(String, String)> = vec![
        ("purpose".into(), "Four".into()),
        ("_blank_items".into(), "3".into()),
    ];
    rows.push(("items[0][id]".into(), id_of));
    for (k, v) in line("2026-03-06", "Snacks", "2.00") {
        rows.push((format!("items[0][{k}]"), v.into()));
    }
    rows.push(("items[0][qty]".into(), String::new()));
    let p: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = alice
        .run_op_in("trip_reports", "edit", Some((fourth, 1)), &p, None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    publish(&admin, "whole quantities").await;
    assert_eq!(stored_lines(&app, third).await[0]["qty"], 3);
    let (_, page) = alice
        .get_text(&format!("/apps/trip_reports/records/{third}"))
        .await;
    assert!(page.contains("<td>3</td>"), "{page}");
}

#[tokio::test]
async fn only_administrators_reach_the_column_editor() {
    let app = spawn_app().await;
    import(&app).await;
    let alice = app.sign_in("alice").await;
    let maria = app.sign_in("maria").await;
    let column = format!("{FIELD}/columns/net");
    let posts = [
        format!("{FIELD}/columns"),
        column.clone(),
        format!("{column}/move"),
        format!("{column}/remove"),
        FIELD.to_string(),
    ];
    for s in [&alice, &maria] {
        let (status, _) = s.get_text(&column).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "GET {column}");
        for path in &posts {
            let r = s
                .post_form(
                    path,
                    &[
                        ("to", "up"),
                        ("column_label", "x"),
                        ("column_type", "text"),
                        ("label", "x"),
                        ("type", "text"),
                    ],
                )
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "POST {path}");
        }
    }
    // Signed out: sent to sign in, for a GET and for each POST.
    let anon = client();
    let r = anon.get(app.url(&column)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    for path in &posts {
        let r = anon
            .post(app.url(path))
            .form(&[("to", "up"), ("column_label", "x"), ("column_type", "text")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST {path}");
        assert!(location(&r).starts_with("/login"), "{}", location(&r));
    }
    // An administrator's form without its CSRF token: refused.
    let admin = app.sign_in("admin").await;
    let r = admin
        .http
        .post(app.url(&format!("{column}/remove")))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Nothing changed: the draft is still the published version, Net and its order kept.
    let (_, page) = admin.get_text(FIELD).await;
    assert!(page.contains("/items/columns/net\""), "{page}");
    assert!(page.contains("the draft is published"), "{page}");
    // The POST-only URLs lead back to the field's page.
    let r = admin.get(&format!("{column}/remove")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), FIELD);
}

#[tokio::test]
async fn lines_moved_on_the_web_form_are_saved_in_that_order_with_history() {
    let app = spawn_app().await;
    import(&app).await;
    let alice = app.sign_in("alice").await;
    let (a, b, c) = (
        line("2026-03-01", "First", "1.00"),
        line("2026-03-02", "Second", "2.00"),
        line("2026-03-03", "Third", "3.00"),
    );
    let id = report(&alice, "Order", &[&a, &b, &c]).await;
    let (_, form) = alice
        .get_text(&format!("/apps/trip_reports/ops/edit?record={id}"))
        .await;
    for part in [
        r#"name="_move_items" value="1:up" class="link" aria-label="Move line 2 up""#,
        r#"aria-label="Move line 1 up" formnovalidate disabled"#,
        r#"aria-label="Move line 3 down" formnovalidate disabled"#,
    ] {
        assert!(form.contains(part), "{part} in {form}");
    }

    // "Move line 3 up": the form comes back with lines 2 and 3 swapped, typed values kept,
    // nothing saved.
    let stored = stored_lines(&app, id).await;
    let mut rows: Vec<(String, String)> = vec![
        ("purpose".into(), "Order".into()),
        ("_blank_items".into(), "3".into()),
    ];
    for (i, l) in stored.iter().enumerate() {
        rows.push((format!("items[{i}][id]"), l["id"].as_str().unwrap().into()));
        for (k, v) in [
            ("date", l["date"].as_str().unwrap()),
            ("description", l["description"].as_str().unwrap()),
            (
                "net",
                if i == 0 {
                    "1.50"
                } else {
                    l["net"].as_str().unwrap()
                },
            ),
            ("currency", "EUR"),
        ] {
            rows.push((format!("items[{i}][{k}]"), v.into()));
        }
    }
    let mut moved = rows.clone();
    moved.push(("_move_items".into(), "2:up".into()));
    let p: Vec<(&str, &str)> = moved
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let r = alice
        .run_op_in("trip_reports", "edit", Some((id, 1)), &p, None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let again = r.text().await.unwrap();
    for part in [
        r#"name="items[1][id]" value="l3""#,
        r#"name="items[2][id]" value="l2""#,
        r#"name="items[1][description]" value="Third" aria-label="Description, line 2""#,
        r#"name="items[0][net]" value="1.50""#,
    ] {
        assert!(again.contains(part), "{part} in {again}");
    }
    assert_eq!(stored_lines(&app, id).await, stored, "nothing saved");

    // Sending the form as shown saves the new order; the history says so.
    let mut sent: Vec<(String, String)> = rows
        .iter()
        .filter(|(k, _)| !k.starts_with("items["))
        .cloned()
        .collect();
    for (row, from) in [(0, 0), (1, 2), (2, 1)] {
        for (k, v) in rows
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("items[{from}]")))
        {
            sent.push((
                k.replace(&format!("items[{from}]"), &format!("items[{row}]")),
                v.clone(),
            ));
        }
    }
    let p: Vec<(&str, &str)> = sent.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = alice
        .run_op_in("trip_reports", "edit", Some((id, 1)), &p, None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let ids: Vec<String> = stored_lines(&app, id)
        .await
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["l1", "l3", "l2"]);
    let (_, page) = alice
        .get_text(&format!("/apps/trip_reports/records/{id}"))
        .await;
    assert!(page.contains("lines reordered"), "{page}");
    assert!(page.contains("line 1 · Net 1.00 → 1.50"), "{page}");
}
