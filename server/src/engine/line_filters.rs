//! Filtering records by their line items: a view parameter or fixed filter whose field is
//! `<lines>.<column>` keeps the records that have at least one line whose column equals the
//! value. The name looks like a looked-up field (`lookup.field`); the first part's type decides:
//! a lines field makes it a line filter, anything else leaves it to `lookup_paths`.
use super::definition::{AppDef, DefinitionError, FieldDef, FieldType, FilterOp};
use super::value::{parse_field, Raw};
use crate::store::{Predicate, PredicateOp, ValueKind};
use chrono::NaiveDate;
use serde_json::Value;

/// Column types a line filter compares: stored as JSON strings, integers or booleans, each with
/// one spelling. Amounts and numbers are stored as decimal strings ("12.5" and "12.50" are the
/// same amount), so equality on their text would miss; long text is not a value to match.
pub const FILTER_TYPES: [FieldType; 7] = [
    FieldType::Text,
    FieldType::Choice,
    FieldType::Currency,
    FieldType::YesNo,
    FieldType::Integer,
    FieldType::Date,
    FieldType::Email,
];

/// `<lines>.<column>` resolved against a definition.
#[derive(Debug, Clone, Copy)]
pub struct LinePath<'a> {
    /// The lines field's name.
    pub field: &'a str,
    /// The column's name.
    pub column: &'a str,
    pub lines: &'a FieldDef,
    /// The column's definition (`None` for an unknown column).
    pub column_def: Option<&'a FieldDef>,
}

/// The name as a line path when its first part is a lines field of `def`.
pub fn split<'a>(def: &'a AppDef, name: &'a str) -> Option<LinePath<'a>> {
    let (field, column) = name.split_once('.')?;
    let lines = def
        .fields
        .get(field)
        .filter(|f| f.kind == FieldType::Lines)?;
    Some(LinePath {
        field,
        column,
        lines,
        column_def: lines.columns.get(column),
    })
}

/// The line columns the definition's views filter on (parameters and fixed filters), as
/// `lines.column`, sorted: those the store keeps in its line index.
pub fn filtered_columns(def: &AppDef) -> Vec<String> {
    let mut out: Vec<String> = def
        .views
        .values()
        .flat_map(|v| {
            v.parameters
                .values()
                .map(|p| p.field.as_str())
                .chain(v.filters.iter().map(|f| f.field.as_str()))
        })
        .filter(|name| column_of(def, name).is_some_and(|c| FILTER_TYPES.contains(&c.kind)))
        .map(String::from)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every line column of the definition a line filter can compare (`lines.column`, sorted): a
/// column the line index may keep.
pub fn filterable_columns(def: &AppDef) -> Vec<String> {
    let mut out: Vec<String> = def
        .fields
        .iter()
        .filter(|(_, f)| f.kind == FieldType::Lines)
        .flat_map(|(name, f)| {
            f.columns
                .iter()
                .filter(|(_, c)| FILTER_TYPES.contains(&c.kind))
                .map(move |(col, _)| format!("{name}.{col}"))
        })
        .collect();
    out.sort();
    out
}

/// The column's definition when `name` is a line path to a known column.
pub fn column_of<'a>(def: &'a AppDef, name: &str) -> Option<&'a FieldDef> {
    let (field, column) = name.split_once('.')?;
    def.fields
        .get(field)
        .filter(|f| f.kind == FieldType::Lines)?
        .columns
        .get(column)
}

/// "Expenses · Category": the lines field's label, then the column's.
pub fn label_of(def: &AppDef, name: &str) -> Option<String> {
    let p = split(def, name)?;
    Some(format!("{} · {}", p.lines.label, p.column_def?.label))
}

/// Checks a filter on a line path (`value`: a fixed filter's, `None` for a parameter). False when
/// `name` is not a line path, so the caller checks it as any other field.
pub fn check(
    def: &AppDef,
    errors: &mut Vec<DefinitionError>,
    path: &str,
    name: &str,
    op: FilterOp,
    value: Option<&str>,
) -> bool {
    let Some(p) = split(def, name) else {
        return false;
    };
    let error = |at: String, message: String| DefinitionError { path: at, message };
    let Some(c) = p.column_def else {
        let known: Vec<&str> = p.lines.columns.keys().map(String::as_str).collect();
        errors.push(error(
            format!("{path}.field"),
            format!(
                "`{}` has no column `{}`; its columns: {}",
                p.field,
                p.column,
                known.join(", ")
            ),
        ));
        return true;
    };
    if !FILTER_TYPES.contains(&c.kind) {
        errors.push(error(
            format!("{path}.field"),
            format!(
                "`{name}` is a {} column; line items are filtered on text, choice, currency, yes/no, integer, date or email columns",
                super::lines::type_name(c.kind)
            ),
        ));
        return true;
    }
    if op != FilterOp::Eq {
        errors.push(error(
            format!("{path}.op"),
            format!("`{name}` is a column of line items; it is filtered with `eq` (has a line whose column equals the value)"),
        ));
        return true;
    }
    if let Some(v) = value.filter(|v| *v != "$me") {
        if let Err(m) = stored_value(c, &Raw::Text(v.to_string())) {
            errors.push(error(format!("{path}.value"), m));
        }
    }
    true
}

/// A filter value as the column stores it in a line (`Null` when empty). Bounds on the column
/// (earliest date, longest text) are for entering lines, not for looking for them.
pub fn stored_value(column: &FieldDef, raw: &Raw) -> Result<Value, String> {
    let mut c = column.clone();
    c.min = None;
    c.max = None;
    c.max_len = None;
    // With the bounds cleared, the date of today is not read.
    parse_field(&c, raw, NaiveDate::MIN)
}

/// The predicate "has a line whose column equals `value`" (`value` as the column stores it).
pub fn predicate(p: &LinePath, value: &Value) -> Predicate {
    Predicate {
        field: format!("{}.{}", p.field, p.column),
        kind: ValueKind::Text,
        op: PredicateOp::HasLine,
        value: value.to_string(),
        via: None,
        indexed: false,
        key: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> AppDef {
        let toml = r#"
slug = "trips"
name = "Trips"

[fields.title]
type = "text"
label = "Title"

[fields.items]
type = "lines"
label = "Expenses"

[fields.items.columns.category]
type = "choice"
label = "Category"
options = ["Lodging", "Meals"]

[fields.items.columns.nights]
type = "integer"
label = "Nights"

[fields.items.columns.amount]
type = "money"
label = "Amount"

[fields.items.columns.receipt]
type = "yesno"
label = "Receipt"
"#;
        toml::from_str(toml).expect("test definition parses")
    }

    fn check_one(name: &str, op: FilterOp, value: Option<&str>) -> (bool, Vec<DefinitionError>) {
        let d = def();
        let mut errors = Vec::new();
        let is_line = check(&d, &mut errors, "views.all.parameters.p", name, op, value);
        (is_line, errors)
    }

    #[test]
    fn a_line_path_is_checked_here_and_other_names_are_not() {
        assert_eq!(
            check_one("items.category", FilterOp::Eq, None),
            (true, vec![])
        );
        assert!(!check_one("title", FilterOp::Eq, None).0);
        // The first part is not a lines field: a looked-up name, checked elsewhere.
        assert!(!check_one("title.x", FilterOp::Eq, None).0);
        assert!(!check_one("project.code", FilterOp::Eq, None).0);
    }

    #[test]
    fn only_eq_is_accepted() {
        let (_, errors) = check_one("items.nights", FilterOp::Gt, None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "views.all.parameters.p.op");
        assert!(errors[0].message.contains("`eq`"), "{}", errors[0].message);
    }

    #[test]
    fn unknown_and_money_columns_are_refused() {
        let (_, errors) = check_one("items.colour", FilterOp::Eq, None);
        assert_eq!(errors[0].path, "views.all.parameters.p.field");
        assert!(errors[0].message.contains("no column `colour`"));
        assert!(errors[0].message.contains("category"));
        let (_, errors) = check_one("items.amount", FilterOp::Eq, None);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("money column"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn a_fixed_value_must_fit_the_column() {
        let (_, errors) = check_one("items.category", FilterOp::Eq, Some("Travel"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, "views.all.parameters.p.value");
        assert!(check_one("items.category", FilterOp::Eq, Some("Meals"))
            .1
            .is_empty());
        assert_eq!(
            check_one("items.nights", FilterOp::Eq, Some("two")).1.len(),
            1
        );
    }

    #[test]
    fn values_take_their_stored_shape() {
        let d = def();
        let nights = column_of(&d, "items.nights").expect("column");
        assert_eq!(
            stored_value(nights, &Raw::Text("3".into())),
            Ok(serde_json::json!(3))
        );
        let receipt = column_of(&d, "items.receipt").expect("column");
        assert_eq!(
            stored_value(receipt, &Raw::Text("yes".into())),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            label_of(&d, "items.category").as_deref(),
            Some("Expenses · Category")
        );
    }
}
