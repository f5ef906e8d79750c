//! Unit tests of `lookups`: parsing ids, definition checks, what a reader is shown.
#![allow(clippy::unwrap_used)]
use super::*;
use crate::engine::definition::OnDelete;
use crate::engine::Raw;
use serde_json::json;

fn lookup(v: Value) -> FieldDef {
    serde_json::from_value(v).unwrap()
}

#[test]
fn an_id_is_read_from_json_or_form_text_and_anything_else_is_refused() {
    let f = lookup(json!({"type": "lookup", "label": "Project", "app": "projects"}));
    assert_eq!(parse_lookup(&f, &Raw::Json(json!(12))).unwrap(), json!(12));
    assert_eq!(
        parse_lookup(&f, &Raw::Text(" 12 ".into())).unwrap(),
        json!(12)
    );
    assert_eq!(parse_lookup(&f, &Raw::Text("#7".into())).unwrap(), json!(7));
    for bad in [
        Raw::Json(json!(1.5)),
        Raw::Json(json!("x")),
        Raw::Text("Apollo".into()),
    ] {
        let e = parse_lookup(&f, &bad).unwrap_err();
        assert!(e.contains("id of a record of `projects`"), "{e}");
    }
}

#[test]
fn a_lookup_needs_a_target_and_takes_no_default() {
    let mut errors = Vec::new();
    let f = lookup(json!({"type": "lookup", "label": "Project", "default": "3"}));
    check_definition("fields.project", &f, &mut errors);
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["fields.project.app", "fields.project.default"]);
    let mut errors = Vec::new();
    let f = lookup(json!({"type": "lookup", "label": "P", "app": "Projects!"}));
    check_definition("fields.p", &f, &mut errors);
    assert_eq!(errors[0].path, "fields.p.app");
}

#[test]
fn on_delete_is_refuse_unless_it_says_clear() {
    let f = lookup(json!({"type": "lookup", "label": "P", "app": "projects"}));
    assert_eq!(f.on_delete.unwrap_or_default(), OnDelete::Refuse);
    let f =
        lookup(json!({"type": "lookup", "label": "P", "app": "projects", "on_delete": "clear"}));
    assert_eq!(f.on_delete, Some(OnDelete::Clear));
    assert!(serde_json::from_value::<FieldDef>(
        json!({"type": "lookup", "label": "P", "app": "projects", "on_delete": "cascade"})
    )
    .is_err());
}

#[test]
fn a_title_the_reader_may_not_see_is_a_neutral_phrase() {
    let f = lookup(json!({"type": "lookup", "label": "P", "app": "projects"}));
    let mut titles = LookupTitles::default();
    titles.seen.insert(
        ("projects".into(), 1),
        Some(Seen {
            title: "Apollo".into(),
            data: json!({"name": "Apollo"}),
        }),
    );
    titles.seen.insert(("projects".into(), 2), None);
    assert_eq!(titles.show(&f, &json!(1)).unwrap(), "Apollo");
    assert_eq!(titles.show(&f, &json!(2)).unwrap(), HIDDEN);
    assert_eq!(titles.show(&f, &json!(3)).unwrap(), HIDDEN);
    assert_eq!(titles.show(&f, &Value::Null), None);
}
