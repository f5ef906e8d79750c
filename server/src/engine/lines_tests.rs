#![allow(clippy::unwrap_used)]
use super::*;
use serde_json::json;

const APP: &str = r#"
slug = "reports"
name = "Reports"
[fields]
purpose = { type = "text", label = "Purpose" }
total = { type = "computed", label = "Total", expr = "sum(items.net)" }
lines_count = { type = "computed", label = "Lines", expr = "count(items)" }
first_day = { type = "computed", label = "First day", expr = "min(items.day)" }
[fields.items]
type = "lines"
label = "Items"
max_rows = 3
[fields.items.columns]
day = { type = "date", label = "Day" }
what = { type = "text", label = "What", required = true, max_len = 20 }
net = { type = "money", label = "Net", currency_field = "currency" }
currency = { type = "currency", label = "Currency", default = "EUR" }
"#;

fn app() -> AppDef {
    AppDef::parse(APP).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

fn parse(raw: Value, old: &Value, next: u64) -> Result<ParsedLines, Vec<String>> {
    let d = app();
    let f = &d.fields["items"];
    let added = new_line_values(f, today(), None);
    parse_lines(f, "items", &Raw::Json(raw), old, next, today(), &added)
}

#[test]
fn new_lines_get_ids_in_order_and_defaults() {
    let p = parse(
        json!([{"what": "Taxi", "net": "12.50"}, {"what": "Hotel", "net": "80", "currency": "usd"}]),
        &Value::Null,
        0,
    )
    .unwrap();
    assert_eq!(p.value[0]["id"], "l1");
    assert_eq!(p.value[1]["id"], "l2");
    assert_eq!(p.value[0]["currency"], "EUR");
    assert_eq!(p.value[1]["currency"], "USD");
    assert_eq!(p.next, 3);
}

#[test]
fn kept_lines_update_removed_lines_go_and_ids_are_never_reused() {
    let old = json!([
        {"id": "l1", "what": "Taxi", "net": "12.5", "currency": "EUR", "day": null},
        {"id": "l2", "what": "Hotel", "net": "80", "currency": "EUR", "day": null}
    ]);
    // l2 removed, l1 changed (its date kept as it was not sent), one line added.
    let p = parse(
        json!([{"what": "Lunch"}, {"id": "l1", "net": "13"}]),
        &old,
        3,
    )
    .unwrap();
    assert_eq!(p.value[0]["id"], "l3");
    assert_eq!(p.value[1]["id"], "l1");
    assert_eq!(p.value[1]["what"], "Taxi");
    assert_eq!(p.value[1]["net"], "13");
    assert_eq!(p.value.as_array().unwrap().len(), 2);
    // The last line removed: its number is not given again.
    let p = parse(json!([{"what": "Again"}]), &json!([]), 3).unwrap();
    assert_eq!(p.value[0]["id"], "l3");
    let changes = line_changes(
        &app().fields["items"],
        &old,
        &json!([{"id": "l3", "what": "Lunch", "currency": "EUR"}, {"id": "l1", "what": "Taxi", "net": "13", "currency": "EUR"}]),
    );
    assert_eq!(
        changes,
        vec![
            "line 2 removed",
            "line 1 added",
            "line 2 · Net 12.50 → 13.00",
        ]
    );
}

#[test]
fn problems_carry_the_line_and_column_and_nothing_is_kept() {
    let old = json!([{"id": "l1", "what": "Taxi"}]);
    let e = parse(
        json!([
            {"id": "l1"},
            {"what": "Fine"},
            {"what": "", "net": "abc"},
        ]),
        &old,
        2,
    )
    .unwrap_err();
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("items[2].what: is required"), "{e:?}");
    assert!(e[1].starts_with("items[2].net: "), "{e:?}");
    let e = parse(json!([{"id": "l9", "what": "x"}]), &old, 2).unwrap_err();
    assert!(
        e[0].starts_with("items[0].id: this record has no line `l9`"),
        "{e:?}"
    );
    let e = parse(json!([{"id": "l1"}, {"id": "l1"}]), &old, 2).unwrap_err();
    assert!(e[0].contains("sent twice"), "{e:?}");
    let e = parse(json!([{"what": "x", "colour": "red"}]), &old, 2).unwrap_err();
    assert!(e[0].starts_with("items[0].colour: not a column"), "{e:?}");
    let e = parse(
        json!([{"what": "x", "net": "1.005", "currency": "EUR"}]),
        &old,
        2,
    )
    .unwrap_err();
    assert!(e[0].contains("EUR amounts have at most 2"), "{e:?}");
    let e = parse(
        json!([{"what": "a"}, {"what": "b"}, {"what": "c"}, {"what": "d"}]),
        &old,
        2,
    )
    .unwrap_err();
    assert_eq!(e, vec!["at most 3 lines (4 sent)"]);
    let e = parse(json!("not lines"), &old, 2).unwrap_err();
    assert!(e[0].contains("send a list of lines"), "{e:?}");
    let e = parse(json!([7]), &old, 2).unwrap_err();
    assert!(e[0].starts_with("items[0]: a line is an object"), "{e:?}");
}

#[test]
fn aggregates_sum_per_currency_and_count_and_pick_dates() {
    let d = app();
    let mut data = Map::new();
    data.insert(
        "items".into(),
        json!([
            {"id": "l1", "what": "a", "net": "10.5", "currency": "EUR", "day": "2026-02-03"},
            {"id": "l2", "what": "b", "net": "2", "currency": "EUR", "day": "2026-02-01"}
        ]),
    );
    let sum = parse_aggregate("sum(items.net)").unwrap();
    assert_eq!(aggregate(&d, &sum, &data), json!("12.5"));
    assert_eq!(
        aggregate(&d, &parse_aggregate("count(items)").unwrap(), &data),
        json!("2")
    );
    assert_eq!(
        aggregate(&d, &parse_aggregate("min( items.day )").unwrap(), &data),
        json!("2026-02-01")
    );
    data.insert("total".into(), json!("12.5"));
    let shown = display_aggregate(&d, "total", &Value::Object(data.clone())).unwrap();
    assert_eq!(shown, "12.50");
    assert_eq!(
        aggregate_currency(&d, &d.fields["total"], &Value::Object(data.clone())).as_deref(),
        Some("EUR")
    );
    data.insert(
        "items".into(),
        json!([
            {"id": "l1", "what": "a", "net": "10.5", "currency": "EUR"},
            {"id": "l2", "what": "b", "net": "2", "currency": "USD"}
        ]),
    );
    assert_eq!(aggregate(&d, &sum, &data), Value::Null);
    data.insert("total".into(), Value::Null);
    assert_eq!(
        display_aggregate(&d, "total", &Value::Object(data)).unwrap(),
        "several currencies"
    );
}

#[test]
fn definitions_are_checked_with_paths() {
    let bad = APP.replace(
        "day = { type = \"date\", label = \"Day\" }",
        "day = { type = \"file\", label = \"Day\", default = \"3\" }\nwho = { type = \"lookup\", label = \"Who\" }",
    );
    let e = AppDef::parse(&bad).unwrap_err();
    let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
    // A file column is one (a receipt per line), but it has no default.
    assert!(
        text.iter().any(|t| t.starts_with(
            "fields.items.columns.day.default: a file or photo column has no default"
        )),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("fields.items.columns.who.app: a lookup field needs `app`")),
        "{text:?}"
    );
    let bad = APP.replace("currency_field = \"currency\"", "currency_field = \"what\"");
    let e = AppDef::parse(&bad).unwrap_err();
    assert_eq!(e[0].path, "fields.items.columns.net.currency_field");
    let bad = APP.replace("expr = \"sum(items.net)\"", "expr = \"sum(items.what)\"");
    let e = AppDef::parse(&bad).unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "fields.total.expr: `items.what` is not a money, number or integer column"
    );
    let bad = APP.replace("max_rows = 3", "max_rows = 3\nmin_rows = 5");
    assert_eq!(
        AppDef::parse(&bad).unwrap_err()[0].path,
        "fields.items.min_rows"
    );
    let bad = APP.replace("max_rows = 3", "max_rows = 5000");
    assert_eq!(
        AppDef::parse(&bad).unwrap_err()[0].path,
        "fields.items.max_rows"
    );
    let bad = APP.replace(
        "[fields.items.columns]\n",
        "[fields.items.columns]\nid = { type = \"text\", label = \"Id\" }\n",
    );
    assert_eq!(
        AppDef::parse(&bad).unwrap_err()[0].path,
        "fields.items.columns.id"
    );
}

#[test]
fn renaming_the_lines_field_follows_its_aggregates() {
    let mut d = app();
    d.rename_field("items", "costs").unwrap();
    assert_eq!(d.fields["total"].expr.as_deref(), Some("sum(costs.net)"));
    assert_eq!(
        d.fields["lines_count"].expr.as_deref(),
        Some("count(costs)")
    );
    d.validate().unwrap();
}

#[test]
fn lines_and_what_is_taken_from_them_are_not_filtered_sorted_or_summarised() {
    let with = |extra: &str| format!("{APP}\n{extra}");
    let e = AppDef::parse(&with(
        "[views.v]\ntitle = \"V\"\nroles = [\"r\"]\ncolumns = [\"purpose\", \"items\", \"first_day\"]\nsort = [\"first_day\"]",
    ))
    .unwrap_err();
    assert_eq!(e[0].path, "views.v.sort[0]", "{e:?}");
    let e = AppDef::parse(&with(
        "[views.v]\ntitle = \"V\"\nroles = [\"r\"]\ncolumns = [\"purpose\"]\nparameters.p = { field = \"items\", op = \"eq\" }",
    ))
    .unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "views.v.parameters.p.field: `items` cannot be filtered on"
    );
    let e = AppDef::parse(&with(
        "[views.v]\ntitle = \"V\"\nroles = [\"r\"]\ncolumns = [\"purpose\"]\nsummaries.s = { title = \"S\", aggregate = \"sum\", field = \"total\" }",
    ))
    .unwrap_err();
    assert_eq!(e[0].path, "views.v.summaries.s.field", "{e:?}");
    // A count over lines adds up across records.
    AppDef::parse(&with(
        "[views.v]\ntitle = \"V\"\nroles = [\"r\"]\ncolumns = [\"purpose\", \"items\", \"total\"]\nsort = [\"lines_count\"]\nsummaries.s = { title = \"S\", aggregate = \"sum\", field = \"lines_count\" }",
    ))
    .unwrap();
    let e = AppDef::parse(&with(
        "[operations.o]\ntitle = \"O\"\nkind = \"update\"\nroles = [\"r\"]\nwhen = [{ field = \"items\", op = \"eq\", value = \"1\" }]",
    ))
    .unwrap_err();
    assert!(e[0].message.contains("is a lines field"), "{e:?}");
}

#[test]
fn a_view_column_and_the_history_read_plainly() {
    let d = app();
    let data = json!({"items": [{"id": "l1", "what": "a"}, {"id": "l2", "what": "b"}]});
    assert_eq!(
        super::super::value::display_value(&d, "items", &data),
        "2 lines"
    );
    let one = json!({"items": [{"id": "l1", "what": "a"}]});
    assert_eq!(
        super::super::value::display_value(&d, "items", &one),
        "1 line"
    );
    let f = &d.fields["items"];
    let before = json!([{"id": "l1", "what": "a"}, {"id": "l2", "what": "b"}]);
    let after = json!([{"id": "l2", "what": "b"}, {"id": "l1", "what": "a"}]);
    assert_eq!(line_changes(f, &before, &after), vec!["lines reordered"]);
    assert_eq!(
        line_changes(f, &before, &Value::Null),
        vec!["line 1 removed", "line 2 removed"]
    );
}

/// A lines field whose columns have calculated defaults, as written in a definition.
const CALCULATED: &str = r#"
slug = "visits"
name = "Visits"
[fields.stops]
type = "lines"
label = "Stops"
[fields.stops.columns]
place = { type = "text", label = "Place", required = true }
noted = { type = "date", label = "Noted", default = "$today" }
due = { type = "date", label = "Due", default = "$today+2w" }
by = { type = "text", label = "By", default = "$me" }
who = { type = "text", label = "Who", default = "$me.name", required = true }
team = { type = "long_text", label = "Team", default = "$me.department" }
currency = { type = "currency", label = "Currency", default = "EUR" }
"#;

fn with_column(column: &str) -> Result<AppDef, Vec<String>> {
    AppDef::parse(&CALCULATED.replace("place = {", &format!("{column}\nplace = {{")))
        .map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

#[test]
fn calculated_column_defaults_fit_their_types_and_are_refused_with_their_paths() {
    AppDef::parse(CALCULATED).unwrap();
    for (column, refusal) in [
        (
            r#"at = { type = "date", label = "At", default = "$now" }"#,
            "fields.stops.columns.at.default: `$now` (the moment of creation) fits date and time fields, not a field of type `date`; a date field takes `$today`",
        ),
        (
            r#"at = { type = "text", label = "At", default = "$today" }"#,
            "fields.stops.columns.at.default: `$today` is a date and fits date fields, not a field of type `text`",
        ),
        (
            r#"at = { type = "date", label = "At", default = "$today+2x" }"#,
            "fields.stops.columns.at.default: `$today+2x` is not a date placeholder",
        ),
        (
            r#"at = { type = "number", label = "At", default = "$me" }"#,
            "fields.stops.columns.at.default: `$me` (the person creating the record) fits user and text fields, not a field of type `number`",
        ),
        (
            r#"at = { type = "integer", label = "At", default = "$me.name" }"#,
            "fields.stops.columns.at.default: `$me.name` is text; it is the default of a text field",
        ),
        (
            r#"at = { type = "text", label = "At", default = "$me.phone" }"#,
            "fields.stops.columns.at.default: `$me.phone`: the person creating a record has `$me.name` and `$me.department`",
        ),
        (
            r#"at = { type = "text", label = "At", default = "$project.code" }"#,
            "fields.stops.columns.at.default: `$project.code` copies a field of a looked-up record, and a line has no lookup of its own",
        ),
        (
            r#"at = { type = "text", label = "At", default = "$somebody" }"#,
            "fields.stops.columns.at.default: `$somebody` is not a placeholder; a column's default is a value, or $me, $me.name",
        ),
        (
            r#"at = { type = "date", label = "At", default = "$today+1d", max = "$today" }"#,
            "fields.stops.columns.at.default: `$today+1d` is after today, and the field's `max` refuses dates after today",
        ),
    ] {
        let e = with_column(column).unwrap_err();
        assert!(
            e.iter().any(|t| t.starts_with(refusal)),
            "{column}: {e:?}"
        );
    }
}

#[test]
fn a_new_line_takes_its_calculated_defaults_once_and_given_values_win() {
    let d = AppDef::parse(CALCULATED).unwrap();
    let f = &d.fields["stops"];
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let by = Creation {
        username: "ann",
        name: "Ann Lee",
        department: Some("Sales"),
        now,
    };
    let day = now.date_naive();
    let added = new_line_values(f, day, Some(&by));
    assert_eq!(
        Value::Object(added.clone()),
        json!({"noted": "2026-03-01", "due": "2026-03-15", "by": "ann", "who": "Ann Lee", "team": "Sales", "currency": "EUR"})
    );
    let p = parse_lines(
        f,
        "stops",
        &Raw::Json(json!([{"place": "Depot"}, {"place": "Port", "who": "Bo", "noted": "2026-02-27", "team": null}])),
        &Value::Null,
        0,
        day,
        &added,
    )
    .unwrap();
    assert_eq!(
        p.value[0],
        json!({"id": "l1", "place": "Depot", "noted": "2026-03-01", "due": "2026-03-15", "by": "ann", "who": "Ann Lee", "team": "Sales", "currency": "EUR"})
    );
    // Given values win, an empty one too.
    assert_eq!(p.value[1]["who"], "Bo");
    assert_eq!(p.value[1]["noted"], "2026-02-27");
    assert_eq!(p.value[1]["team"], Value::Null);
    // Later, by someone else: the kept lines keep what they were given, a column left out or
    // emptied included; only the new line is worked out, for the new person and day.
    let later = Creation {
        username: "bo",
        name: "Bo Berg",
        department: None,
        now: now + chrono::Duration::days(3),
    };
    let day = later.now.date_naive();
    let p = parse_lines(
        f,
        "stops",
        &Raw::Json(json!([{"id": "l1", "place": "Depot 2"}, {"id": "l2"}, {"place": "Quay"}])),
        &p.value,
        p.next,
        day,
        &new_line_values(f, day, Some(&later)),
    )
    .unwrap();
    assert_eq!(p.value[0]["place"], "Depot 2");
    assert_eq!(p.value[0]["noted"], "2026-03-01");
    assert_eq!(p.value[0]["who"], "Ann Lee");
    assert_eq!(p.value[1]["team"], Value::Null);
    assert_eq!(
        p.value[2],
        json!({"id": "l3", "place": "Quay", "noted": "2026-03-04", "due": "2026-03-18", "by": "bo", "who": "Bo Berg", "team": null, "currency": "EUR"})
    );
    // Without a person (stored lines read again), a calculated default gives nothing.
    let literal = new_line_values(f, day, None);
    assert_eq!(Value::Object(literal), json!({"currency": "EUR"}));
}

#[test]
fn every_entered_type_is_a_column_and_its_lines_are_read_like_fields() {
    let text = APP.replace(
        "currency = { type = \"currency\", label = \"Currency\", default = \"EUR\" }",
        "currency = { type = \"currency\", label = \"Currency\", default = \"EUR\" }
tags = { type = \"multichoice\", label = \"Tags\", options = [\"A\", \"B\"] }
phone = { type = \"phone\", label = \"Phone\" }
at = { type = \"datetime\", label = \"At\" }
place = { type = \"geolocation\", label = \"Place\" }
who = { type = \"user\", label = \"Who\" }
project = { type = \"lookup\", label = \"Project\", app = \"projects\" }",
    );
    let d = AppDef::parse(&text).unwrap();
    let f = &d.fields["items"];
    let added = new_line_values(f, today(), None);
    let raw = json!([{
        "what": "Visit",
        "tags": "b\na",
        "phone": "+44 20 7946 0958",
        "at": "2026-03-05T14:30:00+01:00",
        "place": "47.3769, 8.5417",
        "who": "bob",
        "project": "#12"
    }]);
    let p = parse_lines(
        f,
        "items",
        &Raw::Json(raw),
        &Value::Null,
        0,
        today(),
        &added,
    )
    .unwrap();
    let line = &p.value[0];
    assert_eq!(line["tags"], json!(["A", "B"]));
    assert_eq!(line["phone"], "+442079460958");
    assert_eq!(line["at"], "2026-03-05T13:30:00Z");
    assert_eq!(line["place"], json!({"lat": 47.3769, "lon": 8.5417}));
    assert_eq!(line["who"], "bob");
    assert_eq!(line["project"], json!(12));
    // The records a change newly chooses: the line's project, then nothing when it is kept.
    assert_eq!(
        new_lookups(f, &Value::Null, &p.value),
        vec![(0, "project", 12)]
    );
    assert!(new_lookups(f, &p.value, &p.value).is_empty());
    // Each column's problems carry the line's path.
    let bad = json!([{"what": "x", "tags": ["C"], "at": "tomorrow", "project": "twelve"}]);
    let e = parse_lines(
        f,
        "items",
        &Raw::Json(bad),
        &Value::Null,
        0,
        today(),
        &added,
    )
    .unwrap_err();
    for path in ["items[0].tags", "items[0].at", "items[0].project"] {
        assert!(e.iter().any(|m| m.starts_with(path)), "{path} in {e:?}");
    }
}

const WITH_GROSS: &str = r#"
slug = "reports"
name = "Reports"
[fields]
gross_total = { type = "computed", label = "Gross", expr = "sum(items.gross)" }
[fields.items]
type = "lines"
label = "Items"
[fields.items.columns]
net = { type = "money", label = "Net", currency_field = "currency" }
tax = { type = "money", label = "Tax", currency_field = "currency" }
currency = { type = "currency", label = "Currency", default = "EUR" }
gross = { type = "computed", label = "Total", expr = "net + tax", currency_field = "currency" }
km = { type = "number", label = "Km" }
extra_km = { type = "integer", label = "Extra km" }
all_km = { type = "computed", label = "All km", expr = "km + extra_km" }
"#;

#[test]
fn a_computed_column_adds_up_its_own_line() {
    let d = AppDef::parse(WITH_GROSS).unwrap();
    let f = &d.fields["items"];
    let added = new_line_values(f, today(), None);
    // A value sent for a computed column (a line sent back as read) is left aside.
    let raw = json!([
        {"net": "10.00", "tax": "1.90", "gross": "999", "km": "12.5", "extra_km": 3},
        {"net": "5", "currency": "CHF"}
    ]);
    let p = parse_lines(
        f,
        "items",
        &Raw::Json(raw),
        &Value::Null,
        0,
        today(),
        &added,
    )
    .unwrap();
    assert_eq!(p.value[0]["gross"], "11.9");
    assert_eq!(p.value[0]["all_km"], "15.5");
    // A term left empty leaves the sum empty, as for a computed field.
    assert_eq!(p.value[1]["gross"], Value::Null);
    assert_eq!(
        display_cell(f, "gross", p.value[0].as_object().unwrap()),
        "11.90"
    );
    assert!(is_amount(&f.columns["gross"]));
    let data = json!({"items": p.value});
    let agg = parse_aggregate("sum(items.gross)").unwrap();
    assert!(check_aggregate(&d, &agg).is_ok());
    assert_eq!(
        aggregate(&d, &agg, data.as_object().unwrap()),
        json!("11.9")
    );
    // A negative sum is refused with the line's path.
    let raw = json!([{"km": "-20", "extra_km": 3}]);
    let e = parse_lines(
        f,
        "items",
        &Raw::Json(raw),
        &Value::Null,
        0,
        today(),
        &added,
    );
    assert!(
        e.as_ref().is_err_and(|e| e
            .iter()
            .any(|m| m.starts_with("items[0].all_km: would be negative (-17)"))),
        "{e:?}"
    );
}

#[test]
fn a_computed_column_adds_only_amounts_of_its_line_in_one_currency() {
    for (expr, extra, says) in [
        (
            "net + nope",
            "",
            "`nope` is not a column of this lines field",
        ),
        ("net + km", "", "add money columns to money columns only"),
        ("net + tax", "", "names their currency column"),
        ("net +", "", "is incomplete"),
        (
            "km",
            ", currency_field = \"currency\"",
            "only a computed column over money columns",
        ),
        (
            "km",
            ", required = true",
            "it has no default and is not required",
        ),
    ] {
        let text = WITH_GROSS.replace(
            "gross = { type = \"computed\", label = \"Total\", expr = \"net + tax\", currency_field = \"currency\" }",
            &format!("gross = {{ type = \"computed\", label = \"Total\", expr = \"{expr}\"{extra} }}"),
        );
        let e = AppDef::parse(&text).unwrap_err();
        let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.starts_with("fields.items.columns.gross") && t.contains(says)),
            "{expr}: {text:?}"
        );
    }
}

#[test]
fn a_converted_column_converts_an_amount_of_its_own_line_at_its_own_date() {
    let text = WITH_GROSS.replace(
        "km = { type = \"number\", label = \"Km\" }",
        "km = { type = \"number\", label = \"Km\" }\nday = { type = \"date\", label = \"Day\" }\nhome = { type = \"converted\", label = \"Home\", source = \"net\", date_field = \"day\" }",
    );
    let d = AppDef::parse(&text).unwrap();
    let f = &d.fields["items"];
    let added = new_line_values(f, today(), None);
    // A kept line keeps its value and rate until the engine works them out again; the rate
    // details sent back with a line as read are no unknown column.
    let old = json!([{"id": "l1", "net": "10", "currency": "CHF", "day": "2026-03-01",
        "home": "10.76", "home:rate": {"from": "CHF", "to": "EUR", "rate": "1.076", "day": "2026-03-01"}}]);
    let raw = json!([{"id": "l1", "net": "10", "home": "1", "home:rate": {"x": 1}}, {"net": "5"}]);
    let p = parse_lines(f, "items", &Raw::Json(raw), &old, 2, today(), &added).unwrap();
    assert_eq!(p.value[0]["home"], "10.76");
    assert_eq!(p.value[0]["home:rate"]["rate"], "1.076");
    assert!(p.value[1].get("home").is_none());
    assert_eq!(
        display_cell(f, "home", p.value[0].as_object().unwrap()),
        "10.76 EUR"
    );
    for (column, says) in [
        (
            "source = \"km\", date_field = \"day\"",
            "`km` is not a money column",
        ),
        (
            "source = \"net\", date_field = \"km\"",
            "`km` is not a date column",
        ),
        ("source = \"net\"", "needs `date_field`"),
    ] {
        let bad = text.replace("source = \"net\", date_field = \"day\"", column);
        let e = AppDef::parse(&bad).unwrap_err();
        let e: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert!(
            e.iter()
                .any(|t| t.starts_with("fields.items.columns.home") && t.contains(says)),
            "{column}: {e:?}"
        );
    }
}

#[test]
fn a_table_in_a_table_is_refused_with_its_path() {
    let bad = APP.replace(
        "day = { type = \"date\", label = \"Day\" }",
        "day = { type = \"date\", label = \"Day\" }\nsub = { type = \"lines\", label = \"Sub\" }",
    );
    let e = AppDef::parse(&bad).unwrap_err();
    let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter().any(|t| t.starts_with(
            "fields.items.columns.sub.type: `lines` is not supported in line columns yet"
        )),
        "{text:?}"
    );
}
