//! An upload over the receipt size limit, refused over MCP in the web's words: "the receipt is
//! 27.3 MB; the largest accepted is 20 MB", as a tool error with code `too_large`. That holds for
//! a file just over the limit (the tool sees it) and for a request body over `/mcp`'s HTTP limit,
//! which rmcp never sees: its id is read from the first bytes of the body and the rest is drained
//! uncounted into memory, so the client gets an answer to its call rather than a bare 413.
use super::results::tool_error;
use crate::receipts::{size_mb, ReceiptError};
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use rmcp::model::CallToolResult;
use serde_json::{json, Value};

/// How much of an over-size body is kept to find its `id` and `method`: clients put those
/// before `params` (the official SDKs do), and one over-size body never holds more than this.
pub const HEAD_BYTES: usize = 64 * 1024;

/// How far past the limit an over-size body is drained to measure it; past this the answer
/// says "more than", and the connection is closed with the rest unread.
pub const DRAIN_FACTOR: usize = 4;

/// The receipt-size refusal as a tool error, with the field it concerns.
pub fn tool_error_for(field: Option<&str>, size: u64, max: u64) -> CallToolResult {
    let e = ReceiptError::TooLarge { size, max };
    let message = e.to_string();
    let fields = field.map(|f| json!({ f: message }));
    tool_error(e.code(), message, fields)
}

/// The answer to a POSTed body of `seen` bytes over the HTTP limit (`drained_all`: false when
/// reading stopped at the drain bound, so the body is larger still). A `tools/call` with an id
/// gets the tool error above (HTTP 200, as any tool result); another request with an id gets a
/// JSON-RPC error saying the same; a body whose id cannot be read gets that error with id null
/// and status 413.
pub fn body_refusal(
    head: &[u8],
    seen: usize,
    drained_all: bool,
    max_upload: usize,
) -> HttpResponse {
    // A base64 body is four characters for every three bytes of the file it carries.
    let size = (seen as u64).saturating_mul(3) / 4;
    let message = if drained_all {
        ReceiptError::TooLarge {
            size,
            max: max_upload as u64,
        }
        .to_string()
    } else {
        format!(
            "the receipt is more than {}; the largest accepted is {}",
            size_mb(size),
            crate::receipts::limit_mb(max_upload as u64)
        )
    };
    let (id, method) = head_fields(head);
    let body = match (&id, method.as_deref()) {
        (Some(id), Some("tools/call")) if !id.is_null() => {
            let mut result = tool_error_for(None, size, max_upload as u64);
            if !drained_all {
                result = tool_error("too_large", message, None);
            }
            json!({"jsonrpc": "2.0", "id": id, "result": result})
        }
        (Some(id), _) if !id.is_null() => {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": super::envelope::INVALID_REQUEST, "message": message, "data": {"code": "too_large"}}})
        }
        _ => {
            return super::jsonrpc::error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                super::envelope::INVALID_REQUEST,
                &Value::Null,
                &message,
            )
        }
    };
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.to_string())
}

/// The top-level `id` and `method` of a JSON object of which only `head` was read: a scan that
/// tracks strings and nesting, and parses each complete top-level value it passes.
fn head_fields(head: &[u8]) -> (Option<Value>, Option<String>) {
    let (mut id, mut method) = (None, None);
    let mut depth = 0usize;
    let (mut in_str, mut escaped, mut expecting_key) = (false, false, false);
    let mut key_start = 0usize;
    let mut key: Option<String> = None;
    let mut value_start: Option<usize> = None;
    let mut finish = |key: &mut Option<String>, start: &mut Option<usize>, end: usize| {
        if let (Some(k), Some(s)) = (key.take(), start.take()) {
            let parsed = head
                .get(s..end)
                .and_then(|v| serde_json::from_slice::<Value>(v).ok());
            match k.as_str() {
                "id" => id = parsed,
                "method" => method = parsed.and_then(|m| m.as_str().map(String::from)),
                _ => {}
            }
        }
    };
    for (i, &b) in head.iter().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
                if depth == 1 && expecting_key {
                    key = head
                        .get(key_start..=i)
                        .and_then(|k| serde_json::from_slice::<String>(k).ok());
                }
            }
            continue;
        }
        match b {
            b'"' => {
                in_str = true;
                if depth == 1 && expecting_key {
                    key_start = i;
                } else if depth == 1 && value_start.is_none() {
                    value_start = Some(i);
                }
            }
            b'{' | b'[' => {
                if depth == 0 && b == b'[' {
                    break; // a batch: not an MCP message
                }
                if depth == 1 && !expecting_key && value_start.is_none() {
                    value_start = Some(i);
                }
                depth += 1;
                if depth == 1 {
                    expecting_key = true;
                }
            }
            b'}' | b']' => {
                if depth == 1 {
                    finish(&mut key, &mut value_start, i);
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            b':' if depth == 1 => {
                expecting_key = false;
                value_start = None;
            }
            b',' if depth == 1 => {
                finish(&mut key, &mut value_start, i);
                expecting_key = true;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                if depth == 1 && !expecting_key && value_start.is_none() {
                    value_start = Some(i);
                }
            }
        }
    }
    (id, method)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn id_and_method_are_read_from_the_start_of_a_cut_body() {
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"receipt":{"content_base64":"AAAA"#;
        let (id, method) = head_fields(body);
        assert_eq!(id, Some(json!(7)));
        assert_eq!(method.as_deref(), Some("tools/call"));
    }

    #[test]
    fn nested_ids_and_strings_that_look_like_keys_are_not_taken() {
        let body = br#"{ "params": {"id": 1, "s": "\"id\": 2,"}, "method" : "tools/call", "id" : "a\"b" }"#;
        let (id, method) = head_fields(body);
        assert_eq!(id, Some(json!("a\"b")));
        assert_eq!(method.as_deref(), Some("tools/call"));
    }

    #[test]
    fn an_id_after_the_cut_is_not_guessed() {
        let body = br#"{"method":"tools/call","params":{"arguments":{"r":"AAAA"#;
        let (id, method) = head_fields(body);
        assert_eq!(id, None);
        assert_eq!(method.as_deref(), Some("tools/call"));
        assert_eq!(head_fields(b"[{\"id\":1}]"), (None, None));
    }

    #[test]
    fn a_tool_call_over_the_limit_is_answered_with_the_size_tool_error() {
        let head = br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"#;
        let resp = body_refusal(head, 36_400_000, true, 20_000_000);
        assert_eq!(resp.status(), StatusCode::OK);
        let e = tool_error_for(Some("receipt"), 27_300_000, 20_000_000);
        let sc = e.structured_content.unwrap();
        assert_eq!(sc["error"]["code"], "too_large");
        assert_eq!(
            sc["error"]["message"],
            "the receipt is 27.3 MB; the largest accepted is 20 MB"
        );
    }
}
