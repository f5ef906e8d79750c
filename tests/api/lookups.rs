//! The `lookup` field type end to end: Tasks refer to Projects (each employee reads only their
//! own projects). Choosing a project through the plain web form and through MCP, its title shown
//! only to those who may read it, the find tool and the form's search offering only readable,
//! admitted records, and deleting a referenced project refused (`refuse`) or emptying the
//! references with a history entry (`clear`).
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PROJECTS: &str = include_str!("fixtures/lookup_projects.toml");
const TASKS: &str = include_str!("fixtures/lookup_tasks.toml");

async fn publish(app: &TestApp, name: &str, text: &str) {
    let path = app.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
}

/// Both apps published, MCP on, the catalog caches refreshed.
async fn setup() -> TestApp {
    let app = spawn_app().await;
    publish(&app, "projects.toml", PROJECTS).await;
    publish(&app, "tasks.toml", TASKS).await;
    app.enable_mcp().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app
}

/// Creates a project through the web form; returns its id.
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

async fn add_task(s: &Session, fields: &[(&str, &str)]) -> reqwest::Response {
    s.run_op_in("lk_tasks", "add", None, fields, None).await
}

/// The stored fields of one task, read through the MCP view.
async fn task_fields(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "lk_tasks_all", json!({"limit": 100})).await;
    r["structuredContent"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == json!(id))
        .map(|row| row["fields"].clone())
        .unwrap_or(Value::Null)
}

fn found_ids(r: &Value) -> Vec<i64> {
    r["structuredContent"]["records"]
        .as_array()
        .unwrap_or_else(|| panic!("records in {r}"))
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_lookup_to_a_missing_app_is_refused_at_publication() {
    let app = spawn_app().await;
    let path = app.dir.path().join("tasks.toml");
    std::fs::write(&path, TASKS).unwrap();
    let out = app.cli_raw(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fields.project.app") && err.contains("no published app `lk_projects`"),
        "{err}"
    );
    // A filter on a field the target does not have is named too.
    publish(&app, "projects.toml", PROJECTS).await;
    let bad = TASKS.replace(
        r#"field = "status", op = "eq""#,
        r#"field = "stage", op = "eq""#,
    );
    std::fs::write(&path, bad).unwrap();
    let out = app.cli_raw(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("fields.project.filter[0].field") && err.contains("unknown field `stage`"),
        "{err}"
    );
}

#[tokio::test]
async fn choosing_a_project_on_the_plain_web_form_shows_its_title_only_to_those_who_may_read_it() {
    let app = setup().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let apollo = project(&alice, "Apollo", "Active").await;
    let archive = project(&alice, "Archive", "Closed").await;
    let secret = project(&bob, "Bob's secret", "Active").await;

    // The picker: a search box and button inside the operation's form, and radio buttons, no
    // script (the Search button sends the whole form back: what was entered is kept).
    let (status, form) = alice.get_text("/apps/lk_tasks/ops/add").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(r#"type="search" name="find_project" value="""#),
        "{form}"
    );
    assert!(
        form.contains(r#"<button type="submit" name="_find" value="project""#),
        "{form}"
    );
    assert!(!form.contains(r#"form="find-project""#), "{form}");
    assert!(
        form.contains(&format!(
            r#"type="radio" name="project" value="{apollo}"> Apollo"#
        )),
        "{form}"
    );
    // Closed projects are filtered out of `project`, Bob's are not Alice's to read.
    assert!(!form.contains(&format!(r#"name="project" value="{archive}""#)));
    assert!(form.contains(&format!(r#"name="backup" value="{archive}""#)));
    assert!(!form.contains("Bob&#x27;s secret") && !form.contains("Bob's secret"));
    let (_, searched) = alice
        .get_text("/apps/lk_tasks/ops/add?find_project=apo")
        .await;
    assert!(searched.contains(r#"value="apo""#), "{searched}");
    assert!(searched.contains("> Apollo</label>"), "{searched}");
    let (_, none) = alice
        .get_text("/apps/lk_tasks/ops/add?find_project=zzz")
        .await;
    assert!(
        !none.contains(&format!(r#"name="project" value="{apollo}""#)),
        "{none}"
    );

    // A plain form post with the chosen id.
    let r = add_task(
        &alice,
        &[("title", "Write plan"), ("project", &apollo.to_string())],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let task = record_id_of(&r);
    let (_, page) = alice
        .get_text(&format!("/apps/lk_tasks/records/{task}"))
        .await;
    assert!(page.contains("Apollo"), "{page}");
    // Editing it: the current choice is checked, and searching stays on this record's form.
    let (_, edit) = alice
        .get_text(&format!(
            "/apps/lk_tasks/ops/edit?record={task}&find_project=zzz"
        ))
        .await;
    assert!(
        edit.contains(&format!(
            r#"name="project" value="{apollo}" checked> Apollo"#
        )),
        "{edit}"
    );
    assert!(
        edit.contains(&format!(
            r#"<input type="hidden" name="_record" value="{task}">"#
        )),
        "{edit}"
    );

    // Bob may read the task (scope all) but not Alice's project: a neutral phrase, no title,
    // on the record page, in its history, in the view and in the CSV export.
    let (_, page) = bob
        .get_text(&format!("/apps/lk_tasks/records/{task}"))
        .await;
    assert!(!page.contains("Apollo"), "{page}");
    assert!(page.contains("a record you cannot open"), "{page}");
    let (_, list) = bob.get_text("/apps/lk_tasks/views/all").await;
    assert!(!list.contains("Apollo") && list.contains("a record you cannot open"));
    let (_, csv) = bob.get_text("/apps/lk_tasks/views/all/export.csv").await;
    assert!(!csv.contains("Apollo"), "{csv}");
    let (_, csv) = alice.get_text("/apps/lk_tasks/views/all/export.csv").await;
    assert!(csv.contains("Apollo"), "{csv}");

    // Choosing a project one may not read, a filtered-out one or none that exists: refused
    // beside the field, nothing saved.
    for (id, words) in [
        (secret.to_string(), "that you can open"),
        (archive.to_string(), "cannot be chosen here"),
        ("999999".to_string(), "that you can open"),
        ("Apollo".to_string(), "whole number"),
    ] {
        let r = add_task(&alice, &[("title", "Sneaky"), ("project", &id)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{id}");
        let body = r.text().await.unwrap();
        assert!(body.contains(words), "{id}: {body}");
        assert!(!body.contains("Bob&#x27;s secret") && !body.contains("Bob's secret"));
    }
    let token = app.token("alice");
    let r = call_tool(&app, &token, "lk_tasks_all", json!({})).await;
    assert_eq!(r["structuredContent"]["total"], json!(1), "{r}");
}

#[tokio::test]
async fn the_find_tool_lists_only_readable_admitted_projects_and_the_operation_takes_their_ids() {
    let app = setup().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let apollo = project(&alice, "Apollo", "Active").await;
    let gemini = project(&alice, "Gemini", "Active").await;
    let archive = project(&alice, "Archive", "Closed").await;
    let secret = project(&bob, "Apollo for Bob", "Active").await;
    let token = app.token("alice");

    let (_, list) = mcp(&app, &token, "tools/list", json!({})).await;
    let tools = list["result"]["tools"].as_array().unwrap();
    let find = tools
        .iter()
        .find(|t| t["name"] == "lk_tasks_find_project")
        .expect("find tool listed");
    assert_eq!(find["annotations"]["readOnlyHint"], json!(true));
    assert!(find["outputSchema"]["properties"]["records"].is_object());
    let add = tools.iter().find(|t| t["name"] == "lk_tasks_add").unwrap();
    let project_schema = &add["inputSchema"]["properties"]["project"];
    assert_eq!(project_schema["type"], json!("integer"));
    assert!(
        project_schema["description"]
            .as_str()
            .unwrap()
            .contains("lk_tasks_find_project"),
        "{project_schema}"
    );

    let r = call_tool(
        &app,
        &token,
        "lk_tasks_find_project",
        json!({"query": "apo"}),
    )
    .await;
    assert_eq!(found_ids(&r), vec![apollo], "{r}");
    assert!(r["content"][0]["text"].as_str().unwrap().contains("Apollo"));
    let r = call_tool(&app, &token, "lk_tasks_find_project", json!({})).await;
    assert_eq!(found_ids(&r), vec![apollo, gemini], "{r}");
    // `backup` has no filter: the closed project is offered there.
    let r = call_tool(&app, &token, "lk_tasks_find_backup", json!({"query": ""})).await;
    assert_eq!(found_ids(&r), vec![apollo, archive, gemini], "{r}");
    // Bob's project by id: not offered to Alice.
    let r = call_tool(
        &app,
        &token,
        "lk_tasks_find_project",
        json!({"query": secret.to_string()}),
    )
    .await;
    assert!(found_ids(&r).is_empty(), "{r}");

    // The operation refuses what the find tool would not offer.
    let r = call_tool(
        &app,
        &token,
        "lk_tasks_add",
        json!({"title": "Sneaky", "project": secret}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    let text = r.to_string();
    assert!(text.contains("that you can open"), "{text}");
    assert!(!text.contains("Apollo for Bob"), "{text}");
    let r = call_tool(
        &app,
        &token,
        "lk_tasks_add",
        json!({"title": "Sneaky", "project": archive}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert!(r.to_string().contains("cannot be chosen here"), "{r}");
    let r = call_tool(
        &app,
        &token,
        "lk_tasks_add",
        json!({"title": "Launch", "project": apollo}),
    )
    .await;
    assert!(r.get("isError").is_none_or(|e| e == false), "{r}");
    let id = r["structuredContent"]["record_id"].as_i64().unwrap();
    assert_eq!(
        task_fields(&app, &token, id).await["project"],
        json!(apollo)
    );
    // A view gives the title beside the id, as the caller may see it.
    let row = |r: &Value| {
        r["structuredContent"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["id"] == json!(id))
            .cloned()
            .unwrap()
    };
    let mine = row(&call_tool(&app, &token, "lk_tasks_all", json!({})).await);
    assert_eq!(mine["titles"]["project"], json!("Apollo"), "{mine}");
    let bob_token = app.token("bob");
    let r = call_tool(&app, &bob_token, "lk_tasks_all", json!({})).await;
    assert!(!r.to_string().contains("Apollo"), "{r}");
    assert_eq!(
        row(&r)["titles"]["project"],
        json!("a record you cannot open")
    );

    // Someone without the role sees neither tool, nor may search through the web form.
    let admin_token = app.token("admin");
    let names = tool_names(&app, &admin_token).await;
    assert!(
        !names.iter().any(|n| n.starts_with("lk_tasks")),
        "{names:?}"
    );
    let r = call_tool(
        &app,
        &admin_token,
        "lk_tasks_find_project",
        json!({"query": "apo"}),
    )
    .await;
    assert!(r.to_string().contains("unknown tool"), "{r}");
    let admin = app.sign_in("admin").await;
    let (status, body) = admin
        .get_text("/apps/lk_tasks/ops/add?find_project=apo")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!body.contains("Apollo"));
}

#[tokio::test]
async fn deleting_a_referenced_project_is_refused_with_a_count_or_clears_the_references() {
    let app = setup().await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let apollo = project(&alice, "Apollo", "Active").await;
    let gemini = project(&alice, "Gemini", "Active").await;
    let a = apollo.to_string();
    let g = gemini.to_string();
    for title in ["One", "Two"] {
        let r = add_task(&alice, &[("title", title), ("project", &a), ("backup", &g)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    // A task of Bob's refers to his own project: deleting Alice's leaves it alone.
    let mine = project(&bob, "Bob's", "Active").await;
    let r = add_task(
        &bob,
        &[("title", "Bob task"), ("backup", &mine.to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // `project` refuses: the count of referring records, nothing deleted.
    let r = alice
        .run_op_in("lk_projects", "remove", Some((apollo, 1)), &[], None)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap();
    assert!(body.contains("2 records of Tasks refer to it"), "{body}");
    let token = app.token("alice");
    let r = call_tool(
        &app,
        &token,
        "lk_projects_remove",
        json!({"record_id": apollo}),
    )
    .await;
    assert_eq!(r["isError"], json!(true), "{r}");
    assert!(
        r.to_string().contains("2 records of Tasks refer to it"),
        "{r}"
    );

    // `backup` clears: Gemini goes, each referring task loses it with a history entry.
    let r = alice
        .run_op_in("lk_projects", "remove", Some((gemini, 1)), &[], None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let rows = call_tool(&app, &token, "lk_tasks_all", json!({})).await;
    let rows = rows["structuredContent"]["rows"]
        .as_array()
        .unwrap()
        .clone();
    let alices: Vec<&Value> = rows
        .iter()
        .filter(|r| r["fields"]["owner"] == json!("alice"))
        .collect();
    assert_eq!(alices.len(), 2);
    for t in &alices {
        assert_eq!(t["fields"]["backup"], Value::Null, "{t}");
        assert_eq!(t["fields"]["project"], json!(apollo), "{t}");
        let id = t["id"].as_i64().unwrap();
        let (_, page) = alice
            .get_text(&format!("/apps/lk_tasks/records/{id}"))
            .await;
        assert!(page.contains("Delete project (Projects)"), "{page}");
        assert!(page.contains("Backup project"), "{page}");
    }
    // Bob's task, referring to another project, is untouched.
    let bobs = rows
        .iter()
        .find(|r| r["fields"]["owner"] == json!("bob"))
        .unwrap();
    assert_eq!(bobs["fields"]["backup"], json!(mine));

    // Once no task refers to Apollo through `project`, it can be deleted.
    for t in &alices {
        let id = t["id"].as_i64().unwrap();
        let version = t["version"].as_i64().unwrap();
        let r = alice
            .run_op_in(
                "lk_tasks",
                "edit",
                Some((id, version)),
                &[("title", "Detached"), ("project", "")],
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
    let r = alice
        .run_op_in("lk_projects", "remove", Some((apollo, 1)), &[], None)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn the_demo_charges_equipment_requests_to_its_active_projects() {
    let app = spawn_app_with(&["--demo"]).await;
    let alice = app.sign_in("alice").await;
    let (status, form) = alice
        .get_text("/apps/equipment_requests/ops/new_request")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("> Website relaunch</label>"), "{form}");
    assert!(!form.contains("Legacy CRM migration"), "{form}");
    let (_, projects) = alice.get_text("/apps/projects/views/all_projects").await;
    assert!(projects.contains("Legacy CRM migration"), "{projects}");
}

#[tokio::test]
async fn the_app_editor_adds_a_lookup_and_refuses_a_target_that_is_not_published() {
    let app = spawn_app().await;
    publish(&app, "projects.toml", PROJECTS).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields",
            &[
                ("label", "Project"),
                ("name", "project"),
                ("type", "lookup"),
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
        .get_text("/admin/apps/expense_claims/fields/project")
        .await;
    assert!(page.contains(r#"<select id="c-app" name="app">"#), "{page}");
    assert!(
        page.contains(r#"<option value="lk_projects" selected>"#),
        "{page}"
    );
    assert!(page.contains(r#"name="on_delete""#), "{page}");
    assert!(!page.contains(r#"name="default""#), "{page}");
    let fields = |target: &'static str| {
        vec![
            ("label", "Project"),
            ("name", "project"),
            ("type", "lookup"),
            ("help", ""),
            ("app", target),
            ("on_delete", "clear"),
        ]
    };
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields/project",
            &fields("nowhere"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("no published app"), "{body}");
    let r = admin
        .post_form(
            "/admin/apps/expense_claims/fields/project",
            &fields("lk_projects"),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let toml = app.cli(&["app", "export", "expense_claims"], None);
    assert!(toml.contains(r#"type = "lookup""#), "{toml}");
    assert!(toml.contains(r#"app = "lk_projects""#), "{toml}");
    assert!(toml.contains(r#"on_delete = "clear""#), "{toml}");
}

/// Tasks with a view that shows and filters on fields of the looked-up projects.
fn tasks_with_looked_up_view() -> String {
    format!(
        r#"{TASKS}
[views.by_project]
title = "Tasks by project"
roles = ["employee"]
scope = "all"
columns = ["title", "project", "project.status", "backup.status"]
sort = ["title"]
parameters.project_status = {{ field = "project.status", op = "eq", label = "Project status" }}
parameters.backup_status = {{ field = "backup.status", op = "eq" }}
mcp = {{ enabled = true, format = "columns", summary_tool = true }}

[views.by_project.summaries.per_project]
title = "Tasks per project"
aggregate = "count"
group_by = ["project"]
"#
    )
}

#[tokio::test]
async fn views_show_and_filter_on_looked_up_fields_only_through_records_their_reader_may_read() {
    let app = spawn_app().await;
    let projects = format!(
        r#"{PROJECTS}
[operations.edit]
title = "Edit project"
kind = "update"
roles = ["employee"]
scope = "own"
inputs = ["name", "status"]
"#
    );
    publish(&app, "projects.toml", &projects).await;
    publish(&app, "tasks.toml", &tasks_with_looked_up_view()).await;
    app.enable_mcp().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let alice = app.sign_in("alice").await;
    let bob = app.sign_in("bob").await;
    let apollo = project(&alice, "Apollo", "Active").await;
    let archive = project(&alice, "Archive", "Closed").await;
    let secret = project(&bob, "Bob's secret", "Active").await;
    for (s, title, field, id) in [
        (&alice, "Plan", "project", apollo),
        (&alice, "Tidy", "backup", archive),
        (&bob, "Hide", "project", secret),
    ] {
        let r = add_task(s, &[("title", title), (field, &id.to_string())]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{title}");
    }

    // The web list: a "Lookup · Field" header without a sort link, the target's value where the
    // reader may read the target, the neutral phrase where not.
    let (status, list) = alice.get_text("/apps/lk_tasks/views/by_project").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("<th>Project · Status </th>") || list.contains(">Project · Status<"),
        "{list}"
    );
    assert!(!list.contains("sort=project.status"), "{list}");
    let row = |page: &str, title: &str| {
        let at = page
            .find(&format!(">{title}<"))
            .unwrap_or_else(|| panic!("{title} in {page}"));
        page[at..at + page[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(row(&list, "Plan").contains("Active"), "{list}");
    assert!(row(&list, "Tidy").contains("Closed"), "{list}");
    assert!(
        row(&list, "Hide").contains("a record you cannot open"),
        "{list}"
    );
    assert!(!row(&list, "Hide").contains("Active"), "{list}");

    // Filtering in the database, through readable targets only: Alice's "Active" finds her own
    // task, not Bob's (whose project she may not read); Bob's finds only his.
    let (_, active) = alice
        .get_text("/apps/lk_tasks/views/by_project?p_project_status=Active")
        .await;
    assert!(
        active.contains(">Plan<") && !active.contains(">Hide<") && !active.contains(">Tidy<"),
        "{active}"
    );
    let (_, bobs) = bob
        .get_text("/apps/lk_tasks/views/by_project?p_project_status=Active")
        .await;
    assert!(
        bobs.contains(">Hide<") && !bobs.contains(">Plan<"),
        "{bobs}"
    );
    let (_, closed) = alice
        .get_text("/apps/lk_tasks/views/by_project?p_backup_status=Closed")
        .await;
    assert!(
        closed.contains(">Tidy<") && !closed.contains(">Plan<"),
        "{closed}"
    );
    // The parameter is typed as the target field: a value that is not one of its options is
    // refused with the field's own message.
    let (_, wrong) = alice
        .get_text("/apps/lk_tasks/views/by_project?p_project_status=Paused")
        .await;
    assert!(
        wrong.contains("Paused") && !wrong.contains(">Plan<"),
        "{wrong}"
    );
    // Sorting by a looked-up column is refused with a reason.
    let (_, sorted) = alice
        .get_text("/apps/lk_tasks/views/by_project?sort=project.status")
        .await;
    assert!(sorted.contains("looked-up column"), "{sorted}");
    // A summary grouped by the lookup names each group by the title its reader may see.
    assert!(list.contains(&format!("Apollo (#{apollo})")), "{list}");
    assert!(
        list.contains(&format!("a record you cannot open (#{secret})")),
        "{list}"
    );
    assert!(!list.contains("Bob&#x27;s secret") && !list.contains("Bob's secret"));
    // The CSV export has the header and the values as the page shows them.
    let (_, csv) = alice
        .get_text("/apps/lk_tasks/views/by_project/export.csv")
        .await;
    assert!(
        csv.lines().next().unwrap().contains("Project · Status"),
        "{csv}"
    );
    assert!(csv.contains("Plan,Apollo,Active,"), "{csv}");

    // MCP: the tool takes the parameter typed as the target's choice and returns the column.
    let token = app.token("alice");
    let (_, listed) = mcp(&app, &token, "tools/list", json!({})).await;
    let tool = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "lk_tasks_by_project")
        .expect("the view's tool")
        .clone();
    let schema = &tool["inputSchema"]["properties"]["project_status"];
    assert_eq!(schema["enum"], json!(["Active", "Closed"]), "{tool}");
    assert!(
        tool["description"]
            .as_str()
            .unwrap()
            .contains("Project · Status"),
        "{tool}"
    );
    let r = call_tool(
        &app,
        &token,
        "lk_tasks_by_project",
        json!({"project_status": "Active"}),
    )
    .await;
    let sc = &r["structuredContent"];
    assert_eq!(sc["total"], json!(1), "{r}");
    assert_eq!(sc["columns"][4], json!("project.status"), "{r}");
    assert_eq!(sc["rows"][0][2], json!("Plan"), "{r}");
    assert_eq!(sc["rows"][0][4], json!("Active"), "{r}");
    let bob_token = app.token("bob");
    let r = call_tool(&app, &bob_token, "lk_tasks_by_project", json!({})).await;
    let rows = r["structuredContent"]["rows"].as_array().unwrap().clone();
    let plan = rows
        .iter()
        .find(|row| row[2] == json!("Plan"))
        .expect("Plan");
    assert_eq!(plan[4], json!("a record you cannot open"), "{r}");

    // A project's status changing moves its tasks in and out of the filter at once.
    let r = alice
        .run_op_in(
            "lk_projects",
            "edit",
            Some((apollo, 1)),
            &[("name", "Apollo"), ("status", "Closed")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = call_tool(
        &app,
        &token,
        "lk_tasks_by_project",
        json!({"project_status": "Active"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["total"], json!(0), "{r}");
    let (_, list) = alice.get_text("/apps/lk_tasks/views/by_project").await;
    assert!(row(&list, "Plan").contains("Closed"), "{list}");
}

#[tokio::test]
async fn looked_up_names_are_checked_at_publication_on_both_sides() {
    let app = spawn_app().await;
    publish(&app, "projects.toml", PROJECTS).await;
    let path = app.dir.path().join("tasks.toml");
    // A field the target does not have, and a file-less but unknown one: refused with the path.
    let bad = tasks_with_looked_up_view().replace("\"backup.status\"]", "\"backup.stage\"]");
    std::fs::write(&path, &bad).unwrap();
    let out = app.cli_raw(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("views.by_project.columns[3]") && err.contains("has no field `stage`"),
        "{err}"
    );
    // Sorting by one, or looking up through a field that is not a lookup, is refused at once.
    for (from, to, words) in [
        (
            "sort = [\"title\"]\nparameters.project_status",
            "sort = [\"project.status\"]\nparameters.project_status",
            "sorts by its app's own fields",
        ),
        (
            "\"backup.status\"]",
            "\"title.status\"]",
            "`title` is not a lookup field",
        ),
    ] {
        std::fs::write(&path, tasks_with_looked_up_view().replace(from, to)).unwrap();
        let out = app.cli_raw(
            &["app", "import", path.to_str().unwrap(), "--publish"],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(words), "{err}");
    }
    publish(&app, "tasks.toml", &tasks_with_looked_up_view()).await;
    // The target cannot drop a field another app looks up; the error names that app.
    let pruned = PROJECTS
        .replace(
            r#"status = { type = "choice", label = "Status", options = ["Active", "Closed"], default = "Active" }"#,
            "",
        )
        .replace(r#"columns = ["name", "status"]"#, r#"columns = ["name"]"#)
        .replace(r#"inputs = ["name", "status"]"#, r#"inputs = ["name"]"#);
    assert!(!pruned.contains("status ="), "{pruned}");
    let ppath = app.dir.path().join("projects.toml");
    std::fs::write(&ppath, pruned).unwrap();
    let out = app.cli_raw(
        &["app", "import", ppath.to_str().unwrap(), "--publish"],
        None,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("`lk_tasks`")
            && err.contains("project.status")
            && err.contains("change that app first"),
        "{err}"
    );
}

#[tokio::test]
async fn a_default_copied_from_the_looked_up_record_is_set_once_at_creation() {
    let app = spawn_app().await;
    let projects = format!(
        r#"{PROJECTS}
[operations.edit]
title = "Edit project"
kind = "update"
roles = ["employee"]
scope = "own"
inputs = ["name", "status"]
"#
    );
    publish(&app, "projects.toml", &projects).await;
    let copying = TASKS.replace(
        "[views.all]",
        r#"[fields.project_name]
type = "text"
label = "Project when created"
default = "$project.name"

[fields.project_status]
type = "choice"
label = "Project status when created"
options = ["Active", "Closed"]
default = "$project.status"

[views.all]"#,
    );
    let path = app.dir.path().join("tasks.toml");
    // Copying into a field of another type (a choice into a number) is refused at publication,
    // as is a field the target does not have or a name that is not a lookup.
    for (from, to, words) in [
        (
            r#"type = "choice"
label = "Project status when created""#,
            r#"type = "number"
label = "Project status when created""#,
            "`status` of `lk_projects` is a choice field",
        ),
        (
            "$project.name",
            "$project.nope",
            "has no field `nope` to copy",
        ),
        (
            "$project.name",
            "$title.name",
            "`title` is not a lookup field",
        ),
    ] {
        let bad = copying.replace(from, to);
        let bad = if to.contains("number") {
            bad.replace("options = [\"Active\", \"Closed\"]\ndefault", "default")
        } else {
            bad
        };
        std::fs::write(&path, bad).unwrap();
        let out = app.cli_raw(
            &["app", "import", path.to_str().unwrap(), "--publish"],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(words),
            "{words}: {err}"
        );
    }
    publish(&app, "tasks.toml", &copying).await;
    app.enable_mcp().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let alice = app.sign_in("alice").await;
    let apollo = project(&alice, "Apollo", "Active").await;
    // The form says where the value comes from.
    let (_, form) = alice.get_text("/apps/lk_tasks/ops/add").await;
    assert!(!form.contains("$project"), "{form}");
    let r = add_task(
        &alice,
        &[("title", "Plan"), ("project", &apollo.to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let web_task = record_id_of(&r);
    // Through MCP too, and a task without a project copies nothing.
    let token = app.token("alice");
    let r = call_tool(
        &app,
        &token,
        "lk_tasks_add",
        json!({"title": "Review", "project": apollo}),
    )
    .await;
    assert_ne!(r["isError"], json!(true), "{r}");
    let mcp_task = r["structuredContent"]["record_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r}"));
    let r = call_tool(&app, &token, "lk_tasks_add", json!({"title": "Alone"})).await;
    let alone = r["structuredContent"]["record_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r}"));
    for id in [web_task, mcp_task] {
        let f = task_fields(&app, &token, id).await;
        assert_eq!(f["project_name"], json!("Apollo"), "{f}");
        assert_eq!(f["project_status"], json!("Active"), "{f}");
    }
    let f = task_fields(&app, &token, alone).await;
    assert!(f["project_name"].is_null(), "{f}");
    // The project changes; the tasks keep what was copied when they were created.
    let r = alice
        .run_op_in(
            "lk_projects",
            "edit",
            Some((apollo, 1)),
            &[("name", "Apollo 2"), ("status", "Closed")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let f = task_fields(&app, &token, web_task).await;
    assert_eq!(f["project_name"], json!("Apollo"), "{f}");
    assert_eq!(f["project_status"], json!("Active"), "{f}");
    // The record's history shows the copied values with its creation.
    let (_, page) = alice
        .get_text(&format!("/apps/lk_tasks/records/{web_task}"))
        .await;
    assert!(page.contains("Project when created"), "{page}");
}
