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
    /// The roles the app grants views and operations to. When given, every role a view or
    /// operation names must be one of them (a typo such as `manger` is refused).
    #[serde(default)]
    pub roles: Vec<String>,
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
    /// A money amount converted into the site's home currency (see `engine::converted`).
    Converted,
    /// Yes or no, stored as a JSON boolean.
    #[serde(rename = "yesno")]
    YesNo,
    /// Any of the field's options, stored as a JSON array in the options' order.
    #[serde(rename = "multichoice")]
    MultiChoice,
    /// An email address (see `engine::field_types`).
    Email,
    /// A phone number; `+` numbers are stored in E.164.
    Phone,
    /// An http or https address.
    Url,
    /// A whole number in the i64 range, stored as a JSON number, with an optional `unit`.
    Integer,
    /// A moment in time, given with its offset and stored in UTC (RFC 3339).
    #[serde(rename = "datetime")]
    DateTime,
    /// A file field whose web input asks the phone for its camera; images only.
    Photo,
    /// The id of a record of another app (`app`), shown as that record's title to those who
    /// may read it (see `engine::lookups`).
    Lookup,
    /// A point on Earth, stored as `{"lat": …, "lon": …}` in WGS 84 decimal degrees (see
    /// `engine::field_types`); shown, never filtered on or sorted by.
    Geolocation,
    /// A table of line items inside the record: an array of objects with their own `columns`
    /// and a stable `id` each (see `engine::lines`).
    Lines,
}

impl FieldType {
    /// Whether the field's value is set by Formwork, never by an input.
    pub fn is_derived(self) -> bool {
        matches!(self, FieldType::Computed | FieldType::Converted)
    }

    /// Whether values are attachment ids (a file, or a photo taken with the camera).
    pub fn is_file(self) -> bool {
        matches!(self, FieldType::File | FieldType::Photo)
    }

    /// Whether values are decimals (summed, compared as numbers).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Number | FieldType::Money | FieldType::Computed | FieldType::Converted
        )
    }
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
    /// A literal default, or a placeholder worked out at creation (`engine::default_values`):
    /// `$me` (the acting user), `$today`, `$today+14d` (days, weeks, months, years), `$now`.
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
    /// For converted fields: the money (or computed money) field converted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// For converted fields: the date field whose day's rate is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_field: Option<String>,
    /// For integer fields: the unit shown after the value ("km", "nights").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The field is shown, and may be set, only while this rule holds (`engine::field_rules`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_when: Option<super::field_rules::FieldRule>,
    /// The field must have a value while this rule holds (and the field is visible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_when: Option<super::field_rules::FieldRule>,
    /// For lookup fields: the slug of the app whose records it refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// For lookup fields: which of the target app's records may be chosen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<FixedFilter>,
    /// For lookup fields: what deleting a referenced record does (refuse by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<OnDelete>,
    /// For lines fields: the columns of each line, in order (see `engine::lines`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub columns: IndexMap<String, FieldDef>,
    /// For lines fields: the fewest lines a record has once the field is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rows: Option<u32>,
    /// For lines fields: the most lines (200 unless given, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u32>,
}

/// What deleting a record does to the lookup fields that refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnDelete {
    /// The delete is refused while any record refers to it.
    #[default]
    Refuse,
    /// The referring records' field is emptied, each as a write with its history entry.
    Clear,
}

/// Which records a role sees or acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The actor's own records.
    #[default]
    Own,
    /// Records owned by the actor's direct reports, and by those of anyone whose stand-in the
    /// actor is today.
    Reports,
    /// As `reports`, and their reports in turn (the whole team below the actor).
    AllReports,
    /// Every record (the view's fixed filters still apply).
    All,
}

impl Scope {
    /// Whether the scope follows the reporting lines (needs the actor's team).
    pub fn is_team(self) -> bool {
        matches!(self, Scope::Reports | Scope::AllReports)
    }

    /// Short label for admin screens.
    pub fn label(self) -> &'static str {
        match self {
            Scope::Own => "own records",
            Scope::Reports => "records of direct reports",
            Scope::AllReports => "records of the whole team",
            Scope::All => "all records",
        }
    }

    /// Phrase for generated descriptions: "Lists {phrase} of …".
    pub fn phrase(self) -> &'static str {
        match self {
            Scope::Own => "your own records",
            Scope::Reports => "the records of people who report to you (and to anyone you stand in for)",
            Scope::AllReports => "the records of your whole team (your reports and theirs, and those of anyone you stand in for)",
            Scope::All => "all records you are allowed to see",
        }
    }

    /// Every scope, in the order admin screens offer them.
    pub const ALL: [Scope; 4] = [Scope::Own, Scope::Reports, Scope::AllReports, Scope::All];

    /// The scope's name in a definition (`own`, `reports`, `all_reports`, `all`).
    pub fn name(self) -> &'static str {
        match self {
            Scope::Own => "own",
            Scope::Reports => "reports",
            Scope::AllReports => "all_reports",
            Scope::All => "all",
        }
    }
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
    /// A multichoice field holds at least one of the given options.
    ContainsAny,
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
            FilterOp::ContainsAny => "includes any of",
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
    /// Also offer the view's summaries as one MCP tool (`<app>_<view>_summary`).
    #[serde(default)]
    pub summary_tool: bool,
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
    /// Totals and groupings over the view's records (computed in the database), by name.
    #[serde(default)]
    pub summaries: IndexMap<String, SummaryDef>,
    /// Operations offered on several chosen rows at once (each record still checked alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bulk: Vec<String>,
    #[serde(default)]
    pub mcp: ViewMcp,
}

/// What a summary computes per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// Cuts a date field into periods for grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// How a summary is drawn on the web.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    #[default]
    Bar,
    Line,
    None,
}

/// A summary of a view: an aggregate of one number or money field (or a count), grouped by up to
/// two fields; a date field among them is cut into `bucket` periods. Money is summed per
/// currency (the money field's currency field becomes a further group).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryDef {
    pub title: String,
    pub aggregate: Aggregate,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub group_by: Vec<String>,
    #[serde(default)]
    pub bucket: Option<Bucket>,
    #[serde(default)]
    pub chart: Chart,
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
    /// Precondition: the record meets every one of these conditions (e.g. an amount over a limit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub when: Vec<super::conditions::Condition>,
    /// Fields shown read-only beside the operation's form (e.g. a reviewer's comment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub show: Vec<String>,
    /// The form's order of fields, grouped under titles (inputs and `read_only` fields).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<super::field_rules::Section>,
    /// Fields shown in the form with their value, not editable (never inputs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read_only: Vec<String>,
    /// Computed fields a caller may send as a cross-check: a given value must equal the computed
    /// one within one minor unit of the currency, and is never stored.
    #[serde(default)]
    pub verify: Vec<String>,
    /// Compare the inputs with the values read from an attached file and note differences.
    #[serde(default)]
    pub cross_check: Option<CrossCheck>,
    /// Who is told when the operation is applied (see `engine::notify`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<super::notify::NotifyTarget>,
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
                    Some(expr) if super::lines::parse_aggregate(expr).is_some() => {
                        if let Some(Err(m)) = super::lines::parse_aggregate(expr)
                            .map(|a| super::lines::check_aggregate(self, &a))
                        {
                            errors.push(err(format!("{p}.expr"), m));
                        }
                    }
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
                FieldType::Converted => super::converted::check_converted(self, &p, f, &mut errors),
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
            super::field_types::check_definition(&p, f, &mut errors);
            super::lines::check_definition(&p, f, &mut errors);
            super::default_values::check_default(&p, f, &mut errors);
            super::lookups::check_definition(&p, f, &mut errors);
            super::lookup_paths::check_copied_default(self, &p, f, &mut errors);
            let literal = f
                .default
                .as_ref()
                .filter(|d| !super::lookup_paths::evaluated_default(d));
            if let (Some(d), FieldType::Choice) = (literal, f.kind) {
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
                let at = format!("{p}.columns[{i}]");
                if !self.check_looked_up(&mut errors, &at, c) {
                    self.check_field(&mut errors, &at, c);
                }
            }
            for (i, s) in v.sort.iter().enumerate() {
                let name = s.trim_start_matches('-');
                if super::lookup_paths::split(name).is_some() {
                    errors.push(err(
                        format!("{p}.sort[{i}]"),
                        format!(
                            "`{name}` is a looked-up field; a view sorts by its app's own fields"
                        ),
                    ));
                    continue;
                }
                self.check_field(&mut errors, &format!("{p}.sort[{i}]"), name);
                if let Some(what) = self
                    .fields
                    .get(name)
                    .and_then(|f| super::lines::unordered_aggregate(self, f))
                {
                    errors.push(err(
                        format!("{p}.sort[{i}]"),
                        format!("`{name}` is {what}; a view cannot sort by it yet"),
                    ));
                }
                if self.fields.get(name).map(|f| f.kind) == Some(FieldType::Lines) {
                    errors.push(err(
                        format!("{p}.sort[{i}]"),
                        format!("`{name}` is a lines field; a view cannot sort by it"),
                    ));
                }
                if self.fields.get(name).map(|f| f.kind) == Some(FieldType::Geolocation) {
                    errors.push(err(
                        format!("{p}.sort[{i}]"),
                        format!("`{name}` is a geolocation field; places have no order to sort by (show it as a column instead)"),
                    ));
                }
            }
            for (i, f) in v.filters.iter().enumerate() {
                let at = format!("{p}.filters[{i}]");
                if !super::line_filters::check(
                    self,
                    &mut errors,
                    &at,
                    &f.field,
                    f.op,
                    Some(f.value.as_str()),
                ) {
                    self.check_filter(&mut errors, &at, &f.field, f.op);
                }
            }
            for (pn, param) in &v.parameters {
                let pp = format!("{p}.parameters.{pn}");
                if !is_ident(pn) || matches!(pn.as_str(), "limit" | "cursor" | "search") {
                    errors.push(err(&pp, "parameter names use lowercase letters, digits and `_` (limit, cursor and search are reserved)"));
                }
                if !super::line_filters::check(self, &mut errors, &pp, &param.field, param.op, None)
                {
                    self.check_filter(&mut errors, &pp, &param.field, param.op);
                }
            }
            if v.per_page == 0 || v.per_page > 500 {
                errors.push(err(
                    format!("{p}.per_page"),
                    "records per page must be between 1 and 500",
                ));
            }
            for (sn, sm) in &v.summaries {
                self.check_summary(&mut errors, &format!("{p}.summaries.{sn}"), sn, sm);
            }
            if v.mcp.summary_tool && v.summaries.is_empty() {
                errors.push(err(
                    format!("{p}.mcp.summary_tool"),
                    "the view has no summaries to offer",
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
                    Some(k) if k.is_derived() => {
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
                } else if self
                    .fields
                    .get(f)
                    .is_some_and(super::line_totals::is_totals)
                {
                    errors.push(err(
                        format!("{p}.verify[{i}]"),
                        format!("`{f}` holds totals per currency; only one amount can be verified"),
                    ));
                }
            }
            if let Some(cc) = &o.cross_check {
                if self.fields.get(&cc.file).is_none_or(|d| !d.kind.is_file()) {
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
        self.check_roles(&mut errors);
        super::notify::check_notify(self, &mut errors);
        super::conditions::check_workflow(self, &mut errors);
        super::field_rules::check_definition(self, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Declared roles are identifiers, and views and operations grant only declared roles.
    fn check_roles(&self, errors: &mut Vec<DefinitionError>) {
        for (i, r) in self.roles.iter().enumerate() {
            if !is_ident(r) {
                errors.push(err(
                    format!("roles[{i}]"),
                    format!("`{r}`: role names use lowercase letters, digits and `_`"),
                ));
            }
        }
        if self.roles.is_empty() {
            return;
        }
        let grants = self
            .views
            .iter()
            .map(|(n, v)| (format!("views.{n}.roles"), &v.roles))
            .chain(
                self.operations
                    .iter()
                    .map(|(n, o)| (format!("operations.{n}.roles"), &o.roles)),
            );
        for (path, roles) in grants {
            for (i, r) in roles.iter().enumerate() {
                if !self.roles.contains(r) {
                    let hint = match closest(r, &self.roles) {
                        Some(c) => format!("; did you mean `{c}`?"),
                        None => format!(
                            "; declare it in the app's roles (now: {})",
                            self.roles.join(", ")
                        ),
                    };
                    errors.push(err(
                        format!("{path}[{i}]"),
                        format!("unknown role `{r}`{hint}"),
                    ));
                }
            }
        }
    }

    /// Every role a view or operation grants, in first-seen order.
    pub fn used_roles(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let all = self
            .views
            .values()
            .flat_map(|v| v.roles.iter())
            .chain(self.operations.values().flat_map(|o| o.roles.iter()));
        for r in all {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }

    /// Renames a field and every reference to it (views, operations, computed expressions,
    /// money currencies, the app's state/owner/title fields). Record data is not touched here:
    /// publishing moves stored values (see `engine::evolution`).
    pub fn rename_field(&mut self, old: &str, new: &str) -> Result<(), DefinitionError> {
        if !is_ident(new) {
            return Err(err(
                format!("fields.{old}"),
                "field names use lowercase letters, digits and `_`, starting with a letter",
            ));
        }
        if self.fields.contains_key(new) {
            return Err(err(
                format!("fields.{old}"),
                format!("there is already a field `{new}`"),
            ));
        }
        let Some(idx) = self.fields.get_index_of(old) else {
            return Err(err(format!("fields.{old}"), "no such field"));
        };
        let Some((_, def)) = self.fields.shift_remove_index(idx) else {
            return Err(err(format!("fields.{old}"), "no such field"));
        };
        self.fields.insert(new.to_string(), def);
        let last = self.fields.len() - 1;
        self.fields.move_index(last, idx);
        let fix = |s: &mut String| {
            if s == old {
                *s = new.to_string();
            } else if let Some(rest) = s
                .strip_prefix(old)
                .and_then(|r| r.strip_prefix('.'))
                .map(str::to_string)
            {
                // A looked-up field (`lookup.field`) follows its lookup's new name.
                *s = format!("{new}.{rest}");
            }
        };
        let fix_all = |v: &mut Vec<String>| v.iter_mut().for_each(&fix);
        for f in self.fields.values_mut() {
            for s in [&mut f.currency_field, &mut f.source, &mut f.date_field]
                .into_iter()
                .flatten()
            {
                fix(s);
            }
            for rule in [&mut f.visible_when, &mut f.required_when]
                .into_iter()
                .flatten()
            {
                rule.rename(old, new);
            }
            if let Some(e) = f.expr.as_mut() {
                if let Some(a) = super::lines::parse_aggregate(e).filter(|a| a.field == old) {
                    *e = super::lines::write_aggregate(&a, new);
                } else if let Ok(terms) = parse_expr(e) {
                    let mut out = String::new();
                    for (i, (sign, t)) in terms.iter().enumerate() {
                        if i > 0 || *sign < 0 {
                            out.push_str(if *sign < 0 { " - " } else { " + " });
                        }
                        out.push_str(if t == old { new } else { t });
                    }
                    *e = out.trim_start().to_string();
                }
            }
        }
        for s in [
            &mut self.state_field,
            &mut self.owner_field,
            &mut self.title_field,
        ]
        .into_iter()
        .flatten()
        {
            fix(s);
        }
        for v in self.views.values_mut() {
            fix_all(&mut v.columns);
            for s in v.sort.iter_mut() {
                if let Some(rest) = s.strip_prefix('-') {
                    if rest == old {
                        *s = format!("-{new}");
                    }
                } else {
                    fix(s);
                }
            }
            v.filters.iter_mut().for_each(|f| fix(&mut f.field));
            v.parameters.values_mut().for_each(|p| fix(&mut p.field));
            for s in v.summaries.values_mut() {
                s.field.iter_mut().for_each(&fix);
                fix_all(&mut s.group_by);
            }
        }
        for o in self.operations.values_mut() {
            for list in [
                &mut o.inputs,
                &mut o.required,
                &mut o.requires,
                &mut o.verify,
            ] {
                fix_all(list);
            }
            if let Some(cc) = o.cross_check.as_mut() {
                fix(&mut cc.file);
                fix(&mut cc.into);
            }
            o.notify
                .iter_mut()
                .filter_map(|t| t.field.as_mut())
                .for_each(&fix);
            o.when.iter_mut().for_each(|c| fix(&mut c.field));
            fix_all(&mut o.show);
            fix_all(&mut o.read_only);
            o.sections.iter_mut().for_each(|s| fix_all(&mut s.fields));
        }
        Ok(())
    }

    /// Where a field is referenced (for refusing a removal), as definition paths.
    pub fn references_to(&self, field: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (n, f) in &self.fields {
            if f.currency_field.as_deref() == Some(field) {
                out.push(format!("fields.{n}.currency_field"));
            }
            // A converted field over line items names `items.net` and may name `items.date`.
            let names = |s: Option<&str>| {
                s.is_some_and(|s| s == field || s.split_once('.').is_some_and(|(l, _)| l == field))
            };
            if names(f.source.as_deref()) {
                out.push(format!("fields.{n}.source"));
            }
            if names(f.date_field.as_deref()) {
                out.push(format!("fields.{n}.date_field"));
            }
            if f.expr
                .as_deref()
                .and_then(|e| parse_expr(e).ok())
                .is_some_and(|t| t.iter().any(|(_, t)| t == field))
                || f.expr
                    .as_deref()
                    .and_then(super::lines::parse_aggregate)
                    .is_some_and(|a| a.field == field)
            {
                out.push(format!("fields.{n}.expr"));
            }
            for (key, rule) in [
                ("visible_when", &f.visible_when),
                ("required_when", &f.required_when),
            ] {
                if rule.as_ref().is_some_and(|r| r.fields().contains(field)) {
                    out.push(format!("fields.{n}.{key}"));
                }
            }
        }
        for (key, v) in [
            ("state_field", &self.state_field),
            ("owner_field", &self.owner_field),
            ("title_field", &self.title_field),
        ] {
            if v.as_deref() == Some(field) {
                out.push(key.to_string());
            }
        }
        for (n, v) in &self.views {
            let through = |c: &str| super::lookup_paths::split(c).is_some_and(|(l, _)| l == field);
            let used = v.columns.iter().any(|c| c == field || through(c))
                || v.filters.iter().any(|f| through(&f.field))
                || v.parameters.values().any(|p| through(&p.field))
                || v.sort.iter().any(|s| s.trim_start_matches('-') == field)
                || v.filters.iter().any(|f| f.field == field)
                || v.parameters.values().any(|p| p.field == field)
                || v.summaries.values().any(|s| {
                    s.field.as_deref() == Some(field) || s.group_by.iter().any(|g| g == field)
                });
            if used {
                out.push(format!("views.{n}"));
            }
        }
        for (n, o) in &self.operations {
            let used = [&o.inputs, &o.required, &o.requires, &o.verify]
                .iter()
                .any(|l| l.iter().any(|f| f == field))
                || o.cross_check
                    .as_ref()
                    .is_some_and(|c| c.file == field || c.into == field)
                || o.notify.iter().any(|t| t.field.as_deref() == Some(field))
                || o.when.iter().any(|c| c.field == field)
                || o.show.iter().any(|f| f == field)
                || o.read_only.iter().any(|f| f == field)
                || o.sections
                    .iter()
                    .any(|s| s.fields.iter().any(|f| f == field));
            if used {
                out.push(format!("operations.{n}"));
            }
        }
        out
    }

    fn check_summary(
        &self,
        errors: &mut Vec<DefinitionError>,
        path: &str,
        name: &str,
        s: &SummaryDef,
    ) {
        if !is_ident(name) {
            errors.push(err(
                path,
                "summary names use lowercase letters, digits and `_`",
            ));
        }
        match (&s.field, s.aggregate) {
            (None, Aggregate::Count) => {}
            (None, _) => errors.push(err(
                format!("{path}.field"),
                "choose the number or money field to aggregate",
            )),
            (Some(f), _) => match self.fields.get(f).map(|d| d.kind) {
                Some(FieldType::Computed) if super::lines::unsummable(self, f) => {
                    errors.push(err(
                        format!("{path}.field"),
                        format!("`{f}` adds up line items in their own currency or is a date; it cannot be summarised across records yet"),
                    ))
                }
                Some(k) if k.is_numeric() => {}
                Some(_) => errors.push(err(
                    format!("{path}.field"),
                    format!("`{f}` is not a number or money field"),
                )),
                None => errors.push(err(format!("{path}.field"), format!("unknown field `{f}`"))),
            },
        }
        if s.group_by.len() > 2 {
            errors.push(err(
                format!("{path}.group_by"),
                "group by at most two fields",
            ));
        }
        for (i, g) in s.group_by.iter().enumerate() {
            match self.fields.get(g).map(|d| d.kind) {
                None => errors.push(err(
                    format!("{path}.group_by[{i}]"),
                    format!("unknown field `{g}`"),
                )),
                Some(
                    FieldType::LongText
                    | FieldType::File
                    | FieldType::Photo
                    | FieldType::Geolocation
                    | FieldType::Lines,
                ) => errors.push(err(
                    format!("{path}.group_by[{i}]"),
                    format!("`{g}` cannot be grouped by"),
                )),
                Some(_)
                    if self
                        .fields
                        .get(g)
                        .is_some_and(super::line_totals::is_totals) =>
                {
                    errors.push(err(
                        format!("{path}.group_by[{i}]"),
                        format!("`{g}` holds totals per currency and cannot be grouped by"),
                    ))
                }
                Some(_) => {}
            }
        }
        if s.bucket.is_some()
            && !s
                .group_by
                .iter()
                .any(|g| self.fields.get(g).map(|d| d.kind) == Some(FieldType::Date))
        {
            errors.push(err(
                format!("{path}.bucket"),
                "a bucket cuts a date field: group by a date field",
            ));
        }
    }

    /// The currency field a money (or computed money) field is in, if any.
    pub fn currency_of(&self, field: &str) -> Option<&str> {
        let f = self.fields.get(field)?;
        match (&f.currency_field, &f.expr) {
            (Some(c), _) => Some(c),
            (None, Some(e)) => parse_expr(e).ok().and_then(|t| {
                t.first()
                    .and_then(|(_, n)| self.fields.get(n))
                    .and_then(|d| d.currency_field.as_deref())
            }),
            _ => None,
        }
    }

    fn check_field(&self, errors: &mut Vec<DefinitionError>, path: &str, name: &str) {
        if !self.fields.contains_key(name) {
            errors.push(err(path, format!("unknown field `{name}`")));
        }
    }

    /// Checks a filter of another definition (a lookup's) against this app's fields.
    pub(crate) fn check_filter_of(
        &self,
        errors: &mut Vec<DefinitionError>,
        path: &str,
        field: &str,
        op: FilterOp,
    ) {
        if super::lookup_paths::split(field).is_some() {
            errors.push(err(
                format!("{path}.field"),
                format!("`{field}` is a looked-up field; filter on this app's own fields here"),
            ));
            return;
        }
        self.check_filter(errors, path, field, op)
    }

    /// Checks a looked-up field's name (`lookup.field`) as far as this definition can: the
    /// lookup must be one of its lookup fields (the target's field is checked at publication,
    /// against the published target). False when `name` is not a looked-up name.
    fn check_looked_up(&self, errors: &mut Vec<DefinitionError>, path: &str, name: &str) -> bool {
        let Some((lookup, field)) = super::lookup_paths::split(name) else {
            return false;
        };
        match self.fields.get(lookup).map(|f| f.kind) {
            Some(FieldType::Lookup) if is_ident(field) => {}
            Some(FieldType::Lookup) => {
                errors.push(err(path, format!("`{field}` is not a field name")))
            }
            Some(_) => errors.push(err(
                path,
                format!("`{lookup}` is not a lookup field, so `{name}` names nothing"),
            )),
            None => errors.push(err(path, format!("unknown field `{lookup}`"))),
        }
        true
    }

    fn check_filter(
        &self,
        errors: &mut Vec<DefinitionError>,
        path: &str,
        field: &str,
        op: FilterOp,
    ) {
        if self.check_looked_up(errors, &format!("{path}.field"), field) {
            return;
        }
        if let Some(what) = self
            .fields
            .get(field)
            .and_then(|f| super::lines::unordered_aggregate(self, f))
        {
            errors.push(err(
                format!("{path}.field"),
                format!("`{field}` is {what}; it cannot be filtered on yet"),
            ));
            return;
        }
        match self.fields.get(field).map(|f| f.kind) {
            None => errors.push(err(
                format!("{path}.field"),
                format!("unknown field `{field}`"),
            )),
            Some(FieldType::File | FieldType::Photo | FieldType::LongText | FieldType::Lines) => errors.push(err(
                format!("{path}.field"),
                format!("`{field}` cannot be filtered on"),
            )),
            Some(FieldType::Geolocation) => errors.push(err(
                format!("{path}.field"),
                format!("`{field}` is a geolocation field and cannot be filtered on (show it as a column instead)"),
            )),
            Some(FieldType::Text) => {}
            Some(FieldType::MultiChoice) if op != FilterOp::ContainsAny => errors.push(err(
                format!("{path}.op"),
                format!("a multichoice field is filtered with `contains_any`; `{field}` is one"),
            )),
            Some(FieldType::MultiChoice) => {}
            Some(_) if op == FilterOp::ContainsAny => errors.push(err(
                format!("{path}.op"),
                format!("`contains_any` works on multichoice fields; `{field}` is not one"),
            )),
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
        Some(key) if path == key => String::new(),
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

/// The candidate nearest to `word` by edit distance, when it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
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
#[path = "definition_doc_tests.rs"]
mod doc_tests;

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
    fn an_unknown_top_level_key_is_reported_at_the_top_level() {
        let e = AppDef::parse(&format!("colour = \"red\"\n{MINI}")).unwrap_err();
        assert_eq!(e[0].path, "(top level)");
    }

    #[test]
    fn references_to_missing_fields_are_reported() {
        let bad = MINI.replace("columns = [\"a\"]", "columns = [\"a\", \"zz\"]");
        let e = AppDef::parse(&bad).unwrap_err();
        assert_eq!(e[0].to_string(), "views.v.columns[1]: unknown field `zz`");
    }

    #[test]
    fn an_undeclared_role_is_refused_with_a_suggestion() {
        let bad = MINI
            .replace("name = \"T\"", "name = \"T\"\nroles = [\"manager\"]")
            .replace("roles = [\"r\"]", "roles = [\"manger\"]");
        let e = AppDef::parse(&bad).unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "views.v.roles[0]: unknown role `manger`; did you mean `manager`?"
        );
    }

    #[test]
    fn renaming_a_field_follows_every_reference() {
        let mut d = AppDef::parse(MINI).unwrap();
        d.rename_field("status", "state").unwrap();
        assert_eq!(d.state_field.as_deref(), Some("state"));
        assert_eq!(d.views["v"].parameters["p"].field, "state");
        assert_eq!(d.fields.get_index_of("state"), Some(1));
        d.validate().unwrap();
        assert!(d.rename_field("a", "state").is_err());
    }

    #[test]
    fn expressions_parse() {
        assert_eq!(parse_expr("net + tax").unwrap().len(), 2);
        assert!(parse_expr("net +").is_err());
        assert!(parse_expr("net * 2").is_err());
    }
}
