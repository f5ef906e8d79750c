//! Reading view requests and operation inputs from query strings and forms.
use super::WebError;
use crate::engine::definition::{AppDef, FieldType, ViewDef};
use crate::engine::views::MAX_OFFSET;
use crate::engine::{Raw, ViewRequest};
use std::collections::{BTreeMap, HashMap};

/// A POST form that carries only its CSRF token (buttons such as Publish or Revoke).
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// Query-string names: parameters are `p_<name>`, plus `q` (search), `sort` and `page`. Returns
/// the request and its page number; a page number too large to exist is refused.
pub fn view_request(
    view: &ViewDef,
    q: &HashMap<String, String>,
) -> Result<(ViewRequest, u64), WebError> {
    let params: BTreeMap<String, Raw> = view
        .parameters
        .keys()
        .filter_map(|n| {
            q.get(&format!("p_{n}"))
                .filter(|v| !v.trim().is_empty())
                .map(|v| (n.clone(), Raw::Text(v.clone())))
        })
        .collect();
    let per = (view.per_page as u64).max(1);
    let last_page = MAX_OFFSET / per + 1;
    let page = match q.get("page").map(|p| p.trim()) {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            match p.parse::<u64>() {
                Ok(n) if n <= last_page => n.max(1),
                _ => {
                    return Err(WebError::BadRequest(format!(
                        "there is no page {p}: `page` goes from 1 to {last_page}"
                    )))
                }
            }
        }
        _ => 1,
    };
    Ok((
        ViewRequest {
            params,
            search: q.get("q").cloned().filter(|s| !s.trim().is_empty()),
            sort: q.get("sort").cloned().filter(|s| !s.is_empty()),
            offset: (page - 1) * per,
            limit: Some(per),
            for_mcp: false,
        },
        page,
    ))
}

/// One parameter input of a view's filter form.
pub struct ParamInput {
    pub name: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<String>,
}

pub fn param_inputs(
    def: &AppDef,
    paths: &crate::engine::lookup_paths::Paths,
    view: &ViewDef,
    q: &HashMap<String, String>,
) -> Vec<ParamInput> {
    view.parameters
        .iter()
        .filter_map(|(n, p)| {
            // A looked-up field whose target changed since publication is not offered.
            let f = crate::engine::lookup_paths::field_of(def, paths, &p.field)?;
            let (kind, options) = match f.kind {
                // "Includes any of" one option chosen from the list; MCP callers may send several.
                FieldType::Choice | FieldType::MultiChoice => ("select", f.options.clone()),
                FieldType::YesNo => ("select", vec!["yes".into(), "no".into()]),
                FieldType::Date => ("date", vec![]),
                FieldType::DateTime => ("datetime", vec![]),
                k if k.is_numeric() => ("number", vec![]),
                _ => ("text", vec![]),
            };
            Some(ParamInput {
                name: format!("p_{n}"),
                label: p.label.clone().unwrap_or_else(|| {
                    crate::engine::lookup_paths::label_of(def, paths, &p.field)
                        .unwrap_or_else(|| f.label.clone())
                }),
                kind,
                value: q.get(&format!("p_{n}")).cloned().unwrap_or_default(),
                options,
            })
        })
        .collect()
}

/// Rebuilds a view URL's query string with some keys replaced.
pub fn query_with(q: &HashMap<String, String>, set: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| !set.iter().any(|(s, _)| s == k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.extend(
        set.iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), v.clone())),
    );
    pairs.sort();
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(&k, &v);
    }
    ser.finish()
}
