//! Keeps `docs/app-definitions.md` true: every key the definition format accepts and every value of
//! its enumerations must appear in the reference, in backticks.
//!
//! The keys are not listed by hand. A definition with every key set is serialised, and the keys of
//! the resulting JSON are collected; the struct literals below stop compiling when a struct gains a
//! field, so a new key cannot be left out of this test either. Enumeration values come from serde's
//! own list of variants (the "expected one of …" of an unknown variant).
use super::super::conditions::Condition;
use super::super::field_rules::{FieldRule, Section};
use super::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeSet;

const DOC: &str = include_str!("../../../docs/app-definitions.md");

/// Maps whose keys are names chosen by the author of a definition, not keys of the format.
const NAME_MAPS: [&str; 6] = [
    "fields",
    "views",
    "operations",
    "parameters",
    "summaries",
    "columns",
];

/// A field with every key set. The values make a valid definition whatever the type: `net` is a
/// money field, `currency` a currency field and `Draft` one of the options.
fn field(kind: FieldType) -> FieldDef {
    FieldDef {
        kind,
        label: "Label".into(),
        help: "Help".into(),
        required: true,
        max_len: Some(100),
        options: vec!["Draft".into(), "Done".into()],
        default: Some("Draft".into()),
        currency_field: Some("currency".into()),
        expr: Some("net + net".into()),
        accept: vec!["image/*".into()],
        min: Some("0".into()),
        max: Some("100".into()),
        source: Some("net".into()),
        date_field: Some("day".into()),
        unit: Some("km".into()),
        visible_when: None,
        required_when: None,
        app: Some("projects".into()),
        filter: vec![FixedFilter {
            field: "status".into(),
            op: FilterOp::Eq,
            value: "Active".into(),
        }],
        on_delete: Some(OnDelete::Clear),
        columns: Default::default(),
        min_rows: None,
        max_rows: None,
    }
}

/// A definition with every optional key set, every list non-empty and one entry in every map.
fn full_definition() -> AppDef {
    let mut fields = IndexMap::new();
    fields.insert("net".to_string(), field(FieldType::Money));
    fields.insert("currency".to_string(), field(FieldType::Currency));
    fields.insert("total".to_string(), field(FieldType::Computed));
    fields.insert("status".to_string(), field(FieldType::Choice));
    fields.insert("receipt".to_string(), field(FieldType::File));
    fields.insert("note".to_string(), field(FieldType::LongText));
    fields.insert("owner".to_string(), field(FieldType::User));
    fields.insert("nights".to_string(), {
        let mut f = field(FieldType::Integer);
        f.default = Some("1".into());
        f.visible_when = Some(FieldRule::Any {
            any: vec![FieldRule::One(Condition {
                field: "status".into(),
                op: FilterOp::Eq,
                value: "Draft".into(),
            })],
        });
        f.required_when = Some(FieldRule::All {
            all: vec![FieldRule::One(Condition {
                field: "net".into(),
                op: FilterOp::Gt,
                value: "0".into(),
            })],
        });
        f
    });

    fields.insert("items".to_string(), {
        let mut f = field(FieldType::Lines);
        f.default = None;
        f.columns = serde_json::from_value(serde_json::json!({
            "amount": {"type": "money", "label": "Amount", "currency_field": "cur", "required": true},
            "cur": {"type": "currency", "label": "Currency", "default": "EUR"}
        }))
        .expect("columns");
        f.min_rows = Some(1);
        f.max_rows = Some(50);
        f
    });

    let mut parameters = IndexMap::new();
    parameters.insert(
        "net_from".to_string(),
        ParamDef {
            field: "net".into(),
            op: FilterOp::Gte,
            label: Some("Net from".into()),
            required: true,
        },
    );
    let mut views = IndexMap::new();
    views.insert(
        "every_record".to_string(),
        ViewDef {
            title: "Every record".into(),
            description: "Description".into(),
            roles: vec!["manager".into()],
            scope: Scope::All,
            columns: vec!["note".into(), "net".into()],
            sort: vec!["-net".into()],
            filters: vec![FixedFilter {
                field: "status".into(),
                op: FilterOp::Eq,
                value: "Draft".into(),
            }],
            parameters,
            per_page: 50,
            summaries: [(
                "by_status".to_string(),
                SummaryDef {
                    title: "By status".into(),
                    aggregate: Aggregate::Sum,
                    field: Some("net".into()),
                    group_by: vec!["status".into()],
                    bucket: None,
                    chart: Chart::Line,
                },
            )]
            .into_iter()
            .collect(),
            bulk: vec!["finish".into()],
            mcp: ViewMcp {
                enabled: true,
                format: DataFormat::Full,
                description: Some("Description".into()),
                instructions: Some("Instructions".into()),
                summary_tool: true,
            },
        },
    );

    let mut operations = IndexMap::new();
    operations.insert(
        "finish".to_string(),
        OperationDef {
            title: "Finish".into(),
            description: "Description".into(),
            kind: OperationKind::Transition,
            roles: vec!["manager".into()],
            scope: Scope::All,
            inputs: vec!["net".into()],
            required: vec!["net".into()],
            from: vec!["Draft".into()],
            to: Some("Done".into()),
            requires: vec!["receipt".into()],
            not_own: true,
            when: vec![Condition {
                field: "net".into(),
                op: FilterOp::Gt,
                value: "0".into(),
            }],
            show: vec!["note".into()],
            sections: vec![Section {
                title: "Amount".into(),
                fields: vec!["net".into(), "note".into()],
            }],
            read_only: vec!["note".into()],
            verify: vec!["total".into()],
            cross_check: Some(CrossCheck {
                file: "receipt".into(),
                into: "note".into(),
            }),
            notify: vec![
                super::super::notify::NotifyTarget::owner(),
                super::super::notify::NotifyTarget::role("manager"),
                super::super::notify::NotifyTarget::field("owner"),
            ],
            mcp: OperationMcp {
                enabled: true,
                description: Some("Description".into()),
                instructions: Some("Instructions".into()),
                require_confirmation: Some(true),
            },
        },
    );

    AppDef {
        slug: "every_key".into(),
        name: "Every key".into(),
        description: "Description".into(),
        state_field: Some("status".into()),
        owner_field: Some("owner".into()),
        title_field: Some("note".into()),
        roles: vec!["manager".into()],
        fields,
        views,
        operations,
    }
}

/// Collects the object keys of `v`, leaving out the names of the entries of `NAME_MAPS`.
fn collect_keys(v: &Value, names_here: bool, keys: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if !names_here {
                    keys.insert(k.clone());
                }
                collect_keys(child, !names_here && NAME_MAPS.contains(&k.as_str()), keys);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_keys(item, false, keys);
            }
        }
        _ => {}
    }
}

/// The names of an enumeration's variants, as serde spells them, from the error serde gives for
/// an unknown variant (`unknown variant `…`, expected one of `a`, `b`, …` or `expected `a` or `b``).
fn variants<T: DeserializeOwned + Serialize>() -> Vec<String> {
    let probe = "\"no such variant\"";
    let message = match serde_json::from_str::<T>(probe) {
        Ok(_) => panic!("{probe} was read as a variant"),
        Err(e) => e.to_string(),
    };
    let expected = message
        .split_once("expected")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("no list of variants in: {message}"));
    let names: Vec<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(!names.is_empty(), "no variants found in: {message}");
    for name in &names {
        // Each name reads back and serialises to itself.
        let value: T = serde_json::from_value(Value::String(name.clone()))
            .unwrap_or_else(|e| panic!("`{name}` does not read back: {e}"));
        assert_eq!(
            serde_json::to_value(&value).expect("a variant serialises"),
            Value::String(name.clone())
        );
    }
    names
}

fn in_backticks(name: &str) -> bool {
    DOC.contains(&format!("`{name}`"))
}

#[test]
fn the_full_definition_is_a_valid_one() {
    // Every key emitted below is one the parser accepts, and the values make sense together.
    let json = full_definition().to_json();
    if let Err(errors) = AppDef::parse(&json) {
        let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        panic!("{}", list.join("\n"));
    }
}

#[test]
fn every_key_of_the_format_is_documented() {
    let value = serde_json::to_value(full_definition()).expect("a definition serialises");
    let mut keys = BTreeSet::new();
    collect_keys(&value, false, &mut keys);
    // The walk saw the nested tables, and left the chosen names out.
    for key in [
        "currency_field",
        "per_page",
        "label",
        "require_confirmation",
        "into",
    ] {
        assert!(keys.contains(key), "the walk missed `{key}`: {keys:?}");
    }
    for name in ["net", "every_record", "finish", "net_from"] {
        assert!(!keys.contains(name), "`{name}` is a chosen name, not a key");
    }
    let missing: Vec<&String> = keys.iter().filter(|k| !in_backticks(k)).collect();
    assert!(
        missing.is_empty(),
        "docs/app-definitions.md does not mention these keys in backticks: {missing:?}"
    );
}

#[test]
fn every_value_of_the_enumerations_is_documented() {
    let mut all = Vec::new();
    all.extend(variants::<FieldType>());
    all.extend(variants::<OperationKind>());
    all.extend(variants::<FilterOp>());
    all.extend(variants::<Scope>());
    all.extend(variants::<DataFormat>());
    all.extend(variants::<Aggregate>());
    all.extend(variants::<Bucket>());
    all.extend(variants::<Chart>());
    all.extend(variants::<super::super::notify::NotifyTo>());
    all.extend(variants::<OnDelete>());
    for name in ["long_text", "transition", "contains", "own", "columns"] {
        assert!(all.iter().any(|v| v == name), "`{name}` not found: {all:?}");
    }
    let missing: Vec<&String> = all.iter().filter(|v| !in_backticks(v)).collect();
    assert!(
        missing.is_empty(),
        "docs/app-definitions.md does not mention these values in backticks: {missing:?}"
    );
}
