//! What a body POSTed to `/mcp` must be before rmcp reads it. rmcp answers a body that is not
//! JSON, or not a message it knows, with HTTP 415 and plain text, and it reads a request of a
//! known method whose params do not fit the method's schema as an unknown method (its untyped
//! `ClientRequest` falls back to `CustomRequest`), answering -32601. Here such bodies get what
//! JSON-RPC 2.0 and MCP (Streamable HTTP, 2025-06-18) say: -32700 for a body that is not JSON,
//! -32600 for one that is not a request, -32602 for params that do not fit. The envelope is read
//! without keeping `params`, so an upload's base64 is scanned, not copied.
use actix_web::http::StatusCode;
use rmcp::model::{
    CallToolRequestMethod, ClientJsonRpcMessage, ClientRequest, CompleteRequestMethod, ConstString,
    GetPromptRequestMethod, InitializeResultMethod, JsonRpcMessage, ListPromptsRequestMethod,
    ListResourceTemplatesRequestMethod, ListResourcesRequestMethod, ListToolsRequestMethod,
    PingRequestMethod, ReadResourceRequestMethod, SetLevelRequestMethod, SubscribeRequestMethod,
    UnsubscribeRequestMethod,
};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;

/// Bodies up to this size are also read as rmcp reads them, which catches every params
/// mismatch; larger ones (uploads) get the cheap shape checks only.
const FULLY_CHECKED_BYTES: usize = 64 * 1024;

/// Methods rmcp reads into typed requests: for these a misfit is bad params, not an unknown
/// method.
const KNOWN_METHODS: &[&str] = &[
    InitializeResultMethod::VALUE,
    PingRequestMethod::VALUE,
    ListToolsRequestMethod::VALUE,
    CallToolRequestMethod::VALUE,
    ListPromptsRequestMethod::VALUE,
    GetPromptRequestMethod::VALUE,
    ListResourcesRequestMethod::VALUE,
    ListResourceTemplatesRequestMethod::VALUE,
    ReadResourceRequestMethod::VALUE,
    SubscribeRequestMethod::VALUE,
    UnsubscribeRequestMethod::VALUE,
    SetLevelRequestMethod::VALUE,
    CompleteRequestMethod::VALUE,
];

/// Why a body was refused.
#[derive(Debug, PartialEq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: i64,
    pub id: Value,
    pub message: String,
}

impl Refusal {
    pub(super) fn new(
        status: StatusCode,
        code: i64,
        id: Value,
        message: impl Into<String>,
    ) -> Refusal {
        Refusal {
            status,
            code,
            id,
            message: message.into(),
        }
    }
}

/// The JSON type of a value, read without keeping it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_none<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Kind, E> {
        Ok(Kind::Bool)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Kind, E> {
        Ok(Kind::Number)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Kind, E> {
        Ok(Kind::Number)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Kind, E> {
        Ok(Kind::Number)
    }
    fn visit_str<E>(self, _: &str) -> Result<Kind, E> {
        Ok(Kind::String)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Kind::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Kind::Object)
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

/// A message read for its envelope only: of `params`, only its type (an upload's base64 is
/// scanned, not kept).
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    jsonrpc: Option<String>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<Kind>,
}

/// A `tools/call` read for the types of the members of `params` that rmcp types.
#[derive(Deserialize)]
struct ToolCall {
    params: ToolCallParams,
}

#[derive(Deserialize)]
struct ToolCallParams {
    #[serde(default)]
    name: Option<Kind>,
    #[serde(default)]
    arguments: Option<Kind>,
    #[serde(default, rename = "_meta")]
    meta: Option<Kind>,
}

fn bad_request(id: Value, message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, INVALID_REQUEST, id, message)
}

/// In-band, as rmcp answers invalid params (HTTP 200).
fn invalid_params(id: Value, message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::OK, INVALID_PARAMS, id, message)
}

/// Checks a POSTed body; `Err` is the JSON-RPC error to answer instead of passing it on.
pub fn check(body: &[u8]) -> Result<(), Refusal> {
    let envelope = match serde_json::from_slice::<Envelope>(body) {
        Ok(e) => e,
        Err(e) => return Err(unreadable(body, &e)),
    };
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(bad_request(
            Value::Null,
            "the body must be one JSON-RPC 2.0 message, a JSON object",
        ));
    }
    let id = match &envelope.id {
        None => Value::Null,
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        Some(_) => {
            return Err(bad_request(
                Value::Null,
                "Invalid Request: id must be a string or an integer",
            ))
        }
    };
    if envelope.jsonrpc.as_deref() != Some("2.0") {
        return Err(bad_request(id, "Invalid Request: jsonrpc must be \"2.0\""));
    }
    let Some(method) = envelope.method.as_deref() else {
        // A response or error the client sends back: rmcp's to judge.
        return Ok(());
    };
    if envelope.id.is_none() || !KNOWN_METHODS.contains(&method) {
        // A notification, or a method rmcp answers as unknown (-32601): rightly so.
        return Ok(());
    }
    if let Some(k) = envelope.params.filter(|k| *k != Kind::Object) {
        return Err(invalid_params(
            id,
            format!(
                "Invalid params: the params of {method} must be an object, not {}",
                k.name()
            ),
        ));
    }
    if method == CallToolRequestMethod::VALUE {
        check_tool_call(&id, envelope.params.is_some(), body)?;
    }
    if body.len() <= FULLY_CHECKED_BYTES {
        // Read it as rmcp will: a known method it cannot type is a params misfit.
        match serde_json::from_slice::<ClientJsonRpcMessage>(body) {
            Ok(JsonRpcMessage::Request(r))
                if matches!(r.request, ClientRequest::CustomRequest(_)) =>
            {
                return Err(invalid_params(
                    id,
                    format!("Invalid params: the params of {method} do not match its schema in the MCP specification"),
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(bad_request(id, format!("Invalid Request: {e}"))),
        }
    }
    Ok(())
}

/// `tools/call` params: the tool's name, and its arguments as an object.
fn check_tool_call(id: &Value, has_params: bool, body: &[u8]) -> Result<(), Refusal> {
    if !has_params {
        return Err(invalid_params(
            id.clone(),
            "Invalid params: tools/call needs params with the tool's name and its arguments",
        ));
    }
    let p = serde_json::from_slice::<ToolCall>(body)
        .map_err(|e| bad_request(id.clone(), format!("Invalid Request: {e}")))?
        .params;
    if p.name != Some(Kind::String) {
        return Err(invalid_params(
            id.clone(),
            "Invalid params: params.name must be the tool's name, a string",
        ));
    }
    if let Some(k) = p
        .arguments
        .filter(|k| !matches!(k, Kind::Object | Kind::Null))
    {
        return Err(invalid_params(
            id.clone(),
            format!(
                "Invalid params: params.arguments must be an object (the tool's input, as its inputSchema describes), not {}",
                k.name()
            ),
        ));
    }
    if let Some(k) = p.meta.filter(|k| !matches!(k, Kind::Object | Kind::Null)) {
        return Err(invalid_params(
            id.clone(),
            format!(
                "Invalid params: params._meta must be an object, not {}",
                k.name()
            ),
        ));
    }
    Ok(())
}

/// A body the envelope could not be read from: not JSON at all (-32700), or JSON that is not a
/// JSON-RPC message (-32600).
fn unreadable(body: &[u8], e: &serde_json::Error) -> Refusal {
    let syntax = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => true,
        // A type error may come before a syntax error further on: look at the whole body.
        _ => serde_json::from_slice::<IgnoredAny>(body).is_err(),
    };
    if syntax {
        let detail = match serde_json::from_slice::<IgnoredAny>(body) {
            Err(e) => e.to_string(),
            Ok(_) => e.to_string(),
        };
        return Refusal::new(
            StatusCode::BAD_REQUEST,
            PARSE_ERROR,
            Value::Null,
            format!("Parse error: the body is not valid JSON ({detail})"),
        );
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return bad_request(
            Value::Null,
            "Invalid Request: JSON-RPC batches are not supported (MCP 2025-06-18 removed them): send one message per POST",
        );
    }
    bad_request(
        Value::Null,
        format!("Invalid Request: the body is not a JSON-RPC 2.0 message ({e})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> Option<(i64, Value)> {
        check(body.as_bytes()).err().map(|r| (r.code, r.id))
    }

    #[test]
    fn a_body_that_is_not_json_is_a_parse_error_with_a_null_id() {
        for body in [
            "",
            "{",
            "not json",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list""#,
            "[1,",
        ] {
            assert_eq!(code(body), Some((PARSE_ERROR, Value::Null)), "{body:?}");
        }
    }

    #[test]
    fn json_that_is_not_a_message_is_an_invalid_request() {
        for body in [
            "[]",
            "[{}]",
            "42",
            r#""x""#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
        ] {
            assert_eq!(code(body).map(|c| c.0), Some(INVALID_REQUEST), "{body:?}");
        }
    }

    #[test]
    fn tool_arguments_that_are_not_an_object_are_invalid_params() {
        for args in ["\"x\"", "[1]", "3", "true"] {
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"t","arguments":{args}}}}}"#
            );
            assert_eq!(
                code(&body),
                Some((INVALID_PARAMS, Value::from(7))),
                "{body}"
            );
        }
        let ok = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":{"a":[1,{"b":null}]}}}"#;
        assert_eq!(code(ok), None);
        let no_name =
            r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"arguments":{}}}"#;
        assert_eq!(code(no_name), Some((INVALID_PARAMS, Value::from("a"))));
    }

    #[test]
    fn a_known_method_with_misfit_params_is_invalid_params_and_an_unknown_one_passes() {
        let bad = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
        assert_eq!(code(bad).map(|c| c.0), Some(INVALID_PARAMS));
        let bad = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":"x"}"#;
        assert_eq!(code(bad).map(|c| c.0), Some(INVALID_PARAMS));
        for ok in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"no/such","params":[1]}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        ] {
            assert_eq!(code(ok), None, "{ok}");
        }
    }
}
