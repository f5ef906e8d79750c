//! App definitions: the declarative file an administrator writes (TOML or JSON), parsed into typed
//! structs and checked for consistency. Errors point at the bad path, e.g.
//! `views.my_claims.parameters.status: unknown field `stat``.
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A whole app: fields, views and operations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppDef {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The choice field that operations of kind `transition` move between states.
    #[serde(default)]
    pub state_field: Option<String>,
    /// The user field that names the record's owner (row scope "own").
    #[serde(default)]
    pub owner_field: Option<String>,
    /// Field shown as the record's title.
    #[serde(default)]
    pub title_field: Option<String>,
    pub fields: IndexMap<String, FieldDef>,
    #[serde(default)]
    pub views: IndexMap<String, ViewDef>,
    #[serde(default)]
    pub operations: IndexMap<String, OperationDef>,
}

/// The type of a field; money is a decimal, never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Number,
    Money,
    Date,
    Currency,
    Choice,
    User,
    File,
    Computed,
}

/// One field of an app.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub max_len: Option<usize>,
    #[serde(default)]
    pub options: Vec<String>,
    /// A literal default, or `$me` (the acting user) / `$today`.
    #[serde(default)]
    pub default: Option<String>,
    /// For money: the currency field that fixes its minor units.
    #[serde(default)]
    pub currency_field: Option<String>,
    /// For computed fields: `a + b` or `a - b` over money or number fields.
    #[serde(default)]
    pub expr: Option<String>,
    /// For files: accepted content types (`image/*`, `application/pdf`).
    #[serde(default)]
    pub accept: Vec<String>,
    #[serde(default)]
    pub min: Option<String>,
    #[serde(default)]
    pub max: Option<String>,
}

/// Which records a role sees or acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Own,
    All,
}

/// Comparison a view parameter or fixed filter applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
}

impl FilterOp {
    /// Short human phrase for generated descriptions.
    pub fn phrase(self) -> &'static str {
        match self {
            FilterOp::Eq => "equals",
            FilterOp::Ne => "differs from",
            FilterOp::Gt => "is after / greater than",
            FilterOp::Gte => "is on or after / at least",
            FilterOp::Lt => "is before / less than",
            FilterOp::Lte => "is on or before / at most",
            FilterOp::Contains => "contains (case-insensitive)",
        }
    }
}

/// A typed parameter of a view that becomes a database predicate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    pub field: String,
    pub op: FilterOp,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// A filter fixed by the view's definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedFilter {
    pub field: String,
    pub op: FilterOp,
    pub value: String,
}

/// Data format a view returns through MCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    /// Only the view's columns (recommended: smallest context cost).
    #[default]
    Columns,
    /// The whole record with attachments as references.
    Full,
}

/// Integration tab of a view.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ViewMcp {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub format: DataFormat,
    /// Administrator's text; generated when absent.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub instructions: Option<String>,
}

/// A view: a paged, filtered, sorted list of records.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewDef {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub roles: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
    pub columns: Vec<String>,
    #[serde(default)]
    pub sort: Vec<String>,
    #[serde(default)]
    pub filters: Vec<FixedFilter>,
    #[serde(default)]
    pub parameters: IndexMap<String, ParamDef>,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
    #[serde(default)]
    pub mcp: ViewMcp,
}

fn default_per_page() -> u32 {
    25
}

/// What an operation does to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Create,
    Update,
    Transition,
    Delete,
}

/// Integration tab of an operation.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OperationMcp {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub instructions: Option<String>,
    /// Server-side confirmation: the first call previews, the second (with the token) applies.
    /// Defaults to on for deletes.
    #[serde(default)]
    pub require_confirmation: Option<bool>,
}

/// An operation: create, update, state transition or delete.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationDef {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub kind: OperationKind,
    pub roles: Vec<String>,
    #[serde(default)]
    pub scope: Scope,
    /// Fields the user fills in.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Inputs that must be given for this operation (beyond the fields' own `required`).
    #[serde(default)]
    pub required: Vec<String>,
    /// Precondition: the record's state must be one of these.
    #[serde(default)]
    pub from: Vec<String>,
    /// Transition target state.
    #[serde(default)]
    pub to: Option<String>,
    /// Precondition: these fields must have a value on the record.
    #[serde(default)]
    pub requires: Vec<String>,
    /// The acting user may not run this on their own record (e.g. approving one's own claim).
    #[serde(default)]
    pub not_own: bool,
    /// Computed fields a caller may send as a cross-check: a given value must equal the computed
    /// one within one minor unit of the currency, and is never stored.
    #[serde(default)]
    pub verify: Vec<String>,
    /// Compare the inputs with the values read from an attached file and note differences.
    #[serde(default)]
    pub cross_check: Option<CrossCheck>,
    #[serde(default)]
    pub mcp: OperationMcp,
}

impl OperationDef {
    /// Whether MCP callers must confirm this operation with a token.
    pub fn requires_confirmation(&self) -> bool {
        self.mcp
            .require_confirmation
            .unwrap_or(self.kind == OperationKind::Delete)
    }

    /// Whether the operation acts on an existing record.
    pub fn needs_record(&self) -> bool {
        self.kind != OperationKind::Create
    }
}

/// Where the values read from a file are compared, and where differences are noted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossCheck {
    /// The file field whose suggestions are compared.
    pub file: String,
    /// The text field that receives the differences (cleared when there are none).
    pub into: String,
}

/// A definition problem, located by its path in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DefinitionError {
    pub path: String,
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> DefinitionError {
    DefinitionError {
        path: path.into(),
        message: message.into(),
    }
}

impl AppDef {
    /// Parses a definition from TOML or JSON text (JSON when it starts with `{`), then validates it.
    pub fn parse(text: &str) -> Result<AppDef, Vec<DefinitionError>> {
        let def: AppDef = if text.trim_start().starts_with('{') {
            let de = &mut serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let msg = e.inner().to_string();
                vec![err(locate(e.path().to_string(), &msg), msg)]
            })?
        } else {
            let de = toml::Deserializer::new(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                let msg = e.inner().message().to_string();
                vec![err(locate(e.path().to_string(), &msg), msg)]
            })?
        };
        def.validate()?;
        Ok(def)
    }

    /// Serialises to canonical JSON (what is stored).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.get(name)
    }

    /// Checks references between fields, views and operations.
    pub fn validate(&self) -> Result<(), Vec<DefinitionError>> {
        let mut errors = Vec::new();
        if !is_ident(&self.slug) {
            errors.push(err(
                "slug",
                "use lowercase letters, digits and `_`, starting with a letter (at most 40)",
            ));
        }
        for (name, f) in &self.fields {
            let p = format!("fields.{name}");
            if !is_ident(name) {
                errors.push(err(&p, "field names use lowercase letters, digits and `_`"));
            }
            match f.kind {
                FieldType::Choice if f.options.is_empty() => {
                    errors.push(err(format!("{p}.options"), "a choice field needs options"))
                }
                FieldType::Computed => match &f.expr {
                    None => errors.push(err(format!("{p}.expr"), "a computed field needs `expr`")),
                    Some(expr) => {
                        if let Err(m) = parse_expr(expr).and_then(|terms| {
                            terms.iter().try_for_each(|(_, t)| {
                                match self.fields.get(t).map(|f| f.kind) {
                                    Some(FieldType::Money | FieldType::Number) => Ok(()),
                                    _ => Err(format!("`{t}` is not a money or number field")),
                                }
                            })
                        }) {
                            errors.push(err(format!("{p}.expr"), m));
                        }
                    }
                },
                FieldType::Money => {
                    if let Some(c) = &f.currency_field {
                        if self.fields.get(c).map(|f| f.kind) != Some(FieldType::Currency) {
                            errors.push(err(
                                format!("{p}.currency_field"),
                                format!("`{c}` is not a currency field"),
                            ));
                        }
                    }
                }
                _ => {}
            }
            if let (Some(d), FieldType::Choice) = (&f.default, f.kind) {
                if !f.options.contains(d) {
                    errors.push(err(
                        format!("{p}.default"),
                        format!("`{d}` is not one of the options"),
                    ));
                }
            }
        }
        if let Some(s) = &self.state_field {
            if self.fields.get(s).map(|f| f.kind) != Some(FieldType::Choice) {
                errors.push(err("state_field", format!("`{s}` is not a choice field")));
            }
        }
        if let Some(o) = &self.owner_field {
            if self.fields.get(o).map(|f| f.kind) != Some(FieldType::User) {
                errors.push(err("owner_field", format!("`{o}` is not a user field")));
            }
        }
        if let Some(t) = &self.title_field {
            self.check_field(&mut errors, "title_field", t);
        }
        for (name, v) in &self.views {
            let p = format!("views.{name}");
            if !is_ident(name) {
                errors.push(err(&p, "view names use lowercase letters, digits and `_`"));
            }
            if v.roles.is_empty() {
                errors.push(err(
                    format!("{p}.roles"),
                    "grant the view to at least one role",
                ));
            }
            if v.columns.is_empty() {
                errors.push(err(
                    format!("{p}.columns"),
                    "a view needs at least one column",
                ));
            }
            for (i, c) in v.columns.iter().enumerate() {
                self.check_field(&mut errors, &format!("{p}.columns[{i}]"), c);
            }
            for (i, s) in v.sort.iter().enumerate() {
                self.check_field(
                    &mut errors,
                    &format!("{p}.sort[{i}]"),
                    s.trim_start_matches('-'),
                );
            }
            for (i, f) in v.filters.iter().enumerate() {
                self.check_filter(&mut errors, &format!("{p}.filters[{i}]"), &f.field, f.op);
            }
            for (pn, param) in &v.parameters {
                let pp = format!("{p}.parameters.{pn}");
                if !is_ident(pn) || matches!(pn.as_str(), "limit" | "cursor" | "search") {
                    errors.push(err(&pp, "parameter names use lowercase letters, digits and `_` (limit, cursor and search are reserved)"));
                }
                self.check_filter(&mut errors, &pp, &param.field, param.op);
            }
            if v.per_page == 0 || v.per_page > 500 {
                errors.push(err(
                    format!("{p}.per_page"),
                    "records per page must be between 1 and 500",
                ));
            }
        }
        for (name, o) in &self.operations {
            let p = format!("operations.{name}");
            if !is_ident(name) {
                errors.push(err(
                    &p,
                    "operation names use lowercase letters, digits and `_`",
                ));
            }
            if o.roles.is_empty() {
                errors.push(err(
                    format!("{p}.roles"),
                    "grant the operation to at least one role",
                ));
            }
            for (i, f) in o.inputs.iter().enumerate() {
                let fp = format!("{p}.inputs[{i}]");
                match self.fields.get(f).map(|d| d.kind) {
                    None => errors.push(err(fp, format!("unknown field `{f}`"))),
                    Some(FieldType::Computed) => {
                        errors.push(err(fp, format!("`{f}` is computed and cannot be an input")))
                    }
                    Some(_) if Some(f) == self.state_field.as_ref() => {
                        errors.push(err(fp, "the state field changes only through transitions"))
                    }
                    Some(_) => {}
                }
            }
            for (i, f) in o.required.iter().enumerate() {
                if !o.inputs.contains(f) {
                    errors.push(err(
                        format!("{p}.required[{i}]"),
                        format!("`{f}` is not among the inputs"),
                    ));
                }
            }
            for (i, f) in o.requires.iter().enumerate() {
                self.check_field(&mut errors, &format!("{p}.requires[{i}]"), f);
            }
            for (i, f) in o.verify.iter().enumerate() {
                if self.fields.get(f).map(|d| d.kind) != Some(FieldType::Computed) {
                    errors.push(err(
                        format!("{p}.verify[{i}]"),
                        format!("`{f}` is not a computed field"),
                    ));
                }
            }
            if let Some(cc) = &o.cross_check {
                if self.fields.get(&cc.file).map(|d| d.kind) != Some(FieldType::File) {
                    errors.push(err(
                        format!("{p}.cross_check.file"),
                        format!("`{}` is not a file field", cc.file),
                    ));
                }
                match self.fields.get(&cc.into).map(|d| d.kind) {
                    Some(FieldType::Text | FieldType::LongText) if !o.inputs.contains(&cc.into) => {
                    }
                    _ => errors.push(err(
                        format!("{p}.cross_check.into"),
                        format!("`{}` must be a text field that is not an input", cc.into),
                    )),
                }
            }
            let states = self
                .state_field
                .as_ref()
                .and_then(|s| self.fields.get(s))
                .map(|f| f.options.clone());
            if !o.from.is_empty() || o.to.is_some() {
                match &states {
                    None => errors.push(err(&p, "`from`/`to` need `state_field` on the app")),
                    Some(opts) => {
                        for (i, s) in o.from.iter().enumerate() {
                            if !opts.contains(s) {
                                errors.push(err(
                                    format!("{p}.from[{i}]"),
                                    format!("`{s}` is not a state"),
                                ));
                            }
                        }
                        if let Some(t) = &o.to {
                            if !opts.contains(t) {
                                errors
                                    .push(err(format!("{p}.to"), format!("`{t}` is not a state")));
                            }
                        }
                    }
                }
            }
            match o.kind {
                OperationKind::Transition if o.to.is_none() => {
                    errors.push(err(format!("{p}.to"), "a transition needs a target state"))
                }
                OperationKind::Create if !o.from.is_empty() => errors.push(err(
                    format!("{p}.from"),
                    "a create operation has no precondition state",
                )),
                _ => {}
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_field(&self, errors: &mut Vec<DefinitionError>, path: &str, name: &str) {
        if !self.fields.contains_key(name) {
            errors.push(err(path, format!("unknown field `{name}`")));
        }
    }

    fn check_filter(
        &self,
        errors: &mut Vec<DefinitionError>,
        path: &str,
        field: &str,
        op: FilterOp,
    ) {
        match self.fields.get(field).map(|f| f.kind) {
            None => errors.push(err(
                format!("{path}.field"),
                format!("unknown field `{field}`"),
            )),
            Some(FieldType::File | FieldType::LongText) => errors.push(err(
                format!("{path}.field"),
                format!("`{field}` cannot be filtered on"),
            )),
            Some(FieldType::Text) => {}
            Some(_) if op == FilterOp::Contains => errors.push(err(
                format!("{path}.op"),
                format!("`contains` works on text fields; `{field}` is not one"),
            )),
            Some(_) => {}
        }
    }
}

/// serde_path_to_error puts an unknown key into the path; the key belongs in the message only.
fn locate(path: String, message: &str) -> String {
    let p = match message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        Some(key) => path
            .strip_suffix(&format!(".{key}"))
            .map(String::from)
            .unwrap_or(path),
        None => path,
    };
    path_or_root(p)
}

fn path_or_root(p: String) -> String {
    if p == "." || p.is_empty() {
        "(top level)".into()
    } else {
        p
    }
}

/// Identifier rule for slugs and names: `[a-z][a-z0-9_]{0,39}`.
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= 40
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Parses `a + b - c` into signed terms.
pub fn parse_expr(expr: &str) -> Result<Vec<(i8, String)>, String> {
    let mut terms = Vec::new();
    let mut sign = 1i8;
    let mut expect_term = true;
    for tok in expr.split_whitespace() {
        match (tok, expect_term) {
            ("+", false) => {
                sign = 1;
                expect_term = true;
            }
            ("-", false) => {
                sign = -1;
                expect_term = true;
            }
            (t, true) if is_ident(t) => {
                terms.push((sign, t.to_string()));
                expect_term = false;
            }
            (t, _) => {
                return Err(format!(
                    "unexpected `{t}` in `{expr}`; write fields joined by + or -"
                ))
            }
        }
    }
    if expect_term || terms.is_empty() {
        return Err(format!("`{expr}` is incomplete"));
    }
    Ok(terms)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MINI: &str = r#"
slug = "t"
name = "T"
state_field = "status"
[fields]
a = { type = "text", label = "A" }
status = { type = "choice", label = "S", options = ["X", "Y"], default = "X" }
[views.v]
title = "V"
roles = ["r"]
columns = ["a"]
parameters.p = { field = "status", op = "eq" }
"#;

    #[test]
    fn a_valid_definition_parses() {
        let d = AppDef::parse(MINI).unwrap();
        assert_eq!(d.views["v"].parameters["p"].op, FilterOp::Eq);
    }

    #[test]
    fn unknown_keys_are_reported_with_their_path() {
        let bad = MINI.replace("{ field = \"status\"", "{ stat = \"status\"");
        let e = AppDef::parse(&bad).unwrap_err();
        assert_eq!(e[0].path, "views.v.parameters.p");
        assert!(
            e[0].message.contains("unknown field `stat`"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn references_to_missing_fields_are_reported() {
        let bad = MINI.replace("columns = [\"a\"]", "columns = [\"a\", \"zz\"]");
        let e = AppDef::parse(&bad).unwrap_err();
        assert_eq!(e[0].to_string(), "views.v.columns[1]: unknown field `zz`");
    }

    #[test]
    fn expressions_parse() {
        assert_eq!(parse_expr("net + tax").unwrap().len(), 2);
        assert!(parse_expr("net +").is_err());
        assert!(parse_expr("net * 2").is_err());
    }
}
