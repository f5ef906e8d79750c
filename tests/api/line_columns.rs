//! Line items whose columns are of every type a person enters: a visit's stops refer to projects
//! (a lookup column, offered and checked like a lookup field), carry several options, a phone
//! number, a moment, a place and a person. Through MCP and through the plain web form (a moment
//! typed in the person's zone, checkboxes per cell, a list of projects per row with one search
//! above the table); titles shown only to those who may read the project; deleting a project
//! that lines refer to refused with the count, or emptying the lines' column with history.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PROJECTS: &str = include_str!("fixtures/lookup_projects.toml");
const VISITS: &str = include_str!("fixtures/line_columns.toml");

async fn publish(app: &TestApp, name: &str, text: &str) {
    let path = app.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
}

async fn setup() -> TestApp {
    let app = spawn_app().await;
    publish(&app, "projects.toml", PROJECTS).await;
    publish(&app, "visits.toml", VISITS).await;
    app.enable_mcp().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app
}

async fn project(s: &Session, name: &str, status: &str) -> i64 {
    let r = s
        .run_op_in(
            "lk_projects",
            "add",
            None,
            &[("name", name), ("status", status)],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    record_id_of(&r)
}

/// One visit as the Full view returns it (fields and titles); Null when not listed.
async fn visit(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "lc_visits_mine", json!({"limit": 100})).await;
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .unwrap_or(Value::Null)
}

async fn visit_count(app: &TestApp, token: &str) -> usize {
    let r = call_tool(app, token, "lc_visits_mine", json!({"limit": 100})).await;
    rows_of(&r["structuredContent"]).len()
}

#[tokio::test]
async fn every_entered_type_is_a_line_column_through_mcp_and_the_web_form() {
    let app = setup().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let r = alice
        .post_form("/profile/time-zone", &[("time_zone", "Europe/Berlin")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let apollo = project(&alice, "Apollo", "Active").await;
    let borealis = project(&alice, "Borealis", "Active").await;
    let closed = project(&alice, "Zephyr", "Closed").await;
    let secret = project(&bob, "Bob's secret", "Active").await;
    let token = app.token("alice");

    // MCP: the schema takes each column's own type, and the column's find tool is listed.
    let names = tool_names(&app, &token).await;
    assert!(
        names.contains(&"lc_visits_find_stops_project".to_string()),
        "{names:?}"
    );
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let add = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "lc_visits_add")
        .unwrap()
        .clone();
    let cols = &add["inputSchema"]["properties"]["stops"]["items"]["properties"];
    assert!(
        cols["project"]["description"]
            .as_str()
            .unwrap()
            .contains("lc_visits_find_stops_project"),
        "{cols}"
    );
    assert_eq!(cols["tags"]["type"], "array", "{cols}");
    // The find tool offers Alice's active projects: not the closed one, not Bob's.
    let r = call_tool(&app, &token, "lc_visits_find_stops_project", json!({})).await;
    let found: Vec<i64> = r["structuredContent"]["records"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(found, vec![apollo, borealis], "{r}");

    let r = call_tool(
        &app,
        &token,
        "lc_visits_add",
        json!({"title": "Zurich", "stops": [{
            "note": "depot",
            "project": apollo,
            "tags": ["Onsite", "urgent"],
            "phone": "+44 20 7946 0958",
            "arrived": "2026-03-05T14:30:00+01:00",
            "place": {"lat": 47.3769, "lon": 8.5417},
            "contact": "bob"
        }]}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let row = visit(&app, &token, id).await;
    let line = &row["fields"]["stops"][0];
    assert_eq!(line["id"], "l1", "{row}");
    assert_eq!(line["project"], json!(apollo));
    // Several options are kept in the options' order, each as the option is written.
    assert_eq!(line["tags"], json!(["Urgent", "Onsite"]));
    assert_eq!(line["phone"], "+442079460958");
    assert_eq!(line["arrived"], "2026-03-05T13:30:00Z");
    assert_eq!(line["place"], json!({"lat": 47.3769, "lon": 8.5417}));
    assert_eq!(line["contact"], "bob");
    assert_eq!(row["titles"]["stops.l1.project"], "Apollo", "{row}");

    // A project Alice may not read, or that the column's filter leaves out, is refused with the
    // line's path, and nothing is saved.
    for (target, says) in [
        (secret, "that you can open"),
        (closed, "cannot be chosen here"),
    ] {
        let r = call_tool(
            &app,
            &token,
            "lc_visits_add",
            json!({"title": "Nope", "stops": [{"note": "a"}, {"project": target}]}),
        )
        .await;
        assert_eq!(r["isError"], json!(true), "{r}");
        let text = r.to_string();
        assert!(text.contains("stops[1].project"), "{text}");
        assert!(text.contains(says), "{text}");
        assert!(!text.contains("Bob's secret"), "{text}");
    }
    let r = call_tool(
        &app,
        &token,
        "lc_visits_add",
        json!({"title": "Nope", "stops": [{"tags": ["Sometimes"], "phone": "call me", "place": {"lat": 123, "lon": 0}}]}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    let text = r.to_string();
    for path in ["stops[0].tags", "stops[0].phone", "stops[0].place"] {
        assert!(text.contains(path), "{path} in {text}");
    }
    assert_eq!(visit_count(&app, &token).await, 1);

    // Bob sees his own project offered, not Alice's.
    let bob_token = app.token("bob");
    let r = call_tool(
        &app,
        &bob_token,
        "lc_visits_find_stops_project",
        json!({"query": ""}),
    )
    .await;
    assert_eq!(
        r["structuredContent"]["records"],
        json!([{"id": secret, "title": "Bob's secret"}]),
        "{r}"
    );

    // The web form: each cell its own input; the project list offers Alice's active projects,
    // and one search above the table finds more.
    let (status, form) = alice.get_text("/apps/lc_visits/ops/add").await;
    assert_eq!(status, StatusCode::OK);
    for input in [
        r#"name="stops[0][arrived]" value="" aria-label="Arrived, new line" type="datetime-local""#,
        r#"type="checkbox" name="stops[0][tags]" value="Billable""#,
        r#"type="tel""#,
        r#"name="find_stops.project""#,
        r#"name="_find" value="stops.project""#,
        &format!(r#"<option value="{apollo}">Apollo</option>"#),
        &format!(r#"<option value="{borealis}">Borealis</option>"#),
    ] {
        assert!(form.contains(input), "{input} in {form}");
    }
    assert!(!form.contains("Bob&#x27;s secret") && !form.contains("Bob's secret"));
    // The project column's filter leaves the closed project out; the backup column offers it.
    let list = |column: &str| {
        let at = form
            .find(&format!(r#"name="stops[0][{column}]""#))
            .unwrap_or_else(|| panic!("{column} in {form}"));
        form[at..].split("</select>").next().unwrap().to_string()
    };
    assert!(!list("project").contains("Zephyr"), "{}", list("project"));
    assert!(list("backup").contains("Zephyr"), "{}", list("backup"));
    let r = alice
        .run_op_in(
            "lc_visits",
            "add",
            None,
            &[
                ("title", "Paris"),
                ("_blank_stops", "3"),
                ("stops[0][note]", "tower"),
                ("stops[0][project]", &apollo.to_string()),
                ("stops[0][tags]", ""),
                ("stops[0][tags]", "Billable"),
                ("stops[0][tags]", "Urgent"),
                ("stops[0][phone]", "+41 44 668 18 00"),
                ("stops[0][arrived]", "2026-07-05T14:30"),
                ("stops[0][place]", "48.8584, 2.2945"),
                ("stops[0][contact]", "maria"),
                ("stops[1][tags]", ""),
                ("stops[2][tags]", ""),
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
    let web_id = record_id_of(&r);
    let row = visit(&app, &token, web_id).await;
    let stops = row["fields"]["stops"].as_array().unwrap().clone();
    assert_eq!(stops.len(), 1, "blank rows add nothing: {row}");
    assert_eq!(stops[0]["tags"], json!(["Urgent", "Billable"]));
    // 14:30 in Berlin in July is 12:30 UTC.
    assert_eq!(stops[0]["arrived"], "2026-07-05T12:30:00Z");
    assert_eq!(stops[0]["place"], json!({"lat": 48.8584, "lon": 2.2945}));
    assert_eq!(stops[0]["phone"], "+41446681800");

    // The record page: the project's title, the moment in Alice's zone.
    let (_, page) = alice
        .get_text(&format!("/apps/lc_visits/records/{web_id}"))
        .await;
    for shown in ["Apollo", "2026-07-05 14:30 CEST", "Urgent, Billable"] {
        assert!(page.contains(shown), "{shown} in {page}");
    }

    // The edit form shows the stored cells back; a refused row keeps what was typed.
    let (_, edit) = alice
        .get_text(&format!("/apps/lc_visits/ops/edit?record={web_id}"))
        .await;
    assert!(edit.contains(r#"value="2026-07-05T14:30""#), "{edit}");
    assert!(
        edit.contains(r#"name="stops[0][tags]" value="Urgent" checked"#),
        "{edit}"
    );
    assert!(
        edit.contains(&format!(
            r#"<option value="{apollo}" selected>Apollo</option>"#
        )),
        "{edit}"
    );
    let r = alice
        .run_op_in(
            "lc_visits",
            "edit",
            Some((web_id, 1)),
            &[
                ("title", "Paris"),
                ("_blank_stops", "3"),
                ("stops[0][id]", "l1"),
                ("stops[0][project]", &closed.to_string()),
                ("stops[0][tags]", ""),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("cannot be chosen here"), "{body}");
    // The project chosen stays chosen in its row, with its title.
    assert!(
        body.contains(&format!(
            r#"<option value="{closed}" selected>Zephyr</option>"#
        )),
        "{body}"
    );

    // The search finds by title for every row's list; nothing is saved.
    let r = alice
        .run_op_in(
            "lc_visits",
            "edit",
            Some((web_id, 1)),
            &[
                ("title", "Paris"),
                ("_blank_stops", "3"),
                ("stops[0][id]", "l1"),
                ("stops[0][project]", &apollo.to_string()),
                ("find_stops.project", "bore"),
                ("_find", "stops.project"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"value="bore""#), "{body}");
    assert!(
        body.contains(&format!(r#"<option value="{borealis}">Borealis</option>"#)),
        "{body}"
    );
    // The row's own project is still offered, and chosen.
    assert!(
        body.contains(&format!(
            r#"<option value="{apollo}" selected>Apollo</option>"#
        )),
        "{body}"
    );

    // Another project and every tag unticked: history names the projects by title.
    let r = alice
        .run_op_in(
            "lc_visits",
            "edit",
            Some((web_id, 1)),
            &[
                ("title", "Paris"),
                ("_blank_stops", "3"),
                ("stops[0][id]", "l1"),
                ("stops[0][project]", &borealis.to_string()),
                ("stops[0][tags]", ""),
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
    let row = visit(&app, &token, web_id).await;
    assert_eq!(row["fields"]["stops"][0]["tags"], Value::Null, "{row}");
    assert_eq!(row["fields"]["stops"][0]["project"], json!(borealis));
    let (_, page) = alice
        .get_text(&format!("/apps/lc_visits/records/{web_id}"))
        .await;
    assert!(
        page.contains("line 1 · Project Apollo → Borealis"),
        "{page}"
    );
    assert!(
        page.contains("line 1 · Tags Urgent, Billable → —"),
        "{page}"
    );

    // Bob cannot open Alice's visit, nor search her lookup as if it were his.
    let (status, _) = bob
        .get_text(&format!("/apps/lc_visits/records/{web_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_a_project_that_lines_refer_to_is_refused_or_empties_the_column() {
    let app = setup().await;
    let alice = app.sign_in("alice").await;
    let apollo = project(&alice, "Apollo", "Active").await;
    let gemini = project(&alice, "Gemini", "Active").await;
    let token = app.token("alice");
    let r = call_tool(
        &app,
        &token,
        "lc_visits_add",
        json!({"title": "Trip", "stops": [
            {"note": "one", "project": apollo, "backup": gemini},
            {"note": "two", "backup": gemini},
            {"note": "three", "backup": apollo}
        ]}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();

    // `project` refuses: the count of referring records, nothing deleted.
    let r = alice
        .run_op_in("lk_projects", "remove", Some((apollo, 1)), &[], None)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(body.contains("1 record of Visits refers to it"), "{body}");

    // `backup` clears: Gemini goes, and each line that held it loses it, in one history entry.
    let r = alice
        .run_op_in("lk_projects", "remove", Some((gemini, 1)), &[], None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let row = visit(&app, &token, id).await;
    let stops = row["fields"]["stops"].as_array().unwrap().clone();
    assert_eq!(stops.len(), 3, "{row}");
    assert_eq!(stops[0]["backup"], Value::Null);
    assert_eq!(stops[1]["backup"], Value::Null);
    // A line referring to another project keeps it.
    assert_eq!(stops[2]["backup"], json!(apollo));
    assert_eq!(stops[0]["project"], json!(apollo));
    assert_eq!(row["version"], json!(2), "{row}");
    let (_, page) = alice
        .get_text(&format!("/apps/lc_visits/records/{id}"))
        .await;
    assert!(page.contains("Delete project (Projects)"), "{page}");
    // Gemini is gone: nobody can open it any more, and the history says so.
    assert!(
        page.contains("line 1 · Backup project a record you cannot open → —"),
        "{page}"
    );
}

#[tokio::test]
async fn an_administrator_adds_a_lookup_column_in_the_app_editor() {
    let app = setup().await;
    let admin = app.sign_in("admin").await;
    let field = "/admin/apps/lc_visits/fields/stops";
    // A new lookup column refers to another published app, chosen on its page.
    let r = admin
        .post_form(
            &format!("{field}/columns"),
            &[
                ("column_label", "Client project"),
                ("column_type", "lookup"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (status, page) = admin
        .get_text(&format!("{field}/columns/client_project"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Refers to records of"), "{page}");
    assert!(page.contains(r#"<option value="lk_projects">"#), "{page}");
    let r = admin
        .post_form(
            &format!("{field}/columns/client_project"),
            &[
                ("label", "Client project"),
                ("name", "client_project"),
                ("type", "lookup"),
                ("help", ""),
                ("app", "lk_projects"),
                ("on_delete", "refuse"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin
        .get_text(&format!("{field}/columns/client_project"))
        .await;
    assert!(
        page.contains(r#"<option value="lk_projects" selected>"#),
        "{page}"
    );
    let r = admin
        .post_form(
            "/admin/apps/lc_visits/publish",
            &[("note", "client project")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let alice = app.sign_in("alice").await;
    let apollo = project(&alice, "Apollo", "Active").await;
    let (_, form) = alice.get_text("/apps/lc_visits/ops/add").await;
    assert!(
        form.contains(r#"name="stops[0][client_project]""#),
        "{form}"
    );
    assert!(
        form.contains(&format!(r#"<option value="{apollo}">Apollo</option>"#)),
        "{form}"
    );
    // Only administrators reach the editor's pages.
    let (status, _) = alice
        .get_text(&format!("{field}/columns/client_project"))
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}

const COSTS: &str = r#"
slug = "lc_costs"
name = "Costs"
roles = ["employee"]
owner_field = "owner"
title_field = "title"

[fields]
title = { type = "text", label = "Title", required = true }
owner = { type = "user", label = "Owner", default = "$me" }
gross_total = { type = "computed", label = "Gross", expr = "sum(items.gross)" }
home_total = { type = "computed", label = "In EUR", expr = "sum(items.home)" }

[fields.items]
type = "lines"
label = "Items"

[fields.items.columns]
net      = { type = "money", label = "Net", currency_field = "currency", required = true }
tax      = { type = "money", label = "Tax", currency_field = "currency" }
currency = { type = "currency", label = "Currency", default = "EUR" }
gross    = { type = "computed", label = "Total", expr = "net + tax", currency_field = "currency" }
date     = { type = "date", label = "Date" }
home     = { type = "converted", label = "Net in EUR", source = "net", date_field = "date" }

[views.mine]
title = "My costs"
roles = ["employee"]
scope = "own"
columns = ["title", "gross_total"]
mcp = { enabled = true, format = "full" }

[operations.add]
title = "Add costs"
kind = "create"
roles = ["employee"]
inputs = ["title", "items"]
mcp = { enabled = true }

[operations.edit]
title = "Edit costs"
kind = "update"
roles = ["employee"]
scope = "own"
inputs = ["title", "items"]
mcp = { enabled = true }
"#;

#[tokio::test]
async fn a_computed_column_is_worked_out_per_line_and_shown_not_typed() {
    let app = spawn_app().await;
    publish(&app, "costs.toml", COSTS).await;
    app.enable_mcp().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = app.token("alice");
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let add = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "lc_costs_add")
        .unwrap()
        .clone();
    let gross = &add["inputSchema"]["properties"]["items"]["items"]["properties"]["gross"];
    assert_eq!(gross["readOnly"], json!(true), "{gross}");
    let r = call_tool(
        &app,
        &token,
        "lc_costs_add",
        json!({"title": "Trip", "items": [{"net": "10.00", "tax": "1.90"}, {"net": "4", "tax": "0.5", "gross": "99"}]}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let rows = call_tool(&app, &token, "lc_costs_mine", json!({})).await;
    let row = rows_of(&rows["structuredContent"])
        .into_iter()
        .find(|r| r["id"] == json!(id))
        .unwrap();
    let items = row["fields"]["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["gross"], "11.9");
    // The value sent for it was left aside: worked out from the line.
    assert_eq!(items[1]["gross"], "4.5");
    assert_eq!(row["fields"]["gross_total"], "16.4");

    // The web form shows it, with no input to type it in; an edit works it out again.
    let alice = app.sign_in("alice").await;
    let (_, form) = alice
        .get_text(&format!("/apps/lc_costs/ops/edit?record={id}"))
        .await;
    assert!(
        form.contains(r#"<output id="f-items-0-gross" aria-label="Total, line 1" class="computed-cell">11.90</output>"#),
        "{form}"
    );
    assert!(!form.contains(r#"name="items[0][gross]""#), "{form}");
    let r = alice
        .run_op_in(
            "lc_costs",
            "edit",
            Some((id, 1)),
            &[
                ("title", "Trip"),
                ("_blank_items", "3"),
                ("items[0][id]", "l1"),
                ("items[0][net]", "12.00"),
                ("items[0][tax]", "1.90"),
                ("items[0][currency]", "EUR"),
                ("items[1][id]", "l2"),
                ("items[1][net]", "4.00"),
                ("items[1][tax]", "0.50"),
                ("items[1][currency]", "EUR"),
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
    let (_, page) = alice
        .get_text(&format!("/apps/lc_costs/records/{id}"))
        .await;
    assert!(page.contains("line 1 · Total 11.90 → 13.90"), "{page}");
    assert!(page.contains("18.40"), "{page}");

    // The App Editor adds a computed column over the line's amounts, its currency theirs.
    let admin = app.sign_in("admin").await;
    let field = "/admin/apps/lc_costs/fields/items";
    let r = admin
        .post_form(
            &format!("{field}/columns"),
            &[("column_label", "Check"), ("column_type", "computed")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin.get_text(&format!("{field}/columns/check")).await;
    assert!(page.contains(r#"value="net + tax""#), "{page}");
    let r = admin
        .post_form(
            &format!("{field}/columns/check"),
            &[
                ("label", "Check"),
                ("name", "check"),
                ("type", "computed"),
                ("help", ""),
                ("expr", "net - tax"),
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
        .post_form("/admin/apps/lc_costs/publish", &[("note", "check")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
}

async fn cost_row(app: &TestApp, token: &str, id: i64) -> Value {
    let rows = call_tool(app, token, "lc_costs_mine", json!({})).await;
    rows_of(&rows["structuredContent"])
        .into_iter()
        .find(|r| r["id"] == json!(id))
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_converted_column_puts_each_line_in_the_home_currency_at_its_own_date() {
    let app = spawn_app().await;
    publish(&app, "costs.toml", COSTS).await;
    app.enable_mcp().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = app.token("alice");
    // Over MCP it is read-only, and so are its rate details sent back with a line as read.
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let add = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "lc_costs_add")
        .unwrap()
        .clone();
    let columns = &add["inputSchema"]["properties"]["items"]["items"]["properties"];
    assert_eq!(columns["home"]["readOnly"], json!(true), "{columns}");
    assert_eq!(columns["home:rate"]["readOnly"], json!(true), "{columns}");
    // Francs at the rate of 2026-01-02 (0.9290 CHF per EUR): 33 CHF = 35.52 EUR.
    let r = call_tool(
        &app,
        &token,
        "lc_costs_add",
        json!({"title": "Zurich", "items": [
            {"date": "2026-03-05", "net": "33", "currency": "CHF"},
            {"date": "2026-03-06", "net": "20.00"},
            {"net": "5.00"}
        ]}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let row = cost_row(&app, &token, id).await;
    let items = row["fields"]["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["home"], "35.52", "{row}");
    assert_eq!(
        items[0]["home:rate"],
        json!({"from": "CHF", "to": "EUR", "rate": "1.07642626", "day": "2026-01-02"})
    );
    assert_eq!(items[1]["home"], "20.00");
    // No date, no conversion (and nothing said: there is nothing to convert at).
    assert_eq!(items[2]["home"], Value::Null);
    assert_eq!(row["fields"]["home_total"], "55.52");

    // Sent back as read, the lines keep their values; a line whose day moves before any franc
    // rate says so, and its amount is not counted as zero.
    let mut back = items.clone();
    back[1]["currency"] = json!("CHF");
    back[1]["date"] = json!("1999-12-01");
    let r = call_tool(
        &app,
        &token,
        "lc_costs_edit",
        json!({"record_id": id, "title": "Zurich", "items": back}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let row = cost_row(&app, &token, id).await;
    let items = row["fields"]["items"].as_array().unwrap().clone();
    assert_eq!(items[0]["home"], "35.52");
    assert_eq!(items[1]["home"], Value::Null);
    assert_eq!(
        items[1]["home:rate"]["missing"],
        "no CHF rate on or before 1999-12-01"
    );
    let alice = app.sign_in("alice").await;
    let (_, page) = alice
        .get_text(&format!("/apps/lc_costs/records/{id}"))
        .await;
    assert!(page.contains("35.52 EUR"), "{page}");
    assert!(
        page.contains("— no CHF rate on or before 1999-12-01"),
        "{page}"
    );
    // The edit form shows it, with no input.
    let (_, form) = alice
        .get_text(&format!("/apps/lc_costs/ops/edit?record={id}"))
        .await;
    assert!(
        form.contains(
            r#"aria-label="Net in EUR, line 1" class="computed-cell">35.52 EUR</output>"#
        ),
        "{form}"
    );

    // A franc rate from 1999 arrives: the administrator's recompute fills the line, with its
    // history entry.
    let csv = app.dir.path().join("old.csv");
    std::fs::write(&csv, "date,currency,rate\n1999-11-30,CHF,1.6\n").unwrap();
    app.cli(&["rates", "import", csv.to_str().unwrap()], None);
    let out = app.cli(&["rates", "recompute", "lc_costs"], None);
    assert!(
        out.contains("1 record(s) updated; 0 amount(s) still without a rate"),
        "{out}"
    );
    let row = cost_row(&app, &token, id).await;
    assert_eq!(
        row["fields"]["items"][1]["home"], "12.50",
        "20 / 1.6: {row}"
    );
    let (_, page) = alice
        .get_text(&format!("/apps/lc_costs/records/{id}"))
        .await;
    assert!(page.contains("Recompute home-currency amounts"), "{page}");
    assert!(page.contains("line 2 · Net in EUR"), "{page}");

    // The App Editor adds one over the line's first amount and date, chosen among the line's
    // own columns on its page.
    let admin = app.sign_in("admin").await;
    let field = "/admin/apps/lc_costs/fields/items";
    let r = admin
        .post_form(
            &format!("{field}/columns"),
            &[("column_label", "Tax in EUR"), ("column_type", "converted")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, page) = admin.get_text(&format!("{field}/columns/tax_in_eur")).await;
    assert!(page.contains("Amount column to convert"), "{page}");
    assert!(page.contains(r#"<option value="net" selected>"#), "{page}");
    assert!(page.contains(r#"<option value="tax">"#), "{page}");
    assert!(page.contains(r#"<option value="date" selected>"#), "{page}");
}
