//! Conditional fields (`visible_when`, `required_when`) and per-operation layout (`sections`,
//! `read_only`) end to end: the same rules through the web form (without JavaScript) and MCP,
//! hidden fields never required and never changed, read-only fields refused when sent anyway,
//! and the tool schema listing only what may be edited.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The app under test; the Python MCP SDK test publishes the same file.
const TRIP_COSTS: &str = include_str!("fixtures/trip_costs.toml");

async fn publish_trip_costs(app: &TestApp) {
    let path = app.dir.path().join("trip_costs.toml");
    std::fs::write(&path, TRIP_COSTS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

/// The stored row of one record (`version`, `fields`), read through the MCP view (full format).
async fn row(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "trip_costs_mine", json!({"limit": 100})).await;
    let rows = r["structuredContent"]["rows"].as_array().unwrap().clone();
    rows.into_iter()
        .find(|row| row["id"] == json!(id))
        .unwrap_or(Value::Null)
}

async fn submit(
    s: &Session,
    op: &str,
    record: Option<(i64, i64)>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    s.run_op_in("trip_costs", op, record, fields, None).await
}

fn error_text(r: &Value) -> String {
    assert_eq!(r["isError"], json!(true), "{r}");
    r["structuredContent"]["error"].to_string()
}

/// A lodging cost made through the web form; returns its id.
async fn lodging(s: &Session) -> i64 {
    let r = submit(
        s,
        "add",
        None,
        &[
            ("purpose", "Fair in Lyon"),
            ("category", "Lodging"),
            ("nights", "2"),
            ("hotel", "Hôtel du Parc"),
            ("attendees", ""),
            ("amount", "240.00"),
            ("currency", "EUR"),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    record_id_of(&r)
}

#[tokio::test]
async fn a_field_is_required_only_while_its_condition_holds_on_the_web_and_over_mcp() {
    let app = spawn_app().await;
    publish_trip_costs(&app).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let token = app.token("alice");

    // Lodging without nights: refused, and the message says when it is required.
    let r = submit(
        &alice,
        "add",
        None,
        &[
            ("purpose", "Fair"),
            ("category", "Lodging"),
            ("nights", ""),
            ("hotel", ""),
            ("attendees", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("required when Category is Lodging"), "{page}");
    let r = call_tool(
        &app,
        &token,
        "trip_costs_add",
        json!({"purpose": "Fair", "category": "Lodging"}),
    )
    .await;
    let e = error_text(&r);
    assert!(
        e.contains("nights") && e.contains("required when Category is Lodging"),
        "{e}"
    );

    // Travel: nights is hidden, so not required; the empty inputs of the form are no change.
    let r = submit(
        &alice,
        "add",
        None,
        &[
            ("purpose", "Train"),
            ("category", "Travel"),
            ("nights", ""),
            ("hotel", ""),
            ("attendees", ""),
        ],
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
        "trip_costs_add",
        json!({"purpose": "Taxi", "category": "Travel"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");

    // Meals: attendees is `required` but only shown for meals, so required then.
    let r = call_tool(
        &app,
        &token,
        "trip_costs_add",
        json!({"purpose": "Dinner", "category": "Meals"}),
    )
    .await;
    assert!(error_text(&r).contains("attendees"), "{r}");
    let r = call_tool(
        &app,
        &token,
        "trip_costs_add",
        json!({"purpose": "Dinner", "category": "Meals", "attendees": 4}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
}

#[tokio::test]
async fn a_hidden_field_is_never_required_and_a_value_sent_for_it_is_refused_and_not_stored() {
    let app = spawn_app().await;
    publish_trip_costs(&app).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let token = app.token("alice");

    // A value for nights on a travel cost: refused by name, with the reason; nothing saved.
    let r = submit(
        &alice,
        "add",
        None,
        &[
            ("purpose", "Train"),
            ("category", "Travel"),
            ("nights", "3"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("is used only when Category is Lodging: leave it empty"),
        "{page}"
    );
    let r = call_tool(
        &app,
        &token,
        "trip_costs_add",
        json!({"purpose": "Train", "category": "Travel", "nights": 3}),
    )
    .await;
    let e = error_text(&r);
    assert!(
        e.contains("nights") && e.contains("only when Category is Lodging"),
        "{e}"
    );
    let all = call_tool(&app, &token, "trip_costs_mine", json!({})).await;
    assert_eq!(
        all["structuredContent"]["rows"],
        json!([]),
        "nothing saved: {all}"
    );

    // A lodging cost turned into travel keeps its nights and hotel (hidden, unchanged) ...
    let id = lodging(&alice).await;
    let before = row(&app, &token, id).await;
    let v = before["version"].as_i64().unwrap();
    // ... the form without JavaScript sends the stored values back: no change, accepted.
    let r = submit(
        &alice,
        "edit",
        Some((id, v)),
        &[
            ("category", "Travel"),
            ("nights", "2"),
            ("hotel", "Hôtel du Parc"),
            ("attendees", ""),
            ("amount", "240.00"),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let after = row(&app, &token, id).await;
    assert_eq!(after["fields"]["category"], json!("Travel"));
    assert_eq!(after["fields"]["nights"], before["fields"]["nights"]);
    assert_eq!(after["fields"]["hotel"], json!("Hôtel du Parc"));
    // The record's page does not show the hidden fields.
    let (_, record_page) = alice
        .get_text(&format!("/apps/trip_costs/records/{id}"))
        .await;
    let fields = record_page
        .split("<h2>History</h2>")
        .next()
        .unwrap_or_default();
    assert!(fields.contains("Fair in Lyon"), "{fields}");
    assert!(!fields.contains("Hôtel du Parc"), "{fields}");

    // Changing a hidden value is refused on both surfaces and leaves it as it was.
    let v = after["version"].as_i64().unwrap();
    let r = submit(
        &alice,
        "edit",
        Some((id, v)),
        &[("category", "Travel"), ("nights", "5")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("only when Category is Lodging"));
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "hotel": "Elsewhere"}),
    )
    .await;
    assert!(error_text(&r).contains("is used only when"), "{r}");
    let last = row(&app, &token, id).await;
    assert_eq!(last["version"], after["version"], "nothing written");
    assert_eq!(last["fields"]["nights"], before["fields"]["nights"]);
    assert_eq!(last["fields"]["hotel"], json!("Hôtel du Parc"));

    // Back to lodging: the values are there again and may be changed.
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "category": "Lodging", "nights": 3}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
}

#[tokio::test]
async fn a_read_only_field_cannot_be_changed_by_sending_it_anyway() {
    let app = spawn_app().await;
    publish_trip_costs(&app).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let token = app.token("alice");
    let id = lodging(&alice).await;
    let v = row(&app, &token, id).await["version"].as_i64().unwrap();

    // The form shows it, not as an input.
    let (_, form) = alice
        .get_text(&format!("/apps/trip_costs/ops/edit?record={id}"))
        .await;
    assert!(form.contains("Fair in Lyon"), "{form}");
    assert!(!form.contains(r#"name="purpose""#), "{form}");

    // A tampered form: refused by name, nothing written.
    let r = submit(
        &alice,
        "edit",
        Some((id, v)),
        &[
            ("category", "Lodging"),
            ("nights", "2"),
            ("purpose", "Holiday"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("read-only in"), "{page}");
    // A field on no form of this operation at all is refused too (it was silently dropped).
    let r = submit(&alice, "edit", Some((id, v)), &[("currency", "USD")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not an input"));

    // MCP arguments: the same refusals.
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "purpose": "Holiday"}),
    )
    .await;
    assert!(error_text(&r).contains("read-only"), "{r}");
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "manager_note": "fine"}),
    )
    .await;
    assert!(error_text(&r).contains("read-only"), "{r}");
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "currency": "USD"}),
    )
    .await;
    assert!(error_text(&r).contains("not an input"), "{r}");
    let last = row(&app, &token, id).await;
    assert_eq!(last["version"], json!(v), "nothing written");
    assert_eq!(last["fields"]["purpose"], json!("Fair in Lyon"));
    assert_eq!(last["fields"]["currency"], json!("EUR"));
}

#[tokio::test]
async fn the_form_follows_sections_and_notes_conditions_without_javascript() {
    let app = spawn_app().await;
    publish_trip_costs(&app).await;
    let alice = app.sign_in("alice").await;
    let (status, form) = alice.get_text("/apps/trip_costs/ops/add").await;
    assert_eq!(status, StatusCode::OK);
    // A new record's form starts from the field's default.
    assert!(
        form.contains(r#"name="currency" value="EUR""#),
        "the currency default fills its input"
    );
    // Sections as fieldsets with legends, in order, fields in their section's order.
    let what = form.find("<legend>What</legend>").expect("What section");
    let stay = form.find("<legend>Stay</legend>").expect("Stay section");
    let amount = form
        .find("<legend>Amount</legend>")
        .expect("Amount section");
    assert!(what < stay && stay < amount, "{form}");
    let purpose = form.find(r#"name="purpose""#).unwrap();
    let nights = form.find(r#"name="nights""#).unwrap();
    let attendees = form.find(r#"name="attendees""#).unwrap();
    assert!(what < purpose && stay < nights && nights < amount && amount < attendees);
    // Fields whose condition another input decides are shown with a note.
    assert!(
        form.contains("Only when Category is Lodging; required when Category is Lodging."),
        "{form}"
    );
    assert!(
        form.contains("Only when Category is Meals; required then."),
        "{form}"
    );
    assert!(form.contains("data-visible-when="), "{form}");
    assert!(form.contains(r#"<script src="/static/conditions.js" defer></script>"#));
    let (status, js) = alice.get_text("/static/conditions.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(js.contains("data-visible-when"));

    // On a record, read-only values are shown in their section.
    let id = lodging(&alice).await;
    let (_, edit) = alice
        .get_text(&format!("/apps/trip_costs/ops/edit?record={id}"))
        .await;
    let review = edit
        .find("<legend>Review</legend>")
        .expect("Review section");
    assert!(edit[review..].contains("Manager note"), "{edit}");
    assert!(edit.contains("read-only here"), "{edit}");
}

#[tokio::test]
async fn the_tool_schema_lists_only_editable_inputs_and_says_their_conditions() {
    let app = spawn_app().await;
    publish_trip_costs(&app).await;
    app.enable_mcp().await;
    let token = app.token("alice");
    let (status, body) = mcp(&app, &token, "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let tools = body["result"]["tools"].as_array().unwrap();
    let tool = |name: &str| {
        tools
            .iter()
            .find(|t| t["name"] == json!(name))
            .unwrap_or_else(|| panic!("{name} in {body}"))
            .clone()
    };
    let edit = tool("trip_costs_edit");
    let props = edit["inputSchema"]["properties"].as_object().unwrap();
    for name in ["category", "nights", "hotel", "attendees", "amount"] {
        assert!(props.contains_key(name), "{name} in {props:?}");
    }
    for name in ["purpose", "manager_note", "currency", "status"] {
        assert!(
            !props.contains_key(name),
            "{name} is not editable: {props:?}"
        );
    }
    assert_eq!(edit["inputSchema"]["additionalProperties"], json!(false));
    let add = tool("trip_costs_add");
    let props = &add["inputSchema"]["properties"];
    let nights = props["nights"]["description"].as_str().unwrap();
    assert!(
        nights.contains("only when Category is Lodging")
            && nights.contains("required when Category is Lodging"),
        "{nights}"
    );
    let hotel = props["hotel"]["description"].as_str().unwrap();
    assert!(
        hotel.contains("only when Category is Lodging and Nights is at least 1"),
        "{hotel}"
    );
    // Required only under a condition: not in the schema's `required`.
    let required: Vec<&str> = add["inputSchema"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        required.contains(&"purpose") && required.contains(&"category"),
        "{required:?}"
    );
    assert!(
        !required.contains(&"attendees") && !required.contains(&"nights"),
        "{required:?}"
    );
    let text = add["description"].as_str().unwrap();
    assert!(text.contains("`attendees` — Attendees"), "{text}");
    assert!(
        text.contains("only when Category is Meals; required then"),
        "{text}"
    );
}

/// The field form of `hotel` (a text field) with the given rules.
fn hotel_form<'a>(visible_when: &'a str, required_when: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("label", "Hotel"),
        ("name", "hotel"),
        ("type", "text"),
        ("help", ""),
        ("default", ""),
        ("max_len", ""),
        ("visible_when", visible_when),
        ("required_when", required_when),
    ]
}

#[tokio::test]
async fn the_app_editor_sets_conditions_and_layout_and_refuses_bad_ones_in_the_form() {
    let app = spawn_app().await;
    publish_trip_costs(&app).await;
    app.enable_mcp().await;
    let admin = app.sign_in("admin").await;

    // The field form shows the rule as it stands.
    let (status, page) = admin.get_text("/admin/apps/trip_costs/fields/nights").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(r#"name="visible_when""#) && page.contains("Lodging"),
        "{page}"
    );

    // Refused rules come back beside their control, with the definition's message.
    for (rule, message) in [
        (
            r#"{"field": "hotel", "op": "eq", "value": "x"}"#,
            "cannot depend on itself",
        ),
        (
            r#"{"any": [{"field": "nope", "op": "eq", "value": "x"}]}"#,
            "unknown field `nope`",
        ),
        (
            r#"{"field": "nights", "op": "gt", "value": "many"}"#,
            "`many` is not a number",
        ),
        (
            r#"{"field": "category", "op": "eq", "value": "Boat"}"#,
            "`Boat` is not one of the options",
        ),
        ("category is Lodging", "write conditions as"),
    ] {
        let r = admin
            .post_form("/admin/apps/trip_costs/fields/hotel", &hotel_form(rule, ""))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{rule}");
        let page = r.text().await.unwrap();
        assert!(page.contains(message), "{message} in {page}");
        assert!(page.contains("has-error"), "{page}");
    }

    // A cycle: nights shown only when hotel is, hotel only when nights is.
    let r = admin
        .post_form(
            "/admin/apps/trip_costs/fields/nights",
            &[
                ("label", "Nights"),
                ("name", "nights"),
                ("type", "integer"),
                (
                    "visible_when",
                    r#"{"field": "hotel", "op": "contains", "value": "a"}"#,
                ),
                ("required_when", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("comes back to itself"));

    // A good rule, in the TOML form of a definition file: hotel shown for lodging, required
    // from three nights.
    let r = admin
        .post_form(
            "/admin/apps/trip_costs/fields/hotel",
            &hotel_form(
                r#"{ field = "category", op = "eq", value = "Lodging" }"#,
                r#"[{ field = "nights", op = "gte", value = "3" }]"#,
            ),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    // The operation: purpose becomes editable, amount read-only, new sections.
    let op_form = |sections: &'static str| {
        vec![
            ("title", "Edit cost"),
            ("kind", "update"),
            ("roles", "employee"),
            ("roles", "manager"),
            ("scope", "own"),
            ("from", "Draft"),
            ("inputs", "purpose"),
            ("inputs", "category"),
            ("inputs", "nights"),
            ("inputs", "hotel"),
            ("inputs", "attendees"),
            ("layout_form", "1"),
            ("read_only", "amount"),
            ("read_only", "manager_note"),
            ("sections", sections),
        ]
    };
    let r = admin
        .post_form(
            "/admin/apps/trip_costs/operations/edit/edit",
            &op_form("Cost: purpose, category, nope"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("unknown field `nope`"));
    let r = admin
        .post_form(
            "/admin/apps/trip_costs/operations/edit/edit",
            &op_form("Cost: purpose, category, amount\nStay: nights, hotel\nOther: attendees, manager_note"),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin
        .get_text("/admin/apps/trip_costs/operations/edit/edit")
        .await;
    assert!(page.contains("Stay: nights, hotel"), "{page}");

    // Saved in the draft as definition keys, and published with the data kept.
    let toml = app.cli(&["app", "export", "trip_costs"], None);
    assert!(
        toml.contains("required_when") && toml.contains("read_only"),
        "{toml}"
    );
    let alice = app.sign_in("alice").await;
    let token = app.token("alice");
    let id = lodging(&alice).await;
    let r = admin
        .post_form("/admin/apps/trip_costs/publish", &[("note", "conditions")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let stored = row(&app, &token, id).await;
    assert_eq!(
        stored["fields"]["hotel"],
        json!("Hôtel du Parc"),
        "{stored}"
    );
    assert_eq!(stored["fields"]["amount"], json!("240"), "{stored}");

    // The published rules apply: three nights need a hotel; amount is read-only now.
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "nights": 3, "hotel": ""}),
    )
    .await;
    assert!(
        error_text(&r).contains("required when Nights is at least 3"),
        "{r}"
    );
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "amount": "10.00"}),
    )
    .await;
    assert!(error_text(&r).contains("read-only"), "{r}");
    let r = call_tool(
        &app,
        &token,
        "trip_costs_edit",
        json!({"record_id": id, "purpose": "Fair in Lyon, day 2"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
}

#[tokio::test]
async fn only_administrators_change_conditions_and_layout() {
    let app = spawn_app().await;
    publish_trip_costs(&app).await;
    let before = app.cli(&["app", "export", "trip_costs"], None);
    for user in ["alice", "maria"] {
        let s = app.sign_in(user).await;
        let r = s
            .post_form(
                "/admin/apps/trip_costs/fields/hotel",
                &hotel_form(r#"{"field": "category", "op": "eq", "value": "Meals"}"#, ""),
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
        let r = s
            .post_form(
                "/admin/apps/trip_costs/operations/edit/edit",
                &[
                    ("title", "Edit"),
                    ("kind", "update"),
                    ("roles", "employee"),
                    ("layout_form", "1"),
                    ("sections", ""),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{user}");
    }
    assert_eq!(app.cli(&["app", "export", "trip_costs"], None), before);
}
