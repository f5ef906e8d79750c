//! Line items on an operation form, without a script: a table with one row of inputs per line
//! (`items[0][id]`, `items[0][net]`, …), a "remove" checkbox per stored line, a few blank rows
//! for new lines (prefilled with the columns' defaults; a row left so adds nothing) and an "Add
//! rows" button that shows the form again with more blank rows and everything typed kept
//! (nothing is saved), and "Move up"/"Move down" buttons per line that show it again with that
//! line swapped with its neighbour and the rows numbered anew, so the order sent on saving is
//! the order shown (nothing is saved either). The rows sent become the JSON list the engine reads
//! (`engine::lines::parse_lines`); its problems (`items[2].net: …`) come back beside their cell.
use crate::engine::default_values::Creation;
use crate::engine::definition::{AppDef, FieldDef, FieldType, OperationDef};
use crate::engine::lines::{display_cell, max_rows, new_line_values, stored_lines};
use crate::engine::FieldError;
use crate::web::local_time::LocalTime;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The records each lookup input offers, by input (`project`) or lines column
/// (`items.project`): what was searched, and (id, title) of the choices.
pub(crate) type Pickers = HashMap<String, (String, Vec<(String, String)>)>;

/// Blank rows a form offers for new lines, and how many more "Add rows" brings.
pub const BLANK_ROWS: usize = 3;

/// One column's header.
pub(crate) struct ColumnView {
    pub label: String,
    pub required: bool,
}

/// One cell: its input and any problem with it.
pub(crate) struct CellView {
    /// The input's name, `items[0][net]`.
    pub name: String,
    /// The input's element id.
    pub id: String,
    /// The accessible label: "Net, line 2".
    pub label: String,
    pub kind: &'static str,
    pub options: Vec<String>,
    /// For a file or photo column: the types its input offers.
    pub accept: String,
    pub value: String,
    pub error: String,
    /// For a lookup column: the records offered (id, title), the cell's own among them.
    pub choices: Vec<(String, String)>,
}

impl CellView {
    /// Whether a checkbox of a several-options cell is ticked (its value holds one option a
    /// line).
    pub fn chosen(&self, option: &str) -> bool {
        self.value.lines().any(|l| l.trim() == option)
    }
}

/// The search of a lookup column above its table: one for all its rows.
pub(crate) struct ColumnSearch {
    /// The column's path, `items.project`: the Search button's value.
    pub path: String,
    /// The element id of the search input.
    pub id: String,
    pub label: String,
    /// The Search button's accessible name, "Search project" (one per lookup column).
    pub button: String,
    pub search: String,
}

/// One row of the table: a stored line (with its id) or a blank one for a new line.
pub(crate) struct RowView {
    pub index: usize,
    pub id: String,
    /// What the row is called: "Line 2", or "New line".
    pub title: String,
    pub remove: bool,
    pub cells: Vec<CellView>,
    pub error: String,
    /// Whether the line can move up or down (past another stored line).
    pub can_up: bool,
    pub can_down: bool,
}

/// A lines input as the form shows it.
pub(crate) struct LinesView {
    pub columns: Vec<ColumnView>,
    pub rows: Vec<RowView>,
    /// Blank rows asked for so far (sent back by the form, for "Add rows").
    pub blank: usize,
    /// Whether another blank row fits under the field's `max_rows`.
    pub can_add: bool,
    /// A search for each lookup column.
    pub searches: Vec<ColumnSearch>,
}

/// The most rows a form may send for a field: its lines and the blank rows "Add rows" brings.
fn row_bound(f: &FieldDef) -> usize {
    max_rows(f) as usize + 10 * BLANK_ROWS
}

/// Parts a form may have beyond the usual bound, for the cells of its lines inputs.
pub(super) fn extra_parts(def: &AppDef, op: &OperationDef) -> usize {
    op.inputs
        .iter()
        .filter_map(|n| def.fields.get(n))
        .filter(|f| f.kind == FieldType::Lines)
        .map(|f| {
            // A file cell may send its kept id and a new file; a several-options cell one part
            // per option ticked and one empty.
            let extra: usize = f
                .columns
                .values()
                .map(|c| match c.kind {
                    FieldType::MultiChoice => c.options.len(),
                    _ if c.kind.is_file() => 1,
                    _ => 0,
                })
                .sum();
            row_bound(f) * (f.columns.len() + extra + 2) + 2 + f.columns.len()
        })
        .sum()
}

/// The rows a form sent for the field `name`, by row index: `name[i][key]` → value.
fn sent_rows(
    f: &FieldDef,
    name: &str,
    text: &HashMap<String, String>,
) -> BTreeMap<usize, BTreeMap<String, String>> {
    let mut rows: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    let prefix = format!("{name}[");
    for (k, v) in text {
        let Some(rest) = k.strip_prefix(&prefix) else {
            continue;
        };
        let Some((index, rest)) = rest.split_once("][") else {
            continue;
        };
        let (Ok(index), Some(key)) = (index.parse::<usize>(), rest.strip_suffix(']')) else {
            continue;
        };
        if index >= row_bound(f) || !(key == "id" || key == "remove" || f.columns.contains_key(key))
        {
            continue;
        }
        rows.entry(index)
            .or_default()
            .insert(key.to_string(), v.clone());
    }
    rows
}

/// Whether the form carried the table of the field `name`.
pub(super) fn on_form(name: &str, text: &HashMap<String, String>) -> bool {
    text.contains_key(&format!("_blank_{name}"))
}

/// Whether the form asked to move a line of some lines input (`_move_<field>`, valued
/// `<row>:up` or `<row>:down`).
pub(super) fn wants_move(def: &AppDef, op: &OperationDef, text: &HashMap<String, String>) -> bool {
    op.inputs.iter().any(|n| {
        def.fields
            .get(n)
            .is_some_and(|f| f.kind == FieldType::Lines)
            && text.contains_key(&format!("_move_{n}"))
    })
}

/// Moves the row `<row>` of a `_move_` request one place up or down among the stored lines'
/// rows, then numbers every row by its new place. Anything else leaves the rows as they are.
fn move_row(rows: &mut [(usize, BTreeMap<String, String>)], request: &str) {
    let Some((row, way)) = request.split_once(':') else {
        return;
    };
    let Ok(row) = row.parse::<usize>() else {
        return;
    };
    let stored = |c: &BTreeMap<String, String>| c.get("id").is_some_and(|v| !v.is_empty());
    let Some(at) = rows.iter().position(|(i, c)| *i == row && stored(c)) else {
        return;
    };
    let to = match way {
        "up" => at.checked_sub(1),
        "down" => Some(at + 1).filter(|j| *j < rows.len()),
        _ => None,
    };
    if let Some(to) = to.filter(|j| stored(&rows[*j].1)) {
        rows.swap(at, to);
    }
    for (n, r) in rows.iter_mut().enumerate() {
        r.0 = n;
    }
}

/// Whether the form asked for more blank rows for some lines input (`_more_<field>`).
pub(super) fn wants_more_rows(
    def: &AppDef,
    op: &OperationDef,
    text: &HashMap<String, String>,
) -> bool {
    op.inputs.iter().any(|n| {
        def.fields
            .get(n)
            .is_some_and(|f| f.kind == FieldType::Lines)
            && text.contains_key(&format!("_more_{n}"))
    })
}

/// Whether a form key belongs to the table of a lines input (a cell `items[0][net]`, the blank
/// rows shown `_blank_items`, "Add rows" `_more_items`): kept when the form comes back.
pub(super) fn of_table(def: &AppDef, op: &OperationDef, key: &str) -> bool {
    op.inputs
        .iter()
        .filter(|n| {
            def.fields
                .get(*n)
                .is_some_and(|f| f.kind == FieldType::Lines)
        })
        .any(|n| {
            key.strip_prefix(n.as_str())
                .is_some_and(|rest| rest.starts_with('['))
                || key.strip_prefix("_blank_") == Some(n.as_str())
                || key.strip_prefix("_more_") == Some(n.as_str())
                || key.strip_prefix("_move_") == Some(n.as_str())
        })
}

/// What a blank row for a new line shows: each column's default as its input shows it (literals,
/// and calculated ones worked out for the person now).
pub(crate) fn new_row(f: &FieldDef, by: &Creation, local: LocalTime) -> BTreeMap<String, String> {
    let values = new_line_values(f, by.now.date_naive(), Some(by));
    f.columns
        .keys()
        .map(|col| (col.clone(), form_cell(f, col, &values, local)))
        .filter(|(_, shown)| !shown.is_empty())
        .collect()
}

/// The records the column `col` of the lines input `name` holds now: in the stored lines, and
/// chosen in the form's rows (`items[2][project]`), each once, in that order.
pub(super) fn held_lookups(
    name: &str,
    col: &str,
    stored: Option<&Value>,
    text: &HashMap<String, String>,
) -> Vec<i64> {
    let mut ids: Vec<i64> = stored_lines(stored.unwrap_or(&Value::Null))
        .iter()
        .filter_map(|l| l.get(col).and_then(Value::as_i64))
        .collect();
    let prefix = format!("{name}[");
    let suffix = format!("][{col}]");
    let mut typed: Vec<i64> = text
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix) && k.ends_with(&suffix))
        .filter_map(|(_, v)| v.trim().parse::<i64>().ok())
        .collect();
    typed.sort_unstable();
    ids.extend(typed);
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    ids
}

/// Whether a row is left blank: a new line's cells empty or as prefilled (`new_row`).
fn blank(cells: &BTreeMap<String, String>, prefilled: &BTreeMap<String, String>) -> bool {
    cells
        .iter()
        .filter(|(k, _)| k.as_str() != "remove")
        .all(|(k, v)| {
            v.trim().is_empty()
                || (k != "id" && prefilled.get(k).is_some_and(|p| p.trim() == v.trim()))
        })
}

/// The list of lines the engine reads from a form's rows (removed rows, and new rows left blank
/// or as `prefilled`, left out), and for each line the form row it came from. A moment typed in
/// a `datetime-local` cell is read in the person's zone (`local`).
pub(super) fn from_form(
    f: &FieldDef,
    name: &str,
    text: &HashMap<String, String>,
    prefilled: &BTreeMap<String, String>,
    local: LocalTime,
) -> (Value, Vec<usize>) {
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (index, cells) in sent_rows(f, name, text) {
        if cells.get("remove").is_some_and(|v| !v.trim().is_empty()) || blank(&cells, prefilled) {
            continue;
        }
        let mut line = Map::new();
        for (k, v) in cells {
            if k == "remove" || (k == "id" && v.trim().is_empty()) {
                continue;
            }
            // A time the clocks skip goes to the engine as typed, which refuses it.
            let v = match f.columns.get(&k) {
                Some(c) if c.kind == FieldType::DateTime => {
                    crate::web::field_types::from_form(c.kind, &v, local).unwrap_or(v)
                }
                _ => v,
            };
            line.insert(k, Value::String(v));
        }
        lines.push(Value::Object(line));
        rows.push(index);
    }
    (Value::Array(lines), rows)
}

/// The engine's problems with a line (`items[2].net: …`, the third line sent) renamed after
/// the form's row the line came from.
pub(super) fn to_form_rows(errors: &mut [FieldError], name: &str, rows: &[usize]) {
    let prefix = format!("{name}[");
    for e in errors.iter_mut().filter(|e| e.field == name) {
        let Some((k, rest)) = e
            .message
            .strip_prefix(&prefix)
            .and_then(|r| r.split_once(']'))
        else {
            continue;
        };
        if let Some(row) = k.parse::<usize>().ok().and_then(|k| rows.get(k)) {
            e.message = format!("{prefix}{row}]{rest}");
        }
    }
}

/// What a file or photo column's input offers to choose.
fn accept(c: &FieldDef) -> String {
    match c.kind {
        FieldType::Photo => "image/*".into(),
        FieldType::File if !c.accept.is_empty() => c.accept.join(","),
        FieldType::File => "image/jpeg,image/png,image/webp,application/pdf".into(),
        _ => String::new(),
    }
}

/// The line cells of a form's file columns (`items[3][receipt]`): the parts that may carry a
/// file, with the lines field and the column they are for.
pub(super) fn file_cell<'a>(
    def: &'a AppDef,
    op: &OperationDef,
    part: &str,
) -> Option<(&'a str, &'a str)> {
    let (field, rest) = part.split_once('[')?;
    let (index, rest) = rest.split_once("][")?;
    let column = rest.strip_suffix(']')?;
    let index = index.parse::<usize>().ok()?;
    let (name, f) = def.fields.get_key_value(field)?;
    let (col, c) = f.columns.get_key_value(column)?;
    (f.kind == FieldType::Lines
        && c.kind.is_file()
        && op.inputs.iter().any(|i| i == field)
        && index < row_bound(f))
    .then_some((name.as_str(), col.as_str()))
}

/// A cell's name as the engine's problems write it: `items[3][receipt]` → `items[3].receipt`.
pub(super) fn cell_path(cell: &str) -> String {
    match cell.rsplit_once("][") {
        Some((head, col)) => format!("{head}].{}", col.trim_end_matches(']')),
        None => cell.to_string(),
    }
}

/// Whether the operation takes a lines field with a file column.
pub(super) fn takes_line_files(def: &AppDef, op: &OperationDef) -> bool {
    op.inputs
        .iter()
        .filter_map(|n| def.fields.get(n))
        .any(|f| f.kind == FieldType::Lines && f.columns.values().any(|c| c.kind.is_file()))
}

/// A stored cell as an input shows it (money with its currency's minor units, yes or no, a
/// file or a looked-up record by its id, options one a line, a moment in the person's zone).
fn form_cell(f: &FieldDef, col: &str, line: &Map<String, Value>, local: LocalTime) -> String {
    let Some(c) = f.columns.get(col) else {
        return String::new();
    };
    if c.kind.is_file() || c.kind == FieldType::Lookup {
        return line
            .get(col)
            .and_then(Value::as_i64)
            .map(|id| id.to_string())
            .unwrap_or_default();
    }
    if let Some(shown) = line
        .get(col)
        .and_then(|v| crate::web::field_types::form_value(c.kind, v, local))
    {
        return shown;
    }
    match line.get(col) {
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        Some(Value::Null) | None => String::new(),
        Some(_) => display_cell(f, col, line),
    }
}

/// The table of a lines input: the rows the form sent when it comes back (refused, or with
/// more blank rows), else the record's lines; then blank rows, showing `prefilled` (see
/// `new_row`). Problems of a line go beside its cell or row; the others are returned for the
/// field.
#[allow(clippy::too_many_arguments)]
pub(crate) fn view(
    f: &FieldDef,
    name: &str,
    stored: &Value,
    entered: &HashMap<String, String>,
    errors: &[String],
    prefilled: &BTreeMap<String, String>,
    local: LocalTime,
    pickers: &Pickers,
) -> (LinesView, Vec<String>) {
    let mut rows: Vec<(usize, BTreeMap<String, String>)> = Vec::new();
    let mut want_blank = BLANK_ROWS;
    if on_form(name, entered) {
        want_blank = entered
            .get(&format!("_blank_{name}"))
            .and_then(|b| b.parse::<usize>().ok())
            .unwrap_or(BLANK_ROWS)
            .min(10 * BLANK_ROWS);
        if entered.contains_key(&format!("_more_{name}")) {
            want_blank = (want_blank + BLANK_ROWS).min(10 * BLANK_ROWS);
        }
        rows.extend(sent_rows(f, name, entered));
        if let Some(request) = entered.get(&format!("_move_{name}")) {
            move_row(&mut rows, request);
        }
    } else {
        for (i, line) in stored_lines(stored).into_iter().enumerate() {
            let mut cells = BTreeMap::new();
            if let Some(id) = line.get("id").and_then(Value::as_str) {
                cells.insert("id".to_string(), id.to_string());
            }
            for col in f.columns.keys() {
                cells.insert(col.clone(), form_cell(f, col, line, local));
            }
            rows.push((i, cells));
        }
    }
    let kept = rows
        .iter()
        .filter(|(_, c)| c.get("id").is_some_and(|v| !v.is_empty()))
        .count();
    let room = (max_rows(f) as usize).saturating_sub(kept);
    let have_blank = rows
        .iter()
        .filter(|(_, c)| c.get("id").is_none_or(|v| v.is_empty()))
        .count();
    let next = rows.last().map(|(i, _)| i + 1).unwrap_or(0);
    let add = want_blank.min(room).saturating_sub(have_blank);
    rows.extend((next..next + add).map(|i| (i, prefilled.clone())));
    let mut rest = Vec::new();
    let mut cell_errors: HashMap<(usize, String), Vec<String>> = HashMap::new();
    let mut row_errors: HashMap<usize, Vec<String>> = HashMap::new();
    let prefix = format!("{name}[");
    for m in errors {
        let parsed = m.strip_prefix(&prefix).and_then(|r| {
            let (k, rest) = r.split_once(']')?;
            Some((k.parse::<usize>().ok()?, rest))
        });
        match parsed {
            Some((row, rest)) => match rest
                .strip_prefix('.')
                .and_then(|r| r.split_once(": "))
                .filter(|(col, _)| f.columns.contains_key(*col))
            {
                Some((col, msg)) => cell_errors
                    .entry((row, col.to_string()))
                    .or_default()
                    .push(msg.to_string()),
                None => row_errors
                    .entry(row)
                    .or_default()
                    .push(rest.trim_start_matches(['.', ':', ' ']).to_string()),
            },
            None => rest.push(m.clone()),
        }
    }
    let mut number = 0;
    let stored_rows = rows
        .iter()
        .filter(|(_, c)| c.get("id").is_some_and(|v| !v.is_empty()))
        .count();
    let rows = rows
        .into_iter()
        .map(|(index, cells)| {
            let id = cells.get("id").cloned().unwrap_or_default();
            let title = if id.is_empty() {
                "New line".to_string()
            } else {
                number += 1;
                format!("Line {number}")
            };
            RowView {
                index,
                remove: cells.get("remove").is_some_and(|v| !v.trim().is_empty()),
                cells: f
                    .columns
                    .iter()
                    .map(|(col, c)| CellView {
                        name: format!("{name}[{index}][{col}]"),
                        id: format!("f-{name}-{index}-{col}"),
                        label: format!("{}, {}", c.label, title.to_lowercase()),
                        kind: super::input_kind(c.kind),
                        options: c.options.clone(),
                        accept: accept(c),
                        value: cells.get(col).cloned().unwrap_or_default(),
                        error: cell_errors
                            .remove(&(index, col.clone()))
                            .unwrap_or_default()
                            .join(" "),
                        choices: pickers
                            .get(&crate::engine::lines::column_path(name, col))
                            .map(|p| p.1.clone())
                            .unwrap_or_default(),
                    })
                    .collect(),
                error: row_errors.remove(&index).unwrap_or_default().join(" "),
                can_up: !id.is_empty() && number > 1,
                can_down: !id.is_empty() && number < stored_rows,
                id,
                title,
            }
        })
        .collect();
    // Problems of rows no longer shown stay visible with the field.
    rest.extend(row_errors.into_values().flatten());
    rest.extend(cell_errors.into_values().flatten());
    (
        LinesView {
            columns: f
                .columns
                .values()
                .map(|c| ColumnView {
                    label: c.label.clone(),
                    required: c.required,
                })
                .collect(),
            rows,
            blank: want_blank,
            can_add: want_blank < 10 * BLANK_ROWS && room > want_blank,
            searches: crate::engine::lines::lookup_columns(f)
                .map(|(col, c)| {
                    let path = crate::engine::lines::column_path(name, col);
                    ColumnSearch {
                        id: format!("find-{name}-{col}"),
                        label: format!("Find {}", c.label.to_lowercase()),
                        button: format!("Search {}", c.label.to_lowercase()),
                        search: pickers.get(&path).map(|p| p.0.clone()).unwrap_or_default(),
                        path,
                    }
                })
                .collect(),
        },
        rest,
    )
}
