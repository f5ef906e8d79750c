//! `GET /mcp`: the server-to-client event stream of Streamable HTTP (MCP 2025-06-18 and
//! 2025-11-25, "Listening for Messages from the Server"). Formwork sends one kind of message on it:
//! `notifications/tools/list_changed`, when the caller's tool catalog changes (an app published
//! or unpublished, a view or operation enabled or disabled, the caller's roles edited, the site
//! switch turned off).
//!
//! The stream needs no server-side session: it watches the published catalog, which every
//! process reads from the database, so a publish made by any process reaches every stream within
//! about a second. The bearer token is checked again while the stream is open; a revoked or
//! expired token, a disabled user or the site switch turned off ends it.
//!
//! Streams are capped per token, per user and per process, and a stream whose client has gone
//! gives its place back within about two seconds: actix notices a closed connection only when a
//! write to it fails, so a keep-alive goes out every second.
use super::server::{actor_of, FormworkMcp};
use super::McpContext;
use crate::auth::Principal;
use crate::engine::Actor;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use chrono::Utc;
use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often a stream looks at the catalog.
const POLL: Duration = Duration::from_secs(1);
/// A comment line this often keeps proxies from closing an idle stream and, above all, finds
/// out that the client has gone: the write after the one the closed connection refuses fails,
/// and actix then drops the stream and its slot.
const KEEP_ALIVE: Duration = Duration::from_secs(1);
/// How often the bearer token is checked again (revocation, expiry, disabled user, roles).
const RECHECK: Duration = Duration::from_secs(10);
/// A stream ends after this long; the client opens a new one (the spec allows either side to
/// close the stream at any time).
const MAX_AGE: Duration = Duration::from_secs(3600);
/// Open streams one process keeps at most; more are refused with 503 and `Retry-After`.
pub const MAX_STREAMS: usize = 256;
/// Open streams one bearer token may hold in one process; more are refused with 429.
pub const MAX_STREAMS_PER_TOKEN: usize = 4;
/// Open streams one user may hold in one process, over all their tokens; more get 429.
pub const MAX_STREAMS_PER_USER: usize = 8;
/// What `Retry-After` says when a stream is refused: a slot frees within about two seconds of
/// its client leaving.
const RETRY_AFTER_SECONDS: &str = "5";

/// The open streams of this process: how many in all, per token and per user.
struct Open {
    total: usize,
    by_token: BTreeMap<i64, usize>,
    by_user: BTreeMap<i64, usize>,
}

static OPEN: Mutex<Open> = Mutex::new(Open {
    total: 0,
    by_token: BTreeMap::new(),
    by_user: BTreeMap::new(),
});

/// The message this stream exists for (JSON-RPC 2.0 notification, no id).
pub const LIST_CHANGED: &str = r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#;

fn refuse(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(
            serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": message}})
                .to_string(),
        )
}

/// A fingerprint of the tools the actor sees: names, descriptions and schemas.
async fn fingerprint(handler: &FormworkMcp, actor: &Actor) -> Option<u64> {
    let tools = handler.tools_for(actor).await.ok()?;
    let mut h = DefaultHasher::new();
    for t in &tools {
        serde_json::to_string(&t.tool).ok()?.hash(&mut h);
    }
    Some(h.finish())
}

/// Why no slot was given.
enum Refused {
    /// The process holds `MAX_STREAMS`.
    Full,
    /// The token or its user holds its share.
    Caller(String),
}

/// Counts an open stream for its token and user; the counts drop when the stream (and this
/// guard) is dropped — which actix does as soon as it finds the client gone.
struct Slot {
    token_id: i64,
    user_id: i64,
}

impl Slot {
    fn take(token_id: i64, user_id: i64) -> Result<Slot, Refused> {
        let Ok(mut open) = OPEN.lock() else {
            return Err(Refused::Full);
        };
        if open.total >= MAX_STREAMS {
            return Err(Refused::Full);
        }
        if open.by_token.get(&token_id).copied().unwrap_or(0) >= MAX_STREAMS_PER_TOKEN {
            return Err(Refused::Caller(format!(
                "this token already holds the most event streams it may ({MAX_STREAMS_PER_TOKEN}): close one first"
            )));
        }
        if open.by_user.get(&user_id).copied().unwrap_or(0) >= MAX_STREAMS_PER_USER {
            return Err(Refused::Caller(format!(
                "your tokens already hold the most event streams a user may ({MAX_STREAMS_PER_USER}): close one first"
            )));
        }
        open.total += 1;
        *open.by_token.entry(token_id).or_insert(0) += 1;
        *open.by_user.entry(user_id).or_insert(0) += 1;
        Ok(Slot { token_id, user_id })
    }
}

/// One fewer under `key`; the entry goes when it reaches zero.
fn release(map: &mut BTreeMap<i64, usize>, key: i64) {
    if let Some(n) = map.get_mut(&key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(&key);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = OPEN.lock() {
            open.total = open.total.saturating_sub(1);
            release(&mut open.by_token, self.token_id);
            release(&mut open.by_user, self.user_id);
        }
    }
}

struct Watch {
    handler: FormworkMcp,
    token: String,
    actor: Actor,
    last: Option<u64>,
    opened: Instant,
    last_sent: Instant,
    last_check: Instant,
    greeted: bool,
    done: bool,
    _slot: Slot,
}

impl Watch {
    /// Waits for the next thing to send: a notification, a keep-alive, or the end.
    async fn next(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        if !self.greeted {
            self.greeted = true;
            // A comment first, so clients and proxies see the stream open at once.
            return Some(Bytes::from_static(b": formwork tool-change stream\n\n"));
        }
        loop {
            tokio::time::sleep(POLL).await;
            if self.opened.elapsed() > MAX_AGE {
                return None;
            }
            let ctx = &self.handler.ctx;
            if self.last_check.elapsed() >= RECHECK {
                self.last_check = Instant::now();
                match ctx
                    .auth
                    .verify_bearer(&self.token, &ctx.mcp_url(), Utc::now())
                    .await
                {
                    Ok(p) => self.actor = actor_of(&p),
                    Err(_) => return None,
                }
            }
            if !ctx.switch.enabled(ctx.engine.store()).await {
                // The catalog is now empty for everyone: say so once, then end.
                self.done = true;
                return Some(event(LIST_CHANGED));
            }
            let now = fingerprint(&self.handler, &self.actor).await;
            if now.is_some() && now != self.last {
                self.last = now;
                self.last_sent = Instant::now();
                return Some(event(LIST_CHANGED));
            }
            if self.last_sent.elapsed() >= KEEP_ALIVE {
                self.last_sent = Instant::now();
                return Some(Bytes::from_static(b": keep-alive\n\n"));
            }
        }
    }
}

fn event(json: &str) -> Bytes {
    Bytes::from(format!("event: message\ndata: {json}\n\n"))
}

/// `GET /mcp` with `Accept: text/event-stream`. Authentication and the site switch were checked
/// by the middleware in front of it.
pub async fn stream(req: HttpRequest, ctx: web::Data<McpContext>) -> HttpResponse {
    let accepts = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    if !accepts {
        return refuse(
            actix_web::http::StatusCode::NOT_ACCEPTABLE,
            "GET /mcp opens an event stream: send Accept: text/event-stream (requests are POSTed)",
        );
    }
    if let Some(v) = req.headers().get("mcp-protocol-version") {
        let known = v.to_str().ok().is_some_and(|v| {
            rmcp::model::ProtocolVersion::KNOWN_VERSIONS
                .iter()
                .any(|k| k.as_str() == v)
        });
        if !known {
            return refuse(
                actix_web::http::StatusCode::BAD_REQUEST,
                "unsupported MCP-Protocol-Version",
            );
        }
    }
    let Some(principal) = req.extensions().get::<Principal>().cloned() else {
        return refuse(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "not authenticated",
        );
    };
    // The middleware in front accepted this token, so it is there.
    let token = super::bearer_token(req.headers()).unwrap_or_default();
    let slot = match Slot::take(principal.token_id, principal.user.id) {
        Ok(slot) => slot,
        Err(Refused::Full) => {
            return HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS))
                .content_type("application/json")
                .body(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"too many open event streams; try again later"}}"#)
        }
        Err(Refused::Caller(message)) => {
            let mut resp = refuse(actix_web::http::StatusCode::TOO_MANY_REQUESTS, &message);
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            return resp;
        }
    };
    let handler = FormworkMcp {
        ctx: Arc::clone(&ctx.into_inner()),
    };
    let actor = actor_of(&principal);
    let last = fingerprint(&handler, &actor).await;
    let now = Instant::now();
    let watch = Watch {
        handler,
        token,
        actor,
        last,
        opened: now,
        last_sent: now,
        last_check: now,
        greeted: false,
        done: false,
        _slot: slot,
    };
    let body = futures_util::stream::unfold(watch, |mut w| async move {
        w.next()
            .await
            .map(|b| (Ok::<Bytes, std::convert::Infallible>(b), w))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// Open event streams in this process (for diagnostics).
pub fn open_streams() -> usize {
    OPEN.lock().map(|o| o.total).unwrap_or(0)
}
