//! The everyday field types (yes/no, multi-select, email, phone, URL, integer, date-time, photo)
//! end to end: a published app using each, records created and updated through the web form
//! and through MCP, shown, exported, filtered with "contains any", and bad values refused with
//! their message and nothing saved.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// One field of each type; the Python and browser tests publish the same app.
const VISITS: &str = include_str!("fixtures/site_visits.toml");

async fn publish_visits(app: &TestApp) {
    let path = app.dir.path().join("visits.toml");
    std::fs::write(&path, VISITS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

/// Submits an operation form of the app (multipart; repeated names are repeated parts).
async fn submit(
    s: &Session,
    op: &str,
    record: Option<(i64, i64)>,
    fields: &[(&str, &str)],
    photo: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let file = photo.map(|(name, bytes)| ("photo", name, bytes));
    s.run_op_in("site_visits", op, record, fields, file).await
}

/// The stored fields of one record, read through the MCP view (full format).
async fn stored(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "site_visits_all", json!({"limit": 100})).await;
    let rows = r["structuredContent"]["rows"].as_array().unwrap().clone();
    rows.into_iter()
        .find(|row| row["id"] == json!(id))
        .map(|row| row["fields"].clone())
        .unwrap_or(Value::Null)
}

async fn ids_matching(app: &TestApp, token: &str, args: Value) -> Vec<i64> {
    let r = call_tool(app, token, "site_visits_all", args).await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    let mut ids: Vec<i64> = r["structuredContent"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn every_new_field_type_goes_through_the_web_form_and_mcp_and_back() {
    let app = spawn_app().await;
    publish_visits(&app).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let r = alice
        .post_form("/profile/time-zone", &[("time_zone", "Europe/Berlin")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The web form: every input as a person fills it, two checkboxes ticked.
    let (_, form) = alice.get_text("/apps/site_visits/ops/add").await;
    for input in [
        r#"type="checkbox" name="equipment" value="Camera""#,
        r#"type="email" name="contact""#,
        r#"type="tel" name="phone""#,
        r#"type="url" name="website""#,
        r#"type="datetime-local" name="starts_at""#,
        r#"accept="image/*" capture="environment""#,
        r#"<option value="yes">Yes</option>"#,
        r#"<span class="unit">km</span>"#,
    ] {
        assert!(form.contains(input), "{input} in {form}");
    }
    let r = submit(
        &alice,
        "add",
        None,
        &[
            ("place", "Depot North"),
            ("overnight", "yes"),
            ("equipment", "Ladder"),
            ("equipment", "Camera"),
            ("contact", "Ann.Lee@Example.ORG"),
            ("phone", "+44 20 7946 0958"),
            ("website", "https://Example.org/depot north"),
            ("distance", "1 250"),
            ("starts_at", "2026-03-05T14:30"),
        ],
        Some(("depot.png", png_receipt(7))),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let web_id = record_id_of(&r);

    let token = app.token("alice");
    let fields = stored(&app, &token, web_id).await;
    assert_eq!(fields["overnight"], json!(true));
    assert_eq!(fields["equipment"], json!(["Ladder", "Camera"]));
    assert_eq!(fields["contact"], json!("Ann.Lee@example.org"));
    assert_eq!(fields["phone"], json!("+442079460958"));
    assert_eq!(
        fields["website"],
        json!("https://example.org/depot%20north")
    );
    assert_eq!(fields["distance"], json!(1250));
    // 14:30 in Berlin in March is 13:30 UTC.
    assert_eq!(fields["starts_at"], json!("2026-03-05T13:30:00Z"));
    assert!(fields["photo"].is_i64(), "{fields}");

    // The record page shows them as people read them, times in Alice's zone.
    let (_, page) = alice
        .get_text(&format!("/apps/site_visits/records/{web_id}"))
        .await;
    for shown in [
        "<dd>Yes</dd>",
        "<dd>Ladder, Camera</dd>",
        "<dd>1,250 km</dd>",
        "<dd>2026-03-05 14:30 CET</dd>",
        "<dd>+442079460958</dd>",
        "depot.png",
    ] {
        assert!(page.contains(shown), "{shown} in {page}");
    }

    // MCP: the same types as JSON.
    let r = call_tool(
        &app,
        &token,
        "site_visits_add",
        json!({
            "place": "Depot South", "overnight": false, "equipment": ["Drill"],
            "contact": "bob@example.com", "phone": "020 7946 0000",
            "website": "http://example.com", "distance": 12,
            "starts_at": "2026-07-01T08:00:00-04:00"
        }),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
    let mcp_id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let record = &r["structuredContent"]["record"];
    assert_eq!(record["overnight"], json!(false));
    assert_eq!(record["equipment"], json!(["Drill"]));
    assert_eq!(record["distance"], json!(12));
    assert_eq!(record["starts_at"], json!("2026-07-01T12:00:00Z"));
    assert_eq!(record["phone"], json!("020 7946 0000"));

    // The tools describe each type in their JSON Schemas, input and output.
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let add = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "site_visits_add")
        .unwrap()
        .clone();
    let props = &add["inputSchema"]["properties"];
    assert_eq!(props["overnight"]["type"], "boolean");
    assert_eq!(
        props["equipment"]["items"]["enum"],
        json!(["Ladder", "Drill", "Camera"])
    );
    assert_eq!(props["distance"]["type"], "integer");
    assert_eq!(props["distance"]["minimum"], 0);
    assert_eq!(props["starts_at"]["format"], "date-time");
    assert_eq!(props["contact"]["format"], "email");
    assert_eq!(
        props["photo"]["required"],
        json!(["filename", "content_base64"])
    );
    let out = &add["outputSchema"]["properties"]["record"]["anyOf"][0]["properties"];
    assert_eq!(out["equipment"]["type"], json!(["array", "null"]));
    assert_eq!(out["overnight"]["type"], json!(["boolean", "null"]));

    // "Contains any", in the database: either option, then only one.
    let both = ids_matching(&app, &token, json!({"equipment": ["Drill", "Camera"]})).await;
    assert_eq!(both, vec![web_id, mcp_id]);
    let camera = ids_matching(&app, &token, json!({"equipment": ["camera"]})).await;
    assert_eq!(camera, vec![web_id]);
    let none = ids_matching(
        &app,
        &token,
        json!({"equipment": ["Ladder"], "overnight": false}),
    )
    .await;
    assert!(none.is_empty(), "{none:?}");
    let far = ids_matching(&app, &token, json!({"far": 100})).await;
    assert_eq!(far, vec![web_id]);
    let (_, listed) = alice
        .get_text("/apps/site_visits/views/all?p_equipment=Drill")
        .await;
    assert!(
        listed.contains("Depot South") && !listed.contains("Depot North"),
        "{listed}"
    );
    // 14:15 in Berlin is 13:15 UTC: Depot North (13:30 UTC) starts after it.
    let (_, listed) = alice
        .get_text("/apps/site_visits/views/all?p_from=2026-03-05T14%3A15")
        .await;
    assert!(
        listed.contains("Depot North") && listed.contains("Depot South"),
        "{listed}"
    );
    assert!(
        listed.contains(r#"type="datetime-local" name="p_from""#),
        "{listed}"
    );
    let (_, listed) = alice
        .get_text("/apps/site_visits/views/all?p_from=2026-03-05T14%3A45")
        .await;
    assert!(
        !listed.contains("Depot North") && listed.contains("Depot South"),
        "{listed}"
    );
    let (_, listed) = alice
        .get_text("/apps/site_visits/views/all?p_overnight=yes")
        .await;
    assert!(
        listed.contains("Depot North") && !listed.contains("Depot South"),
        "{listed}"
    );

    // An update through the web form, then one through MCP; the history says what changed.
    let version = version_of_visit(&alice, web_id).await;
    let r = submit(
        &alice,
        "edit",
        Some((web_id, version)),
        &[
            ("overnight", "no"),
            ("equipment", "Drill"),
            ("contact", "ann@example.org"),
            ("phone", "+1 (555) 010-9999"),
            ("website", "https://example.org/"),
            ("distance", "7"),
            ("starts_at", "2026-03-06T09:00"),
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
    let r = call_tool(
        &app,
        &token,
        "site_visits_edit",
        json!({"record_id": web_id, "equipment": ["Drill", "Ladder"], "distance": 8}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
    let (_, page) = alice
        .get_text(&format!("/apps/site_visits/records/{web_id}"))
        .await;
    for diff in [
        "Ladder, Camera",
        "Ladder, Drill",
        "1,250 km",
        "8 km",
        "2026-03-06 09:00 CET",
        "+15550109999",
    ] {
        assert!(page.contains(diff), "{diff} in the history: {page}");
    }

    // The CSV export keeps the machine forms: UTC times, bare numbers.
    let (status, csv) = alice
        .get_text("/apps/site_visits/views/all/export.csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("Depot North,No,\"Ladder, Drill\",ann@example.org,+15550109999,https://example.org/,8,2026-03-06T08:00:00Z"),
        "{csv}"
    );
    assert!(
        csv.contains("Depot South,No,Drill,bob@example.com"),
        "{csv}"
    );

    // Every box unticked empties the options: the form sends the field's empty part alone.
    let (_, edit) = alice
        .get_text(&format!("/apps/site_visits/ops/edit?record={web_id}"))
        .await;
    assert!(
        edit.contains(r#"<input type="hidden" name="equipment" value="">"#),
        "{edit}"
    );
    let version = version_of_visit(&alice, web_id).await;
    let r = submit(
        &alice,
        "edit",
        Some((web_id, version)),
        &[("overnight", "no"), ("equipment", "")],
        None,
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(stored(&app, &token, web_id).await["equipment"], Value::Null);
}

async fn version_of_visit(s: &Session, id: i64) -> i64 {
    let (_, html) = s.get_text(&format!("/apps/site_visits/records/{id}")).await;
    let at = html.find("Version ").expect("version on the page") + "Version ".len();
    html[at..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_bad_value_of_each_type_is_refused_with_its_message_and_nothing_is_saved() {
    let app = spawn_app().await;
    publish_visits(&app).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let token = app.token("alice");
    let cases: [(&str, &str, Value, &str); 7] = [
        (
            "overnight",
            "maybe",
            json!("maybe"),
            "is neither yes nor no",
        ),
        (
            "equipment",
            "Crane",
            json!(["Crane"]),
            "is not one of: Ladder, Drill, Camera",
        ),
        (
            "contact",
            "ann@example",
            json!("ann at example.org"),
            "is not an email address",
        ),
        ("phone", "+0 12 345", json!("call me"), "is not a"),
        (
            "website",
            "ftp://example.org/x",
            json!("javascript:alert(1)"),
            "only http and https",
        ),
        ("distance", "2.5", json!(2.5), "has decimals"),
        (
            "starts_at",
            "tomorrow",
            json!("2026-03-05T14:30"),
            "is not a date and time",
        ),
    ];
    for (field, web_bad, mcp_bad, message) in cases {
        let r = submit(
            &alice,
            "add",
            None,
            &[("place", "Bad"), (field, web_bad)],
            None,
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let page = r.text().await.unwrap();
        assert!(page.contains(message), "{field}: {message} in {page}");
        let r = call_tool(
            &app,
            &token,
            "site_visits_add",
            json!({"place": "Bad", field: mcp_bad}),
        )
        .await;
        assert_eq!(r["isError"], json!(true), "{field}: {r}");
        let text = r["structuredContent"]["error"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(message), "{field}: {message} in {r}");
    }
    // A PDF is a file, not a photo.
    let pdf = std::fs::read(repo_root().join("seed-data/receipts/09_hotel_munich.pdf")).unwrap();
    let r = submit(
        &alice,
        "add",
        None,
        &[("place", "Bad")],
        Some(("scan.pdf", pdf)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("takes a photo (JPEG, PNG or WebP)"), "{page}");
    // A time the clocks skip in the person's zone.
    alice
        .post_form("/profile/time-zone", &[("time_zone", "Europe/Berlin")])
        .await;
    let r = submit(
        &alice,
        "add",
        None,
        &[("place", "Bad"), ("starts_at", "2026-03-29T02:30")],
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("does not exist in Europe/Berlin"));

    assert!(
        ids_matching(&app, &token, json!({})).await.is_empty(),
        "nothing saved"
    );
    // Filters are checked like inputs.
    let r = call_tool(
        &app,
        &token,
        "site_visits_all",
        json!({"equipment": ["Crane"]}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
}
