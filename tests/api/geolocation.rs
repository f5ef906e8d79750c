//! The geolocation field type and calculated defaults end to end, on the site-visits app: a
//! place typed on the web form ("lat, lon") and sent over MCP (an object), shown with a map
//! link, exported, in the history; bad places refused with their message and nothing saved;
//! views that would filter or sort on a place refused at import. A follow-up date defaulting to
//! `$today+14d` and a `$now` moment, worked out once at creation and kept by later operations.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const VISITS: &str = include_str!("fixtures/site_visits.toml");

async fn publish(app: &TestApp, toml: &str) {
    let path = app.dir.path().join("visits.toml");
    std::fs::write(&path, toml).unwrap();
    app.cli(
        &["app", "import", path.to_str().unwrap(), "--publish"],
        None,
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}

/// The stored fields of one record, read through the MCP view (full format).
async fn stored(app: &TestApp, token: &str, id: i64) -> Value {
    let r = call_tool(app, token, "site_visits_all", json!({"limit": 100})).await;
    rows_of(&r["structuredContent"])
        .into_iter()
        .find(|row| row["id"] == json!(id))
        .map(|row| row["fields"].clone())
        .unwrap_or(Value::Null)
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

fn in_two_weeks() -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(14))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn a_place_goes_through_the_web_form_and_mcp_and_back() {
    let app = spawn_app().await;
    publish(&app, VISITS).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let token = app.token("alice");

    // The form: a plain text input, the script that adds "Use my location", and the follow-up
    // date prefilled two weeks from today. Nothing forbids the page to ask for the position.
    let r = alice.get("/apps/site_visits/ops/add").await;
    let permissions = r
        .headers()
        .get("permissions-policy")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        !permissions.contains("geolocation=()"),
        "geolocation is not blocked: {permissions}"
    );
    let csp = r
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let form = r.text().await.unwrap();
    for part in [
        r#"type="text" name="location""#,
        "data-geolocation",
        r#"<script src="/static/geolocation.js" defer></script>"#,
        &format!(r#"name="follow_up" value="{}""#, in_two_weeks()),
    ] {
        assert!(form.contains(part), "{part} in {form}");
    }
    let r = alice.get("/static/geolocation.js").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("getCurrentPosition"));

    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    let r = alice
        .run_op_in(
            "site_visits",
            "add",
            None,
            &[("place", "Tower"), ("location", " 48.8584 , 2.2945 ")],
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
    let fields = stored(&app, &token, web_id).await;
    assert_eq!(fields["location"], json!({"lat": 48.8584, "lon": 2.2945}));
    assert_eq!(fields["follow_up"], json!(in_two_weeks()));
    let logged = fields["logged_at"].as_str().unwrap().to_string();
    let moment = chrono::DateTime::parse_from_rfc3339(&logged).unwrap();
    assert!(logged.ends_with('Z') && moment >= before, "{logged}");
    assert!(moment <= chrono::Utc::now() + chrono::Duration::seconds(2));

    let (_, page) = alice
        .get_text(&format!("/apps/site_visits/records/{web_id}"))
        .await;
    assert!(
        page.contains("<dd>48.8584, 2.2945 <a href=\"https://www.openstreetmap.org/?mlat=48.8584&#38;mlon=2.2945#map=17/48.8584/2.2945\""),
        "{page}"
    );

    // MCP: an object, with the device's accuracy; the schemas say what a place is, and the
    // follow-up date's description says what it becomes when left out.
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let add = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "site_visits_add")
        .unwrap()
        .clone();
    let props = &add["inputSchema"]["properties"];
    assert_eq!(props["location"]["type"], "object");
    assert_eq!(props["location"]["properties"]["lat"]["minimum"], -90);
    assert_eq!(props["location"]["properties"]["lon"]["maximum"], 180);
    assert_eq!(props["location"]["required"], json!(["lat", "lon"]));
    let follow = props["follow_up"]["description"].as_str().unwrap();
    assert!(
        follow.contains("defaults to today + 14 days when not given"),
        "{follow}"
    );
    let out = &add["outputSchema"]["properties"]["record"]["anyOf"][0]["properties"];
    assert_eq!(out["location"]["type"], json!(["object", "null"]));

    let r = call_tool(
        &app,
        &token,
        "site_visits_add",
        json!({"place": "Opera", "location": {"lat": -33.85678444, "lon": 151.2152967, "accuracy_m": 12}}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
    let mcp_id = r["structuredContent"]["record_id"].as_i64().unwrap();
    let record = &r["structuredContent"]["record"];
    assert_eq!(
        record["location"],
        json!({"lat": -33.8567844, "lon": 151.2152967, "accuracy_m": 12.0})
    );
    assert_eq!(record["follow_up"], json!(in_two_weeks()));
    let mcp_logged = record["logged_at"].clone();
    assert!(mcp_logged.is_string(), "{record}");

    // The edit form holds the place as typed, accuracy included, so it is kept unchanged.
    let (_, edit) = alice
        .get_text(&format!("/apps/site_visits/ops/edit?record={mcp_id}"))
        .await;
    assert!(
        edit.contains(r#"value="-33.8567844, 151.2152967 ± 12 m""#),
        "{edit}"
    );

    // Updates: on the web form, then over MCP as "lat, lon" text.
    let version = version_of_visit(&alice, web_id).await;
    let r = alice
        .run_op_in(
            "site_visits",
            "edit",
            Some((web_id, version)),
            &[("location", "48.85837, 2.294481"), ("overnight", "no")],
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
        json!({"record_id": mcp_id, "location": "-34.6037, -58.3816"}),
    )
    .await;
    assert_eq!(r["structuredContent"]["applied"], json!(true), "{r}");
    assert_eq!(
        r["structuredContent"]["record"]["location"],
        json!({"lat": -34.6037, "lon": -58.3816})
    );
    // The defaults were worked out once: later operations keep them.
    assert_eq!(r["structuredContent"]["record"]["logged_at"], mcp_logged);
    let fields = stored(&app, &token, web_id).await;
    assert_eq!(
        fields["location"],
        json!({"lat": 48.85837, "lon": 2.294481})
    );
    assert_eq!(fields["follow_up"], json!(in_two_weeks()));
    assert_eq!(fields["logged_at"], json!(logged));

    // The history reads as places.
    let (_, page) = alice
        .get_text(&format!("/apps/site_visits/records/{web_id}"))
        .await;
    for diff in ["48.8584, 2.2945", "48.85837, 2.294481"] {
        assert!(page.contains(diff), "{diff} in the history: {page}");
    }
    let (_, page) = alice
        .get_text(&format!("/apps/site_visits/records/{mcp_id}"))
        .await;
    assert!(page.contains("-33.8567844, 151.2152967"), "{page}");
    assert!(page.contains("-34.6037, -58.3816"), "{page}");

    // A place is a column, but not one to sort the list by.
    let (_, listed) = alice.get_text("/apps/site_visits/views/all").await;
    assert!(
        listed.contains("<th>Location </th>") || listed.contains("<th>Location</th>"),
        "{listed}"
    );
    assert!(!listed.contains("sort=location"), "{listed}");
    let (_, refused) = alice
        .get_text("/apps/site_visits/views/all?sort=-location")
        .await;
    assert!(
        refused.contains("places have no order to sort by"),
        "{refused}"
    );

    // The CSV export: "lat, lon", a southern latitude without a formula guard.
    let (status, csv) = alice
        .get_text("/apps/site_visits/views/all/export.csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains(",\"48.85837, 2.294481\""), "{csv}");
    assert!(csv.contains(",\"-34.6037, -58.3816\""), "{csv}");
}

#[tokio::test]
async fn a_bad_place_is_refused_with_its_message_and_nothing_is_saved() {
    let app = spawn_app().await;
    publish(&app, VISITS).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let token = app.token("alice");
    let web_cases = [
        (
            "48.8584",
            "expected latitude, longitude such as 48.8584, 2.2945",
        ),
        ("91, 2.2945", "latitude must be between -90 and 90"),
        ("48.8584, 180.5", "longitude must be between -180 and 180"),
        (
            "48,8584, 2,2945",
            "expected latitude, longitude such as 48.8584, 2.2945",
        ),
        ("north, east", "is not a number"),
    ];
    for (bad, message) in web_cases {
        let r = alice
            .run_op_in(
                "site_visits",
                "add",
                None,
                &[("place", "Bad"), ("location", bad)],
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let page = r.text().await.unwrap();
        assert!(page.contains(message), "{bad}: {message} in {page}");
        // The form keeps what was typed, to be corrected.
        assert!(page.contains(&format!(r#"value="{bad}""#)), "{bad}");
    }
    let mcp_cases = [
        (
            json!({"lat": 10, "lon": 200}),
            "longitude must be between -180 and 180",
        ),
        (
            json!({"lat": -90.5, "lon": 0}),
            "latitude must be between -90 and 90",
        ),
        (json!({"lat": 10}), "a location needs both lat and lon"),
        (
            json!({"lat": 1, "lon": 2, "alt": 3}),
            "`alt` is not part of a location",
        ),
        (json!([48.8584, 2.2945]), "is not a location"),
        (json!({"lat": true, "lon": 2}), "is not a number"),
        (
            json!("somewhere"),
            "expected latitude, longitude such as 48.8584, 2.2945",
        ),
    ];
    for (bad, message) in mcp_cases {
        let r = call_tool(
            &app,
            &token,
            "site_visits_add",
            json!({"place": "Bad", "location": bad}),
        )
        .await;
        assert_eq!(r["isError"], json!(true), "{bad}: {r}");
        let text = r["structuredContent"]["error"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(message), "{bad}: {message} in {r}");
    }
    let r = call_tool(&app, &token, "site_visits_all", json!({})).await;
    assert!(
        rows_of(&r["structuredContent"]).is_empty(),
        "nothing saved: {r}"
    );
}

#[tokio::test]
async fn views_cannot_filter_or_sort_on_a_place_and_placeholders_fit_their_types() {
    let app = spawn_app().await;
    let refused = |toml: String| {
        let path = app.dir.path().join("bad.toml");
        std::fs::write(&path, toml).unwrap();
        let out = app.cli_raw(&["app", "import", path.to_str().unwrap()], None);
        assert!(!out.status.success());
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let with_param = VISITS.replace(
        "parameters.far =",
        "parameters.near = { field = \"location\", op = \"eq\" }\nparameters.far =",
    );
    let m = refused(with_param);
    assert!(
        m.contains("views.all.parameters.near.field")
            && m.contains("`location` is a geolocation field and cannot be filtered on"),
        "{m}"
    );
    let m = refused(VISITS.replace("sort = [\"place\"]", "sort = [\"-location\"]"));
    assert!(
        m.contains("views.all.sort[0]") && m.contains("places have no order to sort by"),
        "{m}"
    );
    let m = refused(VISITS.replace("default = \"$today+14d\"", "default = \"$now\""));
    assert!(
        m.contains("fields.follow_up.default")
            && m.contains("`$now` (the moment of creation) fits date and time fields"),
        "{m}"
    );
    let m = refused(VISITS.replace("$today+14d", "$today+2q"));
    assert!(m.contains("`$today+2q` is not a date placeholder"), "{m}");
    let m = refused(VISITS.replace("default = \"$now\"", "default = \"$today\""));
    assert!(m.contains("fields.logged_at.default"), "{m}");
    let m = refused(VISITS.replace(
        "website   = { type = \"url\", label = \"Website\" }",
        "website   = { type = \"url\", label = \"Website\", visible_when = { field = \"location\", op = \"eq\", value = \"1, 2\" } }",
    ));
    assert!(m.contains("a place cannot be compared with a value"), "{m}");
    // A place is still a column (the fixture's view shows it) and publishes.
    publish(&app, VISITS).await;
}

#[tokio::test]
async fn the_app_editor_offers_a_place_and_the_placeholders() {
    let app = spawn_app().await;
    publish(&app, VISITS).await;
    let admin = app.sign_in("admin").await;
    let r = admin
        .post_form(
            "/admin/apps/site_visits/fields",
            &[
                ("label", "Meeting point"),
                ("name", "meeting_point"),
                ("type", "geolocation"),
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
        .get_text("/admin/apps/site_visits/fields/meeting_point")
        .await;
    assert!(
        page.contains(r#"<option value="geolocation" selected"#),
        "the type is offered and chosen: {page}"
    );
    assert!(
        !page.contains(r#"name="default""#),
        "a place has no default: {page}"
    );
    let (_, list) = admin.get_text("/admin/apps/site_visits/fields").await;
    assert!(
        list.contains(r#"name="preview_meeting_point""#) && list.contains("48.8584, 2.2945"),
        "the preview shows the text input: {list}"
    );

    // A date's default: the help lists the placeholders; one that does not fit is refused.
    let (_, page) = admin
        .get_text("/admin/apps/site_visits/fields/follow_up")
        .await;
    assert!(
        page.contains("$today+14d") && page.contains("$now"),
        "{page}"
    );
    let edit = |default: &'static str| {
        vec![
            ("label", "Follow up by"),
            ("name", "follow_up"),
            ("type", "date"),
            ("help", ""),
            ("default", default),
            ("min", ""),
            ("max", ""),
        ]
    };
    let r = admin
        .post_form("/admin/apps/site_visits/fields/follow_up", &edit("$now"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("fits date and time fields"), "{page}");
    let r = admin
        .post_form(
            "/admin/apps/site_visits/fields/follow_up",
            &edit("$today+1m"),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
}

#[tokio::test]
async fn a_now_default_is_prefilled_on_the_form_and_described_over_mcp() {
    let app = spawn_app().await;
    // The moment of creation as an input of the create operation.
    let toml = VISITS.replace(
        "\"location\", \"follow_up\"]",
        "\"location\", \"follow_up\", \"logged_at\"]",
    );
    assert_ne!(toml, VISITS);
    publish(&app, &toml).await;
    app.enable_mcp().await;
    let alice = app.sign_in("alice").await;
    let (_, form) = alice.get_text("/apps/site_visits/ops/add").await;
    // No time zone in Alice's profile: the form shows UTC, to the minute.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        form.contains(&format!(
            r#"type="datetime-local" name="logged_at" value="{today}T"#
        )),
        "{form}"
    );
    let token = app.token("alice");
    let (_, tools) = mcp(&app, &token, "tools/list", json!({})).await;
    let add = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "site_visits_add")
        .unwrap()
        .clone();
    let described = add["inputSchema"]["properties"]["logged_at"]["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        described.contains("defaults to the moment the record is created when not given"),
        "{described}"
    );
    // Given, the value given is kept; left out, the moment of the call.
    let r = call_tool(
        &app,
        &token,
        "site_visits_add",
        json!({"place": "Given", "logged_at": "2026-01-02T03:04:05Z"}),
    )
    .await;
    assert_eq!(
        r["structuredContent"]["record"]["logged_at"],
        json!("2026-01-02T03:04:05Z"),
        "{r}"
    );
    let r = call_tool(
        &app,
        &token,
        "site_visits_add",
        json!({"place": "Left out"}),
    )
    .await;
    let logged = r["structuredContent"]["record"]["logged_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        logged.starts_with(&today) && logged.ends_with('Z'),
        "{logged}"
    );
}
