//! Operation forms and lists as the web shows them without JavaScript: the lookup picker's Search
//! keeps what was entered and saves nothing, a list leaves empty the fields a record hides by
//! `visible_when`, and a list required for the operation offers no empty choice once it has a value.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const PROJECTS: &str = include_str!("fixtures/lookup_projects.toml");
const TASKS: &str = include_str!("fixtures/lookup_tasks.toml");
const TRIP_COSTS: &str = include_str!("fixtures/trip_costs.toml");

async fn publish(app: &TestApp, name: &str, text: &str) {
    let path = app.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
}

async fn settle() {
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

#[tokio::test]
async fn the_pickers_search_keeps_the_values_entered_and_saves_nothing() {
    let app = spawn_app().await;
    publish(&app, "projects.toml", PROJECTS).await;
    publish(&app, "tasks.toml", TASKS).await;
    app.enable_mcp().await;
    settle().await;
    let alice = app.sign_in("alice").await;
    let mut ids = vec![];
    for name in ["Apollo", "Gemini"] {
        let r = alice
            .run_op_in("lk_projects", "add", None, &[("name", name)], None)
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        ids.push(record_id_of(&r));
    }
    let (apollo, gemini) = (ids[0], ids[1]);

    // A title typed and a backup chosen, then Search for the project: the same form comes back
    // with both kept and only the projects found offered.
    let g = gemini.to_string();
    let r = alice
        .run_op_in(
            "lk_tasks",
            "add",
            None,
            &[
                ("title", "Write the plan"),
                ("backup", &g),
                ("find_project", "apo"),
                ("find_backup", ""),
                ("_find", "project"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"name="title" value="Write the plan""#),
        "{page}"
    );
    assert!(
        page.contains(r#"name="find_project" value="apo""#),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            r#"name="project" value="{apollo}"> Apollo</label>"#
        )),
        "{page}"
    );
    assert!(
        !page.contains(&format!(r#"name="project" value="{gemini}""#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            r#"name="backup" value="{gemini}" checked> Gemini"#
        )),
        "{page}"
    );
    let token = app.token("alice");
    let all = call_tool(&app, &token, "lk_tasks_all", json!({})).await;
    assert_eq!(all["structuredContent"]["total"], json!(0), "{all}");

    // On an existing record the search stays on its form, with what was typed.
    let r = alice
        .run_op_in(
            "lk_tasks",
            "add",
            None,
            &[("title", "First"), ("project", &apollo.to_string())],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let task = record_id_of(&r);
    let r = alice
        .run_op_in(
            "lk_tasks",
            "edit",
            Some((task, 1)),
            &[
                ("title", "Renamed, not saved"),
                ("project", &apollo.to_string()),
                ("find_project", "gem"),
                ("_find", "project"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(r#"name="title" value="Renamed, not saved""#),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"name="_record" value="{task}""#)),
        "{page}"
    );
    // The current choice stays offered and checked beside the projects found.
    assert!(
        page.contains(&format!(
            r#"name="project" value="{apollo}" checked> Apollo"#
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"name="project" value="{gemini}"> Gemini"#)),
        "{page}"
    );
    let (_, record) = alice
        .get_text(&format!("/apps/lk_tasks/records/{task}"))
        .await;
    assert!(
        record.contains("First") && !record.contains("Renamed, not saved"),
        "{record}"
    );
    assert!(record.contains("Version 1"), "{record}");
}

#[tokio::test]
async fn a_list_leaves_empty_the_fields_a_record_hides() {
    let app = spawn_app().await;
    let path = app.dir.path().join("trip_costs.toml");
    std::fs::write(&path, TRIP_COSTS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    settle().await;
    let alice = app.sign_in("alice").await;
    let lodging = [
        ("purpose", "Fair in Lyon"),
        ("category", "Lodging"),
        ("nights", "2"),
        ("hotel", "Hotel du Parc"),
        ("amount", "240.00"),
        ("currency", "EUR"),
    ];
    let r = alice
        .run_op_in("trip_costs", "add", None, &lodging, None)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = record_id_of(&r);
    let (_, list) = alice.get_text("/apps/trip_costs/views/mine").await;
    assert!(list.contains("Hotel du Parc"), "{list}");
    let (_, csv) = alice
        .get_text("/apps/trip_costs/views/mine/export.csv")
        .await;
    assert!(csv.contains("Hotel du Parc"), "{csv}");

    // Turned into travel, the record keeps its nights and hotel, hidden: not in the list.
    let r = alice
        .run_op_in(
            "trip_costs",
            "edit",
            Some((id, 1)),
            &[
                ("category", "Travel"),
                ("nights", "2"),
                ("hotel", "Hotel du Parc"),
                ("amount", "240.00"),
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
    let (_, list) = alice.get_text("/apps/trip_costs/views/mine").await;
    assert!(list.contains("Fair in Lyon"), "{list}");
    assert!(!list.contains("Hotel du Parc"), "{list}");
    assert!(
        list.contains(r#"<td data-label="Nights" class="num"></td>"#)
            || list.contains(r#"<td data-label="Nights"></td>"#),
        "{list}"
    );
    let (_, csv) = alice
        .get_text("/apps/trip_costs/views/mine/export.csv")
        .await;
    assert!(!csv.contains("Hotel du Parc"), "{csv}");
    let (_, page) = alice
        .get_text(&format!("/apps/trip_costs/records/{id}"))
        .await;
    let fields = page.split("<h2>History</h2>").next().unwrap_or_default();
    assert!(!fields.contains("Hotel du Parc"), "{fields}");
}

#[tokio::test]
async fn a_list_required_for_the_operation_offers_no_empty_choice_once_chosen() {
    let app = spawn_app().await;
    let path = app.dir.path().join("trip_costs.toml");
    std::fs::write(&path, TRIP_COSTS).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    settle().await;
    let alice = app.sign_in("alice").await;
    // A new cost: Category (required on create) has no value yet, so the empty choice is there.
    let (_, form) = alice.get_text("/apps/trip_costs/ops/add").await;
    assert!(
        form.contains(r#"<select id="f-category" name="category"><option value="">—</option>"#),
        "{form}"
    );
    // Sent back refused (no purpose) with a category chosen: it can no longer be emptied.
    let r = alice
        .run_op_in(
            "trip_costs",
            "add",
            None,
            &[("purpose", ""), ("category", "Travel")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let form = r.text().await.unwrap();
    assert!(
        form.contains(
            r#"<select id="f-category" name="category"><option value="Travel" selected>"#
        ),
        "{form}"
    );
    // The edit operation does not require it (a field's `required` is for create): the empty
    // choice stays, as the engine accepts it there.
    let r = alice
        .run_op_in(
            "trip_costs",
            "add",
            None,
            &[("purpose", "Train"), ("category", "Travel")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = record_id_of(&r);
    let (_, form) = alice
        .get_text(&format!("/apps/trip_costs/ops/edit?record={id}"))
        .await;
    assert!(
        form.contains(r#"<select id="f-category" name="category"><option value="">—</option>"#),
        "{form}"
    );
}
