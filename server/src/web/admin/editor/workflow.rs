//! Workflow settings shared by the Views and Operations pages: row scope (including the team
//! scopes), an operation's conditions (`when`) and read-only `show` fields, a view's bulk
//! operations.
use super::views::OPS;
use super::Posted;
use crate::engine::conditions::Condition;
use crate::engine::definition::{AppDef, FilterOp, Scope};

/// The scope choices for a select: (name, label, selected).
pub fn scope_choices(current: Scope) -> Vec<(&'static str, &'static str, bool)> {
    Scope::ALL
        .iter()
        .map(|s| {
            let label = match s {
                Scope::Own => "The person's own records",
                Scope::Reports => {
                    "Records of the people who report to them (and of anyone they stand in for)"
                }
                Scope::AllReports => "Records of their whole team (reports, and their reports)",
                Scope::All => "All records",
            };
            (s.name(), label, *s == current)
        })
        .collect()
}

/// The scope a form chose (`scope`); own records when missing or unknown.
pub fn scope_from(form: &Posted) -> Scope {
    let chosen = form.get("scope");
    Scope::ALL
        .into_iter()
        .find(|s| s.name() == chosen)
        .unwrap_or(Scope::Own)
}

/// Rows of the conditions table: each condition, then two blank rows to add more.
pub fn condition_rows(when: &[Condition]) -> Vec<(String, &'static str, String)> {
    let mut rows: Vec<(String, &'static str, String)> = when
        .iter()
        .map(|c| {
            let op = OPS
                .iter()
                .find(|o| o.0 == c.op)
                .map(|o| o.1)
                .unwrap_or("eq");
            (c.field.clone(), op, c.value.clone())
        })
        .collect();
    rows.push((String::new(), "eq", String::new()));
    rows.push((String::new(), "eq", String::new()));
    rows
}

/// Fields a condition can test: (name, label).
pub fn condition_fields(def: &AppDef) -> Vec<(String, String)> {
    def.fields
        .iter()
        .filter(|(_, f)| !f.kind.is_file())
        .map(|(n, f)| (n.clone(), f.label.clone()))
        .collect()
}

/// The conditions a form sent (`when_field`, `when_op`, `when_value` in rows; blank rows dropped).
pub fn conditions_from(form: &Posted) -> Vec<Condition> {
    let col = |k: &'static str| form.column(k).map(String::from);
    col("when_field")
        .zip(col("when_op"))
        .zip(col("when_value"))
        .filter(|((f, _), _)| !f.is_empty())
        .map(|((field, op), value)| Condition {
            field,
            op: OPS
                .iter()
                .find(|o| o.1 == op)
                .map(|o| o.0)
                .unwrap_or(FilterOp::Eq),
            value,
        })
        .collect()
}

/// Operations a view can offer in bulk: (name, title, ticked).
pub fn bulk_choices(def: &AppDef, ticked: &[String]) -> Vec<(String, String, bool)> {
    def.operations
        .iter()
        .filter(|(_, o)| o.needs_record())
        .map(|(n, o)| (n.clone(), o.title.clone(), ticked.contains(n)))
        .collect()
}
