//! The MCP catalog's promises and the administrator's view of them: a read tool exists whenever a
//! description names it, diagnostics name operations a role cannot find a record for, and view
//! results carry their rows as the administrator chose.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Imports and publishes a copy of the sample app under `slug`, with `edit` applied to its text.
fn import_variant(app: &TestApp, slug: &str, edit: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(repo_root().join("seed-data/apps/expense_claims.toml"))
        .unwrap()
        .replace("slug = \"expense_claims\"", &format!("slug = \"{slug}\""))
        .replace(
            "name = \"Expense Claims\"",
            &format!("name = \"Variant {slug}\""),
        );
    let text = edit(text);
    let path = app.dir.path().join(format!("{slug}.toml"));
    std::fs::write(&path, text).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
}

/// Every view of the sample app's text switched off for MCP.
fn no_view_for_mcp(text: String) -> String {
    text.replace(
        "mcp = { enabled = true, format = \"columns\", summary_tool = true }",
        "mcp = { enabled = false, format = \"columns\" }",
    )
    .replace(
        "mcp = { enabled = true, format = \"columns\" }",
        "mcp = { enabled = false, format = \"columns\" }",
    )
}

async fn tools(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, body) = mcp(app, token, "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["result"]["tools"].as_array().unwrap().clone()
}

/// Tool names quoted in descriptions (`` `name` `` with `_read_` in it) that are not listed.
fn named_but_missing(tools: &[Value]) -> Vec<String> {
    let listed: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    let mut missing = Vec::new();
    for t in tools {
        let d = t["description"].as_str().unwrap_or_default();
        for quoted in d.split('`').skip(1).step_by(2) {
            if quoted.contains("_read_") && !listed.contains(&quoted) {
                missing.push(format!("{} names {quoted}", t["name"]));
            }
        }
    }
    missing
}

#[tokio::test]
async fn a_read_tool_is_listed_whenever_a_tool_description_tells_the_model_to_use_it() {
    let app = spawn_app().await;
    import_variant(&app, "noviews", no_view_for_mcp);
    // Names so long that `<slug>_read_<field>` is shortened to fit 64 characters.
    let long = "claims_of_the_european_subsidiaries_xyz1";
    import_variant(&app, long, |t| {
        no_view_for_mcp(t)
            .replace("\"receipt\"", "\"receipt_scan_of_the_claim\"")
            .replace(
                "receipt      = { type = \"file\"",
                "receipt_scan_of_the_claim = { type = \"file\"",
            )
    });
    app.enable_mcp().await;
    let alice = tools(&app, &app.token("alice")).await;
    let shortened = alice
        .iter()
        .filter_map(|t| t["name"].as_str())
        .filter(|n| n.starts_with(long))
        .count();
    assert!(shortened >= 3, "the long app's tools are listed");
    assert!(
        !alice.iter().any(|t| t["name"]
            .as_str()
            .is_some_and(|n| n.contains("read_receipt_scan"))),
        "the read tool's name is shortened, so the description must use the shortened one"
    );
    let names: Vec<&str> = alice.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"noviews_fill_receipt_fields"), "{names:?}");
    assert!(
        !names.contains(&"noviews_my_claims"),
        "views are off: {names:?}"
    );
    assert!(
        names.contains(&"noviews_read_receipt"),
        "the fill tool's description names the read tool, so it is listed: {names:?}"
    );
    assert_eq!(named_but_missing(&alice), Vec::<String>::new());
    // And the listed read tool works for one's own record.
    let s = app.sign_in("alice").await;
    let id = s.new_claim("Read me").await;
    let r = call_tool(
        &app,
        &app.token("alice"),
        "noviews_read_receipt",
        json!({"record_id": id}),
    )
    .await;
    assert!(
        r.get("error").is_none(),
        "the tool is callable (an answer about the missing file is fine): {r}"
    );
    for user in ["bob", "maria", "admin"] {
        let listed = tools(&app, &app.token(user)).await;
        assert_eq!(named_but_missing(&listed), Vec::<String>::new(), "{user}");
    }
}

#[tokio::test]
async fn no_read_tool_is_listed_when_nothing_enabled_can_use_it() {
    let app = spawn_app().await;
    // No view, and the operation with the cross-check is off too: nothing names the read tool.
    import_variant(&app, "bare", |t| {
        no_view_for_mcp(t).replace(
            "cross_check = { file = \"receipt\", into = \"receipt_check\" }\nmcp = { enabled = true }",
            "cross_check = { file = \"receipt\", into = \"receipt_check\" }\nmcp = { enabled = false }",
        )
    });
    app.enable_mcp().await;
    let alice = tools(&app, &app.token("alice")).await;
    let names: Vec<&str> = alice.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(!names.contains(&"bare_fill_receipt_fields"), "{names:?}");
    assert!(!names.contains(&"bare_read_receipt"), "{names:?}");
    assert!(names.contains(&"bare_new_claim"), "{names:?}");
}

#[tokio::test]
async fn diagnostics_warn_when_an_operation_needs_a_record_id_no_view_lets_its_role_find() {
    let app = spawn_app().await;
    import_variant(&app, "noviews", no_view_for_mcp);
    // Approving is on for MCP, but managers keep only "My claims" (their own records) and
    // approving is never on one's own.
    import_variant(&app, "ownonly", |t| {
        t.replace(
            "not_own = true\ninputs = [\"manager_comment\"]\nmcp = { enabled = false }",
            "not_own = true\ninputs = [\"manager_comment\"]\nmcp = { enabled = true }",
        )
        .replace(
            "parameters.employee = { field = \"employee\", op = \"eq\", label = \"Employee\" }\nparameters.date_from = { field = \"expense_date\", op = \"gte\", label = \"Date from\" }\nmcp = { enabled = true, format = \"columns\", summary_tool = true }",
            "parameters.employee = { field = \"employee\", op = \"eq\", label = \"Employee\" }\nparameters.date_from = { field = \"expense_date\", op = \"gte\", label = \"Date from\" }\nmcp = { enabled = false, format = \"columns\" }",
        )
    });
    app.enable_mcp().await;
    let admin = app.sign_in("admin").await;
    let (status, html) = admin.get_text("/admin/integration/mcp").await;
    assert_eq!(status, StatusCode::OK);
    let warnings: Vec<&str> = html
        .split("<li class=\"bad\">")
        .skip(1)
        .map(|s| s.split("</li>").next().unwrap())
        .filter(|s| s.contains("needs a record id"))
        .collect();
    let about = |app: &str, tool: &str| {
        warnings
            .iter()
            .any(|w| w.starts_with(&format!("Variant {app}:")) && w.contains(tool))
    };
    // No view at all: every record operation, for each of its roles.
    assert!(about("noviews", "noviews_submit"), "{warnings:#?}");
    assert!(
        about("noviews", "noviews_fill_receipt_fields"),
        "{warnings:#?}"
    );
    assert!(
        !about("noviews", "noviews_new_claim"),
        "creating needs no record id"
    );
    assert!(
        !about("noviews", "noviews_approve"),
        "approving is off for MCP"
    );
    assert!(warnings.iter().any(|w| w.contains("noviews_submit")
        && w.contains("no view enabled for MCP is granted to employee")));
    // Own records only, for an operation that is never on one's own.
    assert!(about("ownonly", "ownonly_approve"), "{warnings:#?}");
    assert!(!about("ownonly", "ownonly_submit"), "{warnings:#?}");
    assert!(warnings
        .iter()
        .any(|w| w.contains("ownonly_approve") && w.contains("list only their own records")));
    // The sample app as shipped lets every role find its records.
    assert!(
        !warnings.iter().any(|w| w.starts_with("Expense Claims:")),
        "{warnings:#?}"
    );
}

/// Bytes of a view result's parts: (text, structuredContent, the whole JSON-RPC result).
fn sizes(result: &Value) -> (usize, usize, usize) {
    let text: usize = result["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["text"].as_str())
        .map(str::len)
        .sum();
    let structured = result["structuredContent"].to_string().len();
    (text, structured, result.to_string().len())
}

#[tokio::test]
async fn view_results_carry_the_rows_twice_by_default_and_once_when_the_admin_chooses() {
    let app = spawn_app().await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    // A typical page: 25 filled-in claims.
    for i in 0..25 {
        let id = alice
            .new_claim(&format!("Client visit {i} — Deutsche Bahn"))
            .await;
        let net = format!("{}.{:02}", 20 + i * 7, i);
        let r = alice
            .run_op(
                "fill_receipt_fields",
                Some((id, version_of(&alice, id).await)),
                &[
                    ("supplier", "Deutsche Bahn"),
                    ("expense_date", "2024-03-05"),
                    ("net", &net),
                    ("tax", "3.80"),
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
    }
    let token = app.token("alice");
    let both = call_tool(&app, &token, "expense_claims_my_claims", json!({})).await;
    let rows = both["structuredContent"]["rows"].as_array().unwrap().len();
    assert_eq!(rows, 25);
    let text = both["content"][0]["text"].as_str().unwrap();
    assert!(
        text.lines().count() >= 27 && text.contains("Client visit 24 — Deutsche Bahn"),
        "the default text carries the table: {text}"
    );
    let (t1, s1, w1) = sizes(&both);

    let admin = app.sign_in("admin").await;
    let page = admin.get_text("/admin/integration/mcp").await.1;
    assert!(
        page.contains("value=\"both\" checked"),
        "the default is shown"
    );
    let r = admin
        .post_form(
            "/admin/integration/mcp/view-rows",
            &[("view_rows", "structured")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = admin.get_text("/admin/integration/mcp").await.1;
    assert!(
        page.contains("value=\"structured\" checked"),
        "the choice is kept"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // the one-second cache

    let once = call_tool(&app, &token, "expense_claims_my_claims", json!({})).await;
    assert_eq!(
        once["structuredContent"], both["structuredContent"],
        "same rows"
    );
    let text = once["content"][0]["text"].as_str().unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.starts_with("25 of 25 matching records") && !text.contains("Deutsche Bahn"));
    let (t2, s2, w2) = sizes(&once);
    eprintln!(
        "view result, 25 rows of expense_claims_my_claims: text+structured: text {t1} B, structuredContent {s1} B, result {w1} B; structured only: text {t2} B, structuredContent {s2} B, result {w2} B"
    );
    assert!(
        w2 * 10 < w1 * 7,
        "structured only is much smaller: {w2} vs {w1}"
    );
}
