#![allow(clippy::unwrap_used)]
use super::*;
use crate::engine::definition::AppDef;
use crate::engine::lines::{aggregate, parse_aggregate, write_aggregate};
use crate::engine::value::display_value;
use serde_json::json;

const APP: &str = r#"
slug = "trips"
name = "Trips"
[fields]
purpose = { type = "text", label = "Purpose" }
departed = { type = "date", label = "Departed" }
totals = { type = "computed", label = "Totals", expr = "sum_by_currency(items.net)" }
home = { type = "converted", label = "In home currency", source = "items.net", date_field = "items.day" }
[fields.items]
type = "lines"
label = "Items"
[fields.items.columns]
day = { type = "date", label = "Day" }
net = { type = "money", label = "Net", currency_field = "currency" }
currency = { type = "currency", label = "Currency", default = "EUR" }
km = { type = "number", label = "Km" }
[views.v]
title = "V"
roles = ["r"]
columns = ["purpose", "items", "totals", "home"]
"#;

fn app() -> AppDef {
    AppDef::parse(APP).unwrap()
}

fn totals_of(lines: Value) -> Value {
    let d = app();
    let agg = parse_aggregate(d.fields["totals"].expr.as_deref().unwrap()).unwrap();
    let data = json!({ "items": lines });
    aggregate(&d, &agg, data.as_object().unwrap())
}

#[test]
fn lines_in_several_currencies_are_added_up_per_currency_in_their_minor_units() {
    let v = totals_of(json!([
        {"id": "l1", "net": "100.5", "currency": "EUR"},
        {"id": "l2", "net": "33", "currency": "CHF"},
        {"id": "l3", "net": "20", "currency": "EUR"},
        {"id": "l4", "net": "1500", "currency": "JPY"},
        // No amount, or no currency: in no total.
        {"id": "l5", "net": null, "currency": "USD"},
        {"id": "l6", "net": "7", "currency": null}
    ]));
    assert_eq!(v, json!({"CHF": "33.00", "EUR": "120.50", "JPY": "1500"}));
    assert_eq!(display(&v), "CHF 33.00 · EUR 120.50 · JPY 1500");
    let data = json!({ "totals": v });
    assert_eq!(
        display_value(&app(), "totals", &data),
        "CHF 33.00 · EUR 120.50 · JPY 1500"
    );
    // No lines with an amount: no totals.
    assert_eq!(totals_of(json!([])), Value::Null);
    assert_eq!(totals_of(Value::Null), Value::Null);
    assert_eq!(display(&Value::Null), "");
}

#[test]
fn the_expression_reads_back_and_follows_a_renamed_lines_field() {
    let a = parse_aggregate("sum_by_currency( items.net )").unwrap();
    assert_eq!(a.func, AggFn::SumByCurrency);
    assert_eq!(write_aggregate(&a, "costs"), "sum_by_currency(costs.net)");
    let mut d = app();
    d.rename_field("items", "costs").unwrap();
    assert_eq!(
        d.fields["totals"].expr.as_deref(),
        Some("sum_by_currency(costs.net)")
    );
    assert_eq!(d.fields["home"].source.as_deref(), Some("costs.net"));
    assert_eq!(d.fields["home"].date_field.as_deref(), Some("costs.day"));
    d.validate().unwrap();
}

#[test]
fn totals_need_a_money_column_with_its_currency_and_are_never_sorted_filtered_or_summed() {
    let e = AppDef::parse(&APP.replace("sum_by_currency(items.net)", "sum_by_currency(items.km)"))
        .unwrap_err();
    assert_eq!(e[0].path, "fields.totals.expr");
    assert!(
        e[0].message
            .contains("not a money column with a `currency_field`"),
        "{e:?}"
    );
    let e = AppDef::parse(&APP.replace("sum_by_currency(items.net)", "sum_by_currency(items)"))
        .unwrap_err();
    assert_eq!(e[0].path, "fields.totals.expr");
    let sorted = APP.replace("columns = [", "sort = [\"totals\"]\ncolumns = [");
    let e = AppDef::parse(&sorted).unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "views.v.sort[0]: `totals` is totals per currency taken from line items; a view cannot sort by it yet"
    );
    let filtered =
        format!("{APP}filters = [{{ field = \"totals\", op = \"eq\", value = \"1\" }}]\n");
    let e = AppDef::parse(&filtered).unwrap_err();
    assert!(e[0].message.contains("cannot be filtered on"), "{e:?}");
    let summed = format!(
        "{APP}summaries.s = {{ title = \"S\", aggregate = \"sum\", field = \"totals\" }}\n"
    );
    assert_eq!(
        AppDef::parse(&summed).unwrap_err()[0].path,
        "views.v.summaries.s.field"
    );
    // The converted total is one currency: a summary may add it up.
    let home =
        format!("{APP}summaries.s = {{ title = \"S\", aggregate = \"sum\", field = \"home\" }}\n");
    AppDef::parse(&home).unwrap();
}

#[test]
fn a_converted_total_over_lines_names_a_money_column_and_a_date_of_the_line_or_record() {
    let d = app();
    let s = crate::engine::converted_lines::LinesSource::of(&d, &d.fields["home"]).unwrap();
    assert_eq!(
        (s.field, s.column, s.currency),
        ("items", "net", "currency")
    );
    assert_eq!(
        s.day,
        crate::engine::converted_lines::LineDay::Column("day")
    );
    let record_day = APP.replace("date_field = \"items.day\"", "date_field = \"departed\"");
    let d = AppDef::parse(&record_day).unwrap();
    let s = crate::engine::converted_lines::LinesSource::of(&d, &d.fields["home"]).unwrap();
    assert_eq!(
        s.day,
        crate::engine::converted_lines::LineDay::Record("departed")
    );
    for (from, to, path, words) in [
        (
            "source = \"items.net\"",
            "source = \"items.km\"",
            "fields.home.source",
            "not a money column",
        ),
        (
            "source = \"items.net\"",
            "source = \"items.tip\"",
            "fields.home.source",
            "has no column `tip`",
        ),
        (
            "source = \"items.net\"",
            "source = \"purpose.net\"",
            "fields.home.source",
            "not a lines field",
        ),
        (
            "date_field = \"items.day\"",
            "date_field = \"items.net\"",
            "fields.home.date_field",
            "not a date column",
        ),
        (
            "date_field = \"items.day\"",
            "date_field = \"purpose\"",
            "fields.home.date_field",
            "not a date field",
        ),
    ] {
        let e = AppDef::parse(&APP.replace(from, to)).unwrap_err();
        assert_eq!(e[0].path, path, "{to}: {e:?}");
        assert!(e[0].message.contains(words), "{to}: {e:?}");
    }
}

#[test]
fn a_converted_total_over_lines_shows_its_rates_or_what_is_missing() {
    use crate::engine::converted::{display_converted, display_with_rate};
    let data = json!({"home": "120.17", "home:rate": {"to": "EUR", "lines": 3, "rates": [
        {"from": "CHF", "rate": "1.05", "day": "2026-03-04"}
    ]}});
    assert_eq!(display_converted("home", &data), "120.17 EUR");
    assert_eq!(
        display_with_rate("home", &data),
        "120.17 EUR (3 lines; 1 CHF = 1.05 EUR, rate of 2026-03-04)"
    );
    let data = json!({"home": null, "home:rate": {"to": "EUR", "lines": 3, "missing": "no CHF rate on or before 2026-03-05 (line 2)"}});
    assert_eq!(
        display_with_rate("home", &data),
        "— no CHF rate on or before 2026-03-05 (line 2)"
    );
}
