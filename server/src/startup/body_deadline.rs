//! A deadline on reading request bodies. actix times out the request head
//! (`client_request_timeout`) but not the body, so a client that announces a body and then
//! stalls would hold its connection, and the handler waiting for the body, for ever. The body
//! must keep coming: no gap longer than [`IDLE`], and past the first [`GRACE`] at least
//! [`MIN_RATE`] bytes a second on average (the defaults of Apache's `mod_reqtimeout`), so a
//! 20 MB upload over a slow link passes and a trickle does not. A late body is answered
//! `408 Request Timeout` and its connection closed.
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::Stream;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The longest a body may pause between two pieces.
pub const IDLE: Duration = Duration::from_secs(20);
/// How long a body may take before [`MIN_RATE`] applies.
pub const GRACE: Duration = Duration::from_secs(20);
/// The slowest average a body may arrive at, in bytes per second, past [`GRACE`].
pub const MIN_RATE: u64 = 500;

/// Puts the deadline on the request's body, if it has one.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let expired = Rc::new(Cell::new(false));
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        req.set_payload(payload);
    } else {
        let timed = Deadline::new(payload, expired.clone());
        req.set_payload(Payload::Stream {
            payload: Box::pin(timed),
        });
    }
    let res = next.call(req).await?;
    if !expired.get() {
        return Ok(res.map_into_left_body());
    }
    let late = HttpResponse::RequestTimeout()
        .force_close()
        .content_type("text/plain; charset=utf-8")
        .body("the request body did not arrive in time");
    let (req, _) = res.into_parts();
    Ok(ServiceResponse::new(req, late).map_into_right_body())
}

/// A body stream that fails once the body is late.
struct Deadline {
    inner: Payload,
    started: Instant,
    received: u64,
    timer: Pin<Box<Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Deadline {
    fn new(inner: Payload, expired: Rc<Cell<bool>>) -> Deadline {
        let started = Instant::now();
        Deadline {
            inner,
            started,
            received: 0,
            timer: Box::pin(tokio::time::sleep_until(started + IDLE.min(GRACE))),
            expired,
        }
    }

    /// When the next piece must have arrived by, given what has arrived so far.
    fn due(&self, now: Instant) -> Instant {
        let earned = Duration::from_millis(self.received.saturating_mul(1000) / MIN_RATE);
        (self.started + GRACE + earned).min(now + IDLE)
    }
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired.get() {
            return Poll::Ready(Some(Err(late())));
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                this.received = this.received.saturating_add(piece.len() as u64);
                let due = this.due(Instant::now());
                this.timer.as_mut().reset(due);
                Poll::Ready(Some(Ok(piece)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            // Only a body the handler is waiting for can be late.
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.expired.set(true);
                    Poll::Ready(Some(Err(late())))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

fn late() -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the request body did not arrive in time",
    ))
}
