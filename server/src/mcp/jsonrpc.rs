//! JSON-RPC 2.0 at the edge of `/mcp`: actix middleware between authentication and rmcp. A
//! POSTed body is checked first (`envelope`), and a plain-text refusal rmcp sends back (a wrong
//! Accept header, a method not allowed, a body over the limit) becomes a JSON-RPC error with the
//! same status and headers.
use super::envelope::{check, Refusal, INTERNAL_ERROR, INVALID_REQUEST};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpResponse};
use futures_util::StreamExt;
use serde_json::Value;

/// The most of a plain-text refusal carried into a JSON-RPC message.
const REFUSAL_TEXT_BYTES: usize = 16 * 1024;

/// A JSON-RPC error response (`id` null unless the request's id could be read).
pub fn error_response(status: StatusCode, code: i64, id: &Value, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(
            serde_json::json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
                .to_string(),
        )
}

fn respond(r: &Refusal) -> HttpResponse {
    error_response(r.status, r.code, &r.id, &r.message)
}

/// Whether a Content-Type is JSON (`application/json`, parameters allowed).
fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim())
        .is_some_and(|essence| essence.eq_ignore_ascii_case("application/json"))
}

/// The middleware: checks POSTed bodies before rmcp, and turns any plain-text refusal that
/// comes back into a JSON-RPC error. `max_body` is rmcp's own body limit; `max_upload` the
/// receipt size limit a body over it is refused in the words of.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    max_body: usize,
    max_upload: usize,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == Method::POST {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            let resp = error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                INVALID_REQUEST,
                &Value::Null,
                "Unsupported Media Type: POST one JSON-RPC message with Content-Type: application/json",
            );
            return Ok(req.into_response(resp));
        }
        let body = match read_body(&mut req, max_body).await {
            Ok(Body::Read(b)) => b,
            Ok(Body::TooLarge {
                head,
                seen,
                drained_all,
            }) => {
                let resp = super::too_large::body_refusal(&head, seen, drained_all, max_upload);
                return Ok(req.into_response(resp));
            }
            Err(refusal) => return Ok(req.into_response(respond(&refusal))),
        };
        if let Err(refusal) = check(&body) {
            return Ok(req.into_response(respond(&refusal)));
        }
        req.set_payload(actix_web::dev::Payload::from(body));
    }
    let res = next.call(req).await?;
    if res.status().is_success() || is_json(res.headers().get(header::CONTENT_TYPE)) {
        return Ok(res.map_into_boxed_body());
    }
    Ok(as_jsonrpc(res).await)
}

/// A request body as read: whole, or over the limit with its first bytes and its size.
enum Body {
    Read(Bytes),
    TooLarge {
        head: Bytes,
        seen: usize,
        drained_all: bool,
    },
}

/// The request body, at most `max` bytes. A body over it is drained without being kept (to a
/// bound), so it can be refused by its size with an answer to the call it carries.
async fn read_body(req: &mut ServiceRequest, max: usize) -> Result<Body, Refusal> {
    use super::too_large::{DRAIN_FACTOR, HEAD_BYTES};
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let bound = max.saturating_mul(DRAIN_FACTOR);
    // What a client declares is not yet sent: reserve at most a megabyte up front.
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(1024 * 1024));
    let mut seen = 0usize;
    let mut payload = req.take_payload();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST,
                Value::Null,
                format!("the request body could not be read: {e}"),
            )
        })?;
        seen += chunk.len();
        if seen > max || declared.is_some_and(|n| n > bound) {
            // Past the limit only the head is kept (in a buffer of its own, so the memory of
            // what was read is given back): the rest is counted and dropped.
            if body.len() > HEAD_BYTES {
                body = BytesMut::from(&body[..HEAD_BYTES]);
            }
            if body.len() < HEAD_BYTES {
                let room = HEAD_BYTES - body.len();
                body.extend_from_slice(&chunk[..room.min(chunk.len())]);
            }
            // A declared size is the size: no need to read a body that large to state it.
            if let Some(n) = declared.filter(|n| *n > bound) {
                return Ok(Body::TooLarge {
                    head: body.freeze(),
                    seen: n,
                    drained_all: true,
                });
            }
            if seen > bound {
                return Ok(Body::TooLarge {
                    head: body.freeze(),
                    seen,
                    drained_all: false,
                });
            }
            continue;
        }
        body.extend_from_slice(&chunk);
    }
    if seen > max {
        return Ok(Body::TooLarge {
            head: body.freeze(),
            seen,
            drained_all: true,
        });
    }
    Ok(Body::Read(body.freeze()))
}

/// A refusal rmcp wrote as plain text, as a JSON-RPC error with the same status and headers.
async fn as_jsonrpc<B: MessageBody + 'static>(res: ServiceResponse<B>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let (req, res) = res.into_parts();
    let headers = res.headers().clone();
    let text = match actix_web::body::to_bytes_limited(res.into_body(), REFUSAL_TEXT_BYTES).await {
        Ok(Ok(b)) if !b.is_empty() => String::from_utf8_lossy(&b).trim().to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let code = if status.is_server_error() {
        INTERNAL_ERROR
    } else {
        INVALID_REQUEST
    };
    let mut out = error_response(status, code, &Value::Null, &text);
    for (name, value) in headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, out)
}
