//! The tool catalog: one tool per MCP-enabled view and operation of each published app that the
//! calling user may use, plus a read-only tool per file field for reading attachments.
use crate::engine::definition::{
    AppDef, DataFormat, FieldDef, FieldType, OperationDef, OperationKind, ViewDef,
};
use crate::engine::lookup_paths::Paths;
use crate::engine::{default_values, describe, field_rules, Actor, PublishedApp};
use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// What a tool runs.
#[derive(Debug, Clone)]
pub enum ToolTarget {
    View(String),
    Operation(String),
    /// Read the attachment in a file field of a record.
    ReadFile(String),
    /// The summaries of a view.
    Summary(String),
    /// Find records for a lookup field.
    FindLookup(String),
    /// Read a record's lines of a lines field, page by page.
    ReadLines(String),
    /// A link to send a file to a record's file input from a phone.
    UploadLink,
}

/// A tool and what it maps to.
#[derive(Debug, Clone)]
pub struct ToolEntry {
    pub app: Arc<PublishedApp>,
    pub target: ToolTarget,
    pub tool: Tool,
}

/// A resolved tool call: the app and what the tool runs.
pub struct ToolCall {
    pub app: Arc<PublishedApp>,
    pub name: String,
    pub target: ToolTarget,
}

/// Default and largest page size of view tools.
pub const DEFAULT_LIMIT: u64 = 25;
pub const MAX_LIMIT: u64 = 200;

/// `<app>_<name>`, at most 64 characters of `[a-z0-9_]`.
pub fn tool_name(app: &str, name: &str) -> String {
    let full = format!("{app}_{name}");
    if full.len() <= 64 {
        return full;
    }
    let digest = crate::auth::secret_hash(&full);
    format!("{}_{}", &full[..55], &digest[..8])
}

/// The view's AI description and instructions (administrator's text or generated).
pub fn view_texts(def: &AppDef, paths: &Paths, v: &ViewDef) -> (String, String) {
    (
        v.mcp
            .description
            .clone()
            .unwrap_or_else(|| describe::view_description(def, paths, v)),
        v.mcp
            .instructions
            .clone()
            .unwrap_or_else(|| describe::view_instructions(def, paths, v)),
    )
}

/// The operation's AI description and instructions (administrator's text or generated).
pub fn operation_texts(def: &AppDef, o: &OperationDef) -> (String, String) {
    (
        o.mcp
            .description
            .clone()
            .unwrap_or_else(|| describe::operation_description(def, o)),
        o.mcp.instructions.clone().unwrap_or_else(|| {
            let text = describe::operation_instructions(def, o);
            // The generated text names the read tool `<app>_read_<field>`; a name over 64
            // characters is shortened (`tool_name`), and the text must name the listed tool.
            match &o.cross_check {
                Some(cc) => text.replace(
                    &format!("`{}_read_{}`", def.slug, cc.file),
                    &format!("`{}`", tool_name(&def.slug, &format!("read_{}", cc.file))),
                ),
                None => text,
            }
        }),
    )
}

fn obj(v: Value) -> Arc<Map<String, Value>> {
    Arc::new(match v {
        Value::Object(m) => m,
        _ => Map::new(),
    })
}

/// JSON Schema of one field's input.
pub fn field_schema(def: &AppDef, f: &FieldDef) -> Value {
    let desc = describe::field_format(def, f);
    let mut s = super::field_types::input_schema(f).unwrap_or_else(|| match f.kind {
        FieldType::Text | FieldType::LongText => {
            json!({"type": "string", "maxLength": f.max_len.unwrap_or(if f.kind == FieldType::Text { 500 } else { 20000 })})
        }
        FieldType::Number | FieldType::Money | FieldType::Computed | FieldType::Converted => {
            json!({"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,4})?$"})
        }
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::Currency => json!({"type": "string", "pattern": "^[A-Z]{3}$"}),
        FieldType::Choice => json!({"type": "string", "enum": f.options}),
        FieldType::User => json!({"type": "string"}),
        FieldType::File => json!({
            "type": "object",
            "properties": {
                "filename": {"type": "string", "description": "File name, e.g. receipt.jpg"},
                "content_base64": {"type": "string", "description": "The file's bytes, base64-encoded (JPEG, PNG, WebP or PDF)"}
            },
            "required": ["filename", "content_base64"],
            "additionalProperties": false
        }),
        // Given by `field_types::input_schema` above.
        FieldType::YesNo
        | FieldType::MultiChoice
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url
        | FieldType::Integer
        | FieldType::DateTime
        | FieldType::Photo
        | FieldType::Lookup
        | FieldType::Geolocation => json!({}),
        FieldType::Lines => lines_schema(def, f),
    });
    let title = if f.help.is_empty() {
        format!("{}: {desc}", f.label)
    } else {
        format!("{}: {desc}. {}", f.label, f.help)
    };
    if let Some(m) = s.as_object_mut() {
        m.insert("description".into(), Value::String(title));
    }
    s
}

/// A lines field's input: an array of line objects, each column a property (an existing
/// line's `id` too); the whole list is sent.
fn lines_schema(def: &AppDef, f: &FieldDef) -> Value {
    let mut props = Map::new();
    props.insert(
        "id".into(),
        json!({"type": "string", "description": "The id of a stored line to keep and update (as read, e.g. \"l1\"); leave it out for a new line"}),
    );
    let mut required = Vec::new();
    for (n, c) in &f.columns {
        let mut schema = field_schema(def, c);
        if c.kind.is_derived() {
            // Worked out from the line; sent back as read, it is left aside.
            if let Some(m) = schema.as_object_mut() {
                m.insert("readOnly".into(), Value::Bool(true));
                if let Some(Value::String(d)) = m.get_mut("description") {
                    d.push_str("; worked out from the line's values, a value sent is ignored");
                }
            }
        }
        if c.kind.is_file() {
            // A new file as for a file field, or the attachment id the line holds (as read).
            let description = schema.get("description").cloned().unwrap_or_default();
            if let Some(m) = schema.as_object_mut() {
                m.remove("description");
            }
            schema = json!({
                "anyOf": [
                    schema,
                    {"type": "integer", "description": "The attachment id the line holds, as read (to keep it, leave the column out)"}
                ],
                "description": format!("{}; upload the line's file as {{filename, content_base64}}", description.as_str().unwrap_or_default()),
            });
        }
        // What a new line that leaves the column out gets, when its default is calculated.
        if let (Some(d), Some(Value::String(text))) = (
            default_values::describe_column_default(c),
            schema.get_mut("description"),
        ) {
            text.push_str(&format!("; {d}"));
        }
        props.insert(n.clone(), schema);
        if c.kind == FieldType::Converted {
            // Its rate details, as read beside it; sent back with the line, they are left aside.
            props.insert(
                crate::engine::converted::rate_key(n),
                json!({"type": ["object", "null"], "readOnly": true, "description": "The rate the line's amount was converted with, as read; ignored on input"}),
            );
        }
        // A column with a default need not be sent: a new line gets it, a kept one keeps its own.
        if c.required && c.default.is_none() {
            required.push(Value::String(n.clone()));
        }
    }
    let mut s = json!({
        "type": "array",
        "items": {"type": "object", "properties": props, "additionalProperties": false},
        "maxItems": crate::engine::lines::max_rows(f),
    });
    if !required.is_empty() {
        s["items"]["required"] = Value::Array(required);
    }
    if let Some(m) = f.min_rows.filter(|m| *m > 0) {
        s["minItems"] = m.into();
    }
    s
}

/// The `error` object of a failed tool call: a stable code, the message, and per-field problems.
/// A record's fields as results carry them, each with the schema of its stored value.
fn fields_schema(def: &AppDef) -> Value {
    let props: Map<String, Value> = def
        .fields
        .iter()
        .filter(|(_, f)| f.kind != FieldType::Converted)
        .map(|(n, f)| (n.clone(), super::field_types::stored_schema(f)))
        .collect();
    json!({"type": "object", "properties": props})
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": ["array", "null"]}
        },
        "required": ["code", "message"]
    })
}

fn view_tool(def: &AppDef, paths: &Paths, name: &str, v: &ViewDef) -> Tool {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (pn, p) in &v.parameters {
        // A looked-up field whose target changed since publication takes no value.
        let Some(f) = crate::engine::lookup_paths::field_of(def, paths, &p.field) else {
            continue;
        };
        let mut s = field_schema(def, f);
        if let Some(m) = s.as_object_mut() {
            m.remove("maxLength");
            m.insert(
                "description".into(),
                Value::String(format!(
                    "Only records {} {} {} this value ({})",
                    if crate::engine::line_filters::split(def, &p.field).is_some() {
                        "with a line whose"
                    } else {
                        "whose"
                    },
                    crate::engine::lookup_paths::label_of(def, paths, &p.field)
                        .unwrap_or_else(|| f.label.clone()),
                    p.op.phrase(),
                    describe::field_format(def, f)
                )),
            );
        }
        props.insert(pn.clone(), s);
        if p.required {
            required.push(pn.clone());
        }
    }
    props.insert("limit".into(), json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT, "description": "Rows per page"}));
    props.insert(
        "cursor".into(),
        json!({"type": "string", "description": "The next_cursor of the previous page"}),
    );
    let input = json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    let (rows, columns) = match v.mcp.format {
        DataFormat::Columns => (
            json!({
                "type": "array",
                "description": "One array per record, its values in the order of `columns`",
                "items": {"type": "array", "items": {"type": ["integer", "string", "null"]}}
            }),
            Some(json!({
                "type": "array",
                "items": {"type": "string"},
                "description": format!("Names of the values in each row: {}", super::results::column_names(v).join(", "))
            })),
        ),
        DataFormat::Full => (
            json!({"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"},
                "version": {"type": "integer"},
                "fields": fields_schema(def),
                "attachments": {"type": "array"},
                "looked_up": {"type": "object", "additionalProperties": {"type": "string"}, "description": "The view's looked-up columns (`lookup.field`), as displayed"}
            }}}),
            None,
        ),
    };
    let mut out_props = Map::new();
    if let Some(c) = columns {
        out_props.insert("columns".into(), c);
    }
    out_props.insert("rows".into(), rows);
    out_props.insert("total".into(), json!({"type": "integer", "description": "Records matching the parameters; a lower bound when total_exact is false"}));
    out_props.insert("total_exact".into(), json!({"type": "boolean", "description": "false when counting stopped early: more than `total` records match"}));
    out_props.insert("returned".into(), json!({"type": "integer"}));
    out_props.insert("next_cursor".into(), json!({"type": ["string", "null"]}));
    out_props.insert("truncated".into(), json!({"type": "boolean"}));
    out_props.insert("error".into(), error_schema());
    let output = json!({
        "type": "object",
        "properties": out_props,
        // A failed call carries `error` instead (with isError), and still conforms.
        "anyOf": [{"required": ["rows", "total", "returned", "truncated"]}, {"required": ["error"]}]
    });
    let (d, mut i) = view_texts(def, paths, v);
    if v.mcp.format == DataFormat::Full {
        // A row with more lines than fit one result carries the first ones.
        for (n, _) in def
            .fields
            .iter()
            .filter(|(_, f)| f.kind == FieldType::Lines)
        {
            i.push_str(&format!(
                "\nA record with more lines than fit one result has `fields.{n}` cut to the first lines and `fields[\"{n}:truncated\"]` = {{returned, total, next_lines_offset}}; read the rest with `{}` (record_id, lines_offset).",
                super::lines::read_tool_name(def, n)
            ));
        }
    }
    Tool::new(
        tool_name(&def.slug, name),
        format!("{d}\n\n{i}"),
        obj(input),
    )
    .with_title(format!("{}: {}", def.name, v.title))
    .with_raw_output_schema(obj(output))
    .with_annotations(
        ToolAnnotations::with_title(format!("{}: {}", def.name, v.title))
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
    )
}

fn operation_tool(def: &AppDef, name: &str, o: &OperationDef) -> Tool {
    let mut props = Map::new();
    let mut required: Vec<String> = Vec::new();
    if o.needs_record() {
        props.insert("record_id".into(), json!({"type": "integer", "description": "Id of the record to act on (from a view's rows)"}));
        props.insert("expected_version".into(), json!({"type": "integer", "description": "The record version you read; the call is refused if the record changed since"}));
        required.push("record_id".into());
    }
    for i in &o.inputs {
        let f = &def.fields[i.as_str()];
        let mut schema = field_schema(def, f);
        if f.kind == FieldType::Lookup {
            // Where the id comes from: the field's own find tool, listed with this one.
            if let Some(Value::String(d)) = schema.get_mut("description") {
                d.push_str(&format!(
                    "; call `{}` with words of its title to get ids",
                    super::lookup::find_tool_name(def, i)
                ));
            }
        }
        // And a lookup column of line items: its own find tool.
        for (c, _) in crate::engine::lines::lookup_columns(f) {
            let path = crate::engine::lines::column_path(i, c);
            if let Some(Value::String(d)) = schema
                .get_mut("items")
                .and_then(|it| it.get_mut("properties"))
                .and_then(|p| p.get_mut(c.as_str()))
                .and_then(|cs| cs.get_mut("description"))
            {
                d.push_str(&format!(
                    "; call `{}` with words of its title to get ids",
                    super::lookup::find_tool_name(def, &path)
                ));
            }
        }
        // What a create makes of an input left out, when its default is a placeholder.
        if let (OperationKind::Create, Some(d), Some(Value::String(text))) = (
            o.kind,
            default_values::describe_default(f),
            schema.get_mut("description"),
        ) {
            text.push_str(&format!("; {d}"));
        }
        if let (Some(copied), OperationKind::Create) = (
            crate::engine::lookup_paths::copied_default_note(def, f),
            o.kind,
        ) {
            if let Some(Value::String(d)) = schema.get_mut("description") {
                d.push_str(&format!("; {copied}"));
            }
        }
        // A rule's condition is said in the input's description: the schema cannot express it.
        let note = field_rules::input_note(def, o, i);
        if let (false, Some(Value::String(d))) = (note.is_empty(), schema.get_mut("description")) {
            d.push_str(&format!(" ({note})"));
        }
        props.insert(i.clone(), schema);
        if field_rules::always_required(def, o, i) {
            required.push(i.clone());
        }
    }
    for v in &o.verify {
        if let Some(f) = def.fields.get(v) {
            props.insert(
                v.clone(),
                json!({
                    "type": "string",
                    "pattern": "^[0-9]+(\\.[0-9]{1,4})?$",
                    "description": format!(
                        "Optional cross-check, not stored: the {} printed on the document; refused unless it equals {} within one minor unit",
                        f.label,
                        f.expr.as_deref().unwrap_or("")
                    )
                }),
            );
        }
    }
    if o.requires_confirmation() {
        props.insert("confirmation_token".into(), json!({"type": "string", "description": "Token from the preview returned by the first call; repeat the same arguments with it to apply the change"}));
    }
    let input = json!({"type": "object", "properties": props, "required": required, "additionalProperties": false});
    let output = json!({
        "type": "object",
        "properties": {
            "applied": {"type": "boolean"},
            "record_id": {"type": ["integer", "null"]},
            "version": {"type": "integer"},
            "changes": {"type": "array"},
            "record": {"anyOf": [fields_schema(def), {"type": "null"}]},
            "confirmation_token": {"type": ["string", "null"]},
            "error": error_schema()
        },
        "anyOf": [{"required": ["applied"]}, {"required": ["error"]}]
    });
    let (d, i) = operation_texts(def, o);
    let destructive = o.kind == OperationKind::Delete;
    Tool::new(
        tool_name(&def.slug, name),
        format!("{d}\n\n{i}"),
        obj(input),
    )
    .with_title(format!("{}: {}", def.name, o.title))
    .with_raw_output_schema(obj(output))
    .with_annotations(
        ToolAnnotations::with_title(format!("{}: {}", def.name, o.title))
            .read_only(false)
            .destructive(destructive)
            .idempotent(false)
            .open_world(false),
    )
}

fn read_file_tool(def: &AppDef, field: &str) -> Tool {
    let column = crate::engine::lines::split_column_path(def, field);
    let (input, description, label, name) = match column {
        Some((lines, lf, c)) => (
            json!({
                "type": "object",
                "properties": {
                    "record_id": {"type": "integer", "description": "Id of the record whose line to read"},
                    "line_id": {"type": "string", "description": format!("Id of the line in `{lines}` (as the record lists it, e.g. \"l1\")")}
                },
                "required": ["record_id", "line_id"],
                "additionalProperties": false
            }),
            format!(
                "Returns the {} of one line of {} in a {} record: an image (JPEG, long edge at most 1568 px) you can read, plus the PDF's text layer when it has one, and suggested values read by the server as a cross-check for that line, with the record's id and version. Use it before filling that line's columns from the document, then send the line back with its `id`.",
                c.label, lf.label, def.name
            ),
            format!("{} · {}", lf.label, c.label),
            format!("read_{}", field.replace('.', "_")),
        ),
        None => {
            let label = def
                .fields
                .get(field)
                .map(|f| f.label.clone())
                .unwrap_or_else(|| field.to_string());
            (
                json!({
                    "type": "object",
                    "properties": {"record_id": {"type": "integer", "description": "Id of the record whose file to read"}},
                    "required": ["record_id"],
                    "additionalProperties": false
                }),
                format!(
                    "Returns the {label} attached to a {} record: an image (JPEG, long edge at most 1568 px) you can read, plus the PDF's text layer when it has one, and suggested values read by the server as a cross-check, with the record's id and version. Use it before filling fields from the document.",
                    def.name
                ),
                label,
                format!("read_{field}"),
            )
        }
    };
    Tool::new(tool_name(&def.slug, &name), description, obj(input))
        .with_title(format!("{}: read {label}", def.name))
        .with_annotations(
            ToolAnnotations::with_title(format!("{}: read {label}", def.name))
                .read_only(true)
                .destructive(false)
                .idempotent(true)
                .open_world(false),
        )
}

/// Whether the actor may use a view or operation through MCP.
fn view_on(v: &ViewDef, actor: Option<&Actor>) -> bool {
    v.mcp.enabled && actor.is_none_or(|a| a.has_any(&v.roles))
}

fn op_on(o: &OperationDef, actor: Option<&Actor>) -> bool {
    o.mcp.enabled && actor.is_none_or(|a| a.has_any(&o.roles))
}

/// Names and targets of one app's tools for an actor (`None`: every enabled tool). Cheap: no
/// schemas are built, so a tool call can find its target without building the whole catalog.
pub fn app_targets(app: &PublishedApp, actor: Option<&Actor>) -> Vec<(String, ToolTarget)> {
    let def = &app.def;
    let mut out = Vec::new();
    for (n, v) in &def.views {
        if view_on(v, actor) {
            out.push((tool_name(&def.slug, n), ToolTarget::View(n.clone())));
            if v.mcp.summary_tool && !v.summaries.is_empty() {
                out.push((
                    tool_name(&def.slug, &format!("{n}_summary")),
                    ToolTarget::Summary(n.clone()),
                ));
            }
        }
    }
    let any_view = !out.is_empty();
    // Files whose read tool an operation's description tells the model to use (cross-checks).
    let mut named_by_operation = std::collections::BTreeSet::new();
    for (n, o) in &def.operations {
        if op_on(o, actor) {
            out.push((tool_name(&def.slug, n), ToolTarget::Operation(n.clone())));
            if let Some(cc) = &o.cross_check {
                named_by_operation.insert(cc.file.as_str());
            }
        }
    }
    // A lookup that an operation the actor may use through MCP takes gets its find tool, and
    // so does a lookup column of a lines input (`items.project`).
    for (n, f) in &def.fields {
        let lookups: Vec<String> = match f.kind {
            FieldType::Lookup => vec![n.clone()],
            FieldType::Lines => crate::engine::lines::lookup_columns(f)
                .map(|(c, _)| crate::engine::lines::column_path(n, c))
                .collect(),
            _ => continue,
        };
        if def
            .operations
            .values()
            .any(|o| op_on(o, actor) && o.inputs.contains(n))
        {
            for l in lookups {
                out.push((
                    super::lookup::find_tool_name(def, &l),
                    ToolTarget::FindLookup(l),
                ));
            }
        }
    }
    for (n, f) in &def.fields {
        if f.kind.is_file() && (any_view || named_by_operation.contains(n.as_str())) {
            out.push((
                tool_name(&def.slug, &format!("read_{n}")),
                ToolTarget::ReadFile(n.clone()),
            ));
        }
        // The lines a view row counts or cuts short, for a record the caller may read.
        if f.kind == FieldType::Lines && any_view {
            out.push((
                super::lines::read_tool_name(def, n),
                ToolTarget::ReadLines(n.clone()),
            ));
            // A file column of line items: read line by line (`record_id` and `line_id`).
            for (c, _) in crate::engine::lines::file_columns(f) {
                out.push((
                    tool_name(&def.slug, &format!("read_{n}_{c}")),
                    ToolTarget::ReadFile(crate::engine::lines::column_path(n, c)),
                ));
            }
        }
    }
    if !super::upload_link::uploadable(def, actor).is_empty() {
        out.push((
            super::upload_link::upload_link_tool_name(def),
            ToolTarget::UploadLink,
        ));
    }
    out
}

/// The tools of one app for an actor (`None`: every enabled tool, for the admin's budget view).
pub fn app_tools(app: &Arc<PublishedApp>, actor: Option<&Actor>) -> Vec<ToolEntry> {
    let def = &app.def;
    app_targets(app, actor)
        .into_iter()
        .map(|(_, target)| {
            let tool = match &target {
                ToolTarget::View(n) => view_tool(def, &app.paths, n, &def.views[n.as_str()]),
                ToolTarget::Operation(n) => operation_tool(def, n, &def.operations[n.as_str()]),
                ToolTarget::ReadFile(n) => read_file_tool(def, n),
                ToolTarget::Summary(n) => {
                    super::summary::summary_tool(def, &app.paths, n, &def.views[n.as_str()])
                }
                ToolTarget::FindLookup(n) => match crate::engine::lookups::lookup_input(def, n) {
                    Some((_, f)) => super::lookup::find_tool(def, n, f),
                    None => super::lookup::find_tool(def, n, &def.fields[n.as_str()]),
                },
                ToolTarget::ReadLines(n) => {
                    super::lines::read_tool(def, n, &def.fields[n.as_str()])
                }
                ToolTarget::UploadLink => super::upload_link::upload_link_tool(
                    def,
                    &super::upload_link::uploadable(def, actor),
                ),
            };
            ToolEntry {
                app: app.clone(),
                target,
                tool,
            }
        })
        .collect()
}

/// An MCP-enabled operation that acts on a record which a role it is granted to cannot find
/// through MCP: no MCP-enabled view is granted to that role, or the role's views show only its
/// own records while the operation is never allowed on one's own.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordIdGap {
    pub operation: String,
    pub role: String,
    /// The role's MCP-enabled views (empty: none).
    pub views: Vec<String>,
}

/// The [`RecordIdGap`]s of an app (Configure > Integration > MCP's diagnostics).
pub fn record_id_gaps(def: &AppDef) -> Vec<RecordIdGap> {
    let mut gaps = Vec::new();
    for (name, o) in &def.operations {
        if !o.mcp.enabled || o.kind == OperationKind::Create {
            continue;
        }
        for role in &o.roles {
            let views: Vec<(&String, &ViewDef)> = def
                .views
                .iter()
                .filter(|(_, v)| v.mcp.enabled && v.roles.contains(role))
                .collect();
            let only_own = views
                .iter()
                .all(|(_, v)| v.scope == crate::engine::definition::Scope::Own);
            if views.is_empty() || (o.not_own && only_own) {
                gaps.push(RecordIdGap {
                    operation: name.clone(),
                    role: role.clone(),
                    views: views.iter().map(|(n, _)| (*n).clone()).collect(),
                });
            }
        }
    }
    gaps
}
