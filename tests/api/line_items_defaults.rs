//! Calculated defaults of line columns end to end: worked out once when a line is added — over
//! MCP and on the web form, by a create or an update — for the person adding it; a line kept
//! keeps its values on later edits; given values win; the web form's blank rows show the
//! defaults and a row left as prefilled adds no line; the MCP schema says what a new line gets.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const VISITS: &str = r#"
slug = "site_visits"
name = "Site visits"
roles = ["employee"]
owner_field = "owner"
title_field = "purpose"

[fields]
purpose = { type = "text", label = "Purpose", required = true }
owner   = { type = "user", label = "Owner", default = "$me" }

[fields.stops]
type = "lines"
label = "Stops"
max_rows = 20

[fields.stops.columns]
place    = { type = "text", label = "Place", required = true }
noted    = { type = "date", label = "Noted", default = "$today" }
due      = { type = "date", label = "Due", default = "$today+1w" }
by       = { type = "text", label = "By", default = "$me.name", required = true }
team     = { type = "text", label = "Team", default = "$me.department" }
currency = { type = "currency", label = "Currency", default = "EUR" }

[views.mine]
title = "My site visits"
roles = ["employee"]
scope = "own"
columns = ["purpose", "stops"]
mcp = { enabled = true, format = "full" }

[operations.create]
title = "New site visit"
kind = "create"
roles = ["employee"]
inputs = ["purpose", "stops"]
mcp = { enabled = true }

[operations.edit]
title = "Edit site visit"
kind = "update"
roles = ["employee"]
scope = "own"
inputs = ["purpose", "stops"]
mcp = { enabled = true }
"#;

const COLUMNS: [&str; 6] = ["place", "noted", "due", "by", "team", "currency"];

/// The stored lines of one visit, read through the Full view.
async fn stops(app: &TestApp, token: &str, id: i64) -> Vec<Value> {
    let r = call_tool(app, token, "site_visits_mine", json!({"limit": 100})).await;
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .and_then(|row| row["fields"]["stops"].as_array().cloned())
        .unwrap_or_default()
}

/// The form's cells of the stored lines, as the edit form sends them back unchanged.
fn kept_rows(lines: &[Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        for key in std::iter::once("id").chain(COLUMNS) {
            let v = l[key].as_str().unwrap_or_default().to_string();
            out.push((format!("stops[{i}][{key}]"), v));
        }
    }
    out.push(("_blank_stops".into(), "3".into()));
    out
}

/// A new row as the form shows it (the defaults prefilled), with some cells typed over.
fn new_row(
    index: usize,
    prefilled: &[(&str, String)],
    typed: &[(&str, &str)],
) -> Vec<(String, String)> {
    COLUMNS
        .iter()
        .map(|col| {
            let v = typed
                .iter()
                .find(|(k, _)| k == col)
                .map(|(_, v)| v.to_string())
                .or_else(|| {
                    prefilled
                        .iter()
                        .find(|(k, _)| k == col)
                        .map(|(_, v)| v.clone())
                })
                .unwrap_or_default();
            (format!("stops[{index}][{col}]"), v)
        })
        .collect()
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[tokio::test]
async fn line_items_defaults_are_worked_out_once_when_a_line_is_added() {
    let app = spawn_app().await;
    let path = app.dir.path().join("visits.toml");
    std::fs::write(&path, VISITS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    app.cli(&["user", "set-department", "alice", "Field service"], None);
    app.enable_mcp().await;
    let token = app.token("alice");
    let today = chrono::Utc::now().date_naive();
    let in_a_week = (today + chrono::Days::new(7)).to_string();
    let today = today.to_string();

    // The schema of a line says what a new line that leaves a column out gets; a column with a
    // default need not be sent.
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    for tool in ["site_visits_create", "site_visits_edit"] {
        let t = tools["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == tool)
            .unwrap();
        let line = &t["inputSchema"]["properties"]["stops"]["items"];
        for (col, says) in [
            ("noted", "defaults to today when a new line leaves it out"),
            (
                "due",
                "defaults to today + 1 week when a new line leaves it out",
            ),
            (
                "by",
                "defaults to your name (the acting user's) when a new line leaves it out",
            ),
            (
                "team",
                "defaults to your department (the acting user's; empty when you have none)",
            ),
        ] {
            let d = line["properties"][col]["description"].as_str().unwrap();
            assert!(d.contains(says), "{tool}.{col}: {d}");
        }
        assert!(
            !line["properties"]["place"]["description"]
                .as_str()
                .unwrap()
                .contains("defaults to"),
            "{line}"
        );
        assert_eq!(line["required"], json!(["place"]), "{line}");
    }

    // Over MCP: a new line gets the defaults for Alice today; given values win.
    let r = call_tool(
        &app,
        &token,
        "site_visits_create",
        json!({"purpose": "Audit", "stops": [
            {"place": "Depot"},
            {"place": "Port", "by": "Someone else", "noted": "2026-01-05", "team": null}
        ]}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let lines = stops(&app, &token, id).await;
    assert_eq!(
        lines[0],
        json!({"id": "l1", "place": "Depot", "noted": today, "due": in_a_week, "by": "alice", "team": "Field service", "currency": "EUR"})
    );
    assert_eq!(lines[1]["by"], "Someone else");
    assert_eq!(lines[1]["noted"], "2026-01-05");
    assert_eq!(lines[1]["team"], Value::Null);
    assert_eq!(lines[1]["due"], json!(in_a_week));

    // Alice moves to another department. An edit keeps the lines it keeps as they are (a
    // column left out included); only the line it adds is worked out, for her now.
    app.cli(&["user", "set-department", "alice", "Logistics"], None);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = call_tool(
        &app,
        &token,
        "site_visits_edit",
        json!({"record_id": id, "stops": [{"id": "l1", "place": "Depot 2"}, {"id": "l2"}, {"place": "Quay"}]}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    let lines = stops(&app, &token, id).await;
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["place"], "Depot 2");
    assert_eq!(lines[0]["team"], "Field service");
    assert_eq!(lines[1]["team"], Value::Null);
    assert_eq!(lines[1]["by"], "Someone else");
    assert_eq!(
        lines[2],
        json!({"id": "l3", "place": "Quay", "noted": today, "due": in_a_week, "by": "alice", "team": "Logistics", "currency": "EUR"})
    );

    // The web edit form: blank rows for new lines show the defaults, worked out for Alice now.
    let alice = app.sign_in("alice").await;
    let (_, form) = alice
        .get_text(&format!("/apps/site_visits/ops/edit?record={id}"))
        .await;
    for part in [
        r#"name="stops[0][team]" value="Field service""#.to_string(),
        r#"name="stops[3][place]" value="""#.to_string(),
        format!(r#"name="stops[3][noted]" value="{today}""#),
        format!(r#"name="stops[4][due]" value="{in_a_week}""#),
        r#"name="stops[3][by]" value="alice""#.to_string(),
        r#"name="stops[5][team]" value="Logistics""#.to_string(),
        r#"name="stops[3][currency]" value="EUR""#.to_string(),
    ] {
        assert!(form.contains(&part), "{part} in {form}");
    }

    // Sent back: a row typed into becomes a line with the rest as prefilled; a row left as
    // prefilled adds nothing; a value typed over a default wins; the kept lines do not change.
    let prefilled = [
        ("noted", today.clone()),
        ("due", in_a_week.clone()),
        ("by", "alice".to_string()),
        ("team", "Logistics".to_string()),
        ("currency", "EUR".to_string()),
    ];
    let mut rows = kept_rows(&lines);
    rows.extend(new_row(3, &prefilled, &[("place", "Gate")]));
    rows.extend(new_row(4, &prefilled, &[]));
    rows.extend(new_row(
        5,
        &prefilled,
        &[("place", "Yard"), ("by", "Typed name")],
    ));
    let r = alice
        .run_op_in("site_visits", "edit", Some((id, 2)), &pairs(&rows), None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let after = stops(&app, &token, id).await;
    assert_eq!(after.len(), 5, "{after:?}");
    assert_eq!(&after[..3], &lines[..]);
    assert_eq!(
        after[3],
        json!({"id": "l4", "place": "Gate", "noted": today, "due": in_a_week, "by": "alice", "team": "Logistics", "currency": "EUR"})
    );
    assert_eq!(after[4]["id"], "l5");
    assert_eq!(after[4]["place"], "Yard");
    assert_eq!(after[4]["by"], "Typed name");

    // The web create form starts with the defaults in its blank rows too.
    let (_, form) = alice.get_text("/apps/site_visits/ops/create").await;
    assert!(
        form.contains(&format!(r#"name="stops[0][noted]" value="{today}""#)),
        "{form}"
    );
    let mut rows = vec![
        ("purpose".to_string(), "Inspection".to_string()),
        ("_blank_stops".to_string(), "3".to_string()),
    ];
    rows.extend(new_row(0, &prefilled, &[("place", "Office")]));
    rows.extend(new_row(1, &prefilled, &[]));
    let r = alice
        .run_op_in("site_visits", "create", None, &pairs(&rows), None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let created = stops(&app, &token, record_id_of(&r)).await;
    assert_eq!(
        created,
        vec![
            json!({"id": "l1", "place": "Office", "noted": today, "due": in_a_week, "by": "alice", "team": "Logistics", "currency": "EUR"})
        ]
    );
}

#[tokio::test]
async fn line_items_defaults_that_do_not_fit_are_refused_with_their_path() {
    let app = spawn_app().await;
    let path = app.dir.path().join("visits.toml");
    for (from, to, says) in [
        (
            r#"default = "$today+1w""#,
            r#"default = "$now""#,
            "fields.stops.columns.due.default: `$now` (the moment of creation) fits date and time fields, not a field of type `date`; a date field takes `$today`",
        ),
        (
            r#"default = "$me.department""#,
            r#"default = "$owner.team""#,
            "fields.stops.columns.team.default: `$owner.team` copies a field of a looked-up record, and a line has no lookup of its own",
        ),
    ] {
        std::fs::write(&path, VISITS.replace(from, to)).unwrap();
        let out = app.cli_raw(&["app", "import", path.to_str().unwrap()], None);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success() && text.contains(says), "{text}");
    }
}
